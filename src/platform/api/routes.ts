import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppDeps } from '../../app';
import { audit } from '../audit/audit';

/** The kinds of person the people endpoint can filter by (as in the people table). */
const personKinds = ['staff', 'governor', 'pupil', 'parent', 'visitor', 'contractor', 'technician'] as const;

/** The most people one page of /api/v1/people returns. */
export const maxPageSize = 500;
const defaultPageSize = 100;

/** A 400 that names the query parameter at fault, so the caller's developer can fix it. */
function badParameter(reply: FastifyReply, parameter: string, message: string) {
  return reply.code(400).send({ error: 'bad_request', parameter, message });
}

/** A whole number from a query string, or null when it is not one. */
function wholeNumber(v: string): number | null {
  return /^\d{1,9}$/.test(v) ? Number(v) : null;
}

// An ISO 8601 date or date-time (with a time zone when it has a time): 2026-09-01, 2026-09-01T08:00:00Z.
const isoPattern = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** A calendar day that exists (not 2026-02-30), in a year PostgreSQL accepts. */
function realDay(day: string): boolean {
  const d = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.getUTCFullYear() >= 1 && d.toISOString().slice(0, 10) === day;
}

/**
 * The foundation's JSON API: the school itself and its people. Each route names the scope a
 * key must hold (checked by apiAuth in app.ts) and reads only through the key's school scope.
 */
export default async function apiRoutes(app: FastifyInstance, deps: AppDeps) {
  app.api.schema('School', {
    type: 'object',
    required: ['id', 'name', 'urn', 'idle_timeout_minutes'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      name: { type: 'string' },
      urn: { type: ['string', 'null'], description: 'The unique reference number from Get Information about Schools' },
      idle_timeout_minutes: { type: 'integer', description: 'Minutes without use before a browser session signs out' },
    },
  });
  app.api.schema('Person', {
    type: 'object',
    description: 'A person of the school. Dates of birth, emails and phone numbers are never given through the API.',
    required: ['id', 'kind', 'given_name', 'family_name', 'preferred_name', 'year_group', 'class_name', 'roles', 'left_on'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      kind: { type: 'string', enum: [...personKinds] },
      given_name: { type: 'string' },
      family_name: { type: 'string' },
      preferred_name: { type: ['string', 'null'] },
      year_group: { type: ['string', 'null'] },
      class_name: { type: ['string', 'null'] },
      roles: { type: 'array', items: { type: 'string' } },
      left_on: { type: ['string', 'null'], format: 'date', description: 'The day the person left the school; null while they are here' },
    },
  });
  app.api.schema('Error', {
    type: 'object',
    required: ['error'],
    properties: {
      error: { type: 'string' },
      parameter: { type: 'string', description: 'The query parameter at fault (on 400)' },
      message: { type: 'string' },
    },
  });

  app.api.add({
    method: 'get',
    path: '/school',
    summary: "The key's school: its id, name, URN and idle time-out",
    scope: 'school:read',
    responses: {
      '200': { description: 'The school', content: { 'application/json': { schema: { $ref: '#/components/schemas/School' } } } },
    },
  });
  app.get('/api/v1/school', { config: { api: true, scope: 'school:read' } }, async (req, reply) => {
    const [school] = await req.ctx.scope().sql('select id, name, urn, idle_timeout_minutes from schools where id = :school');
    return reply.header('cache-control', 'no-store').send(school);
  });

  app.api.add({
    method: 'get',
    path: '/people',
    summary: "The school's people, by family name: names, kind, year group, class and roles (no dates of birth or contact details)",
    scope: 'people:read',
    parameters: [
      { name: 'kind', in: 'query', required: false, schema: { type: 'string', enum: [...personKinds] }, description: 'Only people of this kind' },
      { name: 'updated_since', in: 'query', required: false, schema: { type: 'string', format: 'date-time' }, description: 'Only people changed at or after this ISO 8601 date or date-time' },
      { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: maxPageSize, default: defaultPageSize } },
      { name: 'offset', in: 'query', required: false, schema: { type: 'integer', minimum: 0, default: 0 } },
    ],
    responses: {
      '200': {
        description: 'One page of people',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['people', 'total', 'limit', 'offset'],
              properties: {
                people: { type: 'array', items: { $ref: '#/components/schemas/Person' } },
                total: { type: 'integer', description: 'How many people match, over all pages' },
                limit: { type: 'integer' },
                offset: { type: 'integer' },
              },
            },
          },
        },
      },
      '400': { description: 'A query parameter is not valid; the body names it', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  });
  app.get('/api/v1/people', { config: { api: true, scope: 'people:read' } }, async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const known = ['kind', 'updated_since', 'limit', 'offset'];
    for (const [k, v] of Object.entries(q)) {
      if (!known.includes(k)) return badParameter(reply, k, `Unknown parameter ${k}. Use: ${known.join(', ')}`);
      if (typeof v !== 'string') return badParameter(reply, k, `Give ${k} once`);
    }
    const where = ['p.school_id = :school'];
    const params: unknown[] = [];
    if (q.kind !== undefined) {
      if (!(personKinds as readonly string[]).includes(q.kind as string)) return badParameter(reply, 'kind', `kind must be one of: ${personKinds.join(', ')}`);
      params.push(q.kind);
      where.push(`p.kind = $${params.length}`);
    }
    if (q.updated_since !== undefined) {
      const s = q.updated_since as string;
      if (!isoPattern.test(s) || Number.isNaN(Date.parse(s)) || !realDay(s.slice(0, 10))) return badParameter(reply, 'updated_since', 'updated_since must be an ISO 8601 date or date-time, like 2026-09-01 or 2026-09-01T08:00:00Z');
      params.push(s);
      where.push(`p.updated_at >= $${params.length}::timestamptz`);
    }
    const limit = q.limit === undefined ? defaultPageSize : wholeNumber(q.limit as string);
    if (limit === null || limit < 1 || limit > maxPageSize) return badParameter(reply, 'limit', `limit must be a whole number from 1 to ${maxPageSize}`);
    const offset = q.offset === undefined ? 0 : wholeNumber(q.offset as string);
    if (offset === null) return badParameter(reply, 'offset', 'offset must be a whole number, 0 or more');

    const scope = req.ctx.scope();
    const [{ total }] = await scope.sql<{ total: number }>(`select count(*)::int as total from people p where ${where.join(' and ')}`, params);
    const people = await scope.sql(
      `select p.id, p.kind, p.given_name, p.family_name, p.preferred_name, p.year_group, p.class_name,
              coalesce((select array_agg(r.role order by r.role) from role_assignments r where r.person_id = p.id and r.school_id = :school), '{}') as roles,
              p.left_on
         from people p where ${where.join(' and ')}
        order by p.family_name, p.given_name, p.id
        limit ${limit} offset ${offset}`,
      params,
    );
    // Names leaving the school for another system are recorded (how many, never who).
    await audit(deps.db, {
      schoolId: scope.schoolId, actor: req.ctx.actor, action: 'api.people_read', ip: req.ip,
      detail: { count: people.length, kind: (q.kind as string) ?? null, offset },
    });
    return reply.header('cache-control', 'no-store').send({ people, total, limit, offset });
  });
}
