// The DfE standards' records: responsibilities, decisions, the filtering checks log and the annual review.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, makeSchool, makeStaff, signedIn, testApp } from '../../testing/harness';
import { reviewItems } from './records';

const t = await testApp();
after(async () => {
  await t.close();
  await closeTestDb();
});

test('responsibilities, decisions and filtering checks are recorded, each audited; a decision without a reason is refused', async () => {
  const school = await makeSchool(t.db);
  const dsl = await signedIn(t.app, school.personas.dsl);
  const from = '/monitoring/records';
  assert.equal((await dsl.post('/monitoring/records/responsibilities', { responsibility: 'governor', holder: 'A. Governor' }, { from })).statusCode, 303);
  assert.equal((await dsl.post('/monitoring/records/responsibilities', { responsibility: 'governor', holder: 'B. Governor' }, { from })).statusCode, 303);
  const bad = await dsl.post('/monitoring/records/decisions', { decided_on: '2026-11-01', decision: 'Allow YouTube for staff', reason: '' }, { from });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /href="#reason"/);
  assert.equal((await dsl.post('/monitoring/records/decisions', { decided_on: '2026-11-01', decision: 'Allow YouTube for staff', reason: 'Teaching videos' }, { from })).statusCode, 303);
  const it = await signedIn(t.app, school.personas.itProvider);
  assert.equal((await it.post('/monitoring/records/checks', { checked_on: '2026-11-02', device: 'Year 5 laptop', user_group: 'KS2 pupils', tested: 'Test pages for each category', result: 'pass', notes: '', checked_by: 'Network technician' }, { from })).statusCode, 303);
  const page = (await dsl.get(from)).body;
  assert.match(page, /B\. Governor/);
  assert.ok(!page.includes('A. Governor'));
  assert.match(page, /Teaching videos/);
  assert.match(page, /Test pages for each category/);
  const actions = (await t.db.query(`select action from audit_events where school_id = $1 and action like 'filtering_%' order by seq`, [school.id])).rows.map((r) => r.action);
  assert.deepEqual(actions, ['filtering_responsibility.set', 'filtering_responsibility.set', 'filtering_decision.recorded', 'filtering_check.recorded']);
  const teacher = await signedIn(t.app, school.personas.teacher);
  assert.equal((await teacher.get(from)).statusCode, 403);
});

test('the annual review is signed off only when every item is considered with evidence, and then no longer changes', async () => {
  const school = await makeSchool(t.db);
  const osl = await signedIn(t.app, await makeStaff(t.db, school.id, ['online_safety_lead'], 'osl'));
  const started = await osl.post('/monitoring/reviews', {}, { from: '/monitoring/records' });
  assert.equal(started.statusCode, 303);
  const url = String(started.headers.location);
  const keys = Object.keys(reviewItems);
  const form: Record<string, string> = {};
  for (const k of keys.slice(1)) Object.assign(form, { [`done_${k}`]: 'yes', [`evidence_${k}`]: `Evidence for ${k}` });
  assert.equal((await osl.post(url, form, { from: url })).statusCode, 303);
  // The online safety lead may keep the review but not sign it off.
  assert.equal((await osl.post(`${url}/sign-off`, {}, { from: url })).statusCode, 403);
  const head = await signedIn(t.app, school.personas.headteacher);
  const refused = await head.post(`${url}/sign-off`, {}, { from: url });
  assert.equal(refused.statusCode, 400);
  assert.match(refused.body, new RegExp(`href="#done_${keys[0]}"`));
  await osl.post(url, { ...form, [`done_${keys[0]}`]: 'yes', [`evidence_${keys[0]}`]: 'Named in the policy' }, { from: url });
  assert.equal((await head.post(`${url}/sign-off`, {}, { from: url })).statusCode, 303);
  const id = url.split('/').pop();
  const row = (await t.db.query('select signed_off_by, items from filtering_reviews where id = $1', [id])).rows[0];
  assert.equal(row.signed_off_by, school.personas.headteacher.userId);
  await osl.post(url, {}, { from: url });
  assert.equal((await t.db.query('select items from filtering_reviews where id = $1', [id])).rows[0].items[keys[0]].evidence, 'Named in the policy');
  assert.match((await head.get(url)).body, /Signed off by/);
});
