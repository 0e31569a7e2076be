// Journeys through Harbour in a real browser: sign-in with and without the second factor,
// being made to set two-factor up, the error summary, and a password reset by email.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { closeTestDb, makeSchool, makeStaff, readOutbox, testPassword, uniqueEmail, type TestSchool } from '../src/testing/harness';
import { addPerson, createAccount } from '../src/modules/schools/service';
import { assertAccessible, launchBrowser, newContext, screenshot, startApp, type RunningApp } from './support/browser';
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

async function browse(opts: { javaScriptEnabled?: boolean } = {}) {
  const context = await newContext(browser, app, opts);
  return { context, harbour: new HarbourPage(await context.newPage()) };
}

test('a teacher signs in and sees the dashboard with JavaScript turned off, and signs out again', async () => {
  const { context, harbour } = await browse({ javaScriptEnabled: false });
  try {
    await harbour.open('/');
    assert.equal(harbour.path(), '/sign-in');
    await harbour.signIn(school.personas.teacher);
    assert.equal(harbour.path(), '/dashboard');
    assert.equal(await harbour.heading(), school.name);
    assert.match(await harbour.page.locator('main').innerText(), /Signed in as teacher Tester/);
    // JavaScript really is off: the enhancement script never ran.
    assert.doesNotMatch(await harbour.page.locator('body').getAttribute('class') ?? '', /js-enabled/);
    await screenshot(harbour.page, 'dashboard-teacher-nojs');
    await harbour.signOut();
    assert.equal(harbour.path(), '/sign-in');
    await harbour.open('/dashboard');
    assert.match(harbour.path(), /^\/sign-in\?next=/);
  } finally {
    await context.close();
  }
});

test('a safeguarding lead signs in with a code from their authenticator app after the password', async () => {
  const { context, harbour } = await browse();
  try {
    const dsl = school.personas.dsl;
    await harbour.open('/sign-in');
    await harbour.fillForm({ 'Email address': dsl.email, Password: dsl.password });
    await harbour.submit('Sign in');
    assert.match(harbour.path(), /^\/sign-in\/two-factor/);
    assert.equal(await harbour.heading(), 'Enter your security code');
    await assertAccessible(harbour.page, 'two-factor code page');
    // Nothing is reachable between the password and the code.
    await harbour.open('/dashboard');
    assert.match(harbour.path(), /^\/sign-in/);
    await harbour.open('/sign-in/two-factor');
    await harbour.enterSecurityCode(dsl.totpSecret!);
    await harbour.submit('Continue');
    assert.equal(harbour.path(), '/dashboard');
    assert.equal(await harbour.heading(), school.name);
  } finally {
    await context.close();
  }
});

test('a new headteacher without two-factor must set it up with the key on the page before reaching the dashboard', async () => {
  const email = uniqueEmail('newhead');
  await app.db.transaction(async (tx) => {
    const personId = await addPerson(tx, school.id, { kind: 'staff', given_name: 'Newhead', family_name: 'Tester', email }, ['headteacher']);
    await createAccount(tx, school.id, personId, { email, displayName: 'Newhead Tester', password: testPassword });
  });
  const { context, harbour } = await browse();
  try {
    await harbour.signIn({ email, password: testPassword, userId: '', personId: '', roles: ['headteacher'] });
    assert.equal(harbour.path(), '/account/two-factor');
    assert.equal(await harbour.heading(), 'Set up two-factor sign-in');
    await assertAccessible(harbour.page, 'two-factor setup page');
    // Every other page sends them back here until two-factor is on.
    await harbour.open('/dashboard');
    assert.equal(harbour.path(), '/account/two-factor');

    // A wrong code is refused and the page says why.
    await harbour.fill('Security code', '000000');
    await harbour.submit('Turn on two-factor sign-in');
    assert.match((await harbour.errorSummary()).join(), /That code is not right/);
    await assertAccessible(harbour.page, 'two-factor setup page with an error');

    const secret = (await harbour.page.locator('#totp-secret').innerText()).trim();
    assert.match(secret, /^[A-Z2-7]{16,}$/);
    await harbour.enterSecurityCode(secret);
    await harbour.submit('Turn on two-factor sign-in');
    assert.equal(harbour.path(), '/dashboard');
    assert.match(await harbour.page.locator('.govuk-notification-banner--success').innerText(), /Two-factor sign-in is set up/);

    // The next sign-in asks for a code from the same secret.
    await harbour.signOut();
    await harbour.signIn({ email, password: testPassword, userId: '', personId: '', roles: ['headteacher'], totpSecret: secret });
    assert.equal(harbour.path(), '/dashboard');
  } finally {
    await context.close();
  }
});

test('a rejected sign-in shows an error summary whose links move focus to the field at fault', async () => {
  for (const javaScriptEnabled of [true, false]) {
    const { context, harbour } = await browse({ javaScriptEnabled });
    try {
      await harbour.open('/sign-in');
      await harbour.fill('Email address', 'not-an-email');
      await harbour.submit('Sign in');
      assert.equal(await harbour.page.title(), 'Error: Sign in – Harbour');
      const errors = await harbour.errorSummary();
      assert.deepEqual(errors, ['Enter an email address in the correct format, like name@school.org.uk', 'Enter your password'], `with JavaScript ${javaScriptEnabled ? 'on' : 'off'}`);
      // The typed value is kept.
      assert.equal(await harbour.page.getByLabel('Email address').inputValue(), 'not-an-email');
      if (javaScriptEnabled) {
        // govuk-frontend moves focus to the summary so a screen reader announces it.
        assert.equal(await harbour.page.evaluate(() => document.activeElement?.classList.contains('govuk-error-summary')), true);
        await assertAccessible(harbour.page, 'sign-in with errors');
      }
      await harbour.page.locator('.govuk-error-summary__list a', { hasText: 'Enter your password' }).click();
      await harbour.page.waitForFunction(() => document.activeElement?.id === 'password');
      await harbour.page.locator('.govuk-error-summary__list a', { hasText: 'correct format' }).click();
      await harbour.page.waitForFunction(() => document.activeElement?.id === 'email');
      assert.equal(await harbour.focusedId(), 'email');
    } finally {
      await context.close();
    }
  }
});

test('a forgotten password is reset from the emailed link, and the new password signs in', async () => {
  const person = await makeStaff(app.db, school.id, ['teacher'], 'resetter');
  const { context, harbour } = await browse();
  try {
    await harbour.open('/sign-in');
    await harbour.follow('I have forgotten my password');
    assert.equal(harbour.path(), '/forgot-password');
    await harbour.fill('Email address', person.email);
    await harbour.submit('Send the link');
    assert.equal(await harbour.heading(), 'Check your email');

    const mail = readOutbox(app.outboxDir).filter((m) => m.to === person.email);
    assert.equal(mail.length, 1);
    assert.equal(mail[0].subject, 'Reset your Harbour password');
    const link = /https?:\/\/\S+(\/reset-password\/\S+)/.exec(mail[0].text);
    assert.ok(link, 'the email holds a reset link');

    await harbour.open(link[1]);
    assert.equal(await harbour.heading(), 'Choose a new password');
    const newPassword = 'lighthouse-tide-pool-42';
    await harbour.fillForm({ 'New password': newPassword, 'Confirm the new password': newPassword });
    await harbour.submit('Save password');
    assert.equal(harbour.path(), '/sign-in');
    assert.match(await harbour.page.locator('.govuk-notification-banner').innerText(), /Your password has been changed/);

    // The old password no longer works; the new one does.
    await harbour.fillForm({ 'Email address': person.email, Password: person.password });
    await harbour.submit('Sign in');
    assert.match((await harbour.errorSummary()).join(), /Check both and try again/);
    await harbour.signIn({ ...person, password: newPassword });
    assert.equal(harbour.path(), '/dashboard');

    // The link was used up.
    await harbour.open(link[1]);
    assert.equal(await harbour.heading(), 'This link has expired or been used');
  } finally {
    await context.close();
  }
});
