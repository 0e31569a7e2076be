import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, makeSchool, makeStaff, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';
import { schoolScope } from '../../platform/db/scope';
import { addIncidentRecords } from './testing';

let t: TestApp;
let school: TestSchool;
let incidentId: string;

before(async () => {
  t = await testApp();
  school = await makeSchool(t.db);
  // Handled by the DSL; the fixture's own task is due in 2030.
  incidentId = await addIncidentRecords(t.db, school.id, { reporterId: school.personas.teacher.personId, handlerId: school.personas.dsl.personId, pupilId: school.pupilId });
});
after(async () => {
  await t.close();
  await closeTestDb();
});

const overdueBlock = (body: string) => /id="overdue-tasks"[\s\S]*?<\/ul>/.exec(body)?.[0] ?? '';

test('an overdue follow-up task shows on the dashboard of its owner and of the handler, and goes once it is done', async () => {
  const dsl = await signedIn(t.app, school.personas.dsl);
  assert.equal(overdueBlock((await dsl.get('/dashboard')).body), '', 'a task not yet due is not shown');
  const res = await dsl.post(`/incidents/${incidentId}/tasks`, { k_description: 'Call the parents back', k_owner: school.personas.headteacher.personId, k_due: '2025-01-06' }, { from: `/incidents/${incidentId}` });
  assert.equal(res.statusCode, 303);
  const [task] = (await t.db.query(`select id from incident_tasks where incident_id = $1 and description = 'Call the parents back'`, [incidentId])).rows;

  const head = await signedIn(t.app, school.personas.headteacher);
  const mine = overdueBlock((await head.get('/dashboard')).body);
  assert.match(mine, /Call the parents back, due 6 January 2025/);
  assert.ok(mine.includes(`/incidents/${incidentId}#tasks`));
  const handler = overdueBlock((await dsl.get('/dashboard')).body);
  assert.match(handler, /Call the parents back/, 'the handler sees tasks on incidents they handle');
  assert.match(handler, /'s task\)/, "and whose task it is");
  const audited = (await t.db.query(`select count(*)::int as n from audit_events where school_id = $1 and action = 'incidents.overdue_tasks_shown'`, [school.id])).rows[0].n;
  assert.ok(audited >= 2);

  const teacher = await signedIn(t.app, school.personas.teacher);
  assert.equal(overdueBlock((await teacher.get('/dashboard')).body), '', 'the reporter does not see the tasks');

  await dsl.post(`/incidents/${incidentId}/tasks/${task.id}/done`, {}, { from: `/incidents/${incidentId}` });
  assert.equal(overdueBlock((await head.get('/dashboard')).body), '');
});

test("a task on a concern about the headteacher never shows on the headteacher's dashboard, even if it names them as owner", async () => {
  const chair = await makeStaff(t.db, school.id, ['chair_of_governors'], 'chair', 'governor');
  const other = await addIncidentRecords(t.db, school.id, { reporterId: school.personas.teacher.personId, handlerId: chair.personId, pupilId: school.pupilId, summary: 'About the head' });
  const scope = schoolScope(t.db, school.id);
  await scope.sql(`update incidents set concern_about_staff = true, concern_about_headteacher = true where school_id = :school and id = $1`, [other]);
  await scope.insert('incident_tasks', { incident_id: other, description: 'Speak to the LADO', owner_id: school.personas.headteacher.personId, due_on: '2025-02-01' });
  const head = await signedIn(t.app, school.personas.headteacher);
  assert.ok(!overdueBlock((await head.get('/dashboard')).body).includes('LADO'));
  const chairClient = await signedIn(t.app, chair);
  assert.match(overdueBlock((await chairClient.get('/dashboard')).body), /Speak to the LADO/);
});
