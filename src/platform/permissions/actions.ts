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
  /** Report an online safety concern (every member of staff). */
  'incidents:report': 'Report an online safety concern',
  /** List the incidents one may see (which ones is decided record by record in incidents/visibility.ts). */
  'incidents:list': 'See incidents',
  /** Triage, refer and close the incidents one may see in full. */
  'incidents:triage': 'Triage, refer and close incidents',
  /** Reopen a closed incident with the reason (the safeguarding leads). */
  'incidents:reopen': 'Reopen closed incidents',
  /** Edit, import and export the sanctions matrices for learners and staff. */
  'incidents:sanctions': 'Manage the sanctions matrices',
  /** Review the incident log since the last review and sign it off (headteacher or chair of governors). */
  'incidents:review': 'Review the incident log and sign it off',
  /** See and download the anonymised incident figures (governors and the leads). */
  'incidents:figures': 'See anonymised incident figures',
  /** See the filtering and monitoring alert queue, and acknowledge, dismiss or escalate alerts. */
  'monitoring:alerts': 'See and act on filtering and monitoring alerts',
  /** Map the usernames and addresses the filter logs to people and rooms. */
  'monitoring:identities': 'Map filter usernames and addresses to people',
  /** Add phrases to, and exclude phrases from, the school's monitoring libraries (with a reason). */
  'monitoring:phrases': "Change the school's monitoring phrases",
  /** Upload a filter log file in the browser, to be read into alerts. */
  'monitoring:upload': 'Upload a filter log',
  /** Choose who gets the filtering and monitoring daily digest and weekly summary, and when. */
  'monitoring:digests': 'Set up the filtering and monitoring digests',
  /** Ask for a site or category to be unblocked or blocked (every member of staff), and see one's own requests. */
  'filtering:request': 'Ask for a filtering change',
  /** Approve or decline filtering change requests, and see them all. */
  'filtering:decide': 'Approve or decline filtering changes',
  /** See approved filtering changes and mark them done (the IT provider). */
  'filtering:implement': 'Carry out filtering changes',
  /** Keep the DfE standards' records: responsibilities, decisions, the annual review, the log of filtering checks. */
  'filtering:records': 'Keep the filtering and monitoring records',
  /** Sign off the annual filtering and monitoring review. */
  'filtering:signoff': 'Sign off the annual filtering and monitoring review',
} as const;

export type Action = keyof typeof actions;

const leadership: Action[] = ['dashboard:view', 'people:list', 'people:view', 'audit:view'];
/** What every member of staff may do with agreements and the technology access register. */
const staffAgreements: Action[] = ['agreements:sign', 'technology:view'];
/** What the leads who run agreements may do. */
const agreementLeads: Action[] = [...staffAgreements, 'agreements:manage', 'agreements:compliance', 'agreements:kiosk', 'agreements:class', 'technology:manage', 'technology:export'];

/** What every member of staff may do with incidents: report, and see their own reports. */
const staffIncidents: Action[] = ['incidents:report', 'incidents:list'];
/** What the leads who respond to incidents may do. */
const incidentLeads: Action[] = [...staffIncidents, 'incidents:triage'];

/** What the leads who act on filtering and monitoring alerts may do. */
const monitoringLeads: Action[] = ['monitoring:alerts', 'monitoring:identities', 'monitoring:upload'];

/** Which role may do which action. Least privilege: a role gets only what its work needs. */
export const rolesMay: Record<Role, readonly Action[]> = {
  headteacher: [...leadership, 'people:edit', 'school:settings', ...agreementLeads, ...incidentLeads, 'incidents:sanctions', 'incidents:review', 'incidents:figures', ...monitoringLeads, 'monitoring:phrases', 'monitoring:digests', 'filtering:request', 'filtering:decide', 'filtering:records', 'filtering:signoff'],
  designated_safeguarding_lead: [...leadership, ...agreementLeads, ...incidentLeads, 'incidents:reopen', 'incidents:sanctions', 'incidents:figures', ...monitoringLeads, 'monitoring:phrases', 'monitoring:digests', 'filtering:request', 'filtering:decide', 'filtering:records', 'filtering:signoff'],
  deputy_safeguarding_lead: [...leadership, ...staffAgreements, 'agreements:compliance', 'technology:manage', ...incidentLeads, 'incidents:reopen', ...monitoringLeads, 'filtering:request'],
  online_safety_lead: ['dashboard:view', 'people:list', 'people:view', ...agreementLeads, ...incidentLeads, 'incidents:sanctions', 'incidents:figures', ...monitoringLeads, 'monitoring:phrases', 'monitoring:digests', 'filtering:request', 'filtering:records'],
  online_safety_governor: ['dashboard:view', 'agreements:sign', 'agreements:compliance', 'incidents:figures', 'filtering:records', 'filtering:signoff'],
  chair_of_governors: ['dashboard:view', 'agreements:sign', 'incidents:list', 'incidents:triage', 'incidents:review', 'incidents:figures'],
  it_provider: ['dashboard:view', 'people:list', ...staffAgreements, 'technology:export', ...staffIncidents, 'monitoring:identities', 'monitoring:upload', 'filtering:request', 'filtering:implement', 'filtering:records'],
  computing_lead: ['dashboard:view', 'people:list', ...staffAgreements, 'agreements:class', ...staffIncidents, 'filtering:request'],
  teacher: ['dashboard:view', 'people:list', ...staffAgreements, 'agreements:class', ...staffIncidents, 'filtering:request'],
  support_staff: ['dashboard:view', 'people:list', ...staffAgreements, ...staffIncidents, 'filtering:request'],
  office_staff: ['dashboard:view', 'people:list', 'people:view', 'people:edit', 'people:import', ...staffAgreements, 'agreements:kiosk', ...staffIncidents, 'filtering:request'],
  governor: ['dashboard:view', 'agreements:sign', 'incidents:figures'],
  administrator: [
    'dashboard:view', 'people:list', 'people:view', 'people:edit', 'people:import',
    'accounts:manage', 'apikeys:manage', 'school:settings', 'school:export', ...staffAgreements, ...staffIncidents,
  ],
};

/** The actions a set of roles allows. */
export function actionsFor(heldRoles: readonly Role[]): Set<Action> {
  const allowed = new Set<Action>();
  for (const role of heldRoles) for (const a of rolesMay[role] ?? []) allowed.add(a);
  return allowed;
}
