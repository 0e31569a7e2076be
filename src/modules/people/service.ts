// People of a school: the rules and data access behind the people pages (listing, the
// record, adding and changing people and their roles, marking leavers).
import { z } from 'zod';
import type { Queryable } from '../../platform/db/database';
import type { SchoolScope } from '../../platform/db/scope';
import { audit, type Actor } from '../../platform/audit/audit';
import { optionalText, requiredText } from '../../platform/http/forms';
import { roleNames, roles as roleLabels, type Role } from '../../platform/permissions/roles';

/** The kinds of people a school records. */
export const personKinds = {
  staff: 'Staff',
  governor: 'Governor',
  pupil: 'Pupil',
  parent: 'Parent or carer',
  visitor: 'Visitor',
  contractor: 'Contractor',
  technician: 'Technician',
} as const;
export type PersonKind = keyof typeof personKinds;
const kindKeys = Object.keys(personKinds) as [PersonKind, ...PersonKind[]];

/** Only these kinds of people hold roles (pupils, parents and visitors never do). */
export const kindsWithRoles: readonly PersonKind[] = ['staff', 'governor', 'technician'];

/**
 * Roles that open the most sensitive records. Least privilege: only a headteacher or a Harbour
 * administrator may give or take them away (office staff may edit people, but not these).
 */
export const privilegedRoles: readonly Role[] = ['headteacher', 'designated_safeguarding_lead', 'deputy_safeguarding_lead', 'administrator'];

/** May a user holding these roles give or remove the privileged roles? */
export function mayGrantPrivilegedRoles(held: readonly Role[]): boolean {
  return held.includes('administrator') || held.includes('headteacher');
}

/** The DfE's unique pupil number, read leniently: a letter, 11 digits, a digit or letter. */
export const upnPattern = /^[A-Z]\d{11}[0-9A-Z]$/;
/** An email address as Harbour accepts one (the database checks a looser form). */
export const emailPattern = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Year groups: N (nursery), R (reception) and 1 to 13. */
export const yearGroups = ['N', 'R', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13'];

/** A year group as MIS exports write it ("Year 5", "5", "Reception", "N2") in Harbour's form, or null. */
export function normaliseYearGroup(value: string): string | null {
  let v = value.trim().toUpperCase().replace(/^(YEAR|YR|Y)\s*/, '');
  if (v === 'RECEPTION' || v === 'REC') v = 'R';
  if (/^N[12]?$/.test(v) || v === 'NURSERY') v = 'N';
  if (/^0?\d{1,2}$/.test(v)) v = String(Number(v));
  return yearGroups.includes(v) ? v : null;
}

/** A date written dd/mm/yyyy or yyyy-mm-dd as 'YYYY-MM-DD', or null when it is not a real date. */
export function parseDateOfBirth(value: string): string | null {
  const v = value.trim();
  let y: number, m: number, d: number;
  let match = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(v);
  if (match) [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(v))) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

export interface PeopleFilters {
  kind: PersonKind | '';
  year: string;
  class: string;
  q: string;
  leavers: boolean;
  page: number;
}

/** The listing's filters as a form or query string gives them. */
export const filtersSchema = z.object({
  kind: z.union([z.literal(''), z.enum(kindKeys)]).optional().default('').catch(''),
  year: z.string().trim().max(20).optional().default('').catch(''),
  class: z.string().trim().max(100).optional().default('').catch(''),
  q: z.string().trim().max(100).optional().default('').catch(''),
  leavers: z.preprocess((v) => v === 'yes' || v === 'true' || v === 'on', z.boolean()),
  page: z.coerce.number().int().min(1).max(100000).optional().default(1).catch(1),
});

export const pageSize = 50;

/** A page of the school's people matching the filters, with their roles. */
export async function listPeople(scope: SchoolScope, f: PeopleFilters) {
  const where = ['p.school_id = :school'];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replaceAll('?', `$${params.length}`));
  };
  if (f.kind) add('p.kind = ?', f.kind);
  if (f.year) add('p.year_group = ?', f.year);
  if (f.class) add('p.class_name = ?', f.class);
  if (f.q) add("(p.given_name ilike ? or p.family_name ilike ? or p.preferred_name ilike ? or (p.given_name || ' ' || p.family_name) ilike ?)", `%${f.q.replace(/[\\%_]/g, (c) => '\\' + c)}%`);
  if (!f.leavers) where.push('p.left_on is null');
  const [{ total }] = await scope.sql<{ total: number }>(`select count(*)::int as total from people p where ${where.join(' and ')}`, params);
  const people = await scope.sql(
    `select p.id, p.kind, p.given_name, p.family_name, p.preferred_name, p.year_group, p.class_name, p.left_on,
            coalesce(array_agg(r.role order by r.role) filter (where r.role is not null), '{}') as roles
       from people p left join role_assignments r on r.person_id = p.id and r.school_id = p.school_id
      where ${where.join(' and ')}
      group by p.id order by p.family_name, p.given_name, p.id
      limit ${pageSize} offset ${(f.page - 1) * pageSize}`,
    params,
  );
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return { people, total, pages };
}

/** The year groups and classes the school uses, for the listing's filters. */
export async function groupsOf(scope: SchoolScope) {
  const years = (await scope.sql<{ v: string }>('select distinct year_group as v from people where school_id = :school and year_group is not null')).map((r) => r.v)
    .sort((a, b) => yearGroups.indexOf(a) - yearGroups.indexOf(b));
  const classes = (await scope.sql<{ v: string }>('select distinct class_name as v from people where school_id = :school and class_name is not null order by 1')).map((r) => r.v);
  return { years, classes };
}

/** A person's full record with roles and linked parents or children, or null (not in this school). */
export async function getPerson(scope: SchoolScope, id: string) {
  const person = await scope.one('people', { id });
  if (!person) return null;
  const roles = (await scope.all<{ role: Role }>('role_assignments', { person_id: id }, 'role')).map((r) => r.role);
  const parents = await scope.sql(
    `select p.id, p.given_name, p.family_name, g.relationship from guardianships g join people p on p.id = g.parent_id
      where g.school_id = :school and g.child_id = $1 order by p.family_name, p.given_name`, [id]);
  const children = await scope.sql(
    `select p.id, p.given_name, p.family_name, p.year_group, p.class_name, g.relationship from guardianships g join people p on p.id = g.child_id
      where g.school_id = :school and g.parent_id = $1 order by p.family_name, p.given_name`, [id]);
  return { person, roles, parents, children };
}

const nullable = (schema: z.ZodTypeAny) => schema.transform((v: unknown) => (v === undefined ? null : v));

/** The add/change person form. Each message names its field. */
export const personSchema = z.object({
  kind: z.enum(kindKeys, { message: 'Choose what kind of person this is' }),
  title: nullable(optionalText(20, 'Title')),
  given_name: requiredText('a first name', 100),
  family_name: requiredText('a last name', 100),
  preferred_name: nullable(optionalText(100, 'Preferred name')),
  email: nullable(optionalText(200, 'Email').refine((v) => !v || emailPattern.test(v), 'Enter an email address in the correct format, like name@example.org')),
  phone: nullable(optionalText(40, 'Phone').refine((v) => !v || /^[0-9+() .-]{6,40}$/.test(v), 'Enter a phone number, like 01632 960 001')),
  upn: nullable(optionalText(20, 'UPN').transform((v) => v?.toUpperCase()).refine((v) => !v || upnPattern.test(v), 'Enter a UPN of 13 characters: a letter, 11 digits, then a digit or letter')),
  mis_id: nullable(optionalText(100, 'MIS reference')),
  year_group: nullable(optionalText(20, 'Year group').refine((v) => !v || normaliseYearGroup(v) !== null, 'Year group must be N, R or a year from 1 to 13').transform((v) => (v ? normaliseYearGroup(v) : v))),
  class_name: nullable(optionalText(100, 'Class')),
  date_of_birth: nullable(optionalText(20, 'Date of birth')
    .refine((v) => !v || parseDateOfBirth(v) !== null, 'Enter the date of birth as a real date, like 27/03/2016')
    .transform((v) => (v ? parseDateOfBirth(v) : v))
    .refine((v) => !v || v <= new Date().toISOString().slice(0, 10), 'Date of birth must be in the past')),
  gender: nullable(optionalText(40, 'Gender')),
  job_title: nullable(optionalText(100, 'Job title')),
  organisation_name: nullable(optionalText(200, 'Organisation')),
  roles: z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]),
    z.array(z.enum(roleNames as [Role, ...Role[]], { message: 'Choose roles from the list' }))),
});
export type PersonForm = z.output<typeof personSchema>;

/** The person columns the form sets, in the order the audit names them. */
export const personColumns = ['kind', 'title', 'given_name', 'family_name', 'preferred_name', 'email', 'phone', 'upn', 'mis_id', 'year_group', 'class_name', 'date_of_birth', 'gender', 'job_title', 'organisation_name'] as const;

/** A problem that belongs to one field of the person form. */
export class PersonFieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/**
 * Adds (id null) or changes a person and their roles, enforcing who may give which role,
 * and audits it with the NAMES of the fields that changed. Returns the person's id, or null
 * when id names no person of this school. Throws PersonFieldError for a field's problem.
 */
export async function savePerson(tx: Queryable, scope: SchoolScope, id: string | null, data: PersonForm, by: { actor: Actor; roles: readonly Role[]; ip?: string | null }) {
  const wanted = [...new Set(data.roles)];
  if (wanted.length && !kindsWithRoles.includes(data.kind)) {
    throw new PersonFieldError('roles', 'Only staff, governors and technicians can hold roles: untick the roles or change the kind of person');
  }
  let before: Record<string, any> | null = null;
  let held: Role[] = [];
  if (id) {
    before = await scope.one('people', { id });
    if (!before) return null;
    held = (await scope.all<{ role: Role }>('role_assignments', { person_id: id })).map((r) => r.role);
  }
  const added = wanted.filter((r) => !held.includes(r));
  const removed = held.filter((r) => !wanted.includes(r));
  const privileged = [...added, ...removed].filter((r) => privilegedRoles.includes(r));
  if (privileged.length && !mayGrantPrivilegedRoles(by.roles)) {
    throw new PersonFieldError('roles', `Only a headteacher or Harbour administrator can give or remove the role${privileged.length > 1 ? 's' : ''} ${privileged.map((r) => roleLabels[r]).join(', ')}`);
  }
  if (data.upn) {
    const [clash] = await scope.sql('select id from people where school_id = :school and upn = $1 and id is distinct from $2::uuid', [data.upn, id]);
    if (clash) throw new PersonFieldError('upn', 'Another person in this school has this UPN');
  }
  if (data.mis_id) {
    const [clash] = await scope.sql('select id from people where school_id = :school and kind = $1 and mis_id = $2 and id is distinct from $3::uuid', [data.kind, data.mis_id, id]);
    if (clash) throw new PersonFieldError('mis_id', 'Another person of this kind has this MIS reference');
  }
  const values: Record<string, unknown> = Object.fromEntries(personColumns.map((c) => [c, data[c] ?? null]));
  let personId: string;
  let changed: string[];
  if (!before) {
    personId = (await scope.insert<{ id: string }>('people', values)).id;
    changed = personColumns.filter((c) => values[c] !== null);
  } else {
    personId = id!;
    changed = personColumns.filter((c) => (before![c] ?? null) !== values[c]);
    if (changed.length) {
      await scope.update('people', { id: personId }, { ...Object.fromEntries(changed.map((c) => [c, values[c]])), updated_at: new Date() });
    }
  }
  for (const r of removed) await scope.sql('delete from role_assignments where school_id = :school and person_id = $1 and role = $2', [personId, r]);
  for (const r of added) await scope.insert('role_assignments', { person_id: personId, role: r });
  if (added.length || removed.length) changed.push('roles');
  if (before && !changed.length) return personId;
  await audit(tx, {
    schoolId: scope.schoolId, actor: by.actor, action: before ? 'person.updated' : 'person.created', recordType: 'person', recordId: personId, ip: by.ip ?? null,
    detail: { fields: changed, ...(added.length ? { rolesAdded: added } : {}), ...(removed.length ? { rolesRemoved: removed } : {}) },
  });
  return personId;
}

/** Marks a person as having left today; they lose sign-in at once. False when not in this school. */
export async function markLeft(tx: Queryable, scope: SchoolScope, id: string, by: { actor: Actor; ip?: string | null }): Promise<boolean> {
  const person = await scope.one('people', { id });
  if (!person) return false;
  if (person.left_on) return true;
  await scope.sql('update people set left_on = current_date, updated_at = now() where school_id = :school and id = $1', [id]);
  await audit(tx, { schoolId: scope.schoolId, actor: by.actor, action: 'person.left', recordType: 'person', recordId: id, ip: by.ip ?? null });
  return true;
}
