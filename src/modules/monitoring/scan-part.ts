// Reading one part of a plain log file (a byte range from a line's start to a line's start) down
// to what the order-dependent stage needs: the requests that came to something (candidates) and
// the times of the others (ticks), in line order, with the part's counts. A scan's worker threads
// do this (scan-worker.ts), and so does the main thread while they start and between its other work.
import { open, type FileHandle } from 'node:fs/promises';
import { assessRequest, type Candidate } from './detect/alerts';
import type { CompiledLexicon } from './detect/matcher';
import { chunkBytes, readRange, splitLines } from './parsers/lines';
import { hostKey } from './parsers/types';
import { parserFor } from './parsers/parser-for';
import { lineSink, type LineStats } from './scan-lines';
import type { LogFormat } from './types';

/** A part of a file to read: from start (a line's start) to end (a line's start, or Infinity: the file's end). */
export interface PartJob { id: number; path: string; format: LogFormat; header: string; start: number; end: number }

/** A candidate with its line (numbered from 1 within the part) and how many of the part's ticks come before it. */
export type PartCandidate = Candidate & { line: number; at: number };

export interface PartResult {
  id: number;
  /** Lines in the part. */
  lines: number;
  parsed: number;
  rejected: number;
  /** The first rejected lines of the part (at most 20), as [line within the part, reason]. */
  firstRejected: [number, string][];
  sawQueryString: boolean;
  /** Assets that were no alert of their own (each is also a tick). */
  suppressed: number;
  /**
   * The times of the requests read that were not candidates, in order: the detector must see each
   * (Detector.advance) before the next candidate. A time no later than one already kept since the
   * last candidate would change nothing there, and is left out.
   */
  ticks: Float64Array;
  candidates: PartCandidate[];
}

/** Reads parts of files with one compiled lexicon, one part at a time, with two read buffers of its own. */
export class PartReader {
  private readonly bypassKeys = new Set<number>();
  private readonly buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
  private file: { path: string; fh: FileHandle } | null = null;

  constructor(private readonly lex: CompiledLexicon) {
    for (const h of lex.bypassHosts) this.bypassKeys.add(hostKey(h));
  }

  /** Closes the file read last. */
  async close() {
    const f = this.file;
    this.file = null;
    await f?.fh.close().catch(() => undefined);
  }

  async read(job: PartJob): Promise<PartResult> {
    if (this.file?.path !== job.path) {
      await this.close();
      this.file = { path: job.path, fh: await open(job.path, 'r') };
    }
    const lex = this.lex;
    const parser = parserFor(job.format, job.header);
    const stats: LineStats = { parsed: 0, sawQueryString: false, lastLine: 0 };
    const result: PartResult = { id: job.id, lines: 0, parsed: 0, rejected: 0, firstRejected: [], sawQueryString: false, suppressed: 0, ticks: new Float64Array(0), candidates: [] };
    const ticks: number[] = [];
    let latest = -Infinity; // the latest tick kept since the last candidate
    const { sink, markers } = lineSink(parser, this.bypassKeys, stats, {
      // The parser is told line 1 only for the file's first line (a later part's line 1 is at least line 2).
      parserLine: job.start === 0 ? undefined : (n) => n + 1,
      reject(lineNo, reason) {
        result.rejected++;
        if (result.firstRejected.length < 20) result.firstRejected.push([lineNo, reason]);
      },
      request(lineNo, req) {
        const a = assessRequest(lex, req);
        if (a && !a.suppressed) {
          result.candidates.push({ ...a, time: req.time, user: req.user, client: req.client, url: req.url, blocked: req.blocked, line: lineNo, at: ticks.length });
          latest = -Infinity;
          return;
        }
        if (a) result.suppressed++;
        // advance(t) after advance(t') with t <= t', and no candidate between, closes nothing and
        // drops no recent block; NaN closes every group, so the times after it are kept again.
        const t = req.time;
        if (!(t <= latest)) {
          ticks.push(t);
          latest = Number.isNaN(t) ? -Infinity : t;
        }
      },
    });
    result.lines = await splitLines(readRange(this.file!.fh, job.start, job.end, this.buffers), sink, markers);
    result.parsed = stats.parsed;
    result.sawQueryString = stats.sawQueryString;
    result.ticks = Float64Array.from(ticks);
    return result;
  }
}
