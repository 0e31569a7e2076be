// Scans filter logs into alerts with no database: the engine behind `harbour monitor scan`,
// and later behind ingest, which will store what this emits.
import { csvExportParser } from './parsers/csv';
import { detectFormat } from './parsers/detect-format';
import { e2guardianCsvParser, e2guardianParser } from './parsers/e2guardian';
import { maxLineBytes, openLog, splitLines } from './parsers/lines';
import { squidParser } from './parsers/squid';
import { hostKey, isMalformed, siteKey, type LineParser } from './parsers/types';
import { Detector, type DetectorOptions } from './detect/alerts';
import { compileLexicon, type CompiledLexicon } from './detect/matcher';
import type { Alert, LogFormat, LogRequest } from './types';

export interface RejectedLine { source: string; line: number; reason: string }

export interface FileSummary {
  source: string;
  format: LogFormat | null;
  gzip: boolean;
  lines: number;
  rejected: number;
  bytes: number;
  /** Lines read in full (searches, blocks and the like) rather than skipped by the pre-filter. */
  parsed: number;
  /** Whether any URL in the log had a query string (a `?` with something after it): without them no search term can be read. */
  sawQueryString: boolean;
  error?: string;
}

export interface ScanSummary {
  files: FileSummary[];
  lines: number;
  rejected: number;
  /** The first rejected lines, with their reasons (at most 20). */
  firstRejected: RejectedLine[];
  bytes: number;
  seconds: number;
  alerts: Record<string, number>;
  assetsSuppressed: number;
  grouped: number;
  escalated: number;
}

export interface ScanOptions extends DetectorOptions {
  format?: LogFormat;
  lexicon?: CompiledLexicon;
  onAlert: (a: Alert) => void;
  /** Said once per file, for a log with no query strings at all. */
  onNote?: (message: string) => void;
}

export function parserFor(format: LogFormat, headerLine: string): LineParser {
  switch (format) {
    case 'squid':
      return squidParser;
    case 'e2guardian':
      return e2guardianParser;
    case 'e2guardian-csv':
      return e2guardianCsvParser;
    case 'csv':
      return csvExportParser(headerLine);
  }
}

export class LogFileError extends Error {}

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

/** What scan, ingest, upload and push say about a log whose URLs have no query strings at all. */
export function noQueryStringNote(source: string): string {
  return `${source}: no URL in this log has a query string, so no search terms can be read from it. Squid strips them unless "strip_query_terms off" is set, and HTTPS searches are only visible where the filter inspects TLS: see docs/monitoring.md.`;
}

function firstLines(chunk: Buffer): string[] {
  const text = chunk.subarray(0, Math.min(chunk.length, 256 * 1024)).toString('utf8');
  const lines = text.split('\n');
  if (lines.length > 1) lines.pop(); // the last may be cut short by the chunk
  return lines.slice(0, 40).map((l) => l.replace(/\r$/, ''));
}

/** Scans log files one after another; alerts come out through opts.onAlert. Throws LogFileError for a file that cannot be read as a log. */
export async function scanLogs(files: string[], opts: ScanOptions): Promise<ScanSummary> {
  const lex = opts.lexicon ?? compileLexicon();
  // The listed bypass sites by a number made from their name (a cheap first check of every skipped line).
  const bypassKeys = new Set<number>();
  for (const h of lex.bypassHosts) bypassKeys.add(hostKey(h));
  const alertsBySeverity: Record<string, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  const detector = new Detector(lex, (a) => {
    alertsBySeverity[a.severity]++;
    opts.onAlert(a);
  }, opts);
  const summary: ScanSummary = { files: [], lines: 0, rejected: 0, firstRejected: [], bytes: 0, seconds: 0, alerts: alertsBySeverity, assetsSuppressed: 0, grouped: 0, escalated: 0 };
  const started = process.hrtime.bigint();

  for (const source of files) {
    const { stream, gzip, size } = await openLog(source).catch((e: NodeJS.ErrnoException) => {
      throw new LogFileError(`${source}: cannot be read (${e.code ?? e.message})`);
    });
    const file: FileSummary = { source, format: opts.format ?? null, gzip, lines: 0, rejected: 0, bytes: size, parsed: 0, sawQueryString: false };
    summary.files.push(file);
    let parser: LineParser | null = null;
    let urlStart: LineParser['urlStart'] | undefined;
    let setupError: string | null = null;
    const reject = (line: number, reason: string) => {
      file.rejected++;
      if (summary.firstRejected.length < 20) summary.firstRejected.push({ source, line, reason });
    };
    let lastLine = 0;
    const handle = (buf: Buffer, start: number, end: number, lineNo: number) => {
      lastLine = lineNo;
      if (!parser) return;
      file.parsed++;
      const text = buf.toString('utf8', start, end);
      const r = parser.parse(text, lineNo);
      if (!r) return;
      if (isMalformed(r)) return reject(lineNo, r.malformed);
      if (!file.sawQueryString && hasQueryString(r.url)) file.sawQueryString = true;
      detector.request(source, lineNo, r as LogRequest);
    };
    const sink = {
      line: handle,
      skipped(buf: Buffer, start: number, end: number, lineNo: number) {
        lastLine = lineNo;
        if (parser?.quickCheck && !parser.quickCheck(buf, start, end)) return handle(buf, start, end, lineNo);
        // A visit to a listed bypass site needs no query string or block to matter.
        if (urlStart) {
          const at = urlStart(buf, start, end);
          if (at !== -1 && bypassKeys.has(siteKey(buf, at, end))) handle(buf, start, end, lineNo);
        }
      },
      oversized(lineNo: number, bytes: number) {
        lastLine = lineNo;
        reject(lineNo, `the line is ${bytes} bytes, longer than the ${maxLineBytes / 1024} KiB Harbour reads`);
      },
    };
    let markers: Buffer[] | undefined;
    let dynamicSink: typeof sink | { line: typeof handle; oversized: typeof sink.oversized } = sink;
    try {
      // The format is settled from the first chunk; the markers come with it.
      const iter = stream[Symbol.asyncIterator]();
      const firstChunk = await iter.next();
      const chunks: AsyncIterable<Buffer> = {
        async *[Symbol.asyncIterator]() {
          if (!firstChunk.done) yield firstChunk.value as Buffer;
          while (true) {
            const n = await iter.next();
            if (n.done) return;
            yield n.value as Buffer;
          }
        },
      };
      if (!firstChunk.done) {
        const head = firstLines(firstChunk.value as Buffer);
        const format = opts.format ?? detectFormat(head);
        if (!format) {
          setupError = `${source}: not a log Harbour can read (the first lines fit none of squid, e2guardian, e2guardian-csv or a CSV export with a URL and time column); name the format with --format`;
        } else {
          file.format = format;
          try {
            parser = parserFor(format, head[0] ?? '');
            urlStart = parser.urlStart;
          } catch (e) {
            setupError = `${source}: ${(e as Error).message}`;
          }
        }
        if (setupError) {
          (stream as any).destroy?.();
          await iter.return?.();
          throw new LogFileError(setupError);
        }
        markers = parser!.markers;
        if (!markers) dynamicSink = { line: handle, oversized: sink.oversized };
      }
      file.lines = await splitLines(chunks, dynamicSink as any, markers);
    } catch (e) {
      if (e instanceof LogFileError) throw e;
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'Z_DATA_ERROR' || err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message)) {
        // A gzip file cut short: keep what was read, report the rest.
        file.lines = lastLine;
        file.error = `the compressed file is damaged or cut short (${err.message}); lines after the damage were not read`;
      } else {
        throw new LogFileError(`${source}: cannot be read (${err.code ?? err.message})`);
      }
    }
    summary.lines += file.lines;
    summary.rejected += file.rejected;
    summary.bytes += file.bytes;
    if (file.lines > 0 && !file.sawQueryString) {
      opts.onNote?.(noQueryStringNote(source));
    }
  }
  detector.flush();
  summary.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  summary.assetsSuppressed = detector.counts.assetsSuppressed;
  summary.grouped = detector.counts.grouped;
  summary.escalated = detector.counts.escalated;
  return summary;
}
