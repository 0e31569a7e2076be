import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, makeSchool, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';
import { addPerson } from '../schools/service';

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

const auditCount = async (schoolId: string, action: string, recordId: string) =>
  (await t.db.query('select count(*)::int as n from audit_events where school_id = $1 and action = $2 and record_id = $3', [schoolId, action, recordId])).rows[0].n as number;

test('the list filters by kind, class and name, hides leavers unless asked, and pages by 50', async () => {
  const s = await makeSchool(t.db);
  for (let i = 0; i < 52; i++) {
    await addPerson(t.db, s.id, { kind: 'pupil', given_name: `Child${i}`, family_name: `Marlowe${String(i).padStart(2, '0')}`, year_group: '3', class_name: '3W' });
  }
  const leaver = await addPerson(t.db, s.id, { kind: 'pupil', given_name: 'Gone', family_name: 'Quillfeather', class_name: '3W' });
  await t.db.query('update people set left_on = current_date where id = $1', [leaver]);
  const c = await signedIn(t.app, s.personas.office);

  const pupils = await c.post('/people', { kind: 'pupil', class: '3W' }, { from: '/people' });
  assert.equal(pupils.statusCode, 200);
  assert.match(pupils.body, /52 people, page 1 of 2/);
  assert.doesNotMatch(pupils.body, /Quillfeather/);
  assert.doesNotMatch(pupils.body, /Tester, /, 'staff are filtered out');
  const page2 = await c.post('/people', { kind: 'pupil', class: '3W', page: '2' }, { from: '/people' });
  assert.match(page2.body, /page 2 of 2/);
  assert.equal((page2.body.match(/href="\/people\/[0-9a-f-]{36}"/g) ?? []).length, 2);

  const withLeavers = await c.post('/people', { kind: 'pupil', q: 'quillfeather', leavers: 'yes' }, { from: '/people' });
  assert.match(withLeavers.body, /Quillfeather/);
  assert.match(withLeavers.body, /1 person/);
  const byLink = await c.get('/people?kind=staff');
  assert.match(byLink.body, />5 people</);
  assert.match(byLink.body, /Harbour administrator/, 'roles are shown');
});

test('a teacher sees the list without links to records, and cannot open a record', async () => {
  const c = await signedIn(t.app, school.personas.teacher);
  const list = await c.get('/people');
  assert.equal(list.statusCode, 200);
  assert.match(list.body, /Pupil/);
  assert.doesNotMatch(list.body, /href="\/people\/[0-9a-f-]{36}"/);
  const record = await c.get(`/people/${school.pupilId}`);
  assert.equal(record.statusCode, 403);
});

test("opening a person's record shows it and writes a person.viewed audit entry", async () => {
  const c = await signedIn(t.app, school.personas.office);
  const before = await auditCount(school.id, 'person.viewed', school.pupilId);
  const res = await c.get(`/people/${school.pupilId}`);
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /5A/);
  assert.match(res.body, /4 March 2016/);
  assert.equal(await auditCount(school.id, 'person.viewed', school.pupilId), before + 1);
});

test("another school's person, and an id that is not one, are not found", async () => {
  const c = await signedIn(t.app, school.personas.office);
  const res = await c.get(`/people/${other.pupilId}`);
  assert.equal(res.statusCode, 404);
  assert.doesNotMatch(res.body, /2016/);
  assert.equal((await c.get(`/people/${other.pupilId}/edit`)).statusCode, 404);
  assert.equal((await c.post(`/people/${other.pupilId}/leaver`, {}, { from: '/people' })).statusCode, 404);
  assert.equal((await c.get('/people/not-an-id')).statusCode, 404);
  const left = (await t.db.query('select left_on from people where id = $1', [other.pupilId])).rows[0].left_on;
  assert.equal(left, null);
});

test('a person form with mistakes names each field and keeps what was typed', async () => {
  const c = await signedIn(t.app, school.personas.office);
  const res = await c.post('/people/new', {
    kind: 'pupil', given_name: 'Wren', family_name: '', email: 'wren-at-home', upn: 'Q1', date_of_birth: '31/02/2015', year_group: '14',
  }, { from: '/people/new' });
  assert.equal(res.statusCode, 400);
  for (const field of ['family_name', 'email', 'upn', 'date_of_birth', 'year_group']) assert.match(res.body, new RegExp(`href="#${field}"`));
  assert.match(res.body, /value="Wren"/);
  assert.match(res.body, /value="wren-at-home"/);
  assert.match(res.body, /value="31\/02\/2015"/);
});

test('adding a person with a role saves it and audits the field names, not the values', async () => {
  const c = await signedIn(t.app, school.personas.office);
  const res = await c.post('/people/new', { kind: 'staff', given_name: 'Ottoline', family_name: 'Sparrowhawk', email: 'o.sparrowhawk@school.test', roles: ['teacher', 'computing_lead'] }, { from: '/people/new' });
  assert.equal(res.statusCode, 303);
  const id = String(res.headers.location).split('/').pop()!;
  const roles = (await t.db.query('select role from role_assignments where person_id = $1 order by role', [id])).rows.map((r) => r.role);
  assert.deepEqual(roles, ['computing_lead', 'teacher']);
  const entry = (await t.db.query(`select detail from audit_events where action = 'person.created' and record_id = $1`, [id])).rows[0];
  assert.ok(entry.detail.fields.includes('family_name'));
  assert.ok(entry.detail.fields.includes('roles'));
  assert.doesNotMatch(JSON.stringify(entry.detail), /Sparrowhawk|sparrowhawk@/);
});

test('office staff cannot make someone the designated safeguarding lead; the headteacher can', async () => {
  const teacherId = school.personas.teacher.personId;
  const form = { kind: 'staff', given_name: 'teacher', family_name: 'Tester', email: school.personas.teacher.email, roles: ['teacher', 'designated_safeguarding_lead'] };
  const office = await signedIn(t.app, school.personas.office);
  const refused = await office.post(`/people/${teacherId}/edit`, form, { from: `/people/${teacherId}/edit` });
  assert.equal(refused.statusCode, 400);
  assert.match(refused.body, /href="#roles"/);
  assert.match(refused.body, /Only a headteacher or Harbour administrator can give or remove the role Designated safeguarding lead/);
  const held = async () => (await t.db.query('select role from role_assignments where person_id = $1 order by role', [teacherId])).rows.map((r) => r.role);
  assert.deepEqual(await held(), ['teacher']);

  const head = await signedIn(t.app, school.personas.headteacher);
  const ok = await head.post(`/people/${teacherId}/edit`, form, { from: `/people/${teacherId}/edit` });
  assert.equal(ok.statusCode, 303);
  assert.deepEqual(await held(), ['designated_safeguarding_lead', 'teacher']);
  const entry = (await t.db.query(`select detail from audit_events where action = 'person.updated' and record_id = $1 order by id desc limit 1`, [teacherId])).rows[0];
  assert.deepEqual(entry.detail.fields, ['roles']);

  // Nor may office staff take the role away again.
  const removal = await office.post(`/people/${teacherId}/edit`, { ...form, roles: ['teacher'] }, { from: `/people/${teacherId}/edit` });
  assert.equal(removal.statusCode, 400);
  assert.deepEqual(await held(), ['designated_safeguarding_lead', 'teacher']);
});

test('pupils and parents cannot be given roles', async () => {
  const c = await signedIn(t.app, school.personas.admin);
  const res = await c.post('/people/new', { kind: 'pupil', given_name: 'Ada', family_name: 'Pennyroyal', roles: 'teacher' }, { from: '/people/new' });
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /Only staff, governors and technicians can hold roles/);
});

test('a person marked as left can no longer sign in', async () => {
  const s = await makeSchool(t.db);
  const office = await signedIn(t.app, s.personas.office);
  const teacher = await signedIn(t.app, s.personas.teacher);
  assert.equal((await teacher.get('/dashboard')).statusCode, 200);
  const res = await office.post(`/people/${s.personas.teacher.personId}/leaver`, {}, { from: `/people/${s.personas.teacher.personId}` });
  assert.equal(res.statusCode, 303);
  const left = (await t.db.query('select left_on from people where id = $1', [s.personas.teacher.personId])).rows[0].left_on;
  assert.equal(left, (await t.db.query('select current_date::text as d')).rows[0].d);
  const after = await teacher.get('/dashboard');
  assert.notEqual(after.statusCode, 200);
  assert.doesNotMatch(after.body, new RegExp(s.name));
});

test("a person's record links the safeguarding lead to their incident chronology and technology access, and the office to neither", async () => {
  const s = await makeSchool(t.db);
  const dsl = await signedIn(t.app, s.personas.dsl);
  const page = await dsl.get(`/people/${s.pupilId}`);
  assert.equal(page.statusCode, 200);
  assert.match(page.body, new RegExp(`href="/incidents/people/${s.pupilId}"`));
  assert.match(page.body, new RegExp(`href="/technology-access/people/${s.pupilId}"`));
  assert.equal((await dsl.get(`/incidents/people/${s.pupilId}`)).statusCode, 200, 'the link leads somewhere');
  const office = await (await signedIn(t.app, s.personas.office)).get(`/people/${s.pupilId}`);
  assert.equal(office.statusCode, 200);
  assert.doesNotMatch(office.body, /\/incidents\/people\//);
});
