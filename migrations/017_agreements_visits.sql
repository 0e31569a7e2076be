-- Acceptable use agreements: the visitors' log at the reception kiosk. A returning visitor is
-- the same person and signs a version once, so the signature cannot hold every visit: each
-- visit is a row of its own (who came, whom they came to see, the date they gave and the moment
-- they signed in, the kiosk) pointing at the signature it relied on, made by that visit or
-- an earlier one. A double tap is one visit: the kiosk looks for the same person's visit of the
-- same day and host in the last few minutes, under the visitor's advisory lock.
create table agreement_visits (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  kiosk_id uuid not null references agreement_kiosks(id),
  visitor_id uuid not null references people(id),
  signature_id uuid not null references agreement_signatures(id),
  -- True when this visit made the signature; false when it relied on one made before.
  signed_this_visit boolean not null,
  visiting text not null check (length(visiting) between 1 and 200),
  visit_on date not null,
  arrived_at timestamptz not null default now(),
  user_agent text,
  ip text
);
create index on agreement_visits (school_id, visit_on);
create index on agreement_visits (school_id, arrived_at);
create index on agreement_visits (school_id, visitor_id, arrived_at);
