// Scans filter logs into alerts with no database: the engine behind `harbour monitor scan`,
// and later behind ingest, which will store what this emits.
import { open } from 'node:fs/promises';
import { detectFormat } from './parsers/detect-format';
import { openLog, splitLines } from './parsers/lines';
import { parserFor } from './parsers/parser-for';
import { hostKey, type LineParser } from './parsers/types';
import { Detector, type DetectorOptions } from './detect/alerts';
import type { CompiledLexicon } from './detect/matcher';
import { harbourLexicon } from './lexicon-cache';
import { lineSink, type LineStats } from './scan-lines';
import { defaultThreads, ScanPool, threadMinBytes } from './scan-threads';
import type { Alert, LogFormat, LogRequest } from './types';

export { hasQueryString } from './scan-lines';
export { parserFor } from './parsers/parser-for';

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
  /** Libraries of the caller's own. A scan with them stays in the main thread (the worker threads load Harbour's own). */
  lexicon?: CompiledLexicon;
  /**
   * Worker threads for a large plain file (default: the CPUs, at most 4); 1 reads everything in the
   * main thread. gzip files, and files under threadMinBytes, are always read in the main thread.
   * The alerts, their order and the summary's counts are the same whatever the number.
   */
  threads?: number;
  /** The smallest file read with worker threads (default 8 MiB). */
  threadMinBytes?: number;
  /** Bytes per part a thread reads (default: worked out from the file's size); for tests. */
  partBytes?: number;
  /** For tests: only the worker threads read parts, not the main thread as well. */
  workersOnly?: boolean;
  /** For tests: each worker thread stops (as if it crashed) on receiving this part (from 1). */
  workerExitAtPart?: number;
  onAlert: (a: Alert) => void;
  /** Said once per file, for a log with no query strings at all. */
  onNote?: (message: string) => void;
}


export class LogFileError extends Error {}

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

interface FilePlan { threaded: boolean; size: number }

/** Whether a file is read with worker threads: a plain (not gzip) file of threadMinBytes or more. Anything odd is left to the main thread, which reports it. */
async function planFile(path: string, threads: number, minBytes: number): Promise<FilePlan> {
  if (threads <= 1) return { threaded: false, size: 0 };
  try {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (!st.isFile() || st.size < Math.max(1, minBytes)) return { threaded: false, size: st.size };
      const head = Buffer.alloc(2);
      const { bytesRead } = await fh.read(head, 0, 2, 0);
      return { threaded: !(bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b), size: st.size };
    } finally {
      await fh.close();
    }
  } catch {
    return { threaded: false, size: 0 };
  }
}

/** The format of a file from its first lines (or opts.format) and its parser; throws LogFileError as the scan reports it. */
function settleFormat(source: string, head: string[], named: LogFormat | undefined): { format: LogFormat; parser: LineParser } {
  const format = named ?? detectFormat(head);
  if (!format) {
    throw new LogFileError(`${source}: not a log Harbour can read (the first lines fit none of squid, e2guardian, e2guardian-csv or a CSV export with a URL and time column); name the format with --format`);
  }
  try {
    return { format, parser: parserFor(format, head[0] ?? '') };
  } catch (e) {
    throw new LogFileError(`${source}: ${(e as Error).message}`);
  }
}

/**
 * Scans log files one after another; alerts come out through opts.onAlert. Throws LogFileError
 * for a file that cannot be read as a log. A large plain file is read by worker threads (the
 * line finding, parsing and matching) while this thread groups their findings in file order, so
 * the alerts and the summary are exactly those of a single-threaded scan.
 */
export async function scanLogs(files: string[], opts: ScanOptions): Promise<ScanSummary> {
  const threads = opts.lexicon ? 1 : Math.max(1, Math.floor(opts.threads ?? defaultThreads()));
  const plans = await Promise.all(files.map((f) => planFile(f, threads, opts.threadMinBytes ?? threadMinBytes)));
  // Worker threads start now and load the libraries (lexicon-cache.ts) while this thread does the same.
  const pool = plans.some((p) => p.threaded) ? new ScanPool(threads, !opts.workersOnly, opts.workerExitAtPart ? { exitAtPart: opts.workerExitAtPart } : undefined) : null;
  const lex = opts.lexicon ?? harbourLexicon();
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

  try {
    for (let n = 0; n < files.length; n++) {
      const source = files[n];
      const file = pool && plans[n].threaded
        ? await scanThreaded(pool, lex, source, plans[n].size, opts, detector, summary)
        : await scanHere(source, opts, detector, summary, bypassKeys);
      summary.lines += file.lines;
      summary.rejected += file.rejected;
      summary.bytes += file.bytes;
      if (file.lines > 0 && !file.sawQueryString) {
        opts.onNote?.(noQueryStringNote(source));
      }
    }
  } finally {
    const failure = pool?.workerFailure();
    // The scan is whole without the thread (this thread read its parts), but slower.
    if (failure) opts.onNote?.(`a worker thread failed (${failure.message}); this thread read what it would have`);
    await pool?.close();
  }
  detector.flush();
  summary.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  summary.assetsSuppressed = detector.counts.assetsSuppressed;
  summary.grouped = detector.counts.grouped;
  summary.escalated = detector.counts.escalated;
  return summary;
}

/** Reads one file in this thread. */
async function scanHere(source: string, opts: ScanOptions, detector: Detector, summary: ScanSummary, bypassKeys: Set<number>): Promise<FileSummary> {
  const { stream, gzip, size } = await openLog(source).catch((e: NodeJS.ErrnoException) => {
    throw new LogFileError(`${source}: cannot be read (${e.code ?? e.message})`);
  });
  const file: FileSummary = { source, format: opts.format ?? null, gzip, lines: 0, rejected: 0, bytes: size, parsed: 0, sawQueryString: false };
  summary.files.push(file);
  const stats: LineStats = { parsed: 0, sawQueryString: false, lastLine: 0 };
  const handlers = {
    request: (lineNo: number, req: LogRequest) => detector.request(source, lineNo, req),
    reject: (line: number, reason: string) => {
      file.rejected++;
      if (summary.firstRejected.length < 20) summary.firstRejected.push({ source, line, reason });
    },
  };
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
      let settled: ReturnType<typeof settleFormat>;
      try {
        settled = settleFormat(source, firstLines(firstChunk.value as Buffer), opts.format);
      } catch (e) {
        (stream as any).destroy?.();
        await iter.return?.();
        throw e;
      }
      file.format = settled.format;
      const { sink, markers } = lineSink(settled.parser, bypassKeys, stats, handlers);
      file.lines = await splitLines(chunks, sink, markers);
    } else {
      file.lines = await splitLines(chunks, { line() {}, oversized() {} });
    }
  } catch (e) {
    if (e instanceof LogFileError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'Z_DATA_ERROR' || err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message)) {
      // A gzip file cut short: keep what was read, report the rest.
      file.lines = stats.lastLine;
      file.error = `the compressed file is damaged or cut short (${err.message}); lines after the damage were not read`;
    } else {
      throw new LogFileError(`${source}: cannot be read (${err.code ?? err.message})`);
    }
  } finally {
    file.parsed = stats.parsed;
    file.sawQueryString = stats.sawQueryString;
  }
  return file;
}

/** Reads one plain file with the worker threads, grouping their findings here in file order. */
async function scanThreaded(pool: ScanPool, lex: CompiledLexicon, source: string, size: number, opts: ScanOptions, detector: Detector, summary: ScanSummary): Promise<FileSummary> {
  const file: FileSummary = { source, format: opts.format ?? null, gzip: false, lines: 0, rejected: 0, bytes: size, parsed: 0, sawQueryString: false };
  summary.files.push(file);
  try {
    // The first lines, as the first chunk of a read in this thread would give them.
    let head: Buffer;
    const fh = await open(source, 'r');
    try {
      head = Buffer.alloc(256 * 1024);
      head = head.subarray(0, (await fh.read(head, 0, head.length, 0)).bytesRead);
    } finally {
      await fh.close();
    }
    const lines = firstLines(head);
    const { format } = settleFormat(source, lines, opts.format);
    file.format = format;
    await pool.readFile(lex, { path: source, size, format, header: lines[0] ?? '', partBytes: opts.partBytes }, (r, before) => {
      file.lines += r.lines;
      file.parsed += r.parsed;
      file.rejected += r.rejected;
      for (const [line, reason] of r.firstRejected) {
        if (summary.firstRejected.length < 20) summary.firstRejected.push({ source, line: before + line, reason });
      }
      if (r.sawQueryString) file.sawQueryString = true;
      detector.counts.assetsSuppressed += r.suppressed;
      // The requests in line order: the others' times, then each candidate.
      const ticks = r.ticks;
      let t = 0;
      for (const c of r.candidates) {
        while (t < c.at) detector.advance(ticks[t++]);
        detector.apply(source, before + c.line, c);
      }
      while (t < ticks.length) detector.advance(ticks[t++]);
    });
  } catch (e) {
    if (e instanceof LogFileError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new LogFileError(`${source}: cannot be read (${err.code ?? err.message})`);
  }
  return file;
}
