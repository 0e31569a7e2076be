// e2guardian's access log as Debian's e2guardian 5.3 writes it.
//
// logfileformat 6 (and 5, which fills in the server name): tab separated, in this order:
//   1 time (Unix seconds.milliseconds)  2 server  3 user  4 client address  5 client host name
//   6 URL  7 method  8 HTTP status  9 size  10 MIME type  11 user agent  12 Squid result code
//   13 duration  14 Squid peer code  15 message number  16 what happened ("*DENIED* Banned site: ...")
//   17 weight  18 category  19 filter group name  20 filter group number
// When "logclienthostandip" is off, fields 4 and 5 are one (the host name, or the address): 19 fields.
// Formats 7 and 8 add the search terms and flags at the end (22 or 21 fields).
//
// logfileformat 2 (CSV): every field in double quotes, in this order:
//   when ("2024.3.5 9:15:02", local time, unpadded; a padded "2024.03.05 10:15:02" reads too), user, client address, URL, what happened, method,
//   size, weight, category, filter group number, HTTP status, MIME type, client host name,
//   filter group name, user agent, parameters, log id 1, log id 2, POST data.
import type { LogRequest } from '../types';
import { splitCsvLine } from './csv-line';
import { wallTime } from './london-time';
import { fastMarkers } from './squid';
import { hasBinary, malformed, type LineParser, type ParseResult } from './types';

const blank = (s: string | undefined) => (s === undefined || s === '' || s === '-' ? null : s);

function deniedReason(what: string): string | null {
  const m = /^\s*(?:\*[A-Z ]+\*\s*)*\*DENIED[^*]*\*\s*(.*)$/.exec(what);
  return m ? m[1].trim() || 'blocked' : null;
}

export function parseE2guardianLine(line: string): ParseResult {
  if (!line.trim()) return null;
  if (hasBinary(line)) return malformed('binary or control characters in the line');
  const f = line.split('\t');
  if (f.length < 19 || f.length > 22) return malformed(`expected 20 tab-separated fields, found ${f.length} (a truncated line?)`);
  if (!/^\d{9,11}(\.\d{1,6})?$/.test(f[0])) return malformed(`the first field is not a Unix time: "${f[0].slice(0, 30)}"`);
  // 19 fields: client address and host name share one field.
  const both = f.length === 20 || f.length === 22;
  const o = both ? 0 : -1;
  const what = f[15 + o] ?? '';
  const denied = deniedReason(what);
  const status = Number(f[7 + o]);
  const client = both ? blank(f[3]) ?? blank(f[4]) : blank(f[3]);
  return {
    time: Math.round(Number(f[0]) * 1000),
    user: blank(f[2]),
    client,
    url: f[5 + o],
    method: blank(f[6 + o]),
    status: Number.isFinite(status) ? status : null,
    mime: blank(f[9 + o]),
    blocked: denied !== null || status === 403,
    category: blank(f[17 + o]),
    reason: denied ?? (blank(what) ? what : null),
  } satisfies LogRequest;
}

/**
 * "2024.03.05 10:15:02" in the log's local time, read as UK time (Europe/London, summer time
 * included) unless an offset follows it ("Z", "+01:00"). e2guardian writes its CSV dates without zero
 * padding ("2024.3.5 9:15:02"), so month, day, hour, minute and second may each be one or two digits.
 */
export function parseE2Time(s: string): number | null {
  const m = /^(\d{4})[.\-/](\d{1,2})[.\-/](\d{1,2})[ T](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,3})\d*)?(?!\d)\s*([zZ]|UTC|GMT|(?:UTC|GMT)?[+-]\d{1,2}:?\d{2})?/.exec(s);
  if (!m) return null;
  // Local time is UK time (the server may run in another zone), unless the text names its offset.
  return wallTime(m[8], +m[1], +m[2], +m[3], +m[4], +m[5], +m[6], m[7] ? Number(m[7].padEnd(3, '0')) : 0);
}

export function parseE2guardianCsvLine(line: string): ParseResult {
  if (!line.trim()) return null;
  if (hasBinary(line)) return malformed('binary or control characters in the line');
  const f = splitCsvLine(line);
  if (!f) return malformed('a quote is left open (a truncated line?)');
  if (f.length < 14) return malformed(`expected 19 comma-separated fields, found ${f.length} (a truncated line?)`);
  const time = parseE2Time(f[0]);
  if (time === null) return malformed(`the first field is not a date and time: "${f[0].slice(0, 30)}"`);
  const denied = deniedReason(f[4]);
  const status = Number(f[10]);
  return {
    time,
    user: blank(f[1]),
    client: blank(f[2]) ?? blank(f[12]),
    url: f[3],
    method: blank(f[5]),
    status: Number.isFinite(status) ? status : null,
    mime: blank(f[11]),
    blocked: denied !== null || status === 403,
    category: blank(f[8]),
    reason: denied ?? (blank(f[4]) ?? null),
  };
}

function quickTab(buf: Buffer, start: number, end: number): boolean {
  const c = buf[start];
  return c >= 48 && c <= 57 && end - start >= 40;
}

/** The URL is the sixth tab-separated field, or the fifth when client address and host name share one. */
function tabUrlStart(buf: Buffer, start: number, end: number): number {
  let at = start;
  for (let k = 0; k < 4; k++) {
    while (at < end && buf[at] !== 9) at++;
    if (at >= end) return -1;
    at++;
  }
  // 19 fields: the fifth is the URL, with its scheme; otherwise it is the client's host name.
  for (let i = at; i < end && i < at + 12; i++) {
    const c = buf[i];
    if (c === 9) break;
    if (c === 58 && buf[i + 1] === 47 && buf[i + 2] === 47) return at;
  }
  let next = at;
  while (next < end && buf[next] !== 9) next++;
  return next + 1 >= end ? -1 : next + 1;
}

export const e2guardianParser: LineParser = { format: 'e2guardian', parse: parseE2guardianLine, markers: fastMarkers, quickCheck: quickTab, urlStart: tabUrlStart };
export const e2guardianCsvParser: LineParser = { format: 'e2guardian-csv', parse: parseE2guardianCsvLine };
