import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../app';
import { parseForm } from '../../platform/http/forms';
import { toCsv } from '../../platform/csv/write';
import { audit } from '../../platform/audit/audit';

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
  /** The WHERE clause for the filters, always within the school. */
  function filterSql(f: z.output<typeof filterSchema>) {
    const where: string[] = ['school_id = :school'];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => { params.push(v); where.push(sql.replace('?', `$${params.length}`)); };
    if (f.action) add('action ilike ?', `%${f.action}%`);
    if (f.actor) add('actor_label ilike ?', `%${f.actor}%`);
    if (f.record) add('(record_id = ? or record_type = $' + (params.length + 1) + ')', f.record);
    if (f.from) add("at >= (?::date at time zone 'Europe/London')", f.from);
    if (f.to) add("at < ((?::date + 1) at time zone 'Europe/London')", f.to);
    return { where, params };
  }

  app.get('/audit', { config: { action: 'audit:view' } }, async (req, reply) => {
    const form = parseForm(filterSchema, req.query);
    if (!form.ok) return reply.page('audit/views/list.njk', { title: 'Audit trail', errors: form.errors, values: form.values, entries: [], filters: form.values }, 400);
    const f = form.data;
    const { where, params } = filterSql(f);
    const scope = req.ctx.scope();
    const [{ total }] = await scope.sql<{ total: number }>(`select count(*)::int as total from audit_events where ${where.join(' and ')}`, params);
    const entries = await scope.sql(
      `select seq, at, actor_label, action, record_type, record_id, ip from audit_events where ${where.join(' and ')} order by seq desc limit ${pageSize} offset ${(f.page - 1) * pageSize}`,
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
    const { where, params } = filterSql(form.data);
    const scope = req.ctx.scope();
    const rows = await scope.sql(`select seq, at, actor_label, action, record_type, record_id, ip, hash from audit_events where ${where.join(' and ')} order by seq`, params);
    await audit(deps.db, { schoolId: scope.schoolId, actor: req.ctx.actor, action: 'audit.exported', ip: req.ip, detail: { rows: rows.length } });
    const csv = toCsv(['number', 'when', 'who', 'what', 'record type', 'record', 'from', 'hash'],
      rows.map((r) => [r.seq, r.at, r.actor_label, r.action, r.record_type, r.record_id, r.ip, r.hash]));
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="audit-trail-${new Date().toISOString().slice(0, 10)}.csv"`).header('cache-control', 'no-store').send(csv);
  });
}
