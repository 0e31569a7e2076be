// `harbour monitor scan` runs from a bundle (bundle.mjs) with the libraries from their cache
// (monitoring/lexicon-cache.ts), and neither is ever stale: on a copy of Harbour with a cache of its
// own, a phrase added to a library, a change to the libraries' compiler and a change to the scan's
// own code each show in the very next scan. Damaged caches are made again; with the cache turned
// off, or a cache folder that cannot be written, the scan runs through tsx with the same result.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'harbour-bundle-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// A copy of Harbour to change, sharing the packages.
const tree = join(tmp, 'harbour');
for (const f of ['bin', 'src', 'package.json', 'package-lock.json', 'tsconfig.json']) {
  cpSync(join(root, f), join(tree, f), { recursive: true, filter: (p) => !p.includes('node_modules') });
}
symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'));
const cache = join(tmp, 'cache');

// A search for a word no library lists (yet), and an ordinary page.
const log = join(tmp, 'access.log');
writeFileSync(log, [
  '1709633701.112    187 10.20.4.31 TCP_MISS/200 48211 GET https://www.bbc.co.uk/bitesize/topics/zxhhvcw pupil.r.hollis HIER_DIRECT/151.101.64.81 text/html',
  '1709633712.876    310 10.20.4.17 TCP_MISS/200 91022 GET https://www.google.com/search?q=zebraquokka pupil.t.okafor HIER_DIRECT/142.250.187.228 text/html',
  '',
].join('\n'));

interface Scan { code: number | null; alerts: { query: string; risk: string; severity: string }[]; stderr: string; cache: string[] }

/** `harbour monitor scan --json` on the log, run from the copy with the cache's account of itself. */
function scan(env: Record<string, string> = {}): Promise<Scan> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, HARBOUR_CACHE_DIR: cache, HARBOUR_CACHE_DEBUG: '1', ...env };
  delete childEnv.NODE_TEST_CONTEXT;
  delete childEnv.HARBOUR_NO_CACHE;
  if (env.HARBOUR_NO_CACHE) childEnv.HARBOUR_NO_CACHE = env.HARBOUR_NO_CACHE;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(tree, 'bin/harbour.mjs'), 'monitor', 'scan', '--json', log], { cwd: tree, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => {
      const lines = stderr.split('\n');
      done({
        code,
        alerts: stdout.trim() ? stdout.trim().split('\n').map((l) => JSON.parse(l)) : [],
        stderr: lines.filter((l) => !l.startsWith('harbour cache')).join('\n'),
        cache: lines.filter((l) => l.startsWith('harbour cache')).map((l) => l.replace(/^harbour cache \(\d+ ms\): /, '')),
      });
    });
  });
}

const has = (s: Scan, pattern: RegExp) => s.cache.some((l) => pattern.test(l));
const bundled = /bundled \d+ sources/;
const upToDate = /is up to date/;
const lexiconRead = /^lexicon read from/;
const lexiconWritten = /^lexicon compiled and written/;

function edit(file: string, change: (text: string) => string): () => void {
  const path = join(tree, file);
  const before = readFileSync(path, 'utf8');
  const after = change(before);
  assert.notEqual(after, before, `${file} was changed`);
  writeFileSync(path, after);
  return () => writeFileSync(path, before);
}

function ok(s: Scan, what: string) {
  assert.equal(s.code, 0, `${what}: ${s.stderr}`);
  assert.match(s.stderr, /Read 2 lines from 1 file/, what);
}

test('a change to a library, the compiler or the scan shows in the next scan, and a damaged cache is made again', async () => {
  let s = await scan();
  ok(s, 'first scan');
  assert.deepEqual(s.alerts, []);
  assert.ok(has(s, bundled) && has(s, lexiconWritten), `the bundle and the libraries were made: ${s.cache.join('; ')}`);

  s = await scan();
  ok(s, 'second scan');
  assert.deepEqual(s.alerts, []);
  assert.ok(has(s, upToDate) && has(s, lexiconRead), `both came from the cache: ${s.cache.join('; ')}`);

  // A phrase added to a library (a school's addition would be the same).
  const restoreLibrary = edit('src/modules/monitoring/lexicon/gambling.json', (text) => {
    const lib = JSON.parse(text);
    lib.phrases.push({ phrase: 'zebraquokka', severity: 'critical', match: 'word' });
    return JSON.stringify(lib, null, 2);
  });
  s = await scan();
  ok(s, 'library changed');
  assert.deepEqual(s.alerts.map((a) => [a.query, a.risk, a.severity]), [['zebraquokka', 'gambling', 'critical']]);
  assert.ok(has(s, upToDate) && has(s, lexiconWritten), `the libraries were compiled again: ${s.cache.join('; ')}`);
  restoreLibrary();

  // The compiler changed (not a library): the phrase now comes from compileLexicon itself.
  const restoreCompiler = edit('src/modules/monitoring/detect/matcher.ts', (text) => `${text}
// Added by bundle.test.ts: a change to the compiler, which adds a phrase of its own.
const compileForTest = compileLexicon;
// @ts-expect-error a function declaration is a binding that can be given a new value
compileLexicon = (set: LexiconSet = loadLexicon()) => compileForTest({ ...set, libraries: set.libraries.map((l) => (l.risk === 'drugs' ? { ...l, phrases: [...l.phrases, { phrase: 'zebraquokka', severity: 'high', match: 'word', intent: false }] } : l)) });
`);
  s = await scan();
  ok(s, 'compiler changed');
  assert.deepEqual(s.alerts.map((a) => [a.query, a.risk, a.severity]), [['zebraquokka', 'drugs', 'high']]);
  assert.ok(has(s, bundled) && has(s, lexiconWritten), `the bundle was made and the libraries compiled again: ${s.cache.join('; ')}`);
  restoreCompiler();

  // Back as it was: the first compiled form is still there, under its own key.
  s = await scan();
  ok(s, 'compiler restored');
  assert.deepEqual(s.alerts, []);
  assert.ok(has(s, bundled) && has(s, lexiconRead), `the bundle was made again, the libraries read: ${s.cache.join('; ')}`);

  // The scan's own code changed: the bundle is made again, the libraries are read.
  edit('src/modules/monitoring/scan-command.ts', (text) => text.replace('`Rejected ${', '`Refused ${'));
  s = await scan();
  ok(s, 'scan changed');
  assert.match(s.stderr, /^Refused 0 lines\.$/m);
  assert.ok(has(s, bundled) && has(s, lexiconRead), s.cache.join('; '));

  // Both caches damaged: made again.
  const files = readdirSync(cache);
  const bundle = files.find((n) => /^bundle-[0-9a-f]+-[0-9a-f]+\.mjs$/.test(n));
  const lexicon = files.find((n) => /^lexicon-[0-9a-f]{64}\.bin$/.test(n));
  assert.ok(bundle && lexicon, files.join(', '));
  writeFileSync(join(cache, bundle), 'throw new Error("a damaged bundle was run");\n');
  for (const n of files.filter((f) => f.startsWith('lexicon-'))) writeFileSync(join(cache, n), readFileSync(join(cache, n)).subarray(0, 1000));
  s = await scan();
  ok(s, 'caches damaged');
  assert.deepEqual(s.alerts, []);
  assert.match(s.stderr, /^Refused 0 lines\.$/m);
  assert.ok(has(s, bundled) && has(s, lexiconWritten), s.cache.join('; '));
});

test('with the cache turned off, or a cache folder that cannot be written, the scan runs through tsx alike', async () => {
  const restore = edit('src/modules/monitoring/lexicon/gambling.json', (text) => {
    const lib = JSON.parse(text);
    lib.phrases.push({ phrase: 'zebraquokka', severity: 'medium', match: 'word' });
    return JSON.stringify(lib, null, 2);
  });
  try {
    const off = await scan({ HARBOUR_NO_CACHE: '1' });
    ok(off, 'cache off');
    assert.deepEqual(off.alerts.map((a) => [a.query, a.risk, a.severity]), [['zebraquokka', 'gambling', 'medium']]);
    assert.deepEqual(off.cache, ['lexicon compiled (no cache)']);

    const notADir = join(tmp, 'a-file');
    writeFileSync(notADir, 'not a folder');
    const unwritable = await scan({ HARBOUR_CACHE_DIR: notADir });
    ok(unwritable, 'unwritable cache');
    assert.deepEqual(unwritable.alerts.map((a) => [a.query, a.risk, a.severity]), [['zebraquokka', 'gambling', 'medium']]);
    assert.ok(unwritable.cache.some((l) => /no bundle .*running through tsx/.test(l)), unwritable.cache.join('; '));
    assert.ok(unwritable.cache.some((l) => /^lexicon compiled; not stored/.test(l)), unwritable.cache.join('; '));
  } finally {
    restore();
  }
});

test('a library changed while a process runs: that process compiles what it holds and stores nothing; the next scan has the change', async () => {
  // A process that read the libraries (a test run, say), then the file changes under it.
  const script = `
    import { readFileSync, writeFileSync } from 'node:fs';
    import { harbourLexicon } from './src/modules/monitoring/lexicon-cache.ts';
    import { compileLexicon } from './src/modules/monitoring/detect/matcher.ts';
    const listed = (lex) => lex.byFirst.has('zebraquokka');
    const before = harbourLexicon();
    const held = compileLexicon(); // the libraries read, and kept, by this process
    const file = 'src/modules/monitoring/lexicon/hate.json';
    const lib = JSON.parse(readFileSync(file, 'utf8'));
    lib.phrases.push({ phrase: 'zebraquokka', severity: 'high', match: 'word' });
    writeFileSync(file, JSON.stringify(lib, null, 2));
    const after = harbourLexicon();
    console.log(JSON.stringify({ before: listed(before), held: listed(held), after: listed(after), compiled: listed(compileLexicon()) }));
  `;
  const libraryFile = join(tree, 'src/modules/monitoring/lexicon/hate.json');
  const original = readFileSync(libraryFile);
  try {
    const ran = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
      const env: NodeJS.ProcessEnv = { ...process.env, HARBOUR_CACHE_DIR: cache, HARBOUR_CACHE_DEBUG: '1' };
      delete env.NODE_TEST_CONTEXT;
      delete env.HARBOUR_NO_CACHE;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: tree, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', fail);
      child.on('close', (code) => done({ code, stdout, stderr }));
    });
    assert.equal(ran.code, 0, ran.stderr);
    // As compileLexicon() in that process: the libraries it read, not the file as it is now.
    assert.deepEqual(JSON.parse(ran.stdout), { before: false, held: false, after: false, compiled: false });
    assert.match(ran.stderr, /the libraries changed on disk since this process loaded them/);
    assert.doesNotMatch(ran.stderr.split(/the libraries changed on disk/)[1], /written to/, 'nothing stored after the change');

    const s = await scan();
    ok(s, 'next scan');
    assert.deepEqual(s.alerts.map((a) => [a.query, a.risk, a.severity]), [['zebraquokka', 'hate', 'high']]);
    assert.ok(has(s, lexiconWritten), s.cache.join('; '));
  } finally {
    writeFileSync(libraryFile, original);
  }
});
