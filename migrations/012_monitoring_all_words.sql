-- A school's own all-words rules ("pills | tablets + lethal | how many"): groups of words that
-- must all be in a search, in any order (see docs/monitoring.md). A rule is longer than a phrase.
alter table monitoring_phrases drop constraint if exists monitoring_phrases_match_check;
alter table monitoring_phrases add constraint monitoring_phrases_match_check check (match in ('word', 'phrase', 'all'));
alter table monitoring_phrases drop constraint if exists monitoring_phrases_phrase_check;
alter table monitoring_phrases add constraint monitoring_phrases_phrase_check check (length(phrase) between 1 and 2000);
