// Who may see which incident. This is the ONE place that decides it: every query on incidents
// in Harbour reads them through IncidentScope, which joins each incident to the viewer's access.
//
// - Safeguarding leads (designated and deputy) see every incident in full.
// - The headteacher sees every incident in full, except a concern about the headteacher, which
//   they cannot see at all (not even that it exists, not even in lists or counts).
// - The chair of governors sees concerns about the headteacher in full (they take them to the LADO).
// - The online safety lead sees incidents that are not concerns about an adult in the school.
// - The handler sees the incident they handle in full.
// - The reporter sees only that their report was received, and its status.
// - A person alleged to have done it never sees it in full, whatever their role.
// - An API key (another system) sees the bare facts of incidents that are not concerns about adults.
// - Anonymised figures count every incident (a headteacher's leave out concerns about them);
//   their queries must select only counts, never a summary, a name or a reference.
import type { QueryResultRow } from 'pg';
import type { Queryable } from '../../platform/db/database';
import { schoolScope, type SchoolScope } from '../../platform/db/scope';
import type { Role } from '../../platform/permissions/roles';

/** Who is looking: a person of the school with their roles, or another system through an API key. */
export type Viewer = { kind: 'person'; personId: string; roles: readonly Role[] } | { kind: 'api' } | { kind: 'figures'; roles: readonly Role[] };

/** How much of an incident a viewer sees: everything, or only that it was received and its status. */
export type IncidentAccess = 'full' | 'receipt' | 'figures';

/**
 * The SQL expression giving a viewer's access to incident `i`: 'full', 'receipt' or null (no
 * access at all). `viewerParam` is the placeholder holding the viewer's person id. Role tests
 * are written into the SQL as constants, so the viewer's id is the only parameter.
 */
export function incidentAccessSql(viewer: Viewer, viewerParam: string): string {
  // (The API's viewer id is always null; naming it keeps the query's parameters the same shape.)
  // Anonymised figures (for governors and reviews) count every incident, and read none of its
  // words or names; a headteacher's figures still leave out concerns about the headteacher.
  if (viewer.kind === 'figures') return `case when ${viewerParam}::uuid is null and not (${viewer.roles.includes('headteacher') ? 'i.concern_about_headteacher' : 'false'}) then 'figures' end`;
  if (viewer.kind === 'api') return `case when ${viewerParam}::uuid is null and not i.concern_about_staff and not i.concern_about_headteacher then 'receipt' end`;
  const has = (r: Role) => viewer.roles.includes(r);
  const v = `${viewerParam}::uuid`;
  const byRole: string[] = [];
  if (has('designated_safeguarding_lead') || has('deputy_safeguarding_lead')) byRole.push('true');
  if (has('headteacher')) byRole.push('not i.concern_about_headteacher');
  if (has('chair_of_governors')) byRole.push('i.concern_about_headteacher');
  if (has('online_safety_lead')) byRole.push('(not i.concern_about_staff and not i.concern_about_headteacher)');
  byRole.push(`i.handler_id = ${v}`);
  const alleged = `exists (select 1 from incident_people ip where ip.incident_id = i.id and ip.person_id = ${v} and ip.role = 'alleged')`;
  // A headteacher who is also the safeguarding lead is still the subject: barred all the same.
  const headteacherBarred = has('headteacher') ? 'i.concern_about_headteacher' : 'false';
  return `case
    when ${headteacherBarred} then null
    when ${alleged} then case when i.reported_by = ${v} then 'receipt' end
    when ${byRole.join(' or ')} then 'full'
    when i.reported_by = ${v} then 'receipt'
  end`;
}

/**
 * A viewer's window on a school's incidents. Its SQL reads `visible_incidents` (the school's
 * incidents this viewer may see, each with its `access`), never the incidents table itself.
 */
export class IncidentScope {
  readonly scope: SchoolScope;
  constructor(db: Queryable, schoolId: string, readonly viewer: Viewer) {
    this.scope = schoolScope(db, schoolId);
  }

  /** Runs SQL over `visible_incidents`; it may also use :school as SchoolScope does. */
  async sql<R extends QueryResultRow = any>(text: string, values: unknown[] = []): Promise<R[]> {
    if (!/\bvisible_incidents\b/.test(text)) throw new Error('an incident query must read visible_incidents');
    if (/\b(from|join)\s+incidents\b/i.test(text)) throw new Error('an incident query must not read the incidents table directly');
    const viewerParam = `$${values.length + 1}`;
    const viewerId = this.viewer.kind === 'person' ? this.viewer.personId : null;
    const cte = `with visible_incidents as (
      select * from (select i.*, (${incidentAccessSql(this.viewer, viewerParam)}) as access from incidents i where i.school_id = :school) x
       where x.access is not null) `;
    return this.scope.sql<R>(cte + text, [...values, viewerId]);
  }

  /** One incident with the viewer's access, or null when they may not know it exists. */
  async get<R extends QueryResultRow = any>(incidentId: string): Promise<(R & { access: IncidentAccess }) | null> {
    const [row] = await this.sql<R & { access: IncidentAccess }>('select * from visible_incidents where id = $1', [incidentId]);
    return row ?? null;
  }
}

/** The viewer for a signed-in person (or for an API key when there is no person). */
export function viewerOf(ctx: { personId: string | null; roles: readonly Role[] }): Viewer {
  return ctx.personId ? { kind: 'person', personId: ctx.personId, roles: ctx.roles } : { kind: 'api' };
}

/** The incidents a request may see, over db (the pool or an open transaction). */
export function incidentsFor(ctx: { personId: string | null; roles: readonly Role[]; school: { id: string } | null }, db: Queryable): IncidentScope {
  if (!ctx.school) throw new Error('no school in this request');
  return new IncidentScope(db, ctx.school.id, viewerOf(ctx));
}

/**
 * A condition on the audit trail (`audit_events` as `alias`) that keeps out every entry which
 * would tell this viewer about an incident they may not see in full: entries whose record is
 * such an incident, or someone else's unsent draft; a person's incident chronology being viewed, or their access being removed
 * by an incident, when that person is involved in such an incident; and anyone else viewing the
 * viewer's own chronology (so that the subject of a concern never learns of it that way). Run it
 * through IncidentScope.sql; `userParam` is the placeholder holding the viewer's user id.
 */
export function auditVisibleSql(alias: string, userParam: string): string {
  const a = alias;
  // IN and NOT IN (never EXISTS) so that each list is hashed once, not searched per entry.
  const seen = `select v.id::text from visible_incidents v where v.access = 'full'`;
  // Everyone involved in an incident this viewer cannot see in full.
  const involvedInHidden = `select ip.person_id::text from incident_people ip
     where ip.school_id = :school and ip.incident_id::text not in (${seen})`;
  return `not coalesce(
    (${a}.record_type = 'incident' and ${a}.record_id not in (${seen}))
    -- A draft is its author's alone until it is sent: nobody else learns that one was begun.
    or (${a}.record_type = 'incident_draft' and ${a}.actor_user_id is distinct from ${userParam}::uuid)
    or (${a}.record_type = 'person'
        and (${a}.action = 'person.incident_chronology_viewed' or (${a}.action like 'technology_access.%' and ${a}.detail->>'sourceType' = 'incident'))
        and (${a}.record_id in (${involvedInHidden})
             or (${a}.action = 'person.incident_chronology_viewed' and ${a}.record_id = (select m.person_id::text from memberships m where m.school_id = :school and m.user_id = ${userParam}::uuid limit 1)
                 and ${a}.actor_user_id is distinct from ${userParam}::uuid))),
    false)`;
}
