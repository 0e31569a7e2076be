// Test support: the real app on the run's real database, a file outbox, and factories that
// give every test its own fresh school (tests never truncate tables; they build what they need).
import pg from 'pg';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes, randomUUID } from 'node:crypto';
import { generateSecret, generateSync } from 'otplib';
import type { FastifyInstance } from 'fastify';
import { Database } from '../platform/db/database';
import { createLogger } from '../platform/logger';
import { createMailer } from '../platform/mail/mailer';
import { buildApp } from '../app';
import { loadConfig } from '../config';
import { addPerson, createAccount, createOrganisation, createSchool } from '../modules/schools/service';
import type { Role } from '../platform/permissions/roles';
import { twoFactorRoles } from '../platform/permissions/roles';

let shared: Database | null = null;

/** The run's database (made and migrated by scripts/run-tests.ts). */
export function testDb(): Database {
  if (!shared) {
    const cfg = process.env.HARBOUR_TEST_DB;
    if (!cfg) throw new Error('HARBOUR_TEST_DB is not set: run the tests with npm test');
    shared = new Database(new pg.Pool({ ...JSON.parse(cfg), max: 5 }), 'external');
  }
  return shared;
}

export async function closeTestDb() {
  if (shared) await shared.pool.end();
  shared = null;
}

export interface TestApp {
  app: FastifyInstance & { routesList: { method: string; url: string; public: boolean; api: boolean; action?: string }[] };
  db: Database;
  outboxDir: string;
  close(): Promise<void>;
}

/** Builds the real app on the test database with a file outbox of its own. */
export async function testApp(): Promise<TestApp> {
  const db = testDb();
  const outboxDir = mkdtempSync(join(tmpdir(), 'harbour-outbox-'));
  const config = { ...loadConfig({ DATA_DIR: outboxDir } as any), baseUrl: 'http://harbour.test' };
  const app = await buildApp({
    config, db, log: createLogger('silent'),
    mailer: createMailer({ from: 'Harbour <harbour@test>', outboxDir }),
    sessionSecret: randomBytes(32).toString('hex'),
  });
  await app.ready();
  return { app: app as any, db, outboxDir, close: () => app.close() };
}

/** Messages written to an outbox, oldest first. */
export function readOutbox(outboxDir: string): { to: string; subject: string; text: string }[] {
  return readdirSync(outboxDir).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(outboxDir, f), 'utf8')));
}

export const testPassword = 'correct-horse-battery-9';

export interface Persona {
  email: string;
  password: string;
  userId: string;
  personId: string;
  roles: Role[];
  totpSecret?: string;
}

/** A unique email for a test account. */
export function uniqueEmail(label: string) {
  return `${label}.${randomUUID().slice(0, 8)}@school.test`;
}

/** Adds a member of staff with an account; two-factor is enrolled when their roles need it. */
export async function makeStaff(db: Database, schoolId: string, roles: Role[], label = 'staff', kind: 'staff' | 'governor' | 'technician' = 'staff'): Promise<Persona> {
  const email = uniqueEmail(label);
  const totpSecret = roles.some((r) => twoFactorRoles.includes(r)) ? generateSecret() : undefined;
  return db.transaction(async (tx) => {
    const personId = await addPerson(tx, schoolId, { kind, given_name: label, family_name: 'Tester', email }, roles);
    const userId = await createAccount(tx, schoolId, personId, { email, displayName: `${label} Tester`, password: testPassword, totpSecret });
    return { email, password: testPassword, userId, personId, roles, totpSecret };
  });
}

export interface TestSchool {
  id: string;
  name: string;
  personas: Record<'teacher' | 'dsl' | 'headteacher' | 'governor' | 'itProvider' | 'admin' | 'office', Persona>;
  pupilId: string;
  parentId: string;
}

/** A fresh school with one account for each persona, a pupil and a parent. */
export async function makeSchool(db: Database, name = `Test School ${randomUUID().slice(0, 6)}`): Promise<TestSchool> {
  const orgId = await createOrganisation(db, `Trust of ${name}`, 'trust');
  const id = await createSchool(db, { name, organisationId: orgId });
  const personas = {
    teacher: await makeStaff(db, id, ['teacher'], 'teacher'),
    dsl: await makeStaff(db, id, ['designated_safeguarding_lead'], 'dsl'),
    headteacher: await makeStaff(db, id, ['headteacher'], 'head'),
    governor: await makeStaff(db, id, ['governor'], 'governor', 'governor'),
    itProvider: await makeStaff(db, id, ['it_provider'], 'itprovider', 'technician'),
    admin: await makeStaff(db, id, ['administrator'], 'admin'),
    office: await makeStaff(db, id, ['office_staff'], 'office'),
  };
  const pupilId = await addPerson(db, id, { kind: 'pupil', given_name: 'Pupil', family_name: `P${randomUUID().slice(0, 4)}`, year_group: '5', class_name: '5A', date_of_birth: '2016-03-04', gender: 'F', upn: `T${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}` });
  const parentId = await addPerson(db, id, { kind: 'parent', given_name: 'Parent', family_name: 'Carer', email: uniqueEmail('parent') });
  return { id, name, personas, pupilId, parentId };
}

/** A browser-like client for app.inject: keeps cookies and finds CSRF tokens in pages. */
export class Client {
  cookies = new Map<string, string>();
  lastBody = '';
  constructor(readonly app: FastifyInstance) {}

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: { headers: Record<string, any> }) {
    const set = res.headers['set-cookie'];
    for (const c of [set ?? []].flat() as string[]) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const k = pair.slice(0, i);
      const v = pair.slice(i + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(c) || v === '') this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
  }

  async get(url: string) {
    const res = await this.app.inject({ method: 'GET', url, headers: { cookie: this.cookieHeader() } });
    this.keep(res);
    this.lastBody = res.body;
    return res;
  }

  /** The CSRF token on the page at url (or the last page fetched). */
  async csrf(url?: string) {
    const body = url ? (await this.get(url)).body : this.lastBody;
    const m = /name="_csrf" value="([^"]+)"/.exec(body);
    if (!m) {
      const res = await this.get('/sign-in');
      const m2 = /name="_csrf" value="([^"]+)"/.exec(res.body);
      if (!m2) throw new Error('no CSRF token found');
      return m2[1];
    }
    return m[1];
  }

  /** Posts a form as a browser would, with the CSRF token of the page it came from. */
  async post(url: string, form: Record<string, string | string[]>, opts: { from?: string; csrf?: string | null } = {}) {
    const token = opts.csrf === null ? undefined : opts.csrf ?? (await this.csrf(opts.from));
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of [v].flat()) params.append(k, x);
    if (token) params.append('_csrf', token);
    const res = await this.app.inject({
      method: 'POST', url, payload: params.toString(),
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
    });
    this.keep(res);
    this.lastBody = res.body;
    return res;
  }

  /** Signs in with the password, and the second factor when the account has one. */
  async signIn(p: Persona) {
    const res = await this.post('/sign-in', { email: p.email, password: p.password }, { from: '/sign-in' });
    if (res.statusCode !== 303) throw new Error(`sign-in failed for ${p.email}: ${res.statusCode}`);
    if (String(res.headers.location).startsWith('/sign-in/two-factor')) {
      if (!p.totpSecret) throw new Error('two-factor asked but persona has no secret');
      const r2 = await this.post('/sign-in/two-factor', { code: generateSync({ secret: p.totpSecret }) }, { from: '/sign-in/two-factor' });
      if (r2.statusCode !== 303) throw new Error(`two-factor failed for ${p.email}: ${r2.statusCode}`);
    }
    return this;
  }
}

/** A client already signed in as the persona. */
export async function signedIn(app: FastifyInstance, p: Persona) {
  return new Client(app).signIn(p);
}
