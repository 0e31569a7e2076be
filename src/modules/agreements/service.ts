// Acceptable use agreements: the rules. Every function takes the database (the pool or an open
// transaction) and a school id, and reads and writes only through that school's scope.
import { createHash, randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { audit, systemActor, type Actor } from '../../platform/audit/audit';
import type { Mailer } from '../../platform/mail/mailer';
import { sha256 } from '../../platform/auth/tokens';
import { audienceNames, audienceOf, audienceSql, isAudience, type Audience, type ReasonKind, type SigningMethod } from './audiences';
import { startingAgreements } from './starting-texts';

/** A problem with what someone entered, naming the form field it belongs to. */
export class AgreementFieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/**
 * The agreement was changed (a newer version published) after the signer was shown it: nothing
 * is signed, and they are shown the new version to read.
 */
export class AgreementChangedError extends Error {
  constructor() {
    super('a newer version of the agreement was published while it was being read');
  }
}

/** The version id a signing form carried back (the version shown), or null when it carried none. */
export function shownVersion(value: unknown): string | null {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ? v.toLowerCase() : null;
}

/** How long a parent's signing link works. */
export const parentLinkDays = 14;

/** Agreement text as stored: Unix line ends, no trailing spaces, no blank lines at either end. */
export function normaliseBody(body: string): string {
  return body.replace(/\r\n?/g, '\n').split('\n').map((l) => l.replace(/\s+$/, '')).join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

/** The SHA-256 of an agreement's text (UTF-8), as every signature records it. */
export function textSha256(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/** Agreement text as blocks for a page: paragraphs, and lists made of lines starting "- ". */
export function textBlocks(body: string): ({ kind: 'p'; text: string } | { kind: 'ul'; items: string[] })[] {
  return body.split(/\n\s*\n/).map((chunk) => {
    const lines = chunk.split('\n').map((l) => l.trim()).filter(Boolean);
    if (lines.length && lines.every((l) => l.startsWith('- '))) return { kind: 'ul' as const, items: lines.map((l) => l.slice(2)) };
    return { kind: 'p' as const, text: lines.join(' ') };
  });
}

/**
 * Gives a school its starting agreement for each audience (version 1, to be signed by all).
 * Safe to call again: an audience that already has an agreement is left alone. Called when a
 * school is created (unaudited: the school's creation entry covers it), and again by the
 * agreements pages for schools created before this existed (audited).
 */
export async function ensureAgreements(db: Queryable, schoolId: string, actor: Actor = systemActor, opts: { audited?: boolean } = {}): Promise<number> {
  const scope = schoolScope(db, schoolId);
  const [{ n }] = await scope.sql<{ n: number }>('select count(*)::int as n from agreements where school_id = :school');
  if (n >= audienceNames.length) return 0;
  let created = 0;
  for (const audience of audienceNames) {
    const start = startingAgreements[audience];
    const [row] = await scope.sql<{ id: string }>(
      `insert into agreements (school_id, audience, title) values (:school, $1, $2) on conflict (school_id, audience) do nothing returning id`,
      [audience, start.title],
    );
    if (!row) continue;
    const body = normaliseBody(start.body);
    await scope.insert('agreement_versions', {
      agreement_id: row.id, number: 1, body, body_sha256: textSha256(body), requires_resign: true,
      change_note: "Harbour's starting agreement",
    });
    created++;
  }
  // When a school is created its 'school.created' entry covers the starting agreements.
  if (created && opts.audited !== false) await audit(db, { schoolId, actor, action: 'agreements.started', recordType: 'school', recordId: schoolId, detail: { created } });
  return created;
}

export interface AgreementSummary {
  id: string;
  audience: Audience;
  title: string;
  renewal_started_at: Date | null;
  version_id: string;
  number: number;
  body: string;
  body_sha256: string;
  published_at: Date;
  /** The newest version that changed the meaning: signatures of earlier versions are due again. */
  baseline_number: number;
}

/** Each agreement of the school with its current (newest) version. */
export async function currentAgreements(db: Queryable, schoolId: string): Promise<AgreementSummary[]> {
  const rows = await schoolScope(db, schoolId).sql<AgreementSummary>(
    `select a.id, a.audience, a.title, a.renewal_started_at, v.id as version_id, v.number, v.body, v.body_sha256, v.published_at,
            (select max(b.number) from agreement_versions b where b.agreement_id = a.id and b.requires_resign) as baseline_number
       from agreements a
       join lateral (select * from agreement_versions v where v.agreement_id = a.id order by v.number desc limit 1) v on true
      where a.school_id = :school`,
  );
  return rows.sort((x, y) => audienceNames.indexOf(x.audience) - audienceNames.indexOf(y.audience));
}

/** One agreement (with its current version), or null when the school has no such agreement. */
export async function agreementById(db: Queryable, schoolId: string, agreementId: string) {
  return (await currentAgreements(db, schoolId)).find((a) => a.id === agreementId) ?? null;
}

export async function agreementForAudience(db: Queryable, schoolId: string, audience: Audience) {
  return (await currentAgreements(db, schoolId)).find((a) => a.audience === audience) ?? null;
}

/**
 * Publishes a new version of an agreement. When it changes the meaning, everyone in the
 * audience is due to sign again; a correction leaves their signatures current.
 */
export async function publishVersion(db: Queryable, schoolId: string, agreementId: string,
  input: { title: string; body: string; changesMeaning: boolean; note?: string | null }, actor: Actor, ip: string | null) {
  const current = await agreementById(db, schoolId, agreementId);
  if (!current) return null;
  const body = normaliseBody(input.body);
  if (!body) throw new AgreementFieldError('body', 'Enter the text of the agreement');
  const title = input.title.trim();
  if (body === current.body && title === current.title) throw new AgreementFieldError('body', 'The text has not changed: change it before publishing a new version');
  const scope = schoolScope(db, schoolId);
  await scope.sql('select 1 from agreements where school_id = :school and id = $1 for update', [agreementId]);
  const number = current.number + 1;
  const version = await scope.insert<{ id: string }>('agreement_versions', {
    agreement_id: agreementId, number, body, body_sha256: textSha256(body), requires_resign: input.changesMeaning,
    change_note: input.note ?? null, published_by: actor.userId,
  });
  if (title !== current.title) await scope.update('agreements', { id: agreementId }, { title });
  // Parents have no account: their new links are owed, and the agreements jobs send them in
  // batches (publishing stays quick whatever the number of parents).
  if (input.changesMeaning && current.audience === 'parents') await scope.insert('agreement_resign_runs', { agreement_id: agreementId, version_id: version.id });
  await audit(db, {
    schoolId, actor, action: 'agreement.published', recordType: 'agreement', recordId: agreementId, ip,
    detail: { versionId: version.id, number, audience: current.audience, requiresResign: input.changesMeaning },
  });
  return { versionId: version.id, number };
}

/**
 * Starts the yearly renewal of an agreement: from now, only signatures made after this moment
 * are current, so everyone in the audience is due to sign again.
 */
export async function startRenewal(db: Queryable, schoolId: string, agreementId: string, actor: Actor, ip: string | null) {
  const rows = await schoolScope(db, schoolId).update('agreements', { id: agreementId }, { renewal_started_at: new Date() });
  if (!rows.length) return false;
  await oweRenewalReminders(db, schoolId, agreementId);
  await audit(db, { schoolId, actor, action: 'agreement.renewal_started', recordType: 'agreement', recordId: agreementId, ip });
  return true;
}

/** The audiences reminded by email when a renewal starts: staff and governors (to sign in Harbour) and parents (their personal link). */
export const remindedAudiences: Audience[] = ['staff_governors', 'parents'];

/**
 * Records, in the transaction that starts a renewal, that one reminder is owed to everyone then
 * due who has an email address (of one agreement, or of all the school's when agreementId is
 * null). The agreements jobs send them in batches, whether or not periodic chasers are on.
 */
export async function oweRenewalReminders(db: Queryable, schoolId: string, agreementId: string | null) {
  await schoolScope(db, schoolId).sql(
    `insert into agreement_reminder_runs (school_id, agreement_id, renewal_started_at)
     select :school, a.id, a.renewal_started_at from agreements a
      where a.school_id = :school and a.audience = any($1::text[]) and a.renewal_started_at is not null and ($2::uuid is null or a.id = $2)
     on conflict (agreement_id, renewal_started_at) do nothing`,
    [remindedAudiences, agreementId],
  );
}

export interface NewSignature {
  agreementId: string;
  signerId: string;
  subjectId: string;
  signedName: string;
  method: SigningMethod;
  recordedBy?: string | null;
  linkId?: string | null;
  userAgent?: string | null;
  ip?: string | null;
  /** At the kiosk: who the visitor came to see, and the day of the visit. */
  visiting?: string | null;
  visitOn?: string | null;
  /** A particular version (on paper, the version printed); otherwise the current one. */
  versionId?: string | null;
  /**
   * The version the signer was shown (the signing form carries it back). When given (null: the
   * form carried none), the current version must still be that one, or AgreementChangedError is
   * thrown and nothing is signed: a signature points at the text the person actually read.
   */
  readVersionId?: string | null;
  /** When it was signed, when not now (on paper, the date written on it). */
  signedAt?: Date | null;
}

/**
 * Records a signature of the agreement's current version. Signing the same version again for
 * the same person changes nothing and creates no second signature (created is then false).
 */
export async function recordSignature(db: Queryable, schoolId: string, s: NewSignature, actor: Actor) {
  const scope = schoolScope(db, schoolId);
  const [v] = await scope.sql<{ id: string; body_sha256: string; number: number }>(
    `select v.id, v.body_sha256, v.number from agreement_versions v where v.school_id = :school and v.agreement_id = $1 and ($2::uuid is null or v.id = $2) order by v.number desc limit 1`,
    [s.agreementId, s.versionId ?? null],
  );
  if (!v) throw new Error('no such agreement in this school');
  if (s.readVersionId !== undefined && s.readVersionId !== v.id) throw new AgreementChangedError();
  const [row] = await scope.sql<{ id: string }>(
    `insert into agreement_signatures (school_id, agreement_id, version_id, text_sha256, signer_id, subject_id, signed_name, method, recorded_by, link_id, user_agent, ip, visiting, visit_on, signed_at)
     select :school, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, coalesce($14::timestamptz, now())
      where exists (select 1 from people where id = $4 and school_id = :school) and exists (select 1 from people where id = $5 and school_id = :school)
     on conflict (version_id, signer_id, subject_id) do nothing returning id`,
    [s.agreementId, v.id, v.body_sha256, s.signerId, s.subjectId, s.signedName, s.method, s.recordedBy ?? null, s.linkId ?? null,
      (s.userAgent ?? '').slice(0, 300) || null, s.ip ?? null, s.visiting ?? null, s.visitOn ?? null, s.signedAt ?? null],
  );
  if (!row) {
    const [existing] = await scope.sql<{ id: string }>('select id from agreement_signatures where school_id = :school and version_id = $1 and signer_id = $2 and subject_id = $3', [v.id, s.signerId, s.subjectId]);
    return { created: false, id: existing?.id ?? null, versionNumber: v.number };
  }
  await audit(db, {
    schoolId, actor, action: 'agreement.signed', recordType: 'agreement_signature', recordId: row.id, ip: s.ip ?? null,
    detail: { agreementId: s.agreementId, versionId: v.id, number: v.number, method: s.method, signerId: s.signerId, subjectId: s.subjectId },
  });
  return { created: true, id: row.id, versionNumber: v.number };
}

/** Lower case, spaces trimmed and single: how a visitor's name and organisation are compared at the kiosk. */
const foldedSql = (col: string) => `lower(regexp_replace(btrim(coalesce(${col}, '')), '\\s+', ' ', 'g'))`;
const folded = (s: string | null | undefined) => (s ?? '').trim().replace(/\s+/g, ' ').toLowerCase();

/**
 * The visitor signing at the kiosk: the school's existing visitor of the same name and
 * organisation (case and spacing aside; when an email address is given, one with that address
 * or none), or a new one. Concurrent posts of the same name wait for each other (an advisory
 * lock held to the end of the transaction), so a double tap makes one person, not two.
 */
export async function findOrAddVisitor(db: Queryable, schoolId: string,
  v: { given_name: string; family_name: string; organisation?: string | null; email?: string | null }, actor: Actor, ip: string | null) {
  const scope = schoolScope(db, schoolId);
  const key = [folded(v.given_name), folded(v.family_name), folded(v.organisation)].join('\n');
  await scope.sql(`select pg_advisory_xact_lock(hashtext(:school::text), hashtext($1))`, [`kiosk-visitor\n${key}`]);
  const email = v.email?.trim() || null;
  const [found] = await scope.sql<{ id: string; email: string | null }>(
    `select id, email from people
      where school_id = :school and kind = 'visitor' and left_on is null
        and ${foldedSql('given_name')} = $1 and ${foldedSql('family_name')} = $2 and ${foldedSql('organisation_name')} = $3
        and ($4::text is null or lower(email) = lower($4))
      order by ($4::text is not null and lower(email) = lower($4)) desc nulls last, created_at limit 1`,
    [folded(v.given_name), folded(v.family_name), folded(v.organisation), email],
  );
  // An address typed at the kiosk is never added to a record it matched by name: anyone at the
  // tablet could otherwise send a visitor's future copies to themselves. A visitor first seen
  // without an address who now gives one is, for the register, a new visitor.
  if (found) return { id: found.id, created: false };
  const visitor = await scope.insert<{ id: string }>('people', {
    kind: 'visitor', given_name: v.given_name.trim(), family_name: v.family_name.trim(), organisation_name: v.organisation?.trim() || null, email,
  });
  await audit(db, { schoolId, actor, action: 'person.created', recordType: 'person', recordId: visitor.id, ip, detail: { kind: 'visitor', via: 'kiosk' } });
  return { id: visitor.id, created: true };
}

/** Within this many minutes, the same visitor signing in again for the same day and host is the same visit (a double tap). */
export const visitRepeatMinutes = 10;

/**
 * Records a visit at the kiosk in the visitors' log: every visit, whether its signature is new
 * or one the visitor made before. Call it in the kiosk's transaction after findOrAddVisitor,
 * whose advisory lock makes concurrent posts of the same visitor wait, so a double tap (the
 * same person, day and host within a few minutes) finds the first visit and adds none.
 */
export async function recordKioskVisit(db: Queryable, schoolId: string,
  v: { kioskId: string; visitorId: string; signatureId: string; signedThisVisit: boolean; visiting: string; visitOn: string; userAgent?: string | null; ip?: string | null },
  actor: Actor) {
  const scope = schoolScope(db, schoolId);
  const [repeat] = await scope.sql<{ id: string }>(
    `select id from agreement_visits
      where school_id = :school and visitor_id = $1 and visit_on = $2 and ${foldedSql('visiting')} = $3
        and arrived_at > now() - make_interval(mins => $4) order by arrived_at desc limit 1`,
    [v.visitorId, v.visitOn, folded(v.visiting), visitRepeatMinutes],
  );
  if (repeat) return { id: repeat.id, created: false };
  const row = await scope.insert<{ id: string }>('agreement_visits', {
    kiosk_id: v.kioskId, visitor_id: v.visitorId, signature_id: v.signatureId, signed_this_visit: v.signedThisVisit,
    visiting: v.visiting.trim(), visit_on: v.visitOn, user_agent: (v.userAgent ?? '').slice(0, 300) || null, ip: v.ip ?? null,
  });
  await audit(db, { schoolId, actor, action: 'agreement_visit.recorded', recordType: 'agreement_visit', recordId: row.id, ip: v.ip ?? null, detail: { kioskId: v.kioskId, signatureId: v.signatureId, signedThisVisit: v.signedThisVisit } });
  return { id: row.id, created: true };
}

export interface VisitRow {
  id: string;
  given_name: string;
  family_name: string;
  organisation_name: string | null;
  visiting: string;
  visit_on: string;
  arrived_at: Date;
  kiosk_name: string;
  signed_this_visit: boolean;
  signature_id: string;
  signed_at: Date;
  version_number: number;
}

/**
 * The visitors' log for one day: the visits whose date is that day, or that signed in at the
 * kiosk that day (London time) whatever date was typed, earliest first, each with the signature
 * it relied on.
 */
export async function visitsOn(db: Queryable, schoolId: string, day: string) {
  return schoolScope(db, schoolId).sql<VisitRow>(
    `select vi.id, p.given_name, p.family_name, p.organisation_name, vi.visiting, vi.visit_on, vi.arrived_at, k.name as kiosk_name,
            vi.signed_this_visit, vi.signature_id, s.signed_at, v.number as version_number
       from agreement_visits vi
       join people p on p.id = vi.visitor_id and p.school_id = :school
       join agreement_kiosks k on k.id = vi.kiosk_id and k.school_id = :school
       join agreement_signatures s on s.id = vi.signature_id and s.school_id = :school
       join agreement_versions v on v.id = s.version_id
      where vi.school_id = :school
        and (vi.visit_on = $1::date
             or (vi.arrived_at >= ($1::date::timestamp at time zone 'Europe/London') and vi.arrived_at < (($1::date + 1)::timestamp at time zone 'Europe/London')))
      order by vi.arrived_at, vi.id limit 1000`,
    [day],
  );
}

/** Letters only, lower case, single spaces: how a typed name is compared with the record. */
export function comparableName(name: string): string {
  return name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z\s'-]/g, ' ').replace(/[\s'-]+/g, ' ').trim();
}

/** True when a typed name is the person's name (given or preferred, then family) as the school holds it. */
export function nameMatches(typed: string, person: { given_name: string; family_name: string; preferred_name?: string | null }): boolean {
  const t = comparableName(typed);
  if (!t) return false;
  const accepted = [person.given_name, person.preferred_name].filter(Boolean).map((g) => comparableName(`${g} ${person.family_name}`));
  return accepted.includes(t);
}

// ---------------------------------------------------------------------------------------------
// Standing: who holds a current agreement. Worked out from the signatures every time, so a new
// version, a renewal or a new signature changes it at once and nothing can go stale.

/**
 * SQL (as CTEs, ending in a select named `standing`) giving, for each person of the school who
 * signs an agreement (not parents), their audience, whether their own agreement is current, due
 * or never signed, and for pupils the same for the parents' agreement signed for them.
 * Includes leavers only when withLeavers is set.
 */
export function standingCtes(opts: { withLeavers?: boolean } = {}): string {
  return `cur as (
    select a.id as agreement_id, a.audience, a.renewal_started_at,
           (select max(b.number) from agreement_versions b where b.agreement_id = a.id and b.requires_resign) as baseline_number,
           (select max(b.published_at) from agreement_versions b where b.agreement_id = a.id and b.requires_resign) as baseline_published_at
      from agreements a where a.school_id = :school
  ),
  sig as (
    select s.subject_id, c.audience,
           bool_or(v.number >= c.baseline_number and (c.renewal_started_at is null or s.signed_at >= c.renewal_started_at)) as is_current,
           -- When the signature reached Harbour, not the date it bears: a paper signature is entered
           -- days after the date on it, and the IT provider's changed_since must still see it.
           max(s.recorded_at) as last_recorded_at
      from agreement_signatures s join agreement_versions v on v.id = s.version_id join cur c on c.agreement_id = s.agreement_id
     where s.school_id = :school
     group by s.subject_id, c.audience
  ),
  dec as (
    select distinct on (d.person_id) d.person_id, d.status, d.reason_kind, d.ends_on
      from technology_access_decisions d
     where d.school_id = :school and d.lifted_at is null
       and d.starts_on <= (now() at time zone 'Europe/London')::date
       and (d.ends_on is null or d.ends_on >= (now() at time zone 'Europe/London')::date)
     order by d.person_id, case d.status when 'withdrawn' then 0 else 1 end, d.decided_at desc
  ),
  decchange as (
    select d.person_id, max(greatest(d.decided_at, d.lifted_at,
             case when d.starts_on <= (now() at time zone 'Europe/London')::date then (d.starts_on::timestamp at time zone 'Europe/London') end,
             case when d.ends_on < (now() at time zone 'Europe/London')::date then ((d.ends_on + 1)::timestamp at time zone 'Europe/London') end)) as changed_at
      from technology_access_decisions d where d.school_id = :school group by d.person_id
  ),
  ppl as (
    select p.*, ${audienceSql('p')} as audience from people p
     where p.school_id = :school and p.kind <> 'parent'${opts.withLeavers ? '' : ' and p.left_on is null'}
  ),
  standing as (
    select p.id, p.kind, p.given_name, p.family_name, p.preferred_name, p.upn, p.year_group, p.class_name, p.left_on, p.audience, p.organisation_name,
           (select array_agg(r.role order by r.role) from role_assignments r where r.person_id = p.id and r.school_id = :school) as roles,
           case when so.is_current then 'current' when so.subject_id is not null then 'due' else 'never' end as own_state,
           case when p.kind <> 'pupil' then null when sp.is_current then 'current' when sp.subject_id is not null then 'due' else 'never' end as parent_state,
           dec.status as decision_status, dec.reason_kind, dec.ends_on,
           case when p.left_on is not null then 'not_yet'
                when dec.status is not null then dec.status
                when so.is_current or sp.is_current then 'allowed'
                else 'not_yet' end as access_status,
           greatest(p.created_at, p.updated_at, so.last_recorded_at, sp.last_recorded_at, decchange.changed_at,
                    case when co.baseline_published_at <= now() then co.baseline_published_at end, co.renewal_started_at,
                    case when p.kind = 'pupil' then cp.baseline_published_at end, case when p.kind = 'pupil' then cp.renewal_started_at end) as changed_at
      from ppl p
      left join sig so on so.subject_id = p.id and so.audience = p.audience
      left join sig sp on sp.subject_id = p.id and sp.audience = 'parents' and p.kind = 'pupil'
      left join dec on dec.person_id = p.id
      left join decchange on decchange.person_id = p.id
      left join cur co on co.audience = p.audience
      left join cur cp on cp.audience = 'parents'
  )`;
}

/**
 * SQL (inside standingCtes) that is true when the parent `parentCol` has asked the school to
 * explain the parents' agreement to the child `childCol`, for a version still current (no
 * version that changes the meaning since, no renewal since), whether the request is still open
 * or the school has answered it. Such a parent is not chased, reminded or sent links for that
 * child and version: while the request is open the school follows it up through the
 * explain-requests list, and once it has explained the agreement (which records the child's own
 * agreement) there is nothing left to ask of the parent until the next version or renewal.
 */
export function explainAskedSql(parentCol: string, childCol: string): string {
  return `exists (select 1 from agreement_explain_requests er join agreement_versions ev on ev.id = er.version_id join cur ec on ec.agreement_id = er.agreement_id
     where er.school_id = :school and er.parent_id = ${parentCol} and er.child_id = ${childCol}
       and ev.number >= ec.baseline_number and (ec.renewal_started_at is null or er.requested_at >= ec.renewal_started_at))`;
}

export type SignState = 'current' | 'due' | 'never';

/**
 * The state of one person's own agreement: current, due (signed, but a version that changes the
 * meaning or a renewal came since) or never signed, with their latest signature. The same rule
 * as standingCtes, for one person and one agreement.
 */
export async function ownAgreementState(db: Queryable, schoolId: string, personId: string, agreementId: string) {
  const [row] = await schoolScope(db, schoolId).sql<{ state: SignState; signature_id: string | null; signed_at: Date | null; number: number | null }>(
    `with a as (select a.id, a.renewal_started_at, (select max(number) from agreement_versions b where b.agreement_id = a.id and b.requires_resign) as baseline
                  from agreements a where a.school_id = :school and a.id = $2)
     select case when bool_or(v.number >= a.baseline and (a.renewal_started_at is null or s.signed_at >= a.renewal_started_at)) then 'current'
                 when count(s.id) > 0 then 'due' else 'never' end as state,
            (array_agg(s.id order by s.signed_at desc))[1] as signature_id, max(s.signed_at) as signed_at, max(v.number) as number
       from a left join agreement_signatures s on s.agreement_id = a.id and s.subject_id = $1 and s.school_id = :school
       left join agreement_versions v on v.id = s.version_id group by a.id`,
    [personId, agreementId],
  );
  return row ?? { state: 'never' as SignState, signature_id: null, signed_at: null, number: null };
}

/**
 * A member of staff's or governor's own agreement, for a notice outside this module (the
 * dashboard): the agreement they sign in Harbour, whether it is current, and when they last
 * signed. Null for anyone who does not sign the staff and governors' agreement in Harbour.
 */
export async function ownStaffAgreement(db: Queryable, schoolId: string, personId: string) {
  const person = await schoolScope(db, schoolId).one<{ kind: string; year_group: string | null; left_on: string | null }>('people', { id: personId });
  if (!person || person.left_on || audienceOf(person) !== 'staff_governors') return null;
  const agreement = await agreementForAudience(db, schoolId, 'staff_governors');
  if (!agreement) return null;
  const own = await ownAgreementState(db, schoolId, personId, agreement.id);
  return { agreementId: agreement.id, title: agreement.title, signHref: '/agreements/sign', state: own.state, signedAt: own.signed_at, signedNumber: own.number };
}

export interface ComplianceGroup {
  group: string;
  total: number;
  current: number;
  due: number;
  never: number;
}

/**
 * The compliance figures for every audience at once (one pass over the school), each grouped by
 * class (pupils, and parents by their child's class), by role (staff and governors) or by
 * organisation (visitors).
 */
export async function complianceAll(db: Queryable, schoolId: string): Promise<Map<Audience, { total: ComplianceGroup; byGroup: ComplianceGroup[] }>> {
  const rows = await schoolScope(db, schoolId).sql<{ audience: Audience; grp: string; state: SignState; n: number }>(
    `with ${standingCtes()},
     own as (
       select audience, case audience
                when 'staff_governors' then coalesce(nullif(array_to_string(roles, ', '), ''), initcap(kind))
                when 'visitors' then coalesce(organisation_name, 'No organisation given')
                else coalesce(class_name, year_group, 'No class') end as grp, own_state as state from standing
       union all
       -- Parents sign for pupils, so the parents' audience is counted per child.
       select 'parents', coalesce(class_name, year_group, 'No class'), parent_state from standing where kind = 'pupil'
     )
     select audience, grp, state, count(*)::int as n from own group by 1, 2, 3`,
  );
  const out = new Map<Audience, { total: ComplianceGroup; byGroup: ComplianceGroup[] }>();
  const groups = new Map<string, ComplianceGroup>();
  for (const a of audienceNames) out.set(a, { total: { group: 'All', total: 0, current: 0, due: 0, never: 0 }, byGroup: [] });
  for (const r of rows) {
    const entry = out.get(r.audience);
    if (!entry) continue;
    const key = `${r.audience}\u0000${r.grp}`;
    let g = groups.get(key);
    if (!g) {
      g = { group: r.grp, total: 0, current: 0, due: 0, never: 0 };
      groups.set(key, g);
      entry.byGroup.push(g);
    }
    g[r.state] += r.n;
    g.total += r.n;
    entry.total[r.state] += r.n;
    entry.total.total += r.n;
  }
  for (const e of out.values()) e.byGroup.sort((a, b) => a.group.localeCompare(b.group, 'en-GB', { numeric: true }));
  return out;
}

/** The compliance figures for one audience. */
export async function compliance(db: Queryable, schoolId: string, audience: Audience) {
  return (await complianceAll(db, schoolId)).get(audience)!;
}

/** The people of one audience who are due or have never signed, by class and name. */
export async function outstanding(db: Queryable, schoolId: string, audience: Audience, limit = 200) {
  const stateCol = audience === 'parents' ? 'parent_state' : 'own_state';
  const where = audience === 'parents' ? `kind = 'pupil'` : `audience = $1`;
  const params = audience === 'parents' ? [] : [audience];
  return schoolScope(db, schoolId).sql<{ id: string; given_name: string; family_name: string; class_name: string | null; state: SignState }>(
    `with ${standingCtes()} select id, given_name, family_name, class_name, ${stateCol} as state from standing
      where ${where} and ${stateCol} <> 'current' order by class_name nulls last, family_name, given_name limit ${Number(limit)}`,
    params,
  );
}

/** Percentage rounded to a whole number, 0 when there is nobody. */
export function percent(n: number, of: number): number {
  return of ? Math.round((100 * n) / of) : 0;
}

// ---------------------------------------------------------------------------------------------
// Parents' personal links.

export type LinkProblem = 'invalid' | 'expired' | 'used' | 'replaced';

/** A parent's children at the school (current pupils), by name. */
export async function childrenOf(db: Queryable, schoolId: string, parentId: string) {
  return schoolScope(db, schoolId).sql<{ id: string; given_name: string; family_name: string; preferred_name: string | null; class_name: string | null; year_group: string | null }>(
    `select c.id, c.given_name, c.family_name, c.preferred_name, c.class_name, c.year_group from guardianships g join people c on c.id = g.child_id
      where g.school_id = :school and g.parent_id = $1 and c.school_id = :school and c.kind = 'pupil' and c.left_on is null
      order by c.given_name, c.family_name`,
    [parentId],
  );
}

/**
 * Creates a new personal link for a parent (any earlier unused link stops working), then emails
 * it. The link is saved before the email is tried, and the email's outcome is saved after, so
 * a failed email is shown and can be sent again; nothing a parent signs depends on it.
 */
export async function sendParentLink(db: Database, mailer: Mailer, baseUrl: string, schoolId: string, parentId: string, actor: Actor, ip: string | null) {
  const token = randomBytes(32).toString('base64url');
  const made = await db.transaction(async (tx) => {
    const scope = schoolScope(tx, schoolId);
    const parent = await scope.one<{ id: string; email: string | null; kind: string; left_on: string | null }>('people', { id: parentId });
    if (!parent || parent.kind !== 'parent' || parent.left_on) return null;
    const children = await childrenOf(tx, schoolId, parentId);
    if (!children.length) return null;
    await scope.sql('update agreement_links set replaced_at = now() where school_id = :school and parent_id = $1 and used_at is null and replaced_at is null', [parentId]);
    const link = await scope.insert<{ id: string }>('agreement_links', {
      parent_id: parentId, token_hash: sha256(token), expires_at: new Date(Date.now() + parentLinkDays * 86_400_000),
      email_status: parent.email ? 'pending' : 'no_address', created_by: actor.userId,
    });
    const [school] = await scope.sql<{ name: string }>('select name from schools where id = :school');
    await audit(tx, { schoolId, actor, action: 'agreement_link.created', recordType: 'agreement_link', recordId: link.id, ip, detail: { parentId } });
    return { linkId: link.id, email: parent.email, schoolName: school.name };
  });
  if (!made) return null;
  if (!made.email) return { linkId: made.linkId, status: 'no_address' as const };
  let status: 'sent' | 'failed' = 'sent';
  try {
    await mailer.send({
      to: made.email,
      subject: `Please sign ${made.schoolName}'s acceptable use agreement`,
      // No child's name, nor anything else personal, goes in the message: only the link.
      text: `${made.schoolName} asks every parent and carer to sign its acceptable use agreement for each of their children.\n\n` +
        `This link is personal to you. Open it within ${parentLinkDays} days; it can be used once:\n${baseUrl}/parents/sign/${token}\n\n` +
        `If you cannot go through the agreement with your child, the page lets you ask the school to explain it to them instead.\n`,
    });
  } catch {
    status = 'failed';
  }
  await db.transaction(async (tx) => {
    await schoolScope(tx, schoolId).update('agreement_links', { id: made.linkId }, { email_status: status, email_attempted_at: new Date() });
    if (status === 'failed') await audit(tx, { schoolId, actor, action: 'agreement_link.email_failed', recordType: 'agreement_link', recordId: made.linkId, ip });
  });
  return { linkId: made.linkId, status };
}

/** Finds a parent's link by its token, or says why it cannot be used. Reads across schools: the token is the authority. */
export async function findParentLink(db: Queryable, token: string, lock = false) {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return { problem: 'invalid' as LinkProblem };
  const row = (await db.query<{ id: string; school_id: string; parent_id: string; expires_at: Date; used_at: Date | null; replaced_at: Date | null }>(
    `select id, school_id, parent_id, expires_at, used_at, replaced_at from agreement_links where token_hash = $1${lock ? ' for update' : ''}`, [sha256(token)])).rows[0];
  if (!row) return { problem: 'invalid' as LinkProblem };
  if (row.used_at) return { problem: 'used' as LinkProblem };
  if (row.replaced_at) return { problem: 'replaced' as LinkProblem };
  if (new Date(row.expires_at) <= new Date()) return { problem: 'expired' as LinkProblem };
  return { link: row };
}

export type ParentChoice = 'sign' | 'explain';

/**
 * A parent's visit, in one transaction: a signature for each child they sign for, a request
 * for each child they ask the school to explain the agreement to, and the link used up.
 */
export async function completeParentLink(db: Database, token: string, input: { signedName: string; choices: Record<string, ParentChoice>; versionId: string | null }, device: { userAgent: string | null; ip: string | null }) {
  return db.transaction(async (tx) => {
    const found = await findParentLink(tx, token, true);
    if (!found.link) return { problem: found.problem };
    const { link } = found;
    const scope = schoolScope(tx, link.school_id);
    const agreement = await agreementForAudience(tx, link.school_id, 'parents');
    if (!agreement) throw new Error('the school has no parents agreement');
    // A newer version was published while the parent read the page: they read it first; the link stays usable.
    if (input.versionId !== agreement.version_id) return { changed: true as const };
    const parent = (await scope.one<{ id: string; given_name: string; family_name: string; preferred_name: string | null }>('people', { id: link.parent_id }))!;
    const children = await childrenOf(tx, link.school_id, link.parent_id);
    const errors: { field: string; text: string }[] = [];
    for (const c of children) {
      if (!['sign', 'explain'].includes(input.choices[c.id])) errors.push({ field: `child-${c.id}`, text: `Choose whether you sign for ${c.preferred_name ?? c.given_name} or ask the school to explain the agreement` });
    }
    if (!input.signedName.trim()) errors.push({ field: 'signed_name', text: 'Enter your full name' });
    else if (!nameMatches(input.signedName, parent)) errors.push({ field: 'signed_name', text: 'Enter your full name as the school has it (first name and last name)' });
    if (errors.length) return { errors };
    const actor: Actor = { userId: null, label: 'parent or carer by personal link' };
    let signed = 0;
    let explain = 0;
    const signedFor: string[] = [];
    for (const c of children) {
      if (input.choices[c.id] === 'sign') {
        await recordSignature(tx, link.school_id, {
          agreementId: agreement.id, signerId: parent.id, subjectId: c.id, signedName: input.signedName.trim(), method: 'link',
          linkId: link.id, userAgent: device.userAgent, ip: device.ip, readVersionId: input.versionId,
        }, actor);
        signed++;
        signedFor.push(`${c.preferred_name ?? c.given_name} ${c.family_name}`);
      } else {
        await scope.sql(
          `insert into agreement_explain_requests (school_id, agreement_id, version_id, parent_id, child_id, link_id)
           values (:school, $1, $2, $3, $4, $5) on conflict (version_id, parent_id, child_id) do nothing`,
          [agreement.id, agreement.version_id, parent.id, c.id, link.id],
        );
        explain++;
      }
    }
    await scope.update('agreement_links', { id: link.id }, { used_at: new Date() });
    await audit(tx, { schoolId: link.school_id, actor, action: 'agreement_link.used', recordType: 'agreement_link', recordId: link.id, ip: device.ip, detail: { signed, explain } });
    const copy = signed ? { title: agreement.title, number: agreement.number, sha256: agreement.body_sha256, body: agreement.body, signedName: input.signedName.trim(), children: signedFor, signedAt: new Date() } : null;
    return { done: { signed, explain, copy } };
  });
}

/** What a link's page shows: the agreement, the school's name, the parent's children. */
export async function parentLinkPage(db: Queryable, link: { school_id: string; parent_id: string }) {
  const agreement = await agreementForAudience(db, link.school_id, 'parents');
  const children = await childrenOf(db, link.school_id, link.parent_id);
  const [school] = await schoolScope(db, link.school_id).sql<{ name: string }>('select name from schools where id = :school');
  // The pupils' rules each child agrees to, so the parent can go through them together.
  const childRules = new Map<Audience, AgreementSummary>();
  for (const c of children) {
    const aud = audienceOf({ kind: 'pupil', year_group: c.year_group })!;
    if (!childRules.has(aud)) {
      const a = await agreementForAudience(db, link.school_id, aud);
      if (a) childRules.set(aud, a);
    }
  }
  return { agreement, children, schoolName: school.name, childRules: [...childRules.values()] };
}

// ---------------------------------------------------------------------------------------------
// The technology access register.

/**
 * Records a withdrawal or restriction of a person's use of school technology. Exported for
 * other capabilities: an incident's sanction calls this with source 'incident' and an end date,
 * and the withdrawal ends by itself after that day.
 */
export async function recordAccessDecision(db: Queryable, schoolId: string,
  input: { personId: string; status: 'withdrawn' | 'restricted'; reasonKind: ReasonKind; reasonDetail?: string | null; startsOn?: string | null; endsOn?: string | null; sourceType?: string | null; sourceId?: string | null },
  actor: Actor, ip: string | null) {
  const scope = schoolScope(db, schoolId);
  const person = await scope.one<{ id: string; kind: string }>('people', { id: input.personId });
  if (!person || person.kind === 'parent') return null;
  const row = await scope.insert<{ id: string }>('technology_access_decisions', {
    person_id: input.personId, status: input.status, reason_kind: input.reasonKind, reason_detail: input.reasonDetail ?? null,
    ...(input.startsOn ? { starts_on: input.startsOn } : {}), ends_on: input.endsOn ?? null,
    source_type: input.sourceType ?? null, source_id: input.sourceId ?? null, decided_by: actor.userId,
  });
  await audit(db, {
    schoolId, actor, action: 'technology_access.decided', recordType: 'person', recordId: input.personId, ip,
    detail: { decisionId: row.id, status: input.status, reasonKind: input.reasonKind, endsOn: input.endsOn ?? null, sourceType: input.sourceType ?? null },
  });
  return row.id;
}

/** Lifts a decision before its end date. */
export async function liftAccessDecision(db: Queryable, schoolId: string, decisionId: string, actor: Actor, ip: string | null) {
  const rows = await schoolScope(db, schoolId).sql<{ id: string; person_id: string }>(
    'update technology_access_decisions set lifted_at = now(), lifted_by = $2 where school_id = :school and id = $1 and lifted_at is null returning id, person_id',
    [decisionId, actor.userId],
  );
  if (!rows.length) return null;
  await audit(db, { schoolId, actor, action: 'technology_access.lifted', recordType: 'person', recordId: rows[0].person_id, ip, detail: { decisionId } });
  return rows[0].person_id;
}

export interface RegisterRow {
  id: string;
  kind: string;
  given_name: string;
  family_name: string;
  preferred_name: string | null;
  upn: string | null;
  year_group: string | null;
  class_name: string | null;
  left_on: string | null;
  audience: Audience | null;
  roles: string[] | null;
  access_status: 'allowed' | 'not_yet' | 'withdrawn' | 'restricted';
  reason_kind: ReasonKind | null;
  ends_on: string | null;
  changed_at: Date;
}

/**
 * The register: each person (not parents) with their access status and the kind of reason.
 * No reason detail is ever selected here: this is what all staff and the IT provider see.
 */
export async function accessRegister(db: Queryable, schoolId: string, opts: { notAllowedOnly?: boolean; changedSince?: string; withLeavers?: boolean; q?: string; limit?: number; offset?: number } = {}) {
  const where: string[] = ['true'];
  const params: unknown[] = [];
  if (opts.notAllowedOnly) where.push(`access_status <> 'allowed'`);
  if (opts.changedSince) {
    params.push(opts.changedSince);
    where.push(`changed_at >= $${params.length}::timestamptz`);
  }
  if (opts.q) {
    params.push(`%${opts.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`(lower(given_name || ' ' || family_name) like $${params.length} or lower(coalesce(preferred_name, '') || ' ' || family_name) like $${params.length})`);
  }
  const page = opts.limit ? ` limit ${Number(opts.limit)} offset ${Number(opts.offset ?? 0)}` : '';
  return schoolScope(db, schoolId).sql<RegisterRow>(
    `with ${standingCtes({ withLeavers: opts.withLeavers })}
     select id, kind, given_name, family_name, preferred_name, upn, year_group, class_name, left_on, audience, roles,
            access_status, case when access_status in ('withdrawn', 'restricted') then reason_kind end as reason_kind,
            case when access_status in ('withdrawn', 'restricted') then ends_on end as ends_on, changed_at
       from standing where ${where.join(' and ')}
      order by case access_status when 'withdrawn' then 0 when 'restricted' then 1 when 'not_yet' then 2 else 3 end,
               class_name nulls last, family_name, given_name, id${page}`,
    params,
  );
}

/** How many people stand at each access status. */
export async function accessCounts(db: Queryable, schoolId: string) {
  const rows = await schoolScope(db, schoolId).sql<{ access_status: string; n: number }>(
    `with ${standingCtes()} select access_status, count(*)::int as n from standing group by 1`);
  const counts: Record<string, number> = { allowed: 0, not_yet: 0, withdrawn: 0, restricted: 0 };
  for (const r of rows) counts[r.access_status] = r.n;
  return counts;
}

export { isAudience };
