import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import session from '@fastify/session';
import csrf from '@fastify/csrf-protection';
import rateLimit from '@fastify/rate-limit';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type nunjucks from 'nunjucks';
import './platform/http/types';
import type { Config } from './config';
import type { Database } from './platform/db/database';
import type { Logger } from './platform/logger';
import type { Mailer } from './platform/mail/mailer';
import { createViews } from './platform/views/nunjucks';
import { PostgresSessionStore } from './platform/auth/session-store';
import { anonymousContext, loadUserContext } from './platform/http/context';
import type { PageData } from './platform/http/types';
import { ForbiddenError, NotFoundError } from './platform/http/errors';
import { navigationFor } from './platform/http/navigation';
import { ApiRegistry } from './platform/api/openapi';
import { apiAuth } from './platform/api/keys';
import accountsRoutes from './modules/accounts/routes';
import dashboardRoutes from './modules/dashboard/routes';
import peopleRoutes from './modules/people/routes';
import auditRoutes from './modules/audit/routes';
import settingsRoutes from './modules/settings/routes';
import healthRoutes from './modules/health/routes';
import archiveRoutes from './modules/archive/routes';
import agreementsRoutes from './modules/agreements/routes';
import monitoringRoutes from './modules/monitoring/routes';
import incidentsRoutes from './modules/incidents/routes';
import apiRoutes from './platform/api/routes';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What the app is built from. Tests pass the real database and a file outbox mailer. */
export interface AppDeps {
  config: Config;
  db: Database;
  mailer: Mailer;
  log: Logger;
  sessionSecret: string;
  views?: nunjucks.Environment;
}

/** Every route registered, for the route-by-route permission and isolation tests. */
export interface RouteInfo {
  method: string;
  url: string;
  public: boolean;
  api: boolean;
  action?: string;
}

/** Builds Harbour's web app (it never listens: main.ts does that, tests use inject). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance & { routesList: RouteInfo[]; api: ApiRegistry }> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'http' }),
    trustProxy: deps.config.trustProxy as any, // fastify takes a hop count too; its types omit it
    bodyLimit: 5 * 1024 * 1024,
    // Request ids in logs; never a URL's query string (it may hold a token).
    genReqId: () => crypto.randomUUID(),
    logController: new LogController({ disableRequestLogging: true } as any),
  }) as unknown as FastifyInstance & { routesList: RouteInfo[]; api: ApiRegistry };
  const views = deps.views ?? createViews();
  const routesList: RouteInfo[] = [];
  app.decorate('routesList', routesList);
  app.decorate('api', new ApiRegistry());
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) {
      if (m === 'HEAD') continue;
      routesList.push({ method: m, url: r.url, public: !!r.config?.public, api: !!r.config?.api, action: r.config?.action });
    }
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    hsts: deps.config.production,
  });
  await app.register(fastifyStatic, {
    root: join(root, 'public'),
    prefix: '/assets/',
    decorateReply: false,
    maxAge: '1h',
  });
  // govuk-frontend's images and fonts, referenced by its CSS.
  await app.register(fastifyStatic, {
    root: join(root, 'node_modules/govuk-frontend/dist/govuk/assets'),
    prefix: '/assets/govuk/',
    decorateReply: false,
    maxAge: '1d',
  });
  await app.register(formbody);
  await app.register(cookie);
  await app.register(session, {
    secret: deps.sessionSecret,
    cookieName: 'harbour_session',
    saveUninitialized: false,
    rolling: true,
    store: new PostgresSessionStore(deps.db, 12 * 60 * 60 * 1000),
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: deps.config.baseUrl.startsWith('https:'),
      path: '/',
      maxAge: 12 * 60 * 60 * 1000,
    },
  });
  await app.register(csrf, { sessionPlugin: '@fastify/session', getToken: (req: FastifyRequest) => (req.body as any)?._csrf });
  await app.register(rateLimit, { global: false });

  app.decorateRequest('ctx', null as any);
  app.decorateReply('page', function (this: FastifyReply, template: string, data: PageData, status = 200) {
    const req = this.request;
    const ctx = req.ctx ?? anonymousContext(req.ip);
    const flash = req.session?.flash;
    if (flash) req.session.flash = undefined;
    const errors = data.errors ?? [];
    const html = views.render(template, {
      ...data,
      user: ctx.user,
      school: ctx.school,
      can: (a: string) => ctx.allowed.has(a as any),
      // Until a lead has passed the second factor, the page shows no way into the school.
      nav: ctx.user && ctx.school && !(ctx.needsTwoFactor && !(ctx.user.totpEnabled && req.session?.twoFactorPassed)) ? navigationFor(ctx, req.url) : [],
      csrfToken: this.generateCsrf(),
      flash,
      errors,
      errorList: errors.map((e) => ({ text: e.text, href: `#${e.field}` })),
      values: data.values ?? {},
    });
    this.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
    return this;
  });

  // CSRF on every form post; the JSON API uses keys instead of cookies.
  app.addHook('preValidation', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.routeOptions.config?.api) return;
    await new Promise<void>((resolve, reject) =>
      app.csrfProtection(req, reply, (err?: Error) => (err ? reject(err) : resolve())),
    );
  });

  // Who is asking, and may they reach this route?
  app.addHook('preHandler', async (req, reply) => {
    // The stylesheet, scripts and images are public (the sign-in page needs them).
    if (req.routeOptions.url?.startsWith('/assets/')) return;
    const config = req.routeOptions.config ?? {};
    if (config.api) return apiAuth(deps.db, req, reply);
    const s = req.session;
    let ctx = anonymousContext(req.ip);
    if (s?.userId) {
      const loaded = await loadUserContext(deps.db, s.userId, s.schoolId, req.ip);
      if (!loaded) {
        await s.destroy();
      } else {
        const idleMinutes = loaded.school?.idle_timeout_minutes ?? 20;
        if (s.lastSeenAt && Date.now() - s.lastSeenAt > idleMinutes * 60_000) {
          // A route may keep what was sent for its author first (a report being written becomes a draft).
          const kept = req.method === 'POST' && config.keepOnTimeout ? await config.keepOnTimeout(req, loaded).catch(() => undefined) : undefined;
          await s.regenerate();
          req.session.flash = `You were signed out because Harbour was not used for ${idleMinutes} minutes.${kept ? ` ${kept}` : ''}`;
          req.ctx = anonymousContext(req.ip);
          if (config.public) return;
          return reply.redirect('/sign-in', 303);
        }
        s.lastSeenAt = Date.now();
        ctx = loaded;
      }
    }
    req.ctx = ctx;
    if (config.public) return;
    if (!ctx.user) {
      return reply.redirect(`/sign-in?next=${encodeURIComponent(req.url)}`, 303);
    }
    if (ctx.needsTwoFactor && !config.beforeTwoFactor) {
      if (!ctx.user.totpEnabled) return reply.redirect('/account/two-factor', 303);
      if (!s.twoFactorPassed) return reply.redirect('/sign-in/two-factor', 303);
    }
    if (config.action && !ctx.can(config.action)) throw new ForbiddenError();
  });

  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) return reply.code(404).send({ error: 'not_found' });
    reply.page('error.njk', { title: 'Page not found', paragraphs: ['There is no page at this address, or it is not one you can see.'] }, 404);
  });

  app.setErrorHandler((err: any, req, reply) => {
    const api = req.url.startsWith('/api/');
    const status: number = err.statusCode ?? 500;
    if (err instanceof NotFoundError || status === 404) {
      return api ? reply.code(404).send({ error: 'not_found' }) : reply.page('error.njk', { title: 'Page not found', paragraphs: ['There is no page at this address, or it is not one you can see.'] }, 404);
    }
    if (err instanceof ForbiddenError || status === 403) {
      const csrfFailure = String(err.code ?? '').startsWith('FST_CSRF');
      if (api) return reply.code(403).send({ error: 'forbidden' });
      return reply.page('error.njk', {
        title: csrfFailure ? 'This form has expired' : 'You cannot see this page',
        paragraphs: csrfFailure
          ? ['For your security, forms expire. Go back, reload the page and try again.']
          : ['Your role in this school does not include this. If you think it should, ask your Harbour administrator.'],
      }, 403);
    }
    if (status === 429) {
      return api ? reply.code(429).send({ error: 'too_many_requests' }) : reply.page('error.njk', { title: 'Too many attempts', paragraphs: ['Wait a minute, then try again.'] }, 429);
    }
    if (status >= 400 && status < 500) {
      return api ? reply.code(status).send({ error: 'bad_request', message: err.message }) : reply.page('error.njk', { title: 'Something was wrong with that request', paragraphs: ['Go back and try again.'] }, status);
    }
    req.log.error({ err: { message: err.message, stack: err.stack }, reqId: req.id }, 'request failed');
    return api
      ? reply.code(500).send({ error: 'internal_error', requestId: req.id })
      : reply.page('error.njk', { title: 'Sorry, something went wrong', paragraphs: ['Nothing you entered has been half-saved. Try again in a moment.', `If it keeps happening, give your IT provider this reference: ${req.id}`] }, 500);
  });

  const modules = [healthRoutes, accountsRoutes, dashboardRoutes, peopleRoutes, auditRoutes, settingsRoutes, apiRoutes, archiveRoutes, agreementsRoutes, incidentsRoutes, monitoringRoutes];
  for (const m of modules) await app.register(m, deps);
  app.get('/api/openapi.json', { config: { public: true } }, async () => app.api.document(deps.config.baseUrl));
  return app;
}
