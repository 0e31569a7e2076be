// The embedded database's known failure, end to end with real processes: a Harbour killed
// with SIGKILL leaves its PostgreSQL running. The next start must stop that server cleanly
// (keeping every acknowledged write) and come up; a second Harbour on the same data folder
// must be refused while the first runs. One server lifecycle (initdb is slow).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { sharedEmbeddedConnection } from './embedded';

const root = resolve(import.meta.dirname, '../../..');
const dataDir = mkdtempSync(join(tmpdir(), 'harbour-lifecycle-'));
const children: ChildProcess[] = [];
const postgresPids = new Set<number>();

after(async () => {
  // Whatever happened, leave no process behind.
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of postgresPids) {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      /* gone */
    }
  }
  await new Promise((r) => setTimeout(r, 200));
  rmSync(dataDir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie has exited; it only waits to be reaped.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, ms: number, what: string) {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function postmasterPid(): number | null {
  const file = join(dataDir, 'postgres', 'postmaster.pid');
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

interface Running {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `harbour <args>` on the test's data folder, with no DATABASE_URL: the embedded server. */
function harbour(args: string[], port?: number): Running {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', HOST: '127.0.0.1' };
  for (const k of ['DATABASE_URL', 'HARBOUR_TEST_DB', 'HARBOUR_NO_DEMO', 'NODE_TEST_CONTEXT', 'SESSION_SECRET']) delete env[k];
  if (port) env.PORT = String(port);
  const child = spawn(process.execPath, [join(root, 'bin/harbour.mjs'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
  return { child, out: () => out, err: () => err, exited };
}

async function ready(r: Running, ms = 240_000) {
  const gone = r.exited.then((e) => {
    throw new Error(`Harbour exited (${e.code ?? e.signal}) before it was ready:\n${r.out()}\n${r.err()}`);
  });
  await Promise.race([waitFor(() => /Harbour is ready/.test(r.out()), ms, `"Harbour is ready":\n${r.out()}\n${r.err()}`), gone]);
}

async function finished(r: Running, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`still running after ${ms} ms:\n${r.out()}\n${r.err()}`)), ms);
  });
  try {
    return await Promise.race([r.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Signs in over HTTP as a browser would; the answer's status and where it sends you. */
async function signIn(port: number, email: string, password: string) {
  const base = `http://127.0.0.1:${port}`;
  const page = await fetch(`${base}/sign-in`);
  const cookie = (page.headers.getSetCookie()[0] ?? '').split(';')[0];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  assert.ok(cookie && csrf, 'the sign-in page sets a session cookie and a CSRF token');
  const res = await fetch(`${base}/sign-in`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password, _csrf: csrf!, next: '/dashboard' }).toString(),
  });
  return { status: res.status, location: res.headers.get('location') };
}

test('a Harbour killed with SIGKILL leaves Postgres running; the next start stops it cleanly and keeps every acknowledged write', { timeout: 600_000 }, async () => {
  const port = await freePort();
  const first = harbour(['serve'], port);
  await ready(first);
  assert.match(first.out(), /demo data/, 'a first start seeds the demo data');
  const pg1 = postmasterPid();
  assert.ok(pg1 && alive(pg1), 'the embedded Postgres is running');
  postgresPids.add(pg1);

  // (a) A second Harbour on the same data folder is refused, naming the folder.
  const second = harbour(['serve'], await freePort());
  const refused = await finished(second, 120_000);
  assert.notEqual(refused.code, 0);
  assert.match(second.err(), /already running/);
  assert.ok(second.err().includes(dataDir), `the message names the data folder: ${second.err()}`);
  assert.equal(postmasterPid(), pg1, "the first server's database is untouched");

  // (b) An acknowledged write: the command line joins the running server's database.
  const shared = sharedEmbeddedConnection(dataDir);
  assert.ok(shared, 'the running server shares its database over its Unix socket');
  const client = new pg.Client(shared);
  await client.connect();
  const schoolId = (await client.query('select id from schools order by name limit 1')).rows[0].id as string;
  await client.end();
  const email = `after.kill.${Date.now()}@lifecycle.test`;
  const password = 'survives-a-hard-kill-77';
  const add = harbour(['user', 'add', '--school', schoolId, '--email', email, '--given-name', 'Durable', '--family-name', 'Write', '--roles', 'teacher', '--password', password]);
  const added = await finished(add, 120_000);
  assert.equal(added.code, 0, add.err());
  assert.equal((await signIn(port, email, password)).status, 303, 'the new account signs in before the kill');

  // (c) SIGKILL: Harbour cannot stop its Postgres, which keeps running.
  first.child.kill('SIGKILL');
  const killed = await finished(first, 30_000);
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok(alive(pg1), 'the orphaned Postgres is still running after the kill');
  assert.equal(postmasterPid(), pg1);

  // (d) The next start stops the orphan and comes up with the write in place.
  const third = harbour(['serve'], port);
  await ready(third);
  await waitFor(() => !alive(pg1), 10_000, 'the orphaned Postgres to exit');
  const pg3 = postmasterPid();
  assert.ok(pg3 && pg3 !== pg1 && alive(pg3), 'a new Postgres runs');
  postgresPids.add(pg3);
  const after = await signIn(port, email, password);
  assert.equal(after.status, 303, 'the account added before the kill is still there');
  assert.equal(after.location, '/dashboard');

  // (e) SIGTERM stops Harbour and its Postgres.
  third.child.kill('SIGTERM');
  const stopped = await finished(third, 60_000);
  assert.equal(stopped.code, 0, third.err());
  assert.match(third.out(), /Harbour is stopping \(SIGTERM\)/);
  await waitFor(() => !alive(pg3), 10_000, 'Postgres to stop with Harbour');
  assert.equal(existsSync(join(dataDir, 'postgres', 'postmaster.pid')), false, 'Postgres shut down cleanly');
  assert.equal(existsSync(join(dataDir, 'harbour.pid')), false, 'the lock is released');
});
