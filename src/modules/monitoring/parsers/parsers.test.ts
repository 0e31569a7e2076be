import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSquidLine } from './squid';
import { parseE2guardianCsvLine, parseE2guardianLine } from './e2guardian';
import { csvExportParser } from './csv';
import { detectFormat } from './detect-format';
import { londonTime } from './london-time';
import { isMalformed } from './types';
import { scanLogs, LogFileError } from '../scan';
import type { Alert, LogRequest } from '../types';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const fixtureLines = (name: string) => readFileSync(join(fixtures, name), 'utf8').split('\n').filter(Boolean);
const asRequest = (r: unknown) => {
  assert.ok(r && !isMalformed(r as any), `expected a request, got ${JSON.stringify(r)}`);
  return r as LogRequest;
};

test('a Squid line with a padded elapsed-time field gives its time, client, user, URL and status', () => {
  const r = asRequest(parseSquidLine(fixtureLines('squid-access.log')[3]));
  assert.equal(new Date(r.time).toISOString(), '2024-03-05T10:15:12.877Z');
  assert.equal(r.client, '10.20.4.17');
  assert.equal(r.user, 'pupil.t.okafor');
  assert.equal(r.url, 'https://www.google.com/search?q=how+to+kill+myself&source=hp');
  assert.equal(r.status, 200);
  assert.equal(r.mime, 'text/html');
  assert.equal(r.blocked, false);
});

test('a Squid CONNECT line carries host:443 and a TCP_DENIED line is a block', () => {
  const r = asRequest(parseSquidLine(fixtureLines('squid-access.log')[7]));
  assert.equal(r.method, 'CONNECT');
  assert.equal(r.url, 'www.pornhub.com:443');
  assert.equal(r.blocked, true);
  assert.equal(r.status, 403);
});

test('a Squid proxy-authentication challenge (TCP_DENIED/407) is not a block: the request that follows with credentials is the one read', () => {
  assert.equal(parseSquidLine('1709633712.877      0 10.20.4.31 TCP_DENIED/407 4163 CONNECT omegle.fm:443 - HIER_NONE/- text/html'), null);
  const r = asRequest(parseSquidLine('1709633712.901      2 10.20.4.31 TCP_DENIED/403 3912 CONNECT omegle.fm:443 pupil.w.ash HIER_NONE/- text/html'));
  assert.equal(r.blocked, true);
  assert.equal(r.user, 'pupil.w.ash');
});

test('a Squid line with "-" for the user has no user', () => {
  assert.equal(asRequest(parseSquidLine(fixtureLines('squid-access.log')[10])).user, null);
});

test('an e2guardian format 6 line (20 tab-separated fields) gives the user, address, block reason and category', () => {
  const r = asRequest(parseE2guardianLine(fixtureLines('e2guardian-access.log')[2]));
  assert.equal(r.user, 'y9.pcarter');
  assert.equal(r.client, '10.30.1.22');
  assert.equal(r.url, 'http://bad.example.invalid/x');
  assert.equal(r.blocked, true);
  assert.equal(r.reason, 'Banned site: bad.example.invalid');
  assert.equal(r.category, 'IWF Child Abuse List');
});

test('an e2guardian line with the address and host name in one field (19 fields) still reads', () => {
  const f = fixtureLines('e2guardian-access.log')[1].split('\t');
  f.splice(4, 1);
  const r = asRequest(parseE2guardianLine(f.join('\t')));
  assert.equal(f.length, 19);
  assert.equal(r.client, '10.30.1.14');
  assert.equal(r.category, 'Proxies');
  assert.equal(r.blocked, true);
});

test('an e2guardian CSV (format 2) line reads its local date and time, and *DENIED* marks a block', () => {
  const [allowed, denied] = fixtureLines('e2guardian-format2.csv').map((l) => asRequest(parseE2guardianCsvLine(l)));
  assert.equal(allowed.time, Date.UTC(2024, 2, 5, 10, 15, 2)); // March: UK time is UTC
  assert.equal(allowed.blocked, false);
  assert.equal(denied.blocked, true);
  assert.equal(denied.category, 'Pornography');
  assert.equal(denied.user, 'y7.adeyemi');
});

test('an e2guardian CSV line as e2guardian writes it, with no zero padding ("2024.3.5 9:5:7"), reads', () => {
  const lines = fixtureLines('e2guardian-format2.csv');
  const unpadded = lines.find((l) => l.startsWith('"2024.3.5 9:5:7"'));
  assert.ok(unpadded, 'the fixture has an unpadded line');
  const r = asRequest(parseE2guardianCsvLine(unpadded));
  assert.equal(r.time, Date.UTC(2024, 2, 5, 9, 5, 7));
  assert.equal(r.user, 'y8.pupil07');
  assert.equal(r.url, 'https://www.bing.com/search?q=how+to+make+a+bomb');
  // Padded and unpadded mixed, one or two digits in every place.
  assert.equal(asRequest(parseE2guardianCsvLine(unpadded.replace('2024.3.5 9:5:7', '2024.12.25 23:59:9'))).time, Date.UTC(2024, 11, 25, 23, 59, 9));
  // Still refused: three digits, or a missing second.
  assert.ok(isMalformed(parseE2guardianCsvLine(unpadded.replace('2024.3.5 9:5:7', '2024.3.5 9:5:700'))));
  assert.ok(isMalformed(parseE2guardianCsvLine(unpadded.replace('2024.3.5 9:5:7', '2024.3.5 9:5'))));
  // A log written only this way is recognised as e2guardian CSV.
  const all = lines.map((l) => l.replace(/^"2024\.03\.05 10:(\d\d):0?(\d+)"/, (_m, min, sec) => `"2024.3.5 9:${Number(min)}:${Number(sec)}"`));
  assert.ok(all.every((l) => /^"2024\.3\.5 9:\d{1,2}:\d{1,2}"/.test(l)), all.join('\n'));
  assert.equal(detectFormat(all), 'e2guardian-csv');
});

test("a Smoothwall export is read by its header: HTTP code 403 is a block, Categories is the category", () => {
  const lines = fixtureLines('smoothwall-export.csv');
  const p = csvExportParser(lines[0]);
  assert.equal(p.parse(lines[0], 1), null);
  const r = asRequest(p.parse(lines[2], 3));
  assert.equal(r.user, 'pupil.a.ward');
  assert.equal(r.client, '10.40.0.12');
  assert.equal(r.blocked, true);
  assert.equal(r.category, 'Gambling');
  assert.equal(r.time, Date.UTC(2024, 2, 5, 9, 2, 40));
});

/** Runs fn with the process in another time zone, as a server abroad (or set to UTC) would be. */
function inTimeZone<T>(tz: string, fn: () => T): T {
  const was = process.env.TZ;
  process.env.TZ = tz;
  try {
    return fn();
  } finally {
    if (was === undefined) delete process.env.TZ;
    else process.env.TZ = was;
  }
}

test('local times in exports are UK time (summer and winter) whatever the server\'s time zone, unless the line gives its offset', () => {
  const lines = fixtureLines('smoothwall-export.csv');
  const p = csvExportParser(lines[0]);
  const e2 = fixtureLines('e2guardian-format2.csv')[0];
  for (const tz of ['America/New_York', 'Asia/Tokyo', 'UTC']) {
    inTimeZone(tz, () => {
      assert.equal(new Date(2024, 6, 1).getTimezoneOffset() === 0, tz === 'UTC', `the process is in ${tz}`);
      const at = (time: string) => asRequest(p.parse(lines[2].replace('05/03/2024 09:02:40', time), 3)).time;
      // Summer (BST, UTC+1) and winter (GMT).
      assert.equal(at('05/07/2024 09:02:40'), Date.UTC(2024, 6, 5, 8, 2, 40), tz);
      assert.equal(at('05/01/2024 09:02:40'), Date.UTC(2024, 0, 5, 9, 2, 40), tz);
      // Either side of the changes: 31 March 2024 and 27 October 2024, the last Sundays.
      assert.equal(at('31/03/2024 00:30:00'), Date.UTC(2024, 2, 31, 0, 30));
      assert.equal(at('31/03/2024 02:30:00'), Date.UTC(2024, 2, 31, 1, 30));
      assert.equal(at('27/10/2024 00:30:00'), Date.UTC(2024, 9, 26, 23, 30));
      assert.equal(at('27/10/2024 02:30:00'), Date.UTC(2024, 9, 27, 2, 30));
      // An ISO time without an offset is UK time too; with one, or a DD/MM/YYYY time with one, as written.
      assert.equal(at('2024-07-05T09:02:40'), Date.UTC(2024, 6, 5, 8, 2, 40));
      assert.equal(at('2024-07-05 09:02:40'), Date.UTC(2024, 6, 5, 8, 2, 40));
      assert.equal(at('2024-07-05T09:02:40Z'), Date.UTC(2024, 6, 5, 9, 2, 40));
      assert.equal(at('2024-07-05T09:02:40+02:00'), Date.UTC(2024, 6, 5, 7, 2, 40));
      assert.equal(at('05/07/2024 09:02:40 +00:00'), Date.UTC(2024, 6, 5, 9, 2, 40));
      assert.equal(at('05/07/2024 09:02:40 UTC'), Date.UTC(2024, 6, 5, 9, 2, 40));
      // e2guardian's CSV dates, summer and winter.
      const e2at = (time: string) => asRequest(parseE2guardianCsvLine(e2.replace('2024.03.05 10:15:02', time))).time;
      assert.equal(e2at('2024.7.5 9:5:7'), Date.UTC(2024, 6, 5, 8, 5, 7), tz);
      assert.equal(e2at('2024.1.5 9:5:7'), Date.UTC(2024, 0, 5, 9, 5, 7), tz);
      assert.equal(e2at('2024.7.5 9:5:7 +00:00'), Date.UTC(2024, 6, 5, 9, 5, 7), tz);
    });
  }
});

test('London wall-clock times agree with the time zone database for every hour of three years', () => {
  const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });
  let checked = 0;
  for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2027, 0, 1); t += 3_600_000) {
    const parts = Object.fromEntries(fmt.formatToParts(new Date(t)).map((x) => [x.type, Number(x.value)]));
    // The hour that happens twice in October is read as its first (summer-time) occurrence.
    const expected = londonTime(parts.year, parts.month, parts.day, parts.hour, parts.minute);
    const second = expected + 3_600_000 === t;
    assert.ok(expected === t || second, `${new Date(t).toISOString()} read back as ${new Date(expected).toISOString()}`);
    checked++;
  }
  assert.equal(checked, 3 * 365 * 24 + 24);
});

test('an export with an Action column reads allowed and blocked from it', () => {
  const p = csvExportParser('Date/Time,User,Client IP,Action,URL,Category');
  assert.equal(asRequest(p.parse('2024-03-05T09:00:00Z,a.b,10.0.0.1,Blocked,https://x.example/,Gambling', 2)).blocked, true);
  assert.equal(asRequest(p.parse('2024-03-05T09:00:00Z,a.b,10.0.0.1,Allowed,https://x.example/,News', 3)).blocked, false);
});

test('a CSV header with no URL or host column is refused with the columns it has', () => {
  assert.throws(() => csvExportParser('Time,Username,Bytes'), /no column Harbour can read as the URL/);
});

test('the format is worked out from the first lines of each fixture', () => {
  assert.equal(detectFormat(fixtureLines('squid-access.log')), 'squid');
  assert.equal(detectFormat(fixtureLines('e2guardian-access.log')), 'e2guardian');
  assert.equal(detectFormat(fixtureLines('e2guardian-format2.csv')), 'e2guardian-csv');
  assert.equal(detectFormat(fixtureLines('smoothwall-export.csv')), 'csv');
  assert.equal(detectFormat(['hello world', 'not a log']), null);
});

/** Runs fn with a fresh temporary directory, removed afterwards. */
async function inTempDir(prefix: string, fn: (dir: string) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function scan(files: string[], format?: any) {
  const alerts: Alert[] = [];
  const notes: string[] = [];
  const summary = await scanLogs(files, { format, onAlert: (a) => alerts.push(a), onNote: (n) => notes.push(n) });
  return { alerts, notes, summary };
}

test('a gzip-compressed log is read as it is, with the same alerts as the plain one', async () => {
  await inTempDir('harbour-gz-', async (dir) => {
  const gz = join(dir, 'access.log.1.gz');
  writeFileSync(gz, gzipSync(readFileSync(join(fixtures, 'squid-access.log'))));
  const plain = await scan([join(fixtures, 'squid-access.log')]);
  const zipped = await scan([gz]);
  assert.equal(zipped.summary.files[0].gzip, true);
  assert.equal(zipped.summary.lines, 14);
  assert.deepEqual(zipped.alerts.map((a) => [a.line, a.risk, a.severity]), plain.alerts.map((a) => [a.line, a.risk, a.severity]));
  });
});

test('a gzip file cut short keeps the lines before the damage and says the rest was not read', async () => {
  await inTempDir('harbour-gzcut-', async (dir) => {
  const text = Array.from({ length: 4000 }, () => readFileSync(join(fixtures, 'squid-access.log'), 'utf8')).join('');
  const gz = gzipSync(text);
  const file = join(dir, 'access.log.2.gz');
  writeFileSync(file, gz.subarray(0, Math.floor(gz.length / 2)));
  const { summary } = await scan([file]);
  assert.ok(summary.lines > 0 && summary.lines < 4000 * 14, `${summary.lines} lines`);
  assert.match(summary.files[0].error ?? '', /damaged or cut short/);
  });
});

test('malformed, binary, truncated and enormous lines are counted and named by line number, and the rest still read', async () => {
  await inTempDir('harbour-bad-', async (dir) => {
  const good = fixtureLines('squid-access.log');
  const lines = [
    good[0],
    'this is not a squid line at all',
    `1709633712.877    315 10.20.4.17 TCP_MISS/200 910\u0000\u0001\u0002\u00ff binary junk`,
    good[3],
    `1709633712.877    315 10.20.4.17 TCP_MISS/200 91022 GET https://www.google.com/search?q=${'a'.repeat(70 * 1024)} x HIER_DIRECT/1.2.3.4 text/html`,
    good[6],
    '1709633712.877    315 10.20.4.17 TCP_MISS/200 91022 GET https://www.google.com/sea', // truncated, last, no newline
  ];
  const file = join(dir, 'access.log');
  writeFileSync(file, lines.join('\n'));
  const { summary, alerts } = await scan([file], 'squid');
  assert.equal(summary.lines, 7);
  assert.equal(summary.rejected, 4);
  assert.deepEqual(summary.firstRejected.map((r) => r.line), [2, 3, 5, 7]);
  assert.match(summary.firstRejected.find((r) => r.line === 3)!.reason, /binary/);
  assert.match(summary.firstRejected.find((r) => r.line === 5)!.reason, /longer than the 64 KiB/);
  assert.match(summary.firstRejected.find((r) => r.line === 7)!.reason, /truncated/);
  assert.deepEqual(alerts.map((a) => a.line).sort((a, b) => a - b), [4, 6]);
  });
});

test('an enormous line split across read chunks is dropped without buffering it, and the next line reads', async () => {
  await inTempDir('harbour-huge-', async (dir) => {
  const good = fixtureLines('squid-access.log');
  const file = join(dir, 'access.log');
  writeFileSync(file, `${good[0]}\n${'x'.repeat(3 * 1024 * 1024)}\n${good[3]}\n`);
  const { summary, alerts } = await scan([file]);
  assert.equal(summary.lines, 3);
  assert.deepEqual(summary.firstRejected.map((r) => r.line), [2]);
  assert.deepEqual(alerts.map((a) => a.line), [3]);
  });
});

test('a log with no query strings at all gets a note saying what to switch on', async () => {
  await inTempDir('harbour-noq-', async (dir) => {
  const file = join(dir, 'access.log');
  writeFileSync(file, fixtureLines('squid-access.log').filter((l) => !l.includes('?')).join('\n') + '\n');
  const { notes } = await scan([file]);
  assert.equal(notes.length, 1);
  assert.match(notes[0], /strip_query_terms off/);
  const withQueries = await scan([join(fixtures, 'squid-access.log')]);
  assert.equal(withQueries.notes.length, 0);
  });
});

test("a log written with Squid's default strip_query_terms (each URL keeps its ? and loses what follows) gets the note too", async () => {
  await inTempDir('harbour-stripped-', async (dir) => {
    const file = join(dir, 'access.log');
    const stripped = fixtureLines('squid-access.log').map((l) => l.replace(/\?\S*/, '?'));
    assert.ok(stripped.filter((l) => /\?\s/.test(l)).length >= 5, 'several lines end their URL with a bare ?');
    writeFileSync(file, stripped.join('\n') + '\n');
    const { notes, summary } = await scan([file]);
    assert.equal(notes.length, 1);
    assert.match(notes[0], /strip_query_terms off/);
    assert.equal(summary.files[0].sawQueryString, false);
    // One URL with a real query string is enough to say nothing.
    writeFileSync(file, [...stripped, fixtureLines('squid-access.log')[3]].join('\n') + '\n');
    assert.equal((await scan([file])).notes.length, 0);
  });
});

test('a file that is not a log is refused with its name', async () => {
  await inTempDir('harbour-notlog-', async (dir) => {
  const file = join(dir, 'notes.txt');
  writeFileSync(file, 'shopping list\neggs\n');
  await assert.rejects(scan([file]), (e: Error) => e instanceof LogFileError && e.message.includes('notes.txt') && /--format/.test(e.message));
  });
});

test('a visit let through to a listed bypass site is an alert without a query string or "proxy" in its name; a Wikipedia path search is read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'harbour-bypass-'));
  const squid = join(dir, 'access.log');
  writeFileSync(squid, [
    '1709633712.877    315 10.20.4.17 TCP_TUNNEL/200 91022 CONNECT www.HideMyAss.com:443 pupil.a HIER_DIRECT/203.0.113.9 -',
    '1709633713.877    315 10.20.4.18 TCP_TUNNEL/200 91022 CONNECT www.torproject.org:443 pupil.b HIER_DIRECT/203.0.113.9 -',
    '1709633714.877    315 10.20.4.19 TCP_TUNNEL/200 91022 CONNECT www.hidemyass.com.example.net:443 pupil.c HIER_DIRECT/203.0.113.9 -',
    '1709633715.877    315 10.20.4.20 TCP_MISS/200 5120 GET https://en.wikipedia.org/wiki/Special:Search/how_to_kill_myself pupil.d HIER_DIRECT/203.0.113.9 text/html',
    '1709633716.877    315 10.20.4.21 TCP_TUNNEL/200 91022 CONNECT www.bbc.co.uk:443 pupil.e HIER_DIRECT/203.0.113.9 -',
  ].join('\n') + '\n');
  const alerts: Alert[] = [];
  await scanLogs([squid], { onAlert: (a) => alerts.push(a) });
  assert.deepEqual(alerts.map((a) => [a.user, a.risk]).sort(), [['pupil.a', 'filter-bypass'], ['pupil.b', 'filter-bypass'], ['pupil.d', 'suicide-self-harm']]);
  assert.equal(alerts.find((a) => a.user === 'pupil.a')!.severity, 'high');

  // e2guardian's tab-separated log, both with the client's address and host name and with one field for both.
  const e2 = join(dir, 'e2.log');
  const row = (fields: string[]) => fields.join('\t');
  writeFileSync(e2, [
    row(['1709640011.501', '', 'y8.a', '10.30.1.14', '10.30.1.14', 'https://hide.me:443', 'CONNECT', '200', '0', '', '', '', '85', '', '', '', '0', '', 'pupils', '2']),
    row(['1709640012.501', '', 'y8.b', 'pc-14.school.local', 'https://windscribe.com/download', 'GET', '200', '0', 'text/html', '', '', '85', '', '', '', '0', '', 'pupils', '2']),
    row(['1709640013.501', '', 'y8.c', '10.30.1.16', '10.30.1.16', 'https://www.bbc.co.uk/news', 'GET', '200', '0', 'text/html', '', '', '85', '', '', '', '0', '', 'pupils', '2']),
  ].join('\n') + '\n');
  const e2Alerts: Alert[] = [];
  await scanLogs([e2], { format: 'e2guardian', onAlert: (a) => e2Alerts.push(a) });
  assert.deepEqual(e2Alerts.map((a) => [a.user, a.risk]).sort(), [['y8.a', 'filter-bypass'], ['y8.b', 'filter-bypass']]);
  rmSync(dir, { recursive: true, force: true });
});
