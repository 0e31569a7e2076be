// Browser journeys for filtering and monitoring, with axe on every page on the way: the
// safeguarding lead's alert queue (triage, dismiss, escalate to an incident), a filtering change
// request from asking to expiry (ended by the scheduler's jobs), the annual review to sign-off, and
// a log uploaded with its progress shown (and without JavaScript, the plain form).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { closeTestDb, makeSchool, makeStaff, readOutbox, type TestSchool } from '../src/testing/harness';
import { ingestFile } from '../src/modules/monitoring/ingest';
import { runDueMonitoringJobs } from '../src/modules/monitoring/scheduler';
import { createMailer } from '../src/platform/mail/mailer';
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
    await p.follow(/^Low \(pattern review\)/);
    assert.equal(await p.heading(), 'Low alerts (pattern review)');
    await assertAccessible(p.page, 'low alerts for pattern review');
  });
  const statuses = (await app.db.query(`select status, count(*)::int as n from monitoring_alerts where school_id = $1 and severity <> 'low' group by status order by status`, [school.id])).rows;
  assert.deepEqual(statuses, [{ status: 'acknowledged', n: 1 }, { status: 'dismissed', n: 1 }, { status: 'escalated', n: 1 }, { status: 'new', n: 1 }]);
});

test('a filtering change request from asking to approval, the IT provider carrying it out, and expiry', async () => {
  await as(school.personas.teacher, async (p) => {
    await p.open('/monitoring/change-requests');
    await assertAccessible(p.page, 'change requests (teacher)');
    await p.page.getByLabel('Unblock', { exact: true }).check();
    await p.fillForm({ 'Site or category': 'maps.example.net', 'For whom': 'Year 4', 'Why it is needed': 'A local geography project' });
    await p.fill('Until', '2099-07-20');
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
  // The day after its end date, the scheduler's jobs end it and tell the IT provider.
  const before = readOutbox(app.outboxDir).length;
  const jobs = await runDueMonitoringJobs(app.db, createMailer({ from: 'Harbour <harbour@test>', outboxDir: app.outboxDir }), app.origin, new Date('2099-07-21T08:00:00Z'), { schoolId: school.id });
  assert.equal(jobs.changesExpired, 1);
  const told = readOutbox(app.outboxDir).slice(before).filter((m) => m.to === school.personas.itProvider.email);
  assert.equal(told.length, 1);
  assert.match(told[0].text, /put the filtering back/);
  await as(school.personas.teacher, async (p) => {
    await p.open('/monitoring/change-requests');
    assert.match(await p.page.innerText('tbody'), /Expired/);
  });
  const trail = (await app.db.query(`select action from audit_events where school_id = $1 and action like 'filtering_change.%' order by seq`, [school.id])).rows.map((r) => r.action);
  assert.deepEqual(trail, ['filtering_change.requested', 'filtering_change.approved', 'filtering_change.done', 'filtering_change.expired']);
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

/** A Squid log of n lines: pages, with one concerning search near the end. */
function uploadLog(n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = (1709700000 + i * 0.1).toFixed(3);
    out.push(i === n - 5
      ? `${t}    315 10.20.9.9 TCP_MISS/200 91022 GET https://www.bing.com/search?q=i+want+to+die pupil.u.upload HIER_DIRECT/13.107.21.200 text/html`
      : `${t}    187 10.20.9.${i % 200} TCP_MISS/200 48211 GET https://www.bbc.co.uk/bitesize/topics/z${i} pupil.u.${i % 50} HIER_DIRECT/151.101.64.81 text/html`);
  }
  return out.join('\n') + '\n';
}

test('a log uploaded in the browser shows its progress, then what was read; without JavaScript the plain form does the same', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'harbour-upload-'));
  const big = join(dir, 'access.log');
  writeFileSync(big, uploadLog(60_000));
  await as(school.personas.dsl, async (p) => {
    await p.open('/monitoring/upload');
    await assertAccessible(p.page, 'upload');
    assert.equal(await p.page.locator('[data-harbour-upload-progress]').isHidden(), true, 'no progress bar before an upload');
    // Watch the status line and the bar as the upload goes; a marker shows the page was never reloaded.
    await p.page.evaluate(() => {
      const w = window as any;
      w.harbourMarker = true;
      w.seen = [];
      const status = document.querySelector('[data-harbour-upload-status]')!;
      const bar = document.querySelector('#upload-progress') as HTMLProgressElement;
      new MutationObserver(() => w.seen.push({ text: status.textContent, value: bar.value })).observe(status, { childList: true, characterData: true, subtree: true });
    });
    await p.page.setInputFiles('#log', big);
    await p.page.getByRole('button', { name: 'Upload and read' }).click();
    await p.page.getByRole('heading', { name: 'Log read' }).waitFor();
    const seen: { text: string; value: number }[] = await p.page.evaluate(() => (window as any).seen);
    assert.ok(seen.some((x) => /^Uploading/.test(x.text)), `the upload was shown as under way: ${JSON.stringify(seen)}`);
    const uploaded = seen.find((x) => /^Uploaded\. Harbour is reading the log/.test(x.text));
    assert.ok(uploaded && uploaded.value === 100, 'the bar reached 100% when the upload was done');
    assert.equal(await p.page.evaluate(() => (window as any).harbourMarker), true, 'shown in place, not by loading a new page');
    assert.match(await p.page.innerText('main'), /60000 new lines read, 0 rejected/);
    assert.match(await p.page.innerText('main'), /1 new alerts/);
    assert.equal(await p.page.evaluate(() => document.activeElement?.tagName), 'H1', 'focus moves to the result');
    await assertAccessible(p.page, 'upload read (in place)');
    // No file chosen: the server's error, shown in place, and the form still enhanced.
    await p.open('/monitoring/upload');
    await p.page.getByRole('button', { name: 'Upload and read' }).click();
    await p.page.locator('.govuk-error-summary').waitFor();
    assert.deepEqual(await p.errorSummary(), ['Choose a log file to upload']);
  });
  // Without JavaScript: the same form, posted as it is.
  const ctx = await newContext(browser, app, { javaScriptEnabled: false });
  try {
    const p = new HarbourPage(await ctx.newPage());
    await p.signIn(school.personas.itProvider);
    await p.open('/monitoring/upload');
    const small = join(dir, 'small.log');
    writeFileSync(small, readFileSync(join(import.meta.dirname, '../src/modules/monitoring/fixtures/squid-access.log'), 'utf8').replace(/^1709633/gm, '1709900'));
    await p.page.setInputFiles('#log', small);
    await p.submit('Upload and read');
    assert.equal(await p.heading(), 'Log read');
    assert.match(await p.page.innerText('main'), /14 new lines read/);
  } finally {
    await ctx.close();
  }
});
