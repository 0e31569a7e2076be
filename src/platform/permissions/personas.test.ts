// Who may reach what: a table of personas × routes, each cell the answer the route must give.
// Least privilege means the 403s matter as much as the 200s: each row proves a role gets no
// more than its work needs (roles and actions in roles.ts and actions.ts).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client, closeTestDb, makeSchool, signedIn, testApp, type Persona, type TestApp, type TestSchool } from '../../testing/harness';
import { createApiKey } from '../api/keys';
import { systemActor } from '../audit/audit';
import { addIncidentRecords } from '../../modules/incidents/testing';

/** What a cell expects: a status, a redirect to sign-in, or a redirect elsewhere after a change. */
type Expect = 200 | 403 | 404 | 'sign-in' | { redirect: string };
const ok = 200;
const signIn = 'sign-in';

const personaNames = ['anonymous', 'teacher', 'designated safeguarding lead', 'headteacher', 'governor', 'IT provider', 'administrator', "another school's designated safeguarding lead"] as const;
type PersonaName = (typeof personaNames)[number];

/** One request: how to build it for this school, and what each persona must get. */
interface Row {
  method: 'GET' | 'POST';
  /** The route as registered (checked against app.routesList). */
  route: string;
  path: (s: Fixture) => string | Promise<string>;
  form?: (s: Fixture) => Record<string, string | string[]>;
  expect: Record<PersonaName, Expect>;
  /** After a POST: proves the change was made when allowed, and nothing changed when refused. */
  after?: (s: Fixture, form: Record<string, string | string[]>, allowed: boolean) => Promise<void>;
}

interface Fixture {
  school: TestSchool;
  other: TestSchool;
  t: TestApp;
  /** An incident the school's teacher reported about its pupil, handled by its safeguarding lead. */
  incidentId: string;
}

/** The same answer for every signed-in persona of the school (anonymous is always sent to sign in). */
function allStaff(e: Expect, other: Expect = e): Record<PersonaName, Expect> {
  return {
    anonymous: signIn, teacher: e, 'designated safeguarding lead': e, headteacher: e, governor: e, 'IT provider': e, administrator: e,
    "another school's designated safeguarding lead": other,
  };
}
function only(allowed: Partial<Record<PersonaName, Expect>>, otherwise: Expect = 403): Record<PersonaName, Expect> {
  const row = allStaff(otherwise);
  return { ...row, ...allowed };
}

/** A fresh key of the school, to revoke (each revoke row needs its own). */
async function freshKey(s: Fixture) {
  return (await createApiKey(s.t.db, s.school.id, `Persona key ${randomUUID().slice(0, 6)}`, ['school:read'], systemActor, null)).id;
}
const keyIds = new Map<string, string>();
/** The next idle time-out the settings row posts (see below). */
let timeoutProbe = Math.floor(Math.random() * 200);

const table: Row[] = [
  { method: 'GET', route: '/dashboard', path: () => '/dashboard', expect: allStaff(ok) },
  {
    method: 'GET', route: '/people', path: () => '/people',
    // people:list is for staff; a governor has no need to browse the school's people.
    expect: only({ teacher: ok, 'designated safeguarding lead': ok, headteacher: ok, 'IT provider': ok, administrator: ok, "another school's designated safeguarding lead": ok }),
  },
  {
    method: 'GET', route: '/people/:personId', path: (s) => `/people/${s.school.pupilId}`,
    // Another school's DSL may open records in their own school, but this pupil is not one of them.
    expect: only({ 'designated safeguarding lead': ok, headteacher: ok, administrator: ok, "another school's designated safeguarding lead": 404 }),
  },
  {
    method: 'GET', route: '/audit', path: () => '/audit',
    // The administrator runs Harbour but reads no trail of who looked at which child.
    expect: only({ 'designated safeguarding lead': ok, headteacher: ok, "another school's designated safeguarding lead": ok }),
  },
  { method: 'GET', route: '/settings', path: () => '/settings', expect: only({ headteacher: ok, administrator: ok }) },
  { method: 'GET', route: '/settings/accounts', path: () => '/settings/accounts', expect: only({ administrator: ok }) },
  { method: 'GET', route: '/settings/api-keys', path: () => '/settings/api-keys', expect: only({ administrator: ok }) },
  { method: 'GET', route: '/account', path: () => '/account', expect: allStaff(ok) },
  {
    method: 'POST', route: '/settings/school', path: () => '/settings/school',
    // A time-out no persona has posted before (each post takes the next one), so a refused
    // request that got through would show; a random one could repeat what an allowed persona saved.
    form: (s) => ({ name: s.school.name, idle_timeout_minutes: String(30 + (timeoutProbe++ % 200)) }),
    expect: only({ headteacher: { redirect: '/settings' }, administrator: { redirect: '/settings' } }),
    after: async (s, form, allowed) => {
      const row = (await s.t.db.query('select idle_timeout_minutes from schools where id = $1', [s.school.id])).rows[0];
      if (allowed) assert.equal(String(row.idle_timeout_minutes), form.idle_timeout_minutes, 'the settings were not saved');
      else assert.notEqual(String(row.idle_timeout_minutes), form.idle_timeout_minutes, "a refused request changed the school's settings");
    },
  },
  {
    method: 'POST', route: '/settings/api-keys', path: () => '/settings/api-keys',
    form: () => ({ name: `Persona probe ${randomUUID().slice(0, 6)}`, scopes: ['school:read'] }),
    expect: only({ administrator: ok }),
    after: async (s, form, allowed) => {
      const n = (await s.t.db.query('select count(*)::int as n from api_keys where name = $1', [form.name])).rows[0].n;
      assert.equal(n, allowed ? 1 : 0, allowed ? 'the key was not created' : 'a refused request created an API key');
    },
  },
  {
    method: 'POST', route: '/settings/api-keys/:keyId/revoke',
    path: async (s) => {
      const id = await freshKey(s);
      keyIds.set(s.school.id, id);
      return `/settings/api-keys/${id}/revoke`;
    },
    form: () => ({}),
    expect: only({ administrator: { redirect: '/settings/api-keys' } }),
    after: async (s, _form, allowed) => {
      const row = (await s.t.db.query('select revoked_at from api_keys where id = $1', [keyIds.get(s.school.id)])).rows[0];
      if (allowed) assert.notEqual(row.revoked_at, null, 'the key was not revoked');
      else assert.equal(row.revoked_at, null, 'a refused request revoked the key');
    },
  },

  // ---- The capabilities: what each persona's work needs, from actions.ts. --------------------
  // Pages without a record id: another school's lead opens their own school's page (200), which
  // the leak check below proves shows nothing of this school.
  { method: 'GET', route: '/incidents/new', path: () => '/incidents/new', expect: only({ teacher: ok, 'designated safeguarding lead': ok, headteacher: ok, 'IT provider': ok, administrator: ok, "another school's designated safeguarding lead": ok }) },
  { method: 'GET', route: '/incidents', path: () => '/incidents', expect: only({ teacher: ok, 'designated safeguarding lead': ok, headteacher: ok, 'IT provider': ok, administrator: ok, "another school's designated safeguarding lead": ok }) },
  {
    method: 'GET', route: '/incidents/:incidentId', path: (s) => `/incidents/${s.incidentId}`,
    // The reporter sees their receipt; staff with no part in it are told it does not exist.
    expect: only({ teacher: ok, 'designated safeguarding lead': ok, headteacher: ok, 'IT provider': 404, administrator: 404, "another school's designated safeguarding lead": 404 }),
  },
  { method: 'GET', route: '/incidents/figures', path: () => '/incidents/figures', expect: only({ 'designated safeguarding lead': ok, headteacher: ok, governor: ok, "another school's designated safeguarding lead": ok }) },
  { method: 'GET', route: '/incidents/sanctions', path: () => '/incidents/sanctions', expect: only({ 'designated safeguarding lead': ok, headteacher: ok, "another school's designated safeguarding lead": ok }) },
  { method: 'GET', route: '/incidents/review', path: () => '/incidents/review', expect: only({ headteacher: ok }) },
  { method: 'GET', route: '/agreements', path: () => '/agreements', expect: allStaff(ok) },
  { method: 'GET', route: '/agreements/compliance', path: () => '/agreements/compliance', expect: only({ 'designated safeguarding lead': ok, headteacher: ok, "another school's designated safeguarding lead": ok }) },
  { method: 'GET', route: '/technology-access', path: () => '/technology-access', expect: only({ teacher: ok, 'designated safeguarding lead': ok, headteacher: ok, 'IT provider': ok, administrator: ok, "another school's designated safeguarding lead": ok }) },
  { method: 'GET', route: '/technology-access/export.csv', path: () => '/technology-access/export.csv', expect: only({ 'designated safeguarding lead': ok, headteacher: ok, 'IT provider': ok, "another school's designated safeguarding lead": ok }) },
  { method: 'GET', route: '/monitoring/alerts', path: () => '/monitoring/alerts', expect: only({ 'designated safeguarding lead': ok, headteacher: ok, "another school's designated safeguarding lead": ok }) },
  { method: 'GET', route: '/monitoring/change-requests', path: () => '/monitoring/change-requests', expect: only({ teacher: ok, 'designated safeguarding lead': ok, headteacher: ok, 'IT provider': ok, "another school's designated safeguarding lead": ok }) },
  { method: 'GET', route: '/monitoring/records', path: () => '/monitoring/records', expect: only({ 'designated safeguarding lead': ok, headteacher: ok, 'IT provider': ok, "another school's designated safeguarding lead": ok }) },
  { method: 'GET', route: '/monitoring/phrases', path: () => '/monitoring/phrases', expect: only({ 'designated safeguarding lead': ok, headteacher: ok, "another school's designated safeguarding lead": ok }) },
  { method: 'GET', route: '/monitoring/upload', path: () => '/monitoring/upload', expect: only({ 'designated safeguarding lead': ok, headteacher: ok, 'IT provider': ok, "another school's designated safeguarding lead": ok }) },
];

let t: TestApp;
let fixture: Fixture;
const clients = new Map<PersonaName, Client>();

before(async () => {
  t = await testApp();
  const school = await makeSchool(t.db);
  const other = await makeSchool(t.db);
  const incidentId = await addIncidentRecords(t.db, school.id, { reporterId: school.personas.teacher.personId, handlerId: school.personas.dsl.personId, pupilId: school.pupilId });
  fixture = { school, other, t, incidentId };
  const personas: Record<Exclude<PersonaName, 'anonymous'>, Persona> = {
    teacher: school.personas.teacher,
    'designated safeguarding lead': school.personas.dsl,
    headteacher: school.personas.headteacher,
    governor: school.personas.governor,
    'IT provider': school.personas.itProvider,
    administrator: school.personas.admin,
    "another school's designated safeguarding lead": other.personas.dsl,
  };
  clients.set('anonymous', new Client(t.app));
  for (const [name, p] of Object.entries(personas)) clients.set(name as PersonaName, await signedIn(t.app, p));
});
after(async () => {
  await t.close();
  await closeTestDb();
});

/** Is the answer the one the cell expects? */
function check(res: { statusCode: number; headers: Record<string, any> }, e: Expect, what: string) {
  const location = String(res.headers.location ?? '');
  if (e === 'sign-in') {
    assert.equal(res.statusCode, 303, `${what}: expected a redirect to sign in, got ${res.statusCode}`);
    assert.match(location, /^\/sign-in(\?|$)/, `${what}: redirected to ${location}, not to sign in`);
  } else if (typeof e === 'object') {
    assert.equal(res.statusCode, 303, `${what}: expected the change to succeed and redirect to ${e.redirect}, got ${res.statusCode}`);
    assert.equal(location.split('?')[0], e.redirect, `${what}: redirected to ${location}`);
  } else {
    assert.equal(res.statusCode, e, `${what}: expected ${e}, got ${res.statusCode}${location ? ` to ${location}` : ''}`);
  }
}

const show = (e: Expect) => (e === 'sign-in' ? '303 to /sign-in' : typeof e === 'object' ? `303 to ${e.redirect}` : String(e));

test('every route in the table is registered (so a 404 in a row comes from the route, not from a missing page)', () => {
  const registered = new Set(t.app.routesList.map((r) => `${r.method} ${r.url}`));
  const missing = table.filter((r) => !registered.has(`${r.method} ${r.route}`)).map((r) => `${r.method} ${r.route}`);
  assert.deepEqual(missing, []);
});

for (const persona of personaNames) {
  describe(persona, () => {
    for (const row of table) {
      const e = row.expect[persona];
      test(`${persona} ${row.method} ${row.route} -> ${show(e)}`, async () => {
        const client = clients.get(persona)!;
        const path = await row.path(fixture);
        const what = `${persona} ${row.method} ${path}`;
        const form = row.form?.(fixture) ?? {};
        const res = row.method === 'GET'
          ? await client.get(path)
          // The CSRF token comes from a page the persona can open, so only the permission check can refuse.
          : await client.post(path, form, { from: persona === 'anonymous' ? '/sign-in' : '/account' });
        check(res, e, what);
        if (persona === "another school's designated safeguarding lead") {
          const pupil = (await t.db.query('select family_name from people where id = $1', [fixture.school.pupilId])).rows[0];
          for (const x of [fixture.school.name, pupil.family_name, fixture.school.pupilId]) {
            if (x === fixture.school.pupilId && path.includes(x)) continue;
            assert.ok(!res.body.includes(x), `${what}: the answer shows the other school's ${x === fixture.school.name ? 'name' : 'pupil'}`);
          }
        }
        if (e === 403 || e === 404) {
          // A refusal says no more than that: nothing of the record or the school's people.
          const pupil = (await t.db.query('select family_name from people where id = $1', [fixture.school.pupilId])).rows[0];
          assert.ok(!res.body.includes(pupil.family_name), `${what}: the refusal shows the pupil's name`);
        }
        await row.after?.(fixture, form, typeof e === 'object' || e === 200);
      });
    }
  });
}
