-- Acceptable use agreements, keeping everyone current: the school's yearly renewal date and how
-- often to chase, the record of each renewal started (one a year), and every reminder or chaser
-- sent (or that failed), so nobody is emailed twice in one period and a failure is shown.

create table agreement_renewal_settings (
  school_id uuid primary key references schools(id),
  -- The day each year the renewal starts by itself (e.g. 1 September); null: started by hand.
  renewal_month integer check (renewal_month between 1 and 12),
  renewal_day integer check (renewal_day between 1 and 31),
  -- The next day a renewal is due to start: set when the setting is saved, moved on a year when it starts.
  next_renewal_on date,
  -- How often a person who has not signed is chased by email; null: no chasers.
  chase_every_days integer check (chase_every_days between 1 and 90),
  updated_by uuid references users(id),
  updated_at timestamptz not null default now(),
  check ((renewal_month is null) = (renewal_day is null)),
  check ((renewal_month is null) = (next_renewal_on is null))
);

-- One row per school and renewal year: starting the same year's renewal twice does nothing.
create table agreement_renewals (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  renewal_year integer not null,
  started_at timestamptz not null default now(),
  -- null: started by the scheduler.
  started_by uuid references users(id),
  unique (school_id, renewal_year)
);

-- Each reminder or chaser emailed (or tried): to whom, why, and what became of it.
create table agreement_chasers (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  person_id uuid not null references people(id),
  agreement_id uuid references agreements(id),
  -- chaser: they have not signed; resign: a version that changes the meaning was published.
  reason text not null check (reason in ('chaser', 'resign')),
  email_status text not null check (email_status in ('sent', 'failed')),
  link_id uuid references agreement_links(id),
  sent_at timestamptz not null default now()
);
create index on agreement_chasers (school_id, person_id, sent_at desc);
create index on agreement_chasers (school_id, email_status, sent_at desc);

-- When a signature was entered in Harbour (for paper signatures signed_at is the date on the paper).
alter table agreement_signatures add column recorded_at timestamptz not null default now();
