// axe on every page: each GET route the app registers (found at run time from the app's own
// route list, so new capabilities are covered the day they land), opened in Chromium as a
// school administrator, as a headteacher and signed out, plus the pages people reach when
// something goes wrong: 403, 404, a rejected sign-in, rejected forms with their error summary.
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { closeTestDb, makeSchool, readOutbox, uniqueEmail, type Persona, type TestSchool } from '../src/testing/harness';
import { addPerson } from '../src/modules/schools/service';
import { invitePerson, requestPasswordReset } from '../src/modules/accounts/service';
import { createMailer } from '../src/platform/mail/mailer';
import { commitImport, parseCsv, suggestMapping, fileSha256 } from '../src/modules/people/import';
import { currentAgreements, recordSignature, sendParentLink } from '../src/modules/agreements/service';
import { addEvidenceFile, addIncidentRecords } from '../src/modules/incidents/testing';
import { addMonitoringRecords } from '../src/modules/monitoring/testing';
import { addKioskVisit } from '../src/modules/agreements/testing';
import { axeViolations, describeViolations, launchBrowser, newContext, screenshot, startApp, type RunningApp } from './support/browser';
import { HarbourPage } from './support/harbour-page';

let app: RunningApp;
let browser: Browser;
let school: TestSchool;

before(async () => {
  app = await startApp();
  browser = await launchBrowser();
  school = await makeSchool(app.db);
  // One invitation and one password reset in the outbox, so /invitation/:token and
  // /reset-password/:token (and any later route with a :token) open on a live link.
  const mailer = createMailer({ from: 'Harbour <harbour@test>', outboxDir: app.outboxDir });
  const invitee = await addPerson(app.db, school.id, { kind: 'staff', given_name: 'Invited', family_name: 'Tester', email: uniqueEmail('invited') });
  await invitePerson(app.db, mailer, app.origin, school.id, invitee, { userId: school.personas.admin.userId, label: 'test' }, '127.0.0.1');
  await requestPasswordReset(app.db, mailer, app.origin, school.personas.office.email, '127.0.0.1');
  // A record behind every other parameter, made through the same services the pages use.
  const actor = { userId: school.personas.admin.userId, label: 'test' };
  const csv = 'UPN,Legal Surname,Forename,Year,Reg Group,DOB,Gender\r\nA123456789012,Axefield,Robin,4,4B,2017-05-06,F\r\n';
  const table = parseCsv(csv);
  const mapping = suggestMapping('pupils', table.headers);
  fixtures.importId = (await commitImport(app.db, { schoolId: school.id, kind: 'pupils', fileName: 'pupils.csv', text: csv, mapping, full: false, actor })).importId;
  fixtures.draftId = (await app.db.query(
    `insert into people_import_drafts (school_id, created_by, kind, full_import, file_name, file_sha256, csv_text, mapping)
     values ($1, $2, 'pupils', false, 'pupils.csv', $3, $4, $5) returning id`,
    [school.id, school.personas.admin.userId, fileSha256(csv), csv, JSON.stringify(mapping)])).rows[0].id;
  const staffAgreement = (await currentAgreements(app.db, school.id)).find((a) => a.audience === 'staff_governors')!;
  fixtures.agreementId = staffAgreement.id;
  fixtures.signatureId = (await recordSignature(app.db, school.id, {
    agreementId: staffAgreement.id, signerId: school.personas.admin.personId, subjectId: school.personas.admin.personId,
    signedName: 'admin Tester', method: 'in_harbour',
  }, actor)).id!;
  await app.db.query(`insert into guardianships (school_id, parent_id, child_id) values ($1, $2, $3) on conflict do nothing`, [school.id, school.parentId, school.pupilId]);
  await sendParentLink(app.db, mailer, app.origin, school.id, school.parentId, actor, '127.0.0.1');
  await addKioskVisit(app.db, school.id); // today's visitors' log has a line
  // An incident the headteacher sees in full (triaged, with an action, a referral decision and a task).
  fixtures.incidentId = await addIncidentRecords(app.db, school.id, { reporterId: school.personas.teacher.personId, handlerId: school.personas.dsl.personId, pupilId: school.pupilId });
  fixtures.evidenceId = await addEvidenceFile(app.db, school.id, fixtures.incidentId, app.outboxDir);
  // Filtering and monitoring: alerts from a log (the most severe behind :alertId) and an annual review.
  await addMonitoringRecords(app.db, school.id, { pupilId: school.pupilId, userId: school.personas.admin.userId });
  fixtures.alertId = (await app.db.query(`select id from monitoring_alerts where school_id = $1 order by severity = 'critical' desc, line limit 1`, [school.id])).rows[0].id;
  fixtures.reviewId = (await app.db.query('select id from filtering_reviews where school_id = $1 limit 1', [school.id])).rows[0].id;
});

/** Records behind route parameters, made in before(). */
const fixtures: Record<string, string> = {};
after(async () => {
  await browser?.close();
  await app?.close();
  await closeTestDb();
});

/** Routes that are not pages a person reads. */
const notPages: { test: (url: string) => boolean; why: string }[] = [
  { test: (u) => u.startsWith('/api/'), why: 'JSON API' },
  { test: (u) => u === '/health', why: 'JSON health check' },
  { test: (u) => u.startsWith('/assets/'), why: 'static file' },
];

/** A value for a route parameter from this run's fixtures, or why there is none. */
function paramValue(name: string, url: string): { value: string } | { skip: string } {
  if (name === 'personId') return { value: school.pupilId };
  if (fixtures[name]) return { value: fixtures[name] };
  if (name === 'token') {
    // A link in the outbox whose path has the route's shape.
    const shape = new RegExp(url.split('/').map((part) => (part.startsWith(':') ? '([A-Za-z0-9_-]+)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/') + '(?![\\w/-])');
    for (const m of readOutbox(app.outboxDir)) {
      const found = shape.exec(m.text);
      if (found) return { value: found[1] };
    }
    return { skip: `no email in the outbox holds a link like ${url}` };
  }
  return { skip: `no fixture for :${name}` };
}

interface PagePlan { route: string; path?: string; skip?: string }

/** Every GET page the app registers, with its parameters filled where the fixtures allow. */
function pagePlan(): PagePlan[] {
  const urls = [...new Set(app.app.routesList.filter((r) => r.method === 'GET' && !r.api).map((r) => r.url))].sort();
  const plan: PagePlan[] = [];
  for (const url of urls) {
    const not = notPages.find((n) => n.test(url));
    if (not) { plan.push({ route: url, skip: not.why }); continue; }
    if (url.includes('*')) { plan.push({ route: url, skip: 'wildcard route' }); continue; }
    let path = url;
    let skip: string | undefined;
    for (const [, name] of url.matchAll(/:(\w+)/g)) {
      const v = paramValue(name, url);
      if ('skip' in v) { skip = v.skip; break; }
      path = path.replace(`:${name}`, encodeURIComponent(v.value));
    }
    plan.push(skip ? { route: url, skip } : { route: url, path });
  }
  return plan;
}

/** Opens each page in the plan as the visitor, runs axe, and fails listing every violation. */
async function axeEveryPage(t: TestContext, who: string, persona: Persona | null, only?: (route: string) => boolean) {
  const plan = pagePlan();
  const context = await newContext(browser, app);
  const harbour = new HarbourPage(await context.newPage());
  const failures: string[] = [];
  const serverErrors: string[] = [];
  // A page whose stylesheet or script is refused (blocked by the CSP, wrong type, behind
  // sign-in) can pass axe while looking broken: collect those too.
  const brokenResources: string[] = [];
  let current = '';
  harbour.page.on('console', (m) => {
    if (m.type() === 'error' && /Refused to|Content Security Policy|MIME type/i.test(m.text())) brokenResources.push(`${current}: ${m.text()}`);
  });
  harbour.page.on('response', (r) => {
    if (!r.request().isNavigationRequest() && r.status() >= 400 && !r.url().endsWith('/favicon.ico')) brokenResources.push(`${current}: ${r.url()} -> ${r.status()}`);
  });
  let checked = 0;
  try {
    if (persona) await harbour.signIn(persona);
    for (const p of plan) {
      if (p.skip) { t.diagnostic(`skipped ${p.route}: ${p.skip}`); continue; }
      if (only && !only(p.route)) continue;
      // Downloads (CSV, JSON) are not pages: ask first what the route answers with.
      const head = await harbour.page.request.get(p.path!);
      const type = head.headers()['content-type'] ?? '';
      if (head.status() >= 500) serverErrors.push(`${p.route} -> ${head.status()}`);
      if (!type.startsWith('text/html')) { t.diagnostic(`skipped ${p.route}: a download (${type.split(';')[0]}), not a page`); continue; }
      current = p.route;
      const res = await harbour.open(p.path!);
      const status = res?.status() ?? 0;
      const landed = harbour.path();
      if (status >= 500) serverErrors.push(`${p.route} -> ${status}`);
      const violations = await axeViolations(harbour.page);
      if (violations.length) failures.push(describeViolations(`${p.route}${landed !== p.path ? ` (landed on ${landed})` : ''}`, violations));
      await screenshot(harbour.page, `${who}${p.route.replace(/\//g, '_') || '_root'}`);
      t.diagnostic(`axe ${p.route} -> ${status}${landed !== p.path ? ` on ${landed}` : ''}: ${violations.length ? `${violations.length} violation(s)` : 'ok'}`);
      checked++;
      // A page may sign the visitor out (or send a signed-out one on); start each page signed in.
      if (persona && landed.startsWith('/sign-in') && !p.route.startsWith('/sign-in')) await harbour.signIn(persona);
    }
  } finally {
    await context.close();
  }
  assert.ok(checked > 0, 'at least one page was checked');
  assert.deepEqual(serverErrors, [], `pages answered with a server error as ${who}`);
  assert.deepEqual(brokenResources, [], `stylesheets or scripts failed to load as ${who}`);
  assert.equal(failures.length, 0, `axe found violations as ${who}:\n${failures.join('\n')}`);
}

test('every page a school administrator can open passes axe (WCAG 2.2 AA)', async (t) => {
  await axeEveryPage(t, 'admin', school.personas.admin);
});

test('every page a headteacher can open passes axe (WCAG 2.2 AA)', async (t) => {
  await axeEveryPage(t, 'head', school.personas.headteacher);
});

test('every public page passes axe when signed out', async (t) => {
  const publicRoutes = new Set(app.app.routesList.filter((r) => r.public).map((r) => r.url));
  await axeEveryPage(t, 'anon', null, (route) => publicRoutes.has(route));
});

test('the pages for refusals and mistakes pass axe: 403, 404, a failed sign-in and rejected forms', async () => {
  const failures: string[] = [];
  const check = async (harbour: HarbourPage, where: string) => {
    const v = await axeViolations(harbour.page);
    if (v.length) failures.push(describeViolations(where, v));
    await screenshot(harbour.page, where);
  };

  const anon = await newContext(browser, app);
  const teacher = await newContext(browser, app);
  const admin = await newContext(browser, app);
  try {
    // Signed out: sign-in with errors, a rejected reset request, a 404.
    const a = new HarbourPage(await anon.newPage());
    await a.open('/sign-in');
    await a.submit('Sign in');
    assert.equal((await a.errorSummary()).length, 2);
    await check(a, 'sign-in-errors');
    await a.fillForm({ 'Email address': school.personas.teacher.email, Password: 'not-the-password' });
    await a.submit('Sign in');
    assert.match((await a.errorSummary()).join(), /Check both and try again/);
    await check(a, 'sign-in-wrong-password');
    await a.open('/forgot-password');
    await a.submit('Send the link');
    assert.deepEqual(await a.errorSummary(), ['Enter your email address']);
    await check(a, 'forgot-password-errors');
    // (Signed out, an unknown address asks for sign-in first: it reveals nothing.)
    await a.open('/no-such-page');
    assert.equal(a.path(), '/sign-in?next=%2Fno-such-page');

    // A new password that does not match, on a live reset link.
    const reset = readOutbox(app.outboxDir).map((m) => /\/reset-password\/[\w-]+/.exec(m.text)?.[0]).find(Boolean);
    assert.ok(reset, 'a reset link in the outbox');
    await a.open(reset);
    await a.fillForm({ 'New password': 'lighthouse-tide-pool-42', 'Confirm the new password': 'something-else-entirely' });
    await a.submit('Save password');
    assert.deepEqual(await a.errorSummary(), ['The passwords do not match']);
    await check(a, 'new-password-errors');

    // A teacher refused the audit trail: 403; and a 404 inside the app.
    const tp = new HarbourPage(await teacher.newPage());
    await tp.signIn(school.personas.teacher);
    const res403 = await tp.open('/audit');
    assert.equal(res403?.status(), 403);
    assert.equal(await tp.heading(), 'You cannot see this page');
    await check(tp, '403-teacher-audit');
    const res404in = await tp.open('/no-such-page');
    assert.equal(res404in?.status(), 404);
    await check(tp, '404-signed-in');

    // An administrator's rejected settings form.
    const ap = new HarbourPage(await admin.newPage());
    await ap.signIn(school.personas.admin);
    await ap.open('/settings');
    await ap.fillForm({ 'School name': '', 'Sign out after this many idle minutes': '2' });
    const res400 = await ap.submit('Save settings');
    assert.equal(res400?.status(), 400);
    assert.equal((await ap.errorSummary()).length, 2);
    await check(ap, 'settings-errors');
  } finally {
    await anon.close();
    await teacher.close();
    await admin.close();
  }
  assert.equal(failures.length, 0, `axe found violations:\n${failures.join('\n')}`);
});

test('the axe check finds missing labels, missing alt text and poor contrast on a page built to fail', async () => {
  const context = await newContext(browser, app);
  try {
    const page = await context.newPage();
    await page.setContent(`<!DOCTYPE html><html lang="en"><head><title>Broken</title></head><body><main>
      <h1>Broken</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text" name="x">
      <p style="color:#aaaaaa;background:#ffffff">Pale text</p></main></body></html>`);
    const ids = (await axeViolations(page)).map((v) => v.id).sort();
    assert.deepEqual(ids, ['color-contrast', 'image-alt', 'label']);
  } finally {
    await context.close();
  }
});
