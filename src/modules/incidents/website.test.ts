import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, makeSchool, readOutbox, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';

let t: TestApp;
let school: TestSchool;
let websiteCategory: string;
const report = (extra: Record<string, string>) => ({ summary: 'A pupil reached a gambling site on a class laptop', occurred_date: '2026-01-12', came_to_light: 'staff_saw', category: websiteCategory, concern_about: 'none', intent: 'submit', ...extra });

before(async () => {
  t = await testApp();
  school = await makeSchool(t.db);
  const dsl = await signedIn(t.app, school.personas.dsl);
  await dsl.get('/incidents/new');
  websiteCategory = (await t.db.query(`select id from incident_categories where school_id = $1 and code = 'inappropriate_website'`, [school.id])).rows[0].id;
});
after(async () => {
  await t.close();
  await closeTestDb();
});

test('an inappropriate website report needs the address and what was on it, and keeps what was typed', async () => {
  const teacher = await signedIn(t.app, school.personas.teacher);
  const missing = await teacher.post('/incidents/new', report({}), { from: '/incidents/new' });
  assert.equal(missing.statusCode, 400);
  assert.match(missing.body, /href="#website_url"[^>]*>Enter the website address, as it was in the address bar/);
  assert.match(missing.body, /href="#website_seen"[^>]*>Say what was on the website/);
  assert.match(missing.body, /<details[^>]*open/, 'the website questions are open to answer');
  assert.match(missing.body, /A pupil reached a gambling site/);
  const bad = await teacher.post('/incidents/new', report({ website_url: 'javascript:alert(1)', website_seen: 'Slot machines' }), { from: '/incidents/new' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /href="#website_url"[^>]*>Enter the website address as it was in the address bar, like www.example.com\/page/);
});

test('a complete website report goes to the headteacher as well as the leads, and the address is shown as text, never a link', async () => {
  const teacher = await signedIn(t.app, school.personas.teacher);
  const before = readOutbox(t.outboxDir).length;
  const sent = await teacher.post('/incidents/new', report({ website_url: 'casino-example.test/slots?ref=9', website_seen: 'Slot machine games with a sign-up form' }), { from: '/incidents/new' });
  assert.equal(sent.statusCode, 200);
  const reference = /INC-\d{4}-\d{4}/.exec(sent.body)![0];
  const mail = readOutbox(t.outboxDir).slice(before);
  assert.deepEqual(mail.map((m) => m.to).sort(), [school.personas.dsl.email, school.personas.headteacher.email].sort());
  for (const m of mail) assert.ok(!m.text.includes('casino') && !m.subject.includes('casino'));
  const [row] = (await t.db.query('select id, website_url, website_seen from incidents where school_id = $1 and reference = $2', [school.id, reference])).rows;
  assert.equal(row.website_url, 'casino-example.test/slots?ref=9');
  const head = await signedIn(t.app, school.personas.headteacher);
  const page = await head.get(`/incidents/${row.id}`);
  assert.match(page.body, /casino-example\.test\/slots\?ref=9: Slot machine games/);
  assert.ok(!/href="[^"]*casino-example/.test(page.body));
});
