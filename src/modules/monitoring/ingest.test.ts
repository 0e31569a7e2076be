// `harbour monitor ingest`: alerts stored for a school, never lost and never repeated, however
// the ingest is stopped and started; rotated and gzip'd logs; --follow; emails to the leads.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { closeTestDb, makeSchool, readOutbox, testDb } from '../../testing/harness';
import { connectionUrl } from '../../platform/db/scratch-database';
import { createMailer } from '../../platform/mail/mailer';
import { ingestFile } from './ingest';
import { acknowledgeAlert, dismissAlert } from './service';

const root = resolve(import.meta.dirname, '../../..');
const fixture = join(root, 'src/modules/monitoring/fixtures/squid-access.log');
const db = testDb();
after(closeTestDb);
const work = mkdtempSync(join(tmpdir(), 'harbour-ingest-'));

function harbourChild(args: string[]): ChildProcess & { out: Promise<{ code: number | null; stderr: string }> } {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: connectionUrl(JSON.parse(process.env.HARBOUR_TEST_DB!)), DATA_DIR: work };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['bin/harbour.mjs', ...args], { cwd: root, env }) as any;
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  child.out = new Promise((done) => child.on('close', (code: number | null) => done({ code, stderr })));
  return child;
}
const harbour = (args: string[]) => harbourChild(args).out;

async function alertsOf(schoolId: string) {
  return (await db.query(`select line, risk, severity, group_count, reason, query from monitoring_alerts where school_id = $1 order by line`, [schoolId])).rows;
}

/** A Squid log of n lines: mostly ordinary pages and images, with concerning searches and blocks from many pupils spread through it. */
function bigLog(n: number): string {
  const out: string[] = [];
  const start = 1709633700;
  for (let i = 0; i < n; i++) {
    const t = (start + i * 0.05).toFixed(3);
    const who = `pupil.${i % 97}`;
    const ip = `10.20.${(i % 7) + 1}.${i % 200}`;
    if (i % 1000 === 17) out.push(`${t}    315 ${ip} TCP_MISS/200 91022 GET https://www.google.com/search?q=how+to+kill+myself+${i % 3000 < 1500 ? '' : 'now'}&source=hp ${who} HIER_DIRECT/142.250.187.228 text/html`);
    else if (i % 1000 === 523) out.push(`${t}      0 ${ip} TCP_DENIED/403 3941 CONNECT www.pornhub.com:443 ${who} HIER_NONE/- text/html`);
    else if (i % 1000 === 777) out.push(`${t}    220 ${ip} TCP_MISS/200 40400 GET https://www.ecosia.org/search?q=unblocked+games+${i % 5} ${who} HIER_DIRECT/104.18.8.91 text/html`);
    else out.push(`${t}    187 ${ip} TCP_MISS/200 48211 GET https://www.bbc.co.uk/bitesize/topics/z${i} ${who} HIER_DIRECT/151.101.64.81 text/html`);
  }
  return out.join('\n') + '\n';
}

test('ingesting the same file twice stores the same alerts once', async () => {
  const school = await makeSchool(db);
  const first = await harbour(['monitor', 'ingest', '--school', school.id, fixture]);
  assert.equal(first.code, 0, first.stderr);
  const once = await alertsOf(school.id);
  assert.equal(once.length, 5, 'the fixture holds 5 alerts (as scan finds: the three blocked adult sites are one)');
  assert.match(first.stderr, /5 new alerts; now at line 14/);
  const second = await harbour(['monitor', 'ingest', '--school', school.id, fixture]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /read 0 new lines .* 0 new alerts/);
  assert.deepEqual(await alertsOf(school.id), once);
});

test("ingest reports the first rejected lines by number and, for a log with Squid's default strip_query_terms, the same note as scan", async () => {
  const school = await makeSchool(db);
  const lines = readFileSync(fixture, 'utf8').split('\n').filter(Boolean).map((l) => l.replace(/\?\S*/, '?'));
  lines.splice(2, 0, 'this is not a log line');
  lines.splice(6, 0, '1709633712.877 broken');
  const file = join(work, 'stripped.log');
  writeFileSync(file, lines.join('\n') + '\n');
  const notes: string[] = [];
  const r = await ingestFile(db, file, { schoolId: school.id, onNote: (n) => notes.push(n) });
  assert.equal(r.rejected, 2);
  assert.deepEqual(r.firstRejected.map((x) => x.line), [3, 7]);
  assert.ok(r.firstRejected.every((x) => x.reason.length > 0));
  assert.match(r.note ?? '', /strip_query_terms off/);
  assert.deepEqual(notes, [r.note]);
  // The command says the same on standard error.
  const again = join(work, 'stripped-copy.log');
  writeFileSync(again, `${lines.join('\n')}\n1709639999.000 1 10.0.0.1 TCP_MISS/200 1 GET https://example.org/x? pupil.z HIER_DIRECT/1.2.3.4 text/html\n`);
  const other = await makeSchool(db);
  const cli = await harbour(['monitor', 'ingest', '--school', other.id, again]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stderr, /2 rejected; the first: line 3 \(.+\), line 7 \(/);
  assert.match(cli.stderr, /Note: .*strip_query_terms off/);
  // A log with query strings has no note.
  assert.equal((await ingestFile(db, fixture, { schoolId: school.id })).note, null);
});

test('kill -9 in the middle of an ingest, then running it again, neither loses nor repeats an alert', async () => {
  const file = join(work, 'big-access.log');
  writeFileSync(file, bigLog(300_000));
  const reference = await makeSchool(db);
  await ingestFile(db, file, { schoolId: reference.id });
  const expected = await alertsOf(reference.id);
  assert.ok(expected.length > 300, `the log makes many alerts (${expected.length})`);

  const school = await makeSchool(db);
  const child = harbourChild(['monitor', 'ingest', '--school', school.id, file]);
  let at = 0;
  for (let i = 0; i < 1000 && !at; i++) {
    const r = (await db.query('select line_number from monitoring_ingest_positions where school_id = $1', [school.id])).rows[0];
    if (r && r.line_number > 0) at = r.line_number;
    else await new Promise((d) => setTimeout(d, 20));
  }
  child.kill('SIGKILL');
  const killed = await child.out;
  assert.equal(killed.code, null, 'the ingest was killed, not finished');
  assert.ok(at > 0 && at < 300_000, `killed part way (a batch at line ${at} was committed)`);
  const part = await alertsOf(school.id);
  assert.ok(part.length < expected.length, 'some alerts were still to come when it was killed');

  const rerun = await harbour(['monitor', 'ingest', '--school', school.id, file]);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stderr, /carried on from where the last run stopped/);
  assert.deepEqual(await alertsOf(school.id), expected);
});

test('a rotated log, gzip\'d, is recognised as the file already read, and the new file at the path is read from its start', async () => {
  const school = await makeSchool(db);
  const dir = mkdtempSync(join(work, 'rotate-'));
  const path = join(dir, 'access.log');
  const lines = readFileSync(fixture, 'utf8').split('\n').filter(Boolean);
  writeFileSync(path, lines.slice(0, 8).join('\n') + '\n');
  const r1 = await ingestFile(db, path, { schoolId: school.id });
  assert.equal(r1.lineNumber, 8);
  const firstAlerts = (await alertsOf(school.id)).length;
  // More is written, then the log is rotated and compressed before ingest runs again.
  appendFileSync(path, lines.slice(8).join('\n') + '\n');
  writeFileSync(`${path}.1.gz`, gzipSync(readFileSync(path)));
  writeFileSync(path, lines.slice(0, 4).map((l) => l.replace(/^1709633/, '1709640')).join('\n') + '\n');
  const r2 = await ingestFile(db, `${path}.1.gz`, { schoolId: school.id });
  assert.equal(r2.resumed, true);
  assert.equal(r2.lines, 6, 'only the lines after the first run were read from the rotated file');
  const r3 = await ingestFile(db, path, { schoolId: school.id });
  assert.equal(r3.resumed, false);
  assert.equal(r3.lines, 4);
  const all = await alertsOf(school.id);
  assert.equal(all.length, 5 + 1, 'the 5 alerts of the fixture once, and the new file\'s one');
  assert.ok(firstAlerts < 5, `the first run saw only some of the alerts (${firstAlerts})`);
  // And again: nothing new.
  await ingestFile(db, `${path}.1.gz`, { schoolId: school.id });
  await ingestFile(db, path, { schoolId: school.id });
  assert.equal((await alertsOf(school.id)).length, 6);
});

test('with --follow a line appended to the log is an alert within a second', async () => {
  const school = await makeSchool(db);
  const path = join(work, 'follow-access.log');
  writeFileSync(path, readFileSync(fixture, 'utf8').split('\n').slice(0, 2).join('\n') + '\n');
  const child = harbourChild(['monitor', 'ingest', '--follow', '--school', school.id, path]);
  try {
    // Wait until the follower has read the start of the file.
    for (let i = 0; i < 500; i++) {
      const r = (await db.query('select line_number from monitoring_ingest_positions where school_id = $1', [school.id])).rows[0];
      if (r && r.line_number === 2) break;
      await new Promise((d) => setTimeout(d, 20));
    }
    const t0 = Date.now();
    appendFileSync(path, '1709633712.877    315 10.20.4.17 TCP_MISS/200 91022 GET https://www.google.com/search?q=how+to+kill+myself&source=hp pupil.t.okafor HIER_DIRECT/142.250.187.228 text/html\n');
    let seen: number | null = null;
    while (Date.now() - t0 < 3000) {
      const r = (await db.query(`select line from monitoring_alerts where school_id = $1 and severity = 'critical'`, [school.id])).rows[0];
      if (r) {
        seen = Date.now() - t0;
        assert.equal(r.line, 3);
        break;
      }
      await new Promise((d) => setTimeout(d, 25));
    }
    assert.ok(seen !== null && seen < 1000, `the alert was stored ${seen ?? 'never'} ms after the line was written`);
  } finally {
    child.kill('SIGTERM');
  }
  // Stopped by SIGTERM (as a service manager stops it): it finishes cleanly and says where it got to.
  const stopped = await child.out;
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stderr, /1 new alert; now at line 3\./);
});

test('high and critical alerts are emailed to the safeguarding lead at once, with no search, site or name in the email', async () => {
  const school = await makeSchool(db);
  const outbox = mkdtempSync(join(work, 'outbox-'));
  const mailer = createMailer({ from: 'Harbour <harbour@test>', outboxDir: outbox });
  await ingestFile(db, fixture, { schoolId: school.id, mailer, baseUrl: 'http://harbour.test' });
  const mail = readOutbox(outbox);
  assert.deepEqual(mail.map((m) => m.to), [school.personas.dsl.email]);
  assert.match(mail[0].text, /the most severe is critical/);
  assert.match(mail[0].text, /http:\/\/harbour\.test\/monitoring\/alerts/);
  for (const secret of ['kill', 'myself', 'google', 'okafor', 'unblocked', 'pupil', '10.20']) {
    assert.ok(!`${mail[0].subject}\n${mail[0].text}`.toLowerCase().includes(secret), `the email does not contain "${secret}"`);
  }
  // Ingesting again tells nobody twice.
  await ingestFile(db, fixture, { schoolId: school.id, mailer, baseUrl: 'http://harbour.test' });
  assert.equal(readOutbox(outbox).length, 1);
});

test('an alert a repeat raises to critical during ingest is told to the safeguarding lead at once, as a new critical alert is', async () => {
  const school = await makeSchool(db);
  const outbox = mkdtempSync(join(work, 'raised-outbox-'));
  const mailer = createMailer({ from: 'Harbour <harbour@test>', outboxDir: outbox });
  const path = join(work, 'raised.csv');
  const row = (time: string, site: string) => `${time},pupil.r1,10.40.0.77,Year 8,403,https://${site}/,Self Harm`;
  // Two blocked self-harm sites: one high alert, emailed at once (the first high of the hour).
  writeFileSync(path, ['Time,Username,Source IP,Group,HTTP code,URL,Categories', row('05/03/2024 09:00:00', 'one.example'), row('05/03/2024 09:01:00', 'two.example')].join('\n') + '\n');
  await ingestFile(db, path, { schoolId: school.id, mailer, baseUrl: 'http://harbour.test' });
  const alertMail = () => readOutbox(outbox).filter((m) => /filtering alert/.test(m.subject));
  assert.deepEqual(alertMail().map((m) => m.subject), ['Harbour: a new high filtering alert']);
  assert.deepEqual((await alertsOf(school.id)).map((a) => [a.severity, a.group_count]), [['high', 2]]);
  // A third within ten minutes, read by the next run: the same alert, raised to critical, told at once (not an hour later).
  appendFileSync(path, row('05/03/2024 09:02:00', 'three.example') + '\n');
  const r = await ingestFile(db, path, { schoolId: school.id, mailer, baseUrl: 'http://harbour.test' });
  assert.equal(r.alertsCreated, 0, 'no new alert: the repeat joined the one stored');
  const rows = (await db.query('select severity, group_count, notified_at from monitoring_alerts where school_id = $1', [school.id])).rows;
  assert.equal(rows.length, 1);
  assert.equal(rows[0].severity, 'critical');
  assert.equal(rows[0].group_count, 3);
  assert.ok(rows[0].notified_at, 'marked as told');
  assert.deepEqual(alertMail().map((m) => m.subject), ['Harbour: a new high filtering alert', 'Harbour: a new critical filtering alert']);
  assert.equal(alertMail()[1].to, school.personas.dsl.email);
  assert.ok(!/self harm|example|pupil\.r1/i.test(alertMail()[1].text), 'the email names nothing');
  // A later repeat of an alert already critical tells nobody again.
  appendFileSync(path, row('05/03/2024 09:03:00', 'four.example') + '\n');
  await ingestFile(db, path, { schoolId: school.id, mailer, baseUrl: 'http://harbour.test' });
  assert.equal(alertMail().length, 2);
});

test('an alert acknowledged or dismissed while high goes back into the queue as new when repeats raise it to critical, and the lead is told', async () => {
  const by = { actor: { userId: null, label: 'test' }, personId: null, ip: null };
  for (const act of ['acknowledge', 'dismiss'] as const) {
    const school = await makeSchool(db);
    const outbox = mkdtempSync(join(work, `returned-${act}-`));
    const mailer = createMailer({ from: 'Harbour <harbour@test>', outboxDir: outbox });
    const path = join(work, `returned-${act}.csv`);
    const row = (time: string, site: string) => `${time},pupil.r2,10.40.0.78,Year 9,403,https://${site}/,Self Harm`;
    writeFileSync(path, ['Time,Username,Source IP,Group,HTTP code,URL,Categories', row('05/03/2024 10:00:00', 'one.example'), row('05/03/2024 10:01:00', 'two.example')].join('\n') + '\n');
    await ingestFile(db, path, { schoolId: school.id, mailer, baseUrl: 'http://harbour.test' });
    const [alert] = await alertsOf(school.id);
    assert.equal(alert.severity, 'high');
    const id = (await db.query('select id from monitoring_alerts where school_id = $1', [school.id])).rows[0].id;
    if (act === 'acknowledge') await acknowledgeAlert(db, school.id, id, by);
    else await dismissAlert(db, school.id, id, 'a PSHE lesson on self-harm support', by);
    appendFileSync(path, row('05/03/2024 10:02:00', 'three.example') + '\n');
    await ingestFile(db, path, { schoolId: school.id, mailer, baseUrl: 'http://harbour.test' });
    const [after] = (await db.query('select status, severity, dismissed_reason, notified_at from monitoring_alerts where school_id = $1', [school.id])).rows;
    assert.equal(after.severity, 'critical');
    assert.equal(after.status, 'new', `${act}d while high, back in the queue once critical`);
    assert.equal(after.dismissed_reason, null);
    assert.ok(after.notified_at, 'the leads were told');
    assert.deepEqual(readOutbox(outbox).filter((m) => /filtering alert/.test(m.subject)).map((m) => m.subject).at(-1), 'Harbour: a new critical filtering alert');
  }
  // One already turned into an incident stays with its incident.
  const school = await makeSchool(db);
  const path = join(work, 'returned-escalated.csv');
  const row = (time: string, site: string) => `${time},pupil.r3,10.40.0.79,Year 9,403,https://${site}/,Self Harm`;
  writeFileSync(path, ['Time,Username,Source IP,Group,HTTP code,URL,Categories', row('05/03/2024 11:00:00', 'one.example'), row('05/03/2024 11:01:00', 'two.example')].join('\n') + '\n');
  await ingestFile(db, path, { schoolId: school.id });
  await db.query(`update monitoring_alerts set status = 'escalated' where school_id = $1`, [school.id]);
  appendFileSync(path, row('05/03/2024 11:02:00', 'three.example') + '\n');
  await ingestFile(db, path, { schoolId: school.id });
  assert.deepEqual((await db.query('select status, severity from monitoring_alerts where school_id = $1', [school.id])).rows, [{ status: 'escalated', severity: 'critical' }]);
});

test('a following ingest killed with kill -9 and started again neither loses nor repeats an alert', async () => {
  const lines = readFileSync(fixture, 'utf8').split('\n').filter(Boolean);
  const reference = await makeSchool(db);
  const whole = join(work, 'follow-whole.log');
  writeFileSync(whole, lines.join('\n') + '\n');
  await ingestFile(db, whole, { schoolId: reference.id });
  const expected = await alertsOf(reference.id);
  assert.equal(expected.length, 5);

  const school = await makeSchool(db);
  const path = join(work, 'follow-killed.log');
  writeFileSync(path, lines.slice(0, 6).join('\n') + '\n');
  const lineNumber = async () => Number((await db.query('select line_number from monitoring_ingest_positions where school_id = $1', [school.id])).rows[0]?.line_number ?? 0);
  const until = async (what: string, ok: () => Promise<boolean>, ms = 15_000) => {
    const t0 = Date.now();
    while (!(await ok())) {
      assert.ok(Date.now() - t0 < ms, `timed out waiting until ${what}`);
      await new Promise((d) => setTimeout(d, 20));
    }
  };
  const first = harbourChild(['monitor', 'ingest', '--follow', '--school', school.id, path]);
  await until('the follower has read the first 6 lines', async () => (await lineNumber()) === 6);
  assert.equal((await alertsOf(school.id)).filter((a) => a.severity === 'critical').length, 1, 'the search on line 4 is in the queue');
  // Lines arrive and the follower is killed outright while it may be reading them.
  appendFileSync(path, lines.slice(6, 10).join('\n') + '\n');
  await new Promise((d) => setTimeout(d, 30));
  first.kill('SIGKILL');
  assert.equal((await first.out).code, null, 'killed, not finished');
  // More is written while nothing follows the log, including a repeat of line 4's search.
  appendFileSync(path, lines.slice(10).join('\n') + '\n');
  const second = harbourChild(['monitor', 'ingest', '--follow', '--school', school.id, path]);
  try {
    await until('the restarted follower has read to the end', async () => (await lineNumber()) === lines.length);
  } finally {
    second.kill('SIGTERM');
    await second.out;
  }
  const got = await alertsOf(school.id);
  assert.deepEqual(got, expected, 'the same alerts as one uninterrupted read: none lost, none repeated');
  assert.equal(got.find((a) => a.line === 4)?.group_count, 2, 'the repeat on line 13 joined the alert stored before the kill');
});

test("one person's visit to a listed proxy site is one alert in the queue, whatever hosts of the site it reached", async () => {
  // bench:school-day found a proxy let through raising two high alerts for one visit: one for
  // www.proxyium.com and one for the page's cdn.proxyium.com, each saying "a visit to proxyium.com".
  const school = await makeSchool(db);
  const at = (s: number) => (1772536000 + s).toFixed(3);
  const who = '24osei';
  const lines = [
    `${at(0)}      2 10.20.3.4 NONE_NONE/200 0 CONNECT www.proxyium.com:443 ${who} HIER_NONE/- -`,
    `${at(1)}    310 10.20.3.4 TCP_MISS/200 48211 GET https://www.proxyium.com/ ${who} HIER_DIRECT/104.21.4.2 text/html`,
    `${at(2)}      3 10.20.3.4 NONE_NONE/200 0 CONNECT cdn.proxyium.com:443 ${who} HIER_NONE/- -`,
    `${at(3)}    140 10.20.3.4 TCP_MISS/200 9911 GET https://cdn.proxyium.com/proxy?__cpo=aHR0cHM6Ly93d3cudGlrdG9rLmNvbQ ${who} HIER_DIRECT/104.21.4.3 text/html`,
    `${at(30)}   290 10.20.3.4 TCP_MISS/200 51001 GET https://www.proxyium.com/proxy?__cpo=aHR0cHM6Ly9kaXNjb3JkLmNvbQ ${who} HIER_DIRECT/104.21.4.2 text/html`,
    // Another listed site is another alert; so is the same site visited by someone else.
    `${at(40)}     2 10.20.3.4 NONE_NONE/200 0 CONNECT www.croxyproxy.com:443 ${who} HIER_NONE/- -`,
    `${at(41)}     3 10.20.3.9 NONE_NONE/200 0 CONNECT cdn.proxyium.com:443 23ward HIER_NONE/- -`,
  ];
  const file = join(work, 'proxy-hosts.log');
  writeFileSync(file, lines.join('\n') + '\n');
  await ingestFile(db, file, { schoolId: school.id });
  const got = (await db.query(`select line, user_name, severity, group_count, reason from monitoring_alerts where school_id = $1 order by line`, [school.id])).rows;
  assert.deepEqual(got.map((a) => [a.line, a.user_name, a.severity, a.group_count]), [[1, who, 'high', 5], [6, who, 'high', 1], [7, '23ward', 'high', 1]]);
  assert.match(got[0].reason, /a visit to proxyium\.com, a site for getting round the filter, and the filter let it through; 5 requests grouped \(lines 1 to 5\)/);
  assert.match(got[1].reason, /a visit to croxyproxy\.com/);
});
