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
