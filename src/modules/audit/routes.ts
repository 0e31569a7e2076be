import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../app';
import { parseForm } from '../../platform/http/forms';
import { toCsv } from '../../platform/csv/write';
import { audit } from '../../platform/audit/audit';
import { auditVisibleSql, incidentsFor } from '../incidents/visibility';

const filterSchema = z.object({
  action: z.string().trim().max(100).optional().default(''),
  actor: z.string().trim().max(100).optional().default(''),
  record: z.string().trim().max(100).optional().default(''),
  from: z.union([z.literal(''), z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Enter the "from" date as YYYY-MM-DD, like 2026-09-01')]).optional().default(''),
  to: z.union([z.literal(''), z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Enter the "to" date as YYYY-MM-DD, like 2026-09-30')]).optional().default(''),
  page: z.coerce.number().int().min(1).max(100000).optional().default(1),
});

const pageSize = 50;

/** The audit trail in the browser, for the headteacher and safeguarding leads: read and filter. */
export default async function auditRoutes(app: FastifyInstance, deps: AppDeps) {
  const { db } = deps;
  /**
   * The WHERE clause for the filters, always within the school, and never an entry that would
   * tell the viewer of an incident they may not see in full (see auditVisibleSql). It is part of
   * the query, so counts and pages are of what the viewer may see.
   */
  function filterSql(f: z.output<typeof filterSchema>, userId: string | null) {
    const params: unknown[] = [userId];
    const where: string[] = ['a.school_id = :school', auditVisibleSql('a', '$1')];
    const add = (sql: string, v: unknown) => { params.push(v); where.push(sql.replace('?', `$${params.length}`)); };
    if (f.action) add('a.action ilike ?', `%${f.action}%`);
    if (f.actor) add('a.actor_label ilike ?', `%${f.actor}%`);
    if (f.record) add('(a.record_id = ? or a.record_type = $' + (params.length + 1) + ')', f.record);
    if (f.from) add("a.at >= (?::date at time zone 'Europe/London')", f.from);
    if (f.to) add("a.at < ((?::date + 1) at time zone 'Europe/London')", f.to);
    return { where, params };
  }

  app.get('/audit', { config: { action: 'audit:view' } }, async (req, reply) => {
    const form = parseForm(filterSchema, req.query);
    if (!form.ok) return reply.page('audit/views/list.njk', { title: 'Audit trail', errors: form.errors, values: form.values, entries: [], filters: form.values }, 400);
    const f = form.data;
    const { where, params } = filterSql(f, req.ctx.user?.id ?? null);
    const trail = incidentsFor(req.ctx, db);
    const [{ total }] = await trail.sql<{ total: number }>(`select count(*)::int as total from audit_events a where ${where.join(' and ')}`, params);
    const entries = await trail.sql(
      `select a.seq, a.at, a.actor_label, a.action, a.record_type, a.record_id, a.ip from audit_events a where ${where.join(' and ')} order by a.seq desc limit ${pageSize} offset ${(f.page - 1) * pageSize}`,
      params,
    );
    const pages = Math.max(1, Math.ceil(total / pageSize));
    const qs = (p: number) => '?' + new URLSearchParams({ ...Object.fromEntries(Object.entries(f).filter(([k, v]) => v && k !== 'page').map(([k, v]) => [k, String(v)])), page: String(p) }).toString();
    return reply.page('audit/views/list.njk', {
      title: 'Audit trail', entries, filters: f, total, page: f.page, pages,
      prev: f.page > 1 ? qs(f.page - 1) : null, next: f.page < pages ? qs(f.page + 1) : null,
      csv: '/audit.csv' + qs(1).replace(/[?&]page=1$/, '').replace(/^\?$/, ''),
    });
  });

  // The filtered trail as CSV, for an inspection or an investigation. Downloading it is itself audited.
  app.get('/audit.csv', { config: { action: 'audit:view' } }, async (req, reply) => {
    const form = parseForm(filterSchema, req.query);
    if (!form.ok) return reply.code(400).type('text/plain').send(form.errors.map((e) => `${e.field}: ${e.text}`).join('\n'));
    const { where, params } = filterSql(form.data, req.ctx.user?.id ?? null);
    const rows = await incidentsFor(req.ctx, db).sql(
      `select a.seq, a.at, a.actor_label, a.action, a.record_type, a.record_id, a.ip, a.hash from audit_events a where ${where.join(' and ')} order by a.seq`, params);
    await audit(deps.db, { schoolId: req.ctx.school!.id, actor: req.ctx.actor, action: 'audit.exported', ip: req.ip, detail: { rows: rows.length } });
    const csv = toCsv(['number', 'when', 'who', 'what', 'record type', 'record', 'from', 'hash'],
      rows.map((r) => [r.seq, r.at, r.actor_label, r.action, r.record_type, r.record_id, r.ip, r.hash]));
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="audit-trail-${new Date().toISOString().slice(0, 10)}.csv"`).header('cache-control', 'no-store').send(csv);
  });
}
