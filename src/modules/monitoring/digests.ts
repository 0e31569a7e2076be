// Filtering and monitoring digests: a daily digest for the headteacher and the online safety lead
// (school days) and a weekly summary for the computing lead, each switched on or off, timed and
// addressed by the school (monitoring_digest_settings). They carry counts and a link, never a
// search, a site, a person or a reason: the detail is behind sign-in. The weekly summary is about
// the filtering (attempts to get round it, change requests, checks), not safeguarding alerts.
import type { Database, Queryable } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { audit, type Actor } from '../../platform/audit/audit';
import type { Mailer } from '../../platform/mail/mailer';
import type { By } from './service';

export type DigestKind = 'daily' | 'weekly';

/** Who may be sent each digest (the form offers these). */
export const digestRoles: Record<DigestKind, Record<string, string>> = {
  daily: {
    headteacher: 'Headteacher',
    online_safety_lead: 'Online safety lead',
    designated_safeguarding_lead: 'Designated safeguarding lead',
    deputy_safeguarding_lead: 'Deputy safeguarding lead',
  },
  weekly: {
    computing_lead: 'Computing lead',
    it_provider: 'IT provider',
    online_safety_lead: 'Online safety lead',
    headteacher: 'Headteacher',
  },
};

export const weekdays = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export interface DigestSettings {
  daily_enabled: boolean;
  daily_hour: number;
  daily_roles: string[];
  weekly_enabled: boolean;
  weekly_day: number;
  weekly_hour: number;
  weekly_roles: string[];
  daily_sent_for: string | null;
  daily_sent_at: Date | null;
  weekly_sent_for: string | null;
  weekly_sent_at: Date | null;
}

export const defaultDigestSettings: DigestSettings = {
  daily_enabled: true, daily_hour: 16, daily_roles: ['headteacher', 'online_safety_lead'],
  weekly_enabled: true, weekly_day: 5, weekly_hour: 16, weekly_roles: ['computing_lead'],
  daily_sent_for: null, daily_sent_at: null, weekly_sent_for: null, weekly_sent_at: null,
};

const settingsColumns = `daily_enabled, daily_hour, daily_roles, weekly_enabled, weekly_day, weekly_hour, weekly_roles,
  to_char(daily_sent_for, 'YYYY-MM-DD') as daily_sent_for, daily_sent_at, to_char(weekly_sent_for, 'YYYY-MM-DD') as weekly_sent_for, weekly_sent_at`;

/** The school's digest settings (the defaults when never saved). */
export async function digestSettings(db: Queryable, schoolId: string): Promise<DigestSettings> {
  const [row] = await schoolScope(db, schoolId).sql<DigestSettings>(`select ${settingsColumns} from monitoring_digest_settings where school_id = :school`);
  return row ?? { ...defaultDigestSettings };
}

export interface DigestSettingsInput {
  daily_enabled: boolean; daily_hour: number; daily_roles: string[];
  weekly_enabled: boolean; weekly_day: number; weekly_hour: number; weekly_roles: string[];
}

export async function saveDigestSettings(db: Queryable, schoolId: string, input: DigestSettingsInput, by: By) {
  await schoolScope(db, schoolId).sql(
    `insert into monitoring_digest_settings (school_id, daily_enabled, daily_hour, daily_roles, weekly_enabled, weekly_day, weekly_hour, weekly_roles, updated_by, updated_at)
     values (:school, $1, $2, $3, $4, $5, $6, $7, $8, now())
     on conflict (school_id) do update set daily_enabled = $1, daily_hour = $2, daily_roles = $3, weekly_enabled = $4, weekly_day = $5,
       weekly_hour = $6, weekly_roles = $7, updated_by = $8, updated_at = now()`,
    [input.daily_enabled, input.daily_hour, input.daily_roles, input.weekly_enabled, input.weekly_day, input.weekly_hour, input.weekly_roles, by.actor.userId]);
  await audit(db, { schoolId, actor: by.actor, action: 'monitoring_digests.settings_changed', recordType: 'school', recordId: schoolId, ip: by.ip,
    detail: { daily_enabled: input.daily_enabled, daily_hour: input.daily_hour, daily_roles: input.daily_roles, weekly_enabled: input.weekly_enabled, weekly_day: input.weekly_day, weekly_hour: input.weekly_hour, weekly_roles: input.weekly_roles } });
}

/** The date (YYYY-MM-DD), ISO weekday and hour it is in England at a moment. */
export function londonParts(now: Date): { date: string; weekday: number; hour: number } {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23', weekday: 'short' })
    .formatToParts(now).map((p) => [p.type, p.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, weekday: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday) + 1, hour: Number(parts.hour) };
}

function addDays(date: string, n: number): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/**
 * The latest day (YYYY-MM-DD, England) on or before now that a digest was due: for the daily one
 * the latest school day (Monday to Friday) whose hour has come; for the weekly one the latest of
 * its weekday whose hour has come. A digest is due when it has not yet been sent for that day,
 * so one missed while Harbour was stopped goes at the next run, once.
 */
export function dueFor(kind: DigestKind, s: Pick<DigestSettings, 'daily_hour' | 'weekly_day' | 'weekly_hour'>, now: Date): string {
  const { date, weekday, hour } = londonParts(now);
  const wanted = kind === 'daily' ? [1, 2, 3, 4, 5] : [s.weekly_day];
  const atHour = kind === 'daily' ? s.daily_hour : s.weekly_hour;
  for (let back = 0; back <= 7; back++) {
    const wd = ((weekday - 1 - back + 70) % 7) + 1;
    if (!wanted.includes(wd)) continue;
    if (back === 0 && hour < atHour) continue;
    return addDays(date, -back);
  }
  throw new Error('unreachable');
}

/** The email addresses of staff who can sign in and hold one of the roles. */
export async function emailsOfRoles(db: Queryable, schoolId: string, roles: string[]): Promise<string[]> {
  if (!roles.length) return [];
  const rows = await schoolScope(db, schoolId).sql<{ email: string }>(
    `select distinct u.email from role_assignments r
       join memberships m on m.person_id = r.person_id and m.school_id = r.school_id
       join users u on u.id = m.user_id
      where r.school_id = :school and r.role = any($1::text[]) and u.disabled_at is null
      order by u.email`, [roles]);
  return rows.map((r) => r.email);
}

const fmtDateTime = (d: Date) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
const fmtDate = (d: string | Date) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric' }).format(typeof d === 'string' ? new Date(`${d}T12:00:00Z`) : d);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export interface DigestMessage { subject: string; text: string; figures: Record<string, number> }

/** The daily digest's text: counts of alerts and what was done about them since `from`; no detail. */
export async function dailyDigest(db: Queryable, schoolId: string, from: Date, to: Date, baseUrl: string): Promise<DigestMessage> {
  const scope = schoolScope(db, schoolId);
  const [school] = await scope.sql<{ name: string }>('select name from schools where id = :school');
  const [a] = await scope.sql<Record<string, number>>(
    `select count(*) filter (where severity = 'critical')::int as critical, count(*) filter (where severity = 'high')::int as high,
            count(*) filter (where severity = 'medium')::int as medium, count(*) filter (where severity = 'low')::int as low
       from monitoring_alerts where school_id = :school and created_at >= $1 and created_at < $2`, [from, to]);
  const [acted] = await scope.sql<Record<string, number>>(
    `select count(*) filter (where status = 'acknowledged')::int as acknowledged, count(*) filter (where status = 'dismissed')::int as dismissed,
            count(*) filter (where status = 'escalated')::int as escalated
       from monitoring_alerts where school_id = :school and acted_at >= $1 and acted_at < $2`, [from, to]);
  const [waiting] = await scope.sql<{ n: number; oldest: Date | null }>(
    `select count(*)::int as n, min(occurred_at) as oldest from monitoring_alerts where school_id = :school and status = 'new' and severity <> 'low'`);
  const [changes] = await scope.sql<{ n: number }>(`select count(*)::int as n from filtering_change_requests where school_id = :school and status = 'requested'`);
  const raised = a.critical + a.high + a.medium;
  const text = [
    `${school.name}: filtering and monitoring since ${fmtDateTime(from)}.`,
    '',
    raised
      ? `New alerts: ${raised} (${a.critical} critical, ${a.high} high, ${a.medium} medium).`
      : 'New alerts: none.',
    `Kept for pattern review (low, nobody is told): ${a.low}.`,
    `Dealt with: ${acted.acknowledged} acknowledged, ${acted.dismissed} dismissed with a reason, ${acted.escalated} recorded as incidents.`,
    waiting.n
      ? `Waiting in the safeguarding lead's queue: ${plural(waiting.n, 'alert')}, the oldest from ${fmtDate(waiting.oldest!)}.`
      : "Waiting in the safeguarding lead's queue: none.",
    `Filtering change requests waiting for a decision: ${changes.n}.`,
    '',
    'Sign in to Harbour to see more:',
    `${baseUrl}/monitoring`,
    '',
    'For safeguarding reasons this email does not say what any alert is about or whom it concerns.',
    `You get this digest because of your role at ${school.name}; the headteacher or online safety lead can change who gets it.`,
  ].join('\n');
  return {
    subject: `Harbour: filtering and monitoring daily digest, ${fmtDate(to)}`,
    text,
    figures: { ...a, ...acted, waiting: waiting.n, changesWaiting: changes.n },
  };
}

/** The weekly summary's text: about the filtering (bypass attempts, blocks, change requests, checks); no detail. */
export async function weeklySummary(db: Queryable, schoolId: string, from: Date, to: Date, baseUrl: string): Promise<DigestMessage> {
  const scope = schoolScope(db, schoolId);
  const [school] = await scope.sql<{ name: string }>('select name from schools where id = :school');
  const [f] = await scope.sql<Record<string, number>>(
    `select count(*) filter (where risk = 'filter-bypass')::int as bypass, coalesce(sum(group_count) filter (where blocked), 0)::int as blocked
       from monitoring_alerts where school_id = :school and created_at >= $1 and created_at < $2`, [from, to]);
  const [c] = await scope.sql<Record<string, number>>(
    `select count(*) filter (where requested_at >= $1 and requested_at < $2)::int as asked,
            count(*) filter (where status = 'declined' and decided_at >= $1 and decided_at < $2)::int as declined,
            count(*) filter (where done_at >= $1 and done_at < $2)::int as done,
            count(*) filter (where expired_at >= $1 and expired_at < $2)::int as expired,
            count(*) filter (where status = 'requested')::int as waiting,
            count(*) filter (where status = 'approved')::int as to_do
       from filtering_change_requests where school_id = :school`, [from, to]);
  const [k] = await scope.sql<{ n: number; failed: number }>(
    `select count(*)::int as n, count(*) filter (where result = 'fail')::int as failed from filtering_checks where school_id = :school and created_at >= $1 and created_at < $2`, [from, to]);
  const [last] = await scope.sql<{ checked_on: string; result: string }>(
    `select to_char(checked_on, 'YYYY-MM-DD') as checked_on, result from filtering_checks where school_id = :school order by checked_on desc, created_at desc limit 1`);
  const text = [
    `${school.name}: the school's web filtering, the week to ${fmtDate(to)}.`,
    '',
    `Attempts to get round the filter (proxies, VPNs and the like): ${f.bypass}.`,
    `Blocked requests that raised an alert: ${f.blocked}.`,
    `Filtering change requests: ${c.asked} asked, ${c.declined} declined, ${c.done} carried out, ${c.expired} ended on their end date; ${c.waiting} waiting for a decision, ${c.to_do} approved and waiting for the IT provider.`,
    `Filtering checks recorded: ${k.n}${k.failed ? ` (${k.failed} failed)` : ''}. ${last ? `The last check was on ${fmtDate(last.checked_on)} (${last.result === 'pass' ? 'passed' : 'failed'}).` : 'No filtering check has been recorded yet.'}`,
    '',
    'Sign in to Harbour to see the change requests:',
    `${baseUrl}/monitoring/change-requests`,
    '',
    'This summary is about the filtering only; safeguarding alerts go to the safeguarding lead.',
  ].join('\n');
  return {
    subject: `Harbour: filtering weekly summary, week to ${fmtDate(to)}`,
    text,
    figures: { bypass: f.bypass, blocked: f.blocked, ...c, checks: k.n },
  };
}

export interface DigestSendResult { kind: DigestKind; sent: number; recipients: number }

/** Builds and sends one digest now (covering from `from`) to the roles' staff; audited with its counts. */
export async function sendDigest(db: Queryable, mailer: Mailer, baseUrl: string, schoolId: string, kind: DigestKind, roles: string[], from: Date, to: Date, actor: Actor): Promise<DigestSendResult> {
  const message = kind === 'daily' ? await dailyDigest(db, schoolId, from, to, baseUrl) : await weeklySummary(db, schoolId, from, to, baseUrl);
  const to_ = await emailsOfRoles(db, schoolId, roles);
  for (const email of to_) await mailer.send({ to: email, subject: message.subject, text: message.text });
  await audit(db, { schoolId, actor, action: `monitoring_digest.${kind}_sent`, recordType: 'school', recordId: schoolId, detail: { recipients: to_.length, roles, from: from.toISOString(), ...message.figures } });
  return { kind, sent: to_.length, recipients: to_.length };
}

const schedulerActor: Actor = { userId: null, label: 'Harbour scheduler' };

/**
 * Sends the school's daily digest and weekly summary if due (see dueFor), each once: the row is
 * locked while it is sent and marked with the day it was due for. Returns what was sent.
 */
export async function sendDueDigests(db: Database, mailer: Mailer, baseUrl: string, schoolId: string, now = new Date()): Promise<DigestSendResult[]> {
  const sent: DigestSendResult[] = [];
  for (const kind of ['daily', 'weekly'] as const) {
    const r = await db.transaction(async (tx) => {
      const scope = schoolScope(tx, schoolId);
      await scope.sql('insert into monitoring_digest_settings (school_id) values (:school) on conflict (school_id) do nothing');
      const [s] = await scope.sql<DigestSettings>(`select ${settingsColumns} from monitoring_digest_settings where school_id = :school for update`);
      if (!(kind === 'daily' ? s.daily_enabled : s.weekly_enabled)) return null;
      const due = dueFor(kind, s, now);
      const last = kind === 'daily' ? s.daily_sent_for : s.weekly_sent_for;
      if (last && last >= due) return null;
      // Never sent: start with the first one due from now on, not one from before the school had Harbour.
      if (!last && due !== londonParts(now).date) return null;
      const lastAt = kind === 'daily' ? s.daily_sent_at : s.weekly_sent_at;
      const span = (kind === 'daily' ? 1 : 7) * 86_400_000;
      // From the last one (but no further back than a week, or one period for the first).
      const from = lastAt ? new Date(Math.max(lastAt.getTime(), now.getTime() - 7 * 86_400_000)) : new Date(now.getTime() - span);
      const result = await sendDigest(tx, mailer, baseUrl, schoolId, kind, kind === 'daily' ? s.daily_roles : s.weekly_roles, from, now, schedulerActor);
      await scope.sql(`update monitoring_digest_settings set ${kind}_sent_for = $1, ${kind}_sent_at = $2 where school_id = :school`, [due, now]);
      return result;
    });
    if (r) sent.push(r);
  }
  return sent;
}
