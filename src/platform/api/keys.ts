import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database, Queryable } from '../db/database';
import { sha256 } from '../auth/tokens';
import { anonymousContext } from '../http/context';
import { schoolScope } from '../db/scope';
import { audit, type Actor } from '../audit/audit';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope an API key must hold for this route. */
    scope?: string;
  }
}

/** Creates a key; the full key is shown once and only its hash is kept. */
export async function createApiKey(db: Queryable, schoolId: string, name: string, scopes: string[], actor: Actor, ip: string | null) {
  const prefix = randomBytes(6).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  const key = `hbr_${prefix}_${secret}`;
  const row = await schoolScope(db, schoolId).insert('api_keys', {
    name, prefix, key_hash: sha256(key), scopes, created_by: actor.userId,
  });
  await audit(db, { schoolId, actor, action: 'api_key.created', recordType: 'api_key', recordId: row.id, ip, detail: { name, scopes } });
  return { id: row.id as string, key };
}

/** Authenticates an API request by its bearer key and checks the route's scope. */
export async function apiAuth(db: Database, req: FastifyRequest, reply: FastifyReply) {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer (hbr_([0-9a-f]{12})_[A-Za-z0-9_-]{32})$/.exec(header);
  if (!m) return reply.code(401).send({ error: 'unauthorised', message: 'Send an API key as: Authorization: Bearer <key>' });
  const row = (await db.query('select * from api_keys where prefix = $1 and revoked_at is null', [m[2]])).rows[0];
  if (!row || row.key_hash !== sha256(m[1])) return reply.code(401).send({ error: 'unauthorised', message: 'This API key is not valid or has been revoked' });
  const need = req.routeOptions.config?.scope;
  if (!need || !row.scopes.includes(need)) return reply.code(403).send({ error: 'forbidden', message: `This key does not have the scope ${need}` });
  await db.query('update api_keys set last_used_at = now() where id = $1', [row.id]);
  const schoolId: string = row.school_id;
  req.ctx = {
    ...anonymousContext(req.ip),
    actor: { userId: null, label: `API key ${row.name}` },
    scope: (q = db) => schoolScope(q, schoolId),
    school: { id: schoolId, name: '', organisation_id: null, idle_timeout_minutes: 20 },
  };
}
