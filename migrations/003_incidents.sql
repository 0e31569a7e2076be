-- Online safety incidents: the school's own categories, the incident log, the people involved,
-- every action and decision with its reason, referrals (or the reasoned decision not to refer),
-- follow-up tasks, the sanctions matrices for learners and staff, and the log's reviews.

-- The school's list of incident categories, seeded with a default drawn from the policies'
-- user-actions table. Each belongs to one KCSIE risk area; some mean suspected illegal material,
-- for which the report form tells staff not to open, copy or forward anything.
create table incident_categories (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  code text not null check (code ~ '^[a-z0-9_]{1,60}$'),
  label text not null check (length(label) between 1 and 200),
  risk_area text not null check (risk_area in ('content', 'contact', 'conduct', 'commerce')),
  suspected_illegal_material boolean not null default false,
  -- The law may be broken (illegal in the user-actions table): the flowchart sends it to the police.
  illegal boolean not null default false,
  position integer not null default 0,
  retired_at timestamptz,
  unique (school_id, code)
);

-- The sanctions matrices: rows (incident types) by columns (actions), one per subject.
create table sanction_actions (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  subject text not null check (subject in ('learner', 'staff')),
  label text not null check (length(label) between 1 and 200),
  -- What recording this action asks for: parents' details, an end date for access, or a referral.
  kind text not null default 'other' check (kind in ('inform_parents', 'remove_access', 'refer', 'warning', 'other')),
  position integer not null,
  -- Left out of the school's current matrix by a later import, but kept for incidents that used it.
  retired boolean not null default false,
  unique (school_id, subject, label)
);
create table sanction_incident_types (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  subject text not null check (subject in ('learner', 'staff')),
  label text not null check (length(label) between 1 and 500),
  -- The row for continued infringements after earlier warnings or sanctions.
  continued_infringement boolean not null default false,
  position integer not null,
  retired boolean not null default false,
  unique (school_id, subject, label)
);
create table sanction_recommendations (
  school_id uuid not null references schools(id),
  incident_type_id uuid not null references sanction_incident_types(id) on delete cascade,
  action_id uuid not null references sanction_actions(id) on delete cascade,
  primary key (incident_type_id, action_id)
);
create index on sanction_recommendations (school_id);

create table incidents (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  -- INC-<year>-<number>, numbered per school and year.
  reference text not null,
  status text not null default 'reported' check (status in ('reported', 'triaged', 'in_progress', 'waiting_on_agency', 'closed')),
  severity text check (severity in ('low', 'medium', 'high', 'serious_harm')),
  category_id uuid not null references incident_categories(id),
  summary text not null check (length(summary) between 1 and 10000),
  occurred_at timestamptz not null,
  location text check (length(location) <= 200),
  device text check (length(device) <= 200),
  came_to_light text not null check (came_to_light in ('staff_saw', 'pupil_told', 'parent_told', 'filtering_alert', 'monitoring_alert', 'outside_agency', 'other')),
  -- An inappropriate website report: the address and what was seen there.
  website_url text check (length(website_url) <= 2000),
  website_seen text check (length(website_seen) <= 5000),
  concern_about_staff boolean not null default false,
  concern_about_headteacher boolean not null default false,
  -- For suspected illegal material: where the device is held now, untouched.
  device_held_at text check (length(device_held_at) <= 500),
  reported_by uuid references people(id),
  reported_by_user uuid references users(id),
  reported_at timestamptz not null default now(),
  reported_via text not null default 'browser' check (reported_via in ('browser', 'api')),
  handler_id uuid references people(id),
  learner_incident_type_id uuid references sanction_incident_types(id),
  staff_incident_type_id uuid references sanction_incident_types(id),
  outcome text check (length(outcome) <= 10000),
  feedback_given text check (length(feedback_given) <= 10000),
  lessons_learned text check (length(lessons_learned) <= 10000),
  -- What should change: any of policy, filtering, curriculum, training.
  changes_needed text[] not null default '{}',
  closed_at timestamptz,
  closed_by uuid references users(id),
  updated_at timestamptz not null default now(),
  unique (school_id, reference)
);
create index incidents_school_reported on incidents (school_id, reported_at desc);
create index incidents_school_status on incidents (school_id, status, reported_at desc);
create index incidents_school_category on incidents (school_id, category_id);
create index incidents_handler on incidents (school_id, handler_id);
create index incidents_reporter on incidents (school_id, reported_by);

-- Who was involved, and how.
create table incident_people (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  incident_id uuid not null references incidents(id),
  person_id uuid not null references people(id),
  role text not null check (role in ('affected', 'alleged', 'witness', 'reporter')),
  unique (incident_id, person_id, role)
);
create index on incident_people (school_id, person_id);
create index on incident_people (incident_id);

-- Everything done about an incident, in order: triage decisions, sanctions, parents told,
-- access removed, notes, closing. Each carries who, when and why.
create table incident_actions (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  incident_id uuid not null references incidents(id),
  kind text not null check (kind in ('reported', 'triage', 'sanction', 'parents_informed', 'access_removed', 'referral', 'note', 'closed', 'reopened')),
  at timestamptz not null default now(),
  by_person_id uuid references people(id),
  by_user_id uuid references users(id),
  -- The person the action concerns (a pupil warned, a member of staff referred).
  person_id uuid references people(id),
  sanction_action_id uuid references sanction_actions(id),
  -- False records a decision NOT to take the action (not to tell parents, say), with its reason.
  taken boolean not null default true,
  notes text check (length(notes) <= 5000),
  reason text check (length(reason) <= 5000),
  -- Informing parents or carers: when, how and by whom.
  informed_on date,
  informed_how text check (informed_how in ('in_person', 'phone', 'letter', 'email', 'meeting')),
  informed_by uuid references people(id),
  -- Removing access: until when (the technology access decision it made).
  access_until date,
  access_decision_id uuid,
  -- The decision's fields, by name (severity, handler, status), never free text.
  detail jsonb not null default '{}',
  check (taken or length(reason) > 0)
);
create index on incident_actions (incident_id, at);
create index on incident_actions (school_id, person_id);

-- Referral to an outside agency, or a recorded decision not to refer and why.
create table incident_referrals (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  incident_id uuid not null references incidents(id),
  decision text not null check (decision in ('referred', 'not_referred')),
  agency text not null check (agency in ('police', 'local_safeguarding', 'lado', 'ceop', 'iwf', 'local_authority', 'other')),
  agency_reference text check (length(agency_reference) <= 200),
  referred_on date,
  referred_by uuid references people(id),
  reason text check (length(reason) <= 5000),
  recorded_by uuid references users(id),
  recorded_at timestamptz not null default now(),
  check (decision = 'not_referred' or referred_on is not null),
  check (decision = 'referred' or length(reason) > 0)
);
create index on incident_referrals (incident_id);

-- Follow-up tasks with an owner and a due date.
create table incident_tasks (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  incident_id uuid not null references incidents(id),
  description text not null check (length(description) between 1 and 1000),
  owner_id uuid not null references people(id),
  due_on date not null,
  done_at timestamptz,
  done_by uuid references users(id),
  created_by uuid references users(id),
  created_at timestamptz not null default now()
);
create index on incident_tasks (school_id, done_at, due_on);
create index on incident_tasks (incident_id);
