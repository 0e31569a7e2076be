import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, makeSchool, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';
import { defaultLearnerMatrix, defaultStaffMatrix } from './defaults';
import { MatrixCsvError, exportMatrixCsv, importMatrix, parseMatrixCsv } from './matrix';

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

/** Posts a CSV file to the import form as a browser does (multipart, with the page's CSRF token). */
async function upload(c: Awaited<ReturnType<typeof signedIn>>, csv: string, subject = '') {
  const token = await c.csrf('/incidents/sanctions');
  const boundary = '----harbourtest';
  const payload = [`--${boundary}`, 'Content-Disposition: form-data; name="_csrf"', '', token,
    `--${boundary}`, 'Content-Disposition: form-data; name="subject"', '', subject,
    `--${boundary}`, 'Content-Disposition: form-data; name="file"; filename="matrix.csv"', 'Content-Type: text/csv', '', csv, `--${boundary}--`, ''].join('\r\n');
  return t.app.inject({ method: 'POST', url: '/incidents/sanctions/import', payload, headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': `multipart/form-data; boundary=${boundary}` } });
}

test('the default matrices export in exactly the import shape, and come back unchanged', async () => {
  const s = await makeSchool(t.db);
  await t.db.transaction((tx) => importMatrix(tx, s.id, parseMatrixCsv(defaultLearnerMatrix)));
  await t.db.transaction((tx) => importMatrix(tx, s.id, parseMatrixCsv(defaultStaffMatrix)));
  const learner = await exportMatrixCsv(t.db, s.id, 'learner');
  assert.equal(learner.replace(/\r\n/g, '\n'), defaultLearnerMatrix);
  assert.equal((await exportMatrixCsv(t.db, s.id, 'staff')).replace(/\r\n/g, '\n'), defaultStaffMatrix);
  const both = await exportMatrixCsv(t.db, s.id, 'both');
  assert.match(both.split('\r\n')[0], /^subject,incident,Refer to class teacher,/);
  // A file of both subjects imports too, each subject keeping the columns it marks.
  const parsed = parseMatrixCsv(both);
  assert.equal(parsed.subjects.learner!.rows.length, 13);
  assert.equal(parsed.subjects.staff!.rows.length, 16);
  assert.ok(parsed.subjects.staff!.actions.includes('Suspension') && !parsed.subjects.learner!.actions.includes('Suspension'));
});

test("a policy's own table, ticked and with a byte order mark, imports as it is", () => {
  const csv = '\uFEFFSubject,Incident,Refer to class teacher,Warning\nlearner,Unauthorised use of a mobile phone,✓,\nLearner,Sharing passwords,,X\n';
  const parsed = parseMatrixCsv(csv);
  assert.deepEqual(parsed.subjects.learner, { actions: ['Refer to class teacher', 'Warning'], rows: [
    { incident: 'Unauthorised use of a mobile phone', recommended: ['Refer to class teacher'] },
    { incident: 'Sharing passwords', recommended: ['Warning'] },
  ] });
});

test('bad rows are named by line: a wrong subject, an unknown mark, a repeated incident, too many columns', () => {
  const csv = 'subject,incident,Warn\nparent,Something,x\nlearner,A,maybe\nlearner,B,x\nlearner,b,x\nlearner,C,x,x\n';
  assert.throws(() => parseMatrixCsv(csv), (e: MatrixCsvError) => {
    assert.deepEqual(e.problems, [
      'Line 2: the subject must be learner or staff, not "parent"',
      'Line 3: under "Warn" put x or leave it empty, not "maybe"',
      'Line 5: the learner incident "b" appears twice',
      'Line 6: it has 4 columns but the header has 3',
    ]);
    return true;
  });
  assert.throws(() => parseMatrixCsv('type,what,Warn\n'), /Line 1: the header must begin with the columns subject,incident/);
});

test('a lead imports a matrix in the browser, bad files are explained line by line, and the export neutralises formulas', async () => {
  const c = await signedIn(t.app, school.personas.dsl);
  const bad = await upload(c, 'subject,incident,Warn\nparent,Something,x\n');
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /Line 2: the subject must be learner or staff/);
  const ok = await upload(c, 'subject,incident,Warn,=1+2\nlearner,Phones in class,x,x\n');
  assert.equal(ok.statusCode, 303);
  const page = await c.get('/incidents/sanctions');
  assert.match(page.body, /Phones in class/);
  const csv = await c.get('/incidents/sanctions/export.csv?subject=learner');
  assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
  assert.match(csv.body, /^subject,incident,Warn,'=1\+2\r\nlearner,Phones in class,x,x\r\n$/);
  // The staff matrix was not in the file, so it is still the default.
  assert.match((await c.get('/incidents/sanctions/export.csv?subject=staff')).body, /Suspension/);
  const teacher = await signedIn(t.app, school.personas.teacher);
  assert.equal((await teacher.get('/incidents/sanctions')).statusCode, 403);
});

test('a lead edits the matrix in the browser by ticking cells', async () => {
  const c = await signedIn(t.app, school.personas.dsl);
  await c.get('/incidents/sanctions');
  const [row] = (await t.db.query(`select id from sanction_incident_types where school_id = $1 and subject = 'staff' and not retired order by position limit 1`, [school.id])).rows;
  const [action] = (await t.db.query(`select id from sanction_actions where school_id = $1 and subject = 'staff' and label = 'Refer to line manager'`, [school.id])).rows;
  const res = await c.post('/incidents/sanctions/edit', { subject: 'staff', cell: [`${row.id}:${action.id}`] }, { from: '/incidents/sanctions' });
  assert.equal(res.statusCode, 303);
  const cells = (await t.db.query(`select r.action_id from sanction_recommendations r join sanction_incident_types t on t.id = r.incident_type_id where t.school_id = $1 and t.subject = 'staff'`, [school.id])).rows;
  assert.deepEqual(cells, [{ action_id: action.id }]);
});

test("a policy's own heading for the incident column is accepted, with or without a subject column", () => {
  for (const heading of ['Incidents:', 'Incident', 'INCIDENTS', 'incident :']) {
    const parsed = parseMatrixCsv(`subject,${heading},Warn,Tell parents\nlearner,Phones in class,x,\n`);
    assert.deepEqual(parsed.subjects.learner!.rows, [{ incident: 'Phones in class', recommended: ['Warn'] }], heading);
  }
  // Straight from the policy's table: no subject column, so the importer says whose it is.
  const table = 'Incidents:,Refer to line manager,Issue a warning\n"Using personal email to contact learners",x,x\n';
  assert.throws(() => parseMatrixCsv(table), (e: MatrixCsvError) => /no subject column/.test(e.problems[0]));
  const parsed = parseMatrixCsv(table, 'staff');
  assert.deepEqual(parsed.subjects.staff!.actions, ['Refer to line manager', 'Issue a warning']);
  assert.deepEqual(parsed.subjects.staff!.rows, [{ incident: 'Using personal email to contact learners', recommended: ['Refer to line manager', 'Issue a warning'] }]);
  assert.throws(() => parseMatrixCsv('subject,Incidents so far,Warn\nlearner,x,x\n'), MatrixCsvError, 'another heading is still refused');
});

test('a table straight from a policy imports in the browser when its subject is chosen', async () => {
  const s = await makeSchool(t.db);
  const c = await signedIn(t.app, s.personas.dsl);
  const table = 'Incidents:,Refer to headteacher,Issue a warning\nUsing a phone in an exam,x,x\n';
  const refused = await upload(c, table);
  assert.equal(refused.statusCode, 400);
  assert.match(refused.body, /no subject column/);
  const ok = await upload(c, table, 'staff');
  assert.equal(ok.statusCode, 303);
  assert.match(await exportMatrixCsv(t.db, s.id, 'staff'), /^subject,incident,Refer to headteacher,Issue a warning\r\nstaff,Using a phone in an exam,x,x/);
});

test('rows and columns are added to each matrix in the browser, refusing an empty or repeated name', async () => {
  const s = await makeSchool(t.db);
  const c = await signedIn(t.app, s.personas.dsl);
  const page = await c.get('/incidents/sanctions');
  assert.match(page.body, /<label class="govuk-label" for="learner_row">/);
  assert.match(page.body, /<label class="govuk-label" for="staff_action">/);
  const empty = await c.post('/incidents/sanctions/rows', { subject: 'learner', learner_row: ' ' }, { from: '/incidents/sanctions' });
  assert.equal(empty.statusCode, 400);
  assert.match(empty.body, /href="#learner_row"/);
  const row = await c.post('/incidents/sanctions/rows', { subject: 'learner', learner_row: 'Sharing AI-made images of classmates' }, { from: '/incidents/sanctions' });
  assert.equal(row.statusCode, 303);
  const again = await c.post('/incidents/sanctions/rows', { subject: 'learner', learner_row: 'sharing ai-made images of classmates' }, { from: '/incidents/sanctions' });
  assert.equal(again.statusCode, 400);
  assert.match(again.body, /href="#learner_row">The learners matrix already has an incident type called/);
  assert.equal((await c.post('/incidents/sanctions/actions', { subject: 'staff', staff_action: 'Inform the trust' }, { from: '/incidents/sanctions' })).statusCode, 303);
  const dup = await c.post('/incidents/sanctions/actions', { subject: 'staff', staff_action: 'Issue a warning' }, { from: '/incidents/sanctions' });
  assert.equal(dup.statusCode, 400);
  assert.match(dup.body, /href="#staff_action"/);
  assert.equal((await c.post('/incidents/sanctions/actions', { subject: 'nobody', nobody_action: 'x' }, { from: '/incidents/sanctions' })).statusCode, 404);
  const learner = await exportMatrixCsv(t.db, s.id, 'learner');
  assert.match(learner.trim().split('\r\n').at(-1)!, /^learner,Sharing AI-made images of classmates,*$/, 'the new row comes last, with nothing ticked yet');
  const staffHeader = (await exportMatrixCsv(t.db, s.id, 'staff')).split('\r\n')[0];
  assert.ok(staffHeader.endsWith(',Inform the trust'), 'the new column comes last');
  assert.ok(!learner.split('\r\n')[0].includes('Inform the trust'), 'only in the staff matrix');
  // A teacher cannot.
  const teacher = await signedIn(t.app, s.personas.teacher);
  assert.equal((await teacher.post('/incidents/sanctions/rows', { subject: 'learner', learner_row: 'Anything' }, { from: '/incidents/new' })).statusCode, 403);
});
