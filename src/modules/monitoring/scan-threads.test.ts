// A scan with worker threads gives exactly what a scan in one thread gives: the same alerts in the
// same order, the same rejected lines and counts, the same notes, whatever the parts' boundaries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runHarbourWithoutDatabase } from '../../testing/harbour-process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { scanLogs, type ScanOptions, type ScanSummary } from './scan';
import { partStarts } from './scan-threads';
import type { Alert } from './types';

const root = resolve(import.meta.dirname, '../../..');

async function inTempDir(fn: (dir: string) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'harbour-threads-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fixed pseudo-random sequence (mulberry32), so every run makes the same log. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A Squid log of `lines` lines over a few hours: ordinary traffic, searches (a few pupils repeat
 * concerning ones, so groups run across many parts), blocks (runs of them raise the severity, and
 * over ten thousand people are blocked so the detector prunes its recent blocks), visits to a
 * bypass site, assets, times that step back now and then, malformed and binary lines, lines over
 * 64 KiB, CRLF line ends, and a last line without a newline.
 */
function makeSquidLog(lines: number, seed = 7, blocked = 0): string {
  const rnd = random(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const concerning = ['how+to+kill+myself', 'h0w+t0+k1ll+mys3lf', 'pro+ana+tips', 'where+to+buy+weed', 'how+to+make+a+bomb', 'unblocked+games+66', 's+u+i+c+i+d+e'];
  const innocent = ['fractions+year+5', 'volcano+facts', 'essex+weather', 'suicide+squad+film+rating', 'the+blitz+ww2+homework'];
  const out: string[] = [];
  let ts = Date.UTC(2024, 2, 5, 8, 30);
  for (let i = 0; i < lines; i++) {
    ts += Math.floor(rnd() * 700);
    // Now and then a line logged out of order, up to 15 minutes back.
    const t = ((rnd() < 0.01 ? ts - Math.floor(rnd() * 900_000) : ts) / 1000).toFixed(3);
    const few = `pupil${Math.floor(rnd() * 12)}`;
    const many = `p${Math.floor(rnd() * 15_000)}`;
    const r = rnd();
    let line: string;
    if (rnd() < blocked) line = `${t}      0 10.1.0.4 TCP_DENIED/403 3941 CONNECT ${pick(['www.pornhub.com', 'www.bet365.com', 'www.croxyproxy.com'])}:443 ${many} HIER_NONE/- text/html`;
    else if (r < 0.35) line = `${t}    ${Math.floor(rnd() * 900)} 10.1.0.${Math.floor(rnd() * 200)} TCP_TUNNEL/200 5120 CONNECT www.google.com:443 ${many} HIER_DIRECT/142.250.1.1 -`;
    else if (r < 0.55) line = `${t}     12 10.1.0.9 TCP_MISS/200 1882 GET https://www.bbc.co.uk/img/logo.png ${many} HIER_DIRECT/151.101.64.81 image/png`;
    else if (r < 0.65) line = `${t}     40 10.1.0.9 TCP_MISS/200 311 GET https://stats.example.com/collect?v=1&tid=${i} ${many} HIER_DIRECT/1.2.3.4 image/gif`;
    else if (r < 0.72) line = `${t}    315 10.1.0.3 TCP_MISS/200 91022 GET https://www.google.com/search?q=${rnd() < 0.5 ? pick(concerning) : pick(innocent)} ${few} HIER_DIRECT/142.250.187.228 text/html`;
    else if (r < 0.76) line = `${t}      0 10.1.0.4 TCP_DENIED/403 3941 CONNECT ${pick(['www.pornhub.com', 'www.bet365.com', 'www.croxyproxy.com', 'www.tiktok.com'])}:443 ${rnd() < 0.5 ? few : many} HIER_NONE/- text/html`;
    else if (r < 0.78) line = `${t}      0 10.1.0.4 TCP_DENIED/403 3941 GET http://www.pornhub.com/favicon.ico ${few} HIER_NONE/- image/x-icon`;
    else if (r < 0.79) line = `${t}   1203 10.1.0.5 TCP_TUNNEL/200 6120 CONNECT www.hidemyass.com:443 ${few} HIER_DIRECT/1.1.1.1 -`;
    else if (r < 0.7905) line = `${t} 12 10.1.0.6 TCP_MISS/200`; // cut short
    else if (r < 0.791) line = `${t}     12 10.1.0.6 TCP_MISS/200 1 GET https://www.google.com/search?q=a\u0001b ${few} HIER_DIRECT/1.1.1.1 text/html`;
    else if (r < 0.7912) line = `${t}     12 10.1.0.6 TCP_MISS/200 1 GET https://example.com/${'x'.repeat(70_000 + Math.floor(rnd() * 70_000))} ${few} HIER_DIRECT/1.1.1.1 text/html`;
    else line = `${t}    187 10.1.0.7 TCP_MISS/200 48211 GET https://www.bbc.co.uk/bitesize/topics/z${i % 97} ${many} HIER_DIRECT/151.101.64.81 text/html`;
    out.push(rnd() < 0.02 ? `${line}\r` : line);
  }
  return out.join('\n'); // the last line has no newline
}

interface Run { alerts: Alert[]; notes: string[]; summary: Omit<ScanSummary, 'seconds'> }

async function run(files: string[], opts: Partial<ScanOptions>): Promise<Run> {
  const alerts: Alert[] = [];
  const notes: string[] = [];
  const { seconds: _, ...summary } = await scanLogs(files, { threadMinBytes: 0, workersOnly: true, ...opts, onAlert: (a) => alerts.push(a), onNote: (n) => notes.push(n) });
  return { alerts, notes, summary };
}

test('a large log read on 2 or 3 threads, cut anywhere, gives the same alerts in the same order, rejected lines and summary as one thread', async () => {
  await inTempDir(async (dir) => {
    const log = join(dir, 'access.log');
    writeFileSync(log, makeSquidLog(60_000));
    const one = await run([log], { threads: 1 });
    // The log has what the comparison needs: groups, raises, rejects, pruned blocks, many alerts.
    assert.ok(one.alerts.length > 500, `${one.alerts.length} alerts`);
    assert.ok(one.summary.grouped > 100 && one.summary.escalated > 50 && one.summary.assetsSuppressed > 100, JSON.stringify(one.summary));
    assert.ok(one.summary.rejected > 20 && one.summary.firstRejected.some((r) => /longer than/.test(r.reason)), JSON.stringify(one.summary.firstRejected));
    assert.ok(one.alerts.some((a) => /requests grouped/.test(a.reason)));
    // On the workers alone, and with the main thread reading parts too (as the command does).
    for (const [threads, partBytes, workersOnly] of [[2, undefined, true], [2, 64 * 1024, true], [3, 100_003, true], [2, 4096, true], [3, 1 << 20, true], [2, 64 * 1024, false]] as const) {
      const many = await run([log], { threads, partBytes, workersOnly });
      const what = `threads ${threads}, parts of ${partBytes ?? 'default'} bytes${workersOnly ? ', workers only' : ''}`;
      assert.deepEqual(many.summary, one.summary, what);
      assert.deepEqual(many.notes, one.notes, what);
      assert.deepEqual(many.alerts, one.alerts, what);
    }
  });
});

test('a log blocking over ten thousand people (the detector prunes its recent blocks) reads the same on threads', async () => {
  await inTempDir(async (dir) => {
    const log = join(dir, 'access.log');
    writeFileSync(log, makeSquidLog(40_000, 5, 0.6));
    const one = await run([log], { threads: 1 });
    assert.ok(one.alerts.length > 10_000);
    for (const partBytes of [50_000, 7_777]) assert.deepEqual(await run([log], { threads: 2, partBytes }), one);
  });
});

test('with several files (plain, gzip, one with no query strings), threads change nothing, and groups still run from file to file', async () => {
  await inTempDir(async (dir) => {
    const a = join(dir, 'a.log');
    const b = join(dir, 'b.log.gz');
    const c = join(dir, 'c.log');
    writeFileSync(a, makeSquidLog(8_000, 1) + '\n');
    writeFileSync(b, gzipSync(makeSquidLog(4_000, 2)));
    // No query strings at all: the note, once.
    writeFileSync(c, makeSquidLog(6_000, 3).split('\n').filter((l) => !l.includes('?')).join('\n'));
    const one = await run([a, b, c], { threads: 1 });
    assert.equal(one.notes.length, 1);
    assert.match(one.notes[0], /c\.log: no URL in this log has a query string/);
    const many = await run([a, b, c], { threads: 2, partBytes: 32 * 1024 });
    assert.deepEqual(many.summary, one.summary);
    assert.deepEqual(many.notes, one.notes);
    assert.deepEqual(many.alerts, one.alerts);
    assert.equal(many.summary.files[1].gzip, true);
  });
});

test('a repeated search cut by a boundary between parts is still one grouped alert', async () => {
  await inTempDir(async (dir) => {
    const log = join(dir, 'access.log');
    const start = Date.UTC(2024, 2, 5, 9) / 1000;
    const lines: string[] = [];
    for (let i = 0; i < 4000; i++) {
      const t = (start + i * 0.1).toFixed(3);
      // The same search by the same pupil on lines 1000, 2000 and 3000, a few minutes apart.
      if (i === 999 || i === 1999 || i === 2999) lines.push(`${t}    315 10.1.0.3 TCP_MISS/200 91022 GET https://www.google.com/search?q=how+to+kill+myself pupil.a HIER_DIRECT/142.250.187.228 text/html`);
      else lines.push(`${t}    187 10.1.0.7 TCP_MISS/200 48211 GET https://www.bbc.co.uk/bitesize/topics/z${i} pupil.b HIER_DIRECT/151.101.64.81 text/html`);
    }
    const text = lines.join('\n') + '\n';
    writeFileSync(log, text);
    const partBytes = Math.floor(text.length / 4);
    // The parts' boundaries fall between the repeats.
    const starts = await partStarts(log, text.length, partBytes);
    const lineAt = (offset: number) => text.slice(0, offset).split('\n').length;
    const boundaries = starts.slice(1).map(lineAt);
    assert.ok(boundaries.some((l) => l > 1000 && l <= 2000) && boundaries.some((l) => l > 2000 && l <= 3000), `boundaries at lines ${boundaries}`);
    const many = await run([log], { threads: 2, partBytes });
    assert.equal(many.alerts.length, 1);
    assert.equal(many.alerts[0].line, 1000);
    assert.match(many.alerts[0].reason, /3 requests grouped \(lines 1000 to 3000\)/);
    assert.equal(many.summary.grouped, 2);
    assert.deepEqual(many, await run([log], { threads: 1 }));
  });
});

test('an ordinary line closes a group before a search logged out of order, on threads as in one thread', async () => {
  await inTempDir(async (dir) => {
    const log = join(dir, 'access.log');
    const at = (min: number) => ((Date.UTC(2024, 2, 5, 9) + min * 60_000) / 1000).toFixed(3);
    const search = (min: number) => `${at(min)}    315 10.1.0.3 TCP_MISS/200 91022 GET https://www.google.com/search?q=how+to+kill+myself pupil.a HIER_DIRECT/142.250.187.228 text/html`;
    const page = (min: number, i: number) => `${at(min)}    187 10.1.0.7 TCP_MISS/200 48211 GET https://www.bbc.co.uk/news/${i}?x=1 pupil.b HIER_DIRECT/151.101.64.81 text/html`;
    const filler = (n: number, min: number) => Array.from({ length: n }, (_, i) => `${at(min)}    187 10.1.0.7 TCP_TUNNEL/200 4811 CONNECT www.bbc.co.uk:443 pupil.b HIER_DIRECT/151.101.64.81 -`);
    // A search at 0 min; a page read at 11 min closes its group (the window is 10 min); the same
    // search logged late, at 5 min, is then an alert of its own. Without the page it would be grouped.
    const text = [search(0), ...filler(300, 0), page(11, 1), ...filler(300, 11), search(5), ...filler(300, 11)].join('\n') + '\n';
    writeFileSync(log, text);
    const one = await run([log], { threads: 1 });
    assert.deepEqual(one.alerts.map((a) => a.line), [1, 603]);
    for (const partBytes of [10_000, 30_000, 1 << 20]) assert.deepEqual(await run([log], { threads: 2, partBytes }), one, `parts of ${partBytes} bytes`);
  });
});

test('a worker thread that stops part way: the main thread reads its parts, the alerts are the same, and a note says so', async () => {
  await inTempDir(async (dir) => {
    const log = join(dir, 'access.log');
    writeFileSync(log, makeSquidLog(20_000, 9));
    const one = await run([log], { threads: 1 });
    const crashed = await run([log], { threads: 2, partBytes: 64 * 1024, workerExitAtPart: 3 });
    assert.deepEqual(crashed.alerts, one.alerts);
    assert.deepEqual(crashed.summary, one.summary);
    assert.equal(crashed.notes.length, one.notes.length + 1);
    assert.match(crashed.notes.at(-1)!, /a worker thread failed \(a scan thread stopped \(exit code 1\)\); this thread read what it would have/);
  });
});

test('a CSV export read in parts: only the file\'s first line is its header', async () => {
  await inTempDir(async (dir) => {
    const log = join(dir, 'export.csv');
    const rows = ['Time,Username,Source IP,Group,HTTP code,URL,Categories'];
    for (let i = 0; i < 5000; i++) {
      const time = new Date(Date.UTC(2024, 2, 5, 9) + i * 2000).toISOString();
      const url = i % 50 === 0 ? 'https://www.google.com/search?q=how+to+kill+myself' : i % 77 === 0 ? 'https://www.bet365.com/' : `https://www.bbc.co.uk/news/${i}`;
      rows.push(i % 333 === 0 ? `${time},pupil${i % 5},"10.0.0.1` : `${time},pupil${i % 5},10.0.0.${i % 9},Pupils,${i % 77 === 0 ? 403 : 200},${url},${i % 77 === 0 ? 'Gambling' : 'News'}`);
    }
    writeFileSync(log, rows.join('\n') + '\n');
    const one = await run([log], { threads: 1 });
    assert.ok(one.alerts.length > 0 && one.summary.rejected > 0);
    const many = await run([log], { threads: 3, partBytes: 20_000 });
    assert.deepEqual(many, one);
  });
});

test('worker threads start when tsx is registered in the main thread only, as bin/harbour.mjs does, whatever flags node was given', async () => {
  await inTempDir(async (dir) => {
    const log = join(dir, 'access.log');
    writeFileSync(log, makeSquidLog(10_000, 13));
    const one = await run([log], { threads: 1 });
    // A plain node process (no --import tsx, so no flags for a worker to inherit), as bin/harbour.mjs starts.
    const script = `
      import { register } from 'tsx/esm/api';
      register();
      const { scanLogs } = await import('./src/modules/monitoring/scan.ts');
      const alerts = [];
      const notes = [];
      const s = await scanLogs([${JSON.stringify(log)}], { threads: 2, threadMinBytes: 0, partBytes: 64 * 1024, workersOnly: true, onAlert: (a) => alerts.push(a), onNote: (n) => notes.push(n) });
      process.stdout.write(JSON.stringify({ alerts, notes, lines: s.lines }));`;
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    delete env.NODE_OPTIONS;
    const out = await new Promise<string>((done, fail) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => (code === 0 ? done(stdout) : fail(new Error(`exit ${code}: ${stderr}`))));
    });
    const r = JSON.parse(out);
    assert.deepEqual(r.notes, one.notes); // no "a worker thread failed"
    assert.equal(r.lines, one.summary.lines);
    assert.deepEqual(r.alerts, one.alerts);
  });
});

const harbour = runHarbourWithoutDatabase;

test('harbour monitor scan --threads 2 on a file over 8 MiB (workers loaded through bin/harbour.mjs) writes what --threads 1 writes', async () => {
  await inTempDir(async (dir) => {
    const log = join(dir, 'access.log');
    const gz = join(dir, 'access.log.1.gz');
    const text = makeSquidLog(66_000, 11);
    writeFileSync(log, text);
    writeFileSync(gz, gzipSync(text));
    assert.ok(text.length > 8 * 1024 * 1024, `${text.length} bytes`);
    const untimed = (s: string) => s.replace(/ in [\d.]+ s: [\d,]+ lines per second/, '');
    const one = await harbour(['monitor', 'scan', '--json', '--threads', '1', log, gz]);
    assert.equal(one.code, 0, one.stderr);
    assert.ok(one.stdout.split('\n').length > 500);
    for (const threads of ['2', '3']) {
      const many = await harbour(['monitor', 'scan', '--json', '--threads', threads, log, gz]);
      assert.equal(many.code, 0, many.stderr);
      assert.equal(many.stdout, one.stdout);
      assert.equal(untimed(many.stderr), untimed(one.stderr));
    }
    const bad = await harbour(['monitor', 'scan', '--threads', '0', log]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--threads.*a whole number from 1 to 64/);
  });
});
