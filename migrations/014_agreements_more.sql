-- Acceptable use agreements: the reminder owed to everyone when a renewal starts. Starting a
-- renewal (the yearly one, or one agreement's by hand) records in the same transaction that
-- one reminder is owed to each person then due who has an email address; the agreements jobs
-- send them in batches, claiming each person first (one row per person and renewal), so nobody
-- is reminded twice for the same renewal however many runs overlap. Each outcome is also kept
-- with the other reminders (agreement_chasers, reason 'renewal'), where a failure is listed to
-- send again. It does not depend on the periodic chasers being switched on.

alter table agreement_chasers drop constraint agreement_chasers_reason_check;
alter table agreement_chasers add constraint agreement_chasers_reason_check check (reason in ('chaser', 'resign', 'renewal'));

create table agreement_reminder_runs (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  agreement_id uuid not null references agreements(id),
  -- The renewal reminded of: the agreement's renewal_started_at when it started.
  renewal_started_at timestamptz not null,
  owed_at timestamptz not null default now(),
  -- Set when everyone owed a reminder has had one (or been tried), or a later renewal took over.
  finished_at timestamptz,
  sent integer not null default 0,
  failed integer not null default 0,
  unique (agreement_id, renewal_started_at)
);
create index on agreement_reminder_runs (school_id) where finished_at is null;

create table agreement_reminder_recipients (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  run_id uuid not null references agreement_reminder_runs(id),
  person_id uuid not null references people(id),
  -- pending: claimed, not yet emailed; skipped: by then they had nothing to sign or no address.
  status text not null default 'pending' check (status in ('pending', 'sent', 'failed', 'skipped')),
  chaser_id uuid references agreement_chasers(id),
  claimed_at timestamptz not null default now(),
  unique (run_id, person_id)
);
