import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { closeTestDb, makeSchool, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';

let t: TestApp;
let school: TestSchool;
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('a screenshot of unkind messages, pretend pixels')]);
const categoryId = async (code: string) => (await t.db.query('select id from incident_categories where school_id = $1 and code = $2', [school.id, code])).rows[0].id as string;

before(async () => {
  t = await testApp();
  school = await makeSchool(t.db);
  const dsl = await signedIn(t.app, school.personas.dsl);
  assert.equal((await dsl.get('/incidents/new')).statusCode, 200);
});
after(async () => {
  await t.close();
  await closeTestDb();
});

type C = Awaited<ReturnType<typeof signedIn>>;
/** Sends a report as the teacher and returns its id. */
async function report(c: C, code: string, extra: Record<string, string> = {}) {
  const res = await c.post('/incidents/new', {
    summary: 'Messages in a class chat', occurred_date: new Date().toISOString().slice(0, 10), came_to_light: 'staff_saw',
    category: await categoryId(code), concern_about: 'none', intent: 'submit', ...extra,
  }, { from: '/incidents/new' });
  assert.equal(res.statusCode, 200, res.body.slice(0, 500));
  return /\/incidents\/([0-9a-f-]{36})/.exec(res.body)![1];
}

/** Uploads a file as a browser does: multipart, with the CSRF token of the incident's page. */
async function upload(c: C, incidentId: string, filename: string, data: Buffer) {
  const token = await c.csrf(`/incidents/${incidentId}`);
  const boundary = '----harbourevidence';
  const payload = Buffer.concat([
    Buffer.from([`--${boundary}`, 'Content-Disposition: form-data; name="_csrf"', '', token,
      `--${boundary}`, `Content-Disposition: form-data; name="evidence"; filename="${filename}"`, 'Content-Type: application/octet-stream', '', ''].join('\r\n')),
    data, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return t.app.inject({ method: 'POST', url: `/incidents/${incidentId}/evidence`, payload, headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': `multipart/form-data; boundary=${boundary}` } });
}

test('the reporter uploads evidence: it is stored encrypted with its SHA-256, and the safeguarding lead downloads it as an attachment, audited', async () => {
  const teacher = await signedIn(t.app, school.personas.teacher);
  const id = await report(teacher, 'cyberbullying');
  const res = await upload(teacher, id, 'chat.png', png);
  assert.equal(res.statusCode, 303, res.body.slice(0, 300));
  const [row] = (await t.db.query('select * from incident_evidence where incident_id = $1', [id])).rows;
  assert.equal(row.sha256, createHash('sha256').update(png).digest('hex'));
  assert.equal(row.content_type, 'image/png');
  const onDisk = readFileSync(join(t.outboxDir, 'evidence', school.id, `${row.id}.bin`));
  assert.ok(!onDisk.includes(Buffer.from('unkind messages')), 'the file on disk is encrypted');

  // The reporter sees only the receipt: no list of files, and no download.
  assert.equal((await teacher.get(`/incidents/${id}/evidence/${row.id}`)).statusCode, 404);
  const dsl = await signedIn(t.app, school.personas.dsl);
  const page = await dsl.get(`/incidents/${id}`);
  assert.match(page.body, new RegExp(`/incidents/${id}/evidence/${row.id}`));
  const dl = await dsl.get(`/incidents/${id}/evidence/${row.id}`);
  assert.equal(dl.statusCode, 200);
  assert.deepEqual(dl.rawPayload, png);
  assert.match(String(dl.headers['content-disposition']), /^attachment; filename="chat.png"/);
  assert.equal(dl.headers['x-content-type-options'], 'nosniff');
  assert.equal(dl.headers['content-type'], 'application/octet-stream');
  const audits = (await t.db.query(`select action from audit_events where record_id = $1 and action like 'incident.evidence%' order by at`, [id])).rows.map((r) => r.action);
  assert.deepEqual(audits, ['incident.evidence_added', 'incident.evidence_downloaded']);
});

test('a file whose content is not what its name says, or too large, is refused naming the field', async () => {
  const teacher = await signedIn(t.app, school.personas.teacher);
  const id = await report(teacher, 'cyberbullying');
  const fake = await upload(teacher, id, 'page.png', Buffer.from('<html><script>alert(1)</script></html>'));
  assert.equal(fake.statusCode, 400);
  assert.match(fake.body, /href="#evidence"/);
  assert.match(fake.body, /The file must be one of/);
  const big = await upload(teacher, id, 'big.txt', Buffer.alloc(10 * 1024 * 1024 + 10, 'a'));
  assert.equal(big.statusCode, 400);
  assert.match(big.body, /smaller than 10 MB/);
  assert.equal((await t.db.query('select count(*)::int as n from incident_evidence where incident_id = $1', [id])).rows[0].n, 0);
});

test('evidence is refused for suspected illegal material, and the page says why instead of offering an upload', async () => {
  const teacher = await signedIn(t.app, school.personas.teacher);
  const id = await report(teacher, 'child_sexual_abuse_imagery', { device_held_at: 'Switched off in the office safe' });
  const page = await teacher.get(`/incidents/${id}`);
  assert.match(page.body, /cannot be uploaded for suspected illegal material/);
  assert.doesNotMatch(page.body, /type="file"/);
  const before = readdirSync(t.outboxDir, { recursive: true }).length;
  const res = await upload(teacher, id, 'chat.png', png);
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /cannot be uploaded for suspected illegal material/);
  assert.equal(readdirSync(t.outboxDir, { recursive: true }).length, before, 'nothing was written to disk');
  assert.equal((await t.db.query('select count(*)::int as n from incident_evidence where incident_id = $1', [id])).rows[0].n, 0);
});

test("another school's evidence is not found", async () => {
  const other = await makeSchool(t.db);
  const teacher = await signedIn(t.app, school.personas.teacher);
  const id = await report(teacher, 'cyberbullying');
  assert.equal((await upload(teacher, id, 'chat.png', png)).statusCode, 303);
  const [row] = (await t.db.query('select id from incident_evidence where incident_id = $1', [id])).rows;
  const dsl = await signedIn(t.app, other.personas.dsl);
  assert.equal((await dsl.get(`/incidents/${id}/evidence/${row.id}`)).statusCode, 404);
});
