import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../app';
import { parseForm, requiredText } from '../../platform/http/forms';
import { audit } from '../../platform/audit/audit';
import { createApiKey } from '../../platform/api/keys';
import { apiScopes } from '../../platform/api/openapi';
import { invitePerson } from '../accounts/service';
import { NotFoundError, ForbiddenError, recordId } from '../../platform/http/errors';
import { endSessionsOf } from '../../platform/auth/session-store';

const schoolSchema = z.object({
  name: requiredText("the school's name", 200),
  idle_timeout_minutes: z.coerce.number({ message: 'Enter the idle time-out as a number of minutes' })
    .int('Enter a whole number of minutes').min(5, 'The idle time-out must be at least 5 minutes').max(240, 'The idle time-out must be 240 minutes or fewer'),
});

const keySchema = z.object({
  name: requiredText('a name for the key', 100),
  scopes: z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]),
    z.array(z.enum(Object.keys(apiScopes) as [string, ...string[]], { message: 'Choose scopes from the list' })).min(1, 'Choose at least one scope')),
});

/** The school's settings: name and idle time-out, accounts and invitations, API keys. */
export default async function settingsRoutes(app: FastifyInstance, deps: AppDeps) {
  const { db } = deps;

  app.get('/settings', { config: {} }, async (req, reply) => {
    const c = req.ctx;
    if (!['school:settings', 'accounts:manage', 'apikeys:manage', 'school:export'].some((a) => c.can(a as any))) {
      throw new ForbiddenError();
    }
    const [school] = await c.scope().sql('select name, urn, idle_timeout_minutes from schools where id = :school');
    return reply.page('settings/views/index.njk', { title: 'Settings', settings: school, values: school });
  });

  app.post('/settings/school', { config: { action: 'school:settings' } }, async (req, reply) => {
    const form = parseForm(schoolSchema, req.body);
    if (!form.ok) return reply.page('settings/views/index.njk', { title: 'Settings', settings: form.values, errors: form.errors, values: form.values }, 400);
    await db.transaction(async (tx) => {
      const scope = req.ctx.scope(tx);
      await scope.sql('update schools set name = $1, idle_timeout_minutes = $2 where id = :school', [form.data.name, form.data.idle_timeout_minutes]);
      await audit(tx, { schoolId: scope.schoolId, actor: req.ctx.actor, action: 'school.settings_changed', recordType: 'school', recordId: scope.schoolId, ip: req.ip, detail: { fields: ['name', 'idle_timeout_minutes'], idle_timeout_minutes: form.data.idle_timeout_minutes } });
    });
    req.session.flash = 'Settings saved.';
    return reply.redirect('/settings', 303);
  });

  const accountsPage = async (req: any) => {
    const scope = req.ctx.scope();
    const accounts = await scope.sql(
      `select u.id, u.display_name, u.email, u.last_sign_in_at, u.totp_enabled_at, u.disabled_at, u.password_hash is not null as active,
              coalesce(array_agg(r.role order by r.role) filter (where r.role is not null), '{}') as roles
         from memberships m join users u on u.id = m.user_id left join role_assignments r on r.person_id = m.person_id
        where m.school_id = :school group by u.id order by u.display_name`);
    const invitable = await scope.sql(
      `select p.id, p.given_name, p.family_name, p.email from people p
        where p.school_id = :school and p.kind in ('staff', 'governor', 'technician') and p.left_on is null and p.email is not null
          and not exists (select 1 from memberships m where m.person_id = p.id) order by p.family_name, p.given_name`);
    return { accounts, invitable };
  };

  app.get('/settings/accounts', { config: { action: 'accounts:manage' } }, async (req, reply) =>
    reply.page('settings/views/accounts.njk', { title: 'Accounts', ...(await accountsPage(req)) }));

  app.post('/settings/accounts/invite', { config: { action: 'accounts:manage' } }, async (req, reply) => {
    const personId = String((req.body as any)?.person ?? '');
    const fail = async (text: string) => reply.page('settings/views/accounts.njk', { title: 'Accounts', ...(await accountsPage(req)), errors: [{ field: 'person', text }] }, 400);
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(personId)) return fail('Choose the person to invite');
    try {
      await invitePerson(db, deps.mailer, deps.config.baseUrl, req.ctx.school!.id, personId, req.ctx.actor, req.ip);
    } catch (e: any) {
      if (e.statusCode === 404) return fail('Choose the person to invite');
      if (e.field) return fail(e.message);
      throw e;
    }
    req.session.flash = 'Invitation sent.';
    return reply.redirect('/settings/accounts', 303);
  });

  app.post('/settings/accounts/:userId/disable', { config: { action: 'accounts:manage' } }, async (req, reply) => {
    const userId = recordId((req.params as any).userId);
    const done = await db.transaction(async (tx) => {
      const scope = req.ctx.scope(tx);
      const [m] = await scope.sql('select user_id from memberships where school_id = :school and user_id = $1', [userId]);
      if (!m || userId === req.ctx.user!.id) return false;
      // An account used by several schools is removed from this one only.
      await scope.delete('memberships', { user_id: userId });
      const others = (await tx.query('select 1 from memberships where user_id = $1', [userId])).rowCount;
      if (!others) await tx.query('update users set disabled_at = now() where id = $1', [userId]);
      await endSessionsOf(tx as any, userId);
      await audit(tx, { schoolId: scope.schoolId, actor: req.ctx.actor, action: 'account.removed', recordType: 'user', recordId: userId, ip: req.ip });
      return true;
    });
    if (!done) throw new NotFoundError();
    req.session.flash = 'The account can no longer sign in to this school.';
    return reply.redirect('/settings/accounts', 303);
  });

  const keysPage = async (req: any) => req.ctx.scope().all('api_keys', {}, 'created_at desc');

  app.get('/settings/api-keys', { config: { action: 'apikeys:manage' } }, async (req, reply) =>
    reply.page('settings/views/api-keys.njk', { title: 'API keys', keys: await keysPage(req), scopes: apiScopes, values: { scopes: [] } }));

  app.post('/settings/api-keys', { config: { action: 'apikeys:manage' } }, async (req, reply) => {
    const form = parseForm(keySchema, req.body);
    if (!form.ok) return reply.page('settings/views/api-keys.njk', { title: 'API keys', keys: await keysPage(req), scopes: apiScopes, errors: form.errors, values: { ...form.values, scopes: [(form.values as any).scopes ?? []].flat() } }, 400);
    const created = await db.transaction((tx) => createApiKey(tx, req.ctx.school!.id, form.data.name, form.data.scopes, req.ctx.actor, req.ip));
    return reply.page('settings/views/api-key-created.njk', { title: 'Your new API key', key: created.key, name: form.data.name });
  });

  app.post('/settings/api-keys/:keyId/revoke', { config: { action: 'apikeys:manage' } }, async (req, reply) => {
    const id = recordId((req.params as any).keyId);
    const revoked = await db.transaction(async (tx) => {
      const rows = await req.ctx.scope(tx).sql('update api_keys set revoked_at = now() where school_id = :school and id = $1 and revoked_at is null returning id', [id]);
      if (rows.length) await audit(tx, { schoolId: req.ctx.school!.id, actor: req.ctx.actor, action: 'api_key.revoked', recordType: 'api_key', recordId: id, ip: req.ip });
      return rows.length;
    });
    if (!revoked) throw new NotFoundError();
    req.session.flash = 'The key is revoked: it no longer works.';
    return reply.redirect('/settings/api-keys', 303);
  });
}
