// What the database benchmarks share: a fresh database to seed (in a throwaway embedded
// PostgreSQL, or on DATABASE_URL's server), migrated and handed to the test harness through
// HARBOUR_TEST_DB; and the school of bench:agreements and bench:parent-links (1,500 pupils, 2,500
// parents and carers, 80 staff and governors, most agreements signed).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { createLogger } from '../src/platform/logger';
import { startEmbeddedPostgres } from '../src/platform/db/embedded';
import { Database } from '../src/platform/db/database';
import { migrate } from '../src/platform/db/migrate';

/** Creates and migrates a database for one benchmark; release() drops it and stops any server started. */
export async function benchDatabase(name: string): Promise<{ release(): Promise<void> }> {
  const log = createLogger('warn');
  const dataDir = process.env.DATABASE_URL ? null : join(tmpdir(), `harbour-bench-${name}-${process.pid}`);
  let stop = async () => {};
  let admin: pg.PoolConfig;
  if (dataDir) {
    const server = await startEmbeddedPostgres(dataDir, log);
    admin = { ...server.connection, database: 'postgres' };
    stop = async () => { await server.stop(); rmSync(dataDir, { recursive: true, force: true }); };
  } else {
    admin = { connectionString: process.env.DATABASE_URL };
  }
  const dbName = `harbour_bench_${name.replace(/[^a-z0-9]/g, '_')}_${process.pid}`;
  const adminClient = new pg.Client(admin);
  await adminClient.connect();
  await adminClient.query(`create database ${dbName}`);
  const conn: pg.PoolConfig = admin.connectionString ? { connectionString: Object.assign(new URL(admin.connectionString), { pathname: `/${dbName}` }).toString() } : { ...admin, database: dbName };
  const setupPool = new pg.Pool(conn);
  await migrate(new Database(setupPool, 'external'), log);
  await setupPool.end();
  process.env.HARBOUR_TEST_DB = JSON.stringify(conn);
  return {
    async release() {
      await adminClient.query(`drop database if exists ${dbName} with (force)`).catch(() => undefined);
      await adminClient.end();
      await stop();
    },
  };
}

type Db = { query: (sql: string, params?: unknown[]) => Promise<unknown> };

/**
 * Seeds the agreements benchmarks' school: pupils in 7 year groups (R to 6) of 2 classes each,
 * parents sharing children across families, 70 staff and 10 governors; about 70% of pupils,
 * 80% of staff and 75% of children's parents signed.
 */
export async function seedAgreementsSchool(db: Db, schoolId: string, pupils: number, parents: number) {
  const { agreementForAudience } = await import('../src/modules/agreements/service');
  const years = ['R', '1', '2', '3', '4', '5', '6'];
  await db.query(
    `insert into people (school_id, kind, given_name, family_name, year_group, class_name, upn)
     select $1, 'pupil', 'Pupil' || i, 'Bench' || (i % 97), y, y || (case when i % 2 = 0 then 'A' else 'B' end), 'B' || lpad(i::text, 12, '0')
       from generate_series(1, $2) i, lateral (select ($3::text[])[1 + (i % 7)] as y) yy`, [schoolId, pupils, years]);
  await db.query(
    `insert into people (school_id, kind, given_name, family_name, email)
     select $1, 'parent', 'Carer' || i, 'Bench' || (i % 97), 'carer' || i || '@bench.test' from generate_series(1, $2) i`, [schoolId, parents]);
  await db.query(
    `insert into people (school_id, kind, given_name, family_name, email) select $1, case when i <= 70 then 'staff' else 'governor' end, 'Staff' || i, 'Bench', 'staff' || i || '@bench.test' from generate_series(1, 80) i`, [schoolId]);
  // Each pupil has one or two parents: parents 1..pupils for every child, the rest as second carers.
  await db.query(
    `insert into guardianships (school_id, parent_id, child_id)
     select $1, par.id, pup.id from
       (select id, row_number() over (order by id) as n from people where school_id = $1 and kind = 'parent') par
       join (select id, row_number() over (order by id) as n from people where school_id = $1 and kind = 'pupil') pup
         on pup.n = par.n or pup.n = par.n - $2
     on conflict do nothing`, [schoolId, pupils]);
  const sign = async (audience: string, where: string) => {
    const a = (await agreementForAudience(db as any, schoolId, audience as any))!;
    await db.query(
      `insert into agreement_signatures (school_id, agreement_id, version_id, text_sha256, signer_id, subject_id, signed_name, method)
       select $1, $2, $3, $4, p.id, p.id, p.given_name || ' ' || p.family_name, 'class' from people p where p.school_id = $1 and ${where}
       on conflict do nothing`, [schoolId, a.id, a.version_id, a.body_sha256]);
  };
  await sign('eyfs_ks1', `p.kind = 'pupil' and p.year_group in ('R', '1', '2') and random() < 0.7`);
  await sign('ks2', `p.kind = 'pupil' and p.year_group in ('3', '4', '5', '6') and random() < 0.7`);
  await sign('staff_governors', `p.kind in ('staff', 'governor') and random() < 0.8`);
  const pa = (await agreementForAudience(db as any, schoolId, 'parents'))!;
  await db.query(
    `insert into agreement_signatures (school_id, agreement_id, version_id, text_sha256, signer_id, subject_id, signed_name, method)
     select distinct on (g.child_id) $1, $2, $3, $4, g.parent_id, g.child_id, 'Carer', 'link' from guardianships g where g.school_id = $1 and random() < 0.75
     on conflict do nothing`, [schoolId, pa.id, pa.version_id, pa.body_sha256]);
  await db.query('analyze');
}
