// `harbour monitor scan` as a person runs it: a child process, no database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runHarbourWithoutDatabase } from '../../testing/harbour-process';
import { join } from 'node:path';

const fixture = (n: string) => join('src/modules/monitoring/fixtures', n);

const harbour = runHarbourWithoutDatabase;

test('scan --json writes one object per alert with exactly the agreed fields, and a summary to standard error', async () => {
  const r = await harbour(['monitor', 'scan', '--json', fixture('squid-access.log')]);
  assert.equal(r.code, 0, r.stderr);
  const alerts = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(alerts.length >= 5);
  for (const a of alerts) {
    assert.deepEqual(Object.keys(a), ['source', 'line', 'time', 'user', 'client', 'url', 'query', 'risk', 'severity', 'blocked', 'reason']);
    assert.equal(typeof a.line, 'number');
    assert.equal(new Date(a.time).toISOString(), a.time);
    assert.equal(typeof a.blocked, 'boolean');
    assert.ok(a.reason.length > 0);
  }
  const critical = alerts.find((a) => a.severity === 'critical');
  assert.deepEqual(
    { source: critical.source, line: critical.line, user: critical.user, client: critical.client, query: critical.query, risk: critical.risk, blocked: critical.blocked },
    { source: fixture('squid-access.log'), line: 4, user: 'pupil.t.okafor', client: '10.20.4.17', query: 'how to kill myself', risk: 'suicide-self-harm', blocked: false },
  );
  assert.equal(alerts.find((a) => a.line === 12).user, null);
  assert.match(r.stderr, /Read 14 lines from 1 file .* lines per second/);
  assert.match(r.stderr, /Rejected 0 lines/);
  assert.match(r.stderr, /Alerts: 1 critical, 1 high, 2 medium, 1 low \(3 repeats grouped, 0 image and script requests not counted, 1 raised for repeated blocks\)/);
});

test('without --json the alerts are a readable table, most severe first', async () => {
  const r = await harbour(['monitor', 'scan', '--format', 'e2guardian', fixture('e2guardian-access.log')]);
  assert.equal(r.code, 0, r.stderr);
  const first = r.stdout.split('\n')[0];
  assert.match(first, /^CRITICAL/);
  assert.match(r.stdout, /why: /);
});

test('an unreadable file exits with 2 and is named', async () => {
  const r = await harbour(['monitor', 'scan', '--json', fixture('squid-access.log'), 'no/such/access.log']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no\/such\/access\.log: cannot be read \(ENOENT\)/);
  assert.equal(r.stdout, '');
});
