// Runs the whole suite against a real PostgreSQL: Harbour's embedded server (in .test-data)
// by default, or the server in DATABASE_URL. Either way the run gets a fresh database of its
// own, migrated once, and dropped at the end.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, rmSync, mkdirSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { createLogger } from '../src/platform/logger';
import { startEmbeddedPostgres } from '../src/platform/db/embedded';
import { Database } from '../src/platform/db/database';
import { migrate } from '../src/platform/db/migrate';

const root = resolve(import.meta.dirname, '..');
const log = createLogger('warn');

function findTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
const files = [...findTests(join(root, 'src')), ...findTests(join(root, 'e2e'))]
  .filter((f) => !filter.length || filter.some((x) => f.includes(x)))
  .sort();

const dbName = `harbour_test_${process.pid}_${Date.now().toString(36)}`;
let admin: pg.PoolConfig;
let stopEmbedded = async () => {};
if (process.env.DATABASE_URL) {
  admin = { connectionString: process.env.DATABASE_URL };
  console.log(`tests: PostgreSQL from DATABASE_URL, database ${dbName}`);
} else {
  // A server of the run's own, so two runs (or a run beside npm start) never meet.
  const dataDir = join(root, '.test-data', String(process.pid));
  // Run as root, the server runs as the postgres user, which must be able to pass through.
  mkdirSync(join(root, '.test-data'), { recursive: true });
  chmodSync(join(root, '.test-data'), 0o711);
  const server = await startEmbeddedPostgres(dataDir, log);
  admin = { ...server.connection, database: 'postgres' };
  stopEmbedded = async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  console.log(`tests: embedded PostgreSQL in ${dataDir.replace(root + '/', '')}, database ${dbName}`);
}

const adminClient = new pg.Client(admin);
await adminClient.connect();
await adminClient.query(`create database ${dbName}`);
const testDb: pg.PoolConfig = admin.connectionString
  ? { connectionString: withDatabase(admin.connectionString, dbName) }
  : { ...admin, database: dbName };
const pool = new pg.Pool(testDb);
await migrate(new Database(pool, 'external'), log);
await pool.end();

function withDatabase(url: string, name: string) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

let status = 1;
try {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
    stdio: 'inherit',
    env: { ...process.env, HARBOUR_TEST_DB: JSON.stringify(testDb), LOG_LEVEL: 'silent' },
    cwd: root,
  });
  status = result.status ?? 1;
} finally {
  await adminClient.query(`drop database if exists ${dbName} with (force)`).catch(() => undefined);
  await adminClient.end();
  await stopEmbedded();
}
process.exit(status);
