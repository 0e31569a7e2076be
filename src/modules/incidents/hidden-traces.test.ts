// A concern about the headteacher leaves no trace the headteacher can find: not in the audit
// trail (page or CSV, filtered or not), not in the counts of past reviews, not in the number of
// incidents a category has. An ordinary incident beside it still shows, so the filters are not
// simply hiding everything.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, makeSchool, makeStaff, signedIn, testApp, type Persona, type TestApp, type TestSchool } from '../../testing/harness';

let t: TestApp;
let school: TestSchool;
let chair: Persona;
let concern: { id: string; reference: string };
let ordinary: { id: string; reference: string };
const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());
const categoryId = async (code: string) => (await t.db.query('select id from incident_categories where school_id = $1 and code = $2', [school.id, code])).rows[0].id as string;
const report = (category: string, extra: Record<string, string | string[]>) => ({
  summary: 'Something to look into', occurred_date: today(), came_to_light: 'staff_saw', category, concern_about: 'none', intent: 'submit', ...extra,
});

before(async () => {
  t = await testApp();
  school = await makeSchool(t.db);
  chair = await makeStaff(t.db, school.id, ['chair_of_governors'], 'chair', 'governor');
  const dsl = await signedIn(t.app, school.personas.dsl);
  await dsl.get('/incidents/new');
  const teacher = await signedIn(t.app, school.personas.teacher);
  const disrepute = await categoryId('disrepute');
  assert.equal((await teacher.post('/incidents/new', report(disrepute, { concern_about: 'headteacher', people: [`${school.personas.headteacher.personId}:alleged`, `${school.pupilId}:affected`] }), { from: '/incidents/new' })).statusCode, 200);
  assert.equal((await teacher.post('/incidents/new', report(await categoryId('cyberbullying'), { people: `${school.pupilId}:witness` }), { from: '/incidents/new' })).statusCode, 200);
  const rows = (await t.db.query('select id, reference, concern_about_headteacher from incidents where school_id = $1', [school.id])).rows;
  concern = rows.find((r) => r.concern_about_headteacher);
  ordinary = rows.find((r) => !r.concern_about_headteacher);
  // The chair and the DSL work on the concern: views, triage, a referral, chronologies.
  const chairClient = await signedIn(t.app, chair);
  assert.equal((await chairClient.get(`/incidents/${concern.id}`)).statusCode, 200);
  assert.equal((await dsl.get(`/incidents/${concern.id}`)).statusCode, 200);
  assert.equal((await dsl.post(`/incidents/${concern.id}/triage`, { t_severity: 'high', t_status: 'triaged', t_handler: school.personas.dsl.personId, t_reason: 'Needs the LADO' }, { from: `/incidents/${concern.id}` })).statusCode, 303);
  assert.equal((await dsl.post(`/incidents/${concern.id}/referrals`, { r_decision: 'referred', r_agency: 'lado', r_on: today(), r_by: school.personas.dsl.personId }, { from: `/incidents/${concern.id}` })).statusCode, 303);
  assert.equal((await dsl.get(`/incidents/people/${school.personas.headteacher.personId}`)).statusCode, 200);
  assert.equal((await chairClient.get(`/incidents/people/${school.pupilId}`)).statusCode, 200);
  // The DSL looks at the ordinary incident too: that trace the headteacher may see.
  assert.equal((await dsl.get(`/incidents/${ordinary.id}`)).statusCode, 200);
  // The chair signs off a review that counted both incidents.
  assert.equal((await chairClient.post('/incidents/review', { confirm: 'yes' }, { from: '/incidents/review' })).statusCode, 303);
  const [saved] = (await t.db.query('select counts from incident_reviews where school_id = $1', [school.id])).rows;
  assert.equal(saved.counts.total, 2, 'the chair counted both');
});
after(async () => {
  await t.close();
  await closeTestDb();
});

/** Every page of the trail the viewer can read, as one string. */
async function wholeTrail(c: Awaited<ReturnType<typeof signedIn>>, query = '') {
  let body = '';
  for (let page = 1; page < 50; page++) {
    const res = await c.get(`/audit?${query}${query ? '&' : ''}page=${page}`);
    assert.equal(res.statusCode, 200);
    // The entries only: the filter form and the CSV link repeat what was typed into the filters.
    body += /<table[\s\S]*<\/table>/.exec(res.body)?.[0] ?? '';
    if (!res.body.includes('Older entries')) break;
  }
  return body;
}

test('the audit trail shows the headteacher nothing of a concern about them, page or CSV, however it is filtered', async () => {
  const head = await signedIn(t.app, school.personas.headteacher);
  const traces = [concern.id, concern.reference];
  const trail = await wholeTrail(head);
  for (const x of traces) assert.ok(!trail.includes(x), `the trail does not show ${x}`);
  assert.ok(trail.includes(ordinary.id), 'an incident the headteacher may see still shows');
  const chronologyRows = trail.split('<tr').filter((r) => r.includes('person.incident_chronology_viewed'));
  assert.ok(!chronologyRows.some((r) => r.includes(school.personas.headteacher.personId)), 'nor that someone read their chronology');
  assert.ok(!chronologyRows.some((r) => r.includes(school.pupilId)), 'nor the chronology of a pupil involved in it');
  for (const q of [`record=${concern.id}`, 'record=incident', 'action=incident', 'action=chronology', 'action=referred']) {
    const filtered = await wholeTrail(head, q);
    for (const x of traces) assert.ok(!filtered.includes(x), `filtered by ${q}, the trail does not show ${x}`);
  }
  assert.match((await head.get(`/audit?record=${concern.id}`)).body, /No entries match/);
  const csv = await head.get('/audit.csv');
  assert.equal(csv.statusCode, 200);
  for (const x of traces) assert.ok(!csv.body.includes(x), `the CSV does not hold ${x}`);
  assert.ok(!csv.body.split('\n').some((l) => l.includes('incident_chronology_viewed') && (l.includes(school.pupilId) || l.includes(school.personas.headteacher.personId))), 'no chronology views of them in the CSV');
  assert.ok(csv.body.includes(ordinary.id));
  // The chair, who may see the concern, and the DSL find all of it.
  const chairTrail = await wholeTrail(await signedIn(t.app, school.personas.dsl), `record=${concern.id}`);
  assert.ok(chairTrail.includes(concern.id));
  assert.match(chairTrail, /incident\.referred/);
});

test("past reviews count, for the headteacher, only the incidents the headteacher may know of", async () => {
  const head = await signedIn(t.app, school.personas.headteacher);
  const page = await head.get('/incidents/review');
  assert.equal(page.statusCode, 200);
  const m = /\(chair of governors\)<\/td>\s*<td class="govuk-table__cell">(\d+)<\/td>/.exec(page.body);
  assert.ok(m, 'the chair\'s review is listed');
  assert.equal(m[1], '1', "the chair's review counted the concern about the head, which the head is not shown");
  assert.ok(!page.body.includes(concern.reference));
  const chairPage = await (await signedIn(t.app, chair)).get('/incidents/review');
  assert.equal(/\(chair of governors\)<\/td>\s*<td class="govuk-table__cell">(\d+)<\/td>/.exec(chairPage.body)?.[1], '2', 'the chair still sees both');
});

test('the categories page counts only the incidents the viewer may know of', async () => {
  const usedOf = (body: string, label: string) => {
    const row = body.split('<tr class="govuk-table__row">').find((r) => r.includes(label) && r.includes('govuk-table__cell--numeric'));
    return /govuk-table__cell--numeric">(\d+)<\/td>/.exec(row ?? '')?.[1];
  };
  const label = 'Bringing the school into disrepute';
  const head = await (await signedIn(t.app, school.personas.headteacher)).get('/incidents/categories');
  assert.equal(usedOf(head.body, label), '0');
  const dsl = await (await signedIn(t.app, school.personas.dsl)).get('/incidents/categories');
  assert.equal(usedOf(dsl.body, label), '1');
});

test("access withdrawn on a concern the headteacher may not see is, on the register, only 'from an incident'", async () => {
  const { recordAccessDecision } = await import('../agreements/service');
  const { systemActor } = await import('../../platform/audit/audit');
  const headId = school.personas.headteacher.personId;
  await t.db.transaction((tx) => recordAccessDecision(tx, school.id, {
    personId: headId, status: 'withdrawn', reasonKind: 'incident_sanction', reasonDetail: `Incident ${concern.reference}`,
    startsOn: today(), endsOn: null, sourceType: 'incident', sourceId: concern.id,
  }, systemActor, null));
  const head = await (await signedIn(t.app, school.personas.headteacher)).get(`/technology-access/people/${headId}`);
  assert.equal(head.statusCode, 200);
  assert.ok(!head.body.includes(concern.reference), "the headteacher's own record does not name the concern");
  assert.match(head.body, /Withdrawn/);
  const dsl = await (await signedIn(t.app, school.personas.dsl)).get(`/technology-access/people/${headId}`);
  assert.ok(dsl.body.includes(concern.reference), 'the safeguarding lead, who may see it, is told which incident');
});

test("an unsent draft is its author's alone: the audit trail shows nobody else that one was begun", async () => {
  const teacher = await signedIn(t.app, school.personas.teacher);
  const saved = await teacher.post('/incidents/new', { summary: 'Begun, not sent: about a member of staff', intent: 'submit', category: '', concern_about: 'headteacher' }, { from: '/incidents/new' });
  assert.equal(saved.statusCode, 400, 'the incomplete report comes back, kept as a draft');
  const [draft] = (await t.db.query(`select id from audit_events where school_id = $1 and action = 'incident.draft_saved' and actor_user_id = $2`, [school.id, school.personas.teacher.userId])).rows;
  assert.ok(draft, 'the draft was saved and audited');
  for (const who of [school.personas.headteacher, school.personas.dsl]) {
    const c = await signedIn(t.app, who);
    const trail = await wholeTrail(c, 'action=draft');
    assert.ok(!trail.includes('incident.draft_saved'), 'another person does not see that a draft was begun');
    assert.ok(!(await c.get('/audit.csv?action=draft')).body.includes('incident.draft_saved'));
  }
});
