-- Acceptable use agreements: one agreement per school and audience, its published versions,
-- the signatures (each pointing at the exact text signed), parents' signing links, parents'
-- requests that the school explain the agreement to their child, reception kiosks, and the
-- technology access register's decisions (withdrawals and restrictions).

create table agreements (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  audience text not null check (audience in ('eyfs_ks1', 'ks2', 'older_pupils', 'staff_governors', 'visitors', 'parents')),
  title text not null check (length(title) between 1 and 200),
  -- The yearly renewal: signatures made before this moment no longer count as current.
  renewal_started_at timestamptz,
  created_at timestamptz not null default now(),
  unique (school_id, audience)
);

create table agreement_versions (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  agreement_id uuid not null references agreements(id),
  number integer not null check (number >= 1),
  body text not null check (length(body) between 1 and 50000),
  body_sha256 text not null check (body_sha256 ~ '^[0-9a-f]{64}$'),
  -- True when this version changes the meaning: everyone in the audience signs again.
  -- A correction (false) leaves earlier signatures current.
  requires_resign boolean not null,
  change_note text,
  published_at timestamptz not null default now(),
  published_by uuid references users(id),
  unique (agreement_id, number)
);
create index on agreement_versions (school_id, agreement_id, number desc);

-- Personal signing links for parents and carers. Only a hash of the token is kept.
create table agreement_links (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  parent_id uuid not null references people(id),
  token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
  expires_at timestamptz not null,
  used_at timestamptz,
  -- Set when a newer link replaces this one (sent again): the old link then signs nothing.
  replaced_at timestamptz,
  email_status text not null default 'pending' check (email_status in ('pending', 'sent', 'failed', 'no_address')),
  email_attempted_at timestamptz,
  created_by uuid references users(id),
  created_at timestamptz not null default now()
);
create index on agreement_links (school_id, parent_id, created_at desc);

create table agreement_signatures (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  agreement_id uuid not null references agreements(id),
  version_id uuid not null references agreement_versions(id),
  -- A copy of the version's hash at the moment of signing: what was signed, provably.
  text_sha256 text not null check (text_sha256 ~ '^[0-9a-f]{64}$'),
  -- Who signed (a parent signs for a child; a teacher records a class of the youngest) ...
  signer_id uuid not null references people(id),
  -- ... and for whom the agreement holds.
  subject_id uuid not null references people(id),
  signed_name text not null check (length(signed_name) between 1 and 200),
  method text not null check (method in ('in_harbour', 'link', 'kiosk', 'class', 'paper')),
  recorded_by uuid references users(id),
  link_id uuid references agreement_links(id),
  -- At the reception kiosk: who the visitor came to see, and the day of the visit.
  visiting text check (visiting is null or length(visiting) <= 200),
  visit_on date,
  user_agent text,
  ip text,
  signed_at timestamptz not null default now(),
  unique (version_id, signer_id, subject_id)
);
create index on agreement_signatures (school_id, subject_id, agreement_id);
create index on agreement_signatures (school_id, signed_at);

-- A parent or carer who cannot go through the agreement with their child asks the school to.
create table agreement_explain_requests (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  agreement_id uuid not null references agreements(id),
  version_id uuid not null references agreement_versions(id),
  parent_id uuid not null references people(id),
  child_id uuid not null references people(id),
  link_id uuid references agreement_links(id),
  requested_at timestamptz not null default now(),
  explained_at timestamptz,
  explained_by uuid references users(id),
  unique (version_id, parent_id, child_id)
);
create index on agreement_explain_requests (school_id, explained_at);

-- A reception tablet in kiosk mode: the token lives in the tablet's cookie, its hash here.
create table agreement_kiosks (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  name text not null check (length(name) between 1 and 100),
  token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
  started_by uuid references users(id),
  started_at timestamptz not null default now(),
  ended_at timestamptz,
  ended_by uuid references users(id)
);

-- The technology access register's decisions. Whether a person may use technology because
-- they hold a current agreement (allowed / not yet) is worked out from the signatures, never
-- stored, so it cannot go stale; what is stored is a decision that overrides it.
create table technology_access_decisions (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  person_id uuid not null references people(id),
  status text not null check (status in ('withdrawn', 'restricted')),
  reason_kind text not null check (reason_kind in ('incident_sanction', 'parent_request', 'safeguarding', 'medical_or_welfare', 'other')),
  -- The detail, for those who manage the register; never shown to all staff or sent to the IT provider.
  reason_detail text check (reason_detail is null or length(reason_detail) <= 2000),
  starts_on date not null default current_date,
  -- The decision ends by itself after this day (a withdrawal's end date); null: until lifted.
  ends_on date,
  source_type text,
  source_id uuid,
  decided_by uuid references users(id),
  decided_at timestamptz not null default now(),
  lifted_at timestamptz,
  lifted_by uuid references users(id),
  check (ends_on is null or ends_on >= starts_on)
);
create index on technology_access_decisions (school_id, person_id);
create index on technology_access_decisions (school_id, decided_at);
