-- Filtering and monitoring digests: a daily digest (by default for the headteacher and the
-- online safety lead, on school days) and a weekly summary (by default for the computing lead),
-- each switched on or off, timed and addressed by the school. A school with no row gets the
-- defaults; the scheduler writes the row when it first sends, to remember what it has sent.
create table monitoring_digest_settings (
  school_id uuid primary key references schools(id),
  daily_enabled boolean not null default true,
  -- The hour (Europe/London, 0 to 23) the daily digest goes, Monday to Friday.
  daily_hour integer not null default 16 check (daily_hour between 0 and 23),
  daily_roles text[] not null default '{headteacher,online_safety_lead}',
  weekly_enabled boolean not null default true,
  -- ISO weekday (1 Monday to 7 Sunday) and hour (Europe/London) of the weekly summary.
  weekly_day integer not null default 5 check (weekly_day between 1 and 7),
  weekly_hour integer not null default 16 check (weekly_hour between 0 and 23),
  weekly_roles text[] not null default '{computing_lead}',
  -- What was last sent: the day it was due for, and when (the next one covers from then).
  daily_sent_for date,
  daily_sent_at timestamptz,
  weekly_sent_for date,
  weekly_sent_at timestamptz,
  updated_by uuid references users(id),
  updated_at timestamptz not null default now(),
  check (not daily_enabled or cardinality(daily_roles) >= 1),
  check (not weekly_enabled or cardinality(weekly_roles) >= 1)
);
