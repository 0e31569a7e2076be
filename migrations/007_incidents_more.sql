-- More of the incident log: evidence files (encrypted on disk, never in the database), drafts
-- of reports not yet sent, and the log's half-termly or termly reviews with their sign-off.

-- Evidence files. The bytes live encrypted under DATA_DIR/evidence; the row keeps what is
-- needed to find, check and serve them. sha256 is of the file as uploaded (the plaintext).
create table incident_evidence (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  incident_id uuid not null references incidents(id),
  filename text not null check (length(filename) between 1 and 255),
  content_type text not null check (length(content_type) <= 100),
  size_bytes integer not null check (size_bytes > 0),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  uploaded_by uuid references people(id),
  uploaded_by_user uuid references users(id),
  uploaded_at timestamptz not null default now()
);
create index on incident_evidence (incident_id);
create index on incident_evidence (school_id);

-- A report not yet sent, kept per user and school: saved on every submit, so a validation
-- error or a timed-out session never loses it. Gone once the report is sent or discarded.
create table incident_drafts (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  user_id uuid not null references users(id),
  fields jsonb not null default '{}',
  updated_at timestamptz not null default now(),
  unique (school_id, user_id)
);

-- A review of the incident log by the headteacher or the chair of governors: the period it
-- covers, the counts seen, and the sign-off (who, when, notes).
create table incident_reviews (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  period_from timestamptz,
  period_to timestamptz not null,
  signed_off_by uuid not null references people(id),
  signed_off_by_user uuid references users(id),
  signed_off_role text not null check (signed_off_role in ('headteacher', 'chair_of_governors')),
  signed_off_at timestamptz not null default now(),
  notes text check (length(notes) <= 5000),
  counts jsonb not null default '{}'
);
create index on incident_reviews (school_id, period_to desc);

-- Searching and filtering a long log: by occurrence date, and words in the summary or reference.
create extension if not exists pg_trgm;
create index incidents_school_occurred on incidents (school_id, occurred_at desc);
create index incidents_summary_trgm on incidents using gin (summary gin_trgm_ops);
