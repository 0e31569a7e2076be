import type { QueryResultRow } from 'pg';
import type { Queryable } from './database';

/** Tables whose every row belongs to one school. */
export const schoolTables = [
  'people',
  'guardianships',
  'role_assignments',
  'memberships',
  'api_keys',
  'people_imports',
  'agreements',
  'agreement_versions',
  'agreement_links',
  'agreement_signatures',
  'agreement_explain_requests',
  'agreement_kiosks',
  'technology_access_decisions',
  'agreement_renewal_settings',
  'agreement_renewals',
  'agreement_chasers',
  'agreement_resign_runs',
  'agreement_resign_recipients',
  'agreement_reminder_runs',
  'agreement_reminder_recipients',
  'agreement_visits',
  'incident_categories',
  'sanction_actions',
  'sanction_incident_types',
  'sanction_recommendations',
  'incidents',
  'incident_people',
  'incident_actions',
  'incident_referrals',
  'incident_tasks',
  'incident_evidence',
  'incident_drafts',
  'incident_reviews',
  'monitoring_ingest_positions',
  'monitoring_identities',
  'monitoring_alerts',
  'monitoring_phrases',
  'filtering_change_requests',
  'filtering_responsibilities',
  'filtering_decisions',
  'filtering_reviews',
  'filtering_checks',
  'monitoring_digest_settings',
] as const;
export type SchoolTable = (typeof schoolTables)[number];

const identifier = /^[a-z_][a-z0-9_]*$/;
function ident(name: string): string {
  if (!identifier.test(name)) throw new Error(`not a column name: ${name}`);
  return name;
}

/**
 * The one place that adds a school's scope to a query. Every read or write of a
 * school-owned table goes through a SchoolScope, so a record of another school is never
 * read: the table helpers add `school_id = $n` themselves, and raw SQL must name the
 * school through the `:school` placeholder or it is refused.
 */
export class SchoolScope {
  constructor(readonly db: Queryable, readonly schoolId: string) {}

  /** Runs SQL that names `:school` (at least once) as the school's id. */
  async sql<R extends QueryResultRow = any>(text: string, values: unknown[] = []): Promise<R[]> {
    if (!text.includes(':school')) throw new Error('a school-scoped query must use :school');
    const n = values.length + 1;
    const result = await this.db.query<R>(text.replaceAll(':school', `$${n}`), [...values, this.schoolId]);
    return result.rows;
  }

  /** Rows of a school table matching every column in where. */
  async all<R extends QueryResultRow = any>(table: SchoolTable, where: Record<string, unknown> = {}, orderBy?: string): Promise<R[]> {
    const cols = Object.keys(where).map(ident);
    const conditions = cols.map((c, i) => (where[c] === null ? `${c} is null` : `${c} = $${i + 1}`));
    const values = cols.map((c) => where[c]).filter((v) => v !== null);
    // Placeholders after a null are renumbered so they match the values kept.
    let k = 0;
    const text = conditions.map((c) => c.replace(/\$\d+/, () => `$${++k}`));
    const order = orderBy ? ` order by ${orderBy.split(',').map((s) => s.trim().split(/\s+/).map((w, i) => (i === 0 ? ident(w) : /^(asc|desc)$/i.test(w) ? w : ident(w))).join(' ')).join(', ')}` : '';
    return this.sql<R>(`select * from ${table} where school_id = :school${text.length ? ' and ' + text.join(' and ') : ''}${order}`, values);
  }

  /** One row, or null. */
  async one<R extends QueryResultRow = any>(table: SchoolTable, where: Record<string, unknown>): Promise<R | null> {
    const rows = await this.all<R>(table, where);
    return rows[0] ?? null;
  }

  /** Inserts a row into a school table; the school is always this scope's. */
  async insert<R extends QueryResultRow = any>(table: SchoolTable, values: Record<string, unknown>): Promise<R> {
    const cols = Object.keys(values).filter((c) => c !== 'school_id').map(ident);
    const params = cols.map((c) => values[c]);
    const rows = await this.sql<R>(
      `insert into ${table} (school_id${cols.map((c) => ', ' + c).join('')}) values (:school${cols.map((_, i) => `, $${i + 1}`).join('')}) returning *`,
      params,
    );
    return rows[0];
  }

  /** Updates the rows matching where (within this school); returns them. */
  async update<R extends QueryResultRow = any>(table: SchoolTable, where: Record<string, unknown>, values: Record<string, unknown>): Promise<R[]> {
    const set = Object.keys(values).filter((c) => c !== 'school_id').map(ident);
    const wh = Object.keys(where).map(ident);
    if (!wh.length) throw new Error('update needs a condition');
    const params = [...set.map((c) => values[c]), ...wh.map((c) => where[c])];
    return this.sql<R>(
      `update ${table} set ${set.map((c, i) => `${c} = $${i + 1}`).join(', ')} where school_id = :school and ${wh.map((c, i) => `${c} = $${set.length + i + 1}`).join(' and ')} returning *`,
      params,
    );
  }

  /** Deletes the rows matching where (within this school). */
  async delete(table: SchoolTable, where: Record<string, unknown>): Promise<number> {
    const wh = Object.keys(where).map(ident);
    if (!wh.length) throw new Error('delete needs a condition');
    const rows = await this.sql(`delete from ${table} where school_id = :school and ${wh.map((c, i) => `${c} = $${i + 1}`).join(' and ')} returning 1`, wh.map((c) => where[c]));
    return rows.length;
  }
}

/** A school's scope over db (the pool, or an open transaction). */
export function schoolScope(db: Queryable, schoolId: string): SchoolScope {
  return new SchoolScope(db, schoolId);
}
