import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app';

const started = Date.now();

/** GET /health: the state of the app and its database, for monitoring. Says nothing about any school. */
export default async function healthRoutes(app: FastifyInstance, deps: AppDeps) {
  app.get('/health', { config: { public: true } }, async (_req, reply) => {
    const database = await deps.db.ping();
    const pending = database.ok
      ? (await deps.db.query<{ n: number }>('select count(*)::int as n from schema_migrations')).rows[0].n
      : null;
    return reply.code(database.ok ? 200 : 503).header('cache-control', 'no-store').send({
      status: database.ok ? 'ok' : 'unavailable',
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
      database: { ok: database.ok, kind: deps.db.kind, responseMs: database.ms, serverVersion: database.version ?? null, migrations: pending },
    });
  });
}
