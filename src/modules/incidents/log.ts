// The incident log as a list: filtered by status, kind and the dates it happened, and searched
// for words in the summary or the reference. One function serves the page and the benchmark,
// so what is timed is what people use. It reads through IncidentScope like every other query.
import type { FieldError } from '../../platform/http/forms';
import type { IncidentScope } from './visibility';
import { incidentStatuses } from './vocabulary';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const isoDay = /^\d{4}-\d{2}-\d{2}$/;
const realDay = (d: string) => isoDay.test(d) && !Number.isNaN(Date.parse(`${d}T12:00:00Z`)) && new Date(`${d}T12:00:00Z`).toISOString().startsWith(d);

/** What the log is narrowed to. Every field is optional; empty means "any". */
export interface LogFilter {
  status: string;
  category: string;
  /** Occurred on or after this day (YYYY-MM-DD, the school's calendar). */
  from: string;
  /** Occurred on or before this day. */
  to: string;
  /** Words that must each appear in the summary or the reference. */
  q: string;
  page: number;
}

export const logPageSize = 50;
/** At most this many words are searched for; more would only slow the query. */
const maxWords = 8;

/** Reads the log's filter from a query string; a bad date names its field and is left out. */
export function parseLogFilter(query: unknown): { filter: LogFilter; errors: FieldError[] } {
  const q = (query ?? {}) as Record<string, unknown>;
  const str = (k: string, max: number) => (typeof q[k] === 'string' ? (q[k] as string).trim().slice(0, max) : '');
  const errors: FieldError[] = [];
  const day = (k: 'from' | 'to', label: string) => {
    const d = str(k, 20);
    if (d && !realDay(d)) { errors.push({ field: k, text: `Enter the ${label} date like 2026-09-14` }); return ''; }
    return d;
  };
  const filter: LogFilter = {
    status: str('status', 40) in incidentStatuses ? str('status', 40) : '',
    category: uuid.test(str('category', 40)) ? str('category', 40) : '',
    from: day('from', 'from'),
    to: day('to', 'to'),
    q: str('q', 200),
    page: Math.max(1, Math.min(10_000, Number.parseInt(String(q.page ?? '1'), 10) || 1)),
  };
  if (filter.from && filter.to && filter.from > filter.to) {
    errors.push({ field: 'to', text: 'The to date must be the same as or after the from date' });
    filter.to = '';
  }
  return { filter, errors };
}

/** The words of a search, each escaped for LIKE. */
export function searchWords(q: string): string[] {
  return [...new Set(q.split(/\s+/).map((w) => w.trim()).filter(Boolean))].slice(0, maxWords).map((w) => w.replace(/[\\%_]/g, (c) => `\\${c}`));
}

/**
 * One page of the incidents this viewer may see, newest report first, with the total that
 * match. Words are matched anywhere in the summary (a trigram index serves words of three
 * letters or more) or the reference; a reporter's receipt-only rows match on reference only,
 * so a search can never reveal what the summary of a report they cannot read says.
 */
export async function listIncidents(incidents: IncidentScope, filter: LogFilter) {
  const where: string[] = ['true'];
  const params: unknown[] = [];
  const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
  if (filter.status) where.push(`v.status = ${p(filter.status)}`);
  if (filter.category) where.push(`v.category_id = ${p(filter.category)}::uuid and v.access = 'full'`);
  // Days in the school's calendar (England), whatever the server's time zone.
  if (filter.from) where.push(`v.occurred_at >= (${p(filter.from)}::date::timestamp at time zone 'Europe/London')`);
  if (filter.to) where.push(`v.occurred_at < ((${p(filter.to)}::date + 1)::timestamp at time zone 'Europe/London')`);
  for (const w of searchWords(filter.q)) {
    const like = p(`%${w}%`);
    // The first test can use the trigram indexes on both columns; the second keeps a
    // receipt-only row from matching on words of a summary its viewer may not read.
    where.push(`(v.reference ilike ${like} or v.summary ilike ${like}) and (v.reference ilike ${like} or v.access = 'full')`);
  }
  const offset = (filter.page - 1) * logPageSize;
  const sql = (select: string, tail: string) => incidents.sql(`${select} from visible_incidents v where ${where.join(' and ')} ${tail}`, params);
  const [[{ total }], rows] = await Promise.all([
    sql('select count(*)::int as total', ''),
    incidents.sql(
      `select v.id, v.reference, v.status, v.severity, v.reported_at, v.occurred_at, v.access, v.concern_about_staff,
              case when v.access = 'full' then c.label end as category, case when v.access = 'full' then h.given_name || ' ' || h.family_name end as handler
         from (select * from visible_incidents v where ${where.join(' and ')} order by v.reported_at desc, v.id limit ${logPageSize} offset ${offset}) v
         join incident_categories c on c.id = v.category_id left join people h on h.id = v.handler_id
        order by v.reported_at desc, v.id`, params),
  ]);
  return { rows, total: total as number, pages: Math.max(1, Math.ceil((total as number) / logPageSize)) };
}
