// The daily digest, the weekly summary, high alerts the same day, and change requests that end by
// themselves: sent by the scheduler's jobs (and the command line) into the file outbox, never
// with a search, a site or a name in them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { closeTestDb, makeSchool, makeStaff, readOutbox, signedIn, testApp } from '../../testing/harness';
import { connectionUrl } from '../../platform/db/scratch-database';
import { createMailer } from '../../platform/mail/mailer';
import { ingestFile } from './ingest';
import { approveChange, markChangeDone, requestFilteringChange } from './change-requests';
import { recordCheck } from './records';
import { dueFor } from './digests';
import { runDueMonitoringJobs, startMonitoringScheduler } from './scheduler';

const t = await testApp();
after(async () => {
  await t.close();
  await closeTestDb();
});
const root = resolve(import.meta.dirname, '../../..');
const fixture = join(root, 'src/modules/monitoring/fixtures/squid-access.log');
const secrets = ['kill', 'myself', 'google', 'okafor', 'begum', 'kerr', 'novak', 'unblocked', 'pornhub', 'xnxx', 'ecosia', 'pupil', '10.20', 's.u.i.c'];
const noSecrets = (m: { subject: string; text: string }) => {
  for (const s of secrets) assert.ok(!`${m.subject}\n${m.text}`.toLowerCase().includes(s), `"${s}" is not in the email "${m.subject}"`);
};

test('when a digest is due: school days at its hour for the daily one, its weekday and hour for the weekly one (UK time)', () => {
  const s = { daily_hour: 16, weekly_day: 5, weekly_hour: 16 };
  assert.equal(dueFor('daily', s, new Date('2026-11-25T15:59:00Z')), '2026-11-24', 'Wednesday before 4pm: Tuesday\'s');
  assert.equal(dueFor('daily', s, new Date('2026-11-25T16:00:00Z')), '2026-11-25');
  assert.equal(dueFor('daily', s, new Date('2026-11-29T20:00:00Z')), '2026-11-27', 'Sunday: Friday\'s');
  assert.equal(dueFor('weekly', s, new Date('2026-11-26T17:00:00Z')), '2026-11-20', 'Thursday: last Friday\'s');
  assert.equal(dueFor('weekly', s, new Date('2026-11-27T16:30:00Z')), '2026-11-27');
  assert.equal(dueFor('daily', s, new Date('2026-06-10T15:30:00Z')), '2026-06-10', 'in summer time 15:30 UTC is 16:30 in the UK');
});

test('the scheduler sends the daily digest to the headteacher and online safety lead and the weekly summary to the computing lead, once each, with counts and no detail; an ended change request tells the IT provider', async () => {
  const school = await makeSchool(t.db);
  const osl = await makeStaff(t.db, school.id, ['online_safety_lead'], 'osl');
  const computing = await makeStaff(t.db, school.id, ['computing_lead'], 'computing');
  const outbox = mkdtempSync(join(tmpdir(), 'harbour-digests-'));
  const mailer = createMailer({ from: 'Harbour <harbour@test>', outboxDir: outbox });
  const by = { actor: { userId: null, label: 'test' }, personId: null, ip: null };

  await ingestFile(t.db, fixture, { schoolId: school.id, mailer, baseUrl: 'http://harbour.test' });
  assert.deepEqual(readOutbox(outbox).map((m) => m.to), [school.personas.dsl.email], 'the critical alert went to the safeguarding lead at once');
  // The alerts came in on Friday 27 November 2026 in the morning; one was dismissed.
  await t.db.query(`update monitoring_alerts set created_at = '2026-11-27T09:00:00Z' where school_id = $1`, [school.id]);
  await t.db.query(`update monitoring_alerts set status = 'dismissed', dismissed_reason = 'A lesson', acted_at = '2026-11-27T10:00:00Z' where school_id = $1 and line = 7`, [school.id]);
  // An unblock carried out for the week, ending on Thursday 26 November.
  const change = await t.db.transaction((tx) => requestFilteringChange(tx, school.id, { kind: 'unblock', target: 'maps.example.net', for_whom: 'Year 4', reason: 'Geography', ends_on: '2026-11-26' }, by));
  await t.db.transaction((tx) => approveChange(tx, school.id, change.id, null, by));
  await t.db.transaction((tx) => markChangeDone(tx, school.id, change.id, by));
  await t.db.transaction((tx) => recordCheck(tx, school.id, { checked_on: '2026-11-25', device: 'Laptop', user_group: 'Year 6', tested: 'Test pages', result: 'pass', checked_by: 'Technician' }, by));
  await t.db.query(`update filtering_checks set created_at = '2026-11-25T12:00:00Z' where school_id = $1`, [school.id]);

  const run = (at: string) => runDueMonitoringJobs(t.db, mailer, 'http://harbour.test', new Date(at), { schoolId: school.id });
  const noon = await run('2026-11-27T12:00:00Z');
  assert.deepEqual({ expired: noon.changesExpired, digests: noon.digestsSent }, { expired: 1, digests: 0 }, 'at noon on Friday: no digest yet (they go at 4pm)');
  const it = readOutbox(outbox).slice(1);
  assert.deepEqual(it.map((m) => m.to), [school.personas.itProvider.email]);
  assert.match(it[0].text, /put the filtering back/);
  assert.ok(!it[0].text.includes('maps.example.net'), 'the site is not in the email');
  assert.equal((await t.db.query(`select status from filtering_change_requests where id = $1`, [change.id])).rows[0].status, 'expired');
  const expiredAudit = (await t.db.query(`select actor_label from audit_events where school_id = $1 and action = 'filtering_change.expired' and record_id = $2`, [school.id, change.id])).rows;
  assert.equal(expiredAudit.length, 1, 'the expiry is in the audit trail');

  const four = await run('2026-11-27T16:05:00Z');
  assert.equal(four.digestsSent, 2);
  const digests = readOutbox(outbox).slice(2);
  const daily = digests.filter((m) => /daily digest/.test(m.subject));
  const weekly = digests.filter((m) => /weekly summary/.test(m.subject));
  assert.deepEqual(daily.map((m) => m.to).sort(), [osl.email, school.personas.headteacher.email].sort());
  assert.deepEqual(weekly.map((m) => m.to), [computing.email]);
  assert.match(daily[0].text, /New alerts: 4 \(1 critical, 1 high, 2 medium\)/);
  assert.match(daily[0].text, /Kept for pattern review \(low, nobody is told\): 1/);
  assert.match(daily[0].text, /0 acknowledged, 1 dismissed with a reason, 0 recorded as incidents/);
  assert.match(daily[0].text, /Waiting in the safeguarding lead's queue: 3 alerts/);
  assert.match(weekly[0].text, /Attempts to get round the filter \(proxies, VPNs and the like\): 1\./);
  assert.match(weekly[0].text, /Blocked requests that raised an alert: 3\./);
  assert.match(weekly[0].text, /1 ended on their end date/);
  assert.match(weekly[0].text, /Filtering checks recorded: 1\. The last check was on 25 November 2026 \(passed\)/);
  for (const m of readOutbox(outbox)) noSecrets(m);

  const again = await run('2026-11-27T16:35:00Z');
  assert.equal(again.digestsSent, 0, 'each goes once');
  assert.equal(readOutbox(outbox).length, 5);
  const sentAudit = (await t.db.query(`select action from audit_events where school_id = $1 and action like 'monitoring_digest.%' order by action`, [school.id])).rows.map((r) => r.action);
  assert.deepEqual(sentAudit, ['monitoring_digest.daily_sent', 'monitoring_digest.weekly_sent']);

  // Saturday: no daily digest. Monday at 4pm: Monday's, covering the weekend.
  assert.equal((await run('2026-11-28T16:05:00Z')).digestsSent, 0);
  assert.equal((await run('2026-11-30T16:05:00Z')).digestsSent, 1);
});

test('the school sets who gets each digest and when; the form names a missing choice; a digest switched off is not sent', async () => {
  const school = await makeSchool(t.db);
  const head = await signedIn(t.app, school.personas.headteacher);
  const page = await head.get('/monitoring/digests');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Daily digest/);
  assert.equal((await (await signedIn(t.app, school.personas.teacher)).get('/monitoring/digests')).statusCode, 403);
  const bad = await head.post('/monitoring/digests', { daily_enabled: 'yes', daily_hour: '7', weekly_enabled: 'yes', weekly_day: '1', weekly_hour: '9' }, { from: '/monitoring/digests' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /href="#daily_roles"/);
  assert.match(bad.body, /Choose who gets the weekly summary, or switch it off/);
  assert.equal((await t.db.query('select count(*)::int as n from monitoring_digest_settings where school_id = $1', [school.id])).rows[0].n, 0, 'nothing half-saved');
  const ok = await head.post('/monitoring/digests', { daily_enabled: 'yes', daily_hour: '7', daily_roles: ['designated_safeguarding_lead', 'headteacher'], weekly_day: '1', weekly_hour: '9', weekly_roles: 'it_provider' }, { from: '/monitoring/digests' });
  assert.equal(ok.statusCode, 303);
  const saved = (await t.db.query('select daily_enabled, daily_hour, daily_roles, weekly_enabled, weekly_day, weekly_hour, weekly_roles from monitoring_digest_settings where school_id = $1', [school.id])).rows[0];
  assert.deepEqual(saved, { daily_enabled: true, daily_hour: 7, daily_roles: ['designated_safeguarding_lead', 'headteacher'], weekly_enabled: false, weekly_day: 1, weekly_hour: 9, weekly_roles: ['it_provider'] });
  assert.equal((await t.db.query(`select count(*)::int as n from audit_events where school_id = $1 and action = 'monitoring_digests.settings_changed'`, [school.id])).rows[0].n, 1);

  const outbox = mkdtempSync(join(tmpdir(), 'harbour-digests-'));
  const mailer = createMailer({ from: 'Harbour <harbour@test>', outboxDir: outbox });
  // Monday 30 November 2026 at 09:30: the daily digest (7am) is due; the weekly one is off.
  await runDueMonitoringJobs(t.db, mailer, 'http://harbour.test', new Date('2026-11-30T09:30:00Z'), { schoolId: school.id });
  assert.deepEqual(readOutbox(outbox).map((m) => m.to).sort(), [school.personas.dsl.email, school.personas.headteacher.email].sort());
  assert.match(readOutbox(outbox)[0].text, /New alerts: none/);
});

test('high alerts reach the safeguarding lead the same day, at most one email an hour; a critical one goes at once', async () => {
  const school = await makeSchool(t.db);
  const outbox = mkdtempSync(join(tmpdir(), 'harbour-high-'));
  const mailer = createMailer({ from: 'Harbour <harbour@test>', outboxDir: outbox });
  const lines = readFileSync(fixture, 'utf8').split('\n').filter(Boolean);
  // Only the alert emails: run at a school-day hour, the scheduler also sends the daily digest.
  const alertMail = () => readOutbox(outbox).filter((m) => /filtering alert/.test(m.subject));
  // Three blocked adult sites by one pupil (high), at a given time, as a separate log each.
  const highLog = (stamp: number, user: string) => {
    const f = join(mkdtempSync(join(tmpdir(), 'harbour-high-log-')), 'access.log');
    writeFileSync(f, lines.slice(7, 10).map((l, i) => l.replace(/^\d+\.\d+/, `${stamp + i}.000`).replace('pupil.j.kerr', user)).join('\n') + '\n');
    return f;
  };
  await ingestFile(t.db, highLog(1800000000, 'pupil.a'), { schoolId: school.id, mailer, baseUrl: 'http://harbour.test' });
  assert.equal(alertMail().length, 1, 'the first high alert is emailed at once');
  assert.match(alertMail()[0].subject, /a new high filtering alert/);
  await ingestFile(t.db, highLog(1800000600, 'pupil.b'), { schoolId: school.id, mailer, baseUrl: 'http://harbour.test' });
  assert.equal(alertMail().length, 1, 'a second high alert within the hour waits');
  const inTen = new Date(Date.now() + 10 * 60_000);
  assert.equal((await runDueMonitoringJobs(t.db, mailer, 'http://harbour.test', inTen, { schoolId: school.id })).alertsNotified, 0);
  const inSeventy = new Date(Date.now() + 70 * 60_000);
  assert.equal((await runDueMonitoringJobs(t.db, mailer, 'http://harbour.test', inSeventy, { schoolId: school.id })).alertsNotified, 1, 'the scheduler sends it once the hour is up');
  assert.equal(alertMail().length, 2);
  // A critical alert does not wait for the hour.
  const crit = join(mkdtempSync(join(tmpdir(), 'harbour-crit-')), 'access.log');
  writeFileSync(crit, lines[3].replace(/^\d+\.\d+/, '1800001200.000') + '\n');
  await ingestFile(t.db, crit, { schoolId: school.id, mailer, baseUrl: 'http://harbour.test' });
  assert.equal(alertMail().length, 3);
  assert.match(alertMail()[2].subject, /critical/);
  for (const m of readOutbox(outbox)) noSecrets(m);
});

test('harbour monitor digest sends a digest now, and harbour monitor run-jobs runs the due jobs, from the command line', async () => {
  const school = await makeSchool(t.db);
  const computing = await makeStaff(t.db, school.id, ['computing_lead'], 'computing');
  const dataDir = mkdtempSync(join(tmpdir(), 'harbour-digest-cli-'));
  const harbour = (args: string[]) => new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: connectionUrl(JSON.parse(process.env.HARBOUR_TEST_DB!)), DATA_DIR: dataDir, BASE_URL: 'http://harbour.test' };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, ['bin/harbour.mjs', ...args], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
  const r = await harbour(['monitor', 'digest', '--kind', 'weekly', '--school', school.id]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /The weekly summary was sent to 1 person/);
  const mail = readOutbox(join(dataDir, 'outbox'));
  assert.deepEqual(mail.map((m) => m.to), [computing.email]);
  assert.match(mail[0].text, /http:\/\/harbour\.test\/monitoring\/change-requests/);
  const jobs = await harbour(['monitor', 'run-jobs', '--school', school.id]);
  assert.equal(jobs.code, 0, jobs.stderr);
  assert.match(jobs.stdout, /Monitoring jobs done for 1 school/);
  const bad = await harbour(['monitor', 'digest', '--kind', 'monthly', '--school', school.id]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--kind/);
});

test('the scheduler the server starts ends a change request past its end date by itself', async () => {
  const school = await makeSchool(t.db);
  const by = { actor: { userId: null, label: 'test' }, personId: null, ip: null };
  const yesterday = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
  const change = await t.db.transaction((tx) => requestFilteringChange(tx, school.id, { kind: 'block', target: 'Games', for_whom: 'Year 5', reason: 'Played in lessons', ends_on: yesterday }, by));
  const outbox = mkdtempSync(join(tmpdir(), 'harbour-sched-'));
  const stop = startMonitoringScheduler({ db: t.db, mailer: createMailer({ from: 'Harbour <harbour@test>', outboxDir: outbox }), baseUrl: 'http://harbour.test', log: { info() {}, error() {} }, firstAfterMs: 10, schoolId: school.id });
  try {
    const t0 = Date.now();
    while ((await t.db.query('select status from filtering_change_requests where id = $1', [change.id])).rows[0].status !== 'expired') {
      assert.ok(Date.now() - t0 < 10_000, 'expired within 10 seconds of starting');
      await new Promise((d) => setTimeout(d, 20));
    }
  } finally {
    await stop();
  }
  assert.equal(readOutbox(outbox).filter((m) => /end date/.test(m.subject)).length, 0, 'a request never approved tells the IT provider nothing');
});
