import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, makeSchool, makeStaff, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';
import { systemActor } from '../../platform/audit/audit';
import { addIncidentRecords } from './testing';
import { reportIncident } from './service';
import { suppress } from './figures';

let t: TestApp;
before(async () => { t = await testApp(); });
after(async () => {
  await t.close();
  await closeTestDb();
});

/** A school with one ordinary incident (about its pupil) and one concern about the headteacher. */
async function schoolWithIncidents(): Promise<{ s: TestSchool; ordinary: string; aboutHead: string }> {
  const s = await makeSchool(t.db);
  const ordinary = await addIncidentRecords(t.db, s.id, { reporterId: s.personas.teacher.personId, handlerId: s.personas.dsl.personId, pupilId: s.pupilId, summary: 'Rude messages in the year 5 chat' });
  const [cat] = (await t.db.query(`select id from incident_categories where school_id = $1 and code = 'cyberbullying'`, [s.id])).rows;
  const aboutHead = (await t.db.transaction((tx) => reportIncident(tx, s.id, {
    summary: 'Headteacher messaged a pupil privately', occurredAt: new Date(), cameToLight: 'staff_saw', categoryId: cat.id, concernAbout: 'headteacher',
    people: [{ personId: s.personas.headteacher.personId, role: 'alleged' }],
  }, { personId: s.personas.teacher.personId, actor: systemActor, ip: null, via: 'browser' }))).id;
  return { s, ordinary, aboutHead };
}

test('the headteacher reviews what happened since the last review (never the concern about them) and signs it off; the next review starts after it', async () => {
  const { s, ordinary, aboutHead } = await schoolWithIncidents();
  const head = await signedIn(t.app, s.personas.headteacher);
  const page = await head.get('/incidents/review');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Incidents reported\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*1\s*</);
  assert.match(page.body, new RegExp(`/incidents/${ordinary}`));
  assert.ok(!page.body.includes(aboutHead), 'the concern about the headteacher is not listed');
  const refused = await head.post('/incidents/review', { notes: 'Looked at all of them' }, { from: '/incidents/review' });
  assert.equal(refused.statusCode, 400);
  assert.match(refused.body, /href="#confirm"/);
  const ok = await head.post('/incidents/review', { notes: 'Looked at all of them', confirm: 'yes' }, { from: '/incidents/review' });
  assert.equal(ok.statusCode, 303);
  const [review] = (await t.db.query('select * from incident_reviews where school_id = $1', [s.id])).rows;
  assert.equal(review.signed_off_by, s.personas.headteacher.personId);
  assert.equal(review.signed_off_role, 'headteacher');
  assert.equal(review.notes, 'Looked at all of them');
  assert.equal(review.counts.total, 1);
  const next = await head.get('/incidents/review');
  assert.match(next.body, /The last review was signed off by/);
  assert.match(next.body, /Incidents reported\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*0\s*</);
  assert.match(next.body, /Looked at all of them/);
});

test('the chair of governors reviews with every incident counted, including the concern about the headteacher', async () => {
  const { s, aboutHead } = await schoolWithIncidents();
  const chair = await signedIn(t.app, await makeStaff(t.db, s.id, ['chair_of_governors'], 'chair', 'governor'));
  const page = await chair.get('/incidents/review');
  assert.match(page.body, /Incidents reported\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*2\s*</);
  assert.match(page.body, new RegExp(`/incidents/${aboutHead}`));
  assert.equal((await chair.post('/incidents/review', { confirm: 'yes' }, { from: '/incidents/review' })).statusCode, 303);
  assert.equal((await t.db.query(`select signed_off_role from incident_reviews where school_id = $1`, [s.id])).rows[0].signed_off_role, 'chair_of_governors');
  // Others may not review at all.
  assert.equal((await (await signedIn(t.app, s.personas.teacher)).get('/incidents/review')).statusCode, 403);
});

test("the chair's notes on a review covering a concern about the headteacher are for governors only by default: the headteacher sees that there are notes, not what they say", async () => {
  const { s } = await schoolWithIncidents();
  const chairPersona = await makeStaff(t.db, s.id, ['chair_of_governors'], 'chair', 'governor');
  const chair = await signedIn(t.app, chairPersona);
  const page = await chair.get('/incidents/review');
  assert.match(page.body, /Are the notes for governors only\?/);
  assert.match(page.body, /value="yes" checked/, 'yes by default: the review covers a concern the headteacher cannot see');
  assert.match(page.body, /This review covers a concern the headteacher cannot see/);
  const secret = 'Asked the LADO about the messages from the head';
  // The choice left out (an older form): the default holds.
  assert.equal((await chair.post('/incidents/review', { notes: secret, confirm: 'yes' }, { from: '/incidents/review' })).statusCode, 303);
  const [saved] = (await t.db.query('select notes, notes_governors_only from incident_reviews where school_id = $1', [s.id])).rows;
  assert.deepEqual(saved, { notes: secret, notes_governors_only: true });
  assert.match((await chair.get('/incidents/review')).body, new RegExp(`${secret} <span class="govuk-body-s">\\(for governors only\\)`));
  const head = await signedIn(t.app, s.personas.headteacher);
  const headPage = await head.get('/incidents/review');
  assert.doesNotMatch(headPage.body, /Asked the LADO/);
  assert.match(headPage.body, /Notes kept for governors only/);
  assert.doesNotMatch(headPage.body, /Are the notes for governors only/, 'the choice is the chair\'s alone');
  assert.doesNotMatch(headPage.body, /cannot see/);

  // The next review covers nothing hidden from the headteacher: the default is no, and the chair may say so.
  const ordinary = await addIncidentRecords(t.db, s.id, { reporterId: s.personas.teacher.personId, handlerId: s.personas.dsl.personId, pupilId: s.pupilId, summary: 'A game downloaded in the library' });
  assert.ok(ordinary);
  const next = await chair.get('/incidents/review');
  assert.match(next.body, /value="no" checked/);
  assert.equal((await chair.post('/incidents/review', { notes: 'Filtering looked right this half term', notes_governors_only: 'no', confirm: 'yes' }, { from: '/incidents/review' })).statusCode, 303);
  assert.match((await head.get('/incidents/review')).body, /Filtering looked right this half term/);
  // The headteacher's own notes are never for governors only, whatever the form says.
  assert.equal((await head.post('/incidents/review', { notes: 'Read through with the DSL', notes_governors_only: 'yes', confirm: 'yes' }, { from: '/incidents/review' })).statusCode, 303);
  const [mine] = (await t.db.query(`select notes_governors_only from incident_reviews where school_id = $1 and signed_off_role = 'headteacher'`, [s.id])).rows;
  assert.equal(mine.notes_governors_only, false);
  assert.match((await head.get('/incidents/review')).body, /Read through with the DSL/);
});

test('governors see the anonymised figures only: counts with small numbers suppressed, no names, and a CSV of the same', async () => {
  const { s } = await schoolWithIncidents();
  const pupil = (await t.db.query('select family_name from people where id = $1', [s.pupilId])).rows[0].family_name;
  const refs = (await t.db.query('select reference from incidents where school_id = $1', [s.id])).rows.map((r) => r.reference);
  const governor = await signedIn(t.app, s.personas.governor);
  const page = await governor.get('/incidents/figures');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /2 incidents from/);
  assert.match(page.body, /fewer than 3/);
  for (const secret of [pupil, 'Rude messages', 'Headteacher messaged', ...refs]) assert.ok(!page.body.includes(secret), `the figures do not show ${secret}`);
  assert.equal((await governor.get('/incidents')).statusCode, 403, 'a governor cannot open the log itself');
  const csv = await governor.get('/incidents/figures.csv');
  assert.equal(csv.statusCode, 200);
  assert.match(String(csv.headers['content-disposition']), /^attachment/);
  assert.match(csv.body, /^measure,group,/);
  assert.match(csv.body, /category,"?Cyberbullying[^\r\n]*,fewer than 3,/i);
  for (const secret of [pupil, 'Rude messages', ...refs]) assert.ok(!csv.body.includes(secret));
  // Three of a kind are shown as 3.
  for (let i = 0; i < 2; i++) await addIncidentRecords(t.db, s.id, { reporterId: s.personas.teacher.personId, handlerId: s.personas.dsl.personId, pupilId: s.pupilId });
  assert.match((await governor.get('/incidents/figures.csv')).body, /category,"?Cyberbullying[^\r\n]*,4,/i);
  assert.equal((await (await signedIn(t.app, s.personas.teacher)).get('/incidents/figures')).statusCode, 403);
  const bad = await governor.get('/incidents/figures?from=2026-02-31');
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /href="#from"/);
});

test('a lone small count is hidden with the next smallest, so the total cannot give it away', () => {
  assert.deepEqual(suppress([10, 2, 5, 0]), [10, null, null, 0]);
  assert.deepEqual(suppress([10, 2, 1, 5]), [10, null, null, 5]);
  assert.deepEqual(suppress([3, 4]), [3, 4]);
});
