// A byte-level line splitter for large logs. It never holds more than one chunk and one partial
// line; a line longer than maxLineBytes is dropped and reported, not buffered. Lines without any
// of the parser's marker byte strings are only counted and shape-checked, which is what makes a
// two-million-line log quick: most lines are neither searches nor blocks.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
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
  } finally {
    await fh.close();
  }
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream = gzip ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw;
  return { stream, gzip, size };
}

/**
 * Splits a byte stream into lines. With markers, only lines containing one of them go to
 * sink.line; the others go to sink.skipped. Returns the number of lines.
 */
export async function splitLines(stream: AsyncIterable<Buffer>, sink: LineSink, markers?: Buffer[], onFirstChunk?: (chunk: Buffer) => void): Promise<number> {
  let carry: Buffer | null = null;
  let skippingBytes = -1; // >= 0 while inside an oversized line
  let lineNo = 0;
  let first = true;
  const m = markers ?? [];
  const next = new Array<number>(m.length).fill(-1);
  for await (const chunk of stream) {
    if (!chunk.length) continue;
    if (first) {
      first = false;
      onFirstChunk?.(chunk);
    }
    let buf = chunk;
    if (carry) {
      buf = Buffer.concat([carry, chunk]);
      carry = null;
    }
    let pos = 0;
    for (let k = 0; k < m.length; k++) next[k] = buf.indexOf(m[k], 0);
    while (true) {
      const nl = buf.indexOf(10, pos);
      if (nl === -1) break;
      lineNo++;
      if (skippingBytes >= 0) {
        sink.oversized(lineNo, skippingBytes + nl - pos);
        skippingBytes = -1;
      } else if (nl - pos > maxLineBytes) {
        sink.oversized(lineNo, nl - pos);
      } else {
        const end = nl > pos && buf[nl - 1] === 13 ? nl - 1 : nl;
        let candidate = m.length === 0;
        for (let k = 0; k < m.length; k++) {
          const at = next[k];
          if (at !== -1 && at < nl) {
            candidate = true;
            next[k] = buf.indexOf(m[k], nl + 1);
          }
        }
        if (candidate || !sink.skipped) sink.line(buf, pos, end, lineNo);
        else sink.skipped(buf, pos, end, lineNo);
      }
      pos = nl + 1;
    }
    if (pos < buf.length) {
      const rest = buf.length - pos;
      if (skippingBytes >= 0) skippingBytes += rest;
      else if (rest > maxLineBytes) skippingBytes = rest;
      else carry = Buffer.from(buf.subarray(pos));
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
