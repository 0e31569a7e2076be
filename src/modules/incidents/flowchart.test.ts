// The flowchart as the incident page applies it: a concern about an adult prompts the LADO and
// cannot be closed without a LADO decision; the illegal or seriously harmful cannot be closed
// without a police or local safeguarding decision; naming an adult as alleged makes the report
// a concern about them; triage can change the kind; a safeguarding lead can reopen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, makeSchool, makeStaff, readOutbox, signedIn, testApp, type Persona, type TestApp, type TestSchool } from '../../testing/harness';
import { nextStep, owedReferrals } from './flowchart';

let t: TestApp;
let school: TestSchool;
let colleague: Persona;
let chair: Persona;
const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());
const categoryId = async (code: string) => (await t.db.query('select id from incident_categories where school_id = $1 and code = $2', [school.id, code])).rows[0].id as string;
const report = (category: string, extra: Record<string, string | string[]> = {}) => ({
  summary: 'Something to look into', occurred_date: today(), came_to_light: 'staff_saw', category, concern_about: 'none', intent: 'submit', ...extra,
});
/** The teacher reports; returns the new incident's row. */
async function reported(form: Record<string, string | string[]>) {
  const teacher = await signedIn(t.app, school.personas.teacher);
  const res = await teacher.post('/incidents/new', form, { from: '/incidents/new' });
  assert.equal(res.statusCode, 200, 'the report is sent');
  const reference = /INC-\d{4}-\d{4}/.exec(res.body)![0];
  return { ...(await t.db.query('select * from incidents where school_id = $1 and reference = $2', [school.id, reference])).rows[0], page: res.body };
}
const triage = (severity: string, extra: Record<string, string> = {}) => ({ t_severity: severity, t_status: 'in_progress', t_handler: school.personas.dsl.personId, t_reason: 'Looked at it', ...extra });
const closing = { c_outcome: 'Dealt with', c_feedback: 'Told those involved', c_lessons: 'Nothing new', c_changes: ['filtering', 'training'] };

before(async () => {
  t = await testApp();
  school = await makeSchool(t.db);
  colleague = await makeStaff(t.db, school.id, ['teacher'], 'colleague');
  chair = await makeStaff(t.db, school.id, ['chair_of_governors'], 'chair', 'governor');
  await (await signedIn(t.app, school.personas.dsl)).get('/incidents/new');
});
after(async () => {
  await t.close();
  await closeTestDb();
});

test('naming a member of staff as alleged makes it a concern about staff though the answer was No; the LADO is prompted and closing waits for a LADO decision', async () => {
  const before = readOutbox(t.outboxDir).length;
  const row = await reported(report(await categoryId('disrepute'), { people: `${colleague.personId}:alleged` }));
  assert.equal(row.concern_about_staff, true);
  assert.equal(row.concern_about_headteacher, false);
  assert.match(row.page, /treated as a concern about a member of staff/);
  assert.deepEqual(readOutbox(t.outboxDir).slice(before).map((m) => m.to).sort(), [school.personas.dsl.email, school.personas.headteacher.email].sort(), 'routed to the headteacher too');
  const dsl = await signedIn(t.app, school.personas.dsl);
  const url = `/incidents/${row.id}`;
  assert.equal((await dsl.post(`${url}/triage`, triage('low'), { from: url })).statusCode, 303);
  const page = await dsl.get(url);
  assert.match(page.body, /id="lado-prompt"/);
  assert.match(page.body, /id="next-step"[\s\S]*?tell the LADO within one working day/);
  const refused = await dsl.post(`${url}/close`, closing, { from: url });
  assert.equal(refused.statusCode, 400);
  assert.match(refused.body, /href="#r_agency">The incident cannot be closed yet. Record the referral to the LADO, or the decision not to refer and why: this is a concern about a member of staff/);
  assert.ok(refused.body.includes('Told those involved'), 'what was typed in the closing form is kept');
  assert.equal((await t.db.query('select status from incidents where id = $1', [row.id])).rows[0].status, 'in_progress');
  // A decision to refer somewhere else does not settle it; a reasoned decision not to refer to the LADO does.
  assert.equal((await dsl.post(`${url}/referrals`, { r_decision: 'not_referred', r_agency: 'police', r_reason: 'No offence' }, { from: url })).statusCode, 303);
  assert.equal((await dsl.post(`${url}/close`, closing, { from: url })).statusCode, 400);
  assert.equal((await dsl.post(`${url}/referrals`, { r_decision: 'not_referred', r_agency: 'lado' }, { from: url })).statusCode, 400, 'not referring needs its reason');
  assert.equal((await dsl.post(`${url}/referrals`, { r_decision: 'not_referred', r_agency: 'lado', r_reason: 'Spoke to the LADO: below the harm threshold, a conduct matter for the school' }, { from: url })).statusCode, 303);
  assert.doesNotMatch((await dsl.get(url)).body, /id="lado-prompt"/);
  assert.equal((await dsl.post(`${url}/close`, closing, { from: url })).statusCode, 303);
});

test('naming the headteacher as alleged makes it a concern about the headteacher: the chair is told, the headteacher cannot see it', async () => {
  const before = readOutbox(t.outboxDir).length;
  const row = await reported(report(await categoryId('disrepute'), { people: `${school.personas.headteacher.personId}:alleged` }));
  assert.equal(row.concern_about_headteacher, true);
  assert.equal(row.concern_about_staff, true);
  const to = readOutbox(t.outboxDir).slice(before).map((m) => m.to);
  assert.ok(to.includes(chair.email) && !to.includes(school.personas.headteacher.email));
  assert.equal((await (await signedIn(t.app, school.personas.headteacher)).get(`/incidents/${row.id}`)).statusCode, 404);
  const chairPage = await (await signedIn(t.app, chair)).get(`/incidents/${row.id}`);
  assert.match(chairPage.body, /This is a concern about the headteacher\. Tell the LADO/);
});

test('a pupil named as alleged leaves the answer as it was', async () => {
  const row = await reported(report(await categoryId('cyberbullying'), { people: `${school.pupilId}:alleged` }));
  assert.equal(row.concern_about_staff, false);
});

test('the illegal, or what triage calls serious harm, cannot be closed until a police or local safeguarding decision is recorded', async () => {
  const dsl = await signedIn(t.app, school.personas.dsl);
  const illegal = await reported(report(await categoryId('hate_crime')));
  const url = `/incidents/${illegal.id}`;
  assert.equal((await dsl.post(`${url}/triage`, triage('high'), { from: url })).statusCode, 303);
  assert.match((await dsl.get(url)).body, /id="next-step"[\s\S]*?refer it to the police and local safeguarding arrangements now/);
  const refused = await dsl.post(`${url}/close`, closing, { from: url });
  assert.equal(refused.statusCode, 400);
  assert.match(refused.body, /href="#r_decision">The incident cannot be closed yet. Record the referral to the police or local safeguarding arrangements/);
  assert.equal((await dsl.post(`${url}/referrals`, { r_decision: 'referred', r_agency: 'police', r_reference: 'CAD 1234', r_on: today(), r_by: school.personas.dsl.personId }, { from: url })).statusCode, 303);
  assert.equal((await dsl.post(`${url}/close`, closing, { from: url })).statusCode, 303);

  const harm = await reported(report(await categoryId('cyberbullying')));
  const hurl = `/incidents/${harm.id}`;
  assert.equal((await dsl.post(`${hurl}/triage`, triage('serious_harm'), { from: hurl })).statusCode, 303);
  const refusedHarm = await dsl.post(`${hurl}/close`, closing, { from: hurl });
  assert.equal(refusedHarm.statusCode, 400);
  assert.match(refusedHarm.body, /it was triaged as potential serious harm/);
  assert.equal((await dsl.post(`${hurl}/referrals`, { r_decision: 'not_referred', r_agency: 'local_safeguarding', r_reason: 'Discussed with the front door: no referral needed' }, { from: hurl })).statusCode, 303);
  assert.equal((await dsl.post(`${hurl}/close`, closing, { from: hurl })).statusCode, 303);
});

test('triage can change the kind of incident, kept in the history and the audit trail with the old and new kinds', async () => {
  const dsl = await signedIn(t.app, school.personas.dsl);
  const from = await categoryId('cyberbullying');
  const to = await categoryId('unwanted_contact');
  const row = await reported(report(from));
  const url = `/incidents/${row.id}`;
  assert.match((await dsl.get(url)).body, new RegExp(`<option value="${from}" selected>`));
  const retired = (await t.db.query(`insert into incident_categories (school_id, code, label, risk_area, retired_at) values ($1, 'old_kind', 'An old kind', 'conduct', now()) returning id`, [school.id])).rows[0].id;
  assert.equal((await dsl.post(`${url}/triage`, triage('low', { t_category: retired }), { from: url })).statusCode, 400, 'not to a retired kind');
  assert.equal((await dsl.post(`${url}/triage`, triage('low', { t_category: to }), { from: url })).statusCode, 303);
  assert.equal((await t.db.query('select category_id from incidents where id = $1', [row.id])).rows[0].category_id, to);
  const [action] = (await t.db.query(`select detail from incident_actions where incident_id = $1 and kind = 'triage'`, [row.id])).rows;
  assert.deepEqual(action.detail.category, { from, to });
  const [audited] = (await t.db.query(`select detail from audit_events where record_id = $1 and action = 'incident.triaged'`, [row.id])).rows;
  assert.equal(audited.detail.categoryFrom, from);
  assert.equal(audited.detail.categoryTo, to);
  assert.ok(audited.detail.fields.includes('category_id'));
  assert.match((await dsl.get(url)).body, /kind changed from &ldquo;Cyberbullying, or offensive or unkind messages&rdquo; to &ldquo;Unwanted contact from someone online&rdquo;/);
});

test('a closed incident shows what should change in words, and a safeguarding lead (not the headteacher) can reopen it with a reason', async () => {
  const dsl = await signedIn(t.app, school.personas.dsl);
  const row = await reported(report(await categoryId('cyberbullying')));
  const url = `/incidents/${row.id}`;
  await dsl.post(`${url}/triage`, triage('low'), { from: url });
  assert.equal((await dsl.post(`${url}/close`, closing, { from: url })).statusCode, 303);
  const closedPage = (await dsl.get(url)).body;
  assert.match(closedPage, /Filtering or monitoring, Staff training/);
  assert.doesNotMatch(closedPage, /filtering, training/);
  const head = await signedIn(t.app, school.personas.headteacher);
  assert.doesNotMatch((await head.get(url)).body, /Reopen the incident/);
  assert.equal((await head.post(`${url}/reopen`, { o_reason: 'Why not' }, { from: url })).statusCode, 403);
  const noReason = await dsl.post(`${url}/reopen`, { o_reason: '' }, { from: url });
  assert.equal(noReason.statusCode, 400);
  assert.match(noReason.body, /href="#o_reason"/);
  assert.equal((await dsl.post(`${url}/reopen`, { o_reason: 'The pupil has been sent more messages' }, { from: url })).statusCode, 303);
  const reopened = (await t.db.query('select status, closed_at, outcome from incidents where id = $1', [row.id])).rows[0];
  assert.deepEqual(reopened, { status: 'in_progress', closed_at: null, outcome: null });
  const [action] = (await t.db.query(`select reason, detail from incident_actions where incident_id = $1 and kind = 'reopened'`, [row.id])).rows;
  assert.equal(action.reason, 'The pupil has been sent more messages');
  assert.equal(action.detail.outcome, 'Dealt with', 'what the closing said is kept');
  assert.equal((await t.db.query(`select count(*)::int as n from audit_events where record_id = $1 and action = 'incident.reopened'`, [row.id])).rows[0].n, 1);
  assert.equal((await dsl.post(`${url}/reopen`, { o_reason: 'Again' }, { from: url })).statusCode, 400, 'an open incident is not reopened');
  assert.equal((await dsl.post(`${url}/close`, closing, { from: url })).statusCode, 303, 'and it closes again');
});

test('the next step follows the flowchart in order', () => {
  const i = { status: 'triaged' as const, severity: 'low' as const, concern_about_staff: false, concern_about_headteacher: false };
  const c = { illegal: false, suspected_illegal_material: false };
  assert.equal(nextStep({ ...i, severity: null }, c, [], { actionsToDo: 0, tasksOpen: 0 }).href, '#triage');
  assert.match(nextStep(i, { ...c, illegal: true }, [], { actionsToDo: 2, tasksOpen: 0 }).text, /police/);
  assert.match(nextStep({ ...i, concern_about_staff: true }, c, [], { actionsToDo: 2, tasksOpen: 0 }).text, /LADO/);
  assert.match(nextStep({ ...i, concern_about_staff: true }, c, [{ decision: 'referred', agency: 'lado' }], { actionsToDo: 2, tasksOpen: 0 }).text, /2 recommended actions/);
  assert.equal(nextStep(i, c, [], { actionsToDo: 0, tasksOpen: 1 }).href, '#tasks');
  assert.equal(nextStep(i, c, [], { actionsToDo: 0, tasksOpen: 0 }).href, '#close');
  assert.equal(nextStep({ ...i, status: 'closed' }, c, [], { actionsToDo: 0, tasksOpen: 0 }).href, null);
  assert.deepEqual(owedReferrals({ ...i, severity: 'serious_harm', concern_about_staff: true }, c, []).map((o) => o.key), ['lado', 'police']);
  assert.deepEqual(owedReferrals(i, { ...c, suspected_illegal_material: true }, [{ decision: 'not_referred', agency: 'ceop' }]), []);
});

test('changing the kind at triage to suspected illegal material asks where the device is held, as reporting does', async () => {
  const row = await reported(report(await categoryId('cyberbullying')));
  const dsl = await signedIn(t.app, school.personas.dsl);
  const url = `/incidents/${row.id}`;
  const illegal = await categoryId('child_sexual_abuse_imagery');
  const refused = await dsl.post(`${url}/triage`, triage('serious_harm', { t_category: illegal, t_device_held_at: '' }), { from: url });
  assert.equal(refused.statusCode, 400);
  assert.match(refused.body, /<a href="#t_device_held_at">Say where the device is now held/);
  assert.match(refused.body, /id="t_device_held_at-error"/);
  const [unchanged] = (await t.db.query('select category_id, device_held_at, severity from incidents where id = $1', [row.id])).rows;
  assert.deepEqual(unchanged, { category_id: row.category_id, device_held_at: null, severity: null }, 'nothing of the triage was saved');
  const ok = await dsl.post(`${url}/triage`, triage('serious_harm', { t_category: illegal, t_device_held_at: 'Switched off, with the headteacher' }), { from: url });
  assert.equal(ok.statusCode, 303);
  const [changed] = (await t.db.query('select category_id, device_held_at from incidents where id = $1', [row.id])).rows;
  assert.deepEqual(changed, { category_id: illegal, device_held_at: 'Switched off, with the headteacher' });
  const page = (await dsl.get(url)).body;
  assert.match(page, /id="t_device_held_at" name="t_device_held_at" type="text" value="Switched off, with the headteacher"/);
  // Triaged again, the recorded place stands without being typed again; a kind that is not illegal never asks.
  assert.equal((await dsl.post(`${url}/triage`, triage('serious_harm', { t_category: illegal }), { from: url })).statusCode, 303);
  const other = await reported(report(await categoryId('cyberbullying')));
  assert.equal((await dsl.post(`/incidents/${other.id}/triage`, triage('low'), { from: `/incidents/${other.id}` })).statusCode, 303);
});
