// Keeping everyone current: the school's yearly renewal date, the jobs that start it and chase
// whoever has not signed, the emails asking staff to sign a version that changes the meaning,
// paper signatures entered by staff, and the class teacher's list of pupils whose parents have
// no email address. Emails carry the school's name and a link, never a child's name or detail.
import type { Database, Queryable } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { audit, systemActor, type Actor } from '../../platform/audit/audit';
import type { Mailer } from '../../platform/mail/mailer';
import { AgreementFieldError, agreementById, explainAskedSql, oweRenewalReminders, recordSignature, sendParentLink, standingCtes } from './service';
import { audienceOf } from './audiences';

export interface RenewalSettings {
  renewal_month: number | null;
  renewal_day: number | null;
  next_renewal_on: string | null;
  chase_every_days: number | null;
  updated_at: Date | null;
}

/** The day (YYYY-MM-DD) it is in England at this moment. */
export function londonDate(now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(now);
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The first day on or after `from` (YYYY-MM-DD) that is the renewal day (a 29 or 31 that a month lacks falls on its last day). */
export function nextRenewalOn(month: number, day: number, from: string): string {
  const fromYear = Number(from.slice(0, 4));
  for (const year of [fromYear, fromYear + 1]) {
    const d = `${year}-${String(month).padStart(2, '0')}-${String(Math.min(day, daysIn(year, month))).padStart(2, '0')}`;
    if (d >= from) return d;
  }
  throw new Error('unreachable');
}

function addDays(date: string, n: number): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** The school's renewal settings (all empty when never saved). */
export async function renewalSettings(db: Queryable, schoolId: string): Promise<RenewalSettings> {
  const row = await schoolScope(db, schoolId).one<RenewalSettings>('agreement_renewal_settings', {});
  const fmt = (d: unknown) => (d instanceof Date ? londonDate(d) : (d as string | null));
  return row ? { ...row, next_renewal_on: fmt(row.next_renewal_on) } : { renewal_month: null, renewal_day: null, next_renewal_on: null, chase_every_days: null, updated_at: null };
}

/**
 * Saves when the yearly renewal starts (month and day, or neither: started by hand) and how
 * often to chase (days, or null: no chasers). The next renewal is the first such day from today.
 */
export async function saveRenewalSettings(db: Queryable, schoolId: string,
  input: { month: number | null; day: number | null; chaseEveryDays: number | null }, actor: Actor, ip: string | null, now = new Date()) {
  if ((input.month === null) !== (input.day === null)) throw new AgreementFieldError(input.day === null ? 'renewal_day' : 'renewal_month', 'Give both the day and the month the renewal starts, or neither');
  if (input.month !== null && input.day !== null && input.day > daysIn(2024, input.month)) throw new AgreementFieldError('renewal_day', 'That month does not have that many days');
  const next = input.month !== null && input.day !== null ? nextRenewalOn(input.month, input.day, londonDate(now)) : null;
  await schoolScope(db, schoolId).sql(
    `insert into agreement_renewal_settings (school_id, renewal_month, renewal_day, next_renewal_on, chase_every_days, updated_by, updated_at)
     values (:school, $1, $2, $3, $4, $5, now())
     on conflict (school_id) do update set renewal_month = $1, renewal_day = $2, next_renewal_on = $3, chase_every_days = $4, updated_by = $5, updated_at = now()`,
    [input.month, input.day, next, input.chaseEveryDays, actor.userId],
  );
  await audit(db, { schoolId, actor, action: 'agreements.renewal_settings_changed', recordType: 'school', recordId: schoolId, ip, detail: { fields: ['renewal_month', 'renewal_day', 'chase_every_days'] } });
  return { nextRenewalOn: next };
}

/**
 * Starts the renewal of every agreement of the school for a year. Starting the same year twice
 * does nothing (one row per school and year). Returns whether it started now.
 */
export async function startYearlyRenewal(db: Queryable, schoolId: string, year: number, now: Date, actor: Actor = systemActor) {
  const scope = schoolScope(db, schoolId);
  const [row] = await scope.sql<{ id: string }>(
    `insert into agreement_renewals (school_id, renewal_year, started_at, started_by) values (:school, $1, $2, $3)
     on conflict (school_id, renewal_year) do nothing returning id`, [year, now, actor.userId]);
  if (!row) return false;
  await scope.sql('update agreements set renewal_started_at = $1 where school_id = :school', [now]);
  await oweRenewalReminders(db, schoolId, null);
  await audit(db, { schoolId, actor, action: 'agreements.renewal_started', recordType: 'school', recordId: schoolId, detail: { year, renewalId: row.id, scheduled: actor.userId === null } });
  return true;
}

const schedulerActor: Actor = { userId: null, label: 'Harbour scheduler' };

export interface JobResult {
  renewalsStarted: number;
  sent: number;
  failed: number;
  /** Parents' links owed after a version of the parents' agreement that changes the meaning. */
  parentLinksSent: number;
  parentLinksFailed: number;
  /** The one reminder owed to everyone due with an address when a renewal starts. */
  remindersSent: number;
  remindersFailed: number;
}

/**
 * Everything that is due, for every school that has saved renewal settings (or only schoolId):
 * the yearly renewal on its day, then chasers to whoever has not signed. Safe to run as often
 * as you like: a renewal starts once a year, and nobody is chased twice within the period.
 * Reads the settings across schools (the job's list of work); all else goes through each school's scope.
 */
export async function runDueAgreementJobs(db: Database, mailer: Mailer, baseUrl: string, now = new Date(), opts: { schoolId?: string } = {}): Promise<JobResult> {
  const result: JobResult = { renewalsStarted: 0, sent: 0, failed: 0, parentLinksSent: 0, parentLinksFailed: 0, remindersSent: 0, remindersFailed: 0 };
  // First the parents' links owed after a new version, so a chaser in the same run does not send a second one.
  const links = await runOwedParentLinks(db, mailer, baseUrl, opts);
  result.parentLinksSent = links.sent;
  result.parentLinksFailed = links.failed;
  const schools = (await db.query<{ school_id: string }>(
    `select school_id from agreement_renewal_settings where ($1::uuid is null or school_id = $1) order by school_id`, [opts.schoolId ?? null])).rows;
  const today = londonDate(now);
  for (const { school_id: schoolId } of schools) {
    const started = await db.transaction(async (tx) => {
      const [s] = await schoolScope(tx, schoolId).sql<{ renewal_month: number | null; renewal_day: number | null; due: string | null }>(
        `select renewal_month, renewal_day, to_char(next_renewal_on, 'YYYY-MM-DD') as due from agreement_renewal_settings where school_id = :school for update`);
      if (!s?.due || s.due > today || s.renewal_month === null || s.renewal_day === null) return false;
      const ok = await startYearlyRenewal(tx, schoolId, Number(s.due.slice(0, 4)), now, schedulerActor);
      await schoolScope(tx, schoolId).sql('update agreement_renewal_settings set next_renewal_on = $1 where school_id = :school',
        [nextRenewalOn(s.renewal_month, s.renewal_day, addDays(today, 1))]);
      return ok;
    });
    if (started) result.renewalsStarted++;
  }
  // The reminders owed by a renewal (started above, or by hand), before the chasers, so that
  // nobody reminded now is chased again within the period.
  const reminded = await runOwedRenewalReminders(db, mailer, baseUrl, { schoolId: opts.schoolId, now });
  result.remindersSent = reminded.sent;
  result.remindersFailed = reminded.failed;
  for (const { school_id: schoolId } of schools) {
    const chased = await chaseUnsigned(db, mailer, baseUrl, schoolId, now);
    result.sent += chased.sent;
    result.failed += chased.failed;
  }
  return result;
}

async function schoolName(db: Queryable, schoolId: string) {
  const [s] = await schoolScope(db, schoolId).sql<{ name: string }>('select name from schools where id = :school');
  return s.name;
}

type ReminderReason = 'chaser' | 'resign' | 'renewal';

/** The email to a member of staff or governor: their school, and a link to sign in Harbour. Nothing else. */
function staffMessage(school: string, baseUrl: string, agreementId: string, reason: ReminderReason) {
  return {
    subject: reason === 'resign' ? `A new version of ${school}'s acceptable use agreement needs your signature`
      : reason === 'renewal' ? `Time to sign ${school}'s acceptable use agreement again for this year` : `Reminder: please sign ${school}'s acceptable use agreement`,
    text: (reason === 'resign'
      ? `${school} has published a new version of its acceptable use agreement for staff and governors that changes what it asks of you.\n\n`
      : reason === 'renewal'
        ? `${school} asks every member of staff and governor to sign its acceptable use agreement again each year, and this year's renewal has now started.\n\n`
        : `${school} asks every member of staff and governor to sign its current acceptable use agreement, and we have not yet had yours.\n\n`) +
      `Sign in to Harbour to read it and sign:\n${baseUrl}/agreements/sign/${agreementId}\n`,
  };
}

async function recordChaser(db: Database, schoolId: string, row: { personId: string; agreementId: string | null; reason: ReminderReason; status: 'sent' | 'failed'; linkId?: string | null; now: Date }) {
  return db.transaction(async (tx) => {
    const c = await schoolScope(tx, schoolId).insert<{ id: string }>('agreement_chasers', {
      person_id: row.personId, agreement_id: row.agreementId, reason: row.reason, email_status: row.status, link_id: row.linkId ?? null, sent_at: row.now,
    });
    if (row.status === 'failed') await audit(tx, { schoolId, actor: schedulerActor, action: 'agreement_chaser.email_failed', recordType: 'agreement_chaser', recordId: c.id, detail: { personId: row.personId, reason: row.reason } });
    return c.id;
  });
}

/**
 * Chases, by email, whoever has not signed and has an address: staff and governors get a link to
 * sign in Harbour, parents a new personal link. Nobody is emailed twice within the school's
 * period (an attempt that failed counts too, and is shown so it can be sent again by hand).
 * People without an address are on their class teacher's list instead.
 */
export async function chaseUnsigned(db: Database, mailer: Mailer, baseUrl: string, schoolId: string, now = new Date()) {
  const out = { sent: 0, failed: 0 };
  const settings = await renewalSettings(db, schoolId);
  if (!settings.chase_every_days) return out;
  const since = new Date(now.getTime() - settings.chase_every_days * 86_400_000);
  const scope = schoolScope(db, schoolId);
  const staff = await scope.sql<{ id: string; email: string; agreement_id: string }>(
    `with ${standingCtes()}
     select st.id, p.email, a.id as agreement_id from standing st join people p on p.id = st.id join agreements a on a.school_id = :school and a.audience = 'staff_governors'
      where st.audience = 'staff_governors' and st.own_state <> 'current' and p.email is not null
        and not exists (select 1 from agreement_chasers c where c.school_id = :school and c.person_id = st.id and c.sent_at > $1)
      order by st.id`, [since]);
  const school = staff.length ? await schoolName(db, schoolId) : '';
  for (const s of staff) {
    let status: 'sent' | 'failed' = 'sent';
    try {
      await mailer.send({ to: s.email, ...staffMessage(school, baseUrl, s.agreement_id, 'chaser') });
    } catch {
      status = 'failed';
    }
    await recordChaser(db, schoolId, { personId: s.id, agreementId: s.agreement_id, reason: 'chaser', status, now });
    out[status === 'sent' ? 'sent' : 'failed']++;
  }
  const parents = await scope.sql<{ id: string; agreement_id: string }>(
    `with ${standingCtes()}
     select distinct g.parent_id as id, a.id as agreement_id from guardianships g join standing st on st.id = g.child_id join people p on p.id = g.parent_id
       join agreements a on a.school_id = :school and a.audience = 'parents'
      where g.school_id = :school and st.parent_state <> 'current' and p.left_on is null and p.email is not null
        and not ${explainAskedSql('g.parent_id', 'g.child_id')}
        and not exists (select 1 from agreement_chasers c where c.school_id = :school and c.person_id = g.parent_id and c.sent_at > $1)
        and not exists (select 1 from agreement_links l where l.school_id = :school and l.parent_id = g.parent_id and l.created_at > $1 and l.email_status in ('sent', 'failed'))
      order by 1`, [since]);
  for (const p of parents) {
    const r = await sendParentLink(db, mailer, baseUrl, schoolId, p.id, schedulerActor, null);
    if (!r || r.status === 'no_address') continue;
    await recordChaser(db, schoolId, { personId: p.id, agreementId: p.agreement_id, reason: 'chaser', status: r.status, linkId: r.linkId, now });
    out[r.status === 'sent' ? 'sent' : 'failed']++;
  }
  if (out.sent || out.failed) await audit(db, { schoolId, actor: schedulerActor, action: 'agreements.chasers_sent', recordType: 'school', recordId: schoolId, detail: out });
  return out;
}

/**
 * After a version that changes the meaning is published: emails each member of staff and
 * governor with an address to sign it in Harbour. Only the staff and governors' agreement is
 * signed in Harbour; other audiences are asked through their own way of signing.
 */
export async function emailStaffToResign(db: Database, mailer: Mailer, baseUrl: string, schoolId: string, agreementId: string, now = new Date()) {
  const out = { sent: 0, failed: 0 };
  const agreement = await agreementById(db, schoolId, agreementId);
  if (!agreement || agreement.audience !== 'staff_governors') return out;
  const staff = await schoolScope(db, schoolId).sql<{ id: string; email: string }>(
    `with ${standingCtes()} select st.id, p.email from standing st join people p on p.id = st.id
      where st.audience = 'staff_governors' and st.own_state <> 'current' and p.email is not null order by st.id`);
  const school = await schoolName(db, schoolId);
  for (const s of staff) {
    let status: 'sent' | 'failed' = 'sent';
    try {
      await mailer.send({ to: s.email, ...staffMessage(school, baseUrl, agreementId, 'resign') });
    } catch {
      status = 'failed';
    }
    await recordChaser(db, schoolId, { personId: s.id, agreementId, reason: 'resign', status, now });
    out[status]++;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parents' links owed after a version of the parents' agreement that changes the meaning.
// Publishing records that they are owed (agreement_resign_runs); the jobs send them here.

/** How many parents' links are claimed and sent at a time. */
export const parentLinkBatchSize = 50;
/** A claim older than this whose link was never sent (the sender stopped part way) is tried again. */
const staleClaim = `interval '1 hour'`;

/**
 * SQL (after `with standingCtes(),`) naming, as `owed`, the parents still owed a link for run
 * $1 published at $2: they have an email address, have not left, still have a child to sign
 * for, have not yet been claimed for this version, and have not been sent a link (by hand or as
 * a reminder) since it was published. Parents without an address are left to the class
 * teacher's list, as in the renewal.
 */
const owedParentsSql = `owed as (
    select distinct g.parent_id as id from guardianships g join standing st on st.id = g.child_id join people p on p.id = g.parent_id
     where g.school_id = :school and p.school_id = :school and p.kind = 'parent' and p.left_on is null and p.email is not null
       and st.parent_state <> 'current' and not ${explainAskedSql('g.parent_id', 'g.child_id')}
       and not exists (select 1 from agreement_resign_recipients r where r.school_id = :school and r.run_id = $1 and r.parent_id = g.parent_id
                        and not (r.status = 'pending' and r.claimed_at < now() - ${staleClaim}))
       and not exists (select 1 from agreement_links l where l.school_id = :school and l.parent_id = g.parent_id and l.created_at >= $2 and l.email_status = 'sent')
  )`;

/**
 * Sends one school's owed parents' links: for each version owed (an older one a newer one
 * replaces is closed first), claims a batch of parents, sends each their personal link with
 * the parents' link code (same email; a failure is recorded on the link, shown on the parents'
 * page and can be sent again), and so on until none is left; then closes the version's run.
 * A parent is claimed once per version (a unique row), so nobody gets two links for the same
 * version from this, however many runs overlap. Audited with counts only.
 */
export async function sendOwedParentLinks(db: Database, mailer: Mailer, baseUrl: string, schoolId: string, opts: { batchSize?: number } = {}) {
  const out = { sent: 0, failed: 0 };
  const scope = schoolScope(db, schoolId);
  await scope.sql(
    `update agreement_resign_runs r set finished_at = now() from agreement_versions rv
      where r.school_id = :school and r.finished_at is null and rv.id = r.version_id
        and exists (select 1 from agreement_versions nv where nv.agreement_id = r.agreement_id and nv.requires_resign and nv.number > rv.number)`);
  const runs = await scope.sql<{ id: string; agreement_id: string; version_id: string; owed_at: Date }>(
    `select id, agreement_id, version_id, owed_at from agreement_resign_runs where school_id = :school and finished_at is null order by owed_at`);
  for (const run of runs) {
    const mine = { sent: 0, failed: 0 };
    for (;;) {
      const claimed = await scope.sql<{ id: string; parent_id: string }>(
        `with ${standingCtes()}, ${owedParentsSql}
         insert into agreement_resign_recipients (school_id, run_id, parent_id)
         select :school, $1, id from (select id from owed order by id limit $3) b
         on conflict (run_id, parent_id) do update set claimed_at = now()
           where agreement_resign_recipients.status = 'pending' and agreement_resign_recipients.claimed_at < now() - ${staleClaim}
         returning id, parent_id`, [run.id, run.owed_at, opts.batchSize ?? parentLinkBatchSize]);
      if (!claimed.length) break;
      for (const c of claimed) {
        const r = await sendParentLink(db, mailer, baseUrl, schoolId, c.parent_id, schedulerActor, null);
        const status = r?.status === 'sent' || r?.status === 'failed' ? r.status : 'skipped';
        await scope.update('agreement_resign_recipients', { id: c.id }, { status, link_id: r?.linkId ?? null });
        if (status !== 'skipped') mine[status]++;
      }
    }
    await db.transaction(async (tx) => {
      const closed = await closeBatchedRun(tx, schoolId, 'parentLinks', run.id);
      if (mine.sent || mine.failed || closed) {
        await audit(tx, { schoolId, actor: schedulerActor, action: 'agreements.parent_links_sent', recordType: 'agreement', recordId: run.agreement_id,
          detail: { versionId: run.version_id, sent: mine.sent, failed: mine.failed, finished: Boolean(closed) } });
      }
    });
    out.sent += mine.sent;
    out.failed += mine.failed;
  }
  return out;
}

/** The owed parents' links of every school (or only schoolId). Reads the runs across schools (the job's list of work); all else goes through each school's scope. */
export async function runOwedParentLinks(db: Database, mailer: Mailer, baseUrl: string, opts: { schoolId?: string; batchSize?: number } = {}) {
  return forEachSchoolOwed(db, 'parentLinks', opts.schoolId, (schoolId) => sendOwedParentLinks(db, mailer, baseUrl, schoolId, { batchSize: opts.batchSize }));
}

/** The two kinds of batched email run: each run's table, and the table of the recipients it has claimed. */
const batchedRuns = {
  parentLinks: { runs: 'agreement_resign_runs', recipients: 'agreement_resign_recipients' },
  renewalReminders: { runs: 'agreement_reminder_runs', recipients: 'agreement_reminder_recipients' },
} as const;
type BatchedRun = keyof typeof batchedRuns;

/** Closes a run, with its counts, once nobody is left to send to and no other run is part way through a batch. Returns whether it closed. */
async function closeBatchedRun(tx: Queryable, schoolId: string, kind: BatchedRun, runId: string): Promise<boolean> {
  const { runs, recipients } = batchedRuns[kind];
  const [closed] = await schoolScope(tx, schoolId).sql(
    `update ${runs} set finished_at = now(),
            sent = (select count(*) from ${recipients} r where r.school_id = :school and r.run_id = $1 and r.status = 'sent'),
            failed = (select count(*) from ${recipients} r where r.school_id = :school and r.run_id = $1 and r.status = 'failed')
      where school_id = :school and id = $1 and finished_at is null
        and not exists (select 1 from ${recipients} r where r.school_id = :school and r.run_id = $1 and r.status = 'pending')
     returning id`, [runId]);
  return Boolean(closed);
}

/** Sends what every school (or only schoolId) with an unfinished run of this kind is owed. Reads the runs across schools (the job's list of work); all else goes through each school's scope. */
async function forEachSchoolOwed(db: Database, kind: BatchedRun, onlySchoolId: string | undefined, send: (schoolId: string) => Promise<{ sent: number; failed: number }>) {
  const out = { sent: 0, failed: 0 };
  const schools = (await db.query<{ school_id: string }>(
    `select distinct school_id from ${batchedRuns[kind].runs} where finished_at is null and ($1::uuid is null or school_id = $1) order by school_id`, [onlySchoolId ?? null])).rows;
  for (const { school_id: schoolId } of schools) {
    const r = await send(schoolId);
    out.sent += r.sent;
    out.failed += r.failed;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The one reminder owed to everyone due when a renewal starts. Starting it records that the
// reminders are owed (agreement_reminder_runs); the jobs send them here, in batches.

/** How many people are claimed and reminded at a time. */
export const reminderBatchSize = 50;

/**
 * SQL (after `with standingCtes(),`) naming, as `owed`, the people still owed the reminder of
 * run $1 (agreement audience $2, renewal started at $3): members of staff and governors whose
 * own agreement is not current, or parents with a child to sign for (not one they asked the
 * school to explain it to); each with an email address, not yet claimed for this run, and not
 * already emailed since the renewal started. Those without an address are on their class
 * teacher's list instead (pupilsWithoutParentEmail).
 */
const owedRemindersSql = `owed as (
    select st.id from standing st join people p on p.id = st.id
     where $2::text = 'staff_governors' and st.audience = 'staff_governors' and st.own_state <> 'current' and p.email is not null
       and not exists (select 1 from agreement_chasers c where c.school_id = :school and c.person_id = st.id and c.sent_at >= $3 and c.email_status = 'sent')
    union
    select g.parent_id from guardianships g join standing st on st.id = g.child_id join people p on p.id = g.parent_id
     where $2::text = 'parents' and g.school_id = :school and p.school_id = :school and p.kind = 'parent' and p.left_on is null and p.email is not null
       and st.parent_state <> 'current' and not ${explainAskedSql('g.parent_id', 'g.child_id')}
       and not exists (select 1 from agreement_links l where l.school_id = :school and l.parent_id = g.parent_id and l.created_at >= $3 and l.email_status = 'sent')
  ),
  todo as (
    select id from owed
     where not exists (select 1 from agreement_reminder_recipients r where r.school_id = :school and r.run_id = $1 and r.person_id = owed.id
                        and not (r.status = 'pending' and r.claimed_at < now() - ${staleClaim}))
  )`;

/**
 * Sends one school's owed renewal reminders: a run a later renewal replaced is closed first;
 * then for each run, claims a batch of people, emails each (staff and governors a link to sign
 * in Harbour, parents a new personal link), saves each outcome with the other reminders (a
 * failure is listed on the renewal page to send again), and so on until none is left; then
 * closes the run. A person is claimed once per run (a unique row), so nobody gets two reminders
 * for one renewal however many runs overlap. Audited with counts only.
 */
export async function sendOwedRenewalReminders(db: Database, mailer: Mailer, baseUrl: string, schoolId: string, opts: { batchSize?: number; now?: Date } = {}) {
  const out = { sent: 0, failed: 0 };
  const now = opts.now ?? new Date();
  const scope = schoolScope(db, schoolId);
  await scope.sql(
    `update agreement_reminder_runs r set finished_at = now() from agreements a
      where r.school_id = :school and r.finished_at is null and a.id = r.agreement_id and a.renewal_started_at > r.renewal_started_at`);
  const runs = await scope.sql<{ id: string; agreement_id: string; audience: string; renewal_started_at: Date }>(
    `select r.id, r.agreement_id, a.audience, r.renewal_started_at from agreement_reminder_runs r join agreements a on a.id = r.agreement_id
      where r.school_id = :school and r.finished_at is null order by r.owed_at, a.audience`);
  let school: string | null = null;
  for (const run of runs) {
    const mine = { sent: 0, failed: 0 };
    for (;;) {
      const claimed = await scope.sql<{ id: string; person_id: string }>(
        `with ${standingCtes()}, ${owedRemindersSql}
         insert into agreement_reminder_recipients (school_id, run_id, person_id)
         select :school, $1, id from (select id from todo order by id limit $4) b
         on conflict (run_id, person_id) do update set claimed_at = now()
           where agreement_reminder_recipients.status = 'pending' and agreement_reminder_recipients.claimed_at < now() - ${staleClaim}
         returning id, person_id`, [run.id, run.audience, run.renewal_started_at, opts.batchSize ?? reminderBatchSize]);
      if (!claimed.length) break;
      for (const c of claimed) {
        let status: 'sent' | 'failed' | 'skipped';
        let linkId: string | null = null;
        if (run.audience === 'parents') {
          const r = await sendParentLink(db, mailer, baseUrl, schoolId, c.person_id, schedulerActor, null);
          status = r?.status === 'sent' || r?.status === 'failed' ? r.status : 'skipped';
          linkId = r?.linkId ?? null;
        } else {
          const [p] = await scope.sql<{ email: string | null }>('select email from people where school_id = :school and id = $1', [c.person_id]);
          if (!p?.email) status = 'skipped';
          else {
            school ??= await schoolName(db, schoolId);
            try {
              await mailer.send({ to: p.email, ...staffMessage(school, baseUrl, run.agreement_id, 'renewal') });
              status = 'sent';
            } catch {
              status = 'failed';
            }
          }
        }
        const chaserId = status === 'skipped' ? null
          : await recordChaser(db, schoolId, { personId: c.person_id, agreementId: run.agreement_id, reason: 'renewal', status, linkId, now });
        await scope.update('agreement_reminder_recipients', { id: c.id }, { status, chaser_id: chaserId });
        if (status !== 'skipped') mine[status]++;
      }
    }
    await db.transaction(async (tx) => {
      const closed = await closeBatchedRun(tx, schoolId, 'renewalReminders', run.id);
      if (mine.sent || mine.failed || closed) {
        await audit(tx, { schoolId, actor: schedulerActor, action: 'agreements.renewal_reminders_sent', recordType: 'agreement', recordId: run.agreement_id,
          detail: { sent: mine.sent, failed: mine.failed, finished: Boolean(closed) } });
      }
    });
    out.sent += mine.sent;
    out.failed += mine.failed;
  }
  return out;
}

/** The owed renewal reminders of every school (or only schoolId). Reads the runs across schools (the job's list of work); all else goes through each school's scope. */
export async function runOwedRenewalReminders(db: Database, mailer: Mailer, baseUrl: string, opts: { schoolId?: string; batchSize?: number; now?: Date } = {}) {
  return forEachSchoolOwed(db, 'renewalReminders', opts.schoolId, (schoolId) => sendOwedRenewalReminders(db, mailer, baseUrl, schoolId, opts));
}

/** For the parents' page: the version whose links are being sent, and how many parents are still to be sent one. Null when none is owed. */
export async function owedParentLinks(db: Queryable, schoolId: string) {
  const scope = schoolScope(db, schoolId);
  const [run] = await scope.sql<{ id: string; owed_at: Date; number: number }>(
    `select r.id, r.owed_at, v.number from agreement_resign_runs r join agreement_versions v on v.id = r.version_id
      where r.school_id = :school and r.finished_at is null order by v.number desc limit 1`);
  if (!run) return null;
  const [{ n }] = await scope.sql<{ n: number }>(
    `with ${standingCtes()}, ${owedParentsSql} select ((select count(*) from owed) +
       (select count(*) from agreement_resign_recipients r where r.school_id = :school and r.run_id = $1 and r.status = 'pending' and r.claimed_at >= now() - ${staleClaim}))::int as n`,
    [run.id, run.owed_at]);
  return { versionNumber: run.number, stillToSend: n };
}

/** Recent reminders that could not be sent, newest first, for the lead to see and send again. */
export async function failedChasers(db: Queryable, schoolId: string, limit = 100) {
  return schoolScope(db, schoolId).sql<{ id: string; person_id: string; kind: string; given_name: string; family_name: string; reason: string; sent_at: Date }>(
    `select c.id, c.person_id, p.kind, p.given_name, p.family_name, c.reason, c.sent_at from agreement_chasers c join people p on p.id = c.person_id
      where c.school_id = :school and c.email_status = 'failed'
        and not exists (select 1 from agreement_chasers n where n.school_id = :school and n.person_id = c.person_id and n.sent_at > c.sent_at and n.email_status = 'sent')
      order by c.sent_at desc limit ${Number(limit)}`);
}

/** Sends one person's reminder again now (after a failure), whatever the period. */
export async function chaseOne(db: Database, mailer: Mailer, baseUrl: string, schoolId: string, personId: string, actor: Actor, now = new Date()) {
  const scope = schoolScope(db, schoolId);
  const person = await scope.one<{ id: string; kind: string; email: string | null; left_on: string | null }>('people', { id: personId });
  if (!person || person.left_on || !person.email) return null;
  if (person.kind === 'parent') {
    const r = await sendParentLink(db, mailer, baseUrl, schoolId, personId, actor, null);
    if (!r || r.status === 'no_address') return null;
    const [a] = await scope.sql<{ id: string }>(`select id from agreements where school_id = :school and audience = 'parents'`);
    await recordChaser(db, schoolId, { personId, agreementId: a?.id ?? null, reason: 'chaser', status: r.status, linkId: r.linkId, now });
    return r.status;
  }
  if (audienceOf(person) !== 'staff_governors') return null;
  const [a] = await scope.sql<{ id: string }>(`select id from agreements where school_id = :school and audience = 'staff_governors'`);
  // The message that failed is the one sent again: a request to sign a new version stays one.
  const [last] = await scope.sql<{ reason: ReminderReason }>(
    `select reason from agreement_chasers where school_id = :school and person_id = $1 order by sent_at desc limit 1`, [personId]);
  const reason = last?.reason ?? 'chaser';
  let status: 'sent' | 'failed' = 'sent';
  try {
    await mailer.send({ to: person.email, ...staffMessage(await schoolName(db, schoolId), baseUrl, a.id, reason) });
  } catch {
    status = 'failed';
  }
  await recordChaser(db, schoolId, { personId, agreementId: a.id, reason, status, now });
  return status;
}

/** Renewals started for the school, newest first. */
export async function renewalsStarted(db: Queryable, schoolId: string) {
  return schoolScope(db, schoolId).sql<{ renewal_year: number; started_at: Date; started_by_name: string | null }>(
    `select r.renewal_year, r.started_at, u.display_name as started_by_name from agreement_renewals r left join users u on u.id = r.started_by
      where r.school_id = :school order by r.renewal_year desc limit 10`);
}

/**
 * The class teacher's list: pupils of one class whose parents' agreement is not current and
 * who have no parent or carer with an email address, so a paper copy must go home.
 */
export async function pupilsWithoutParentEmail(db: Queryable, schoolId: string, className: string) {
  return schoolScope(db, schoolId).sql<{ id: string; given_name: string; family_name: string; preferred_name: string | null; parent_state: string; parents: string | null }>(
    `with ${standingCtes()}
     select st.id, st.given_name, st.family_name, st.preferred_name, st.parent_state,
            (select string_agg(p.given_name || ' ' || p.family_name, ', ' order by p.family_name, p.given_name)
               from guardianships g join people p on p.id = g.parent_id where g.school_id = :school and g.child_id = st.id and p.left_on is null) as parents
       from standing st
      where st.kind = 'pupil' and st.class_name = $1 and st.parent_state <> 'current'
        and not exists (select 1 from guardianships g join people p on p.id = g.parent_id
                         where g.school_id = :school and g.child_id = st.id and p.left_on is null and p.email is not null)
      order by st.family_name, st.given_name`, [className]);
}

// ---------------------------------------------------------------------------------------------
// Paper signatures, entered by staff.

/** What a paper signature for this person can be: the versions they (or a parent for them) may have signed, and who may have signed. */
export async function paperOptions(db: Queryable, schoolId: string, personId: string) {
  const scope = schoolScope(db, schoolId);
  const person = await scope.one<{ id: string; kind: string; given_name: string; family_name: string; preferred_name: string | null; year_group: string | null; class_name: string | null; left_on: string | null }>('people', { id: personId });
  const audience = person ? audienceOf(person) : null;
  if (!person || !audience) return null;
  const audiencesFor = person.kind === 'pupil' ? [audience, 'parents'] : [audience];
  const versions = await scope.sql<{ id: string; agreement_id: string; audience: string; title: string; number: number; published_on: string }>(
    `select v.id, a.id as agreement_id, a.audience, a.title, v.number, to_char(v.published_at at time zone 'Europe/London', 'YYYY-MM-DD') as published_on
       from agreement_versions v join agreements a on a.id = v.agreement_id
      where v.school_id = :school and a.audience = any($1::text[]) order by a.audience = 'parents', v.number desc`, [audiencesFor]);
  const guardians = person.kind === 'pupil' ? await scope.sql<{ id: string; given_name: string; family_name: string }>(
    `select p.id, p.given_name, p.family_name from guardianships g join people p on p.id = g.parent_id
      where g.school_id = :school and g.child_id = $1 and p.left_on is null order by p.family_name, p.given_name`, [personId]) : [];
  return { person, audience, versions, guardians };
}

/**
 * Records a signature given on paper: who signed, for whom, which version, the date written on
 * the paper, and (as recorded_by) the member of staff who entered it. Entering the same paper
 * twice makes one signature. Throws AgreementFieldError naming the field when something is wrong.
 */
export async function recordPaperSignature(db: Queryable, schoolId: string,
  input: { subjectId: string; signerId: string; versionId: string; signedOn: string; signedName: string }, actor: Actor, ip: string | null, now = new Date()) {
  const opts = await paperOptions(db, schoolId, input.subjectId);
  if (!opts) return null;
  const version = opts.versions.find((v) => v.id === input.versionId);
  if (!version) throw new AgreementFieldError('version', 'Choose the version printed on the paper');
  const isParents = version.audience === 'parents';
  if (isParents ? !opts.guardians.some((g) => g.id === input.signerId) : input.signerId !== input.subjectId) {
    throw new AgreementFieldError('signer', isParents ? "For the parents' agreement, choose the parent or carer who signed" : 'For their own agreement, the person signs for themselves');
  }
  if (input.signedOn > londonDate(now)) throw new AgreementFieldError('signed_on', 'The date on the paper cannot be in the future');
  if (input.signedOn < version.published_on) throw new AgreementFieldError('signed_on', `The date on the paper is before version ${version.number} was published (${version.published_on}): check the version`);
  const signed = await recordSignature(db, schoolId, {
    agreementId: version.agreement_id, versionId: version.id, signerId: input.signerId, subjectId: input.subjectId, signedName: input.signedName.trim(),
    method: 'paper', recordedBy: actor.userId, ip, signedAt: new Date(`${input.signedOn}T12:00:00Z`),
  }, actor);
  if (signed.created) {
    await audit(db, { schoolId, actor, action: 'agreement.paper_entered', recordType: 'agreement_signature', recordId: signed.id!, ip, detail: { versionId: version.id, signerId: input.signerId, subjectId: input.subjectId } });
  }
  return signed;
}
