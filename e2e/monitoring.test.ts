// Browser journeys for filtering and monitoring, with axe on every page on the way: the
// safeguarding lead's alert queue (triage, dismiss, escalate to an incident), a filtering change
// request from asking to expiry, and the annual review to sign-off.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { closeTestDb, makeSchool, makeStaff, type TestSchool } from '../src/testing/harness';
import { ingestFile } from '../src/modules/monitoring/ingest';
import { expireChangeRequests } from '../src/modules/monitoring/change-requests';
import { reviewItems } from '../src/modules/monitoring/records';
import { assertAccessible, launchBrowser, newContext, startApp, type RunningApp } from './support/browser';
import { HarbourPage } from './support/harbour-page';

let app: RunningApp;
let browser: Browser;
let school: TestSchool;
before(async () => {
  app = await startApp();
  browser = await launchBrowser();
  school = await makeSchool(app.db);
  await ingestFile(app.db, join(import.meta.dirname, '../src/modules/monitoring/fixtures/squid-access.log'), { schoolId: school.id });
});
after(async () => {
  await browser?.close();
  await app?.close();
  await closeTestDb();
});

async function as(persona: TestSchool['personas'][keyof TestSchool['personas']], fn: (p: HarbourPage) => Promise<void>) {
  const ctx = await newContext(browser, app);
  try {
    const p = new HarbourPage(await ctx.newPage());
    await p.signIn(persona);
    await fn(p);
  } finally {
    await ctx.close();
  }
}

test('the safeguarding lead triages the queue: opens the most severe alert, escalates it to an incident, dismisses another with a reason, acknowledges a third', async () => {
  await as(school.personas.dsl, async (p) => {
    await p.open('/dashboard');
    await p.follow('Monitoring');
    assert.equal(await p.heading(), 'Filtering and monitoring');
    await assertAccessible(p.page, 'monitoring');
    await p.follow(/^Alerts/);
    await assertAccessible(p.page, 'alert queue');
    const tags = await p.page.locator('tbody .govuk-tag').allInnerTexts();
    assert.equal(tags[0], 'Critical');
    await p.page.locator('tbody a').first().click();
    await p.page.waitForLoadState('load');
    await assertAccessible(p.page, 'alert');
    assert.match(await p.page.innerText('main'), /how to kill myself/);
    await p.submit('Record an incident from it');
    assert.match(await p.page.innerText('main'), /Incident INC-\d{4}-\d{4} was recorded from the alert/);
    assert.match(await p.page.innerText('main'), /Escalated to an incident/);

    await p.open('/monitoring/alerts');
    await p.page.locator('tbody a').first().click();
    await p.page.waitForLoadState('load');
    assert.equal((await p.submit('Dismiss'))?.status(), 400);
    assert.deepEqual(await p.errorSummary(), ['Enter why this alert is not a concern']);
    await assertAccessible(p.page, 'alert dismissed without a reason');
    await p.fill('Dismiss it: why is this not a concern?', 'Checked with the class teacher: a research task');
    await p.submit('Dismiss');
    assert.match(await p.page.innerText('main'), /The alert is dismissed/);
    await p.page.locator('tbody a').first().click();
    await p.page.waitForLoadState('load');
    await p.submit('Acknowledge');
    await p.follow(/^Dismissed/);
    await assertAccessible(p.page, 'dismissed alerts');
    assert.equal(await p.page.locator('tbody tr').count(), 1);
  });
  const statuses = (await app.db.query(`select status, count(*)::int as n from monitoring_alerts where school_id = $1 and severity <> 'low' group by status order by status`, [school.id])).rows;
  assert.deepEqual(statuses, [{ status: 'acknowledged', n: 1 }, { status: 'dismissed', n: 1 }, { status: 'escalated', n: 1 }, { status: 'new', n: 3 }]);
});

test('a filtering change request from asking to approval, the IT provider carrying it out, and expiry', async () => {
  await as(school.personas.teacher, async (p) => {
    await p.open('/monitoring/change-requests');
    await assertAccessible(p.page, 'change requests (teacher)');
    await p.page.getByLabel('Unblock', { exact: true }).check();
    await p.fillForm({ 'Site or category': 'maps.example.net', 'For whom': 'Year 4', 'Why it is needed': 'A local geography project' });
    await p.fill('Until (leave empty for no end date)', '2099-07-20');
    await p.submit('Send request');
    assert.match(await p.page.innerText('main'), /Waiting for a decision/);
  });
  await as(school.personas.dsl, async (p) => {
    await p.open('/monitoring/change-requests');
    await assertAccessible(p.page, 'change requests (lead)');
    await p.submit(/^Approve/);
    assert.match(await p.page.innerText('main'), /Approved: waiting for the IT provider/);
  });
  await as(school.personas.itProvider, async (p) => {
    await p.open('/monitoring/change-requests');
    await assertAccessible(p.page, 'change requests (IT provider)');
    await p.submit(/^Mark done/);
    assert.match(await p.page.innerText('main'), /Done/);
  });
  await expireChangeRequests(app.db, school.id, '2099-07-21');
  await as(school.personas.teacher, async (p) => {
    await p.open('/monitoring/change-requests');
    assert.match(await p.page.innerText('tbody'), /Expired/);
  });
});

test('the annual review: the online safety lead records the evidence and the headteacher signs it off', async () => {
  const osl = await makeStaff(app.db, school.id, ['online_safety_lead'], 'osl');
  let reviewPath = '';
  await as(osl as any, async (p) => {
    await p.open('/monitoring/records');
    await assertAccessible(p.page, 'records');
    await p.submit('Start a review');
    reviewPath = p.path();
    await assertAccessible(p.page, 'annual review');
    const keys = Object.keys(reviewItems);
    for (const k of keys) {
      await p.page.locator(`#done_${k}`).check();
      await p.page.locator(`#evidence_${k}`).fill(`Evidence for ${k}`);
    }
    await p.submit('Save review');
  });
  await as(school.personas.headteacher, async (p) => {
    await p.open(reviewPath);
    await p.submit('Sign off the review');
    assert.match(await p.page.innerText('main'), /Signed off by/);
    await assertAccessible(p.page, 'signed-off review');
  });
});
