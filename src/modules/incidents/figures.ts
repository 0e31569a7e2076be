// Anonymised figures for governors: how many incidents by category, year group, gender, outcome
// and month, and the trend against the previous period of the same length. Only counts leave
// the database; a count of 1 or 2 could point to a child, so those cells read "fewer than 3".
import type { Queryable } from '../../platform/db/database';
import type { Role } from '../../platform/permissions/roles';
import { toCsv } from '../../platform/csv/write';
import { IncidentScope } from './visibility';
import { incidentStatuses } from './vocabulary';

/** Counts below this are suppressed (shown as "fewer than 3"). */
export const smallestShown = 3;
export const suppressedText = 'fewer than 3';

export interface FigureCell { group: string; count: number | null; previous: number | null }
export interface FigureTable { key: string; title: string; cells: FigureCell[] }
export interface Figures { from: string; to: string; previousFrom: string; total: number; previousTotal: number; tables: FigureTable[]; suppressedAny: boolean }

/**
 * Suppresses small counts: any 1 or 2 becomes null; when only one cell of a table is
 * suppressed, the next smallest is too, so it cannot be worked out from the total.
 */
export function suppress(counts: number[]): (number | null)[] {
  const out: (number | null)[] = counts.map((n) => (n > 0 && n < smallestShown ? null : n));
  const hidden = out.filter((n) => n === null).length;
  if (hidden === 1) {
    let best = -1;
    out.forEach((n, i) => { if (n !== null && n > 0 && (best < 0 || n < (out[best] as number))) best = i; });
    if (best >= 0) out[best] = null;
  }
  return out;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * The figures for incidents that happened from `from` up to (not including) the day after `to`,
 * and the same-length period before. Read through IncidentScope as anonymised figures: every
 * incident counts (a headteacher's figures leave out concerns about them).
 */
export async function governorFigures(db: Queryable, schoolId: string, roles: readonly Role[], from: string, to: string): Promise<Figures> {
  const incidents = new IncidentScope(db, schoolId, { kind: 'figures', roles });
  const start = new Date(`${from}T00:00:00Z`);
  const end = new Date(new Date(`${to}T00:00:00Z`).getTime() + 86_400_000);
  const prevStart = new Date(start.getTime() - (end.getTime() - start.getTime()));
  const period = `case when v.occurred_at >= $1 and v.occurred_at < $2 then 'now' when v.occurred_at >= $3 and v.occurred_at < $1 then 'before' end`;
  const params = [start, end, prevStart];
  /** Counts per group in both periods; groupSql may use v (the incident) and p (a pupil involved, when joinPupils). */
  const byGroup = async (groupSql: string, joinPupils = false) => incidents.sql<{ g: string | null; now: number; before: number }>(
    `select g, count(distinct id) filter (where per = 'now')::int as now, count(distinct id) filter (where per = 'before')::int as before
       from (select v.id, ${groupSql} as g, ${period} as per from visible_incidents v
             ${joinPupils ? `join incident_people ip on ip.incident_id = v.id and ip.role in ('affected', 'alleged') join people p on p.id = ip.person_id and p.kind = 'pupil'` : ''}
             left join incident_categories c on c.id = v.category_id
            where v.occurred_at >= $3 and v.occurred_at < $2) x
      where per is not null group by g order by g`, params);

  const [totals] = await incidents.sql<{ now: number; before: number }>(
    `select count(*) filter (where v.occurred_at >= $1 and v.occurred_at < $2)::int as now, count(*) filter (where v.occurred_at >= $3 and v.occurred_at < $1)::int as before
       from visible_incidents v where v.occurred_at >= $3 and v.occurred_at < $2`, params);

  const months: string[] = [];
  for (let d = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1)); d < end; d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))) months.push(d.toISOString().slice(0, 7));
  const monthRows = await incidents.sql<{ g: string; now: number }>(
    `select to_char(v.occurred_at at time zone 'Europe/London', 'YYYY-MM') as g, count(*)::int as now from visible_incidents v
      where v.occurred_at >= $1 and v.occurred_at < $2 group by 1`, [start, end]);

  const table = (key: string, title: string, rows: { g: string | null; now: number; before?: number }[], label: (g: string | null) => string, all?: string[]): FigureTable => {
    const groups = all ?? rows.map((r) => r.g ?? '');
    const find = (g: string) => rows.find((r) => (r.g ?? '') === g);
    const now = suppress(groups.map((g) => find(g)?.now ?? 0));
    const before = suppress(groups.map((g) => find(g)?.before ?? 0));
    return { key, title, cells: groups.map((g, i) => ({ group: label(g || null), count: now[i], previous: all && key === 'month' ? null : before[i] })) };
  };
  const tables = [
    table('category', 'By category', await byGroup('c.label'), (g) => g ?? 'Unknown'),
    table('year_group', 'By year group of the pupils involved', await byGroup('p.year_group', true), (g) => (g ? `Year ${g}` : 'Year not recorded')),
    table('gender', 'By gender of the pupils involved', await byGroup(`case when coalesce(p.gender, '') = '' then null when lower(p.gender) in ('f', 'female') then 'f' when lower(p.gender) in ('m', 'male') then 'm' else 'other' end`, true), (g) => genderText(g)),
    table('outcome', 'By outcome (where each has got to)', await byGroup('v.status'), (g) => (g ? incidentStatuses[g as keyof typeof incidentStatuses] ?? g : 'Unknown')),
    table('month', 'By month', monthRows, (g) => monthText(g ?? ''), months),
  ];
  const suppressedAny = tables.some((t) => t.cells.some((c) => c.count === null || c.previous === null && t.key !== 'month'));
  return { from, to, previousFrom: day(prevStart), total: totals.now, previousTotal: totals.before, tables, suppressedAny };
}

function genderText(g: string | null): string {
  if (!g) return 'Not recorded';
  const k = g.toLowerCase();
  if (k === 'f' || k === 'female') return 'Female';
  if (k === 'm' || k === 'male') return 'Male';
  return 'Other or not given';
}

function monthText(ym: string): string {
  const [y, m] = ym.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
}

/** The figures as CSV: one row per table and group, suppressed cells as "fewer than 3". */
export function figuresCsv(f: Figures): string {
  const show = (n: number | null) => (n === null ? suppressedText : n);
  const rows: unknown[][] = [['total', 'All incidents', f.total, f.previousTotal]];
  for (const t of f.tables) for (const c of t.cells) rows.push([t.key, c.group, show(c.count), t.key === 'month' ? '' : show(c.previous)]);
  return toCsv(['measure', 'group', `incidents ${f.from} to ${f.to}`, `previous period from ${f.previousFrom}`], rows);
}
