-- Acceptable use agreements: what became of the copy a visitor asked for by email at the kiosk,
-- so a copy that could not be sent is shown to reception and can be sent again. The signature
-- itself never depends on it.
alter table agreement_signatures add column copy_email_status text check (copy_email_status in ('sent', 'failed'));
alter table agreement_signatures add column copy_email_attempted_at timestamptz;
create index on agreement_signatures (school_id, copy_email_status) where copy_email_status = 'failed';
