// The safeguarding lead's alert queue in the browser, identity mappings and the school's phrases.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { closeTestDb, makeSchool, signedIn, testApp } from '../../testing/harness';
import { ingestFile } from './ingest';

const t = await testApp();
after(async () => {
  await t.close();
  await closeTestDb();
});
const fixture = join(resolve(import.meta.dirname), 'fixtures/squid-access.log');

async function schoolWithAlerts() {
  const school = await makeSchool(t.db);
  await ingestFile(t.db, fixture, { schoolId: school.id });
  const alerts = (await t.db.query(`select id, severity, risk, user_name, query, occurred_at from monitoring_alerts where school_id = $1`, [school.id])).rows;
  return { school, alerts };
}

test('the queue lists medium and above, most severe first and newest first within a severity, and only to the leads', async () => {
  const { school, alerts } = await schoolWithAlerts();
  const dsl = await signedIn(t.app, school.personas.dsl);
  const res = await dsl.get('/monitoring/alerts');
  assert.equal(res.statusCode, 200);
  const order = [...res.body.matchAll(/href="\/monitoring\/alerts\/([0-9a-f-]{36})"/g)].map((m) => m[1]);
  const rank = { critical: 4, high: 3, medium: 2, low: 1 } as Record<string, number>;
  const expected = alerts.filter((a) => a.severity !== 'low')
    .sort((a, b) => rank[b.severity] - rank[a.severity] || +new Date(b.occurred_at) - +new Date(a.occurred_at)).map((a) => a.id);
  assert.deepEqual(order, expected);
  assert.equal(order.length, 4);
  assert.match(res.body, /pupil\.t\.okafor/);
  const teacher = await signedIn(t.app, school.personas.teacher);
  assert.equal((await teacher.get('/monitoring/alerts')).statusCode, 403);
});

test('low alerts, kept for pattern review, have a view of their own with the patterns by person; the queue still shows medium and above', async () => {
  const school = await makeSchool(t.db);
  const dir = mkdtempSync(join(tmpdir(), 'harbour-low-'));
  const log = join(dir, 'access.log');
  // One pupil's three help-seeking searches (low) on two days, another's one, and a concerning search (critical).
  const day1 = 1709633700;
  const day2 = day1 + 86_400;
  const line = (t: number, q: string, who: string) => `${t}.000    199 10.20.4.17 TCP_MISS/200 91022 GET https://www.google.com/search?q=${q} ${who} HIER_DIRECT/142.250.187.228 text/html`;
  writeFileSync(log, [
    line(day1, 'suicide+helpline', 'pupil.low.one'),
    line(day1 + 900, 'self+harm+support', 'pupil.low.one'),
    line(day1 + 1000, 'the+blitz+bombing', 'pupil.low.two'),
    line(day1 + 2000, 'how+to+kill+myself', 'pupil.low.three'),
    line(day2, 'suicide+helpline+number', 'pupil.low.one'),
  ].join('\n') + '\n');
  await ingestFile(t.db, log, { schoolId: school.id });
  const rows = (await t.db.query('select id, severity, user_name from monitoring_alerts where school_id = $1', [school.id])).rows;
  const lowIds = rows.filter((r) => r.severity === 'low').map((r) => r.id).sort();
  assert.equal(lowIds.length, 4, JSON.stringify(rows));
  const dsl = await signedIn(t.app, school.personas.dsl);
  const ids = (body: string) => [...body.matchAll(/href="\/monitoring\/alerts\/([0-9a-f-]{36})"/g)].map((m) => m[1]);
  const queue = await dsl.get('/monitoring/alerts');
  assert.equal(queue.statusCode, 200);
  assert.deepEqual(ids(queue.body), rows.filter((r) => r.severity !== 'low').map((r) => r.id));
  assert.match(queue.body, /href="\/monitoring\/alerts\?severity=low">Low \(pattern review\) \(4\)/);
  const low = await dsl.get('/monitoring/alerts?severity=low');
  assert.equal(low.statusCode, 200);
  assert.match(low.body, /<h1 class="govuk-heading-l">Low alerts \(pattern review\)<\/h1>/);
  assert.deepEqual(ids(low.body).sort(), lowIds);
  // The pattern: pupil.low.one, 3 low alerts over 2 days, comes first.
  const patterns = low.body.slice(low.body.indexOf('Patterns:'), low.body.indexOf('</table>', low.body.indexOf('Patterns:')));
  const firstRow = /<tbody[^>]*>\s*<tr[^>]*>([\s\S]*?)<\/tr>/.exec(patterns)![1].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  assert.match(firstRow, /^pupil\.low\.one suicide-self-harm 3 2 /);
  assert.match(patterns, /pupil\.low\.two/);
  assert.doesNotMatch(patterns, /pupil\.low\.three/);
  // Only the leads see it.
  const teacher = await signedIn(t.app, school.personas.teacher);
  assert.equal((await teacher.get('/monitoring/alerts?severity=low')).statusCode, 403);
});

test('a dismissal needs a reason; with one the alert leaves the queue and the audit trail records it', async () => {
  const { school, alerts } = await schoolWithAlerts();
  const target = alerts.find((a) => a.severity === 'medium')!;
  const dsl = await signedIn(t.app, school.personas.dsl);
  const from = `/monitoring/alerts/${target.id}`;
  const bad = await dsl.post(`/monitoring/alerts/${target.id}/dismiss`, { reason: '  ' }, { from });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /href="#reason"/);
  assert.equal((await t.db.query('select status from monitoring_alerts where id = $1', [target.id])).rows[0].status, 'new');
  const ok = await dsl.post(`/monitoring/alerts/${target.id}/dismiss`, { reason: 'A geography lesson on the town' }, { from });
  assert.equal(ok.statusCode, 303);
  const row = (await t.db.query('select status, dismissed_reason, acted_by from monitoring_alerts where id = $1', [target.id])).rows[0];
  assert.deepEqual(row, { status: 'dismissed', dismissed_reason: 'A geography lesson on the town', acted_by: school.personas.dsl.userId });
  const audit = (await t.db.query(`select action from audit_events where school_id = $1 and record_id = $2 order by seq`, [school.id, target.id])).rows.map((r) => r.action);
  // Each opening of the alert (twice to post, once more to show the missing reason) is a view.
  assert.deepEqual(audit, ['monitoring_alert.viewed', 'monitoring_alert.viewed', 'monitoring_alert.viewed', 'monitoring_alert.dismissed']);
  const queue = await dsl.get('/monitoring/alerts');
  assert.ok(!queue.body.includes(target.id));
  const ack = alerts.find((a) => a.severity === 'high')!;
  assert.equal((await dsl.post(`/monitoring/alerts/${ack.id}/acknowledge`, {}, { from: `/monitoring/alerts/${ack.id}` })).statusCode, 303);
  assert.equal((await t.db.query('select status from monitoring_alerts where id = $1', [ack.id])).rows[0].status, 'acknowledged');
});

test('escalating an alert records an incident with the person, time, address, search and reason filled in', async () => {
  const { school, alerts } = await schoolWithAlerts();
  const critical = alerts.find((a) => a.severity === 'critical')!;
  const dsl = await signedIn(t.app, school.personas.dsl);
  // The username is mapped to the pupil first, so the incident names them.
  const m = await dsl.post('/monitoring/identities', { kind: 'username', value: 'PUPIL.T.OKAFOR', person: school.pupilId, room: '' }, { from: '/monitoring/identities' });
  assert.equal(m.statusCode, 303);
  const res = await dsl.post(`/monitoring/alerts/${critical.id}/escalate`, {}, { from: `/monitoring/alerts/${critical.id}` });
  assert.equal(res.statusCode, 303);
  const alert = (await t.db.query('select status, incident_id, person_id from monitoring_alerts where id = $1', [critical.id])).rows[0];
  assert.equal(alert.status, 'escalated');
  assert.equal(alert.person_id, school.pupilId);
  const incident = (await t.db.query('select * from incidents where id = $1 and school_id = $2', [alert.incident_id, school.id])).rows[0];
  assert.equal(incident.came_to_light, 'filtering_alert');
  assert.equal(+new Date(incident.occurred_at), +new Date(critical.occurred_at));
  assert.match(incident.summary, /Search: how to kill myself/);
  assert.match(incident.summary, /Why Harbour raised it: /);
  assert.match(incident.website_url, /google\.com\/search/);
  const involved = (await t.db.query('select person_id, role from incident_people where incident_id = $1', [incident.id])).rows;
  assert.deepEqual(involved, [{ person_id: school.pupilId, role: 'affected' }]);
  // Escalating again does not make a second incident.
  await dsl.post(`/monitoring/alerts/${critical.id}/escalate`, {}, { from: `/monitoring/alerts/${critical.id}` });
  assert.equal((await t.db.query(`select count(*)::int as n from incidents where school_id = $1`, [school.id])).rows[0].n, 1);
});

test('the server checks an alert\'s current status: an escalated alert cannot be dismissed or acknowledged by a direct POST, a dismissed one cannot be acknowledged, with a clear message', async () => {
  const { school, alerts } = await schoolWithAlerts();
  const dsl = await signedIn(t.app, school.personas.dsl);
  const [critical, high, ...mediums] = ['critical', 'high', 'medium', 'medium'].map((s, i, all) => alerts.filter((a) => a.severity === s)[all.slice(0, i).filter((x) => x === s).length]);
  const status = async (id: string) => (await t.db.query('select status, dismissed_reason from monitoring_alerts where id = $1', [id])).rows[0];
  const actions = async (id: string) => (await t.db.query(`select action from audit_events where school_id = $1 and record_id = $2 and action <> 'monitoring_alert.viewed' order by seq`, [school.id, id])).rows.map((r) => r.action);
  assert.equal((await dsl.post(`/monitoring/alerts/${critical.id}/escalate`, {}, { from: `/monitoring/alerts/${critical.id}` })).statusCode, 303);
  // The page offers no dismissal now; a POST made by hand is refused on the server.
  const page = await dsl.get(`/monitoring/alerts/${critical.id}`);
  assert.doesNotMatch(page.body, /\/dismiss"/);
  const csrf = await dsl.csrf('/monitoring/alerts');
  const dismiss = await dsl.post(`/monitoring/alerts/${critical.id}/dismiss`, { reason: 'Not a concern after all' }, { csrf });
  assert.equal(dismiss.statusCode, 409);
  assert.match(dismiss.body, /There is a problem/);
  assert.match(dismiss.body, /<a href="#status">This alert was recorded as an incident, so it cannot be dismissed\. Follow it up in the incident\.<\/a>/);
  assert.match(dismiss.body, /id="status"/);
  assert.deepEqual(await status(critical.id), { status: 'escalated', dismissed_reason: null });
  const ack = await dsl.post(`/monitoring/alerts/${critical.id}/acknowledge`, {}, { csrf });
  assert.equal(ack.statusCode, 409);
  assert.match(ack.body, /recorded as an incident, so it cannot be acknowledged/);
  assert.equal((await status(critical.id)).status, 'escalated');
  assert.deepEqual(await actions(critical.id), ['monitoring_alert.escalated']);
  // Dismissed: not acknowledged afterwards (nor dismissed twice); acknowledged: may still be dismissed.
  assert.equal((await dsl.post(`/monitoring/alerts/${high.id}/dismiss`, { reason: 'A lesson on online safety' }, { csrf })).statusCode, 303);
  const late = await dsl.post(`/monitoring/alerts/${high.id}/acknowledge`, {}, { csrf });
  assert.equal(late.statusCode, 409);
  assert.match(late.body, /This alert was dismissed, so it cannot be acknowledged/);
  assert.match((await dsl.post(`/monitoring/alerts/${high.id}/dismiss`, { reason: 'Again' }, { csrf })).body, /This alert is already dismissed/);
  assert.deepEqual(await status(high.id), { status: 'dismissed', dismissed_reason: 'A lesson on online safety' });
  assert.equal((await dsl.post(`/monitoring/alerts/${mediums[0].id}/acknowledge`, {}, { csrf })).statusCode, 303);
  assert.equal((await dsl.post(`/monitoring/alerts/${mediums[0].id}/dismiss`, { reason: 'Checked: homework' }, { csrf })).statusCode, 303);
  assert.equal((await status(mediums[0].id)).status, 'dismissed');
});

test('a mapping names the person in the queue instead of the username, and another school\'s alert is not found', async () => {
  const { school, alerts } = await schoolWithAlerts();
  const other = await makeSchool(t.db);
  const dsl = await signedIn(t.app, school.personas.dsl);
  const pupil = (await t.db.query('select family_name from people where id = $1', [school.pupilId])).rows[0];
  const missing = await dsl.post('/monitoring/identities', { kind: 'address', value: '10.20.4.40', person: '', room: '' }, { from: '/monitoring/identities' });
  assert.equal(missing.statusCode, 400);
  assert.match(missing.body, /Choose a person, or enter a room/);
  await dsl.post('/monitoring/identities', { kind: 'username', value: 'pupil.m.begum', person: school.pupilId, room: '' }, { from: '/monitoring/identities' });
  await dsl.post('/monitoring/identities', { kind: 'address', value: '10.20.4.40', person: '', room: 'ICT suite' }, { from: '/monitoring/identities' });
  const queue = (await dsl.get('/monitoring/alerts')).body;
  assert.ok(queue.includes(pupil.family_name));
  assert.ok(!queue.includes('pupil.m.begum'));
  assert.match(queue, /ICT suite/);
  const otherDsl = await signedIn(t.app, other.personas.dsl);
  assert.equal((await otherDsl.get(`/monitoring/alerts/${alerts[0].id}`)).statusCode, 404);
  assert.equal((await otherDsl.post(`/monitoring/alerts/${alerts[0].id}/acknowledge`, {}, { from: '/monitoring/alerts' })).statusCode, 404);
});

test("a school's exclusion needs a reason that goes in the audit trail, and its additions and exclusions change what ingest finds", async () => {
  const school = await makeSchool(t.db);
  const dsl = await signedIn(t.app, school.personas.dsl);
  const noReason = await dsl.post('/monitoring/phrases', { action: 'exclude', risk: 'filter-bypass', phrase: 'unblocked games', severity: 'medium', reason: '' }, { from: '/monitoring/phrases' });
  assert.equal(noReason.statusCode, 400);
  assert.match(noReason.body, /href="#reason"/);
  assert.equal((await dsl.post('/monitoring/phrases', { action: 'exclude', risk: 'filter-bypass', phrase: 'unblocked games', severity: 'medium', reason: 'Our computing club uses an approved games site' }, { from: '/monitoring/phrases' })).statusCode, 303);
  assert.equal((await dsl.post('/monitoring/phrases', { action: 'add', risk: 'bullying', phrase: 'scunthorpe united', severity: 'high', reason: 'A local rivalry used for name-calling' }, { from: '/monitoring/phrases' })).statusCode, 303);
  const entry = (await t.db.query(`select detail from audit_events where school_id = $1 and action = 'monitoring_phrase.excluded'`, [school.id])).rows[0];
  assert.equal(entry.detail.reason, 'Our computing club uses an approved games site');
  const dir = mkdtempSync(join(tmpdir(), 'harbour-phrases-'));
  const log = join(dir, 'access.log');
  writeFileSync(log, [
    '1709633740.101    290 10.20.4.22 TCP_MISS/200 80122 GET https://www.bing.com/search?q=scunthorpe+united+fixtures&form=QBLH pupil.m.begum HIER_DIRECT/13.107.21.200 text/html',
    '1709633930.000    199 10.20.4.60 TCP_MISS/200 40400 GET https://www.ecosia.org/search?q=unblocked+games pupil.s.novak HIER_DIRECT/104.18.8.91 text/html',
  ].join('\n') + '\n');
  await ingestFile(t.db, log, { schoolId: school.id });
  const found = (await t.db.query('select risk, severity, query from monitoring_alerts where school_id = $1', [school.id])).rows;
  assert.deepEqual(found, [{ risk: 'bullying', severity: 'high', query: 'scunthorpe united fixtures' }]);
  const csv = await dsl.get('/monitoring/phrases/export.csv');
  assert.equal(csv.statusCode, 200);
  assert.match(csv.body, /filter-bypass,unblocked games,medium,phrase,no,exclude/);
});

test("the phrases page shows each library's version and downloads the school's whole effective library in Harbour's shape and Senso's", async () => {
  const { loadLexicon } = await import('./lexicon/index');
  const { importPhraseCsv, sensoColumns, harbourColumns } = await import('./lexicon/csv');
  const school = await makeSchool(t.db);
  const dsl = await signedIn(t.app, school.personas.dsl);
  const set = loadLexicon();
  const gambling = set.libraries.find((l) => l.risk === 'gambling')!;
  const dropped = gambling.phrases.find((p) => p.match !== 'all')!.phrase;
  assert.equal((await dsl.post('/monitoring/phrases', { action: 'exclude', risk: 'gambling', phrase: dropped, severity: 'medium', reason: 'A maths lesson on chance uses it' }, { from: '/monitoring/phrases' })).statusCode, 303);
  assert.equal((await dsl.post('/monitoring/phrases', { action: 'add', risk: 'bullying', phrase: '=zorbly blorp', severity: 'high', reason: 'A made-up insult going round the school' }, { from: '/monitoring/phrases' })).statusCode, 303);
  const page = await dsl.get('/monitoring/phrases');
  assert.equal(page.statusCode, 200);
  for (const l of set.libraries) assert.match(page.body, new RegExp(`<td class="govuk-table__cell">${l.risk}</td><td class="govuk-table__cell">${l.version.replace(/\./g, '\\.')}</td>`));
  assert.match(page.body, /href="\/monitoring\/phrases\/library\.csv"/);
  assert.match(page.body, /href="\/monitoring\/phrases\/library-senso\.csv"/);

  const total = set.libraries.reduce((n, l) => n + l.phrases.length, 0);
  const harbour = await dsl.get('/monitoring/phrases/library.csv');
  assert.equal(harbour.statusCode, 200);
  assert.match(String(harbour.headers['content-type']), /^text\/csv/);
  assert.match(String(harbour.headers['content-disposition']), /attachment; filename="monitoring-library\.csv"/);
  const rows = harbour.body.trim().split('\r\n');
  assert.equal(rows[0], harbourColumns.join(','));
  // Through the one CSV writer: the formula-like phrase is neutralised with an apostrophe.
  assert.ok(rows.includes("bullying,'=zorbly blorp,high,phrase,no,alert"), 'the addition, neutralised');
  const read = importPhraseCsv(harbour.body);
  assert.deepEqual(read.problems.filter((p) => !/a note/.test(p.message)), []);
  const alerts = read.phrases.filter((p) => p.action === 'alert');
  const dupes = gambling.phrases.filter((p) => p.phrase.toLowerCase() === dropped.toLowerCase()).length;
  assert.equal(alerts.length, total - dupes + 1);
  assert.ok(!alerts.some((p) => p.risk === 'gambling' && p.phrase === dropped), 'the excluded phrase is not listed to alert');
  assert.deepEqual(read.phrases.filter((p) => p.action === 'exclude').map((p) => [p.risk, p.phrase]), [['gambling', dropped]]);
  assert.ok(alerts.some((p) => p.phrase === '=zorbly blorp' && p.risk === 'bullying'), 'read back as typed');

  const senso = await dsl.get('/monitoring/phrases/library-senso.csv');
  assert.equal(senso.statusCode, 200);
  assert.match(String(senso.headers['content-disposition']), /filename="monitoring-library-senso\.csv"/);
  const srows = senso.body.trim().split('\r\n');
  assert.equal(srows[0], sensoColumns.join(','));
  assert.ok(srows.includes("'=zorbly blorp,bullying,Alert,High,No,Phrase,Phrase"), srows.slice(-3).join('\n'));
  const sread = importPhraseCsv(senso.body);
  assert.equal(sread.shape, 'senso');
  assert.equal(sread.phrases.length, read.phrases.length);
  // Only those who look after the phrases may download them.
  const teacher = await signedIn(t.app, school.personas.teacher);
  assert.equal((await teacher.get('/monitoring/phrases/library.csv')).statusCode, 403);
});

test('a filter pushes log lines with a per-school key; a re-sent batch never repeats an alert, and a key without the scope is refused', async () => {
  const { createApiKey } = await import('../../platform/api/keys');
  const { systemActor } = await import('../../platform/audit/audit');
  const { readFileSync } = await import('node:fs');
  const school = await makeSchool(t.db);
  const key = await createApiKey(t.db, school.id, 'Filter forwarder', ['monitoring:push'], systemActor, null);
  const other = await createApiKey(t.db, school.id, 'People sync', ['people:read'], systemActor, null);
  const lines = readFileSync(fixture, 'utf8').split('\n').filter(Boolean);
  const push = (k: string, body: unknown) => t.app.inject({ method: 'POST', url: '/api/v1/monitoring/events', headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  assert.equal((await push(other.key, { source: 'proxy1', lines })).statusCode, 403);
  const bad = await push(key.key, { source: 'proxy1' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().parameter, 'lines');
  const first = await push(key.key, { source: 'proxy1', first_line: 1, lines: lines.slice(0, 10) });
  assert.equal(first.statusCode, 200, first.body);
  const f = first.json() as { accepted: number; skipped: number; line: number; alerts: number };
  assert.deepEqual([f.accepted, f.skipped, f.line], [10, 0, 10]);
  assert.equal(f.alerts, 3, 'lines 1 to 10 hold 3 alerts (the three blocked adult sites are one)');
  // The sender did not hear back and sends lines 6 to 14: lines 6 to 10 are skipped.
  const again = await push(key.key, { source: 'proxy1', first_line: 6, lines: lines.slice(5) });
  assert.equal(again.json().skipped, 5);
  assert.equal(again.json().line, 14);
  const pushed = (await t.db.query('select line, severity, group_count from monitoring_alerts where school_id = $1 order by line', [school.id])).rows;
  const reference = await makeSchool(t.db);
  await ingestFile(t.db, fixture, { schoolId: reference.id });
  const fromFile = (await t.db.query('select line, severity, group_count from monitoring_alerts where school_id = $1 order by line', [reference.id])).rows;
  assert.deepEqual(pushed, fromFile);
  // JSON events too.
  const ev = await push(key.key, { source: 'cloud-filter', events: [{ time: '2026-03-05T10:00:00Z', user: 'pupil.x', url: 'https://www.google.com/search?q=how+to+kill+myself', blocked: false }] });
  assert.equal(ev.json().alerts, 1);
  assert.equal(ev.json().note, null);
  // Lines as Squid writes them by default (the ? kept, what follows dropped), one of them broken:
  // the response names the rejected line and carries the same note as scan.
  const stripped = lines.map((l) => l.replace(/\?\S*/, '?'));
  stripped.splice(1, 0, 'garbage');
  const s = await push(key.key, { source: 'proxy2', first_line: 1, lines: stripped });
  assert.equal(s.statusCode, 200, s.body);
  const sj = s.json();
  assert.deepEqual(sj.rejected.map((r: { line: number }) => r.line), [2]);
  assert.equal(sj.rejected_count, 1);
  assert.match(sj.note, /strip_query_terms off/);
});

test('a log uploaded in the browser is read into alerts named by the file, and uploading it again repeats none', async () => {
  const { readFileSync } = await import('node:fs');
  const school = await makeSchool(t.db);
  const it = await signedIn(t.app, school.personas.itProvider);
  const upload = async (content: Buffer) => {
    const csrf = await it.csrf('/monitoring/upload');
    const boundary = '----harbourtest';
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n--${boundary}\r\nContent-Disposition: form-data; name="log"; filename="access.log"\r\nContent-Type: text/plain\r\n\r\n`),
      content, Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    return t.app.inject({ method: 'POST', url: '/monitoring/upload', payload, headers: { cookie: [...it.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': `multipart/form-data; boundary=${boundary}` } });
  };
  const first = await upload(readFileSync(fixture));
  assert.equal(first.statusCode, 200, first.body);
  assert.match(first.body, /5 new alerts/);
  const rows = (await t.db.query('select distinct source from monitoring_alerts where school_id = $1', [school.id])).rows;
  assert.deepEqual(rows, [{ source: 'access.log' }]);
  assert.doesNotMatch(first.body, /No search terms could be read/);
  const second = await upload(readFileSync(fixture));
  assert.match(second.body, /0 new alerts/);
  // A log with Squid's default strip_query_terms and a broken line: the page says both.
  const stripped = readFileSync(fixture, 'utf8').split('\n').filter(Boolean).map((l) => l.replace(/\?\S*/, '?'));
  stripped.splice(3, 0, 'not a log line');
  const third = await upload(Buffer.from(`${stripped.join('\n')}\n`));
  assert.equal(third.statusCode, 200, third.body);
  assert.match(third.body, /No search terms could be read/);
  assert.match(third.body, /strip_query_terms off/);
  assert.match(third.body, /Line 4: /);
  const empty = await upload(Buffer.alloc(0));
  assert.equal(empty.statusCode, 400);
  assert.match(empty.body, /href="#log"/);
  // The IT provider uploads but cannot read the alerts.
  assert.equal((await it.get('/monitoring/alerts')).statusCode, 403);
});

test("a school's list is imported from Senso's column shape with one reason; without a reason nothing is imported", async () => {
  const school = await makeSchool(t.db);
  const dsl = await signedIn(t.app, school.personas.dsl);
  const csv = 'Phrase,Context,Action,Severity,Screenshot,Match,Type\nfight after school,Bullying,Alert,3,No,Phrase,Phrase\nbomb,Violence,Ignore,2,No,Whole word,Keyword\n';
  const refused = await dsl.post('/monitoring/phrases/import', { csv, import_reason: '' }, { from: '/monitoring/phrases' });
  assert.equal(refused.statusCode, 400);
  assert.match(refused.body, /href="#import_reason"/);
  assert.equal((await t.db.query('select count(*)::int as n from monitoring_phrases where school_id = $1', [school.id])).rows[0].n, 0);
  const ok = await dsl.post('/monitoring/phrases/import', { csv, import_reason: 'Our previous monitoring list' }, { from: '/monitoring/phrases' });
  assert.equal(ok.statusCode, 303);
  const rows = (await t.db.query('select action, risk, phrase, severity, reason from monitoring_phrases where school_id = $1 order by phrase', [school.id])).rows;
  assert.deepEqual(rows.map((r) => [r.action, r.risk, r.phrase, r.severity, r.reason]), [
    ['exclude', 'violence-weapons', 'bomb', 'medium', 'Our previous monitoring list'],
    ['add', 'bullying', 'fight after school', 'high', 'Our previous monitoring list'],
  ]);
});

test("a school's all-words rule is imported, exported as it was written, and used by ingest; a bad rule row is named and nothing is saved", async () => {
  const school = await makeSchool(t.db);
  const dsl = await signedIn(t.app, school.personas.dsl);
  const bad = await dsl.post('/monitoring/phrases/import', { csv: 'Phrase,Context,Action,Severity,Screenshot,Match,Type\nconker | conkers + pocket + hide,Bullying,Alert,3,No,All words,Keyword\nconker | conkers,Bullying,Alert,3,No,All words,Keyword\n', import_reason: 'Playground game used to hide threats' }, { from: '/monitoring/phrases' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /Row 3, Match: &quot;conker \| conkers&quot;: an all-words rule needs at least two groups/);
  assert.equal((await t.db.query('select count(*)::int as n from monitoring_phrases where school_id = $1', [school.id])).rows[0].n, 0);
  const csv = 'Phrase,Context,Action,Severity,Screenshot,Match,Type\nconker | conkers + pocket + hide,Bullying,Alert,3,No,All words,Keyword\n';
  assert.equal((await dsl.post('/monitoring/phrases/import', { csv, import_reason: 'Playground game used to hide threats' }, { from: '/monitoring/phrases' })).statusCode, 303);
  const dir = mkdtempSync(join(tmpdir(), 'harbour-rules-'));
  const log = join(dir, 'access.log');
  writeFileSync(log, '1709633740.101    290 10.20.4.22 TCP_MISS/200 80122 GET https://www.bing.com/search?q=hide+conkers+in+my+pocket&form=QBLH pupil.m.begum HIER_DIRECT/13.107.21.200 text/html\n');
  await ingestFile(t.db, log, { schoolId: school.id });
  const found = (await t.db.query('select risk, severity from monitoring_alerts where school_id = $1', [school.id])).rows;
  assert.deepEqual(found, [{ risk: 'bullying', severity: 'high' }]);
  const exported = await dsl.get('/monitoring/phrases/export.csv');
  assert.match(exported.body, /bullying,conker \| conkers \+ pocket \+ hide,high,all,no,alert/);
});
