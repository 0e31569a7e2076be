-- Filtering and monitoring: the alerts ingest stores from the filter's logs, where ingest got
-- to in each log file (so it neither loses nor repeats an alert), the school's mapping of
-- usernames and addresses to people or rooms, and the school's own phrase additions and
-- exclusions.

-- Where ingest got to in one log file. A file is known by a hash of its first bytes (up to
-- 4 KiB of its decompressed content), so a log rotated and gzip'd is still the same file,
-- and a new file at the same path is a new one.
create table monitoring_ingest_positions (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  -- The path it was last read from (for people; the identity is head_sha256).
  source text not null check (length(source) between 1 and 1000),
  head_len integer not null check (head_len between 1 and 4096),
  head_sha256 text not null check (head_sha256 ~ '^[0-9a-f]{64}$'),
  format text not null check (format in ('squid', 'e2guardian', 'e2guardian-csv', 'csv')),
  -- Bytes of (decompressed) content read, and the number of the last line read.
  byte_offset bigint not null default 0 check (byte_offset >= 0),
  line_number bigint not null default 0 check (line_number >= 0),
  rejected_lines bigint not null default 0,
  -- The detector's open groups and recent blocks, so a repeat after a restart is grouped as it would have been.
  detector_state jsonb not null default '{}',
  updated_at timestamptz not null default now(),
  unique (school_id, head_len, head_sha256)
);

-- Usernames and client addresses (or device names) the filter logs, mapped to a person or a room.
create table monitoring_identities (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  kind text not null check (kind in ('username', 'address')),
  value text not null check (length(value) between 1 and 200),
  person_id uuid references people(id),
  room text check (length(room) between 1 and 100),
  created_by uuid references users(id),
  created_at timestamptz not null default now(),
  check ((person_id is null) <> (room is null))
);
create unique index monitoring_identities_value on monitoring_identities (school_id, kind, lower(value));

-- One alert: a request (or a group of repeats) the detector raised, and what the school did about it.
create table monitoring_alerts (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  -- The log file (its identity) and line the alert starts at: the same line never makes two alerts.
  position_id uuid references monitoring_ingest_positions(id),
  source text not null,
  line bigint not null check (line >= 1),
  occurred_at timestamptz not null,
  user_name text,
  client text,
  person_id uuid references people(id),
  room text,
  url text not null,
  query text,
  risk text not null,
  severity text not null check (severity in ('low', 'medium', 'high', 'critical')),
  blocked boolean not null,
  reason text not null,
  group_count integer not null default 1 check (group_count >= 1),
  status text not null default 'new' check (status in ('new', 'acknowledged', 'dismissed', 'escalated')),
  dismissed_reason text,
  incident_id uuid,
  acted_by uuid references users(id),
  acted_at timestamptz,
  -- When the safeguarding leads were emailed (high and critical alerts only).
  notified_at timestamptz,
  created_at timestamptz not null default now(),
  check (status <> 'dismissed' or length(dismissed_reason) >= 1)
);
create unique index monitoring_alerts_origin on monitoring_alerts (school_id, position_id, line);
create index monitoring_alerts_queue on monitoring_alerts (school_id, status, occurred_at desc);

-- The school's own phrases: additions to Harbour's libraries and exclusions from them, each
-- with the written reason that also goes in the audit trail. A removed one keeps its row.
create table monitoring_phrases (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  action text not null check (action in ('add', 'exclude')),
  risk text not null,
  phrase text not null check (length(phrase) between 1 and 200),
  severity text not null check (severity in ('low', 'medium', 'high', 'critical')),
  match text not null default 'phrase' check (match in ('word', 'phrase')),
  intent boolean not null default false,
  reason text not null check (length(reason) between 1 and 2000),
  created_by uuid references users(id),
  created_at timestamptz not null default now(),
  removed_at timestamptz,
  removed_by uuid references users(id)
);
create index on monitoring_phrases (school_id, removed_at);

-- Requests to change the filtering: a member of staff asks for a site or category to be
-- unblocked or blocked, for whom, why and until when; a lead approves or declines; the IT
-- provider marks it done; it expires by itself on its end date. Every step is audited.
create table filtering_change_requests (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  kind text not null check (kind in ('unblock', 'block')),
  target text not null check (length(target) between 1 and 500),
  for_whom text not null check (length(for_whom) between 1 and 500),
  reason text not null check (length(reason) between 1 and 2000),
  ends_on date,
  status text not null default 'requested' check (status in ('requested', 'approved', 'declined', 'done', 'expired')),
  requested_by uuid references users(id),
  requested_at timestamptz not null default now(),
  decided_by uuid references users(id),
  decided_at timestamptz,
  decision_note text,
  done_by uuid references users(id),
  done_at timestamptz,
  expired_at timestamptz,
  check (status <> 'declined' or length(decision_note) >= 1)
);
create index on filtering_change_requests (school_id, status);

-- The DfE filtering and monitoring standards' records: who holds each responsibility, the
-- leadership's decisions on what is blocked or allowed and why, the annual review (a checklist
-- with evidence and sign-off) and the log of filtering checks.
create table filtering_responsibilities (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  responsibility text not null check (responsibility in ('senior_leader', 'governor', 'safeguarding_lead', 'it_provider')),
  holder text not null check (length(holder) between 1 and 200),
  person_id uuid references people(id),
  updated_by uuid references users(id),
  updated_at timestamptz not null default now(),
  unique (school_id, responsibility)
);

create table filtering_decisions (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  decided_on date not null,
  decision text not null check (length(decision) between 1 and 2000),
  reason text not null check (length(reason) between 1 and 2000),
  recorded_by uuid references users(id),
  created_at timestamptz not null default now()
);

create table filtering_reviews (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  started_on date not null default current_date,
  -- { item key: { done: boolean, evidence: text } }
  items jsonb not null default '{}',
  signed_off_by uuid references users(id),
  signed_off_at timestamptz,
  created_by uuid references users(id),
  created_at timestamptz not null default now()
);

create table filtering_checks (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  checked_on date not null,
  device text not null check (length(device) between 1 and 200),
  user_group text not null check (length(user_group) between 1 and 200),
  tested text not null check (length(tested) between 1 and 2000),
  result text not null check (result in ('pass', 'fail')),
  notes text,
  checked_by text not null check (length(checked_by) between 1 and 200),
  recorded_by uuid references users(id),
  created_at timestamptz not null default now()
);
