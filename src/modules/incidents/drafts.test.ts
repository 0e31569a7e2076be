import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, makeSchool, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';

let t: TestApp;
let school: TestSchool;
const categoryId = async (code: string) => (await t.db.query('select id from incident_categories where school_id = $1 and code = $2', [school.id, code])).rows[0].id as string;

before(async () => {
  t = await testApp();
  school = await makeSchool(t.db);
  assert.equal((await (await signedIn(t.app, school.personas.dsl)).get('/incidents/new')).statusCode, 200);
});
after(async () => {
  await t.close();
  await closeTestDb();
});

test('a rejected report is kept as a draft that survives a new session, and sending it removes the draft', async () => {
  const first = await signedIn(t.app, school.personas.teacher);
  const rejected = await first.post('/incidents/new', { summary: 'A pupil showed a video on a phone in the corridor', occurred_date: '', came_to_light: 'staff_saw', concern_about: 'none', category: '', intent: 'submit', people: `${school.pupilId}:witness` }, { from: '/incidents/new' });
  assert.equal(rejected.statusCode, 400);
  // The session is lost (timed out): a fresh sign-in finds the draft offered, and continuing restores it.
  const again = await signedIn(t.app, school.personas.teacher);
  const offer = await again.get('/incidents/new');
  assert.match(offer.body, /Continue your draft/);
  assert.doesNotMatch(offer.body, /A pupil showed a video on a phone in the corridor<\/textarea>/, 'a fresh form until they choose to continue');
  const resumed = await again.get('/incidents/new?draft=continue');
  assert.match(resumed.body, /A pupil showed a video on a phone in the corridor<\/textarea>/);
  assert.match(resumed.body, new RegExp(`name="people" value="${school.pupilId}:witness"`));
  // Another member of staff never sees it.
  assert.doesNotMatch((await (await signedIn(t.app, school.personas.office)).get('/incidents/new')).body, /Continue your draft/);
  const sent = await again.post('/incidents/new', {
    summary: 'A pupil showed a video on a phone in the corridor', occurred_date: new Date().toISOString().slice(0, 10), came_to_light: 'staff_saw',
    concern_about: 'none', category: await categoryId('cyberbullying'), intent: 'submit', people: `${school.pupilId}:witness`,
  }, { from: '/incidents/new' });
  assert.equal(sent.statusCode, 200);
  assert.equal((await t.db.query('select count(*)::int as n from incident_drafts where school_id = $1 and user_id = $2', [school.id, school.personas.teacher.userId])).rows[0].n, 0);
  assert.doesNotMatch((await again.get('/incidents/new')).body, /Continue your draft/);
});

test('finding a person saves the draft too, and it can be deleted to start again', async () => {
  const c = await signedIn(t.app, school.personas.office);
  await c.post('/incidents/new', { summary: 'Half-typed report', intent: 'find', find_name: 'zzzz-nobody' }, { from: '/incidents/new' });
  assert.match((await c.get('/incidents/new')).body, /Continue your draft/);
  const gone = await c.post('/incidents/new/discard', {}, { from: '/incidents/new' });
  assert.equal(gone.statusCode, 303);
  assert.doesNotMatch((await c.get('/incidents/new')).body, /Continue your draft/);
});

test('a report sent after the session timed out is kept as a draft for its author, and the sign-in page says so', async () => {
  const c = await signedIn(t.app, school.personas.office);
  const csrf = await c.csrf('/incidents/new');
  await t.db.query(`update sessions set data = jsonb_set(data, '{lastSeenAt}', to_jsonb($2::bigint)) where data->>'userId' = $1`, [school.personas.office.userId, Date.now() - 60 * 60_000]);
  const summary = 'Written slowly over the lunch hour: a parent forwarded screenshots of a group chat';
  const res = await c.post('/incidents/new', {
    summary, occurred_date: new Date().toISOString().slice(0, 10), came_to_light: 'parent_told', concern_about: 'none', category: await categoryId('cyberbullying'),
    intent: 'submit', people: `${school.pupilId}:affected`,
  }, { csrf });
  assert.equal(res.statusCode, 303);
  assert.equal(res.headers.location, '/sign-in');
  assert.equal((await t.db.query('select count(*)::int as n from incidents where school_id = $1 and summary = $2', [school.id, summary])).rows[0].n, 0, 'not sent by a timed-out session');
  const signIn = await c.get('/sign-in');
  assert.match(signIn.body, /What you had typed in your report is saved/);
  const again = await signedIn(t.app, school.personas.office);
  const resumed = await again.get('/incidents/new?draft=continue');
  assert.ok(resumed.body.includes(`${summary}</textarea>`));
  assert.match(resumed.body, new RegExp(`name="people" value="${school.pupilId}:affected"`));
});
