import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client, closeTestDb, makeSchool, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const fixture = (name: string) => readFileSync(join(here, 'fixtures', name));

let t: TestApp;
before(async () => {
  t = await testApp();
});
after(async () => {
  await t.close();
  await closeTestDb();
});

/** Posts the upload form as a browser does: multipart, with the page's CSRF token. */
async function upload(c: Client, kind: string, file: Buffer, opts: { full?: boolean; fileName?: string } = {}) {
  const token = await c.csrf('/people/import');
  const boundary = `----harbour${Date.now()}`;
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const payload = Buffer.concat([
    Buffer.from(field('_csrf', token) + field('kind', kind) + (opts.full ? field('full', 'yes') : '')),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${opts.fileName ?? 'export.csv'}"\r\nContent-Type: text/csv\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return t.app.inject({
    method: 'POST', url: '/people/import', payload,
    headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
}

/** Uploads a file and checks it with the columns Harbour chose; returns the check page and the draft. */
async function uploadAndCheck(c: Client, kind: string, file: Buffer, opts: { full?: boolean } = {}) {
  const res = await upload(c, kind, file, opts);
  assert.equal(res.statusCode, 303, res.body);
  const draftUrl = String(res.headers.location);
  const mappingPage = await c.get(draftUrl);
  assert.equal(mappingPage.statusCode, 200);
  // The mapping Harbour pre-chose, as the browser would submit it.
  const mapping: Record<string, string> = {};
  for (const m of mappingPage.body.matchAll(/<select class="govuk-select[^"]*" id="(map_\w+)" name="map_\w+"[^>]*>([\s\S]*?)<\/select>/g)) {
    const selected = /<option value="([^"]*)" selected>/.exec(m[2]);
    mapping[m[1]] = selected ? selected[1] : '';
  }
  const check = await c.post(`${draftUrl}/check`, mapping, { from: draftUrl });
  return { check, draftUrl, mapping, mappingPage };
}

async function importFile(c: Client, kind: string, file: Buffer, opts: { full?: boolean } = {}) {
  const { check, draftUrl } = await uploadAndCheck(c, kind, file, opts);
  assert.equal(check.statusCode, 200, check.body);
  const commit = await c.post(`${draftUrl}/commit`, {}, { from: draftUrl });
  return { check, commit };
}

/** A number from the check page's summary, by its label. */
function countOn(body: string, label: string): number {
  const m = new RegExp(`${label}\\s*</dt>\\s*<dd class="govuk-summary-list__value">\\s*(\\d+)`).exec(body);
  assert.ok(m, `no "${label}" on the page`);
  return Number(m[1]);
}

const peopleOf = async (schoolId: string, kind: string) =>
  (await t.db.query('select * from people where school_id = $1 and kind = $2 order by family_name', [schoolId, kind])).rows;
const auditOf = async (schoolId: string, action: string) =>
  (await t.db.query('select * from audit_events where school_id = $1 and action = $2 order by seq', [schoolId, action])).rows;

test('the mapping page pre-chooses columns by their MIS names', async () => {
  const s = await makeSchool(t.db);
  const c = await signedIn(t.app, s.personas.office);
  const { mapping } = await uploadAndCheck(c, 'pupils', fixture('pupils.csv'));
  assert.equal(mapping.map_upn, 'UPN');
  assert.equal(mapping.map_family_name, 'Legal Surname');
  assert.equal(mapping.map_given_name, 'Legal Forename');
  assert.equal(mapping.map_year_group, 'Year');
  assert.equal(mapping.map_class_name, 'Reg Group');
  assert.equal(mapping.map_date_of_birth, 'DOB');
});

test('a dry run lists every row problem by row number and field, and saves nothing', async () => {
  const s = await makeSchool(t.db);
  const c = await signedIn(t.app, s.personas.office);
  const { check } = await uploadAndCheck(c, 'pupils', fixture('pupils-problems.csv'));
  assert.equal(check.statusCode, 200);
  const rows = [...check.body.matchAll(/<th scope="row" class="govuk-table__header">(\d+)<\/th>\s*<td class="govuk-table__cell">([^<]+)<\/td>\s*<td class="govuk-table__cell">([^<]+)<\/td>/g)]
    .map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(rows.sort(), [
    '3 UPN', '4 UPN', '5 Date of birth', '6 Date of birth', '6 Year group', '7 UPN',
  ].sort());
  assert.match(check.body, /Date of birth must be in the past/);
  assert.match(check.body, /This UPN is also in row 2/);
  assert.doesNotMatch(check.body, /action="\/people\/import\/[0-9a-f-]+\/commit"/, 'no Import button while there are problems');
  assert.equal((await peopleOf(s.id, 'pupil')).length, 1, 'only the pupil makeSchool added');
});

test('a file with a failing row saves nothing, even when the commit is posted directly', async () => {
  const s = await makeSchool(t.db);
  const c = await signedIn(t.app, s.personas.office);
  const { draftUrl } = await uploadAndCheck(c, 'pupils', fixture('pupils-problems.csv'));
  const commit = await c.post(`${draftUrl}/commit`, {}, { from: draftUrl });
  assert.equal(commit.statusCode, 400);
  assert.match(commit.body, /Nothing was imported/);
  assert.equal((await peopleOf(s.id, 'pupil')).length, 1);
  assert.equal((await auditOf(s.id, 'people.imported')).length, 0);
});

test('a binary file is refused with a clear message', async () => {
  const s = await makeSchool(t.db);
  const c = await signedIn(t.app, s.personas.office);
  const res = await upload(c, 'pupils', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 1, 2, 3, 0, 0]), { fileName: 'pupils.xlsx' });
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /This is not a CSV file/);
  assert.match(res.body, /href="#file"/);
});

test('a file over 5 MB is refused and nothing is kept', async () => {
  const s = await makeSchool(t.db);
  const c = await signedIn(t.app, s.personas.office);
  const big = Buffer.concat([fixture('pupils.csv'), Buffer.alloc(5 * 1024 * 1024 + 10, 'A123456789012,Long,Row,,5,5B,04/03/2016,F\n')]);
  const res = await upload(c, 'pupils', big);
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /larger than 5 MB/);
  assert.equal((await t.db.query('select count(*)::int as n from people_import_drafts where school_id = $1', [s.id])).rows[0].n, 0);
});

test('importing pupils then contacts creates people and links each contact to their children; re-importing changes nothing', async () => {
  const s = await makeSchool(t.db);
  const c = await signedIn(t.app, s.personas.office);
  const pupils = await importFile(c, 'pupils', fixture('pupils.csv'));
  assert.equal(countOn(pupils.check.body, 'New people'), 3);
  assert.equal(pupils.commit.statusCode, 303);
  const imported = await peopleOf(s.id, 'pupil');
  const elsie = imported.find((p) => p.upn === 'A123456789012');
  assert.equal(elsie.date_of_birth, '2016-03-04');
  assert.equal(elsie.preferred_name, 'Ellie');
  assert.equal(imported.find((p) => p.upn === 'C12345678901A').year_group, '6');
  assert.equal(imported.find((p) => p.upn === 'C12345678901A').gender, 'Non-binary');

  const contacts = await importFile(c, 'contacts', fixture('contacts.csv'));
  assert.equal(contacts.commit.statusCode, 303);
  const parents = await peopleOf(s.id, 'parent');
  const marta = parents.find((p) => p.mis_id === 'C9001');
  assert.ok(marta);
  const links = (await t.db.query('select p.upn, g.relationship from guardianships g join people p on p.id = g.child_id where g.parent_id = $1 order by p.upn', [marta.id])).rows;
  assert.deepEqual(links, [{ upn: 'A123456789012', relationship: 'Mother' }, { upn: 'C12345678901A', relationship: 'Mother' }]);
  const record = await c.get(`/people/${elsie.id}`);
  assert.match(record.body, new RegExp(`href="/people/${marta.id}"`));

  const imports = await auditOf(s.id, 'people.imported');
  assert.equal(imports.length, 2, 'one audit entry per import, not one per row');
  assert.equal(imports[0].detail.created, 3);
  assert.match(imports[0].detail.file_sha256, /^[0-9a-f]{64}$/);

  const updatesBefore = (await auditOf(s.id, 'person.updated')).length;
  const again = await importFile(c, 'pupils', fixture('pupils.csv'));
  assert.equal(countOn(again.check.body, 'New people'), 0);
  assert.equal(countOn(again.check.body, 'People whose details change'), 0);
  const contactsAgain = await importFile(c, 'contacts', fixture('contacts.csv'));
  assert.equal(countOn(contactsAgain.check.body, 'People unchanged'), 2);
  const runs = (await t.db.query('select created_count, updated_count from people_imports where school_id = $1 order by created_at', [s.id])).rows;
  assert.deepEqual(runs.slice(2), [{ created_count: 0, updated_count: 0 }, { created_count: 0, updated_count: 0 }]);
  assert.equal((await auditOf(s.id, 'person.updated')).length, updatesBefore);
  assert.equal((await peopleOf(s.id, 'pupil')).length, 4);
});

test("a contact whose pupil is not in the school, or whose email is not one, is reported by row", async () => {
  const s = await makeSchool(t.db);
  const c = await signedIn(t.app, s.personas.office);
  const { check } = await uploadAndCheck(c, 'contacts', fixture('contacts-problems.csv'));
  assert.match(check.body, /<th scope="row" class="govuk-table__header">2<\/th>\s*<td class="govuk-table__cell">Email<\/td>/);
  assert.match(check.body, /<th scope="row" class="govuk-table__header">2<\/th>\s*<td class="govuk-table__cell">Pupil UPN<\/td>/);
  assert.match(check.body, /<th scope="row" class="govuk-table__header">3<\/th>\s*<td class="govuk-table__cell">Pupil UPN<\/td>/);
});

test('a full import offers pupils missing from the file as leavers, and marking them left works', async () => {
  const s = await makeSchool(t.db);
  const c = await signedIn(t.app, s.personas.office);
  const { check, commit } = await importFile(c, 'pupils', fixture('pupils.csv'), { full: true });
  assert.equal(countOn(check.body, 'In Harbour but not in the file'), 1);
  assert.equal(commit.statusCode, 303);
  const resultUrl = String(commit.headers.location);
  const result = await c.get(resultUrl);
  assert.match(result.body, new RegExp(`name="person" type="checkbox" value="${s.pupilId}"`));
  assert.equal((await t.db.query('select left_on from people where id = $1', [s.pupilId])).rows[0].left_on, null, 'nobody is changed until chosen');
  const run = (await t.db.query('select id, missing_person_ids from people_imports where school_id = $1', [s.id])).rows[0];
  assert.deepEqual(run.missing_person_ids, [s.pupilId]);

  // Only people the run named can be marked: another pupil's id is ignored.
  const newcomer = (await peopleOf(s.id, 'pupil')).find((p) => p.upn === 'A123456789012');
  const marked = await c.post('/people/import/leavers', { importId: run.id, person: [s.pupilId, newcomer.id] }, { from: resultUrl });
  assert.equal(marked.statusCode, 303);
  assert.ok((await t.db.query('select left_on from people where id = $1', [s.pupilId])).rows[0].left_on);
  assert.equal((await t.db.query('select left_on from people where id = $1', [newcomer.id])).rows[0].left_on, null);
  assert.equal((await auditOf(s.id, 'person.left')).length, 1);
});

test('the import pages are for those who may import, and a draft is only its own school’s', async () => {
  const s = await makeSchool(t.db);
  const other = await makeSchool(t.db);
  const teacher = await signedIn(t.app, s.personas.teacher);
  assert.equal((await teacher.get('/people/import')).statusCode, 403);
  const office = await signedIn(t.app, s.personas.office);
  const res = await upload(office, 'pupils', fixture('pupils.csv'));
  const draftUrl = String(res.headers.location);
  const stranger = await signedIn(t.app, other.personas.office);
  assert.equal((await stranger.get(draftUrl)).statusCode, 404);
  assert.equal((await stranger.post(`${draftUrl}/commit`, {}, { from: '/people/import' })).statusCode, 404);
});

/** DATABASE_URL for the run's test database, which may be a unix-socket config object. */
function databaseUrl(): string {
  const cfg = JSON.parse(process.env.HARBOUR_TEST_DB!);
  if (cfg.connectionString) return cfg.connectionString;
  const auth = `${encodeURIComponent(cfg.user)}:${encodeURIComponent(cfg.password ?? '')}`;
  if (String(cfg.host).startsWith('/')) return `postgresql://${auth}@localhost:${cfg.port ?? 5432}/${cfg.database}?host=${encodeURIComponent(cfg.host)}`;
  return `postgresql://${auth}@${cfg.host}:${cfg.port ?? 5432}/${cfg.database}`;
}

const run = promisify(execFile);
async function harbour(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [join(root, 'bin/harbour.mjs'), ...args], {
      cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl(), LOG_LEVEL: 'silent', HARBOUR_NO_DEMO: '1' }, timeout: 120_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e: any) {
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

test('harbour people import checks, reports every problem by row, and imports all-or-nothing', async () => {
  const s = await makeSchool(t.db);
  const file = (n: string) => join(here, 'fixtures', n);

  const bad = await harbour(['people', 'import', '--kind', 'pupils', '--school', s.id, file('pupils-problems.csv')]);
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /row 3: UPN:/);
  assert.match(bad.stderr, /row 7: UPN: This UPN is also in row 2/);
  assert.equal((await peopleOf(s.id, 'pupil')).length, 1);

  const dry = await harbour(['people', 'import', '--kind', 'staff', '--dry-run', '--school', s.id, file('staff.csv')]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /2 new/);
  assert.equal((await t.db.query(`select count(*)::int as n from people where school_id = $1 and mis_id like 'ST%'`, [s.id])).rows[0].n, 0);

  const ok = await harbour(['people', 'import', '--kind', 'staff', '--school', s.id, '--map', 'Job title=Role', file('staff.csv')]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /2 new, 0 changed/);
  const nadia = (await t.db.query(`select * from people where school_id = $1 and mis_id = 'ST001'`, [s.id])).rows[0];
  assert.equal(nadia.title, 'Ms');
  assert.equal(nadia.job_title, 'Class teacher');
  assert.equal(nadia.kind, 'staff');

  const again = await harbour(['people', 'import', '--kind', 'staff', '--school', s.id, file('staff.csv')]);
  assert.match(again.stdout, /0 new, 0 changed, 2 unchanged/);

  const badMap = await harbour(['people', 'import', '--kind', 'staff', '--school', s.id, '--map', 'Job title=Nope', file('staff.csv')]);
  assert.equal(badMap.code, 1);
  assert.match(badMap.stderr, /the file has no column "Nope"/);
});
