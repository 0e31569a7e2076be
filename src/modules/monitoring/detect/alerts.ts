// From requests to alerts: a search's findings, the filter's own block categories, visits to
// sites for getting round the filter; then the rules that keep the queue short and honest:
// a page's images and scripts are not alerts of their own, repeats of one person's search are
// grouped into one alert with a count, and repeated blocks in one risk area raise the severity.
import type { Alert, LogRequest, RiskArea, Severity } from '../types';
import { raise, severityRank } from '../types';
import { assessSearch, findPhrases, type CompiledLexicon } from './matcher';
import { basicTokens } from './normalise';
import { extractSearch, splitUrl, type UrlParts } from './search-terms';

export interface DetectorOptions {
  /** Repeats of one person's search (or blocked site) in one risk area within this time are one alert. */
  groupWindowMs?: number;
  /** This many blocked requests in one risk area by one person within repeatWindowMs raise the severity one step. */
  repeatCount?: number;
  repeatWindowMs?: number;
}

const assetExtension = /\.(png|jpe?g|gif|webp|avif|svg|ico|bmp|css|js|mjs|map|woff2?|ttf|otf|eot|json)$/i;
const assetMime = /^(image\/|font\/|text\/css|(application|text)\/(x-)?javascript|application\/json)/i;

/** A request for a page's images, scripts, styles or fonts (by its extension or MIME type). */
export function isAsset(url: string | UrlParts, mime: string | null): boolean {
  if (mime && assetMime.test(mime)) return true;
  const { path } = typeof url === 'string' ? splitUrl(url) : url;
  return assetExtension.test(path);
}

export interface CategoryFinding { risk: RiskArea; severity: Severity; matched: string }

/** Maps the filter's category or reason text for a block to a risk area. */
export function mapFilterCategory(lex: CompiledLexicon, category: string | null, reason: string | null): CategoryFinding | null {
  const text = [category, reason].filter(Boolean).join(' ');
  if (!text) return null;
  // A filter has a short list of categories and reasons: each is read once per lexicon.
  let memo = categoryMemo.get(lex);
  if (!memo) categoryMemo.set(lex, (memo = new Map()));
  if (memo.has(text)) return memo.get(text)!;
  const found = readCategory(lex, text);
  if (memo.size > 10_000) memo.clear();
  memo.set(text, found);
  return found;
}

const categoryMemo = new WeakMap<CompiledLexicon, Map<string, CategoryFinding | null>>();

function readCategory(lex: CompiledLexicon, text: string): CategoryFinding | null {
  const tokens = basicTokens(text);
  const joined = ` ${tokens.join(' ')} `;
  for (const c of lex.categoryWords) if (joined.includes(c.spaced)) return { risk: c.risk, severity: c.severity, matched: c.word };
  return null;
}

function bypassHost(lex: CompiledLexicon, host: string): string | null {
  // The host and each domain above it ("a.b.example.com", "b.example.com", ...), looked up whole.
  let at = 0;
  while (at !== -1) {
    const suffix = at === 0 ? host : host.slice(at);
    if (lex.bypassHosts.has(suffix)) return suffix;
    const dot = host.indexOf('.', at);
    at = dot === -1 ? -1 : dot + 1;
  }
  return null;
}

/** A risky word in the host name itself ("www.pornhub.com"): used for blocks that carry no category. */
function hostFinding(lex: CompiledLexicon, host: string): { risk: RiskArea; severity: Severity; phrase: string } | null {
  const tokens = host.split(/[.-]/).filter(Boolean);
  let best: { risk: RiskArea; severity: Severity; phrase: string } | null = null;
  for (const h of findPhrases(lex, tokens)) {
    if (h.entry.phrase.intent) continue;
    if (!best || severityRank(h.entry.phrase.severity) > severityRank(best.severity)) best = { risk: h.entry.risk, severity: h.entry.phrase.severity, phrase: h.entry.phrase.phrase };
  }
  return best;
}

/**
 * What a request amounts to on its own, before grouping: the finding (risk, severity, reason),
 * the search term, and whether it is a page's asset. It depends on the request and the lexicon
 * only, never on the requests before it, so it can run in any thread in any order; null when the
 * request is nothing to alert on. `suppressed` marks an asset that is not an alert of its own.
 */
export function assessRequest(lex: CompiledLexicon, req: LogRequest): Assessment | null {
  const parts = splitUrl(req.url);
  const search = extractSearch(parts);
  let finding: { risk: RiskArea; severity: Severity; reason: string } | null = null;
  let query: string | null = null;
  if (search) {
    const s = assessSearch(lex, search.query);
    if (s) {
      finding = { risk: s.risk, severity: s.severity, reason: `${search.engine} ${s.reason}` };
      query = search.query;
    }
  }
  const { host } = parts;
  if (req.blocked) {
    const cat = mapFilterCategory(lex, req.category, req.reason);
    const catText = req.category ? `category "${req.category}"` : `reason "${req.reason}"`;
    if (cat) {
      const blockReason = `the filter blocked it (${catText}, which Harbour reads as ${cat.risk})`;
      if (!finding || severityRank(cat.severity) > severityRank(finding.severity) || cat.risk === 'illegal-content') {
        finding = { risk: cat.risk, severity: cat.severity, reason: cat.risk === 'illegal-content' ? `the filter blocked it on an illegal-content list (${catText})` : blockReason };
      } else {
        finding.reason += `; ${blockReason}`;
      }
    } else if (finding) {
      finding.reason += '; the filter blocked it';
    } else {
      const h = hostFinding(lex, host);
      if (h) finding = { risk: h.risk, severity: h.severity, reason: `the filter blocked ${host}, whose name contains "${h.phrase}" (${h.risk})` };
    }
  }
  const bypass = bypassHost(lex, host);
  let site: string | undefined;
  if (bypass && (!finding || finding.risk !== 'illegal-content')) {
    const sev: Severity = req.blocked ? 'medium' : 'high';
    if (!finding || severityRank(sev) >= severityRank(finding.severity)) {
      finding = { risk: 'filter-bypass', severity: sev, reason: req.blocked ? `a visit to ${bypass}, a site for getting round the filter; the filter blocked it` : `a visit to ${bypass}, a site for getting round the filter, and the filter let it through` };
      site = bypass;
    }
  }
  if (!finding) return null;
  const asset = !search && isAsset(parts, req.mime);
  return { risk: finding.risk, severity: finding.severity, reason: finding.reason, query, asset, host, ...(site ? { site } : {}), suppressed: asset && finding.risk !== 'illegal-content' };
}

/** A request's finding on its own (assessRequest), before grouping. */
export interface Assessment {
  risk: RiskArea;
  severity: Severity;
  reason: string;
  /** The search term, when the finding came from a search. */
  query: string | null;
  /** A request for a page's images, scripts, styles or fonts. */
  asset: boolean;
  host: string;
  /**
   * The listed site a visit to a site for getting round the filter was to ("proxyium.com" for
   * www.proxyium.com and cdn.proxyium.com alike): one person's visits to it are one alert, whatever the host.
   */
  site?: string;
  /** An asset that is no alert of its own: only counted. */
  suppressed: boolean;
}

/** An assessed request with what grouping needs of the request itself: what a scan's worker thread hands back. */
export type Candidate = Assessment & Pick<LogRequest, 'time' | 'user' | 'client' | 'url' | 'blocked'>;

interface Group {
  alert: Alert; first: number; count: number; lastLine: number; key: string; baseReason: string; escalation: string;
  /** The distinct sites of a group of blocked requests (the first few), named in its reason. */
  hosts?: string[];
}

/** How many of a group's sites its reason names. */
const hostsNamed = 5;

export interface DetectorCounts { assetsSuppressed: number; grouped: number; escalated: number }

/** What a Detector remembers between requests (open groups, recent blocks), as plain JSON: ingest stores it beside its position. */
export interface DetectorState { groups: Group[]; blocks: [string, number[]][] }

/** Turns requests into alerts; alerts come out through emit as their group closes (or at flush). */
export class Detector {
  private readonly groupWindow: number;
  private readonly repeatCount: number;
  private readonly repeatWindow: number;
  private readonly groups = new Map<string, Group>();
  private readonly blocks = new Map<string, number[]>();
  readonly counts: DetectorCounts = { assetsSuppressed: 0, grouped: 0, escalated: 0 };

  constructor(private readonly lex: CompiledLexicon, private readonly emit: (a: Alert, count: number) => void, opts: DetectorOptions = {}) {
    this.groupWindow = opts.groupWindowMs ?? 10 * 60_000;
    this.repeatCount = opts.repeatCount ?? 3;
    this.repeatWindow = opts.repeatWindowMs ?? 10 * 60_000;
  }

  /** Considers one request read from line `line` of `source`. */
  request(source: string, line: number, req: LogRequest): void {
    this.advance(req.time);
    const a = assessRequest(this.lex, req);
    if (!a) return;
    this.add(source, line, req, a);
  }

  /**
   * The order-dependent stage alone, for a request already assessed (by assessRequest, maybe in
   * another thread): request() is advance(req.time) then this. A request assessed as nothing
   * needs only advance(req.time).
   */
  apply(source: string, line: number, c: Candidate): void {
    this.advance(c.time);
    this.add(source, line, c, c);
  }

  /** What a request read at `time` does before its own assessment: closes the groups that have had their time. */
  advance(time: number): void {
    this.closeOlderThan(time - this.groupWindow);
  }

  private add(source: string, line: number, req: Pick<LogRequest, 'time' | 'user' | 'client' | 'url' | 'blocked'>, a: Assessment): void {
    if (a.suppressed) {
      this.counts.assetsSuppressed++;
      return;
    }
    const finding = a;
    const { query, asset, host } = a;
    const who = req.user ?? req.client ?? '-';
    let severity = finding.severity;
    let escalation = '';
    if (req.blocked && !asset) {
      const k = `${who}\u001f${finding.risk}`;
      const times = (this.blocks.get(k) ?? []).filter((t) => t > req.time - this.repeatWindow);
      times.push(req.time);
      this.blocks.set(k, times);
      if (times.length >= this.repeatCount) {
        severity = raise(severity);
        escalation = `; raised to ${severity}: ${times.length} blocked requests for ${finding.risk} by this person within ${Math.round(this.repeatWindow / 60_000)} minutes`;
        this.counts.escalated++;
      }
    }

    // One person's repeats of a search are one alert; so are their blocked requests in one risk
    // area (whatever the site: "several blocked requests of a risk area"), and their visits to one
    // site (a listed site for getting round the filter is one site whatever its host: www., cdn., a node).
    const blockedGroup = req.blocked && !query;
    const key = `${who}\u001f${finding.risk}\u001f${query ? query.toLowerCase().trim() : blockedGroup ? '\u001eblocked' : a.site ?? host}`;
    const open = this.groups.get(key);
    if (open) {
      open.count++;
      open.lastLine = line;
      this.counts.grouped++;
      if (open.hosts && !open.hosts.includes(host) && open.hosts.length <= hostsNamed) open.hosts.push(host);
      if (severityRank(severity) > severityRank(open.alert.severity)) {
        open.alert.severity = severity;
        open.escalation = escalation;
      }
      return;
    }
    const alert: Alert = {
      source,
      line,
      time: new Date(req.time).toISOString(),
      user: req.user,
      client: req.client,
      url: req.url,
      query,
      risk: finding.risk,
      severity,
      blocked: req.blocked,
      reason: '',
    };
    this.groups.set(key, { alert, first: req.time, count: 1, lastLine: line, key, baseReason: finding.reason, escalation, ...(blockedGroup ? { hosts: [host] } : {}) });
  }

  private static reasonOf(g: Group): string {
    const sites = g.hosts && g.hosts.length > 1
      ? `, to ${g.hosts.length > hostsNamed ? `more than ${hostsNamed} sites, among them` : `${g.hosts.length} sites:`} ${g.hosts.slice(0, hostsNamed).join(', ')}`
      : '';
    return g.baseReason + g.escalation + (g.count > 1 ? `; ${g.count} requests grouped (lines ${g.alert.line} to ${g.lastLine})${sites}` : '');
  }

  private close(g: Group) {
    this.groups.delete(g.key);
    g.alert.reason = Detector.reasonOf(g);
    this.emit(g.alert, g.count);
  }

  /** The alerts of the groups still open, as they stand now (a store shows them at once and updates them as repeats come). */
  openAlerts(): { alert: Alert; count: number }[] {
    return [...this.groups.values()].map((g) => ({ alert: { ...g.alert, reason: Detector.reasonOf(g) }, count: g.count }));
  }

  /** The open groups and recent blocks, to carry on later exactly where this left off. */
  saveState(): DetectorState {
    return { groups: [...this.groups.values()].map((g) => ({ ...g, alert: { ...g.alert } })), blocks: [...this.blocks] };
  }

  /** Carries on from a saved state (replacing whatever this detector held). */
  restoreState(s: Partial<DetectorState> | null | undefined) {
    this.groups.clear();
    this.blocks.clear();
    for (const g of s?.groups ?? []) this.groups.set(g.key, { ...g, alert: { ...g.alert } });
    for (const [k, v] of s?.blocks ?? []) this.blocks.set(k, v);
  }

  private closeOlderThan(t: number) {
    for (const g of this.groups.values()) {
      if (g.first >= t) break;
      this.close(g);
    }
    if (this.blocks.size > 10_000) {
      for (const [k, times] of this.blocks) if (times[times.length - 1] < t) this.blocks.delete(k);
    }
  }

  /** Emits every open group: call at the end of the input. */
  flush() {
    for (const g of [...this.groups.values()]) this.close(g);
  }
}
