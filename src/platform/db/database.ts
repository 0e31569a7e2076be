import pg from 'pg';
import type { Config } from '../../config';
import type { Logger } from '../logger';
import { sharedEmbeddedConnection, startEmbeddedPostgres } from './embedded';
import { migrate } from './migrate';

// Dates stay as 'YYYY-MM-DD' strings: a date of birth has no time zone.
pg.types.setTypeParser(1082, (v) => v);
// bigint counts fit comfortably in a JS number for our tables.
pg.types.setTypeParser(20, (v) => Number(v));

/** Anything that runs SQL: the pool, or a client inside a transaction. */
export interface Queryable {
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** A client inside an open transaction. */
export type Tx = pg.PoolClient;

/** The database as the rest of Harbour sees it. */
export class Database implements Queryable {
  constructor(readonly pool: pg.Pool, readonly kind: 'embedded' | 'external') {}

  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]) {
    return this.pool.query<R>(text, values as any[]);
  }

  /** Runs fn in one transaction: all of it is saved, or none of it. */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const result = await fn(client);
      await client.query('commit');
      return result;
    } catch (e) {
      await client.query('rollback').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  /** Checks the server answers; used by /health. */
  async ping(): Promise<{ ok: boolean; ms: number; version?: string }> {
    const t = performance.now();
    try {
      const r = await this.pool.query<{ v: string }>('select current_setting($$server_version$$) as v');
      return { ok: true, ms: Math.round(performance.now() - t), version: r.rows[0].v };
    } catch {
      return { ok: false, ms: Math.round(performance.now() - t) };
    }
  }
}

export interface OpenedDatabase {
  db: Database;
  /** Closes the pool and stops the embedded server if this process started it. */
  close(): Promise<void>;
}

/**
 * Opens Harbour's database: DATABASE_URL when set, else the embedded server in DATA_DIR.
 * 'server' mode owns the data folder (a second server there is refused); 'tool' mode, used
 * by the command line, joins a running server's database or starts its own for the command.
 */
export async function openDatabase(
  config: Config,
  log: Logger,
  opts: { mode: 'server' | 'tool'; migrate?: boolean } = { mode: 'server' },
): Promise<OpenedDatabase> {
  let connection: pg.PoolConfig;
  let stopServer = async () => {};
  let kind: 'embedded' | 'external' = 'external';
  if (config.databaseUrl) {
    connection = { connectionString: config.databaseUrl };
  } else {
    kind = 'embedded';
    const shared = opts.mode === 'tool' ? sharedEmbeddedConnection(config.dataDir) : null;
    if (shared) {
      connection = shared;
    } else {
      const server = await startEmbeddedPostgres(config.dataDir, log);
      connection = server.connection;
      stopServer = () => server.stop();
    }
  }
  const pool = new pg.Pool({ ...connection, max: 10, idleTimeoutMillis: 30_000, application_name: 'harbour' });
  pool.on('error', (e) => log.error({ err: e.message }, 'database connection error'));
  const db = new Database(pool, kind);
  try {
    if (opts.migrate !== false) await migrate(db, log);
  } catch (e) {
    await pool.end();
    await stopServer();
    throw e;
  }
  // Closing twice (a signal while a command's own cleanup runs) closes once.
  let closing: Promise<void> | null = null;
  return {
    db,
    close() {
      closing ??= (async () => {
        await pool.end();
        await stopServer();
      })();
      return closing;
    },
  };
}
