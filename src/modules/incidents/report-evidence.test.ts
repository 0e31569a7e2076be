// Evidence files chosen on the report form itself: sent in one go, kept with the draft through a
// validation error, refused for suspected illegal material, and deleted with a discarded draft.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { closeTestDb, makeSchool, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';
import { exportSchool, removeTemporaryArchive } from '../archive/service';

let t: TestApp;
let school: TestSchool;
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('pretend pixels of a hurtful group chat')]);
const notes = Buffer.from('Typed notes of what the pupil read out from the messages');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const categoryId = async (code: string) => (await t.db.query('select id from incident_categories where school_id = $1 and code = $2', [school.id, code])).rows[0].id as string;
const onDisk = (id: string) => join(t.outboxDir, 'evidence', school.id, `${id}.bin`);

before(async () => {
  t = await testApp();
  school = await makeSchool(t.db);
  assert.equal((await (await signedIn(t.app, school.personas.dsl)).get('/incidents/new')).statusCode, 200);
});
after(async () => {
  await t.close();
  await closeTestDb();
});

type C = Awaited<ReturnType<typeof signedIn>>;
type File = { name: string; data: Buffer };

/** Posts the report form as a browser does: multipart, every field and each chosen file (an empty input sends an empty part). */
async function postReport(c: C, fields: Record<string, string | string[]>, files: File[], from = '/incidents/new', csrf?: string) {
  const token = csrf ?? (await c.csrf(from));
  const boundary = '----harbourreport';
  const parts: Buffer[] = [];
  const field = (name: string, value: string) => parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  field('_csrf', token);
  for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) field(k, x);
  for (const f of files.length ? files : [{ name: '', data: Buffer.alloc(0) }]) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="evidence"; filename="${f.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`), f.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  const res = await t.app.inject({ method: 'POST', url: '/incidents/new', payload: Buffer.concat(parts), headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': `multipart/form-data; boundary=${boundary}` } });
  c.lastBody = res.body;
  return res;
}

const report = async (extra: Record<string, string | string[]> = {}) => ({
  summary: 'A pupil showed me messages sent to her in a class group chat', occurred_date: new Date().toISOString().slice(0, 10), came_to_light: 'pupil_told',
  category: await categoryId('cyberbullying'), concern_about: 'none', intent: 'submit', people: `${school.pupilId}:affected`, ...extra,
});
const evidenceOfDraft = async (draftId: string) => (await t.db.query('select * from incident_evidence where draft_id = $1 order by filename', [draftId])).rows;
const draftIdIn = (html: string) => /name="draft_id" value="([^"]+)"/.exec(html)![1];

test('a report sent with a file in one go: the file is the incident\'s, its SHA-256 recorded, encrypted on disk', async () => {
  const teacher = await signedIn(t.app, school.personas.teacher);
  const form = await teacher.get('/incidents/new');
  assert.match(form.body, /enctype="multipart\/form-data"/);
  assert.match(form.body, /<input class="govuk-file-upload" id="evidence" name="evidence" type="file" multiple/);
  const res = await postReport(teacher, await report(), [{ name: 'chat.png', data: png }, { name: 'notes.txt', data: notes }]);
  assert.equal(res.statusCode, 200, res.body.slice(0, 800));
  assert.match(res.body, /2 evidence files were sent with your report/);
  const id = /\/incidents\/([0-9a-f-]{36})/.exec(res.body)![1];
  const rows = (await t.db.query('select * from incident_evidence where incident_id = $1 order by filename', [id])).rows;
  assert.deepEqual(rows.map((r) => [r.filename, r.content_type, r.sha256, r.draft_id]), [['chat.png', 'image/png', sha(png), null], ['notes.txt', 'text/plain', sha(notes), null]]);
  const sealed = readFileSync(onDisk(rows[0].id));
  assert.ok(!sealed.includes(Buffer.from('hurtful group chat')), 'the file on disk is encrypted, not the plaintext');
  assert.ok(!readFileSync(onDisk(rows[1].id)).includes(Buffer.from('what the pupil read out')));
  // The people on a multipart form (repeated fields) still come through.
  assert.equal((await t.db.query('select count(*)::int as n from incident_people where incident_id = $1', [id])).rows[0].n, 1);
  // The safeguarding lead downloads exactly what was sent.
  const dsl = await signedIn(t.app, school.personas.dsl);
  assert.deepEqual((await dsl.get(`/incidents/${id}/evidence/${rows[0].id}`)).rawPayload, png);
  const audits = (await t.db.query(`select count(*)::int as n from audit_events where record_id = $1 and action = 'incident.evidence_added'`, [id])).rows[0].n;
  assert.equal(audits, 2);
});

test('a validation error keeps the file with the draft, listed to remove; sending attaches it to the incident', async () => {
  const teacher = await signedIn(t.app, school.personas.teacher);
  const rejected = await postReport(teacher, await report({ category: '' }), [{ name: 'chat.png', data: png }, { name: 'page.png', data: Buffer.from('<html>not a picture</html>') }]);
  assert.equal(rejected.statusCode, 400);
  assert.match(rejected.body, /href="#category"/);
  assert.match(rejected.body, /href="#evidence"/);
  assert.match(rejected.body, /&quot;page.png&quot; was not added: the file must be one of/);
  assert.match(rejected.body, /Already attached to this report/);
  assert.match(rejected.body, /chat\.png<\/td>/);
  const draftId = draftIdIn(rejected.body);
  const kept = await evidenceOfDraft(draftId);
  assert.deepEqual(kept.map((r) => [r.filename, r.sha256, r.incident_id]), [['chat.png', sha(png), null]]);
  assert.ok(!readFileSync(onDisk(kept[0].id)).includes(Buffer.from('hurtful group chat')));
  assert.equal((await t.db.query(`select count(*)::int as n from incident_evidence where school_id = $1 and filename = 'page.png'`, [school.id])).rows[0].n, 0, 'the refused file is not kept');

  // Continuing the draft later shows the file still attached.
  const resumed = await teacher.get(`/incidents/new?draft=${draftId}`);
  assert.match(resumed.body, /chat\.png<\/td>/);
  assert.match(resumed.body, new RegExp(`name="remove_evidence" value="${kept[0].id}"`));

  // Corrected and sent (no new file chosen): the draft's file is the incident's now, the same sealed file.
  const sent = await postReport(teacher, await report({ draft_id: draftId }), [], `/incidents/new?draft=${draftId}`);
  assert.equal(sent.statusCode, 200, sent.body.slice(0, 800));
  assert.match(sent.body, /1 evidence file was sent with your report/);
  const id = /\/incidents\/([0-9a-f-]{36})/.exec(sent.body)![1];
  const [row] = (await t.db.query('select * from incident_evidence where id = $1', [kept[0].id])).rows;
  assert.equal(row.incident_id, id);
  assert.equal(row.draft_id, null);
  assert.equal((await t.db.query('select count(*)::int as n from incident_drafts where id = $1', [draftId])).rows[0].n, 0);
  const dsl = await signedIn(t.app, school.personas.dsl);
  assert.deepEqual((await dsl.get(`/incidents/${id}/evidence/${row.id}`)).rawPayload, png);
});

test('a file can be removed from the draft before sending', async () => {
  const teacher = await signedIn(t.app, school.personas.teacher);
  const first = await postReport(teacher, await report({ intent: 'stay' }), [{ name: 'chat.png', data: png }, { name: 'notes.txt', data: notes }]);
  assert.equal(first.statusCode, 200);
  const draftId = draftIdIn(first.body);
  const [chat] = (await evidenceOfDraft(draftId));
  const removed = await postReport(teacher, await report({ draft_id: draftId, remove_evidence: chat.id }), [], `/incidents/new?draft=${draftId}`);
  assert.equal(removed.statusCode, 200);
  assert.doesNotMatch(removed.body, /chat\.png<\/td>/);
  assert.match(removed.body, /notes\.txt<\/td>/);
  assert.deepEqual((await evidenceOfDraft(draftId)).map((r) => r.filename), ['notes.txt']);
  assert.ok(!existsSync(onDisk(chat.id)), 'the removed file is gone from disk');
});

test('a suspected illegal category refuses every file, naming the field, and keeps the rest as a draft with nothing sent', async () => {
  const teacher = await signedIn(t.app, school.personas.teacher);
  const incidentsBefore = (await t.db.query('select count(*)::int as n from incidents where school_id = $1', [school.id])).rows[0].n;
  const evidenceBefore = (await t.db.query('select count(*)::int as n from incident_evidence where school_id = $1', [school.id])).rows[0].n;
  const res = await postReport(teacher, await report({ category: await categoryId('child_sexual_abuse_imagery'), device_held_at: 'Switched off in the office safe' }), [{ name: 'chat.png', data: png }]);
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /<a href="#evidence">The file you chose was not added\. Evidence cannot be uploaded for suspected illegal material/);
  assert.match(res.body, /A pupil showed me messages sent to her in a class group chat<\/textarea>/);
  assert.match(res.body, /Switched off in the office safe/);
  const draftId = draftIdIn(res.body);
  assert.equal((await evidenceOfDraft(draftId)).length, 0);
  assert.equal((await t.db.query('select count(*)::int as n from incidents where school_id = $1', [school.id])).rows[0].n, incidentsBefore, 'nothing was sent');
  assert.equal((await t.db.query('select count(*)::int as n from incident_evidence where school_id = $1', [school.id])).rows[0].n, evidenceBefore, 'no file was kept');
  // Sent without the file, the report goes.
  const sent = await postReport(teacher, await report({ category: await categoryId('child_sexual_abuse_imagery'), device_held_at: 'Switched off in the office safe', draft_id: draftId }), []);
  assert.equal(sent.statusCode, 200, sent.body.slice(0, 800));

  // Files kept with a draft under another kind are refused when the kind becomes suspected illegal material.
  const kept = await postReport(teacher, await report({ intent: 'stay' }), [{ name: 'chat.png', data: png }]);
  const other = draftIdIn(kept.body);
  const refused = await postReport(teacher, await report({ draft_id: other, category: await categoryId('child_sexual_abuse_imagery'), device_held_at: 'With the headteacher' }), []);
  assert.equal(refused.statusCode, 400);
  assert.match(refused.body, /<a href="#evidence">Remove the file attached to this report before sending it/);
  assert.equal((await evidenceOfDraft(other)).length, 1);
});

test('discarding a draft deletes its files, rows and sealed files on disk', async () => {
  const teacher = await signedIn(t.app, school.personas.teacher);
  const res = await postReport(teacher, await report({ intent: 'stay' }), [{ name: 'chat.png', data: png }, { name: 'notes.txt', data: notes }]);
  const draftId = draftIdIn(res.body);
  const files = await evidenceOfDraft(draftId);
  assert.equal(files.length, 2);
  assert.ok(files.every((f) => existsSync(onDisk(f.id))));
  // Another member of staff cannot discard it, nor reach its files.
  const office = await signedIn(t.app, school.personas.office);
  assert.equal((await office.post('/incidents/new/discard', { draft: draftId }, { from: '/incidents/new' })).statusCode, 404);
  assert.equal((await evidenceOfDraft(draftId)).length, 2);
  const gone = await teacher.post('/incidents/new/discard', { draft: draftId }, { from: '/incidents/new' });
  assert.equal(gone.statusCode, 303);
  assert.equal((await evidenceOfDraft(draftId)).length, 0);
  assert.ok(files.every((f) => !existsSync(onDisk(f.id))), 'the sealed files are deleted');
  assert.equal((await t.db.query('select count(*)::int as n from incident_drafts where id = $1', [draftId])).rows[0].n, 0);
});

test('if the transaction fails, the files written for it are removed', async () => {
  const teacher = await signedIn(t.app, school.personas.teacher);
  const dir = join(t.outboxDir, 'evidence', school.id);
  const { readdirSync } = await import('node:fs');
  const before = existsSync(dir) ? readdirSync(dir).length : 0;
  const incidents = async () => (await t.db.query('select count(*)::int as n from incidents where school_id = $1', [school.id])).rows[0].n;
  const incidentsBefore = await incidents();
  // A row the database refuses (the trigger below) fails the whole submit after the file was sealed.
  await t.db.query(`create or replace function refuse_evidence() returns trigger language plpgsql as $$ begin raise exception 'refused for the test'; end $$`);
  await t.db.query(`create trigger refuse_evidence before insert on incident_evidence for each row when (new.filename = 'doomed.png') execute function refuse_evidence()`);
  try {
    const res = await postReport(teacher, await report(), [{ name: 'doomed.png', data: png }]);
    assert.equal(res.statusCode, 500);
  } finally {
    await t.db.query('drop trigger refuse_evidence on incident_evidence');
    await t.db.query('drop function refuse_evidence()');
  }
  assert.equal(existsSync(dir) ? readdirSync(dir).length : 0, before, 'no sealed file is left behind');
  assert.equal(await incidents(), incidentsBefore, 'no report was half-saved without its file');
});

test('a report with files sent after the session timed out keeps the files with its draft too', async () => {
  const c = await signedIn(t.app, school.personas.office);
  const csrf = await c.csrf('/incidents/new');
  await t.db.query(`update sessions set data = jsonb_set(data, '{lastSeenAt}', to_jsonb($2::bigint)) where data->>'userId' = $1`, [school.personas.office.userId, Date.now() - 60 * 60_000]);
  const res = await postReport(c, await report({ summary: 'Typed slowly over lunch, with a screenshot' }), [{ name: 'chat.png', data: png }], '/incidents/new', csrf);
  assert.equal(res.statusCode, 303);
  assert.equal(res.headers.location, '/sign-in');
  const again = await signedIn(t.app, school.personas.office);
  const resumed = await again.get('/incidents/new?draft=continue');
  assert.ok(resumed.body.includes('Typed slowly over lunch, with a screenshot</textarea>'));
  assert.match(resumed.body, /chat\.png<\/td>/);
  const [kept] = await evidenceOfDraft(draftIdIn(resumed.body));
  assert.equal(kept.sha256, sha(png));
});

test("a school's archive carries the files kept with drafts as well as incidents'", async () => {
  const teacher = await signedIn(t.app, school.personas.teacher);
  await postReport(teacher, await report({ intent: 'stay' }), [{ name: 'notes.txt', data: notes }]);
  const rows = (await t.db.query('select count(*)::int as n, count(draft_id)::int as drafts from incident_evidence where school_id = $1', [school.id])).rows[0];
  assert.ok(rows.drafts > 0);
  const result = await exportSchool(t.db, school.id, { dataDir: t.outboxDir });
  try {
    assert.equal(result.manifest.evidenceFiles, rows.n);
  } finally {
    await removeTemporaryArchive(result.file);
  }
});

test('choosing more files than the form takes at once keeps the report as a draft with the first ten, and says so on the form', async () => {
  const teacher = await signedIn(t.app, school.personas.teacher);
  const files = Array.from({ length: 13 }, (_, i) => ({ name: `note-${String(i + 1).padStart(2, '0')}.txt`, data: Buffer.from(`note ${i + 1}`) }));
  const res = await postReport(teacher, await report({ summary: 'Thirteen screenshots of a group chat' }), files);
  assert.equal(res.statusCode, 400, res.body.slice(0, 400));
  assert.match(res.body, /Up to 10 files can be added at a time, and 13 were chosen: the first 10 are kept with your draft and the other 3 were not added/);
  assert.match(res.body, /Thirteen screenshots of a group chat/, 'what was typed is on the form again');
  const kept = await evidenceOfDraft(draftIdIn(res.body));
  assert.deepEqual(kept.map((f) => f.filename), files.slice(0, 10).map((f) => f.name));
  assert.equal((await t.db.query(`select count(*)::int as n from incidents where summary = 'Thirteen screenshots of a group chat'`)).rows[0].n, 0, 'nothing sent');
});
