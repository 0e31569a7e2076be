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
  /** Read and sign the acceptable use agreement for one's own audience (staff and governors). */
  'agreements:sign': 'Sign your acceptable use agreement',
  /** Edit and publish agreements, send parents' links, follow up requests, start renewals. */
  'agreements:manage': 'Manage acceptable use agreements',
  /** See who is current, due or has never signed, by audience, class and role. */
  'agreements:compliance': 'See agreement compliance',
  /** Put a reception tablet into kiosk mode for visitors, and end it. */
  'agreements:kiosk': 'Run the visitors kiosk',
  /** Run a class session in which pupils agree to their rules. */
  'agreements:class': 'Run a class agreement session',
  /** See who may not use school technology and the kind of reason (no more detail). */
  'technology:view': 'See the technology access register',
  /** Withdraw or restrict a person's use of technology, with the reason, and lift it. */
  'technology:manage': 'Withdraw or restrict technology access',
  /** Download the technology access register as CSV (for the IT provider). */
  'technology:export': 'Download the technology access register',
} as const;

export type Action = keyof typeof actions;

const leadership: Action[] = ['dashboard:view', 'people:list', 'people:view', 'audit:view'];
/** What every member of staff may do with agreements and the technology access register. */
const staffAgreements: Action[] = ['agreements:sign', 'technology:view'];
/** What the leads who run agreements may do. */
const agreementLeads: Action[] = [...staffAgreements, 'agreements:manage', 'agreements:compliance', 'agreements:kiosk', 'agreements:class', 'technology:manage', 'technology:export'];

/** Which role may do which action. Least privilege: a role gets only what its work needs. */
export const rolesMay: Record<Role, readonly Action[]> = {
  headteacher: [...leadership, 'people:edit', 'school:settings', ...agreementLeads],
  designated_safeguarding_lead: [...leadership, ...agreementLeads],
  deputy_safeguarding_lead: [...leadership, ...staffAgreements, 'agreements:compliance', 'technology:manage'],
  online_safety_lead: ['dashboard:view', 'people:list', 'people:view', ...agreementLeads],
  online_safety_governor: ['dashboard:view', 'agreements:sign', 'agreements:compliance'],
  chair_of_governors: ['dashboard:view', 'agreements:sign'],
  it_provider: ['dashboard:view', 'people:list', ...staffAgreements, 'technology:export'],
  computing_lead: ['dashboard:view', 'people:list', ...staffAgreements, 'agreements:class'],
  teacher: ['dashboard:view', 'people:list', ...staffAgreements, 'agreements:class'],
  support_staff: ['dashboard:view', 'people:list', ...staffAgreements],
  office_staff: ['dashboard:view', 'people:list', 'people:view', 'people:edit', 'people:import', ...staffAgreements, 'agreements:kiosk'],
  governor: ['dashboard:view', 'agreements:sign'],
  administrator: [
    'dashboard:view', 'people:list', 'people:view', 'people:edit', 'people:import',
    'accounts:manage', 'apikeys:manage', 'school:settings', 'school:export', ...staffAgreements,
  ],
};

/** The actions a set of roles allows. */
export function actionsFor(heldRoles: readonly Role[]): Set<Action> {
  const allowed = new Set<Action>();
  for (const role of heldRoles) for (const a of rolesMay[role] ?? []) allowed.add(a);
  return allowed;
}
