import type { LogFormat, LogRequest } from '../types';

/** A parsed line: the request, null for a line that is not a request (a header, a comment), or the reason it is malformed. */
export type ParseResult = LogRequest | null | { malformed: string };

export interface LineParser {
  format: LogFormat;
  parse(line: string, lineNo: number): ParseResult;
  /**
   * Byte strings that a line must contain to be worth reading in full (a query string, a block).
   * A line with none of them is counted, checked for shape with quickCheck, and skipped. Absent: every line is read.
   */
  markers?: Buffer[];
  /** A cheap check of a skipped line's shape; false marks it for a full read (which then names the fault). */
  quickCheck?(buf: Buffer, start: number, end: number): boolean;
  /**
   * Where the URL of a skipped line starts in buf, or -1. The scan reads in full a skipped line
   * whose host is a listed site for getting round the filter: a visit to one needs neither a
   * query string nor a block. It reads bytes, not a string: this runs for every skipped line.
   */
  urlStart?(buf: Buffer, start: number, end: number): number;
}

/** For each byte, 1 if it ends a host (: / ? # space tab), 2 for a dot, else 0. */
const hostByte = new Uint8Array(256);
for (const c of [58, 47, 63, 35, 32, 9]) hostByte[c] = 1;
hostByte[46] = 2;

/**
 * A number standing for the second-to-last label of the host of the URL starting at `from`
 * ("hidemyass" in "https://www.HideMyAss.com/x" or "CONNECT www.hidemyass.com:443"): its length
 * and its first, second and last letters, in lower case; 0 when the host has no dot. It reads
 * bytes and allocates nothing, because it runs for every line a scan skips. Equal numbers only
 * send a line for a full read, which checks the host exactly.
 */
export function siteKey(buf: Uint8Array, from: number, end: number): number {
  let h = from;
  if (buf[from + 4] === 58 && buf[from + 5] === 47 && buf[from + 6] === 47) h = from + 7; // http://
  else if (buf[from + 5] === 58 && buf[from + 6] === 47 && buf[from + 7] === 47) h = from + 8; // https://
  let last = -1;
  let before = -1;
  for (let e = h; e < end; e++) {
    const k = hostByte[buf[e]];
    if (k !== 0) {
      if (k === 1) break;
      before = last;
      last = e;
    }
  }
  if (last === -1) return 0;
  const s = before === -1 ? h : before + 1;
  return (((last - s) & 0x7f) << 24) | ((buf[s] | 32) << 16) | ((buf[s + 1] | 32) << 8) | (buf[last - 1] | 32);
}

/** siteKey of a host name as written in a library. */
export function hostKey(host: string): number {
  const b = Buffer.from(host, 'latin1');
  return siteKey(b, 0, b.length);
}

export function malformed(why: string): { malformed: string } {
  return { malformed: why };
}

export function isMalformed(r: ParseResult): r is { malformed: string } {
  return !!r && 'malformed' in r;
}

/** Control characters other than tab mean a binary or corrupted line. */
export function hasBinary(line: string): boolean {
  return /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]/.test(line);
}
