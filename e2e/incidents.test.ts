// Browser journeys for online safety incidents, with axe on every page on the way: a teacher
// reports; the safeguarding lead triages, follows the recommended actions and closes; a concern
// about the headteacher that the headteacher cannot see; a report of suspected illegal material
// that refuses evidence uploads; the half-termly review; and the governors' figures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Browser, BrowserContext } from 'playwright-core';
import { closeTestDb, makeSchool, makeStaff, readOutbox, type Persona, type TestSchool } from '../src/testing/harness';
import { addPerson } from '../src/modules/schools/service';
import { reportIncident } from '../src/modules/incidents/service';
import { ensureIncidentDefaults } from '../src/modules/incidents/matrix';
import { systemActor } from '../src/platform/audit/audit';
import { assertAccessible, launchBrowser, newContext, startApp, type RunningApp } from './support/browser';
import { HarbourPage } from './support/harbour-page';

let app: RunningApp;
let browser: Browser;
let school: TestSchool;
let chair: Persona;
let pupil: string;
const pupilName = { given: 'Tamsin', family: 'Trevithick' };
const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());

before(async () => {
  app = await startApp();
  browser = await launchBrowser();
  school = await makeSchool(app.db);
  chair = await makeStaff(app.db, school.id, ['chair_of_governors'], 'chair', 'governor');
  pupil = await addPerson(app.db, school.id, { kind: 'pupil', given_name: pupilName.given, family_name: pupilName.family, year_group: '6', class_name: '6B', gender: 'F' });
  await app.db.transaction((tx) => ensureIncidentDefaults(tx, school.id));
});
after(async () => {
  await browser?.close();
  await app?.close();
  await closeTestDb();
});

/** A signed-in page for a persona, in a context of its own; closed by the caller. */
async function as(p: Persona): Promise<{ ctx: BrowserContext; page: HarbourPage }> {
  const ctx = await newContext(browser, app);
  const page = new HarbourPage(await ctx.newPage());
  await page.signIn(p);
  return { ctx, page };
}

const categoryId = async (code: string) => (await app.db.query('select id from incident_categories where school_id = $1 and code = $2', [school.id, code])).rows[0].id as string;

/** An incident reported by the teacher about the pupil (alleged), for journeys that start after reporting. */
async function reported(summary: string, code = 'cyberbullying') {
  const categoryIdValue = await categoryId(code);
  return app.db.transaction((tx) => reportIncident(tx, school.id, {
    summary, occurredAt: new Date(Date.now() - 86_400_000), cameToLight: 'pupil_told', categoryId: categoryIdValue, concernAbout: 'none', location: 'Room 9',
    people: [{ personId: pupil, role: 'alleged' }],
  }, { personId: school.personas.teacher.personId, actor: systemActor, ip: null, via: 'browser' }));
}

test('a teacher reports from any page: a slip is caught, nothing typed is lost, the lead is emailed a bare link', async () => {
  const { ctx, page: p } = await as(school.personas.teacher);
  try {
    await p.open('/people');
    await p.follow('Report a concern');
    assert.equal(p.path(), '/incidents/new');
    assert.equal(await p.heading(), 'Report a concern');
    await assertAccessible(p.page, 'report form');
    await p.fill('What happened?', 'Tamsin said a group chat had been sending her unkind messages every evening');
    await p.fill('Time (optional)', '14:30');
    await p.fill('Room or place (optional)', 'Room 9');
    await p.fill('Device or computer number (optional)', 'Tablet 14');
    await p.page.getByLabel('A pupil told us').check();
    // A screenshot of the chat, chosen on the form itself.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
    await p.page.getByLabel('Add screenshots, photos or documents').setInputFiles({ name: 'group-chat.png', mimeType: 'image/png', buffer: png });
    // Forgot the kind of incident: the form comes back with the error, everything typed, and the file kept with the draft.
    assert.equal((await p.submit('Send the report'))?.status(), 400);
    assert.deepEqual(await p.errorSummary(), ['Choose the kind of incident']);
    assert.equal(await p.page.getByLabel('What happened?').inputValue(), 'Tamsin said a group chat had been sending her unkind messages every evening');
    assert.match(await p.page.locator('#attached').innerText(), /group-chat\.png/);
    await assertAccessible(p.page, 'report form with an error');
    await p.page.getByLabel('What kind of incident is it?').selectOption({ label: 'Cyberbullying, or offensive or unkind messages' });
    await p.fill('Find a pupil, member of staff or other person by name', pupilName.family);
    await p.page.getByLabel('How were they involved?').selectOption({ label: 'Affected' });
    await p.submit('Find');
    await assertAccessible(p.page, 'report form with people found');
    await p.submit(`Add ${pupilName.given} ${pupilName.family}`);
    assert.match(await p.page.locator('table').first().innerText(), new RegExp(`${pupilName.given} ${pupilName.family}`));
    const before = readOutbox(app.outboxDir).length;
    await p.submit('Send the report');
    assert.equal(await p.heading(), 'Report sent');
    const reference = /INC-\d{4}-\d{4}/.exec(await p.page.locator('.govuk-panel').innerText())![0];
    assert.match(await p.page.locator('#files-sent').innerText(), /1 evidence file was sent with your report/);
    await assertAccessible(p.page, 'report sent');
    const [evidence] = (await app.db.query(
      `select e.filename, e.sha256 from incident_evidence e join incidents i on i.id = e.incident_id where i.school_id = $1 and i.reference = $2`, [school.id, reference])).rows;
    assert.equal(evidence.filename, 'group-chat.png');
    assert.equal(evidence.sha256, createHash('sha256').update(png).digest('hex'));
    // More evidence can still be added from the report just sent.
    await p.follow(/^Add evidence/);
    assert.equal(new URL(p.page.url()).hash, '#evidence-files');
    assert.equal(await p.heading(), reference);
    assert.match(await p.page.locator('.govuk-summary-list').innerText(), /Reported/);
    assert.ok(!(await p.page.content()).includes('group chat'), 'the reporter sees that it was received and its status, not the record');
    await assertAccessible(p.page, 'receipt');

    const mail = readOutbox(app.outboxDir).slice(before);
    assert.deepEqual(mail.map((m) => m.to), [school.personas.dsl.email]);
    const [row] = (await app.db.query('select id from incidents where school_id = $1 and reference = $2', [school.id, reference])).rows;
    assert.ok(mail[0].text.includes(`/incidents/${row.id}`));
    for (const secret of [pupilName.given, pupilName.family, 'group chat', 'Cyberbullying', 'Room 9']) assert.ok(!mail[0].text.includes(secret) && !mail[0].subject.includes(secret), `the email leaves out ${secret}`);
  } finally {
    await ctx.close();
  }
});

test('the safeguarding lead finds the report, triages it, follows the recommended actions, refers or not with a reason, and closes it', async () => {
  const made = await reported('Unkind messages about a classmate sent from a school tablet');
  const learnerType = (await app.db.query(`select id from sanction_incident_types where school_id = $1 and subject = 'learner' and label like 'Sending an offensive%'`, [school.id])).rows[0].id;
  const action = async (kind: string) => (await app.db.query(
    `select a.id from sanction_recommendations r join sanction_actions a on a.id = r.action_id where r.incident_type_id = $1 and a.kind = $2`, [learnerType, kind])).rows[0].id as string;
  const { ctx, page: p } = await as(school.personas.dsl);
  try {
    await p.follow('Incidents');
    await assertAccessible(p.page, 'incident log');
    await p.fill('Search', 'classmate tablet');
    await p.submit('Filter');
    assert.match(await p.page.locator('caption').first().innerText(), /^1 incident you can see that match/);
    assert.ok(!p.path().includes('classmate'), 'the words searched for are not in the address');
    await assertAccessible(p.page, 'incident log searched');
    await p.follow(made.reference);
    assert.match(await p.heading(), new RegExp(`^${made.reference}`));
    await assertAccessible(p.page, 'incident before triage');

    // Triage, with a forgotten reason first.
    await p.page.getByLabel('Medium').check();
    await p.page.getByLabel('Who handles it').selectOption(school.personas.dsl.personId);
    await p.page.getByLabel('Learner incident type (sanctions matrix)').selectOption(learnerType);
    assert.equal((await p.submit('Save triage'))?.status(), 400);
    assert.deepEqual(await p.errorSummary(), ['Enter the reason for these decisions']);
    await assertAccessible(p.page, 'triage with an error');
    await p.fill('Why you decided this', 'Unkind but not criminal: the school deals with it under its own procedures');
    await p.submit('Save triage');
    const checklist = p.page.locator('#recommended ~ ul').first();
    assert.match(await checklist.innerText(), /To do\s+Inform parents or carers/);
    await assertAccessible(p.page, 'recommended actions');

    // Parents told by phone; access removed until a date (which the technology access register shows).
    await p.page.getByLabel('Action', { exact: true }).selectOption(await action('inform_parents'));
    await p.page.getByLabel('About').selectOption(pupil);
    await p.page.getByLabel('When telling parents or carers: how').selectOption('phone');
    await p.page.getByLabel('When telling parents or carers: who told them').selectOption(school.personas.dsl.personId);
    await p.submit('Record the action');
    assert.match(await p.page.locator('.govuk-notification-banner').innerText(), /Action recorded/);
    await p.page.getByLabel('Action', { exact: true }).selectOption(await action('remove_access'));
    await p.page.getByLabel('About').selectOption(pupil);
    await p.fill('When removing access: the date it comes back', '2099-07-20');
    await p.submit('Record the action');
    assert.match(await checklist.innerText(), /Done\s+Inform parents or carers[^\n]*By phone/);
    assert.match(await checklist.innerText(), /until 20 July 2099/);
    // A warning the lead decides against must say why.
    await p.page.getByLabel('Action', { exact: true }).selectOption(await action('warning'));
    await p.page.getByLabel('About').selectOption(pupil);
    await p.page.getByLabel('No, we decided not to').check();
    assert.equal((await p.submit('Record the action'))?.status(), 400);
    assert.deepEqual(await p.errorSummary(), ['Give the reason for deciding not to take this action']);
    await assertAccessible(p.page, 'action with an error');
    await p.fill('Reason for the decision', 'Parents already took her phone away for a week');
    await p.submit('Record the action');
    assert.match(await checklist.innerText(), /Decided not to\s+Issue a warning/);

    await p.page.getByLabel('Decided not to refer').check();
    await p.page.getByLabel('Agency').selectOption('police');
    await p.fill('Reason for the referral decision', 'No offence: unkind messages between pupils of the same class');
    await p.submit('Record the referral decision');
    assert.match(await p.page.locator('#referrals ~ ul').first().innerText(), /Decided not to refer to .*Reason: No offence/);
    await p.fill('What needs doing', 'Check in with the pupil after half term');
    await p.page.getByLabel('Who', { exact: true }).selectOption(school.personas.dsl.personId);
    await p.fill('Due by', '2099-02-27');
    await p.submit('Add the task');

    await p.fill('Outcome', 'Parents told, tablet access removed for the rest of the year');
    await p.fill('Feedback given to those involved', 'Told the pupil who reported it that it has been dealt with');
    await p.fill('What the school learned', 'Year 6 need a lesson on group chats before the summer');
    await p.page.locator('input[name="c_changes"][value="curriculum"]').check();
    await p.submit('Close the incident');
    assert.match(await p.page.locator('.govuk-notification-banner').innerText(), /Incident closed/);
    assert.match(await p.page.locator('#history ~ *').first().innerText(), /closed/i);
    await assertAccessible(p.page, 'closed incident');

    await p.open('/technology-access');
    assert.match(await p.page.locator('main').innerText(), new RegExp(`${pupilName.given} ${pupilName.family}`));
    await p.open('/incidents');
    await p.follow("A person's chronology");
    await p.fill('Name', pupilName.family);
    await p.submit('Find');
    await assertAccessible(p.page, 'find a chronology');
    await p.follow(`${pupilName.given} ${pupilName.family}`);
    assert.equal(p.path(), `/incidents/people/${pupil}`);
    assert.match(await p.page.locator('main').innerText(), new RegExp(made.reference));
    await assertAccessible(p.page, 'chronology');
  } finally {
    await ctx.close();
  }
  const row = (await app.db.query('select status, lessons_learned, changes_needed from incidents where id = $1', [made.id])).rows[0];
  assert.equal(row.status, 'closed');
  assert.deepEqual(row.changes_needed, ['curriculum']);
});

test('a concern about the headteacher goes to the chair of governors, and the headteacher cannot see it at all', async () => {
  const t = await as(school.personas.teacher);
  let reference = '';
  let id = '';
  try {
    const p = t.page;
    await p.open('/incidents/new');
    await p.fill('What happened?', 'The headteacher shared a pupil photo in a personal messaging group');
    await p.page.getByLabel('What kind of incident is it?').selectOption({ label: 'Data protection or security breach (personal data lost, shared or held insecurely)' });
    await p.page.getByLabel('A member of staff saw it').check();
    await p.page.getByLabel('Yes, the headteacher').check();
    await p.submit('Send the report');
    reference = /INC-\d{4}-\d{4}/.exec(await p.page.locator('.govuk-panel').innerText())![0];
    id = (await app.db.query('select id from incidents where school_id = $1 and reference = $2', [school.id, reference])).rows[0].id;
  } finally {
    await t.ctx.close();
  }
  const h = await as(school.personas.headteacher);
  try {
    await h.page.open('/incidents');
    assert.ok(!(await h.page.page.locator('main').innerText()).includes(reference), 'not in the headteacher\'s list');
    const res = await h.page.open(`/incidents/${id}`);
    assert.equal(res?.status(), 404, 'and not found at its address');
    await assertAccessible(h.page.page, 'not found');
  } finally {
    await h.ctx.close();
  }
  const c = await as(chair);
  try {
    await c.page.open('/incidents');
    await c.page.follow(reference);
    assert.match(await c.page.heading(), new RegExp(`^${reference}`));
    assert.match(await c.page.page.locator('main').innerText(), /personal messaging group/);
    await assertAccessible(c.page.page, 'concern about the headteacher, as the chair sees it');
  } finally {
    await c.ctx.close();
  }
});

test('suspected illegal material: the form says what not to do, needs where the device is held, and refuses evidence uploads', async () => {
  const { ctx, page: p } = await as(school.personas.teacher);
  try {
    await p.open('/incidents/new');
    assert.match(await p.page.locator('#illegal-material').innerText(), /do not open it again, copy it/);
    await p.fill('What happened?', 'A pupil showed me an image on a phone that may be a sexual image of a child');
    await p.page.getByLabel('What kind of incident is it?').selectOption({ label: 'Sexual images of children (suspected child sexual abuse material) (suspected illegal material)' });
    await p.page.getByLabel('A member of staff saw it').check();
    // A copy chosen on the form is refused with the rest of the report kept: nothing of the file is stored.
    await p.page.getByLabel('Add screenshots, photos or documents').setInputFiles({ name: 'copy.png', mimeType: 'image/png', buffer: Buffer.from('89504e470d0a1a0a', 'hex') });
    assert.equal((await p.submit('Send the report'))?.status(), 400);
    const errors = await p.errorSummary();
    assert.equal(errors.length, 2);
    assert.match(errors[0], /where the device is now held/i);
    assert.match(errors[1], /not added\. Evidence cannot be uploaded for suspected illegal material/);
    assert.equal(await p.page.locator('#attached').count(), 0, 'nothing is attached');
    await assertAccessible(p.page, 'illegal material without where the device is');
    await p.fill('Where is the device now? (for suspected illegal material)', 'Switched off, in the locked office safe');
    await p.submit('Send the report');
    assert.match(await p.page.locator('.govuk-warning-text').innerText(), /Do not open, copy, forward/);
    await assertAccessible(p.page, 'illegal material sent');
    assert.equal(await p.page.getByRole('link', { name: /^Add evidence/ }).count(), 0, 'no offer to add evidence');
    await p.follow('your report');
    assert.match(await p.page.locator('#evidence').innerText(), /cannot be uploaded for suspected illegal material/);
    assert.equal(await p.page.locator('input[type=file]').count(), 0, 'no upload form');
    await assertAccessible(p.page, 'receipt refusing uploads');
    // Even a hand-made upload is refused.
    const url = p.path();
    const csrf = await p.page.locator('input[name="_csrf"]').first().getAttribute('value');
    const res = await p.page.request.post(`${url}/evidence`, { multipart: { _csrf: csrf!, evidence: { name: 'copy.png', mimeType: 'image/png', buffer: Buffer.from('89504e470d0a1a0a', 'hex') } } });
    assert.equal(res.status(), 400);
  } finally {
    await ctx.close();
  }
  const [row] = (await app.db.query(`select i.device_held_at, (select count(*)::int from incident_evidence e where e.incident_id = i.id) as files
    from incidents i where i.school_id = $1 and i.device_held_at is not null order by i.reported_at desc limit 1`, [school.id])).rows;
  assert.deepEqual(row, { device_held_at: 'Switched off, in the locked office safe', files: 0 });
});

test('the headteacher reviews the log since the last review and signs it off', async () => {
  await reported('Laptop used to reach a gaming site in wet play');
  const { ctx, page: p } = await as(school.personas.headteacher);
  try {
    await p.open('/incidents');
    await p.follow('Review the log');
    assert.equal(await p.heading(), 'Review the incident log');
    await assertAccessible(p.page, 'review');
    assert.match(await p.page.locator('main').innerText(), /gaming site|Incidents reported/);
    await p.fill('Notes (optional)', 'Looked at every open incident with the safeguarding lead');
    assert.equal((await p.submit('Sign off the review'))?.status(), 400);
    assert.deepEqual(await p.errorSummary(), ['Confirm that you have reviewed the log']);
    await assertAccessible(p.page, 'review with an error');
    await p.page.getByLabel('I have reviewed the incident log since the last review').check();
    await p.submit('Sign off the review');
    assert.match(await p.page.locator('.govuk-notification-banner').innerText(), /signed off/);
    assert.match(await p.page.locator('main').innerText(), /Earlier reviews/);
    await assertAccessible(p.page, 'review signed off');
  } finally {
    await ctx.close();
  }
  const [review] = (await app.db.query('select signed_off_role, notes from incident_reviews where school_id = $1', [school.id])).rows;
  assert.deepEqual(review, { signed_off_role: 'headteacher', notes: 'Looked at every open incident with the safeguarding lead' });
});

test("a governor opens the figures from the dashboard: charts and tables, trend and CSV, and never a name", async () => {
  for (let i = 0; i < 3; i++) await reported(`Figures fixture ${i}: unkind messages`);
  const { ctx, page: p } = await as(school.personas.governor);
  try {
    await p.follow('Reports for governors');
    assert.equal(await p.heading(), 'Incident figures');
    await assertAccessible(p.page, 'figures');
    const text = await p.page.locator('main').innerText();
    assert.match(text, /By year group of the pupils involved/);
    assert.match(text, /Year 6/);
    for (const name of [pupilName.given, pupilName.family, 'Figures fixture', 'Room 9']) assert.ok(!text.includes(name), `the figures never show ${name}`);
    await p.fill('From', '2026-13-01');
    assert.equal((await p.submit('Show the figures'))?.status(), 400);
    assert.deepEqual(await p.errorSummary(), ['Enter the start date like 2026-09-01']);
    await assertAccessible(p.page, 'figures with an error');
    const href = await p.page.getByRole('link', { name: 'Download these figures as CSV' }).getAttribute('href');
    const csv = await (await p.page.request.get(href!)).text();
    assert.match(csv.split('\n')[0], /^measure,group,incidents /);
    for (const name of [pupilName.given, pupilName.family, 'Figures fixture']) assert.ok(!csv.includes(name));
    // A governor reads figures, never the log itself.
    assert.equal((await p.open('/incidents'))?.status(), 403);
  } finally {
    await ctx.close();
  }
});
