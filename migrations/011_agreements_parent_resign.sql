-- Acceptable use agreements: the parents' links owed after a version of the parents' agreement
-- that changes the meaning. Publishing only records that the links are owed (one row, in the
-- publishing transaction); the agreements jobs then email each parent who still has a child to
-- sign for, in batches. Each parent is claimed before their link is sent (one row per parent
-- and version), so nobody gets two links for the same version from this, even when the
-- in-process scheduler and cron run at once.
create table agreement_resign_runs (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  agreement_id uuid not null references agreements(id),
  version_id uuid not null unique references agreement_versions(id),
  owed_at timestamptz not null default now(),
  -- Set when every parent owed a link has had one (or been tried), or a newer version took over.
  finished_at timestamptz,
  sent integer not null default 0,
  failed integer not null default 0
);
create index on agreement_resign_runs (school_id) where finished_at is null;

create table agreement_resign_recipients (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  run_id uuid not null references agreement_resign_runs(id),
  parent_id uuid not null references people(id),
  -- pending: claimed, the link not yet made or emailed; skipped: by then they had no child to sign for or no address.
  status text not null default 'pending' check (status in ('pending', 'sent', 'failed', 'skipped')),
  link_id uuid references agreement_links(id),
  claimed_at timestamptz not null default now(),
  unique (run_id, parent_id)
);
