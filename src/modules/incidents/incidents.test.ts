import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, makeStaff, makeSchool, readOutbox, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';
import { addPerson } from '../schools/service';
import { createApiKey } from '../../platform/api/keys';
import { systemActor } from '../../platform/audit/audit';

let t: TestApp;
let school: TestSchool;
let pupilName: string;
const categoryId = async (code: string) => (await t.db.query('select id from incident_categories where school_id = $1 and code = $2', [school.id, code])).rows[0].id as string;
const outboxSince = (n: number) => readOutbox(t.outboxDir).slice(n);
const baseReport = (category: string) => ({ summary: 'Saw a pupil send unkind messages', occurred_date: new Date().toISOString().slice(0, 10), occurred_time: '10:15', location: 'Room 4', device: 'Laptop 7', came_to_light: 'staff_saw', category, concern_about: 'none', intent: 'submit' });

before(async () => {
  t = await testApp();
  school = await makeSchool(t.db);
  pupilName = (await t.db.query(`select given_name || ' ' || family_name as n from people where id = $1`, [school.pupilId])).rows[0].n;
  const dsl = await signedIn(t.app, school.personas.dsl);
  assert.equal((await dsl.get('/incidents/new')).statusCode, 200); // seeds the school's categories
});
after(async () => {
  await t.close();
  await closeTestDb();
});

test('a teacher finds a pupil by name through the form, reports, and the leads get a link with nothing sensitive in it', async () => {
  const c = await signedIn(t.app, school.personas.teacher);
  const form = await c.get('/incidents/new');
  assert.equal(form.statusCode, 200);
  assert.match(form.body, /do not open it again, copy it/);
  const cat = await categoryId('cyberbullying');
  const found = await c.post('/incidents/new', { ...baseReport(cat), intent: 'find', find_name: pupilName.split(' ')[1], find_role: 'alleged' }, { from: '/incidents/new' });
  assert.equal(found.statusCode, 200);
  assert.match(found.body, new RegExp(`value="${school.pupilId}"`));
  assert.match(found.body, /Saw a pupil send unkind messages/, 'what was typed is kept while finding people');
  const added = await c.post('/incidents/new', { ...baseReport(cat), add_person: school.pupilId, find_role: 'alleged' });
  assert.match(added.body, new RegExp(`name="people" value="${school.pupilId}:alleged"`));
  const before = readOutbox(t.outboxDir).length;
  const res = await c.post('/incidents/new', { ...baseReport(cat), people: `${school.pupilId}:alleged` });
  assert.equal(res.statusCode, 200);
  const reference = /INC-\d{4}-\d{4}/.exec(res.body)?.[0];
  assert.ok(reference, 'the reference is shown');
  const row = (await t.db.query('select * from incidents where school_id = $1 and reference = $2', [school.id, reference])).rows[0];
  assert.equal(row.reported_by, school.personas.teacher.personId);
  assert.equal(row.location, 'Room 4');
  const people = (await t.db.query('select person_id, role from incident_people where incident_id = $1', [row.id])).rows;
  assert.deepEqual(people, [{ person_id: school.pupilId, role: 'alleged' }]);
  const mail = outboxSince(before);
  assert.deepEqual(mail.map((m) => m.to), [school.personas.dsl.email]);
  assert.ok(mail[0].text.includes(`/incidents/${row.id}`));
  for (const secret of [pupilName, 'unkind', 'Cyberbullying', 'Room 4', school.personas.teacher.email]) {
    assert.ok(!mail[0].text.includes(secret) && !mail[0].subject.includes(secret), `the email does not mention ${secret}`);
  }
  const audited = (await t.db.query(`select count(*)::int as n from audit_events where record_id = $1 and action = 'incident.reported'`, [row.id])).rows[0].n;
  assert.equal(audited, 1);
});

test('a report missing its facts is refused naming each field, and keeps what was typed', async () => {
  const c = await signedIn(t.app, school.personas.teacher);
  const res = await c.post('/incidents/new', { summary: 'Half a report', occurred_date: '2026-02-30', category: '', came_to_light: '', concern_about: 'none', intent: 'submit' }, { from: '/incidents/new' });
  assert.equal(res.statusCode, 400);
  for (const field of ['occurred_date', 'category', 'came_to_light']) assert.match(res.body, new RegExp(`href="#${field}"`));
  assert.match(res.body, /Half a report/);
});

test('suspected illegal material needs where the device is held, and the form and receipt say not to open, copy or forward it', async () => {
  const c = await signedIn(t.app, school.personas.teacher);
  const cat = await categoryId('child_sexual_abuse_imagery');
  const refused = await c.post('/incidents/new', { ...baseReport(cat) }, { from: '/incidents/new' });
  assert.equal(refused.statusCode, 400);
  assert.match(refused.body, /href="#device_held_at"/);
  const ok = await c.post('/incidents/new', { ...baseReport(cat), device_held_at: 'Switched off, locked in the head’s office' }, { from: '/incidents/new' });
  assert.equal(ok.statusCode, 200);
  assert.match(ok.body, /Do not open, copy, forward/);
  const row = (await t.db.query(`select device_held_at from incidents where school_id = $1 and category_id = $2`, [school.id, cat])).rows[0];
  assert.match(row.device_held_at, /locked/);
});

test('references count up per school and year', async () => {
  const other = await makeSchool(t.db);
  const { addIncidentRecords } = await import('./testing');
  await addIncidentRecords(t.db, other.id, { reporterId: other.personas.teacher.personId, handlerId: other.personas.dsl.personId, pupilId: other.pupilId });
  await addIncidentRecords(t.db, other.id, { reporterId: other.personas.teacher.personId, handlerId: other.personas.dsl.personId, pupilId: other.pupilId });
  const refs = (await t.db.query('select reference from incidents where school_id = $1 order by reference', [other.id])).rows.map((r) => r.reference);
  const y = new Date().getFullYear();
  assert.deepEqual(refs, [`INC-${y}-0001`, `INC-${y}-0002`]);
});

test('a concern about the headteacher goes to the chair of governors, and the headteacher cannot see it at all', async () => {
  const s = await makeSchool(t.db);
  const chair = await makeStaff(t.db, s.id, ['chair_of_governors'], 'chair', 'governor');
  const boot = await signedIn(t.app, s.personas.dsl);
  await boot.get('/incidents/new');
  const cat = (await t.db.query(`select id from incident_categories where school_id = $1 and code = 'disrepute'`, [s.id])).rows[0].id;
  const teacher = await signedIn(t.app, s.personas.teacher);
  const before = readOutbox(t.outboxDir).length;
  const res = await teacher.post('/incidents/new', { ...baseReport(cat), concern_about: 'headteacher', people: `${s.personas.headteacher.personId}:alleged` }, { from: '/incidents/new' });
  assert.equal(res.statusCode, 200);
  const id = (await t.db.query('select id, reference from incidents where school_id = $1', [s.id])).rows[0];
  const to = outboxSince(before).map((m) => m.to).sort();
  assert.deepEqual(to, [chair.email, s.personas.dsl.email].sort());
  const head = await signedIn(t.app, s.personas.headteacher);
  assert.equal((await head.get(`/incidents/${id.id}`)).statusCode, 404);
  const list = await head.get('/incidents');
  assert.equal(list.statusCode, 200);
  assert.ok(!list.body.includes(id.reference), 'not even in the list');
  const chairClient = await signedIn(t.app, chair);
  const seen = await chairClient.get(`/incidents/${id.id}`);
  assert.equal(seen.statusCode, 200);
  assert.match(seen.body, /chair of governors and the LADO/);
});

test('a concern about a member of staff is emailed to the headteacher as well as the leads', async () => {
  const cat = await categoryId('disrepute');
  const c = await signedIn(t.app, school.personas.office);
  const before = readOutbox(t.outboxDir).length;
  await c.post('/incidents/new', { ...baseReport(cat), concern_about: 'staff', people: `${school.personas.itProvider.personId}:alleged` }, { from: '/incidents/new' });
  assert.deepEqual(outboxSince(before).map((m) => m.to).sort(), [school.personas.dsl.email, school.personas.headteacher.email].sort());
});

test('the reporter sees only that the report was received and its status; the view is audited', async () => {
  const c = await signedIn(t.app, school.personas.teacher);
  const [row] = (await t.db.query(`select id, reference from incidents where school_id = $1 and reported_by = $2 order by reported_at limit 1`, [school.id, school.personas.teacher.personId])).rows;
  const res = await c.get(`/incidents/${row.id}`);
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /Reported/);
  assert.ok(!res.body.includes('unkind messages') && !res.body.includes(pupilName), 'no details or names');
  const audited = (await t.db.query(`select detail from audit_events where record_id = $1 and action = 'incident.viewed' order by seq desc limit 1`, [row.id])).rows[0];
  assert.equal(audited.detail.access, 'receipt');
});

test('the DSL triages with a reason, follows the recommended actions, refers or records why not, adds a task and closes', async () => {
  const dsl = await signedIn(t.app, school.personas.dsl);
  const [row] = (await t.db.query(`select id from incidents where school_id = $1 and reported_by = $2 order by reported_at limit 1`, [school.id, school.personas.teacher.personId])).rows;
  const url = `/incidents/${row.id}`;
  const page = await dsl.get(url);
  assert.match(page.body, /Unkind messages|unkind messages/);
  const viewed = (await t.db.query(`select detail from audit_events where record_id = $1 and action = 'incident.viewed' order by seq desc limit 1`, [row.id])).rows[0];
  assert.equal(viewed.detail.access, 'full');
  const learnerType = (await t.db.query(`select id from sanction_incident_types where school_id = $1 and subject = 'learner' and label like 'Sending an offensive%'`, [school.id])).rows[0].id;

  const noReason = await dsl.post(`${url}/triage`, { t_severity: 'medium', t_status: 'triaged', t_handler: school.personas.dsl.personId, t_learner_type: learnerType, t_reason: '' }, { from: url });
  assert.equal(noReason.statusCode, 400);
  assert.match(noReason.body, /href="#t_reason"/);
  const triaged = await dsl.post(`${url}/triage`, { t_severity: 'medium', t_status: 'triaged', t_handler: school.personas.dsl.personId, t_learner_type: learnerType, t_reason: 'Unkind but not criminal: school procedures' }, { from: url });
  assert.equal(triaged.statusCode, 303);
  const action = (await t.db.query(`select reason, detail from incident_actions where incident_id = $1 and kind = 'triage'`, [row.id])).rows[0];
  assert.equal(action.reason, 'Unkind but not criminal: school procedures');
  assert.equal(action.detail.severity, 'medium');

  const afterTriage = await dsl.get(url);
  for (const a of ['Inform parents or carers', 'Issue a warning', 'Further sanction under the behaviour policy']) assert.ok(afterTriage.body.includes(a), `checklist shows ${a}`);
  const actions = new Map((await t.db.query(`select a.label, a.id from sanction_recommendations r join sanction_actions a on a.id = r.action_id where r.incident_type_id = $1`, [learnerType])).rows.map((r) => [r.label, r.id]));
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());

  const parentsNoHow = await dsl.post(`${url}/actions`, { a_action: actions.get('Inform parents or carers')!, a_person: school.pupilId, a_taken: 'yes', a_on: today }, { from: url });
  assert.equal(parentsNoHow.statusCode, 400);
  assert.match(parentsNoHow.body, /href="#a_informed_how"/);
  const parents = await dsl.post(`${url}/actions`, { a_action: actions.get('Inform parents or carers')!, a_person: school.pupilId, a_taken: 'yes', a_on: today, a_informed_how: 'phone', a_informed_by: school.personas.dsl.personId }, { from: url });
  assert.equal(parents.statusCode, 303);
  const removal = await dsl.post(`${url}/actions`, { a_action: actions.get('Remove device, network or internet access')!, a_person: school.pupilId, a_taken: 'yes', a_on: today, a_access_until: '2099-12-31' }, { from: url });
  assert.equal(removal.statusCode, 303);
  const decision = (await t.db.query(`select status, reason_kind, ends_on, source_id from technology_access_decisions where school_id = $1 and person_id = $2 and source_type = 'incident'`, [school.id, school.pupilId])).rows[0];
  assert.deepEqual(decision, { status: 'withdrawn', reason_kind: 'incident_sanction', ends_on: '2099-12-31', source_id: row.id });
  const declinedNoReason = await dsl.post(`${url}/actions`, { a_action: actions.get('Issue a warning')!, a_person: school.pupilId, a_taken: 'no', a_on: today }, { from: url });
  assert.equal(declinedNoReason.statusCode, 400);
  assert.match(declinedNoReason.body, /href="#a_reason"/);

  const notReferredNoReason = await dsl.post(`${url}/referrals`, { r_decision: 'not_referred', r_agency: 'police' }, { from: url });
  assert.equal(notReferredNoReason.statusCode, 400);
  assert.match(notReferredNoReason.body, /href="#r_reason"/);
  assert.equal((await dsl.post(`${url}/referrals`, { r_decision: 'not_referred', r_agency: 'police', r_reason: 'No offence' }, { from: url })).statusCode, 303);
  assert.equal((await dsl.post(`${url}/tasks`, { k_description: 'Check in with the pupil', k_owner: school.personas.dsl.personId, k_due: '2000-01-01' }, { from: url })).statusCode, 303);
  const withTask = await dsl.get('/incidents');
  assert.match(withTask.body, /Check in with the pupil/);
  assert.match(withTask.body, /Overdue/);

  const closeEmpty = await dsl.post(`${url}/close`, { c_outcome: '' }, { from: url });
  assert.equal(closeEmpty.statusCode, 400);
  assert.match(closeEmpty.body, /href="#c_outcome"/);
  assert.equal((await dsl.post(`${url}/close`, { c_outcome: 'Warned, parents told', c_feedback: 'Told the reporter it was dealt with', c_lessons: 'More on kindness online in year 5', c_changes: ['curriculum'] }, { from: url })).statusCode, 303);
  const closed = (await t.db.query('select status, changes_needed, closed_at from incidents where id = $1', [row.id])).rows[0];
  assert.equal(closed.status, 'closed');
  assert.deepEqual(closed.changes_needed, ['curriculum']);
});

test("a pupil sanctioned before is flagged as a continued infringement, and their chronology lists it all in order", async () => {
  const dsl = await signedIn(t.app, school.personas.dsl);
  const teacher = await signedIn(t.app, school.personas.teacher);
  await teacher.post('/incidents/new', { ...baseReport(await categoryId('filter_bypass')), people: `${school.pupilId}:alleged` }, { from: '/incidents/new' });
  const [latest] = (await t.db.query(`select id from incidents where school_id = $1 order by reported_at desc limit 1`, [school.id])).rows;
  const page = await dsl.get(`/incidents/${latest.id}`);
  assert.match(page.body, /Continued infringement/);
  const [row] = (await t.db.query(`select label from sanction_incident_types where school_id = $1 and subject = 'learner' and continued_infringement order by position limit 1`, [school.id])).rows;
  assert.ok(page.body.includes(`The sanctions matrix has a row for this: &ldquo;${row.label}&rdquo;`), 'the flag points to the matrix row for continued infringements');
  const chronology = await dsl.get(`/incidents/people/${school.pupilId}`);
  assert.equal(chronology.statusCode, 200);
  assert.match(chronology.body, /Inform parents or carers/);
  const firstAt = chronology.body.indexOf('Cyberbullying');
  const laterAt = chronology.body.indexOf('Getting round the filtering');
  assert.ok(firstAt > 0 && laterAt > firstAt, 'in date order');
  const audited = (await t.db.query(`select count(*)::int as n from audit_events where record_id = $1 and action = 'person.incident_chronology_viewed'`, [school.pupilId])).rows[0].n;
  assert.ok(audited >= 1);
  const other = await makeSchool(t.db);
  assert.equal((await dsl.get(`/incidents/people/${other.pupilId}`)).statusCode, 404);
});

test('a teacher who is not involved cannot open an incident, and cannot triage one', async () => {
  const bystander = await makeStaff(t.db, school.id, ['teacher'], 'bystander');
  const c = await signedIn(t.app, bystander);
  const [row] = (await t.db.query(`select id from incidents where school_id = $1 limit 1`, [school.id])).rows;
  assert.equal((await c.get(`/incidents/${row.id}`)).statusCode, 404);
  assert.equal((await c.post(`/incidents/${row.id}/triage`, { t_severity: 'low' }, { from: '/incidents' })).statusCode, 403);
  assert.equal((await c.post(`/incidents/${row.id}/actions`, { a_action: 'note', a_taken: 'yes', a_on: '2026-01-01', a_notes: 'x' }, { from: '/incidents' })).statusCode, 404);
});

test('the API reports an incident with a write key and lists bare facts with a read key, never staff concerns', async () => {
  const write = await createApiKey(t.db, school.id, 'Filter', ['incidents:write'], systemActor, null);
  const read = await createApiKey(t.db, school.id, 'Reader', ['incidents:read'], systemActor, null);
  const body = { summary: 'Blocked search terms', occurred_at: new Date(Date.now() - 60_000).toISOString(), category: 'inappropriate_website', website_url: 'http://example.test' };
  const denied = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { authorization: `Bearer ${read.key}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  assert.equal(denied.statusCode, 403);
  const bad = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { authorization: `Bearer ${write.key}`, 'content-type': 'application/json' }, payload: JSON.stringify({ ...body, category: 'nope' }) });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().parameter, 'category');
  const made = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { authorization: `Bearer ${write.key}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  assert.equal(made.statusCode, 201);
  assert.match(made.json().reference, /^INC-\d{4}-\d{4}$/);
  const list = await t.app.inject({ method: 'GET', url: '/api/v1/incidents?limit=200', headers: { authorization: `Bearer ${read.key}` } });
  assert.equal(list.statusCode, 200);
  const refs = list.json().incidents.map((i: any) => i.reference);
  assert.ok(refs.includes(made.json().reference));
  const staffConcerns = (await t.db.query('select reference from incidents where school_id = $1 and concern_about_staff', [school.id])).rows.map((r) => r.reference);
  assert.ok(staffConcerns.length > 0);
  for (const r of staffConcerns) assert.ok(!refs.includes(r), 'staff concerns are not given to other systems');
  assert.ok(!list.body.includes(pupilName) && !list.body.includes('unkind'), 'no names or details');
  const [read_] = (await t.db.query(`select actor_label, detail from audit_events where school_id = $1 and action = 'api.incidents_read' order by seq desc limit 1`, [school.id])).rows;
  assert.ok(read_, 'the read is in the audit trail');
  assert.equal(read_.detail.count, refs.length);
  assert.equal(read_.detail.limit, 200);
  assert.match(read_.actor_label, /Reader/);
  const doc = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
  assert.ok(doc.json().paths['/incidents'].post && doc.json().paths['/incidents'].get);
});

test("the safeguarding lead finds a pupil's chronology by name, with the name never in a URL; a teacher cannot", async () => {
  const dsl = await signedIn(t.app, school.personas.dsl);
  const page = await dsl.get('/incidents/people');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<form method="post" action="\/incidents\/people"/);
  const short = await dsl.post('/incidents/people', { name: 'P' }, { from: '/incidents/people' });
  assert.equal(short.statusCode, 400);
  assert.match(short.body, /href="#name"[^>]*>Enter at least two letters of the name/);
  const found = await dsl.post('/incidents/people', { name: pupilName.split(' ')[1] }, { from: '/incidents/people' });
  assert.equal(found.statusCode, 200);
  assert.ok(found.body.includes(`href="/incidents/people/${school.pupilId}">${pupilName}</a>`));
  const parentName = (await t.db.query(`select family_name from people where id = $1`, [school.parentId])).rows[0].family_name;
  assert.ok(!(await dsl.post('/incidents/people', { name: parentName }, { from: '/incidents/people' })).body.includes(`/incidents/people/${school.parentId}`), 'parents have no chronology');
  const teacher = await signedIn(t.app, school.personas.teacher);
  assert.equal((await teacher.get('/incidents/people')).statusCode, 403);
});
