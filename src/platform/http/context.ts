import type { Database, Queryable } from '../db/database';
import { schoolScope, type SchoolScope } from '../db/scope';
import { actionsFor, type Action } from '../permissions/actions';
import { isRole, twoFactorRoles, type Role } from '../permissions/roles';
import type { Actor } from '../audit/audit';

export interface SignedInUser {
  id: string;
  email: string;
  displayName: string;
  totpEnabled: boolean;
  schoolCount: number;
}

export interface CurrentSchool {
  id: string;
  name: string;
  organisation_id: string | null;
  idle_timeout_minutes: number;
}

/**
 * What a request knows about who is asking: the user, the school they are working in, their
 * roles there and the actions those allow. `can` is the one question routes and templates ask.
 */
export interface RequestContext {
  user: SignedInUser | null;
  school: CurrentSchool | null;
  personId: string | null;
  roles: Role[];
  allowed: Set<Action>;
  actor: Actor;
  ip: string;
  can(action: Action): boolean;
  /** The school's scope over the pool. Throws when there is no school (anonymous requests). */
  scope(db?: Queryable): SchoolScope;
  /** True when this user's roles here require two-factor sign-in. */
  needsTwoFactor: boolean;
}

export function anonymousContext(ip: string): RequestContext {
  return {
    user: null, school: null, personId: null, roles: [], allowed: new Set(), ip,
    actor: { userId: null, label: 'anonymous' },
    can: () => false,
    scope: () => {
      throw new Error('no school in this request');
    },
    needsTwoFactor: false,
  };
}

/** Loads the signed-in user's context for the school they chose (or their first school). */
export async function loadUserContext(db: Database, userId: string, schoolId: string | undefined, ip: string): Promise<RequestContext | null> {
  const u = (await db.query(
    'select id, email, display_name, totp_enabled_at from users where id = $1 and disabled_at is null',
    [userId],
  )).rows[0];
  if (!u) return null;
  const memberships = (await db.query<{ school_id: string; person_id: string; name: string; organisation_id: string | null; idle_timeout_minutes: number }>(
    `select m.school_id, m.person_id, s.name, s.organisation_id, s.idle_timeout_minutes
       from memberships m join schools s on s.id = m.school_id join people p on p.id = m.person_id
      where m.user_id = $1 and p.left_on is null order by s.name`,
    [userId],
  )).rows;
  const m = memberships.find((x) => x.school_id === schoolId) ?? memberships[0];
  const user: SignedInUser = {
    id: u.id, email: u.email, displayName: u.display_name, totpEnabled: !!u.totp_enabled_at, schoolCount: memberships.length,
  };
  if (!m) {
    return { ...anonymousContext(ip), user, actor: { userId: u.id, label: u.display_name } };
  }
  const roles = (await db.query<{ role: string }>('select role from role_assignments where person_id = $1 and school_id = $2', [m.person_id, m.school_id])).rows
    .map((r) => r.role)
    .filter(isRole);
  const allowed = actionsFor(roles);
  return {
    user,
    school: { id: m.school_id, name: m.name, organisation_id: m.organisation_id, idle_timeout_minutes: m.idle_timeout_minutes },
    personId: m.person_id,
    roles,
    allowed,
    ip,
    actor: { userId: u.id, label: u.display_name },
    can: (a) => allowed.has(a),
    scope: (q = db) => schoolScope(q, m.school_id),
    needsTwoFactor: roles.some((r) => twoFactorRoles.includes(r)),
  };
}
