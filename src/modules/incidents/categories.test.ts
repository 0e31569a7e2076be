import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, makeSchool, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';

let t: TestApp;
let school: TestSchool;
let other: TestSchool;

before(async () => {
  t = await testApp();
  school = await makeSchool(t.db);
  other = await makeSchool(t.db);
});
after(async () => {
  await t.close();
  await closeTestDb();
});

const category = async (schoolId: string, label: string) => (await t.db.query('select * from incident_categories where school_id = $1 and label = $2', [schoolId, label])).rows[0];

test("the DSL adds a category of the school's own, which the report form then offers in its risk area", async () => {
  const dsl = await signedIn(t.app, school.personas.dsl);
  const page = await dsl.get('/incidents/categories');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Cyberbullying, or offensive or unkind messages/);
  const missing = await dsl.post('/incidents/categories', { label: '' }, { from: '/incidents/categories' });
  assert.equal(missing.statusCode, 400);
  assert.match(missing.body, /href="#label"/);
  assert.match(missing.body, /href="#risk_area"[^>]*>Choose the risk area it belongs to/);
  const added = await dsl.post('/incidents/categories', { label: 'Sharing AI-made fake images of pupils', risk_area: 'conduct', suspected_illegal_material: 'yes' }, { from: '/incidents/categories' });
  assert.equal(added.statusCode, 303);
  const row = await category(school.id, 'Sharing AI-made fake images of pupils');
  assert.equal(row.code, 'sharing_ai_made_fake_images_of_pupils');
  assert.equal(row.risk_area, 'conduct');
  assert.equal(row.suspected_illegal_material, true);
  assert.equal(row.illegal, true, 'suspected illegal material is illegal');
  const form = await dsl.get('/incidents/new');
  assert.match(form.body, /Sharing AI-made fake images of pupils \(suspected illegal material\)/);
  const twice = await dsl.post('/incidents/categories', { label: 'sharing ai-made fake images of pupils', risk_area: 'conduct' }, { from: '/incidents/categories' });
  assert.equal(twice.statusCode, 400);
  assert.match(twice.body, /There is already a category with this name/);
  assert.equal((await t.db.query(`select count(*)::int as n from audit_events where school_id = $1 and action = 'incident_category.added'`, [school.id])).rows[0].n, 1);
});

test('a retired category leaves the report form and refuses new reports, and comes back when restored', async () => {
  const dsl = await signedIn(t.app, school.personas.dsl);
  await dsl.get('/incidents/categories');
  const copyright = await category(school.id, 'Infringing copyright or licences');
  const edit = await dsl.get(`/incidents/categories?edit=${copyright.id}`);
  assert.match(edit.body, /Change the category/);
  assert.match(edit.body, /value="Infringing copyright or licences"/);
  const retired = await dsl.post('/incidents/categories/change', { category: copyright.id, label: 'Copying software or music', risk_area: 'commerce', retired: 'yes' }, { from: '/incidents/categories' });
  assert.equal(retired.statusCode, 303);
  const row = await category(school.id, 'Copying software or music');
  assert.ok(row, 'renamed');
  assert.ok(row.retired_at, `retired: ${JSON.stringify(row)}`);
  assert.match((await dsl.get('/incidents/new')).body, /is retired: it is no longer offered/, 'the flash says so');
  assert.ok(!(await dsl.get('/incidents/new')).body.includes('Copying software or music'), 'the form does not offer it');
  const refused = await dsl.post('/incidents/new', { summary: 'Copied a game', occurred_date: '2026-01-05', came_to_light: 'staff_saw', category: copyright.id, concern_about: 'none', intent: 'submit' }, { from: '/incidents/new' });
  assert.equal(refused.statusCode, 400);
  assert.match(refused.body, /Choose the kind of incident from the list/);
  await dsl.post('/incidents/categories/change', { category: copyright.id, label: 'Copying software or music', risk_area: 'commerce' }, { from: '/incidents/categories' });
  assert.equal((await category(school.id, 'Copying software or music')).retired_at, null);
});

test("another school's category cannot be opened or changed, and a teacher cannot keep the list", async () => {
  const dsl = await signedIn(t.app, school.personas.dsl);
  await signedIn(t.app, other.personas.dsl).then((c) => c.get('/incidents/categories'));
  const theirs = await category(other.id, 'Something else');
  assert.equal((await dsl.get(`/incidents/categories?edit=${theirs.id}`)).statusCode, 404);
  const res = await dsl.post('/incidents/categories/change', { category: theirs.id, label: 'Hijacked', risk_area: 'content' }, { from: '/incidents/categories' });
  assert.equal(res.statusCode, 404);
  assert.equal((await category(other.id, 'Something else')).risk_area, 'conduct');
  const teacher = await signedIn(t.app, school.personas.teacher);
  assert.equal((await teacher.get('/incidents/categories')).statusCode, 403);
});

test('a Computer Misuse Act offence is a default illegal category in the conduct area, and migration 013 gives it to schools that already had their list', async () => {
  const { ensureIncidentDefaults } = await import('./matrix');
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { migrationsDir } = await import('../../platform/db/migrate');
  const label = 'Computer Misuse Act offence (hacking, unauthorised access)';
  const s = await makeSchool(t.db);
  await t.db.transaction((tx) => ensureIncidentDefaults(tx, s.id));
  const order = async () => (await t.db.query('select code, position, illegal, risk_area from incident_categories where school_id = $1 order by position', [s.id])).rows;
  const fresh = await order();
  const at = fresh.findIndex((c) => c.code === 'computer_misuse_act');
  assert.ok(at > 0, 'a new school has it');
  assert.equal(fresh[at - 1].code, 'computer_misuse', 'just after computer misuse');
  assert.deepEqual([fresh[at].illegal, fresh[at].risk_area], [true, 'conduct']);
  // A school whose list was made before it existed: take it out again, as it was then.
  await t.db.query(`delete from incident_categories where school_id = $1 and code = 'computer_misuse_act'`, [s.id]);
  await t.db.query(`update incident_categories set position = position - 1 where school_id = $1 and position > $2`, [s.id, fresh[at].position]);
  const sql = readFileSync(join(migrationsDir, '013_incidents_more.sql'), 'utf8');
  await t.db.query(sql);
  assert.deepEqual(await order(), fresh, 'the migration puts it back in the same place, with the same flags');
  await t.db.query(sql);
  assert.deepEqual(await order(), fresh, 'and running it again changes nothing');
  assert.equal((await category(s.id, label)).suspected_illegal_material, false);
});
