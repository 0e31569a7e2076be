import type { RequestContext } from './context';
import type { Action } from '../permissions/actions';

interface NavEntry {
  text: string;
  href: string;
  /** Shown when the user may take any of these actions. */
  anyOf: Action[];
}

/** The service navigation. Each capability adds its entry here; a user sees only what they may use. */
export const navigation: NavEntry[] = [
  { text: 'Dashboard', href: '/dashboard', anyOf: ['dashboard:view'] },
  { text: 'People', href: '/people', anyOf: ['people:list'] },
  { text: 'Agreements', href: '/agreements', anyOf: ['agreements:sign', 'agreements:manage', 'agreements:compliance'] },
  { text: 'Incidents', href: '/incidents', anyOf: ['incidents:list'] },
  { text: 'Technology access', href: '/technology-access', anyOf: ['technology:view'] },
  { text: 'Monitoring', href: '/monitoring', anyOf: ['monitoring:alerts', 'monitoring:identities', 'monitoring:phrases', 'monitoring:upload', 'filtering:request', 'filtering:decide', 'filtering:implement', 'filtering:records'] },
  { text: 'Audit trail', href: '/audit', anyOf: ['audit:view'] },
  { text: 'Settings', href: '/settings', anyOf: ['school:settings', 'accounts:manage', 'apikeys:manage', 'school:export'] },
];

export function navigationFor(ctx: RequestContext, url: string) {
  const path = url.split('?')[0];
  return navigation
    .filter((n) => n.anyOf.some((a) => ctx.can(a)))
    .map((n) => ({ text: n.text, href: n.href, active: path === n.href || path.startsWith(n.href + '/') }));
}
