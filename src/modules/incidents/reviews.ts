// The incident log's half-termly or termly review: what happened since the last review (counts
// of every incident, and the incidents the reviewer may see), and the sign-off by the
// headteacher or the chair of governors (who, when, notes).
import type { Queryable } from '../../platform/db/database';
import { audit, type Actor } from '../../platform/audit/audit';
import type { Role } from '../../platform/permissions/roles';
import { IncidentScope, type Viewer } from './visibility';

/** The last review signed off, or null (without its notes, which pastReviews gives to those who may read them). */
export async function lastReview(incidents: IncidentScope) {
  const [row] = await incidents.scope.sql(
    `select r.id, r.period_from, r.period_to, r.signed_off_at, r.signed_off_role, r.signed_off_by, p.given_name || ' ' || p.family_name as signed_off_by_name
       from incident_reviews r join people p on p.id = r.signed_off_by
      where r.school_id = :school order by r.period_to desc limit 1`);
  return row ?? null;
}

/**
 * Whether this viewer may read notes kept for governors only: the chair of governors may; the
 * headteacher never (they may be about a concern about the headteacher).
 */
export const readsGovernorsNotes = (roles: readonly string[]) => roles.includes('chair_of_governors') && !roles.includes('headteacher');

/**
 * How many incidents reported since `since` the headteacher may not see (concerns about the
 * headteacher). Only for the chair of governors' sign-off, to choose whether the notes are for
 * governors only: never shown to anyone else.
 */
export async function hiddenFromHeadteacherSince(db: Queryable, schoolId: string, since: Date | null) {
  const all = new IncidentScope(db, schoolId, { kind: 'figures', roles: ['chair_of_governors'] });
  const [row] = await all.sql<{ n: number }>(
    `select count(*) filter (where v.concern_about_headteacher)::int as n from visible_incidents v where ($1::timestamptz is null or v.reported_at > $1)`, [since]);
  return row.n;
}

/**
 * Every review, newest first. Each one's count of incidents is worked out again for this viewer
 * (anonymised figures, which leave out a concern about the headteacher for the headteacher),
 * never read from the counts saved at sign-off, which were the signer's: a chair of governors'
 * review counted concerns the headteacher may not know of. Notes kept for governors only are
 * left out (in SQL) for anyone who may not read them, who sees only that there are notes.
 */
export async function pastReviews(db: Queryable, schoolId: string, viewer: Viewer & { kind: 'person' }) {
  const figures = new IncidentScope(db, schoolId, { kind: 'figures', roles: viewer.roles });
  return figures.sql(
    `select r.id, r.period_from, r.period_to, r.signed_off_at, r.signed_off_role, p.given_name || ' ' || p.family_name as signed_off_by_name,
            r.notes_governors_only, r.notes is not null as has_notes, case when r.notes_governors_only and not $1 then null else r.notes end as notes,
            (select count(*)::int from visible_incidents v where (r.period_from is null or v.reported_at > r.period_from) and v.reported_at <= r.period_to) as total
       from incident_reviews r join people p on p.id = r.signed_off_by
      where r.school_id = :school order by r.period_to desc limit 50`, [readsGovernorsNotes(viewer.roles)]);
}

/**
 * What happened since `since` (or ever, when null): counts of every incident reported (a
 * headteacher's leave out concerns about them), and the incidents this viewer may see.
 */
export async function sinceLastReview(db: Queryable, schoolId: string, viewer: Viewer & { kind: 'person' }, since: Date | null) {
  const figures = new IncidentScope(db, schoolId, { kind: 'figures', roles: viewer.roles });
  const [counts] = await figures.sql<{ total: number; open: number; closed: number; serious: number; referred: number; staff: number }>(
    `select count(*)::int as total, count(*) filter (where v.status <> 'closed')::int as open, count(*) filter (where v.status = 'closed')::int as closed,
            count(*) filter (where v.severity in ('high', 'serious_harm'))::int as serious,
            count(*) filter (where exists (select 1 from incident_referrals r where r.incident_id = v.id and r.decision = 'referred'))::int as referred,
            count(*) filter (where v.concern_about_staff)::int as staff
       from visible_incidents v where ($1::timestamptz is null or v.reported_at > $1)`, [since]);
  const seen = new IncidentScope(db, schoolId, viewer);
  const list = await seen.sql(
    `select v.id, v.reference, v.status, v.severity, v.reported_at, v.access, case when v.access = 'full' then c.label end as category
       from visible_incidents v join incident_categories c on c.id = v.category_id
      where ($1::timestamptz is null or v.reported_at > $1) order by v.reported_at desc limit 500`, [since]);
  return { counts, incidents: list };
}

/**
 * Records the sign-off of a review covering everything reported up to now. The chair of
 * governors may keep the notes for governors only (governorsOnly: true, false, or null for the
 * default: yes when the review covered an incident the headteacher may not see); a headteacher's
 * notes never are. Returns its id.
 */
export async function signOffReview(db: Queryable, schoolId: string, viewer: Viewer & { kind: 'person' }, notes: string | null, by: { actor: Actor; ip: string | null }, governorsOnly: boolean | null = null) {
  const role: Role | null = viewer.roles.includes('headteacher') ? 'headteacher' : viewer.roles.includes('chair_of_governors') ? 'chair_of_governors' : null;
  if (!role) return null;
  await db.query('select pg_advisory_xact_lock(hashtext($1))', [`incident-review:${schoolId}`]);
  const incidents = new IncidentScope(db, schoolId, viewer);
  const last = await lastReview(incidents);
  const since = last ? new Date(last.period_to) : null;
  const { counts } = await sinceLastReview(db, schoolId, viewer, since);
  const notesGovernorsOnly = role === 'chair_of_governors' && !!notes && (governorsOnly ?? (await hiddenFromHeadteacherSince(db, schoolId, since)) > 0);
  const [row] = await incidents.scope.sql<{ id: string }>(
    `insert into incident_reviews (school_id, period_from, period_to, signed_off_by, signed_off_by_user, signed_off_role, notes, counts, notes_governors_only)
     values (:school, $1, now(), $2, $3, $4, $5, $6, $7) returning id`, [since, viewer.personId, by.actor.userId, role, notes, JSON.stringify(counts), notesGovernorsOnly]);
  await audit(db, { schoolId, actor: by.actor, action: 'incident_review.signed_off', recordType: 'incident_review', recordId: row.id, ip: by.ip, detail: { role, ...counts, notesGovernorsOnly } });
  return row.id;
}
