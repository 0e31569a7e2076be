import type { RequestContext } from '../../platform/http/context';
import type { Role } from '../../platform/permissions/roles';

interface Capability {
  title: string;
  description: string;
  href?: string;
  /** Shown to users who hold any of these roles (or may take the action). */
  forRoles: Role[] | 'all';
  available: boolean;
}

const staffRoles: Role[] = ['headteacher', 'designated_safeguarding_lead', 'deputy_safeguarding_lead', 'online_safety_lead', 'computing_lead', 'teacher', 'support_staff', 'office_staff', 'it_provider', 'administrator'];
const leads: Role[] = ['headteacher', 'designated_safeguarding_lead', 'deputy_safeguarding_lead', 'online_safety_lead'];
const governors: Role[] = ['governor', 'online_safety_governor', 'chair_of_governors'];

/** Harbour's capabilities, in the order a school meets them; each gets its place on the dashboard. */
export const capabilities: Capability[] = [
  { title: 'Report a concern', description: 'Record an online safety incident in a minute, and follow it through.', href: '/incidents/new', forRoles: staffRoles, available: true },
  { title: 'Acceptable use agreements', description: 'Who has signed, who is due, and who may use school technology.', href: '/agreements', forRoles: [...leads, 'it_provider', 'office_staff', 'administrator'], available: true },
  { title: 'Filtering and monitoring', description: "Alerts from the filter's logs and the records the DfE standards ask for.", href: '/monitoring', forRoles: [...leads, 'it_provider'], available: true },
  { title: 'Reports for governors', description: 'Anonymised figures on online safety incidents, with the trend against the previous period.', href: '/incidents/figures', forRoles: [...governors, 'headteacher', 'designated_safeguarding_lead', 'online_safety_lead'], available: true },
  { title: 'Policy and reviews', description: "The school's online safety policy and its review cycle.", forRoles: [...leads, ...governors], available: false },
  { title: 'Training', description: 'Who has had which online safety training, and when it is due.', forRoles: [...leads, 'administrator'], available: false },
  { title: 'People', description: 'Staff, governors, pupils, parents and carers, and their roles.', href: '/people', forRoles: staffRoles, available: true },
  { title: 'Audit trail', description: 'Every change, and every view of a sensitive record.', href: '/audit', forRoles: ['headteacher', 'designated_safeguarding_lead', 'deputy_safeguarding_lead'], available: true },
  { title: 'Settings', description: 'Accounts, sign-in time-out, API keys and data export.', href: '/settings', forRoles: ['headteacher', 'administrator'], available: true },
];

export function capabilitiesFor(ctx: RequestContext) {
  return capabilities.filter((c) => c.forRoles === 'all' || c.forRoles.some((r) => ctx.roles.includes(r)));
}
