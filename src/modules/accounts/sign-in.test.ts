import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Client, closeTestDb, makeSchool, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';

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
