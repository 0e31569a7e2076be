// The harbour command as a person runs it: a child process on a scratch database of its own.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import type { Command } from 'commander';
import { buildProgram } from './index';
import { createScratchDatabase, type ScratchDatabase } from '../platform/db/scratch-database';
import { chainFor } from '../platform/audit/audit';

const root = resolve(import.meta.dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'harbour-cli-'));
const scratches: ScratchDatabase[] = [];

after(async () => {
  for (const s of scratches) await s.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function scratchDb(label: string) {
  const s = await createScratchDatabase(label);
  scratches.push(s);
  return s;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `harbour <args>` against the database at url (or none). */
function harbour(args: string[], url?: string, env: Record<string, string> = {}): Promise<Ran> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent', DATA_DIR: dataDir, ...env };
  delete childEnv.DATABASE_URL;
  delete childEnv.HARBOUR_TEST_DB;
  delete childEnv.HARBOUR_NO_DEMO;
  delete childEnv.NODE_TEST_CONTEXT; // the child is a program, not a test file
  if (url) childEnv.DATABASE_URL = url;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(root, 'bin/harbour.mjs'), ...args], { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

const admin = { email: 'first.admin@cli-school.test', password: 'a-long-admin-passphrase-3' };

/** A scratch database with a real school set up by `harbour setup`. */
async function realSchool(label: string) {
  const s = await scratchDb(label);
  const ran = await harbour(['setup', '--school-name', 'Cli Test Primary', '--urn', '123456', '--admin-email', admin.email,
    '--admin-given-name', 'First', '--admin-family-name', 'Admin', '--admin-password', admin.password], s.url);
  return { s, ran };
}

/** Every command and subcommand, as the words you type: [['serve'], ['user', 'add'], ...]. */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

test('harbour --help prints the usage and lists the commands', async () => {
  const ran = await harbour(['--help']);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /^Usage: harbour \[options\] \[command\]/);
  for (const c of ['serve', 'migrate', 'setup', 'demo', 'user', 'audit']) assert.match(ran.stdout, new RegExp(`\\n  ${c}\\b`));
});

test('every subcommand prints its own usage with --help', async () => {
  const paths = commandPaths(await buildProgram()).filter((p) => p.at(-1) !== 'help');
  assert.ok(paths.some((p) => p.join(' ') === 'user add'));
  assert.ok(paths.some((p) => p.join(' ') === 'audit verify'));
  const results: [string[], Ran][] = [];
  for (let i = 0; i < paths.length; i += 4) {
    const batch = paths.slice(i, i + 4);
    results.push(...(await Promise.all(batch.map(async (p) => [p, await harbour([...p, '--help'])] as [string[], Ran]))));
  }
  for (const [p, ran] of results) {
    assert.equal(ran.code, 0, `${p.join(' ')} --help: ${ran.stderr}`);
    assert.match(ran.stdout, new RegExp(`^Usage: harbour ${p.join(' ')}\\b`), `${p.join(' ')} --help prints its usage`);
  }
});

test('harbour setup creates a real school and its administrator, and prints the school id', async () => {
  const { s, ran } = await realSchool('setup');
  assert.equal(ran.code, 0, ran.stderr);
  const id = /school id ([0-9a-f-]{36})/.exec(ran.stdout)?.[1];
  assert.ok(id, `the school id is printed: ${ran.stdout}`);
  const db = s.db();
  assert.equal((await db.query('select mode from installation')).rows[0].mode, 'real');
  const [school] = (await db.query('select name, urn from schools where id = $1', [id])).rows;
  assert.deepEqual(school, { name: 'Cli Test Primary', urn: '123456' });
  const roles = (await db.query(
    `select r.role from users u join memberships m on m.user_id = u.id join role_assignments r on r.person_id = m.person_id
      where u.email = $1 and m.school_id = $2`, [admin.email, id])).rows.map((r) => r.role);
  assert.deepEqual(roles, ['administrator']);
  assert.ok(!ran.stdout.includes(admin.password), 'the password is not echoed');
});

test('harbour setup is refused on a database holding demo data, and harbour demo on a real one', async () => {
  const demo = await scratchDb('demo');
  const seeded = await harbour(['demo'], demo.url);
  assert.equal(seeded.code, 0, seeded.stderr);
  assert.equal((await demo.db().query('select mode from installation')).rows[0].mode, 'demo');
  const schoolsBefore = (await demo.db().query('select count(*)::int as n from schools')).rows[0].n;
  const refused = await harbour(['setup', '--school-name', 'Cli Test Primary', '--admin-email', admin.email,
    '--admin-given-name', 'First', '--admin-family-name', 'Admin', '--admin-password', admin.password], demo.url);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /This database holds demo data/);
  assert.equal((await demo.db().query('select count(*)::int as n from schools')).rows[0].n, schoolsBefore, 'nothing was added');

  const { s: real, ran } = await realSchool('real');
  assert.equal(ran.code, 0, ran.stderr);
  const demoOnReal = await harbour(['demo'], real.url);
  assert.equal(demoOnReal.code, 1);
  assert.match(demoOnReal.stderr, /holds a real school: demo data is never added to it/);
  assert.equal((await real.db().query('select count(*)::int as n from schools')).rows[0].n, 1, 'no demo school was added');
});

test('harbour user add names a role that does not exist', async () => {
  const { s, ran } = await realSchool('roles');
  assert.equal(ran.code, 0, ran.stderr);
  const bad = await harbour(['user', 'add', '--email', 'new.teacher@cli-school.test', '--given-name', 'New', '--family-name', 'Teacher',
    '--roles', 'teacher,wizard', '--password', 'a-long-teacher-passphrase'], s.url);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--roles: not a role: wizard\./);
  assert.match(bad.stderr, /Roles are: .*headteacher/);
  assert.equal((await s.db().query(`select count(*)::int as n from users where email = 'new.teacher@cli-school.test'`)).rows[0].n, 0);

  const good = await harbour(['user', 'add', '--email', 'new.teacher@cli-school.test', '--given-name', 'New', '--family-name', 'Teacher',
    '--roles', 'teacher', '--password', 'a-long-teacher-passphrase'], s.url);
  assert.equal(good.code, 0, good.stderr);
  assert.equal((await s.db().query(`select count(*)::int as n from users where email = 'new.teacher@cli-school.test'`)).rows[0].n, 1);
});

test('harbour audit verify exits 0 on a whole trail and 2, naming the entry, after tampering', async () => {
  const { s, ran } = await realSchool('verify');
  assert.equal(ran.code, 0, ran.stderr);
  const schoolId = /school id ([0-9a-f-]{36})/.exec(ran.stdout)![1];
  const whole = await harbour(['audit', 'verify'], s.url);
  assert.equal(whole.code, 0, whole.stderr);
  assert.match(whole.stdout, /The audit trail is whole: \d+ entries in \d+ chains checked/);

  const [entry] = (await s.db().query<{ id: number; seq: number }>('select id, seq from audit_events where chain = $1 and seq = 2', [chainFor(schoolId)])).rows;
  const client = await s.db().pool.connect();
  try {
    await client.query('begin');
    await client.query('alter table audit_events disable trigger audit_events_no_update');
    await client.query(`update audit_events set detail = jsonb_set(detail, '{kind}', '"pupil"') where id = $1`, [entry.id]);
    await client.query('alter table audit_events enable trigger audit_events_no_update');
    await client.query('commit');
  } finally {
    client.release();
  }
  const broken = await harbour(['audit', 'verify'], s.url);
  assert.equal(broken.code, 2);
  assert.equal(broken.stderr.trim(), `The audit trail is broken at entry ${entry.id} (chain ${chainFor(schoolId)}, number 2): its content was changed after it was written.`);
  const oneSchool = await harbour(['audit', 'verify', '--school', schoolId], s.url);
  assert.equal(oneSchool.code, 2);
  assert.match(oneSchool.stderr, new RegExp(`broken at entry ${entry.id} `));
});
