// Test support: a database of a test's own on the run's PostgreSQL server, for tests that
// must do what the shared test database may not see (tamper with the audit trail, seed
// demo data, run `harbour setup`). Created and migrated on demand, dropped afterwards.
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { Database } from './database';
import { migrate } from './migrate';
import { createLogger } from '../logger';

export interface ScratchDatabase {
  name: string;
  /** Its connection as a pg config, for a pool in the test's own process. */
  config: pg.PoolConfig;
  /** Its connection as a URL, for DATABASE_URL in a child process. */
  url: string;
  /** A pool on it (opened on first use). */
  db(): Database;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** The run's database connection (HARBOUR_TEST_DB), as a pg config. */
function runConnection(): pg.PoolConfig {
  const raw = process.env.HARBOUR_TEST_DB;
  if (!raw) throw new Error('HARBOUR_TEST_DB is not set: run the tests with npm test');
  return JSON.parse(raw);
}

/** The same server as `base`, database `name`. */
function onDatabase(base: pg.PoolConfig, name: string): pg.PoolConfig {
  if (base.connectionString) {
    const u = new URL(base.connectionString);
    u.pathname = `/${name}`;
    return { connectionString: u.toString() };
  }
  return { ...base, database: name };
}

/**
 * A pg config as a postgresql:// URL. A Unix-socket config (host is a folder) becomes
 * postgresql://user:password@localhost/db?host=<folder>, which pg and Harbour's config accept.
 */
export function connectionUrl(c: pg.PoolConfig): string {
  if (c.connectionString) return c.connectionString;
  const auth = `${encodeURIComponent(String(c.user ?? 'postgres'))}${c.password ? `:${encodeURIComponent(String(c.password))}` : ''}@`;
  const host = String(c.host ?? 'localhost');
  if (host.startsWith('/')) {
    const port = c.port ? `&port=${c.port}` : '';
    return `postgresql://${auth}localhost/${c.database}?host=${encodeURIComponent(host)}${port}`;
  }
  return `postgresql://${auth}${host}${c.port ? `:${c.port}` : ''}/${c.database}`;
}

/** Creates (and by default migrates) a fresh database on the run's server. */
export async function createScratchDatabase(label: string, opts: { migrate?: boolean } = {}): Promise<ScratchDatabase> {
  const base = runConnection();
  const name = `harbour_scratch_${label}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client(onDatabase(base, 'postgres'));
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const config = onDatabase(base, name);
  let pool: Database | null = null;
  const scratch: ScratchDatabase = {
    name,
    config,
    url: connectionUrl(config),
    db() {
      pool ??= new Database(new pg.Pool({ ...config, max: 3 }), 'external');
      return pool;
    },
    async drop() {
      if (pool) await pool.pool.end();
      pool = null;
      const a = new pg.Client(onDatabase(base, 'postgres'));
      await a.connect();
      try {
        await a.query(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
  if (opts.migrate !== false) await migrate(scratch.db(), createLogger('silent'));
  return scratch;
}
