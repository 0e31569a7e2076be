// The vocabulary of monitoring: risk areas, severities, a request read from a filter's log, an alert.

/** The risk areas Harbour's phrase libraries and the filter's block categories map to. */
export const riskAreas = [
  /** Suicide, self-harm, wanting to die: the most urgent area. */
  'suicide-self-harm',
  /** Eating disorders: pro-anorexia and pro-bulimia content, extreme restriction. */
  'eating-disorder',
  /** Terrorism, radicalisation, extremist groups and their propaganda. */
  'extremism',
  /** Hatred of people for who they are: slurs, racist and homophobic abuse. */
  'hate',
  /** Pornography and sexual content. */
  'sexual-content',
  /** Grooming, sexual exploitation, sextortion, sharing nude images. */
  'grooming-exploitation',
  /** Bullying others, or being bullied. */
  'bullying',
  /** Violence and weapons: making weapons, attacking people, knives and guns. */
  'violence-weapons',
  /** Illegal drugs and buying them; alcohol and vaping for children. */
  'drugs',
  /** Gambling and betting. */
  'gambling',
  /** Getting round the school's filter: proxies, VPNs, "unblocked" sites. */
  'filter-bypass',
  /** A block on the filter's illegal-content lists (IWF child abuse list, police terrorism list). */
  'illegal-content',
] as const;
export type RiskArea = (typeof riskAreas)[number];

export function isRiskArea(x: string): x is RiskArea {
  return (riskAreas as readonly string[]).includes(x);
}

/** low: kept for pattern review, nobody is told; medium: the safeguarding lead's queue;
 * high: the lead is told the same day; critical: the lead is told at once. */
export const severities = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof severities)[number];

export function severityRank(s: Severity): number {
  return severities.indexOf(s);
}
export function isSeverity(x: string): x is Severity {
  return (severities as readonly string[]).includes(x);
}
export function raise(s: Severity, by = 1): Severity {
  return severities[Math.min(severities.length - 1, Math.max(0, severityRank(s) + by))];
}

/** The log formats Harbour reads. */
export const logFormats = ['squid', 'e2guardian', 'e2guardian-csv', 'csv'] as const;
export type LogFormat = (typeof logFormats)[number];

/** One request as a filter logged it, whatever the format. */
export interface LogRequest {
  /** Milliseconds since the epoch. */
  time: number;
  user: string | null;
  client: string | null;
  url: string;
  method: string | null;
  status: number | null;
  mime: string | null;
  blocked: boolean;
  /** The filter's category for the request (e2guardian's category, an export's Categories). */
  category: string | null;
  /** The filter's reason text for a block. */
  reason: string | null;
}

/** One alert, as `harbour monitor scan --json` writes it: exactly these fields. */
export interface Alert {
  source: string;
  line: number;
  time: string;
  user: string | null;
  client: string | null;
  url: string;
  query: string | null;
  risk: RiskArea;
  severity: Severity;
  blocked: boolean;
  reason: string;
}
