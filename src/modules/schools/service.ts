import type { Database, Queryable } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { audit, systemActor, type Actor } from '../../platform/audit/audit';
import { hashPassword, passwordProblem } from '../../platform/auth/passwords';
import type { Role } from '../../platform/permissions/roles';
import { ensureAgreements } from '../agreements/service';

export type InstallationMode = 'demo' | 'real';

/** Whether this database holds demo data, a real school, or nothing yet. */
export async function installationMode(db: Queryable): Promise<InstallationMode | null> {
  const r = await db.query<{ mode: InstallationMode }>('select mode from installation');
  return r.rows[0]?.mode ?? null;
}

export async function createOrganisation(db: Queryable, name: string, kind: 'trust' | 'federation' | 'local_authority') {
  return (await db.query<{ id: string }>('insert into organisations (name, kind) values ($1, $2) returning id', [name, kind])).rows[0].id;
}

export async function createSchool(db: Queryable, fields: { name: string; urn?: string | null; organisationId?: string | null; actor?: Actor }) {
  const id = (await db.query<{ id: string }>(
    'insert into schools (name, urn, organisation_id) values ($1, $2, $3) returning id',
    [fields.name, fields.urn ?? null, fields.organisationId ?? null],
  )).rows[0].id;
  await audit(db, { schoolId: id, actor: fields.actor ?? systemActor, action: 'school.created', recordType: 'school', recordId: id });
  // Every school starts with an acceptable use agreement per audience (covered by school.created).
  await ensureAgreements(db, id, fields.actor ?? systemActor, { audited: false });
  return id;
}

export interface NewPerson {
  kind: 'staff' | 'governor' | 'pupil' | 'parent' | 'visitor' | 'contractor' | 'technician';
  given_name: string;
  family_name: string;
  email?: string | null;
  upn?: string | null;
  mis_id?: string | null;
  year_group?: string | null;
  class_name?: string | null;
  date_of_birth?: string | null;
  gender?: string | null;
  job_title?: string | null;
  organisation_name?: string | null;
  phone?: string | null;
}

/** Adds a person to a school, with their roles. */
export async function addPerson(db: Queryable, schoolId: string, person: NewPerson, roles: Role[] = [], actor: Actor = systemActor) {
  const scope = schoolScope(db, schoolId);
  const row = await scope.insert<{ id: string }>('people', { ...person });
  for (const role of roles) await scope.insert('role_assignments', { person_id: row.id, role });
  await audit(db, { schoolId, actor, action: 'person.created', recordType: 'person', recordId: row.id, detail: { kind: person.kind, roles } });
  return row.id;
}

/** Links a parent or carer to a child of the same school. */
export async function linkGuardian(db: Queryable, schoolId: string, parentId: string, childId: string, relationship = 'parent') {
  await schoolScope(db, schoolId).sql(
    `insert into guardianships (school_id, parent_id, child_id, relationship)
     select :school, $1, $2, $3 where exists (select 1 from people where id = $1 and school_id = :school)
       and exists (select 1 from people where id = $2 and school_id = :school)
     on conflict do nothing`,
    [parentId, childId, relationship],
  );
}

/**
 * Gives a person of a school an account (creating the account if their email has none yet).
 * With a password the account can sign in at once; without one it waits for an invitation.
 */
export async function createAccount(db: Queryable, schoolId: string, personId: string, opts: { email: string; displayName: string; password?: string; totpSecret?: string; actor?: Actor }) {
  if (opts.password) {
    const problem = passwordProblem(opts.password, opts.email);
    if (problem) throw new Error(problem);
  }
  const existing = (await db.query<{ id: string }>('select id from users where lower(email) = lower($1)', [opts.email])).rows[0];
  const hash = opts.password ? await hashPassword(opts.password) : null;
  const userId = existing?.id ?? (await db.query<{ id: string }>(
    `insert into users (email, display_name, password_hash, totp_secret, totp_enabled_at) values ($1, $2, $3, $4, case when $4::text is null then null else now() end) returning id`,
    [opts.email, opts.displayName, hash, opts.totpSecret ?? null],
  )).rows[0].id;
  await schoolScope(db, schoolId).insert('memberships', { user_id: userId, person_id: personId });
  await audit(db, { schoolId, actor: opts.actor ?? systemActor, action: 'account.created', recordType: 'user', recordId: userId, detail: { personId } });
  return userId;
}

/**
 * `harbour setup`: a real school and its first administrator, in one transaction. Refused
 * on a database that holds demo data, so demo people never sit beside a real school's.
 */
export async function setupRealSchool(db: Database, input: { schoolName: string; urn?: string; adminGivenName: string; adminFamilyName: string; adminEmail: string; adminPassword: string }) {
  const problem = passwordProblem(input.adminPassword, input.adminEmail);
  if (problem) throw new Error(problem);
  return db.transaction(async (tx) => {
    await tx.query('lock table installation in exclusive mode');
    const mode = await installationMode(tx);
    if (mode === 'demo') throw new Error('This database holds demo data. Set up a real school on a fresh database: choose a new DATA_DIR (or DATABASE_URL), then run harbour setup again.');
    if (!mode) await tx.query(`insert into installation (mode) values ('real')`);
    const schoolId = await createSchool(tx, { name: input.schoolName, urn: input.urn ?? null });
    const personId = await addPerson(tx, schoolId, { kind: 'staff', given_name: input.adminGivenName, family_name: input.adminFamilyName, email: input.adminEmail }, ['administrator']);
    const userId = await createAccount(tx, schoolId, personId, { email: input.adminEmail, displayName: `${input.adminGivenName} ${input.adminFamilyName}`, password: input.adminPassword });
    return { schoolId, userId };
  });
}
