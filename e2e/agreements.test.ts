// Browser journeys for acceptable use agreements, with axe on every page on the way: the lead
// sending a parent's link and the parent signing from the message in the outbox (with the signed
// copy on the page), the lead publishing a version that asks for re-signing and a teacher signing
// it from the email and downloading the PDF copy, a visitor at the kiosk with a copy by email, a
// class session, the register as staff and as the IT provider see it (CSV and API with the
// school's key), the yearly renewal with a paper signature, and a new parents' version whose
// links the jobs send.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { closeTestDb, makeSchool, readOutbox, uniqueEmail, type TestSchool } from '../src/testing/harness';
import { addPerson, linkGuardian } from '../src/modules/schools/service';
import { agreementForAudience, recordAccessDecision } from '../src/modules/agreements/service';
import { emailVisitorCopy } from '../src/modules/agreements/copies';
import { systemActor } from '../src/platform/audit/audit';
import { assertAccessible, launchBrowser, newContext, startApp, type RunningApp } from './support/browser';
import { HarbourPage } from './support/harbour-page';
import { readFileSync } from 'node:fs';
import { createApiKey } from '../src/platform/api/keys';
import { schoolScope } from '../src/platform/db/scope';

let app: RunningApp;
let browser: Browser;
let school: TestSchool;
before(async () => {
  app = await startApp();
  browser = await launchBrowser();
  school = await makeSchool(app.db);
});
after(async () => {
  await browser?.close();
  await app?.close();
  await closeTestDb();
});

test('a parent opens the link from the email, fixes a mistake, and signs for one child while asking the school to explain to the other', async () => {
  const email = uniqueEmail('carer');
  const parent = await addPerson(app.db, school.id, { kind: 'parent', given_name: 'Elowen', family_name: 'Rosewarne', email });
  const a = await addPerson(app.db, school.id, { kind: 'pupil', given_name: 'Jago', family_name: 'Rosewarne', year_group: '5', class_name: '5A' });
  const b = await addPerson(app.db, school.id, { kind: 'pupil', given_name: 'Lowdy', family_name: 'Rosewarne', year_group: '1', class_name: '1A' });
  await linkGuardian(app.db, school.id, parent, a);
  await linkGuardian(app.db, school.id, parent, b);
  // The lead sends the link from the parents' page; the parent opens it from the message in the outbox.
  const lead = await newContext(browser, app);
  try {
    const h = new HarbourPage(await lead.newPage());
    await h.signIn(school.personas.headteacher);
    await h.open('/agreements');
    await h.follow("Parents' links");
    await assertAccessible(h.page, 'parents links');
    await h.submit('Send link to Elowen Rosewarne');
    assert.match(await h.page.locator('.govuk-notification-banner').innerText(), /A new link was sent/);
  } finally {
    await lead.close();
  }
  const message = readOutbox(app.outboxDir).find((m) => m.to === email)!;
  assert.ok(message, 'the link is in the outbox');
  assert.ok(!/Jago|Lowdy/.test(message.text), "the email names no child");
  const path = new URL(/https?:\/\/\S+\/parents\/sign\/\S+/.exec(message.text)![0]).pathname;
  const ctx = await newContext(browser, app);
  try {
    const p = new HarbourPage(await ctx.newPage());
    await p.open(path);
    assert.match(await p.heading(), /parents and carers/i);
    await assertAccessible(p.page, 'parent link');
    await p.page.getByLabel(/I have gone through the rules with Jago/).check();
    await p.fill('Your full name', 'Wrong Name');
    assert.equal((await p.submit('Send my answer'))?.status(), 400);
    assert.equal((await p.errorSummary()).length, 2);
    await assertAccessible(p.page, 'parent link with errors');
    await p.page.getByLabel(/I have gone through the rules with Jago/).check();
    await p.page.getByLabel(/I am not able to go through the rules with Lowdy/).check();
    await p.fill('Your full name', 'Elowen Rosewarne');
    await p.submit('Send my answer');
    assert.equal(await p.heading(), 'Thank you');
    // The signed copy is on the page, to print or save as PDF: who, for whom, and the fingerprint.
    const parentsAgreement = (await agreementForAudience(app.db, school.id, 'parents'))!;
    const done = await p.page.locator('main').innerText();
    assert.match(done, /Your signed copy/);
    assert.match(done, /Jago Rosewarne/);
    assert.ok(!done.includes('Lowdy Rosewarne'), 'only the child signed for is on the copy');
    assert.ok(done.includes(parentsAgreement.body_sha256));
    await assertAccessible(p.page, 'parent done');
    const again = await p.open(path);
    assert.equal(again?.status(), 410);
    await assertAccessible(p.page, 'parent link used');
  } finally {
    await ctx.close();
  }
});

test('the lead publishes a version that changes the meaning, and a teacher signs it by typing their name', async () => {
  const agreement = (await agreementForAudience(app.db, school.id, 'staff_governors'))!;
  const lead = await newContext(browser, app);
  const teacherCtx = await newContext(browser, app);
  try {
    const h = new HarbourPage(await lead.newPage());
    await h.signIn(school.personas.headteacher);
    await h.open(`/agreements/manage/${agreement.id}`);
    await assertAccessible(h.page, 'manage agreement');
    await h.page.getByLabel('Text of the agreement').fill(`${agreement.body}\n\n- I keep school data out of personal AI tools.`);
    await h.page.getByLabel('It changes the meaning').check();
    await h.submit('Publish this version');
    assert.match(await h.page.locator('.govuk-notification-banner').innerText(), /due to sign/);
    await h.open('/agreements/compliance');
    await assertAccessible(h.page, 'compliance');

    // The teacher is asked by email to sign the new version, and follows the link in it.
    const asked = readOutbox(app.outboxDir).filter((m) => m.to === school.personas.teacher.email && /new version/.test(m.subject)).pop();
    assert.ok(asked, 'the teacher was emailed to sign again');
    const signPath = new URL(/https?:\/\/\S+\/agreements\/sign\/\S+/.exec(asked.text)![0]).pathname;
    const tp = new HarbourPage(await teacherCtx.newPage());
    await tp.signIn(school.personas.teacher);
    await tp.open(signPath);
    await assertAccessible(tp.page, 'sign');
    await tp.page.getByLabel(/I have read the whole agreement/).check();
    await tp.fill('Your full name', 'teacher Tester');
    await tp.submit('Sign the agreement');
    assert.match(await tp.page.locator('.govuk-notification-banner').innerText(), /version 2/);
    await tp.follow('Your signed copy');
    assert.match(await tp.page.locator('main').innerText(), /I keep school data out of personal AI tools/);
    await assertAccessible(tp.page, 'signed copy');
    const [pdf] = await Promise.all([tp.page.waitForEvent('download'), tp.page.getByRole('link', { name: 'Download this signed copy as a PDF' }).click()]);
    assert.match(pdf.suggestedFilename(), /^signed-agreement-\d{4}-\d{2}-\d{2}\.pdf$/);
    const bytes = readFileSync((await pdf.path())!);
    assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    const signed = (await agreementForAudience(app.db, school.id, 'staff_governors'))!;
    assert.ok(bytes.toString('latin1').includes(`text SHA-256 ${signed.body_sha256}`), 'the PDF carries the fingerprint of version 2');
  } finally {
    await lead.close();
    await teacherCtx.close();
  }
});

/** Every link and form on a kiosk page stays on the kiosk (or on the page itself): nothing leads away into the school. */
async function assertNothingLeadsAway(page: import('playwright-core').Page, label: string) {
  const links = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
  const forms = await page.locator('form').evaluateAll((fs) => fs.map((f) => f.getAttribute('action') ?? ''));
  const away = [...links.filter((h) => !h.startsWith('#') && h !== '/kiosk'), ...forms.filter((a) => a !== '/kiosk')];
  assert.deepEqual(away, [], `${label}: no link or form leads away from the kiosk`);
  assert.equal(await page.locator('.govuk-service-navigation, .harbour-header__account').count(), 0, `${label}: no navigation or account links`);
  assert.ok(!(await page.content()).includes('Report a concern'), `${label}: no "Report a concern"`);
}

test('a visitor signs at the reception kiosk, which shows nothing else of the school', async () => {
  const ctx = await newContext(browser, app);
  try {
    const k = new HarbourPage(await ctx.newPage());
    await k.signIn(school.personas.office);
    await k.open('/agreements/kiosks');
    await assertAccessible(k.page, 'kiosks');
    await k.fill('Name of this tablet', 'Reception tablet');
    await k.submit('Start kiosk mode on this device');
    assert.equal(k.path(), '/kiosk');
    assert.ok(!(await k.page.content()).includes(school.name));
    await assertAccessible(k.page, 'kiosk');
    await assertNothingLeadsAway(k.page, 'kiosk');
    await k.submit('Sign');
    assert.ok((await k.errorSummary()).length >= 3);
    await assertAccessible(k.page, 'kiosk with errors');
    await assertNothingLeadsAway(k.page, 'kiosk with errors');
    const email = uniqueEmail('visitor');
    await k.fillForm({ 'First name': 'Demelza', 'Last name': 'Chenoweth', 'Organisation (optional)': 'Supply Agency', 'Who are you visiting?': 'The office', 'Email address (optional)': email });
    await k.page.getByLabel(/I have read this agreement/).check();
    await k.submit('Sign');
    assert.equal(await k.heading(), 'Thank you for signing');
    assert.match(await k.page.locator('main').innerText(), /A copy has been sent to your email address/);
    await assertAccessible(k.page, 'kiosk done');
    await assertNothingLeadsAway(k.page, 'kiosk done');
    const visitors = (await agreementForAudience(app.db, school.id, 'visitors'))!;
    const copy = readOutbox(app.outboxDir).find((m) => m.to === email);
    assert.ok(copy, 'the copy is in the outbox');
    assert.ok(copy.text.includes(visitors.body_sha256) && copy.text.includes('Demelza Chenoweth') && copy.text.includes(visitors.body.split('\n')[0]));
    await k.follow('Next visitor');
    assert.equal(k.path(), '/kiosk');
    // Had the mail server been down, reception would see it and send the copy again.
    const [sig] = (await app.db.query(`select s.id from agreement_signatures s join people p on p.id = s.subject_id where s.school_id = $1 and p.email = $2`, [school.id, email])).rows;
    const mailServerDown = { send: async () => { throw new Error('connection refused'); } };
    assert.equal(await emailVisitorCopy(app.db, mailServerDown, school.id, sig.id, systemActor, null), 'failed');
  } finally {
    await ctx.close();
  }
  const reception = await newContext(browser, app);
  try {
    const r = new HarbourPage(await reception.newPage());
    await r.signIn(school.personas.office);
    await r.open('/agreements/kiosks');
    assert.match(await r.page.locator('main').innerText(), /Demelza Chenoweth \(Supply Agency\)/);
    await assertAccessible(r.page, 'kiosks with a copy to send again');
    const before = readOutbox(app.outboxDir).length;
    await r.submit('Send again to Demelza Chenoweth');
    assert.match(await r.page.locator('.govuk-notification-banner').innerText(), /The copy was sent/);
    assert.equal(readOutbox(app.outboxDir).length, before + 1);
    assert.ok(!(await r.page.locator('main').innerText()).includes('Demelza Chenoweth'), 'no longer waiting');
  } finally {
    await reception.close();
  }
});

test('the register as a teacher sees it, and a person\'s access page as the lead sees it', async () => {
  const pupil = await addPerson(app.db, school.id, { kind: 'pupil', given_name: 'Wenna', family_name: 'Tregear', year_group: '4', class_name: '4A' });
  await recordAccessDecision(app.db, school.id, { personId: pupil, status: 'withdrawn', reasonKind: 'incident_sanction', reasonDetail: 'Private detail', endsOn: '2099-12-31' }, systemActor, null);
  const t = await newContext(browser, app);
  const h = await newContext(browser, app);
  try {
    const tp = new HarbourPage(await t.newPage());
    await tp.signIn(school.personas.teacher);
    await tp.open('/technology-access');
    const text = await tp.page.locator('main').innerText();
    assert.match(text, /Wenna Tregear/);
    assert.match(text, /Sanction after an incident/);
    assert.ok(!text.includes('Private detail'));
    await assertAccessible(tp.page, 'register as teacher');
    const hp = new HarbourPage(await h.newPage());
    await hp.signIn(school.personas.headteacher);
    await hp.open(`/technology-access/people/${pupil}`);
    await assertAccessible(hp.page, 'person access');
    await hp.submit('Record the decision');
    assert.ok((await hp.errorSummary()).length >= 2);
    await assertAccessible(hp.page, 'person access with errors');
    await hp.open('/agreements/class?class=4A');
    await assertAccessible(hp.page, 'class session');
  } finally {
    await t.close();
    await h.close();
  }
});

test('a teacher runs a class session: the youngest are recorded as having discussed it, and an older pupil confirms their own name', async () => {
  const young = await addPerson(app.db, school.id, { kind: 'pupil', given_name: 'Morvoren', family_name: 'Trevail', year_group: '2', class_name: '2K' });
  const older = await addPerson(app.db, school.id, { kind: 'pupil', given_name: 'Talan', family_name: 'Trevail', year_group: '3', class_name: '2K' });
  const ctx = await newContext(browser, app);
  try {
    const p = new HarbourPage(await ctx.newPage());
    await p.signIn(school.personas.teacher);
    await p.open('/agreements');
    await p.follow('Run a class session');
    await assertAccessible(p.page, 'class choose');
    await p.page.getByLabel('Class').selectOption('2K');
    await p.submit('Start the session');
    assert.equal(await p.heading(), 'Class session: 2K');
    await assertAccessible(p.page, 'class session');
    await p.submit('Record that we discussed the rules');
    assert.match(await p.page.locator('.govuk-notification-banner').innerText(), /for 1 pupil/);
    await p.page.getByLabel('Your name').selectOption({ label: 'Talan Trevail' });
    await p.fill('Type your first name and last name to agree', 'Talan Someone');
    assert.equal((await p.submit('I agree'))?.status(), 400);
    assert.deepEqual(await p.errorSummary(), ['Type your first name and last name as the school has them']);
    await assertAccessible(p.page, 'class session with errors');
    await p.page.getByLabel('Your name').selectOption({ label: 'Talan Trevail' });
    await p.fill('Type your first name and last name to agree', 'talan trevail');
    await p.submit('I agree');
    assert.match(await p.page.locator('.govuk-notification-banner').innerText(), /Thank you, Talan/);
    const rows = (await app.db.query(`select subject_id, method from agreement_signatures where school_id = $1 and subject_id = any($2::uuid[])`, [school.id, [young, older]])).rows;
    assert.equal(rows.length, 2);
    assert.ok(rows.every((r: any) => r.method === 'class'));
    // The class teacher's printable list of pupils whose parents have no email address.
    await schoolScope(app.db, school.id).update('people', { id: school.personas.teacher.personId }, { class_name: '2K' });
    await p.open('/agreements');
    await p.follow(/Paper agreements to send home/);
    assert.match(await p.page.locator('main').innerText(), /Morvoren Trevail/);
    await assertAccessible(p.page, 'class paper list');
  } finally {
    await ctx.close();
  }
});

test('the IT provider downloads the register as CSV from the register page, and reads it from the API with the school\'s key', async () => {
  const pupil = await addPerson(app.db, school.id, { kind: 'pupil', given_name: 'Kitto', family_name: 'Annear', year_group: '6', class_name: '6C', upn: `E2E${Date.now()}` });
  await recordAccessDecision(app.db, school.id, { personId: pupil, status: 'withdrawn', reasonKind: 'incident_sanction', reasonDetail: 'Detail only the lead sees', endsOn: '2099-12-31' }, systemActor, null);
  const ctx = await newContext(browser, app);
  try {
    const p = new HarbourPage(await ctx.newPage());
    await p.signIn(school.personas.itProvider);
    await p.open('/technology-access');
    await assertAccessible(p.page, 'register as the IT provider');
    const [download] = await Promise.all([p.page.waitForEvent('download'), p.page.getByRole('link', { name: 'Download the register as CSV' }).click()]);
    assert.match(download.suggestedFilename(), /^technology-access-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    assert.match(lines[0], /^person_id,kind,given_name,family_name,upn,year_group,class_name,status,may_use_technology,reason_kind,until,changed_at/);
    const row = lines.find((l) => l.startsWith(pupil))!;
    assert.ok(row, 'the pupil is in the CSV');
    assert.match(row, /,withdrawn,no,incident_sanction,2099-12-31,/);
    assert.ok(!csv.includes('Detail only the lead sees'));
  } finally {
    await ctx.close();
  }
  const { key } = await createApiKey(app.db, school.id, 'IT provider sync', ['technology-access:read'], systemActor, null);
  const res = await fetch(`${app.origin}/api/v1/technology-access`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(res.status, 200);
  const body = await res.json() as { people: any[]; generated_at: string };
  const me = body.people.find((x) => x.person_id === pupil);
  assert.equal(me.status, 'withdrawn');
  assert.equal(me.may_use_technology, false);
  assert.equal(me.reason_kind, 'incident_sanction');
  assert.ok(!JSON.stringify(body).includes('Detail only the lead sees'));
  assert.equal((await fetch(`${app.origin}/api/v1/technology-access`)).status, 401);
});

test('the lead sets the yearly renewal and reminders, and enters a signature given on paper', async () => {
  const pupil = await addPerson(app.db, school.id, { kind: 'pupil', given_name: 'Jenifer', family_name: 'Bolitho', year_group: '5', class_name: '5B' });
  const parent = await addPerson(app.db, school.id, { kind: 'parent', given_name: 'Ustick', family_name: 'Bolitho' });
  await linkGuardian(app.db, school.id, parent, pupil);
  const ctx = await newContext(browser, app);
  try {
    const h = new HarbourPage(await ctx.newPage());
    await h.signIn(school.personas.headteacher);
    await h.open('/agreements');
    await h.follow('Yearly renewal and reminders');
    await assertAccessible(h.page, 'renewal');
    await h.fill('Day of the month', '31');
    await h.page.getByLabel('Month', { exact: true }).selectOption({ label: 'June' });
    await h.fill('Remind whoever has not signed every (days)', '7');
    assert.equal((await h.submit('Save'))?.status(), 400);
    assert.deepEqual(await h.errorSummary(), ['That month does not have that many days']);
    await assertAccessible(h.page, 'renewal with errors');
    await h.fill('Day of the month', '1');
    await h.page.getByLabel('Month', { exact: true }).selectOption({ label: 'September' });
    await h.submit('Save');
    assert.match(await h.page.locator('.govuk-notification-banner').innerText(), /starts by itself on \d{4}-09-01/);

    await h.open('/agreements');
    await h.follow('Enter a signature given on paper');
    await h.fill('Name of the person the agreement is for', 'Jenifer Bol');
    await h.submit('Find');
    await assertAccessible(h.page, 'paper find');
    await h.follow('Jenifer Bolitho');
    await assertAccessible(h.page, 'paper entry');
    await h.fill('Name as signed on the paper', 'U Bolitho');
    assert.equal((await h.submit('Record the paper signature'))?.status(), 400);
    assert.deepEqual(await h.errorSummary(), ['Choose the version printed on the paper', 'Choose who signed']);
    assert.equal(await h.page.getByLabel('Name as signed on the paper').inputValue(), 'U Bolitho');
    await assertAccessible(h.page, 'paper entry with errors');
    await h.page.getByLabel('Agreement and version on the paper').selectOption({ index: 2 });
    await h.page.getByLabel(/Ustick Bolitho/).check();
    await h.submit('Record the paper signature');
    assert.match(await h.page.locator('.govuk-notification-banner').innerText(), /Recorded the paper signature/);
    await assertAccessible(h.page, 'paper entry with a signature on record');
    // The lead opens the copy of what was signed on paper.
    await h.follow(/version \d+\s*: signed copy/);
    const copy = await h.page.locator('main').innerText();
    assert.match(copy, /On paper, entered by staff/);
    assert.match(copy, /U Bolitho/);
    await assertAccessible(h.page, 'signed copy of a paper signature');
  } finally {
    await ctx.close();
  }
  const rows = (await app.db.query(`select method, signer_id from agreement_signatures where school_id = $1 and subject_id = $2`, [school.id, pupil])).rows;
  assert.deepEqual(rows, [{ method: 'paper', signer_id: parent }]);
});

test("the lead publishes a parents' version that changes the meaning: parents are emailed their links by the jobs, and one signs from it", async () => {
  const s = await makeSchool(app.db);
  const email = uniqueEmail('carer');
  const parent = await addPerson(app.db, s.id, { kind: 'parent', given_name: 'Ebrel', family_name: 'Carlyon', email });
  const child = await addPerson(app.db, s.id, { kind: 'pupil', given_name: 'Kenwyn', family_name: 'Carlyon', year_group: '4', class_name: '4B' });
  await linkGuardian(app.db, s.id, parent, child);
  const agreement = (await agreementForAudience(app.db, s.id, 'parents'))!;
  const lead = await newContext(browser, app);
  try {
    const h = new HarbourPage(await lead.newPage());
    await h.signIn(s.personas.headteacher);
    await h.open(`/agreements/manage/${agreement.id}`);
    await h.page.getByLabel('Text of the agreement').fill(`${agreement.body}\n\n- We talk with our child about AI chat tools.`);
    await h.page.getByLabel('It changes the meaning').check();
    await h.submit('Publish this version');
    assert.match(await h.page.locator('.govuk-notification-banner').innerText(), /will be emailed their personal links shortly/);
    assert.ok(!readOutbox(app.outboxDir).some((m) => m.to === email), 'publishing itself emails no parent');
    await h.open('/agreements/parents');
    assert.match(await h.page.locator('#links-owed').innerText(), /1 still to send/);
    await assertAccessible(h.page, 'parents links owed');
    // The jobs (here started by hand from the renewal page) send the link.
    await h.open('/agreements/renewal');
    await h.submit('Send the reminders that are due now');
    assert.match(await h.page.locator('.govuk-notification-banner').innerText(), /1 parents' link for a new version sent/);
    await h.open('/agreements/parents');
    assert.equal(await h.page.locator('#links-owed').count(), 0);
  } finally {
    await lead.close();
  }
  const messages = readOutbox(app.outboxDir).filter((m) => m.to === email);
  assert.equal(messages.length, 1, 'one link');
  const path = new URL(/https?:\/\/\S+\/parents\/sign\/\S+/.exec(messages[0].text)![0]).pathname;
  const ctx = await newContext(browser, app);
  try {
    const p = new HarbourPage(await ctx.newPage());
    await p.open(path);
    await p.page.getByLabel(/I have gone through the rules with Kenwyn/).check();
    await p.fill('Your full name', 'Ebrel Carlyon');
    await p.submit('Send my answer');
    assert.equal(await p.heading(), 'Thank you');
  } finally {
    await ctx.close();
  }
  const [sig] = (await app.db.query('select v.number from agreement_signatures s join agreement_versions v on v.id = s.version_id where s.school_id = $1 and s.subject_id = $2', [s.id, child])).rows;
  assert.equal(sig.number, 2, 'the new version is signed');
});
