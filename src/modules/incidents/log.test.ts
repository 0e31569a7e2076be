import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, makeSchool, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';
import { systemActor } from '../../platform/audit/audit';
import { ensureIncidentDefaults } from './matrix';
import { reportIncident } from './service';

let t: TestApp;
let school: TestSchool;
const refs: Record<string, string> = {};

/** References shown on a page of the log. */
const shown = (body: string) => [...body.matchAll(/>(INC-\d{4}-\d{4})</g)].map((m) => m[1]).sort();
const categoryId = async (code: string) => (await t.db.query('select id from incident_categories where school_id = $1 and code = $2', [school.id, code])).rows[0].id as string;

before(async () => {
  t = await testApp();
  school = await makeSchool(t.db);
  await t.db.transaction((tx) => ensureIncidentDefaults(tx, school.id));
  const add = async (name: string, summary: string, code: string, occurred: string, reporter = school.personas.dsl.personId) => {
    const category = await categoryId(code);
    const made = await t.db.transaction((tx) => reportIncident(tx, school.id, {
      summary, occurredAt: new Date(`${occurred}T10:00:00Z`), cameToLight: 'staff_saw', categoryId: category, concernAbout: 'none', people: [],
    }, { personId: reporter, actor: systemActor, ip: null, via: 'browser' }));
    refs[name] = made.reference;
  };
  await add('proxy', 'A pupil used a proxy site to reach a game', 'filter_bypass', '2021-03-10');
  await add('chat', 'Unkind words in the class group chat', 'cyberbullying', '2023-10-02');
  await add('proxyChat', 'Proxy found on a laptop while checking the group chat', 'cyberbullying', '2024-01-15');
  // Reported by the teacher: they see only its reference and status.
  await add('teachers', 'A proxy seen over a shoulder in the library', 'filter_bypass', '2024-02-01', school.personas.teacher.personId);
});
after(async () => {
  await t.close();
  await closeTestDb();
});

test('the log filters by status, kind and the dates it happened, and searches every word in the summary or the reference', async () => {
  const dsl = await signedIn(t.app, school.personas.dsl);
  const all = await dsl.get('/incidents');
  assert.deepEqual(shown(all.body), Object.values(refs).sort());
  assert.deepEqual(shown((await dsl.get(`/incidents?category=${await categoryId('cyberbullying')}`)).body), [refs.chat, refs.proxyChat].sort());
  assert.deepEqual(shown((await dsl.get('/incidents?from=2023-10-02&to=2024-01-15')).body), [refs.chat, refs.proxyChat].sort(), 'both ends of the range are included');
  assert.deepEqual(shown((await dsl.get('/incidents?status=closed')).body), []);
  const csrf = await dsl.csrf('/incidents');
  assert.deepEqual(shown((await dsl.post('/incidents', { q: 'proxy' }, { csrf })).body), [refs.proxy, refs.proxyChat, refs.teachers].sort(), 'any case');
  assert.deepEqual(shown((await dsl.post('/incidents', { q: 'PROXY chat' }, { csrf })).body), [refs.proxyChat], 'every word must appear');
  assert.deepEqual(shown((await dsl.post('/incidents', { q: refs.chat.toLowerCase() }, { csrf })).body), [refs.chat]);
  assert.deepEqual(shown((await dsl.post('/incidents', { q: 'proxy', from: '2024-01-01' }, { csrf })).body), [refs.proxyChat, refs.teachers].sort());
  assert.deepEqual(shown((await dsl.post('/incidents', { q: '100%_' }, { csrf })).body), [], 'LIKE wildcards are searched for as themselves');
});

test('words searched for never reach a URL or the audit trail, and a search ignores a GET', async () => {
  const dsl = await signedIn(t.app, school.personas.dsl);
  const page = await dsl.get('/incidents');
  assert.match(page.body, /<form method="post" action="\/incidents"[^>]*role="search"/);
  assert.deepEqual(shown((await dsl.get('/incidents?q=chat')).body).length, Object.keys(refs).length, 'q in a URL is not a search');
  await dsl.post('/incidents', { q: 'library shoulder' }, { from: '/incidents' });
  const [entry] = (await t.db.query(`select detail from audit_events where school_id = $1 and action = 'incidents.listed' order by id desc limit 1`, [school.id])).rows;
  assert.equal(entry.detail.searched, true);
  assert.ok(!JSON.stringify(entry.detail).includes('library'));
});

test("a reporter's search matches their report's reference, never words of a summary they may not read", async () => {
  const teacher = await signedIn(t.app, school.personas.teacher);
  const csrf = await teacher.csrf('/incidents');
  assert.deepEqual(shown((await teacher.get('/incidents')).body), [refs.teachers]);
  assert.deepEqual(shown((await teacher.post('/incidents', { q: 'library' }, { csrf })).body), []);
  assert.deepEqual(shown((await teacher.post('/incidents', { q: refs.teachers }, { csrf })).body), [refs.teachers]);
});

test('a date that is not real, or a range that runs backwards, is refused naming the field', async () => {
  const dsl = await signedIn(t.app, school.personas.dsl);
  const bad = await dsl.get('/incidents?from=2024-02-30');
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /href="#from"[^>]*>Enter the from date like 2026-09-14/);
  const backwards = await dsl.post('/incidents', { from: '2024-05-01', to: '2024-01-01' }, { from: '/incidents' });
  assert.equal(backwards.statusCode, 400);
  assert.match(backwards.body, /href="#to"[^>]*>The to date must be the same as or after the from date/);
});
