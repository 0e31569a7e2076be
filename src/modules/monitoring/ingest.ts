// `harbour monitor ingest`: reads a school's filter logs into monitoring_alerts through the same
// detector as scan. It remembers where it got to in each file (monitoring_ingest_positions):
// each batch's alerts, the new byte offset and line number, and the detector's open groups are
// committed in ONE transaction, so stopping it at any moment (even kill -9) and starting again,
// or ingesting the same file twice, neither loses nor repeats an alert. A file is known by a
// hash of its first (up to) 4 KiB of content, so a rotated log, gzip'd or not, is recognised
// as the file already read, and a new file at the same path starts from its beginning.
import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Database, Queryable } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { audit, systemActor, type Actor } from '../../platform/audit/audit';
import type { Mailer } from '../../platform/mail/mailer';
import { Detector, type DetectorState } from './detect/alerts';
import type { CompiledLexicon } from './detect/matcher';
import { detectFormat } from './parsers/detect-format';
import { maxLineBytes } from './parsers/lines';
import { isMalformed, type LineParser } from './parsers/types';
import { hasQueryString, noQueryStringNote, parserFor } from './scan';
import { schoolLexicon } from './school-lexicon';
import type { Alert, LogFormat, LogRequest } from './types';
import { notifyNewAlerts } from './notify';

export const headBytes = 4096;

export interface IngestOptions {
  schoolId: string;
  format?: LogFormat;
  /** Lines per committed batch. */
  batchLines?: number;
  actor?: Actor;
  mailer?: Mailer;
  baseUrl?: string;
  onNote?: (message: string) => void;
  /** What alerts name as their source (default: the path), such as an uploaded file's name. */
  sourceName?: string;
}

export interface IngestResult {
  source: string;
  format: LogFormat | null;
  /** Lines read in this run (not counting those read by earlier runs). */
  lines: number;
  rejected: number;
  /** The first lines rejected in this run (at most 10), with why. */
  firstRejected: { line: number; reason: string }[];
  /** Whether any URL read in this run had a query string (a `?` with something after it). */
  sawQueryString: boolean;
  /** Said when lines were read and none had a query string (as scan says it): what the IT provider should switch on. */
  note: string | null;
  /** Alerts stored for the first time in this run. */
  alertsCreated: number;
  /** Where the file stands now. */
  lineNumber: number;
  byteOffset: number;
  resumed: boolean;
}

export class IngestFileError extends Error {}

interface PositionRow {
  id: string;
  head_len: number;
  head_sha256: string;
  format: LogFormat;
  byte_offset: number;
  line_number: number;
  rejected_lines: number;
  detector_state: Partial<DetectorState>;
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function isGzip(head: Buffer) {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** The first (up to) 4 KiB of a file's content (decompressed for a gzip file), and whether it is gzip'd. */
export async function readHead(path: string): Promise<{ head: Buffer; gzip: boolean }> {
  const fh = await open(path, 'r');
  let raw: Buffer;
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    raw = Buffer.alloc(headBytes);
    const { bytesRead } = await fh.read(raw, 0, headBytes, 0);
    raw = raw.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (!isGzip(raw)) return { head: raw, gzip: false };
  const parts: Buffer[] = [];
  let got = 0;
  const gunzip = createReadStream(path).pipe(createGunzip());
  try {
    for await (const c of gunzip) {
      parts.push(c as Buffer);
      got += (c as Buffer).length;
      if (got >= headBytes) break;
    }
  } catch {
    // A damaged gzip file: its readable start is its head.
  }
  gunzip.destroy();
  return { head: Buffer.concat(parts).subarray(0, headBytes), gzip: true };
}

/** The stored position of the file whose content starts with head (the longest match), or null. */
async function findPosition(db: Queryable, schoolId: string, head: Buffer): Promise<PositionRow | null> {
  const scope = schoolScope(db, schoolId);
  const lens = (await scope.sql<{ head_len: number }>('select distinct head_len from monitoring_ingest_positions where school_id = :school and head_len <= $1', [head.length])).map((r) => r.head_len);
  if (!lens.length) return null;
  const pairs = lens.map((l) => `${l}:${sha256(head.subarray(0, l))}`);
  const rows = await scope.sql<PositionRow>(
    `select id, head_len, head_sha256, format, byte_offset, line_number, rejected_lines, detector_state from monitoring_ingest_positions
      where school_id = :school and (head_len::text || ':' || head_sha256) = any($1::text[]) order by head_len desc limit 1`, [pairs]);
  return rows[0] ?? null;
}

export interface PendingAlert { alert: Alert; count: number }

export interface StoredAlerts {
  /** Alerts stored for the first time. */
  created: number;
  /** Alerts already stored that a repeat has just raised to critical: the leads are told at once, as of a new critical alert. */
  raisedToCritical: number;
}

/**
 * Stores alerts for a position (one row per starting line; a repeat updates its group's count,
 * severity and reason). An alert a repeat raises to critical is marked as not yet told, so the
 * next notification (straight after the commit) tells the leads at once; if a lead had acknowledged
 * or dismissed it while it was lesser, it goes back into the queue as new.
 */
export async function storeAlerts(tx: Queryable, schoolId: string, positionId: string, alerts: PendingAlert[]): Promise<StoredAlerts> {
  if (!alerts.length) return { created: 0, raisedToCritical: 0 };
  const rows = alerts.map(({ alert: a, count }) => ({
    source: a.source, line: a.line, occurred_at: a.time, user_name: a.user, client: a.client, url: a.url, query: a.query,
    risk: a.risk, severity: a.severity, blocked: a.blocked, reason: a.reason, group_count: count,
  }));
  const result = await schoolScope(tx, schoolId).sql<{ inserted: boolean; raised: boolean }>(
    `insert into monitoring_alerts (school_id, position_id, source, line, occurred_at, user_name, client, person_id, room, url, query, risk, severity, blocked, reason, group_count)
     select :school, $1, r.source, r.line, r.occurred_at, r.user_name, r.client,
            (select i.person_id from monitoring_identities i where i.school_id = :school and i.person_id is not null
               and ((i.kind = 'username' and lower(i.value) = lower(r.user_name)) or (i.kind = 'address' and lower(i.value) = lower(r.client)))
             order by i.kind = 'username' desc limit 1),
            (select i.room from monitoring_identities i where i.school_id = :school and i.room is not null
               and i.kind = 'address' and lower(i.value) = lower(r.client) limit 1),
            r.url, r.query, r.risk, r.severity, r.blocked, r.reason, r.group_count
       from jsonb_to_recordset($2::jsonb) as r(source text, line bigint, occurred_at timestamptz, user_name text, client text, url text, query text,
            risk text, severity text, blocked boolean, reason text, group_count integer)
     on conflict (school_id, position_id, line) do update
        set severity = excluded.severity, reason = excluded.reason, group_count = greatest(monitoring_alerts.group_count, excluded.group_count),
            notified_at = case when excluded.severity = 'critical' and monitoring_alerts.severity <> 'critical' then null else monitoring_alerts.notified_at end,
            -- Acknowledged or dismissed before the repeats made it critical: back in the queue as new, the lead's
            -- earlier decision was about a lesser alert. (One already an incident stays with its incident.)
            status = case when excluded.severity = 'critical' and monitoring_alerts.severity <> 'critical' and monitoring_alerts.status in ('acknowledged', 'dismissed')
                          then 'new' else monitoring_alerts.status end,
            dismissed_reason = case when excluded.severity = 'critical' and monitoring_alerts.severity <> 'critical' and monitoring_alerts.status in ('acknowledged', 'dismissed')
                          then null else monitoring_alerts.dismissed_reason end
     returning (xmax = 0) as inserted, (xmax <> 0 and severity = 'critical' and notified_at is null) as raised`,
    [positionId, JSON.stringify(rows)]);
  return { created: result.filter((r) => r.inserted).length, raisedToCritical: result.filter((r) => r.raised).length };
}

/**
 * Reads one file into the school's alerts from where the last run stopped. With follow, keeps
 * reading as the file grows (and moves to a new file at the path when the log is rotated)
 * until signal aborts.
 */
export async function ingestFile(db: Database, path: string, opts: IngestOptions & { follow?: boolean; signal?: AbortSignal }): Promise<IngestResult> {
  const lexicon = await schoolLexicon(db, opts.schoolId);
  const total: IngestResult = { source: path, format: null, lines: 0, rejected: 0, firstRejected: [], sawQueryString: false, note: null, alertsCreated: 0, lineNumber: 0, byteOffset: 0, resumed: false };
  while (true) {
    const r = await ingestOnce(db, path, lexicon, opts, total);
    if (!opts.follow || opts.signal?.aborted || r !== 'rotated') {
      checkQueryStrings(total, opts);
      return total;
    }
  }
}

/** Says once, as scan does, that the lines read had no query strings at all. */
function checkQueryStrings(total: IngestResult, opts: IngestOptions) {
  if (total.note || total.sawQueryString || total.lines === 0) return;
  total.note = noQueryStringNote(opts.sourceName ?? total.source);
  opts.onNote?.(total.note);
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((done) => {
  const t = setTimeout(done, ms);
  signal?.addEventListener('abort', () => {
    clearTimeout(t);
    done();
  }, { once: true });
});

async function ingestOnce(db: Database, path: string, lexicon: CompiledLexicon, opts: IngestOptions & { follow?: boolean; signal?: AbortSignal }, total: IngestResult): Promise<'done' | 'rotated'> {
  const batchLines = opts.batchLines ?? 5000;
  // Wait for the file (following a log whose path is empty between rotations).
  let head: Buffer;
  let gzip: boolean;
  let ino: number;
  while (true) {
    try {
      const st = await stat(path);
      ino = st.ino;
      ({ head, gzip } = await readHead(path));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (opts.follow && err.code === 'ENOENT' && !opts.signal?.aborted) {
        await sleep(200, opts.signal);
        continue;
      }
      if (opts.follow && opts.signal?.aborted) return 'done';
      throw new IngestFileError(`${path}: cannot be read (${err.code ?? err.message})`);
    }
    if (head.length || !opts.follow || opts.signal?.aborted) break;
    await sleep(200, opts.signal);
  }
  if (!head.length) return 'done';

  const headText = head.toString('utf8');
  const headLines = headText.split('\n');
  if (head.length === headBytes && headLines.length > 1) headLines.pop();
  let pos = await findPosition(db, opts.schoolId, head);
  const format = pos?.format ?? opts.format ?? detectFormat(headLines.slice(0, 40).map((l) => l.replace(/\r$/, '')));
  if (!format) throw new IngestFileError(`${path}: not a log Harbour can read (the first lines fit none of squid, e2guardian, e2guardian-csv or a CSV export with a URL and time column); name the format with --format`);
  total.format = format;
  let parser: LineParser;
  try {
    parser = parserFor(format, headLines[0]?.replace(/\r$/, '') ?? '');
  } catch (e) {
    throw new IngestFileError(`${path}: ${(e as Error).message}`);
  }
  const scope = schoolScope(db, opts.schoolId);
  if (!pos) {
    pos = (await scope.sql<PositionRow>(
      `insert into monitoring_ingest_positions (school_id, source, head_len, head_sha256, format) values (:school, $1, $2, $3, $4)
       on conflict (school_id, head_len, head_sha256) do update set source = excluded.source
       returning id, head_len, head_sha256, format, byte_offset, line_number, rejected_lines, detector_state`,
      [path, head.length, sha256(head), format]))[0];
  } else {
    total.resumed = pos.byte_offset > 0;
    if (pos.head_len < head.length) {
      // The file has grown past the bytes it was first known by: know it by more of them.
      await scope.sql('update monitoring_ingest_positions set head_len = $2, head_sha256 = $3, source = $4 where school_id = :school and id = $1', [pos.id, head.length, sha256(head), path]);
    }
  }
  const positionId = pos.id;
  const detector = new Detector(lexicon, (alert, count) => closed.push({ alert, count }));
  detector.restoreState(pos.detector_state);
  let closed: PendingAlert[] = [];
  let offset = Number(pos.byte_offset);
  let lineNo = Number(pos.line_number);
  let rejected = Number(pos.rejected_lines);
  let linesSinceCommit = 0;

  // Open groups are stored as they stand at every commit and stay open in the saved state, so a
  // repeat read later (the file grew, or was rotated and gzip'd) joins the alert already stored.
  const commit = async (_final: boolean) => {
    const alerts = [...closed, ...detector.openAlerts()];
    closed = [];
    const state = detector.saveState();
    const stored = await db.transaction(async (tx) => {
      const s = await storeAlerts(tx, opts.schoolId, positionId, alerts);
      const n = s.created;
      await schoolScope(tx, opts.schoolId).sql(
        `update monitoring_ingest_positions set byte_offset = $2, line_number = $3, rejected_lines = $4, detector_state = $5, source = $6, updated_at = now()
          where school_id = :school and id = $1`, [positionId, offset, lineNo, rejected, JSON.stringify(state), path]);
      if (n) {
        await audit(tx, { schoolId: opts.schoolId, actor: opts.actor ?? systemActor, action: 'monitoring_alerts.ingested', recordType: 'monitoring_ingest_position', recordId: positionId, detail: { alerts: n, line: lineNo } });
      }
      return s;
    });
    total.alertsCreated += stored.created;
    linesSinceCommit = 0;
    // New alerts, or one a repeat has just raised to critical: the leads hear at once (high ones at most hourly).
    if ((stored.created || stored.raisedToCritical) && opts.mailer) await notifyNewAlerts(db, opts.mailer, opts.baseUrl ?? '', opts.schoolId).catch((e) => opts.onNote?.(`the safeguarding leads could not be emailed: ${(e as Error).message}`));
  };

  const reject = (reason: string) => {
    rejected++;
    total.rejected++;
    if (total.firstRejected.length < 10) total.firstRejected.push({ line: lineNo, reason });
  };
  let carry: Buffer | null = null;
  let oversized = -1;
  /** Reads the complete lines in chunk (and, at the end of a finished file, a last line without a newline). */
  const feed = async (chunk: Buffer | null) => {
    let buf: Buffer;
    if (chunk === null) {
      if (!carry || !carry.length) return;
      buf = Buffer.concat([carry, Buffer.from('\n')]);
    } else buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = null;
    let at = 0;
    while (true) {
      const nl = buf.indexOf(10, at);
      if (nl === -1) break;
      lineNo++;
      total.lines++;
      linesSinceCommit++;
      const len = nl - at;
      if (oversized >= 0 || len > maxLineBytes) {
        oversized = -1;
        reject(`the line is longer than the ${maxLineBytes / 1024} KiB Harbour reads`);
      } else {
        const end = len && buf[nl - 1] === 13 ? nl - 1 : nl;
        const r = parser.parse(buf.toString('utf8', at, end), lineNo);
        if (r && isMalformed(r)) reject(r.malformed);
        else if (r) {
          if (!total.sawQueryString && hasQueryString(r.url)) total.sawQueryString = true;
          detector.request(opts.sourceName ?? path, lineNo, r as LogRequest);
        }
      }
      // A line read without a newline (the end of a finished file) counts one byte less.
      offset += Math.min(nl + 1, chunk === null ? buf.length - 1 : buf.length) - at;
      at = nl + 1;
      if (linesSinceCommit >= batchLines) await commit(false);
    }
    if (at < buf.length) {
      const rest = buf.subarray(at);
      if (oversized >= 0 || rest.length > maxLineBytes) {
        // Inside a line too long to keep: count its bytes, keep none of them.
        offset += rest.length;
        oversized = 0;
      } else carry = Buffer.from(rest);
    }
  };

  try {
    if (gzip) {
      // A gzip'd (rotated) log is complete: skip what earlier runs read, read the rest.
      let skip = offset;
      const stream = createReadStream(path, { highWaterMark: 1 << 20 }).pipe(createGunzip({ chunkSize: 1 << 20 }));
      try {
        for await (const c of stream) {
          let chunk = c as Buffer;
          if (skip > 0) {
            if (chunk.length <= skip) {
              skip -= chunk.length;
              continue;
            }
            chunk = chunk.subarray(skip);
            skip = 0;
          }
          await feed(chunk);
        }
        await feed(null);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (!(err.code === 'Z_DATA_ERROR' || err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message))) throw e;
        opts.onNote?.(`${path}: the compressed file is damaged or cut short; lines after the damage were not read`);
      }
      await commit(true);
      return 'done';
    }
    const fh: FileHandle = await open(path, 'r');
    try {
      const chunk = Buffer.alloc(1 << 20);
      let readAt = offset;
      if ((await fh.stat()).size < offset) {
        // Cut back below where we were (copytruncate): a fresh start of the same name.
        throw new IngestFileError(`${path}: the file is shorter than the ${offset} bytes already read; it was truncated`);
      }
      while (true) {
        const { bytesRead } = await fh.read(chunk, 0, chunk.length, readAt);
        if (bytesRead > 0) {
          readAt += bytesRead;
          await feed(Buffer.from(chunk.subarray(0, bytesRead)));
          continue;
        }
        // At the end of what is there now.
        if (!opts.follow) {
          if (carry) opts.onNote?.(`${path}: the last line has no newline yet; it is left for the next run`);
          await commit(true);
          return 'done';
        }
        if (linesSinceCommit > 0 || closed.length) await commit(false);
        // Following: say it as soon as what was there has been read, not only when stopped.
        checkQueryStrings(total, opts);
        if (opts.signal?.aborted) {
          await commit(false);
          return 'done';
        }
        await sleep(100, opts.signal);
        // Rotated: a new file at the path. Finish this one (anything written since), then move on.
        const now = await stat(path).catch(() => null);
        if (now && now.ino !== ino) {
          const more = await fh.read(chunk, 0, chunk.length, readAt);
          if (more.bytesRead > 0) {
            readAt += more.bytesRead;
            await feed(Buffer.from(chunk.subarray(0, more.bytesRead)));
            continue;
          }
          await feed(null);
          await commit(true);
          return 'rotated';
        }
        if (now && now.size < readAt) {
          await commit(true);
          return 'rotated';
        }
      }
    } finally {
      await fh.close();
    }
  } finally {
    total.lineNumber = lineNo;
    total.byteOffset = offset;
  }
}
