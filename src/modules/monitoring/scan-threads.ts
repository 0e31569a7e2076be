// Scanning one large plain file on several threads. The file is cut into parts at line starts;
// the worker threads, and the main thread itself, each read the parts they are given in chunks
// (scan-part.ts) and hand back per part the requests that came to something and the times of the
// rest. The parts' results are handed on strictly in file order, with the number of lines before
// each part, so the caller runs the order-dependent stage (grouping, repeated blocks) exactly as a
// single-threaded scan would. The main thread reads parts from the start, so the time the workers
// take to start (loading TypeScript, compiling the libraries) is not time lost.
import { availableParallelism, cpus } from 'node:os';
import { open, type FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { CompiledLexicon } from './detect/matcher';
import { PartReader, type PartJob, type PartResult } from './scan-part';
import type { FromWorker, ToWorker, WorkerData } from './scan-worker';
import type { LogFormat } from './types';

/** Files smaller than this are scanned in the main thread alone: starting workers would cost more than it saves. */
export const threadMinBytes = 8 * 1024 * 1024;

/**
 * The default number of threads for a large file: the machine's CPUs, at most 4, but one on a
 * machine of two CPUs or fewer. Measured on our 2-CPU machines, the second CPU added at most a
 * third to a scan (the two share a core's resources), a worker's start-up costs about a second,
 * and on a busy machine two threads were slower than one; --threads 2 still asks for them.
 */
export function defaultThreads(): number {
  const n = typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
  return n <= 2 ? 1 : Math.min(4, n);
}

export class ScanThreadError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

interface Pending { resolve(r: PartResult): void; reject(e: Error): void }

/** Something that reads parts: a worker thread, or the main thread. */
interface Runner {
  /** How many more parts it can be given now. */
  room(): number;
  run(job: PartJob): Promise<PartResult>;
  doneWithFile(): void;
  close(): Promise<void>;
}

/** A worker thread. It is given up to two parts at a time, so it never waits for the main thread between them. */
class WorkerRunner implements Runner {
  private readonly worker: Worker;
  private readonly pending: Pending[] = [];
  private ready = false;
  private dead: Error | null = null;
  /** Why the thread could not start or stopped (not set by close). */
  failure: Error | null = null;

  constructor(private readonly onChange: () => void, workerData?: WorkerData) {
    // No flags inherited: some of the main thread's are refused in a worker (--input-type, say);
    // scan-worker.mjs registers tsx itself.
    this.worker = new Worker(new URL('./scan-worker.mjs', import.meta.url), { workerData, execArgv: [] });
    const fail = (e: Error) => {
      if (this.dead) return;
      this.dead = this.failure = e;
      for (const p of this.pending.splice(0)) p.reject(e);
      this.onChange();
    };
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        this.ready = true;
        this.onChange();
        return;
      }
      const p = this.pending.shift();
      if (m.type === 'done') p?.resolve(m);
      else p?.reject(new ScanThreadError(m.message, m.code));
    });
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new ScanThreadError(`a scan thread stopped (exit code ${code})`)));
  }

  room() {
    return this.ready && !this.dead ? 2 - this.pending.length : 0;
  }

  run(job: PartJob): Promise<PartResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.worker.postMessage({ type: 'part', ...job } satisfies ToWorker);
    });
  }

  doneWithFile() {
    if (!this.dead) this.worker.postMessage({ type: 'close' } satisfies ToWorker);
  }

  async close() {
    this.dead ??= new ScanThreadError('the scan threads were closed');
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/** The main thread, reading one part at a time between its other work. */
class MainRunner implements Runner {
  private readonly reader: PartReader;
  private busy = false;

  constructor(lex: CompiledLexicon) {
    this.reader = new PartReader(lex);
  }

  room() {
    return this.busy ? 0 : 1;
  }

  async run(job: PartJob): Promise<PartResult> {
    this.busy = true;
    try {
      return await this.reader.read(job);
    } finally {
      this.busy = false;
    }
  }

  doneWithFile() {
    void this.reader.close();
  }

  close() {
    return this.reader.close();
  }
}

/**
 * The threads a scan reads large files with: threads - 1 workers, which start at once and join in
 * when they have compiled the libraries, and the main thread (with the lexicon readFile is given).
 * Close it when done (workers keep the process alive).
 */
export class ScanPool {
  private readonly workers: WorkerRunner[] = [];
  private readonly runners: Runner[] = [];
  private main: MainRunner | null = null;
  private wake: (() => void) | null = null;

  /**
   * mainReads false: only the workers read parts (tests use it so the workers read every part).
   * workerData: for tests (a worker that stops after some parts).
   */
  constructor(readonly threads: number, private readonly mainReads = true, workerData?: WorkerData) {
    const changed = () => this.tell();
    for (let i = 1; i < threads; i++) this.workers.push(new WorkerRunner(changed, workerData));
    this.runners.push(...this.workers);
  }

  /** Why a worker could not start or stopped, if one did. */
  workerFailure(): Error | null {
    for (const w of this.workers) if (w.failure) return w.failure;
    return null;
  }

  /** A runner with room, best first, or null. */
  private free(): Runner | null {
    let best: Runner | null = null;
    for (const r of this.runners) if (r.room() > (best?.room() ?? 0)) best = r;
    return best;
  }

  private tell() {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Settles at the next change: a part done, a worker ready or failed. */
  private changed(): Promise<void> {
    return new Promise((r) => (this.wake = r));
  }

  /**
   * Reads a plain file and calls onPart with each part's result in file order, with the number of
   * lines before the part. Memory stays flat: only a few parts are read ahead of the one handed on.
   * The last part reads to the end of the file as it is then.
   */
  async readFile(lex: CompiledLexicon, f: ThreadedFile, onPart: (r: PartResult, linesBefore: number) => void): Promise<void> {
    if (!this.main && this.mainReads) {
      // Last: the main thread takes a part only when no worker has room, as it also does the grouping.
      this.main = new MainRunner(lex);
      this.runners.push(this.main);
    }
    const partBytes = f.partBytes ?? Math.min(8 << 20, Math.max(1 << 20, Math.ceil(f.size / (this.threads * 8))));
    const starts = await partStarts(f.path, f.size, partBytes);
    const ahead = this.threads * 3;
    const results: (Promise<PartResult> | undefined)[] = [];
    const done: boolean[] = [];
    let sent = 0;
    let handed = 0;
    let id = 0;
    const send = () => {
      while (sent < starts.length && sent - handed < ahead) {
        const runner = this.free();
        if (!runner) return;
        const i = sent++;
        const end = i + 1 < starts.length ? starts[i + 1] : Infinity;
        const job: PartJob = { id: id++, path: f.path, format: f.format, header: f.header, start: starts[i], end };
        let p = runner.run(job);
        if (runner instanceof WorkerRunner) {
          // A worker that stops (not one that reports the file unreadable): its parts are read here.
          p = p.catch(async (e) => {
            if (!runner.failure) throw e;
            const reader = new PartReader(lex);
            try {
              return await reader.read(job);
            } finally {
              await reader.close();
            }
          });
        }
        results[i] = p;
        // Marked done before the change is told (a failure is thrown below, in order).
        p.then(() => (done[i] = true), () => (done[i] = true)).then(() => this.tell());
      }
    };
    try {
      let linesBefore = 0;
      while (handed < starts.length) {
        // Give out parts as threads free up or start, and hand on the next part in order once read.
        if (!this.main && this.workers.every((w) => w.failure)) {
          // No worker left (tests may have kept the main thread out): the main thread reads the rest.
          this.main = new MainRunner(lex);
          this.runners.push(this.main);
        }
        send();
        if (!done[handed]) {
          await this.changed();
          continue;
        }
        const r = await results[handed]!;
        results[handed] = undefined;
        handed++;
        onPart(r, linesBefore);
        linesBefore += r.lines;
      }
    } finally {
      for (const r of this.runners) r.doneWithFile();
    }
  }

  async close() {
    await Promise.all(this.runners.map((r) => r.close()));
  }
}

/** The first line start at or after byte p: p itself when a line ends just before it. Reads 64 KiB at a time. */
export async function lineStartAtOrAfter(fh: FileHandle, p: number, size: number): Promise<number> {
  if (p <= 0) return 0;
  const buf = Buffer.allocUnsafe(64 * 1024);
  let pos = p - 1;
  while (pos < size) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
    if (!bytesRead) break;
    const nl = buf.subarray(0, bytesRead).indexOf(10);
    if (nl !== -1) return pos + nl + 1;
    pos += bytesRead;
  }
  return size;
}

/** Where each part starts: 0, then the line start at or after every partBytes (a long line may swallow a cut). */
export async function partStarts(path: string, size: number, partBytes: number): Promise<number[]> {
  const fh = await open(path, 'r');
  try {
    const starts = [0];
    for (let p = partBytes; p < size; p += partBytes) {
      const at = await lineStartAtOrAfter(fh, p, size);
      if (at >= size) break;
      if (at > starts[starts.length - 1]) starts.push(at);
      if (at > p) p = at - (at % partBytes); // past a long line: carry on from the cut after it
    }
    return starts;
  } finally {
    await fh.close();
  }
}

export interface ThreadedFile {
  path: string;
  size: number;
  format: LogFormat;
  /** The file's first line (a CSV export's header). */
  header: string;
  /** Bytes per part (default: the size shared out so each thread gets about eight, from 1 to 8 MiB). */
  partBytes?: number;
}
