import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Client, closeTestDb, makeSchool, makeStaff, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';

let t: TestApp;
let school: TestSchool;
before(async () => {
  t = await testApp();
  school = await makeSchool(t.db);
});
after(async () => {
  await t.close();
  await closeTestDb();
});

test('a teacher signs in with email and password and reaches the dashboard', async () => {
  const c = await signedIn(t.app, school.personas.teacher);
  const res = await c.get('/dashboard');
  assert.equal(res.statusCode, 200);
  assert.match(res.body, new RegExp(school.name));
});

test('a safeguarding lead must pass the second factor before seeing anything', async () => {
  const c = new Client(t.app);
  const res = await c.post('/sign-in', { email: school.personas.dsl.email, password: school.personas.dsl.password }, { from: '/sign-in' });
  assert.equal(res.statusCode, 303);
  assert.match(String(res.headers.location), /^\/sign-in\/two-factor/);
  const dash = await c.get('/dashboard');
  assert.equal(dash.statusCode, 303);
  assert.match(String(dash.headers.location), /^\/sign-in/);
  const code = await c.get('/sign-in/two-factor');
  assert.equal(code.statusCode, 200);
  const noWayIn = (body: string, page: string) => {
    for (const href of ['/dashboard', '/incidents', '/people', '/audit', '/monitoring']) {
      assert.ok(!body.includes(`href="${href}"`), `${page} offers no way into the school (${href})`);
    }
  };
  noWayIn(code.body, 'the code page');

  // A new lead who has not yet set up two-factor sign-in meets the set-up page, and only that.
  const lead = await makeStaff(t.db, school.id, ['designated_safeguarding_lead'], 'newlead');
  await t.db.query('update users set totp_secret = null, totp_enabled_at = null where id = $1', [lead.userId]);
  const fresh = new Client(t.app);
  const first = await fresh.post('/sign-in', { email: lead.email, password: lead.password }, { from: '/sign-in' });
  assert.equal(first.statusCode, 303);
  const setup = await fresh.get(String(first.headers.location));
  const page = setup.statusCode === 303 ? await fresh.get(String(setup.headers.location)) : setup;
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Set up two-factor sign-in/);
  noWayIn(page.body, 'the set-up page');
});

test('a wrong password re-renders the form with an error summary linking to the field and keeps the email', async () => {
  const c = new Client(t.app);
  const res = await c.post('/sign-in', { email: school.personas.teacher.email, password: 'not-the-password' }, { from: '/sign-in' });
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /There is a problem/);
  assert.match(res.body, /href="#email"/);
  assert.match(res.body, new RegExp(`value="${school.personas.teacher.email.replace(/\./g, '\\.')}"`));
});

test('a form posted without its CSRF token is refused', async () => {
  const c = new Client(t.app);
  await c.get('/sign-in');
  const res = await c.post('/sign-in', { email: school.personas.teacher.email, password: school.personas.teacher.password }, { csrf: null });
  assert.equal(res.statusCode, 403);
  assert.match(res.body, /This form has expired/);
});
