// Browser journeys for acceptable use agreements, with axe on every page on the way: a parent
// signing from the link in the outbox, a member of staff signing and the lead publishing a
// version that asks for re-signing, a visitor at the kiosk, and the register as staff see it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { closeTestDb, makeSchool, readOutbox, uniqueEmail, type TestSchool } from '../src/testing/harness';
import { addPerson, linkGuardian } from '../src/modules/schools/service';
import { agreementForAudience, recordAccessDecision, sendParentLink } from '../src/modules/agreements/service';
import { createMailer } from '../src/platform/mail/mailer';
import { systemActor } from '../src/platform/audit/audit';
import { assertAccessible, launchBrowser, newContext, startApp, type RunningApp } from './support/browser';
import { HarbourPage } from './support/harbour-page';

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
  await sendParentLink(app.db, createMailer({ from: 'Harbour <harbour@test>', outboxDir: app.outboxDir }), app.origin, school.id, parent, systemActor, null);
  const message = readOutbox(app.outboxDir).find((m) => m.to === email)!;
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

    const tp = new HarbourPage(await teacherCtx.newPage());
    await tp.signIn(school.personas.teacher);
    await tp.open('/agreements');
    await tp.follow('Read and sign the agreement');
    await assertAccessible(tp.page, 'sign');
    await tp.page.getByLabel(/I have read the whole agreement/).check();
    await tp.fill('Your full name', 'teacher Tester');
    await tp.submit('Sign the agreement');
    assert.match(await tp.page.locator('.govuk-notification-banner').innerText(), /version 2/);
    await tp.follow('Your signed copy');
    await assertAccessible(tp.page, 'signed copy');
  } finally {
    await lead.close();
    await teacherCtx.close();
  }
});

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
    await k.submit('Sign');
    assert.ok((await k.errorSummary()).length >= 3);
    await assertAccessible(k.page, 'kiosk with errors');
    await k.fillForm({ 'First name': 'Demelza', 'Last name': 'Chenoweth', 'Who are you visiting?': 'The office' });
    await k.page.getByLabel(/I have read this agreement/).check();
    await k.submit('Sign');
    assert.equal(await k.heading(), 'Thank you for signing');
    await assertAccessible(k.page, 'kiosk done');
  } finally {
    await ctx.close();
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
