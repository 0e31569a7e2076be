// Lines or JSON events pushed by a filter or a log forwarder (POST /api/v1/monitoring/events).
// Each source a school's key pushes is a stream with its own position, like a file: the batch's
// alerts, the new line number and the detector's open groups are committed in one transaction,
// and a sender that numbers its lines (first_line) can re-send a batch without repeating an alert.
import { z } from 'zod';
import type { Database } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { audit, type Actor } from '../../platform/audit/audit';
import type { Mailer } from '../../platform/mail/mailer';
import { Detector } from './detect/alerts';
import { detectFormat } from './parsers/detect-format';
import { isMalformed } from './parsers/types';
import { hasQueryString, noQueryStringNote, parserFor } from './scan';
import { schoolLexicon } from './school-lexicon';
import { sha256, storeAlerts, type PendingAlert } from './ingest';
import { notifyNewAlerts } from './notify';
import type { LogRequest } from './types';

export const maxPushLines = 10_000;

const event = z.object({
  time: z.union([z.string().datetime({ offset: true }), z.number().int().nonnegative()]),
  user: z.string().max(200).nullish(),
  client: z.string().max(200).nullish(),
  url: z.string().min(1).max(65_536),
  blocked: z.boolean().default(false),
  category: z.string().max(500).nullish(),
  reason: z.string().max(2000).nullish(),
  method: z.string().max(20).nullish(),
  status: z.number().int().nullish(),
  mime: z.string().max(200).nullish(),
});

export const pushSchema = z.object({
  source: z.string().trim().min(1).max(200).regex(/^[\w.:/@-]+$/, 'source: letters, digits and . _ - : / @ only'),
  format: z.enum(['squid', 'e2guardian', 'e2guardian-csv']).optional(),
  first_line: z.number().int().min(1).optional(),
  lines: z.array(z.string().max(65_536)).max(maxPushLines).optional(),
  events: z.array(event).max(maxPushLines).optional(),
}).refine((b) => !!b.lines !== !!b.events, { message: 'send either lines or events', path: ['lines'] });
export type PushBody = z.infer<typeof pushSchema>;

/**
 * What a push reports: lines accepted and skipped (already read), the rejected lines with why (the
 * first 100; `rejected_count` is all of them), new alerts, the source's line number now, and a note
 * (as scan and ingest give) when no URL in the batch had a query string, or null.
 */
export interface PushResult { accepted: number; skipped: number; rejected: { line: number; reason: string }[]; rejected_count: number; alerts: number; line: number; note: string | null }

/** Reads one pushed batch into the school's alerts. */
export async function pushEvents(db: Database, schoolId: string, body: PushBody, by: { actor: Actor; ip: string | null; mailer?: Mailer; baseUrl?: string }): Promise<PushResult> {
  const lexicon = await schoolLexicon(db, schoolId);
  const items: (string | z.infer<typeof event>)[] = body.lines ?? body.events ?? [];
  const format = body.lines ? body.format ?? detectFormat(body.lines.slice(0, 40)) ?? 'squid' : 'squid';
  const parser = parserFor(format, '');
  const head = Buffer.from(`push:${body.source}`);
  const outcome = await db.transaction(async (tx) => {
    const scope = schoolScope(tx, schoolId);
    const [pos] = await scope.sql(
      `insert into monitoring_ingest_positions (school_id, source, head_len, head_sha256, format) values (:school, $1, $2, $3, $4)
       on conflict (school_id, head_len, head_sha256) do update set source = excluded.source
       returning id, line_number, rejected_lines, detector_state`, [`push:${body.source}`, head.length, sha256(head), format]);
    // One batch at a time per source, so two senders never interleave a position.
    await scope.sql('select 1 from monitoring_ingest_positions where school_id = :school and id = $1 for update', [pos.id]);
    const [locked] = await scope.sql('select line_number, rejected_lines, detector_state from monitoring_ingest_positions where school_id = :school and id = $1', [pos.id]);
    let lineNo = Number(locked.line_number);
    let start = 0;
    if (body.first_line !== undefined) {
      // Lines already read (a re-sent batch) are skipped; a gap moves the numbering on.
      start = Math.max(0, Math.min(items.length, lineNo - body.first_line + 1));
      lineNo = Math.max(lineNo, body.first_line - 1);
    }
    const closed: PendingAlert[] = [];
    const detector = new Detector(lexicon, (alert, count) => closed.push({ alert, count }));
    detector.restoreState(locked.detector_state);
    const rejected: { line: number; reason: string }[] = [];
    let read = 0;
    let sawQueryString = false;
    for (const item of items.slice(start)) {
      lineNo++;
      let req: LogRequest | null;
      if (typeof item === 'string') {
        const r = parser.parse(item, lineNo);
        if (r && isMalformed(r)) {
          rejected.push({ line: lineNo, reason: r.malformed });
          continue;
        }
        req = r;
      } else {
        req = {
          time: typeof item.time === 'number' ? item.time : Date.parse(item.time), user: item.user ?? null, client: item.client ?? null, url: item.url,
          method: item.method ?? null, status: item.status ?? null, mime: item.mime ?? null, blocked: item.blocked, category: item.category ?? null, reason: item.reason ?? null,
        };
      }
      if (req) {
        read++;
        if (!sawQueryString && hasQueryString(req.url)) sawQueryString = true;
        detector.request(body.source, lineNo, req);
      }
    }
    const stored = await storeAlerts(tx, schoolId, pos.id, [...closed, ...detector.openAlerts()]);
    const created = stored.created;
    await scope.sql(
      `update monitoring_ingest_positions set line_number = $2, rejected_lines = rejected_lines + $3, detector_state = $4, updated_at = now() where school_id = :school and id = $1`,
      [pos.id, lineNo, rejected.length, JSON.stringify(detector.saveState())]);
    await audit(tx, { schoolId, actor: by.actor, action: 'monitoring_events.pushed', recordType: 'monitoring_ingest_position', recordId: pos.id, ip: by.ip, detail: { lines: items.length - start, alerts: created } });
    const note = read > 0 && !sawQueryString ? noQueryStringNote(body.source) : null;
    return { result: { accepted: items.length - start, skipped: start, rejected: rejected.slice(0, 100), rejected_count: rejected.length, alerts: created, line: lineNo, note }, raised: stored.raisedToCritical };
  });
  const { result, raised } = outcome;
  if ((result.alerts || raised) && by.mailer) await notifyNewAlerts(db, by.mailer, by.baseUrl ?? '', schoolId).catch(() => undefined);
  return result;
}
