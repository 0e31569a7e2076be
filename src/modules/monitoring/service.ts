// The monitoring commands the browser (and later the API) use: the alert queue and what a lead
// does with an alert, the identity mappings, the school's own phrases. Each runs inside the
// caller's transaction and writes its audit entry alongside.
import type { Queryable } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { audit, type Actor } from '../../platform/audit/audit';
import { NotFoundError } from '../../platform/http/errors';
import { categoriesOf, reportIncident } from '../incidents/service';
import type { RiskArea } from './types';

export const alertStatuses = {
  /** Not yet looked at. */
  new: 'New',
  /** Seen by a lead; nothing more needed for now. */
  acknowledged: 'Acknowledged',
  /** Not a concern, with the reason written down. */
  dismissed: 'Dismissed',
  /** Turned into an incident. */
  escalated: 'Escalated to an incident',
} as const;
export type AlertStatus = keyof typeof alertStatuses;

export interface By { actor: Actor; personId: string | null; ip: string | null }

const severityOrder = `case a.severity when 'critical' then 4 when 'high' then 3 when 'medium' then 2 else 1 end`;

/**
 * The queue: most severe first, newest first within a severity; the person or room a mapping names.
 * Medium and above, unless `low` asks for the low alerts kept for pattern review (newest first).
 */
export async function alertQueue(db: Queryable, schoolId: string, status: AlertStatus | 'all', limit = 200, opts: { low?: boolean } = {}) {
  return schoolScope(db, schoolId).sql(
    `select a.id, a.occurred_at, a.user_name, a.client, a.url, a.query, a.risk, a.severity, a.blocked, a.reason, a.group_count, a.status,
            coalesce(a.person_id, im.person_id) as person_id, coalesce(a.room, im.room) as room,
            p.given_name, p.family_name, p.year_group, p.class_name
       from monitoring_alerts a
       left join lateral (select i.person_id, i.room from monitoring_identities i where i.school_id = a.school_id
                            and ((i.kind = 'username' and lower(i.value) = lower(a.user_name)) or (i.kind = 'address' and lower(i.value) = lower(a.client)))
                          order by i.kind = 'username' desc limit 1) im on true
       left join people p on p.id = coalesce(a.person_id, im.person_id) and p.school_id = a.school_id
      where a.school_id = :school and ($1 = 'all' or a.status = $1) and ${opts.low ? "a.severity = 'low'" : "a.severity <> 'low'"}
      order by ${severityOrder} desc, a.occurred_at desc limit $2`,
    [status, limit]);
}

/** How many low alerts (kept for pattern review) the school has. */
export async function lowAlertCount(db: Queryable, schoolId: string): Promise<number> {
  const [r] = await schoolScope(db, schoolId).sql<{ n: number }>(`select count(*)::int as n from monitoring_alerts where school_id = :school and severity = 'low'`);
  return r.n;
}

/**
 * Patterns among the low alerts: for each person (or username, or address, when no mapping names
 * one) and risk area, how many low alerts, over how many days, and the first and last, most first.
 */
export async function lowAlertPatterns(db: Queryable, schoolId: string, limit = 50) {
  return schoolScope(db, schoolId).sql(
    `select coalesce(a.person_id, im.person_id) as person_id, p.given_name, p.family_name, p.class_name,
            min(a.user_name) as user_name, min(a.client) as client, min(coalesce(a.room, im.room)) as room, a.risk,
            count(*)::int as alerts, sum(a.group_count)::int as requests,
            count(distinct (a.occurred_at at time zone 'Europe/London')::date)::int as days,
            min(a.occurred_at) as first_at, max(a.occurred_at) as last_at
       from monitoring_alerts a
       left join lateral (select i.person_id, i.room from monitoring_identities i where i.school_id = a.school_id
                            and ((i.kind = 'username' and lower(i.value) = lower(a.user_name)) or (i.kind = 'address' and lower(i.value) = lower(a.client)))
                          order by i.kind = 'username' desc limit 1) im on true
       left join people p on p.id = coalesce(a.person_id, im.person_id) and p.school_id = a.school_id
      where a.school_id = :school and a.severity = 'low'
      group by coalesce(a.person_id, im.person_id), p.given_name, p.family_name, p.class_name,
               case when coalesce(a.person_id, im.person_id) is null then lower(coalesce(a.user_name, a.client, '')) end, a.risk
      order by count(*) desc, max(a.occurred_at) desc limit $1`, [limit]);
}

/** How many alerts are in each status (medium and above). */
export async function alertCounts(db: Queryable, schoolId: string): Promise<Record<string, number>> {
  const rows = await schoolScope(db, schoolId).sql<{ status: string; n: number }>(
    `select status, count(*)::int as n from monitoring_alerts where school_id = :school and severity <> 'low' group by status`);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** One alert with its person or room; a lead's view of it is audited. Another school's alert is not found. */
export async function viewAlert(db: Queryable, schoolId: string, alertId: string, by: By) {
  const [alert] = await schoolScope(db, schoolId).sql(
    `select a.*, coalesce(a.person_id, im.person_id) as matched_person_id, coalesce(a.room, im.room) as matched_room,
            p.given_name, p.family_name, p.year_group, p.class_name, u.display_name as acted_by_name
       from monitoring_alerts a
       left join lateral (select i.person_id, i.room from monitoring_identities i where i.school_id = a.school_id
                            and ((i.kind = 'username' and lower(i.value) = lower(a.user_name)) or (i.kind = 'address' and lower(i.value) = lower(a.client)))
                          order by i.kind = 'username' desc limit 1) im on true
       left join people p on p.id = coalesce(a.person_id, im.person_id) and p.school_id = a.school_id
       left join users u on u.id = a.acted_by
      where a.school_id = :school and a.id = $1`, [alertId]);
  if (!alert) throw new NotFoundError();
  await audit(db, { schoolId, actor: by.actor, action: 'monitoring_alert.viewed', recordType: 'monitoring_alert', recordId: alertId, ip: by.ip });
  return alert;
}

/** An alert whose current status does not allow what was asked (an escalated alert cannot be dismissed). The message says why, for the lead. */
export class AlertStateError extends Error {
  constructor(readonly current: AlertStatus, message: string) {
    super(message);
  }
}

/** What each action may start from, and what to say when the alert is elsewhere. */
const allowedFrom: Record<'acknowledged' | 'dismissed' | 'escalated', { from: AlertStatus[]; refuse: Partial<Record<AlertStatus, string>> }> = {
  acknowledged: {
    from: ['new'],
    refuse: {
      acknowledged: 'This alert is already acknowledged.',
      dismissed: 'This alert was dismissed, so it cannot be acknowledged. If it is a concern after all, record an incident from it.',
      escalated: 'This alert was recorded as an incident, so it cannot be acknowledged. Follow it up in the incident.',
    },
  },
  dismissed: {
    from: ['new', 'acknowledged'],
    refuse: {
      dismissed: 'This alert is already dismissed.',
      escalated: 'This alert was recorded as an incident, so it cannot be dismissed. Follow it up in the incident.',
    },
  },
  escalated: { from: ['new', 'acknowledged', 'dismissed'], refuse: {} },
};

/**
 * Moves an alert to a status, checking on the server (in the same statement) that its current
 * status allows it: a page opened before someone else acted, or a hand-made POST, cannot undo
 * an escalation. Throws AlertStateError, or NotFoundError for another school's alert.
 */
async function setStatus(db: Queryable, schoolId: string, alertId: string, status: 'acknowledged' | 'dismissed' | 'escalated', by: By, extra: { dismissedReason?: string; incidentId?: string } = {}) {
  const rule = allowedFrom[status];
  const rows = await schoolScope(db, schoolId).sql(
    `update monitoring_alerts set status = $2, dismissed_reason = $3, incident_id = coalesce($4, incident_id), acted_by = $5, acted_at = now()
      where school_id = :school and id = $1 and status = any($6::text[]) returning id`,
    [alertId, status, extra.dismissedReason ?? null, extra.incidentId ?? null, by.actor.userId, rule.from]);
  if (rows.length) return;
  const [current] = await schoolScope(db, schoolId).sql<{ status: AlertStatus }>('select status from monitoring_alerts where school_id = :school and id = $1', [alertId]);
  if (!current) throw new NotFoundError();
  throw new AlertStateError(current.status, rule.refuse[current.status] ?? `This alert is ${alertStatuses[current.status].toLowerCase()}; it cannot be changed that way.`);
}

/** A lead has seen the alert and nothing more is needed for now (only a new alert). */
export async function acknowledgeAlert(db: Queryable, schoolId: string, alertId: string, by: By) {
  await setStatus(db, schoolId, alertId, 'acknowledged', by);
  await audit(db, { schoolId, actor: by.actor, action: 'monitoring_alert.acknowledged', recordType: 'monitoring_alert', recordId: alertId, ip: by.ip });
}

/** Not a concern (a new or acknowledged alert, never an escalated one): the reason is kept with the alert (the audit entry says a reason was given, not what it says). */
export async function dismissAlert(db: Queryable, schoolId: string, alertId: string, reason: string, by: By) {
  await setStatus(db, schoolId, alertId, 'dismissed', by, { dismissedReason: reason });
  await audit(db, { schoolId, actor: by.actor, action: 'monitoring_alert.dismissed', recordType: 'monitoring_alert', recordId: alertId, ip: by.ip, detail: { fields: ['dismissed_reason'], reasonLength: reason.length } });
}

/** The incident category an alert's risk area is reported under. */
const categoryFor: Record<RiskArea, string> = {
  'suicide-self-harm': 'suicide_self_harm',
  'eating-disorder': 'other',
  extremism: 'terrorism_extremism',
  hate: 'discrimination',
  'sexual-content': 'inappropriate_material',
  'grooming-exploitation': 'grooming_exploitation',
  bullying: 'cyberbullying',
  'violence-weapons': 'drugs_weapons',
  drugs: 'drugs_weapons',
  gambling: 'inappropriate_material',
  'filter-bypass': 'filter_bypass',
  'illegal-content': 'other',
};

/**
 * Turns an alert into an incident through the incidents capability, with the person, time, URL,
 * search and reason filled in, and marks the alert escalated. Returns the incident's id and reference.
 */
export async function escalateAlert(db: Queryable, schoolId: string, alertId: string, by: By) {
  const [alert] = await schoolScope(db, schoolId).sql(
    `select a.*, coalesce(a.person_id, (select i.person_id from monitoring_identities i where i.school_id = a.school_id
              and ((i.kind = 'username' and lower(i.value) = lower(a.user_name)) or (i.kind = 'address' and lower(i.value) = lower(a.client)))
            order by i.kind = 'username' desc limit 1)) as matched_person_id
       from monitoring_alerts a where a.school_id = :school and a.id = $1 for update`, [alertId]);
  if (!alert) throw new NotFoundError();
  if (alert.incident_id) return { id: alert.incident_id as string, reference: null };
  const categories = await categoriesOf(db, schoolId).catch(() => []);
  let category = categories.find((c) => c.code === categoryFor[alert.risk as RiskArea]) ?? categories.find((c) => c.code === 'other') ?? categories[0];
  if (!category) {
    // The categories are made on a school's first report.
    await reportIncidentDefaults(db, schoolId);
    const again = await categoriesOf(db, schoolId);
    category = again.find((c) => c.code === categoryFor[alert.risk as RiskArea]) ?? again.find((c) => c.code === 'other') ?? again[0];
  }
  const who = alert.user_name ?? alert.client ?? 'unknown';
  const summary = [
    `Raised from a filtering and monitoring alert (${alert.risk}, severity ${alert.severity}).`,
    `Filter user: ${who}${alert.client && alert.user_name ? ` at ${alert.client}` : ''}.`,
    alert.query ? `Search: ${alert.query}` : null,
    `Address: ${alert.url}`,
    `Why Harbour raised it: ${alert.reason}`,
    alert.group_count > 1 ? `Requests grouped: ${alert.group_count}.` : null,
  ].filter(Boolean).join('\n');
  const incident = await reportIncident(db, schoolId, {
    summary,
    occurredAt: new Date(alert.occurred_at),
    device: alert.client ?? null,
    cameToLight: 'filtering_alert',
    categoryId: category.id,
    websiteUrl: alert.url.slice(0, 2000),
    websiteSeen: alert.blocked ? 'The filter blocked it' : 'The filter let it through',
    concernAbout: 'none',
    deviceHeldAt: category.suspected_illegal_material ? 'Not held: raised from the filter\'s log; check the device named above' : null,
    people: alert.matched_person_id ? [{ personId: alert.matched_person_id, role: 'affected' }] : [],
  }, { personId: by.personId, actor: by.actor, ip: by.ip, via: 'browser' });
  await setStatus(db, schoolId, alertId, 'escalated', by, { incidentId: incident.id });
  await audit(db, { schoolId, actor: by.actor, action: 'monitoring_alert.escalated', recordType: 'monitoring_alert', recordId: alertId, ip: by.ip, detail: { incidentId: incident.id } });
  return { id: incident.id, reference: incident.reference };
}

async function reportIncidentDefaults(db: Queryable, schoolId: string) {
  const { ensureIncidentDefaults } = await import('../incidents/matrix');
  await ensureIncidentDefaults(db, schoolId);
}

/** Maps a username or address to a person of this school or a room; existing alerts from it are matched too. */
export async function addIdentity(db: Queryable, schoolId: string, input: { kind: 'username' | 'address'; value: string; personId: string | null; room: string | null }, by: By) {
  const scope = schoolScope(db, schoolId);
  if (input.personId && !(await scope.one('people', { id: input.personId }))) throw new NotFoundError();
  const row = await scope.insert('monitoring_identities', { kind: input.kind, value: input.value, person_id: input.personId, room: input.room, created_by: by.actor.userId });
  const column = input.kind === 'username' ? 'user_name' : 'client';
  await scope.sql(`update monitoring_alerts set person_id = coalesce(person_id, $2), room = coalesce(room, $3) where school_id = :school and lower(${column}) = lower($1)`, [input.value, input.personId, input.room]);
  await audit(db, { schoolId, actor: by.actor, action: 'monitoring_identity.added', recordType: 'monitoring_identity', recordId: row.id, ip: by.ip, detail: { kind: input.kind, personId: input.personId, room: !!input.room } });
  return row;
}

/** Removes a mapping (alerts already matched keep their person). */
export async function removeIdentity(db: Queryable, schoolId: string, identityId: string, by: By) {
  const n = await schoolScope(db, schoolId).delete('monitoring_identities', { id: identityId });
  if (!n) throw new NotFoundError();
  await audit(db, { schoolId, actor: by.actor, action: 'monitoring_identity.removed', recordType: 'monitoring_identity', recordId: identityId, ip: by.ip });
}

export interface NewPhrase {
  action: 'add' | 'exclude';
  risk: RiskArea;
  phrase: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  match: 'word' | 'phrase' | 'all';
  intent: boolean;
  reason: string;
}

/** Adds a phrase to, or excludes one from, the school's libraries; the reason goes in the audit trail. */
export async function addSchoolPhrase(db: Queryable, schoolId: string, p: NewPhrase, by: By) {
  const row = await schoolScope(db, schoolId).insert('monitoring_phrases', { ...p, created_by: by.actor.userId });
  await audit(db, { schoolId, actor: by.actor, action: p.action === 'add' ? 'monitoring_phrase.added' : 'monitoring_phrase.excluded', recordType: 'monitoring_phrase', recordId: row.id, ip: by.ip, detail: { risk: p.risk, phrase: p.phrase, severity: p.severity, reason: p.reason } });
  return row;
}

/** Takes back an addition or exclusion, with the reason in the audit trail. */
export async function removeSchoolPhrase(db: Queryable, schoolId: string, phraseId: string, reason: string, by: By) {
  const rows = await schoolScope(db, schoolId).sql('update monitoring_phrases set removed_at = now(), removed_by = $2 where school_id = :school and id = $1 and removed_at is null returning id', [phraseId, by.actor.userId]);
  if (!rows.length) throw new NotFoundError();
  await audit(db, { schoolId, actor: by.actor, action: 'monitoring_phrase.removed', recordType: 'monitoring_phrase', recordId: phraseId, ip: by.ip, detail: { reason } });
}
