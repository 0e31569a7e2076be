// What a scan does with each line before the detector's grouping: the pre-filter, the parse, the
// shape check and the bypass-site check. The main thread's scan and a scan's worker thread both
// build their line sink here, so the two read every line in exactly the same way.
import type { LineSink } from './parsers/lines';
import { maxLineBytes } from './parsers/lines';
import { isMalformed, siteKey, type LineParser } from './parsers/types';
import type { LogRequest } from './types';

/**
 * Whether a URL carries a query string: a `?` with something after it. Squid's default
 * (strip_query_terms on) keeps the `?` and drops what follows (".../search?"), which is no query string.
 */
export function hasQueryString(url: string): boolean {
  const q = url.indexOf('?');
  if (q === -1) return false;
  const next = url.charCodeAt(q + 1);
  return q + 1 < url.length && next !== 35 /* # */ && next !== 32 && next !== 9;
}

export interface LineStats {
  /** Lines read in full rather than skipped by the pre-filter. */
  parsed: number;
  sawQueryString: boolean;
  /** The number of the last line seen (for a gzip file cut short). */
  lastLine: number;
}

export interface LineHandlers {
  /** A request read from line lineNo. */
  request(lineNo: number, req: LogRequest): void;
  /** A malformed or oversized line. */
  reject(lineNo: number, reason: string): void;
  /**
   * The line number the parser is told (it uses it only to know line 1, a CSV header). A worker
   * thread numbers the lines of its part of a file from 1 and so says which is the file's line 1.
   */
  parserLine?(lineNo: number): number;
}

/** The line sink for splitLines, and the markers to pass it, for one file read with parser. */
export function lineSink(parser: LineParser, bypassKeys: Set<number>, stats: LineStats, on: LineHandlers): { sink: LineSink; markers: Buffer[] | undefined } {
  const urlStart = parser.urlStart;
  const parserLine = on.parserLine;
  const handle = (buf: Buffer, start: number, end: number, lineNo: number) => {
    stats.lastLine = lineNo;
    stats.parsed++;
    const text = buf.toString('utf8', start, end);
    const r = parser.parse(text, parserLine ? parserLine(lineNo) : lineNo);
    if (!r) return;
    if (isMalformed(r)) return on.reject(lineNo, r.malformed);
    if (!stats.sawQueryString && hasQueryString(r.url)) stats.sawQueryString = true;
    on.request(lineNo, r as LogRequest);
  };
  const oversized = (lineNo: number, bytes: number) => {
    stats.lastLine = lineNo;
    on.reject(lineNo, `the line is ${bytes} bytes, longer than the ${maxLineBytes / 1024} KiB Harbour reads`);
  };
  const markers = parser.markers;
  if (!markers) return { sink: { line: handle, oversized }, markers };
  return {
    sink: {
      line: handle,
      skipped(buf: Buffer, start: number, end: number, lineNo: number) {
        stats.lastLine = lineNo;
        if (parser.quickCheck && !parser.quickCheck(buf, start, end)) return handle(buf, start, end, lineNo);
        // A visit to a listed bypass site needs no query string or block to matter.
        if (urlStart) {
          const at = urlStart(buf, start, end);
          if (at !== -1 && bypassKeys.has(siteKey(buf, at, end))) handle(buf, start, end, lineNo);
        }
      },
      oversized,
    },
    markers,
  };
}
