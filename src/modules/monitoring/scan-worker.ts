// A scan's worker thread (started by scan-threads.ts through scan-worker.mjs): loads the compiled
// libraries (lexicon-cache.ts), then reads the parts of files it is sent (scan-part.ts), one after
// another in the order sent, and posts each part's result back.
import { parentPort, workerData } from 'node:worker_threads';
import { harbourLexicon } from './lexicon-cache';
import { PartReader, type PartJob, type PartResult } from './scan-part';

export type ToWorker = ({ type: 'part' } & PartJob) | { type: 'close' };
export type FromWorker = { type: 'ready' } | ({ type: 'done' } & PartResult) | { type: 'failed'; id: number; code?: string; message: string };

/** For tests: stop the thread (exit code 1) on receiving part number exitAtPart (from 1). */
export interface WorkerData { exitAtPart?: number }

const port = parentPort!;
const { exitAtPart } = (workerData ?? {}) as WorkerData;
let parts = 0;
const reader = new PartReader(harbourLexicon());
const post = (m: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);

// One message at a time: a part is read to its end before the next (the read buffers are shared).
let queue = Promise.resolve();
port.on('message', (m: ToWorker) => {
  queue = queue.then(async () => {
    if (m.type === 'close') return reader.close();
    if (++parts === exitAtPart) process.exit(1);
    try {
      const r = await reader.read(m);
      post({ type: 'done', ...r }, [r.ticks.buffer as ArrayBuffer]);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      post({ type: 'failed', id: m.id, code: err.code, message: err.message });
    }
  });
});
post({ type: 'ready' });
