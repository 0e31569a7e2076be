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
  const draftId = /name="draft_id" value="([^"]+)"/.exec(resumed.body)![1];
  assert.match(resumed.body, new RegExp(`name="people" value="${school.pupilId}:witness"`));
  // Another member of staff never sees it.
  assert.doesNotMatch((await (await signedIn(t.app, school.personas.office)).get('/incidents/new')).body, /Continue your draft/);
  const sent = await again.post('/incidents/new', {
    summary: 'A pupil showed a video on a phone in the corridor', occurred_date: new Date().toISOString().slice(0, 10), came_to_light: 'staff_saw',
    concern_about: 'none', category: await categoryId('cyberbullying'), intent: 'submit', people: `${school.pupilId}:witness`, draft_id: draftId,
  }, { from: '/incidents/new' });
  assert.equal(sent.statusCode, 200);
  assert.equal((await t.db.query('select count(*)::int as n from incident_drafts where school_id = $1 and user_id = $2', [school.id, school.personas.teacher.userId])).rows[0].n, 0);
  assert.doesNotMatch((await again.get('/incidents/new')).body, /Continue your draft/);
});

test('finding a person saves the draft too, and it can be deleted to start again', async () => {
  const c = await signedIn(t.app, school.personas.office);
  const found = await c.post('/incidents/new', { summary: 'Half-typed report', intent: 'find', find_name: 'zzzz-nobody' }, { from: '/incidents/new' });
  const draftId = /name="draft_id" value="([^"]+)"/.exec(found.body)![1];
  assert.match((await c.get('/incidents/new')).body, /Continue your draft/);
  assert.equal((await c.post('/incidents/new/discard', {}, { from: '/incidents/new' })).statusCode, 404, 'which draft must be said');
  const gone = await c.post('/incidents/new/discard', { draft: draftId }, { from: '/incidents/new' });
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

test('a user keeps several drafts: a new report never overwrites one, each is continued or deleted on its own, and no one else can reach them', async () => {
  const c = await signedIn(t.app, school.personas.itProvider);
  const count = async () => (await t.db.query('select count(*)::int as n from incident_drafts where school_id = $1 and user_id = $2', [school.id, school.personas.itProvider.userId])).rows[0].n;
  const first = await c.post('/incidents/new', { summary: 'First: a laptop left unlocked in the library', intent: 'submit', category: '' }, { from: '/incidents/new' });
  assert.equal(first.statusCode, 400);
  const firstId = /name="draft_id" value="([^"]+)"/.exec(first.body)![1];
  // Typing more into the same form keeps the same draft.
  await c.post('/incidents/new', { summary: 'First: a laptop left unlocked in the library, logged in', intent: 'submit', category: '', draft_id: firstId }, { from: '/incidents/new' });
  assert.equal(await count(), 1);
  // A new report (a fresh form, no draft id) is a second draft, and the first is untouched.
  const fresh = await c.get('/incidents/new');
  assert.doesNotMatch(fresh.body, /name="draft_id"/);
  const second = await c.post('/incidents/new', { summary: 'Second: a pupil on a game site in a lesson', intent: 'submit', category: '' }, { from: '/incidents/new' });
  const secondId = /name="draft_id" value="([^"]+)"/.exec(second.body)![1];
  assert.notEqual(secondId, firstId);
  assert.equal(await count(), 2);
  const list = (await c.get('/incidents/new')).body;
  assert.ok(list.includes(`/incidents/new?draft=${firstId}`) && list.includes(`/incidents/new?draft=${secondId}`), 'both are listed');
  assert.match(list, /First: a laptop left unlocked in the library, logged in/);
  const resumed = await c.get(`/incidents/new?draft=${firstId}`);
  assert.match(resumed.body, /First: a laptop left unlocked in the library, logged in<\/textarea>/);
  // Another member of staff cannot open or delete it.
  const other = await signedIn(t.app, school.personas.teacher);
  assert.equal((await other.get(`/incidents/new?draft=${firstId}`)).statusCode, 404);
  assert.equal((await other.post('/incidents/new/discard', { draft: firstId }, { from: '/incidents/new' })).statusCode, 404);
  assert.equal(await count(), 2);
  // Deleting one leaves the other; sending the other removes it.
  assert.equal((await c.post('/incidents/new/discard', { draft: secondId }, { from: '/incidents/new' })).statusCode, 303);
  assert.equal(await count(), 1);
  const sent = await c.post('/incidents/new', {
    summary: 'First: a laptop left unlocked in the library, logged in', occurred_date: new Date().toISOString().slice(0, 10), came_to_light: 'staff_saw',
    concern_about: 'none', category: await categoryId('data_breach'), intent: 'submit', draft_id: firstId,
  }, { from: '/incidents/new' });
  assert.equal(sent.statusCode, 200);
  assert.equal(await count(), 0);
});
