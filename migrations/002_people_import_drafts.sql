-- People imports in the browser take three steps (upload, map columns, check, import). The
-- uploaded CSV waits here between steps, never in a URL, and is deleted when the import is
-- committed (or replaced by the same person's next upload after a day).
create table people_import_drafts (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references schools(id),
  created_by uuid references users(id),
  kind text not null check (kind in ('pupils', 'staff', 'contacts')),
  full_import boolean not null default false,
  file_name text not null,
  file_sha256 text not null,
  csv_text text not null,
  mapping jsonb not null default '{}',
  created_at timestamptz not null default now()
);
create index on people_import_drafts (school_id, created_at);

-- A member of staff's title (Mr, Ms, Dr), as MIS staff exports give it.
alter table people add column title text;
