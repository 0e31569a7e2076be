// A byte-level line splitter for large logs. It never holds more than one chunk and one partial
// line; a line longer than maxLineBytes is dropped and reported, not buffered. Lines without any
// of the parser's marker byte strings are only counted and shape-checked, which is what makes a
// two-million-line log quick: most lines are neither searches nor blocks.
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

export const maxLineBytes = 64 * 1024;

export interface LineSink {
  /** A line worth reading: decode and parse it. */
  line(buf: Buffer, start: number, end: number, lineNo: number): void;
  /** A line with none of the markers: counted, and its shape checked. */
  skipped?(buf: Buffer, start: number, end: number, lineNo: number): void;
  /** A line longer than maxLineBytes. */
  oversized(lineNo: number, bytes: number): void;
}

/** Opens a file as a stream of bytes, gunzipping it when it starts with gzip's magic bytes. */
export async function openLog(path: string): Promise<{ stream: AsyncIterable<Buffer>; gzip: boolean; size: number }> {
  const fh = await open(path, 'r');
  let gzip = false;
  let size = 0;
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = st.size;
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    gzip = bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } catch (e) {
    await fh.close();
    throw e;
  }
  if (gzip) {
    await fh.close();
    return { stream: createReadStream(path, { highWaterMark: chunkBytes }).pipe(createGunzip({ chunkSize: chunkBytes })), gzip, size };
  }
  return { stream: readAhead(fh), gzip, size };
}

export const chunkBytes = 1 << 20;

/**
 * The file's bytes in chunks, the next chunk read while the caller works on this one. Two
 * buffers take turns, so a chunk is only good until the caller asks for the next: splitLines
 * copies what it keeps (the start of a line cut by the chunk's end).
 */
async function* readAhead(fh: FileHandle): AsyncGenerator<Buffer> {
  try {
    yield* readRange(fh, 0, Infinity);
  } finally {
    await fh.close();
  }
}

/**
 * The bytes from start up to end (or the end of the file) of an open file, in chunks, read ahead
 * as readAhead does; the file is left open. A scan's worker thread reads its part of a file so,
 * with buffers of its own that it reuses from part to part (memory stays the same whatever the size).
 */
export async function* readRange(fh: FileHandle, start: number, end: number, buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)]): AsyncGenerator<Buffer> {
  let turn = 0;
  let position = start;
  const want = () => Math.min(buffers[turn].length, end - position);
  let pending: Promise<{ bytesRead: number }> | null = want() > 0 ? fh.read(buffers[0], 0, want(), position) : null;
  try {
    while (pending) {
      const { bytesRead } = await pending;
      pending = null;
      if (bytesRead === 0) return;
      const current = buffers[turn];
      position += bytesRead;
      turn ^= 1;
      if (want() > 0) pending = fh.read(buffers[turn], 0, want(), position);
      yield current.subarray(0, bytesRead);
    }
  } finally {
    await pending?.catch(() => undefined);
  }
}

/**
 * Splits a byte stream into lines. With markers, only lines containing one of them go to
 * sink.line; the others go to sink.skipped. Returns the number of lines. A chunk is searched
 * as a Latin-1 string (one character per byte, so offsets are byte offsets): the engine's own
 * string search for the newline costs far less per line than a call into Buffer.indexOf.
 */
export async function splitLines(stream: AsyncIterable<Buffer>, sink: LineSink, markers?: Buffer[], onFirstChunk?: (chunk: Buffer) => void): Promise<number> {
  let carry: Buffer | null = null; // the start of a line that began in an earlier chunk
  let skippingBytes = -1; // >= 0 while inside an oversized line
  let lineNo = 0;
  let first = true;
  const mb = markers ?? [];
  const next = new Array<number>(mb.length).fill(-1);
  const single = mb.map((b) => (b.length === 1 ? b.toString('latin1') : null));
  for await (const chunk of stream) {
    if (!chunk.length) continue;
    if (first) {
      first = false;
      onFirstChunk?.(chunk);
    }
    let pos = 0;
    if (skippingBytes >= 0 || carry) {
      // Finish the line begun before this chunk.
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        if (skippingBytes >= 0) skippingBytes += chunk.length;
        else if (carry!.length + chunk.length > maxLineBytes) {
          skippingBytes = carry!.length + chunk.length;
          carry = null;
        } else carry = Buffer.concat([carry!, chunk]);
        continue;
      }
      lineNo++;
      if (skippingBytes >= 0) {
        sink.oversized(lineNo, skippingBytes + nl);
        skippingBytes = -1;
      } else if (carry!.length + nl > maxLineBytes) {
        sink.oversized(lineNo, carry!.length + nl);
      } else {
        const line = Buffer.concat([carry!, chunk.subarray(0, nl)]);
        const end = line.length > 0 && line[line.length - 1] === 13 ? line.length - 1 : line.length;
        const candidate = mb.length === 0 || mb.some((k) => line.indexOf(k) !== -1);
        if (candidate || !sink.skipped) sink.line(line, 0, end, lineNo);
        else sink.skipped(line, 0, end, lineNo);
      }
      carry = null;
      pos = nl + 1;
    }
    const text = chunk.toString('latin1');
    // A one-byte marker is sought in the string (the engine's search for one character is a
    // memchr), a longer one in the bytes; either way once per marker found, not once per line.
    const find = (k: number, from: number) => (single[k] !== null ? text.indexOf(single[k]!, from) : chunk.indexOf(mb[k], from));
    let soonest = Infinity; // the nearest marker ahead
    for (let k = 0; k < mb.length; k++) {
      next[k] = find(k, pos);
      if (next[k] !== -1 && next[k] < soonest) soonest = next[k];
    }
    while (true) {
      const nl = text.indexOf('\n', pos);
      if (nl === -1) break;
      lineNo++;
      if (nl - pos > maxLineBytes) {
        sink.oversized(lineNo, nl - pos);
      } else {
        const end = nl > pos && chunk[nl - 1] === 13 ? nl - 1 : nl;
        let candidate = mb.length === 0;
        if (soonest < nl) {
          // A marker in this line (or in an oversized line before it): find each such marker's next place.
          candidate = true;
          soonest = Infinity;
          for (let k = 0; k < mb.length; k++) {
            if (next[k] !== -1 && next[k] < nl) next[k] = find(k, nl + 1);
            if (next[k] !== -1 && next[k] < soonest) soonest = next[k];
          }
        }
        if (candidate || !sink.skipped) sink.line(chunk, pos, end, lineNo);
        else sink.skipped(chunk, pos, end, lineNo);
      }
      pos = nl + 1;
    }
    if (pos < chunk.length) {
      const rest = chunk.length - pos;
      if (rest > maxLineBytes) skippingBytes = rest;
      else carry = Buffer.from(chunk.subarray(pos)); // a copy: the chunk's buffer is read into again
    }
  }
  if (skippingBytes >= 0) {
    lineNo++;
    sink.oversized(lineNo, skippingBytes);
  } else if (carry && carry.length) {
    lineNo++;
    // The last line has no newline: it may be cut short, so it is always read in full.
    const end = carry[carry.length - 1] === 13 ? carry.length - 1 : carry.length;
    sink.line(carry, 0, end, lineNo);
  }
  return lineNo;
}
