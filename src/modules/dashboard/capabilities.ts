import type { RequestContext } from '../../platform/http/context';
import type { Action } from '../../platform/permissions/actions';

interface Capability {
  title: string;
  description: string;
  href?: string;
  /**
   * Shown to users who may take any of these actions. Who may do what is decided once, in
   * permissions/actions.ts; the dashboard asks that table rather than keeping a list of roles.
   */
  anyOf: Action[];
  /** Not shown to users who may take any of these (they have a fuller place for the same thing). */
  unlessAnyOf?: Action[];
  available: boolean;
}

/** Harbour's capabilities, in the order a school meets them; each gets its place on the dashboard. */
export const capabilities: Capability[] = [
  { title: 'Report a concern', description: 'Record an online safety incident in a minute, and follow it through.', href: '/incidents/new', anyOf: ['incidents:report'], available: true },
  { title: 'Incident log', description: 'The incidents you reported or handle, their status, and each person’s chronology.', href: '/incidents', anyOf: ['incidents:triage', 'incidents:review'], available: true },
  { title: 'Your reports', description: 'The concerns you have reported and where each one has got to.', href: '/incidents', anyOf: ['incidents:list'], unlessAnyOf: ['incidents:triage', 'incidents:review'], available: true },
  { title: 'Your acceptable use agreement', description: 'Read and sign the agreement for your role before you use school technology.', href: '/agreements', anyOf: ['agreements:sign'], available: true },
  { title: 'Acceptable use agreements', description: 'Who has signed, who is due, renewals, the kiosk and class sessions.', href: '/agreements/compliance', anyOf: ['agreements:manage', 'agreements:compliance'], available: true },
  { title: 'Technology access', description: 'Who may not use school technology at the moment, and the kind of reason.', href: '/technology-access', anyOf: ['technology:view', 'technology:export'], available: true },
  { title: 'Filtering and monitoring', description: "Alerts from the filter's logs and the records the DfE standards ask for.", href: '/monitoring', anyOf: ['monitoring:alerts', 'filtering:records', 'filtering:implement'], available: true },
  { title: 'Ask for a filtering change', description: 'Ask for a site to be unblocked or blocked for a lesson, and follow your request.', href: '/monitoring/change-requests', anyOf: ['filtering:request'], available: true },
  { title: 'Reports for governors', description: 'Anonymised figures on online safety incidents, with the trend against the previous period.', href: '/incidents/figures', anyOf: ['incidents:figures'], available: true },
  { title: 'Policy and reviews', description: "The school's online safety policy and its review cycle.", anyOf: ['incidents:review', 'filtering:signoff'], available: false },
  { title: 'Training', description: 'Who has had which online safety training, and when it is due.', anyOf: ['agreements:manage', 'accounts:manage'], available: false },
  { title: 'People', description: 'Staff, governors, pupils, parents and carers, and their roles.', href: '/people', anyOf: ['people:list'], available: true },
  { title: 'Audit trail', description: 'Every change, and every view of a sensitive record.', href: '/audit', anyOf: ['audit:view'], available: true },
  { title: 'Settings', description: 'Accounts, sign-in time-out, API keys and data export.', href: '/settings', anyOf: ['school:settings', 'accounts:manage', 'apikeys:manage', 'school:export'], available: true },
];

/** The capabilities this user may use, each once: a lead sees the incident log rather than also "your reports". */
export function capabilitiesFor(ctx: RequestContext) {
  return capabilities.filter((c) => c.anyOf.some((a) => ctx.can(a)) && !c.unlessAnyOf?.some((a) => ctx.can(a)));
}
