import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import QRCode from 'qrcode';
import type { AppDeps } from '../../app';
import { parseForm, type FieldError } from '../../platform/http/forms';
import { passwordProblem, checkPassword } from '../../platform/auth/passwords';
import { findToken, useToken } from '../../platform/auth/tokens';
import { audit } from '../../platform/audit/audit';
import { completeSignIn, checkTotp, enableTotp, newTotpSecret, requestPasswordReset, setPassword, signIn, totpMatches } from './service';
import { loadUserContext } from '../../platform/http/context';

const signInSchema = z.object({
  email: z.string().trim().min(1, 'Enter your email address').email('Enter an email address in the correct format, like name@school.org.uk'),
  password: z.string().min(1, 'Enter your password'),
});
const codeSchema = z.object({ code: z.string().trim().regex(/^\d{6}$/, 'Enter the 6-digit code from your authenticator app') });
const newPasswordSchema = z.object({
  password: z.string().min(1, 'Enter a new password'),
  confirm: z.string().min(1, 'Enter the password again'),
});

/** A path inside Harbour to return to after sign-in; anything else goes to the dashboard. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?!\/)[\w\-/?=&%.]*$/.test(next) && !next.startsWith('/sign-') ? next : '/dashboard';
}

function passwordErrors(password: string, confirm: string, email?: string): FieldError[] {
  const problem = passwordProblem(password, email);
  if (problem) return [{ field: 'password', text: problem }];
  if (password !== confirm) return [{ field: 'confirm', text: 'The passwords do not match' }];
  return [];
}

/** Sign-in, two-factor, sign-out, password reset, invitations and the user's own account page. */
export default async function accountsRoutes(app: FastifyInstance, deps: AppDeps) {
  const { db, mailer, config } = deps;
  // Counted per address AND account: a whole school's staff share one public address, so a
  // limit per address alone would lock a school out at 8.30am. Guessing at many accounts from
  // one address still meets each account's lockout (5 wrong passwords: 15 minutes).
  const signInLimit = {
    rateLimit: {
      max: 20,
      timeWindow: '1 minute',
      hook: 'preHandler' as const,
      keyGenerator: (req: FastifyRequest) =>
        `${req.ip}|${String((req.body as any)?.email ?? req.session?.pendingUserId ?? req.session?.userId ?? '').trim().toLowerCase()}`,
    },
  };

  app.get('/sign-in', { config: { public: true } }, async (req, reply) => {
    if (req.ctx.user) return reply.redirect('/dashboard', 303);
    const next = (req.query as any)?.next;
    return reply.page('accounts/views/sign-in.njk', { title: 'Sign in', next: safeNext(next) });
  });

  app.post('/sign-in', { config: { public: true, ...signInLimit } }, async (req, reply) => {
    const form = parseForm(signInSchema, req.body);
    const next = safeNext((req.body as any)?.next);
    if (!form.ok) return reply.page('accounts/views/sign-in.njk', { title: 'Sign in', errors: form.errors, values: form.values, next }, 400);
    const result = await signIn(db, form.data.email, form.data.password, req.ip);
    if (!result.ok) {
      // One answer whether the email is unknown, the password wrong or the account locked:
      // a different message for a locked account would tell a stranger the email has one.
      const text = 'Enter the email address and password of your Harbour account. Check both and try again. After 5 wrong attempts an account is locked for 15 minutes: wait, or reset your password.';
      return reply.page('accounts/views/sign-in.njk', { title: 'Sign in', errors: [{ field: 'email', text }], values: { email: form.data.email }, next }, 400);
    }
    await req.session.regenerate();
    const ctx = await loadUserContext(db, result.userId, undefined, req.ip);
    req.session.lastSeenAt = Date.now();
    if (ctx?.user?.totpEnabled) {
      req.session.pendingUserId = result.userId;
      return reply.redirect(`/sign-in/two-factor?next=${encodeURIComponent(next)}`, 303);
    }
    req.session.userId = result.userId;
    req.session.schoolId = ctx?.school?.id;
    await completeSignIn(db, result.userId, req.ip, ctx?.user?.displayName ?? 'user');
    return reply.redirect(ctx?.needsTwoFactor ? '/account/two-factor' : next, 303);
  });

  app.get('/sign-in/two-factor', { config: { public: true } }, async (req, reply) => {
    if (!req.session.pendingUserId && !req.session.userId) return reply.redirect('/sign-in', 303);
    return reply.page('accounts/views/two-factor.njk', { title: 'Enter your security code', next: safeNext((req.query as any)?.next) });
  });

  app.post('/sign-in/two-factor', { config: { public: true, ...signInLimit } }, async (req, reply) => {
    const pending = req.session.pendingUserId ?? req.session.userId;
    if (!pending) return reply.redirect('/sign-in', 303);
    const next = safeNext((req.body as any)?.next);
    const form = parseForm(codeSchema, req.body);
    const ok = form.ok && (await checkTotp(db, pending, form.data.code));
    if (!ok) {
      const errors = form.ok ? [{ field: 'code', text: 'That code is not right. Enter the code your app shows now.' }] : form.errors;
      if (form.ok) await audit(db, { schoolId: null, actor: { userId: pending, label: 'sign-in attempt' }, action: 'user.two_factor_failed', recordType: 'user', recordId: pending, ip: req.ip });
      return reply.page('accounts/views/two-factor.njk', { title: 'Enter your security code', errors, next }, 400);
    }
    await req.session.regenerate();
    const ctx = await loadUserContext(db, pending, undefined, req.ip);
    req.session.userId = pending;
    req.session.schoolId = ctx?.school?.id;
    req.session.twoFactorPassed = true;
    req.session.lastSeenAt = Date.now();
    await completeSignIn(db, pending, req.ip, ctx?.user?.displayName ?? 'user');
    return reply.redirect(next, 303);
  });

  app.post('/sign-out', { config: { public: true } }, async (req, reply) => {
    if (req.ctx.user) await audit(db, { schoolId: null, actor: req.ctx.actor, action: 'user.signed_out', recordType: 'user', recordId: req.ctx.user.id, ip: req.ip });
    await req.session.destroy();
    return reply.redirect('/sign-in', 303);
  });

  app.get('/forgot-password', { config: { public: true } }, async (_req, reply) =>
    reply.page('accounts/views/forgot-password.njk', { title: 'Reset your password' }));

  app.post('/forgot-password', { config: { public: true, rateLimit: { max: 5, timeWindow: '1 minute' } } }, async (req, reply) => {
    const form = parseForm(signInSchema.pick({ email: true }), req.body);
    if (!form.ok) return reply.page('accounts/views/forgot-password.njk', { title: 'Reset your password', errors: form.errors, values: form.values }, 400);
    await requestPasswordReset(db, mailer, config.baseUrl, form.data.email, req.ip);
    return reply.page('accounts/views/message.njk', { title: 'Check your email', paragraphs: [`If ${form.data.email} has a Harbour account, we have sent it a link to reset the password. The link works for an hour.`] });
  });

  const tokenPage = (purpose: 'reset' | 'invite') => async (req: FastifyRequest, reply: any) => {
    const token = (req.params as any).token as string;
    const found = await findToken(db, token, purpose);
    const title = purpose === 'reset' ? 'Choose a new password' : 'Choose your password';
    if (!found) {
      return reply.page('accounts/views/message.njk', { title: 'This link has expired or been used', paragraphs: [purpose === 'reset' ? 'Ask for a new password reset link.' : 'Ask your Harbour administrator to invite you again.'] }, 410);
    }
    if (req.method === 'GET') return reply.page('accounts/views/new-password.njk', { title, action: req.url });
    const form = parseForm(newPasswordSchema, req.body);
    const email = (await db.query('select email from users where id = $1', [found.user_id])).rows[0]?.email;
    const errors = form.ok ? passwordErrors(form.data.password, form.data.confirm, email) : form.errors;
    if (errors.length || !form.ok) return reply.page('accounts/views/new-password.njk', { title, action: req.url, errors }, 400);
    const used = await db.transaction(async (tx) => {
      if (!(await useToken(tx, found.id))) return false;
      await setPassword(tx, found.user_id, form.data.password, { userId: found.user_id, label: 'account holder' }, req.ip, purpose === 'reset' ? 'user.password_reset' : 'user.invitation_accepted');
      return true;
    });
    if (!used) return reply.page('accounts/views/message.njk', { title: 'This link has expired or been used', paragraphs: ['Ask for a new link.'] }, 410);
    req.session.flash = purpose === 'reset' ? 'Your password has been changed. Sign in with it now.' : 'Your password is set. Sign in to start using Harbour.';
    return reply.redirect('/sign-in', 303);
  };
  app.get('/reset-password/:token', { config: { public: true } }, tokenPage('reset'));
  app.post('/reset-password/:token', { config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } } }, tokenPage('reset'));
  app.get('/invitation/:token', { config: { public: true } }, tokenPage('invite'));
  app.post('/invitation/:token', { config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } } }, tokenPage('invite'));

  app.get('/account', { config: { beforeTwoFactor: true } }, async (req, reply) => {
    const memberships = (await db.query(
      `select s.name as school, array_agg(r.role order by r.role) filter (where r.role is not null) as roles
         from memberships m join schools s on s.id = m.school_id left join role_assignments r on r.person_id = m.person_id
        where m.user_id = $1 group by s.name order by s.name`, [req.ctx.user!.id])).rows;
    return reply.page('accounts/views/account.njk', { title: 'Your account', memberships });
  });

  app.post('/account/password', { config: { beforeTwoFactor: false } }, async (req, reply) => {
    const body = req.body as any;
    const u = (await db.query('select password_hash, email from users where id = $1', [req.ctx.user!.id])).rows[0];
    const errors: FieldError[] = [];
    if (!(await checkPassword(u.password_hash, String(body?.current ?? '')))) errors.push({ field: 'current', text: 'Your current password is not right' });
    errors.push(...passwordErrors(String(body?.password ?? ''), String(body?.confirm ?? ''), u.email));
    if (errors.length) {
      const memberships: unknown[] = [];
      return reply.page('accounts/views/account.njk', { title: 'Your account', errors, memberships }, 400);
    }
    await db.transaction((tx) => setPassword(tx, req.ctx.user!.id, body.password, req.ctx.actor, req.ip, 'user.password_changed'));
    await req.session.regenerate();
    req.session.flash = 'Your password has been changed. Sign in with your new password.';
    return reply.redirect('/sign-in', 303);
  });

  app.get('/account/two-factor', { config: { beforeTwoFactor: true } }, async (req, reply) => {
    const user = req.ctx.user!;
    if (user.totpEnabled) return reply.page('accounts/views/message.njk', { title: 'Two-factor sign-in is on', paragraphs: ['Your account asks for a code from your authenticator app each time you sign in.'] });
    const pending = (req.session as any).totpSetup ?? newTotpSecret(user.email);
    (req.session as any).totpSetup = pending;
    const qr = await QRCode.toString(pending.uri, { type: 'svg', margin: 1 });
    return reply.page('accounts/views/two-factor-setup.njk', { title: 'Set up two-factor sign-in', qr, secret: pending.secret, required: req.ctx.needsTwoFactor });
  });

  app.post('/account/two-factor', { config: { beforeTwoFactor: true } }, async (req, reply) => {
    const user = req.ctx.user!;
    const pending = (req.session as any).totpSetup;
    if (!pending || user.totpEnabled) return reply.redirect('/account/two-factor', 303);
    const form = parseForm(codeSchema, req.body);
    if (!form.ok || !totpMatches(pending.secret, form.data.code)) {
      const qr = await QRCode.toString(pending.uri, { type: 'svg', margin: 1 });
      const errors = form.ok ? [{ field: 'code', text: 'That code is not right. Check the time on your phone and enter the code your app shows now.' }] : form.errors;
      return reply.page('accounts/views/two-factor-setup.njk', { title: 'Set up two-factor sign-in', qr, secret: pending.secret, required: req.ctx.needsTwoFactor, errors }, 400);
    }
    await enableTotp(db, user.id, pending.secret, req.ctx.actor, req.ip);
    (req.session as any).totpSetup = undefined;
    req.session.twoFactorPassed = true;
    req.session.flash = 'Two-factor sign-in is set up.';
    return reply.redirect('/dashboard', 303);
  });

  app.get('/schools', { config: {} }, async (req, reply) => {
    const schools = (await db.query(
      `select s.id, s.name from memberships m join schools s on s.id = m.school_id join people p on p.id = m.person_id
        where m.user_id = $1 and p.left_on is null order by s.name`, [req.ctx.user!.id])).rows;
    return reply.page('accounts/views/schools.njk', { title: 'Choose a school', schools, current: req.ctx.school?.id });
  });

  app.post('/schools', { config: {} }, async (req, reply) => {
    const id = String((req.body as any)?.school ?? '');
    const ctx = await loadUserContext(db, req.ctx.user!.id, id, req.ip);
    if (!ctx?.school || ctx.school.id !== id) {
      const schools = (await db.query(`select s.id, s.name from memberships m join schools s on s.id = m.school_id where m.user_id = $1 order by s.name`, [req.ctx.user!.id])).rows;
      return reply.page('accounts/views/schools.njk', { title: 'Choose a school', schools, errors: [{ field: 'school', text: 'Choose one of your schools' }] }, 400);
    }
    req.session.schoolId = id;
    if (ctx.needsTwoFactor && !ctx.user!.totpEnabled) return reply.redirect('/account/two-factor', 303);
    return reply.redirect('/dashboard', 303);
  });
}
