-- Harbour's foundation: organisations, schools, people, roles, accounts, sessions,
-- tokens, API keys and the append-only audit trail.

-- What this database holds: demo data or a real school. Demo data never joins a real school.
create table installation (
  id boolean primary key default true check (id),
  mode text not null check (mode in ('demo', 'real')),
  created_at timestamptz not null default now()
);

create table organisations (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  kind text not null check (kind in ('trust', 'federation', 'local_authority')),
  created_at timestamptz not null default now()
);

create table schools (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid references organisations(id),
  name text not null check (length(name) between 1 and 200),
  urn text check (urn ~ '^[0-9]{6}$'),
  idle_timeout_minutes integer not null default 20 check (idle_timeout_minutes between 5 and 240),
  created_at timestamptz not null default now()
);
create index on schools (organisation_id);

create table people (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  kind text not null check (kind in ('staff', 'governor', 'pupil', 'parent', 'visitor', 'contractor', 'technician')),
  given_name text not null check (length(given_name) between 1 and 100),
  family_name text not null check (length(family_name) between 1 and 100),
  preferred_name text,
  email text check (email is null or email ~ '^[^@\s]+@[^@\s]+$'),
  phone text,
  upn text,
  mis_id text,
  year_group text,
  class_name text,
  date_of_birth date,
  gender text,
  job_title text,
  organisation_name text,
  left_on date,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index people_upn on people (school_id, upn) where upn is not null;
create unique index people_mis_id on people (school_id, kind, mis_id) where mis_id is not null;
create index people_school_kind on people (school_id, kind, family_name, given_name);
create index people_school_email on people (school_id, lower(email));

-- Parents and carers linked to their children (both people of the same school).
create table guardianships (
  school_id uuid not null references schools(id),
  parent_id uuid not null references people(id),
  child_id uuid not null references people(id),
  relationship text not null default 'parent',
  has_parental_responsibility boolean not null default true,
  primary key (parent_id, child_id)
);
create index on guardianships (school_id, child_id);

-- Roles a person holds in their school; a person may hold several.
create table role_assignments (
  school_id uuid not null references schools(id),
  person_id uuid not null references people(id),
  role text not null,
  assigned_at timestamptz not null default now(),
  primary key (person_id, role)
);
create index on role_assignments (school_id, role);

-- Accounts: the few people who sign in. An account links to one person in each school it works in.
create table users (
  id uuid primary key default gen_random_uuid(),
  email text not null,
  display_name text not null,
  password_hash text,
  totp_secret text,
  totp_enabled_at timestamptz,
  failed_sign_ins integer not null default 0,
  locked_until timestamptz,
  disabled_at timestamptz,
  last_sign_in_at timestamptz,
  created_at timestamptz not null default now()
);
create unique index users_email on users (lower(email));

create table memberships (
  user_id uuid not null references users(id),
  school_id uuid not null references schools(id),
  person_id uuid not null references people(id),
  created_at timestamptz not null default now(),
  primary key (user_id, school_id),
  unique (person_id)
);
create index on memberships (school_id);

create table sessions (
  sid text primary key,
  data jsonb not null,
  expires_at timestamptz not null
);
create index on sessions (expires_at);

-- One-use tokens sent by email (password reset, invitation). Only a hash is stored.
create table user_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users(id),
  school_id uuid references schools(id),
  purpose text not null check (purpose in ('reset', 'invite')),
  token_hash text not null unique,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);

create table api_keys (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  name text not null check (length(name) between 1 and 100),
  prefix text not null unique,
  key_hash text not null,
  scopes text[] not null,
  created_by uuid references users(id),
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index on api_keys (school_id);

-- People imports: each run is kept so a later full import can offer leavers.
create table people_imports (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  kind text not null,
  file_name text not null,
  file_sha256 text not null,
  full_import boolean not null,
  created_count integer not null,
  updated_count integer not null,
  unchanged_count integer not null,
  missing_person_ids uuid[] not null default '{}',
  created_by uuid references users(id),
  created_at timestamptz not null default now()
);

-- The audit trail: one hash chain per school (and one for events with no school).
create table audit_events (
  id bigserial primary key,
  chain text not null,
  seq bigint not null,
  school_id uuid references schools(id),
  at timestamptz not null default now(),
  actor_user_id uuid,
  actor_label text not null,
  action text not null,
  record_type text,
  record_id text,
  ip text,
  detail jsonb not null default '{}',
  prev_hash text not null,
  hash text not null,
  unique (chain, seq)
);
create index on audit_events (school_id, at desc);
create index on audit_events (school_id, record_type, record_id);

create function audit_events_are_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'the audit trail is append-only: % is not allowed', tg_op;
end $$;
create trigger audit_events_no_update before update or delete on audit_events
  for each row execute function audit_events_are_append_only();
create trigger audit_events_no_truncate before truncate on audit_events
  for each statement execute function audit_events_are_append_only();
