-- Incidents, continued. Written so that running it twice changes nothing.

-- Evidence chosen on the report form itself. A file that passed its checks is kept (encrypted,
-- under DATA_DIR/evidence like any other) against the report's draft until the report is sent,
-- so a validation error never loses it; sending moves it to the incident (the same id, so the
-- file on disk is untouched), and deleting the draft deletes it. Each row belongs to exactly one
-- of an incident or a draft.
alter table incident_evidence alter column incident_id drop not null;
alter table incident_evidence add column if not exists draft_id uuid references incident_drafts(id);
alter table incident_evidence drop constraint if exists incident_evidence_incident_or_draft;
alter table incident_evidence add constraint incident_evidence_incident_or_draft check ((incident_id is null) <> (draft_id is null));
create index if not exists incident_evidence_draft on incident_evidence (draft_id) where draft_id is not null;

-- A review signed off by the chair of governors may keep its notes for governors: the
-- headteacher then sees that there are notes, never what they say.
alter table incident_reviews add column if not exists notes_governors_only boolean not null default false;
