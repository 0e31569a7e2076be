-- Searching the incident log for a reference (INC-2019-0042, or part of it) by the same trigram
-- index as words in the summary, so a search over ten years of incidents never reads them all.
create extension if not exists pg_trgm;
create index if not exists incidents_reference_trgm on incidents using gin (reference gin_trgm_ops);
