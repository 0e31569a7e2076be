// Takes the search term out of the URL shapes of the search engines and sites pupils use.

export interface UrlParts { host: string; path: string; query: string }

/** Splits a logged URL without the cost (or the exceptions) of new URL(). CONNECT lines carry "host:443". */
export function splitUrl(url: string): UrlParts {
  let rest = url;
  const scheme = rest.indexOf('://');
  if (scheme !== -1 && scheme < 12) rest = rest.slice(scheme + 3);
  let hostEnd = rest.length;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c === 47 || c === 63 || c === 35) { hostEnd = i; break; } // / ? #
  }
  let host = rest.slice(0, hostEnd).toLowerCase();
  const at = host.lastIndexOf('@');
  if (at !== -1) host = host.slice(at + 1);
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && host.indexOf(']') < colon) host = host.slice(0, colon);
  const after = rest.slice(hostEnd);
  const q = after.indexOf('?');
  const hash = after.indexOf('#');
  const path = q === -1 ? (hash === -1 ? after : after.slice(0, hash)) : after.slice(0, q);
  const query = q === -1 ? '' : after.slice(q + 1, hash > q ? hash : undefined);
  return { host, path: path || '/', query };
}

/** Decodes a query-string value: %XX escapes as UTF-8 and + as a space; a broken escape is kept as it is. */
export function decodeQueryValue(v: string): string {
  const s = v.indexOf('+') === -1 ? v : v.replace(/\+/g, ' ');
  if (s.indexOf('%') === -1) return s;
  try {
    return decodeURIComponent(s); // well-formed UTF-8 escapes (nearly every search)
  } catch {
    // a broken escape or bytes that are not UTF-8: decoded byte by byte below
  }
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length + 0 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      for (const b of Buffer.from(s[i], 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export function queryParam(query: string, names: string[]): string | null {
  if (!query) return null;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    if (names.includes(part.slice(0, eq))) {
      const v = decodeQueryValue(part.slice(eq + 1)).trim();
      if (v) return v;
    }
  }
  return null;
}

interface Engine {
  name: string;
  host: RegExp;
  path: RegExp;
  params: string[];
  /** The term in the path rather than the query (Wikipedia's Special:Search/term). */
  fromPath?: RegExp;
}

/** The search engines and sites whose searches Harbour reads. Autocomplete requests are left out on purpose: they repeat every letter typed. */
export const engines: Engine[] = [
  { name: 'Google', host: /(^|\.)google\.[a-z.]{2,7}$/, path: /^\/(search|webhp|images|imghp)?\/?$/, params: ['q', 'as_q'] },
  { name: 'Bing', host: /(^|\.)bing\.com$/, path: /^\/((images|videos|news|shop)\/)?search\/?$/, params: ['q'] },
  { name: 'DuckDuckGo', host: /(^|\.)duckduckgo\.com$/, path: /^\/(html\/?|lite\/?)?$/, params: ['q'] },
  { name: 'Yahoo', host: /(^|\.)search\.yahoo\.com$/, path: /^\/(search|yhs\/search)/, params: ['p', 'q'] },
  { name: 'Ecosia', host: /(^|\.)ecosia\.org$/, path: /^\/(search|images|videos|news)/, params: ['q'] },
  { name: 'YouTube', host: /(^|\.)youtube\.com$/, path: /^\/results/, params: ['search_query', 'q'] },
  { name: 'Wikipedia', host: /(^|\.)wikipedia\.org$/, path: /^\/(w\/index\.php|wiki\/Special:Search)/i, params: ['search'], fromPath: /^\/wiki\/Special:Search\/(.+)$/i },
  { name: 'Baidu', host: /(^|\.)baidu\.com$/, path: /^\/s\/?$/, params: ['wd', 'word'] },
  { name: 'Yandex', host: /(^|\.)yandex\.[a-z.]{2,7}$/, path: /^\/(search|images\/search)/, params: ['text'] },
  { name: 'Startpage', host: /(^|\.)startpage\.com$/, path: /^\/(sp|do|rvd)\/search/, params: ['query', 'q'] },
  { name: 'Brave', host: /^search\.brave\.com$/, path: /^\/(search|images|videos|news)/, params: ['q'] },
  { name: 'Ask', host: /(^|\.)ask\.com$/, path: /^\/web/, params: ['q'] },
  { name: 'TikTok', host: /(^|\.)tiktok\.com$/, path: /^\/search/, params: ['q'] },
  { name: 'Amazon', host: /(^|\.)amazon\.[a-z.]{2,7}$/, path: /^\/s\/?$/, params: ['k', 'field-keywords'] },
  { name: 'Kiddle', host: /(^|\.)kiddle\.co$/, path: /^\/s\.php/, params: ['q'] },
  { name: 'Pinterest', host: /(^|\.)pinterest\.[a-z.]{2,7}$/, path: /^\/search/, params: ['q'] },
  { name: 'Reddit', host: /(^|\.)reddit\.com$/, path: /^\/(r\/[^/]+\/)?search/, params: ['q'] },
  { name: 'X', host: /(^|\.)(twitter|x)\.com$/, path: /^\/search/, params: ['q'] },
  { name: 'Instagram', host: /(^|\.)instagram\.com$/, path: /^\/explore\/search/, params: ['q'] },
];

const hostCache = new Map<string, Engine | null>();

function engineFor(host: string): Engine | null {
  let e = hostCache.get(host);
  if (e === undefined) {
    e = engines.find((x) => x.host.test(host)) ?? null;
    if (hostCache.size > 50_000) hostCache.clear();
    hostCache.set(host, e);
  }
  return e;
}

export interface ExtractedSearch { engine: string; query: string }

/** The search term in a URL, or null when the URL is not a search. */
export function extractSearch(url: string | UrlParts): ExtractedSearch | null {
  const { host, path, query } = typeof url === 'string' ? splitUrl(url) : url;
  const engine = engineFor(host);
  if (!engine) return null;
  if (engine.fromPath) {
    const m = engine.fromPath.exec(path);
    if (m) return { engine: engine.name, query: decodeQueryValue(m[1].replace(/_/g, ' ')) };
  }
  if (!engine.path.test(path)) return null;
  const q = queryParam(query, engine.params);
  return q ? { engine: engine.name, query: q } : null;
}
