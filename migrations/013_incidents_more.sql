-- Incidents, continued. Written so that running it twice changes nothing.

-- A Computer Misuse Act offence is a crime (the policies' user-actions table lists it among the
-- illegal kinds): the flowchart sends it to the police. New schools get it from defaults.ts;
-- schools that already have their categories get it here, just after "Computer misuse", unless
-- they made one of the same name themselves.
update incident_categories c set position = c.position + 1
  from incident_categories m
 where m.school_id = c.school_id and m.code = 'computer_misuse' and c.position > m.position
   and not exists (select 1 from incident_categories x where x.school_id = c.school_id
                    and (x.code = 'computer_misuse_act' or lower(x.label) = lower('Computer Misuse Act offence (hacking, unauthorised access)')));
insert into incident_categories (school_id, code, label, risk_area, suspected_illegal_material, illegal, position)
select s.school_id, 'computer_misuse_act', 'Computer Misuse Act offence (hacking, unauthorised access)', 'conduct', false, true,
       coalesce((select m.position + 1 from incident_categories m where m.school_id = s.school_id and m.code = 'computer_misuse'),
                (select max(x.position) + 1 from incident_categories x where x.school_id = s.school_id))
  from (select distinct school_id from incident_categories) s
 where not exists (select 1 from incident_categories x where x.school_id = s.school_id
                    and (x.code = 'computer_misuse_act' or lower(x.label) = lower('Computer Misuse Act offence (hacking, unauthorised access)')));

-- A member of staff may have more than one report in hand: drafts are kept by their own id, and
-- starting a new report never overwrites one.
alter table incident_drafts drop constraint if exists incident_drafts_school_id_user_id_key;
create index if not exists incident_drafts_user on incident_drafts (school_id, user_id, updated_at desc);
