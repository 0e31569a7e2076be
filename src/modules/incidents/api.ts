// The incident log's JSON API for other systems (a filtering or monitoring service, the MIS):
// report an incident, and list the bare facts of incidents. A key sees what IncidentScope lets
// an API viewer see: never names, details or concerns about adults in the school.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../app';
import { audit } from '../../platform/audit/audit';
import { IncidentFieldError, notifyNewReport, reportIncident } from './service';
import { ensureIncidentDefaults } from './matrix';
import { incidentsFor } from './visibility';
import { cameToLight, incidentStatuses } from './vocabulary';

const maxPage = 200;

const createSchema = z.object({
  summary: z.string({ message: 'summary is required' }).trim().min(1, 'summary is required').max(10000, 'summary must be 10,000 characters or fewer'),
  occurred_at: z.string({ message: 'occurred_at is required' }).refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)), 'occurred_at must be an ISO 8601 date-time with a time zone, like 2026-09-14T10:30:00Z')
    .refine((s) => Date.parse(s) <= Date.now() + 5 * 60_000, 'occurred_at cannot be in the future'),
  category: z.string({ message: 'category is required: one of the school\'s category codes' }).regex(/^[a-z0-9_]{1,60}$/, 'category must be one of the school\'s category codes'),
  came_to_light: z.enum(Object.keys(cameToLight) as [string, ...string[]], { message: `came_to_light must be one of: ${Object.keys(cameToLight).join(', ')}` }).default('filtering_alert'),
  location: z.string().max(200).optional(),
  device: z.string().max(200).optional(),
  website_url: z.string().max(2000).optional(),
  website_seen: z.string().max(5000).optional(),
  device_held_at: z.string().max(500).optional(),
}).strict();

function bad(reply: FastifyReply, field: string, message: string) {
  return reply.code(400).send({ error: 'bad_request', parameter: field, message });
}

/** Adds the incident endpoints to /api/v1 and to the OpenAPI document. */
export function registerIncidentApi(app: FastifyInstance, deps: AppDeps) {
  const { db } = deps;
  app.api.schema('IncidentSummary', {
    type: 'object',
    description: 'The bare facts of an incident: no names, no account of what happened, and never a concern about an adult in the school.',
    required: ['id', 'reference', 'status', 'severity', 'category', 'risk_area', 'occurred_at', 'reported_at', 'closed_at'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      reference: { type: 'string', example: 'INC-2026-0001' },
      status: { type: 'string', enum: Object.keys(incidentStatuses) },
      severity: { type: ['string', 'null'], enum: ['low', 'medium', 'high', 'serious_harm', null] },
      category: { type: 'string', description: "The school's category code" },
      risk_area: { type: 'string', enum: ['content', 'contact', 'conduct', 'commerce'] },
      occurred_at: { type: 'string', format: 'date-time' },
      reported_at: { type: 'string', format: 'date-time' },
      closed_at: { type: ['string', 'null'], format: 'date-time' },
    },
  });
  app.api.add({
    method: 'get', path: '/incidents', scope: 'incidents:read',
    summary: 'Incidents, newest first: reference, status, severity, category and dates only',
    parameters: [
      { name: 'status', in: 'query', required: false, schema: { type: 'string', enum: Object.keys(incidentStatuses) } },
      { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: maxPage, default: 50 } },
      { name: 'offset', in: 'query', required: false, schema: { type: 'integer', minimum: 0, default: 0 } },
    ],
    responses: {
      '200': { description: 'One page of incidents', content: { 'application/json': { schema: { type: 'object', required: ['incidents', 'limit', 'offset'], properties: { incidents: { type: 'array', items: { $ref: '#/components/schemas/IncidentSummary' } }, limit: { type: 'integer' }, offset: { type: 'integer' } } } } } },
      '400': { description: 'A query parameter is not valid; the body names it', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  });
  app.get('/api/v1/incidents', { config: { api: true, scope: 'incidents:read' } }, async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    for (const k of Object.keys(q)) if (!['status', 'limit', 'offset'].includes(k)) return bad(reply, k, `Unknown parameter ${k}. Use: status, limit, offset`);
    const params: unknown[] = [];
    let where = 'true';
    if (q.status !== undefined) {
      if (typeof q.status !== 'string' || !(q.status in incidentStatuses)) return bad(reply, 'status', `status must be one of: ${Object.keys(incidentStatuses).join(', ')}`);
      params.push(q.status);
      where = 'v.status = $1';
    }
    const limit = q.limit === undefined ? 50 : /^\d{1,4}$/.test(String(q.limit)) ? Number(q.limit) : NaN;
    if (!(limit >= 1 && limit <= maxPage)) return bad(reply, 'limit', `limit must be a whole number from 1 to ${maxPage}`);
    const offset = q.offset === undefined ? 0 : /^\d{1,9}$/.test(String(q.offset)) ? Number(q.offset) : NaN;
    if (!(offset >= 0)) return bad(reply, 'offset', 'offset must be a whole number, 0 or more');
    const rows = await incidentsFor(req.ctx, db).sql(
      `select v.id, v.reference, v.status, v.severity, c.code as category, c.risk_area, v.occurred_at, v.reported_at, v.closed_at
         from visible_incidents v join incident_categories c on c.id = v.category_id where ${where}
        order by v.reported_at desc, v.id limit ${limit} offset ${offset}`, params);
    // Incidents leaving for another system are recorded (how many and which, never what they say).
    await audit(db, {
      schoolId: req.ctx.school!.id, actor: req.ctx.actor, action: 'api.incidents_read', ip: req.ip,
      detail: { count: rows.length, status: (q.status as string) ?? null, limit, offset },
    });
    return reply.header('cache-control', 'no-store').send({ incidents: rows, limit, offset });
  });

  app.api.add({
    method: 'post', path: '/incidents', scope: 'incidents:write',
    summary: 'Report an incident (for example from a filtering alert). The safeguarding leads are emailed a link at once.',
    requestBody: {
      required: true,
      content: { 'application/json': { schema: {
        type: 'object', additionalProperties: false, required: ['summary', 'occurred_at', 'category'],
        properties: {
          summary: { type: 'string', maxLength: 10000, description: 'What happened' },
          occurred_at: { type: 'string', format: 'date-time' },
          category: { type: 'string', description: "One of the school's category codes, such as inappropriate_website or filter_bypass" },
          came_to_light: { type: 'string', enum: Object.keys(cameToLight), default: 'filtering_alert' },
          location: { type: 'string', maxLength: 200 },
          device: { type: 'string', maxLength: 200 },
          website_url: { type: 'string', maxLength: 2000 },
          website_seen: { type: 'string', maxLength: 5000 },
          device_held_at: { type: 'string', maxLength: 500, description: 'Required for categories of suspected illegal material' },
        },
      } } },
    },
    responses: {
      '201': { description: 'Reported', content: { 'application/json': { schema: { type: 'object', required: ['id', 'reference', 'status'], properties: { id: { type: 'string', format: 'uuid' }, reference: { type: 'string' }, status: { type: 'string' } } } } } },
      '400': { description: 'The body is not valid; the answer names the field', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  });
  app.post('/api/v1/incidents', { config: { api: true, scope: 'incidents:write' } }, async (req, reply) => {
    const parsed = createSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const keys: string[] = (issue as any).keys ?? [];
      return bad(reply, String(issue.path[0] ?? keys[0] ?? 'body'), issue.code === 'unrecognized_keys' ? `Unknown field ${keys.join(', ')}` : issue.message);
    }
    const d = parsed.data;
    const schoolId = req.ctx.school!.id;
    try {
      const created = await db.transaction(async (tx) => {
        await ensureIncidentDefaults(tx, schoolId);
        const [cat] = await req.ctx.scope(tx).sql('select id from incident_categories where school_id = :school and code = $1 and retired_at is null', [d.category]);
        if (!cat) throw new IncidentFieldError('category', 'category must be one of the school\'s category codes');
        return reportIncident(tx, schoolId, {
          summary: d.summary, occurredAt: new Date(d.occurred_at), location: d.location ?? null, device: d.device ?? null, cameToLight: d.came_to_light as any,
          categoryId: cat.id, concernAbout: 'none', deviceHeldAt: d.device_held_at ?? null, websiteUrl: d.website_url ?? null, websiteSeen: d.website_seen ?? null, people: [],
        }, { personId: null, actor: req.ctx.actor, ip: req.ip, via: 'api' });
      });
      await notifyNewReport(db, deps.mailer, deps.config.baseUrl, schoolId, created.id).catch((err) => req.log.error({ err: { message: err.message }, incidentId: created.id }, 'new report email failed'));
      return reply.code(201).send({ id: created.id, reference: created.reference, status: 'reported' });
    } catch (e) {
      if (e instanceof IncidentFieldError) return bad(reply, e.field, e.message);
      throw e;
    }
  });
}
