import type { Role } from './roles';

/**
 * Every action Harbour checks, in one typed list. Routes and records are checked through
 * these names only; `rolesMay` below is the single table of who may do what.
 */
export const actions = {
  /** See the school's dashboard. */
  'dashboard:view': 'See the dashboard',
  /** List people and see their names, roles and classes. */
  'people:list': 'List people',
  /** Open a person's full record (date of birth, contacts): audited as a sensitive view. */
  'people:view': "View a person's record",
  /** Add or change people and their roles. */
  'people:edit': 'Add and change people',
  /** Import people from the school's management information system. */
  'people:import': 'Import people from CSV',
  /** Invite people to sign in and manage their accounts. */
  'accounts:manage': 'Manage accounts',
  /** Read the audit trail in the browser. */
  'audit:view': 'Read the audit trail',
  /** Create, list and revoke API keys. */
  'apikeys:manage': 'Manage API keys',
  /** Change the school's settings (such as the idle time-out). */
  'school:settings': "Change the school's settings",
  /** Export the school's whole data. */
  'school:export': "Export the school's data",
} as const;

export type Action = keyof typeof actions;

const leadership: Action[] = ['dashboard:view', 'people:list', 'people:view', 'audit:view'];

/** Which role may do which action. Least privilege: a role gets only what its work needs. */
export const rolesMay: Record<Role, readonly Action[]> = {
  headteacher: [...leadership, 'people:edit', 'school:settings'],
  designated_safeguarding_lead: [...leadership],
  deputy_safeguarding_lead: [...leadership],
  online_safety_lead: ['dashboard:view', 'people:list', 'people:view'],
  online_safety_governor: ['dashboard:view'],
  chair_of_governors: ['dashboard:view'],
  it_provider: ['dashboard:view', 'people:list'],
  computing_lead: ['dashboard:view', 'people:list'],
  teacher: ['dashboard:view', 'people:list'],
  support_staff: ['dashboard:view', 'people:list'],
  office_staff: ['dashboard:view', 'people:list', 'people:view', 'people:edit', 'people:import'],
  governor: ['dashboard:view'],
  administrator: [
    'dashboard:view', 'people:list', 'people:view', 'people:edit', 'people:import',
    'accounts:manage', 'apikeys:manage', 'school:settings', 'school:export',
  ],
};

/** The actions a set of roles allows. */
export function actionsFor(heldRoles: readonly Role[]): Set<Action> {
  const allowed = new Set<Action>();
  for (const role of heldRoles) for (const a of rolesMay[role] ?? []) allowed.add(a);
  return allowed;
}
