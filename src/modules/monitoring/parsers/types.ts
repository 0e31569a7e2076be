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
   * Where the URL of a skipped line is, as [from, to) in text (the chunk as Latin-1, so offsets
   * are byte offsets), or null. The scan reads in full a skipped line whose host is a listed
   * site for getting round the filter: a visit to one needs neither a query string nor a block.
   */
  urlSpan?(text: string, start: number, end: number): [number, number] | null;
}

/**
 * The last two labels of the host of the URL at [from, to) of text, lower case ("hidemyass.com"
 * for "CONNECT www.hidemyass.com:443" or "https://HideMyAss.com/x"), or null. A cheap key: a
 * listed site's key found here sends the line for a full read, which checks the host exactly.
 */
export function siteKey(text: string, from: number, to: number): string | null {
  // One pass over the URL's first characters (a loop over a flat string: no calls, no copies).
  let h = from;
  for (let i = from; i < to - 2 && i < from + 12; i++) {
    if (text.charCodeAt(i) === 58 && text.charCodeAt(i + 1) === 47 && text.charCodeAt(i + 2) === 47) {
      h = i + 3;
      break;
    }
  }
  let last = -1;
  let before = -1;
  let upper = false;
  let e = h;
  for (; e < to; e++) {
    const c = text.charCodeAt(e);
    if (c === 58 || c === 47 || c === 63 || c === 35) break; // : / ? #
    if (c === 46) {
      before = last;
      last = e;
    } else if (c >= 65 && c <= 90) upper = true;
  }
  if (last === -1) return null;
  const key = text.slice(before === -1 ? h : before + 1, e);
  return upper ? key.toLowerCase() : key;
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
