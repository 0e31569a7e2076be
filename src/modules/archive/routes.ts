import type { FastifyInstance } from 'fastify';
import { createReadStream } from 'node:fs';
import type { AppDeps } from '../../app';
import { archiveFileName, exportSchool, removeTemporaryArchive } from './service';

/** Settings > Export: the school's whole data as one archive file, for an administrator. */
export default async function archiveRoutes(app: FastifyInstance, deps: AppDeps) {
  const { db } = deps;

  app.get('/settings/export', { config: { action: 'school:export' } }, async (_req, reply) =>
    reply.page('archive/views/export.njk', { title: "Export the school's data" }));

  // A POST (with its CSRF token), not a link: the download holds password hashes, and making it is audited.
  app.post('/settings/export', { config: { action: 'school:export' } }, async (req, reply) => {
    const school = req.ctx.scope().schoolId;
    const { file } = await exportSchool(db, school, { actor: req.ctx.actor, ip: req.ip, dataDir: deps.config.dataDir });
    const stream = createReadStream(file);
    stream.on('close', () => void removeTemporaryArchive(file));
    return reply
      .type('application/gzip')
      .header('content-disposition', `attachment; filename="${archiveFileName()}"`)
      .header('cache-control', 'no-store')
      .send(stream);
  });
}
