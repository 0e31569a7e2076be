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
async function upload(c: Awaited<ReturnType<typeof signedIn>>, csv: string) {
  const token = await c.csrf('/incidents/sanctions');
  const boundary = '----harbourtest';
  const payload = [`--${boundary}`, 'Content-Disposition: form-data; name="_csrf"', '', token,
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
