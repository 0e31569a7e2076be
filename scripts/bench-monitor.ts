// npm run bench:monitor: makes a 2,000,000-line Squid log (a school day's mix: mostly HTTPS
// tunnels and page assets, some searches, a few blocks), runs `harbour monitor scan` on it in a
// child process, and compares GoAccess and ripgrep on the same file. Prints lines per second,
// MB per second and peak memory (VmHWM) for each, the alerts by severity (medium and above are the
// safeguarding lead's queue), and how long `harbour monitor ingest --follow` takes from a line
// appended to a followed log to its alert stored in the queue (a database of its own, as the
// tests use). The last line is one JSON object.
//
// The scan runs with BENCH_THREADS worker threads (default: Harbour's, the CPUs up to 4) and, right
// after on the same file, with --threads 1; both are printed with their ratio, and whether the two
// wrote the same alerts. BENCH_LOG=path scans that log instead of making one (it is kept);
// BENCH_SCAN_ONLY=1 runs the scans only (no ripgrep, GoAccess or --follow).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadLexicon } from '../src/modules/monitoring/lexicon/index';
import { defaultThreads } from '../src/modules/monitoring/scan-threads';

const root = resolve(import.meta.dirname, '..');
const lines = Number(process.env.BENCH_LINES ?? process.argv[2] ?? 2_000_000);
const keep = !!process.env.BENCH_KEEP;
const scanOnly = !!process.env.BENCH_SCAN_ONLY;
// At least two, so the figures compare threads with one thread even where one is the default.
const threads = Number(process.env.BENCH_THREADS ?? Math.max(2, defaultThreads()));
const dir = mkdtempSync(join(tmpdir(), 'harbour-bench-'));
const logPath = process.env.BENCH_LOG ? resolve(process.env.BENCH_LOG) : join(dir, 'access.log');

// A small, fixed pseudo-random sequence so every run makes the same file.
let seed = 20240305;
const rnd = () => { // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];

const hosts = ['www.google.com', 'www.youtube.com', 'login.microsoftonline.com', 'outlook.office365.com', 'www.bbc.co.uk', 'classroom.google.com', 'docs.google.com',
  'www.purplemash.com', 'ttrockstars.com', 'www.spellingshed.com', 'clients4.google.com', 'fonts.gstatic.com', 'i.ytimg.com', 'static.xx.fbcdn.net', 'www.scratch.mit.edu',
  'cdn.jsdelivr.net', 'www.oaknationalacademy.org', 'update.googleapis.com', 'teams.microsoft.com', 'www.wikipedia.org'];
const pages = ['/', '/news', '/bitesize/topics/zxhhvcw', '/maths/year-5/fractions', '/watch', '/courses/42/assignments', '/document/d/1xYz/edit', '/projects/1234567', '/en/lessons/plants'];
const assets = ['/static/app.4f1c.js', '/img/logo.png', '/css/site.css', '/fonts/roboto.woff2', '/images/hero-banner.jpg', '/favicon.ico'];
const innocent = ['fractions year 5', 'volcano facts for kids', 'tudors timeline', 'how to draw a cat', 'minecraft house ideas', 'rainforest animals', 'times tables games',
  'the blitz ww2 homework', 'essex weather', 'scunthorpe united', 'cocktail sticks craft', 'drugs in sport science lesson', 'suicide squad film rating', 'therapist definition'];
const risky = ['how to kill myself', 'h0w t0 k1ll mys3lf', 'pro ana tips', 'unblocked games 66', 'where to buy weed', 'porn', 's u i c i d e', 'how to make a bomb'];
const users = Array.from({ length: 600 }, (_, i) => `pupil${String(i).padStart(4, '0')}`);
const clients = Array.from({ length: 600 }, (_, i) => `10.20.${Math.floor(i / 250)}.${(i % 250) + 2}`);

function squidLine(ts: number): string {
  const u = Math.floor(rnd() * users.length);
  const user = rnd() < 0.8 ? users[u] : '-';
  const client = clients[u];
  const elapsed = String(Math.floor(rnd() * 2000)).padStart(6);
  const r = rnd();
  const t = (ts / 1000).toFixed(3);
  if (r < 0.5) { // HTTPS without inspection
    const h = pick(hosts);
    return `${t} ${elapsed} ${client} TCP_TUNNEL/200 ${Math.floor(rnd() * 90000)} CONNECT ${h}:443 ${user} HIER_DIRECT/142.250.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)} -`;
  }
  if (r < 0.8) { // an asset of a page
    const h = pick(hosts);
    const a = pick(assets);
    const mime = a.endsWith('.js') ? 'application/javascript' : a.endsWith('.css') ? 'text/css' : a.endsWith('.woff2') ? 'font/woff2' : 'image/png';
    return `${t} ${elapsed} ${client} TCP_MISS/200 ${Math.floor(rnd() * 40000)} GET https://${h}${a} ${user} HIER_DIRECT/151.101.${Math.floor(rnd() * 255)}.81 ${mime}`;
  }
  if (r < 0.93) { // a page
    return `${t} ${elapsed} ${client} TCP_MISS/200 ${Math.floor(rnd() * 120000)} GET https://${pick(hosts)}${pick(pages)} ${user} HIER_DIRECT/151.101.${Math.floor(rnd() * 255)}.81 text/html`;
  }
  if (r < 0.97) { // a page with a query string that is not a search
    return `${t} ${elapsed} ${client} TCP_MISS/200 ${Math.floor(rnd() * 5000)} GET https://${pick(hosts)}/collect?v=2&tid=G-${Math.floor(rnd() * 1e6)}&cid=${Math.floor(rnd() * 1e9)} ${user} HIER_DIRECT/216.58.${Math.floor(rnd() * 255)}.4 image/gif`;
  }
  if (r < 0.995) { // a search
    const q = rnd() < 0.995 ? pick(innocent) : pick(risky);
    const engine = pick(['https://www.google.com/search?q=', 'https://www.bing.com/search?q=', 'https://www.youtube.com/results?search_query=', 'https://duckduckgo.com/?q=']);
    return `${t} ${elapsed} ${client} TCP_MISS/200 ${Math.floor(rnd() * 90000)} GET ${engine}${encodeURIComponent(q).replace(/%20/g, '+')} ${user} HIER_DIRECT/142.250.187.228 text/html`;
  }
  const blocked = rnd() < 0.9 ? pick(['www.tiktok.com', 'discord.com', 'www.instagram.com', 'www.snapchat.com', 'ads.example-adnetwork.com']) : pick(['www.pornhub.com', 'www.bet365.com', 'www.croxyproxy.com']);
  return `${t}      0 ${client} TCP_DENIED/403 3941 CONNECT ${blocked}:443 ${user} HIER_NONE/- text/html`;
}

async function makeLog() {
  const out = createWriteStream(logPath);
  let ts = Date.UTC(2024, 2, 5, 8, 30) ;
  const step = (8 * 3600_000) / lines;
  let batch: string[] = [];
  for (let i = 0; i < lines; i++) {
    ts += step;
    batch.push(squidLine(Math.round(ts)));
    if (batch.length === 10_000) {
      if (!out.write(batch.join('\n') + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
      batch = [];
    }
  }
  if (batch.length) out.write(batch.join('\n') + '\n');
  await new Promise<void>((r) => out.end(() => r()));
}

interface Run { seconds: number; peakMB: number | null; code: number | null; stdout: string; stderr: string; stdoutLines: number; stdoutSha256: string }

/** Runs a command, sampling its VmHWM (peak resident memory) from /proc until it exits. */
function measure(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<Run> {
  return new Promise((resolveRun) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stdoutLines = 0;
    const hash = createHash('sha256');
    child.stdout.on('data', (d: Buffer) => {
      hash.update(d);
      for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) stdoutLines++;
      if (stdout.length < 1 << 20) stdout += d;
    });
    child.stderr.on('data', (d) => { if (stderr.length < 1 << 20) stderr += d; });
    let peak: number | null = null;
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak ?? 0, Number(m[1]) / 1024);
      } catch { /* gone */ }
    };
    const timer = setInterval(sample, 20);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolveRun({ seconds: Number(process.hrtime.bigint() - started) / 1e9, peakMB: peak, code, stdout, stderr, stdoutLines, stdoutSha256: hash.digest('hex') });
    });
  });
}

const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const round = (x: number | null, d = 1) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);

if (process.env.BENCH_LOG) console.log(`Scanning ${logPath} (BENCH_LOG; BENCH_LINES should say its lines: ${lines.toLocaleString('en-GB')}).`);
else {
  console.log(`Making a ${lines.toLocaleString('en-GB')}-line Squid log in ${dir} ...`);
  await makeLog();
}
const bytes = statSync(logPath).size;
const mb = bytes / 1e6;
console.log(`${mb.toFixed(0)} MB.`);

const figures: Record<string, number | string | boolean | null> = { lines, megabytes: round(mb) };

// Harbour: node with tsx, as the harbour command runs; with the worker threads, then with one.
const scan = (n: number) => measure(process.execPath, [join(root, 'bin/harbour.mjs'), 'monitor', 'scan', '--json', '--threads', String(n), logPath], { cwd: root });
const harbour = await scan(threads);
if (harbour.code !== 0) {
  console.error(harbour.stderr);
  process.exit(1);
}
const scanningSeconds = (r: Run) => {
  const inner = /in ([\d.]+) s: ([\d,]+) lines per second/.exec(r.stderr);
  return inner ? Number(inner[1]) : r.seconds;
};
const scanSeconds = scanningSeconds(harbour);
const alerts = harbour.stdoutLines;
console.log(`\nharbour monitor scan --threads ${threads}: ${harbour.seconds.toFixed(2)} s wall (${scanSeconds.toFixed(2)} s scanning after start-up), ${alerts} alerts, peak memory ${harbour.peakMB?.toFixed(0)} MB`);
console.log(harbour.stderr.trim().split('\n').map((l) => `  ${l}`).join('\n'));
figures.harbour_threads = threads;
figures.harbour_seconds_wall = round(harbour.seconds, 2);
figures.harbour_seconds_scanning = round(scanSeconds, 2);
figures.harbour_lines_per_second = Math.round(lines / scanSeconds);
figures.harbour_lines_per_second_wall = Math.round(lines / harbour.seconds);
figures.harbour_mb_per_second = round(mb / scanSeconds);
figures.harbour_peak_mb = round(harbour.peakMB);
figures.harbour_alerts = alerts;
// Alerts by severity, from the scan's summary ("Alerts: 1 critical, 2 high, 30 medium, 900 low").
const bySeverity = /Alerts: (\d+) critical, (\d+) high, (\d+) medium, (\d+) low/.exec(harbour.stderr);
if (bySeverity) {
  const [critical, high, medium, low] = bySeverity.slice(1).map(Number);
  Object.assign(figures, { harbour_alerts_critical: critical, harbour_alerts_high: high, harbour_alerts_medium: medium, harbour_alerts_low: low, harbour_queue_length: critical + high + medium });
  console.log(`  queue length (medium and above): ${critical + high + medium}; low, kept for pattern review: ${low}`);
}
if (threads > 1) {
  // The same file in one thread, straight after: the ratio is the threads' gain on this machine as it is now.
  const one = await scan(1);
  const oneSeconds = scanningSeconds(one);
  const same = one.code === 0 && one.stdoutSha256 === harbour.stdoutSha256 && one.stderr.replace(/ in [\d.]+ s: [\d,]+ lines per second/, '') === harbour.stderr.replace(/ in [\d.]+ s: [\d,]+ lines per second/, '');
  console.log(`\nharbour monitor scan --threads 1: ${one.seconds.toFixed(2)} s wall (${oneSeconds.toFixed(2)} s scanning), peak memory ${one.peakMB?.toFixed(0)} MB; ${threads} threads are ${(oneSeconds / scanSeconds).toFixed(2)} times as fast scanning (${(one.seconds / harbour.seconds).toFixed(2)} wall); the alerts and summary are ${same ? 'the same' : 'NOT the same'}`);
  figures.harbour_one_thread_seconds_wall = round(one.seconds, 2);
  figures.harbour_one_thread_seconds_scanning = round(oneSeconds, 2);
  figures.harbour_one_thread_lines_per_second = Math.round(lines / oneSeconds);
  figures.harbour_one_thread_peak_mb = round(one.peakMB);
  figures.harbour_thread_speedup = round(oneSeconds / scanSeconds, 2);
  figures.harbour_thread_speedup_wall = round(one.seconds / harbour.seconds, 2);
  figures.harbour_threads_same_output = same;
}

if (scanOnly) {
  if (!keep) rmSync(dir, { recursive: true, force: true });
  console.log('');
  console.log(JSON.stringify(figures));
  process.exit(0);
}

// The same phrases for ripgrep, as fixed strings in their URL form (spaces as +).
const phrases = [...new Set(loadLexicon().libraries.flatMap((l) => l.phrases.map((p) => p.phrase.replace(/ /g, '+'))))];
const phraseFile = join(dir, 'phrases.txt');
writeFileSync(phraseFile, phrases.join('\n') + '\n');
if (has('rg')) {
  const rg = await measure('rg', ['-F', '-c', '-f', phraseFile, logPath]);
  console.log(`\nrg -F -c -f phrases.txt (${phrases.length} phrases): ${rg.seconds.toFixed(2)} s, ${rg.stdout.trim()} matching lines, peak memory ${rg.peakMB?.toFixed(0)} MB`);
  figures.rg_seconds = round(rg.seconds, 2);
  figures.rg_lines_per_second = Math.round(lines / rg.seconds);
  figures.rg_mb_per_second = round(mb / rg.seconds);
  figures.rg_peak_mb = round(rg.peakMB);
  figures.rg_matching_lines = Number(rg.stdout.trim()) || 0;
} else {
  console.log('\nripgrep is not installed (apt-get install -y ripgrep): skipped.');
  figures.rg_seconds = null;
}
if (has('goaccess')) {
  const ga = await measure('goaccess', [logPath, "--log-format=%x.%^ %~%L %h %^/%s %b %m %U %e %^ %M", '--date-format=%s', '--time-format=%s', '-o', join(dir, 'report.json'), '--no-progress']);
  console.log(`\ngoaccess (JSON report): ${ga.seconds.toFixed(2)} s, exit ${ga.code}, peak memory ${ga.peakMB?.toFixed(0)} MB${ga.code ? `\n  ${ga.stderr.trim().slice(0, 300)}` : ''}`);
  figures.goaccess_seconds = round(ga.seconds, 2);
  figures.goaccess_lines_per_second = Math.round(lines / ga.seconds);
  figures.goaccess_mb_per_second = round(mb / ga.seconds);
  figures.goaccess_peak_mb = round(ga.peakMB);
} else {
  console.log('\nGoAccess is not installed (apt-get install -y goaccess): skipped.');
  figures.goaccess_seconds = null;
}

Object.assign(figures, await followLatency());
if (!keep) rmSync(dir, { recursive: true, force: true });
console.log('');
console.log(JSON.stringify(figures));

/**
 * `harbour monitor ingest --follow` on a log, in a child process against a database of its own:
 * a concerning search is appended, one line at a time, and the time taken until its alert is in
 * monitoring_alerts is measured (the database is polled every 5 ms). Returns the median and the
 * slowest, in milliseconds.
 */
async function followLatency(samples = 20): Promise<Record<string, number | null>> {
  const { benchDatabase } = await import('./bench-support');
  const database = await benchDatabase('monitor');
  const { testDb, makeSchool, closeTestDb } = await import('../src/testing/harness');
  const { connectionUrl } = await import('../src/platform/db/scratch-database');
  const db = testDb();
  const school = await makeSchool(db, 'Bench Follow Primary');
  const followed = join(dir, 'followed.log');
  const at = (ts: number, who: string, q: string) => `${(ts / 1000).toFixed(3)}    199 10.20.9.9 TCP_MISS/200 91022 GET https://www.google.com/search?q=${q} ${who} HIER_DIRECT/142.250.187.228 text/html\n`;
  const start = Date.UTC(2024, 2, 5, 9);
  // Ordinary lines first, so the follower has caught up and is waiting when the first search comes.
  writeFileSync(followed, Array.from({ length: 200 }, (_, i) => `${((start + i * 1000) / 1000).toFixed(3)}    187 10.20.1.1 TCP_MISS/200 48211 GET https://www.bbc.co.uk/bitesize/topics/z${i} pupil0001 HIER_DIRECT/151.101.64.81 text/html\n`).join(''));
  const env = { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: connectionUrl(JSON.parse(process.env.HARBOUR_TEST_DB!)), DATA_DIR: dir };
  const child = spawn(process.execPath, [join(root, 'bin/harbour.mjs'), 'monitor', 'ingest', '--school', school.id, '--follow', followed], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const lineNumber = async () => Number((await db.query('select max(line_number) as n from monitoring_ingest_positions where school_id = $1', [school.id])).rows[0]?.n ?? 0);
  const took: number[] = [];
  try {
    const t0 = Date.now();
    while ((await lineNumber()) < 200) {
      if (Date.now() - t0 > 60_000 || child.exitCode !== null) throw new Error(`the follower did not start: ${stderr.slice(0, 500)}`);
      await sleep(20);
    }
    for (let i = 0; i < samples; i++) {
      const line = 201 + i;
      // A different pupil each time, so each search is an alert of its own (not a repeat grouped into one).
      const appended = process.hrtime.bigint();
      appendFileSync(followed, at(start + 300_000 + i * 1000, `pupil.follow.${i}`, 'how+to+kill+myself'));
      while (!(await db.query('select 1 from monitoring_alerts where school_id = $1 and line = $2', [school.id, line])).rows.length) {
        if (Number(process.hrtime.bigint() - appended) / 1e6 > 30_000) throw new Error(`no alert for line ${line} within 30 s: ${stderr.slice(0, 500)}`);
        await sleep(5);
      }
      took.push(Number(process.hrtime.bigint() - appended) / 1e6);
      await sleep(150 + Math.floor(rnd() * 200)); // appended at no fixed phase of the follower's polling
    }
  } catch (e) {
    console.log(`\ningest --follow: not measured (${(e as Error).message})`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    await closeTestDb();
    await database.release();
  }
  if (!took.length) return { follow_latency_ms_median: null, follow_latency_ms_max: null };
  const sorted = [...took].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const max = sorted[sorted.length - 1];
  console.log(`\ningest --follow: a line appended to the followed log is an alert stored in the queue in ${median.toFixed(0)} ms (median of ${took.length}; slowest ${max.toFixed(0)} ms, fastest ${sorted[0].toFixed(0)} ms)`);
  return { follow_latency_ms_median: Math.round(median), follow_latency_ms_max: Math.round(max), follow_latency_samples: took.length };
}
