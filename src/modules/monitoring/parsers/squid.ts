// Squid's native access.log: "%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt",
// ten fields separated by spaces, the second padded to six characters (so a varying number of spaces).
import type { LogRequest } from '../types';
import { hasBinary, malformed, type LineParser, type ParseResult } from './types';

/**
 * What makes a line worth reading in full: a query string (a search), a block, a search in the
 * path (Wikipedia's Special:Search/term), a NUL byte (a damaged line, to be reported). Visits to
 * listed bypass sites are found by their host instead (urlStart).
 */
export const fastMarkers = [Buffer.from('?'), Buffer.from('DENIED'), Buffer.from('Special'), Buffer.from([0])];

const tsPattern = /^\d{9,11}(\.\d{1,6})?$/;

export function parseSquidLine(line: string): ParseResult {
  if (!line.trim()) return null;
  if (hasBinary(line)) return malformed('binary or control characters in the line');
  const f = fields(line);
  if (f.length < 10) return malformed(`expected 10 fields, found ${f.length} (a truncated line?)`);
  if (!tsPattern.test(f[0])) return malformed(`the first field is not a Unix time: "${f[0].slice(0, 30)}"`);
  const slash = f[3].indexOf('/');
  if (slash === -1) return malformed(`the result code "${f[3].slice(0, 30)}" is not like TCP_MISS/200`);
  const status = Number(f[3].slice(slash + 1));
  const result = f[3].slice(0, slash);
  // Proxy authentication asked for (TCP_DENIED/407, logged with no user): the browser sends the same
  // request again with its credentials straight after, and that line is the one that counts. Read as
  // a block it would be a second alert, under the machine's address, for every risky request.
  if (status === 407) return null;
  const req: LogRequest = {
    time: Math.round(Number(f[0]) * 1000),
    client: f[2] === '-' ? null : f[2],
    status: Number.isFinite(status) ? status : null,
    method: f[5],
    url: f[6],
    user: f[7] === '-' ? null : f[7].indexOf('%') === -1 ? f[7] : decodeURIComponent(safe(f[7])),
    mime: f[9] === '-' ? null : f[9],
    blocked: result.includes('DENIED'),
    category: null,
    reason: result.includes('DENIED') ? `Squid refused the request (${f[3]})` : null,
  };
  return req;
}

/** line.trim().split(/ +/) without the regular expression: a run of spaces is one separator. */
function fields(line: string): string[] {
  const t = line.trim();
  const out: string[] = [];
  const n = t.length;
  let i = 0;
  while (i < n) {
    let j = t.indexOf(' ', i);
    if (j === -1) j = n;
    out.push(t.slice(i, j));
    while (j < n && t.charCodeAt(j) === 32) j++;
    i = j;
  }
  return out;
}

function safe(s: string) {
  try {
    decodeURIComponent(s);
    return s;
  } catch {
    return s.replace(/%/g, '%25');
  }
}

function quickCheck(buf: Buffer, start: number, end: number): boolean {
  // A timestamp first, and long enough to hold ten fields.
  const c = buf[start];
  return c >= 48 && c <= 57 && end - start >= 40;
}

/** The URL is the seventh field (a run of spaces is one separator). */
function urlStart(buf: Buffer, start: number, end: number): number {
  let field = 0;
  let prev = 32;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 32 && prev === 32) {
      if (field === 6) return i;
      field++;
    }
    prev = c;
  }
  return -1;
}

export const squidParser: LineParser = { format: 'squid', parse: parseSquidLine, markers: fastMarkers, quickCheck, urlStart };
