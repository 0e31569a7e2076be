// npm run bench:agreements: a school of 1,500 pupils and 2,500 parents and carers (with 80
// staff and governors), most of them signed; times the compliance view, the register and its
// CSV export, and the JSON API, each through the real app. The target is under 500 ms each.
// The last line is one JSON object of named figures in milliseconds.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { createLogger } from '../src/platform/logger';
import { startEmbeddedPostgres } from '../src/platform/db/embedded';
import { Database } from '../src/platform/db/database';
import { migrate } from '../src/platform/db/migrate';

const pupils = Number(process.env.BENCH_PUPILS ?? 1500);
const parents = Number(process.env.BENCH_PARENTS ?? 2500);
const runs = 7;
const log = createLogger('warn');
const dataDir = process.env.DATABASE_URL ? null : join(tmpdir(), `harbour-bench-agreements-${process.pid}`);
let stop = async () => {};
let admin: pg.PoolConfig;
if (dataDir) {
  const server = await startEmbeddedPostgres(dataDir, log);
  admin = { ...server.connection, database: 'postgres' };
  stop = async () => { await server.stop(); rmSync(dataDir, { recursive: true, force: true }); };
} else {
  admin = { connectionString: process.env.DATABASE_URL };
}
const dbName = `harbour_bench_${process.pid}`;
const adminClient = new pg.Client(admin);
await adminClient.connect();
await adminClient.query(`create database ${dbName}`);
const conn: pg.PoolConfig = admin.connectionString ? { connectionString: Object.assign(new URL(admin.connectionString), { pathname: `/${dbName}` }).toString() } : { ...admin, database: dbName };
const setupPool = new pg.Pool(conn);
await migrate(new Database(setupPool, 'external'), log);
await setupPool.end();
process.env.HARBOUR_TEST_DB = JSON.stringify(conn);

const figures: Record<string, number> = {};
try {
  const { testApp, makeSchool, signedIn, closeTestDb } = await import('../src/testing/harness');
  const { agreementForAudience } = await import('../src/modules/agreements/service');
  const t = await testApp();
  const school = await makeSchool(t.db, 'Bench Primary');
  const db = t.db;
  let started = performance.now();
  // Pupils in 7 year groups (R to 6) of 2 classes each; parents share children across families.
  const years = ['R', '1', '2', '3', '4', '5', '6'];
  await db.query(
    `insert into people (school_id, kind, given_name, family_name, year_group, class_name, upn)
     select $1, 'pupil', 'Pupil' || i, 'Bench' || (i % 97), y, y || (case when i % 2 = 0 then 'A' else 'B' end), 'B' || lpad(i::text, 12, '0')
       from generate_series(1, $2) i, lateral (select ($3::text[])[1 + (i % 7)] as y) yy`, [school.id, pupils, years]);
  await db.query(
    `insert into people (school_id, kind, given_name, family_name, email)
     select $1, 'parent', 'Carer' || i, 'Bench' || (i % 97), 'carer' || i || '@bench.test' from generate_series(1, $2) i`, [school.id, parents]);
  await db.query(
    `insert into people (school_id, kind, given_name, family_name, email) select $1, case when i <= 70 then 'staff' else 'governor' end, 'Staff' || i, 'Bench', 'staff' || i || '@bench.test' from generate_series(1, 80) i`, [school.id]);
  // Each pupil has one or two parents: parents 1..pupils for every child, the rest as second carers.
  await db.query(
    `insert into guardianships (school_id, parent_id, child_id)
     select $1, par.id, pup.id from
       (select id, row_number() over (order by id) as n from people where school_id = $1 and kind = 'parent') par
       join (select id, row_number() over (order by id) as n from people where school_id = $1 and kind = 'pupil') pup
         on pup.n = par.n or pup.n = par.n - $2
     on conflict do nothing`, [school.id, pupils]);
  // About 70% signed: parents for their children, pupils in class, staff in Harbour.
  const sign = async (audience: string, where: string) => {
    const a = (await agreementForAudience(db, school.id, audience as any))!;
    await db.query(
      `insert into agreement_signatures (school_id, agreement_id, version_id, text_sha256, signer_id, subject_id, signed_name, method)
       select $1, $2, $3, $4, p.id, p.id, p.given_name || ' ' || p.family_name, 'class' from people p where p.school_id = $1 and ${where}
       on conflict do nothing`, [school.id, a.id, a.version_id, a.body_sha256]);
  };
  await sign('eyfs_ks1', `p.kind = 'pupil' and p.year_group in ('R', '1', '2') and random() < 0.7`);
  await sign('ks2', `p.kind = 'pupil' and p.year_group in ('3', '4', '5', '6') and random() < 0.7`);
  await sign('staff_governors', `p.kind in ('staff', 'governor') and random() < 0.8`);
  const pa = (await agreementForAudience(db, school.id, 'parents'))!;
  await db.query(
    `insert into agreement_signatures (school_id, agreement_id, version_id, text_sha256, signer_id, subject_id, signed_name, method)
     select distinct on (g.child_id) $1, $2, $3, $4, g.parent_id, g.child_id, 'Carer', 'link' from guardianships g where g.school_id = $1 and random() < 0.75
     on conflict do nothing`, [school.id, pa.id, pa.version_id, pa.body_sha256]);
  await db.query(
    `insert into technology_access_decisions (school_id, person_id, status, reason_kind, ends_on)
     select $1, id, case when random() < 0.5 then 'withdrawn' else 'restricted' end, 'incident_sanction', current_date + 30 from people where school_id = $1 and kind = 'pupil' and random() < 0.02`, [school.id]);
  await db.query('analyze');
  figures.seed_ms = Math.round(performance.now() - started);
  const counts = (await db.query(`select kind, count(*)::int as n from people where school_id = $1 group by kind order by kind`, [school.id])).rows;
  console.log(`seeded in ${figures.seed_ms} ms: ${counts.map((c: any) => `${c.n} ${c.kind}`).join(', ')}; ${(await db.query('select count(*)::int as n from agreement_signatures where school_id = $1', [school.id])).rows[0].n} signatures`);

  const head = await signedIn(t.app, school.personas.headteacher);
  const { createApiKey } = await import('../src/platform/api/keys');
  const { systemActor } = await import('../src/platform/audit/audit');
  const key = await createApiKey(db, school.id, 'bench', ['technology-access:read'], systemActor, null);
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const time = async (name: string, fn: () => Promise<{ statusCode: number; body: string }>) => {
    const ms: number[] = [];
    let size = 0;
    for (let i = 0; i < runs; i++) {
      started = performance.now();
      const res = await fn();
      ms.push(performance.now() - started);
      if (res.statusCode !== 200) throw new Error(`${name} answered ${res.statusCode}`);
      size = res.body.length;
    }
    figures[`${name}_median_ms`] = Math.round(median(ms) * 10) / 10;
    figures[`${name}_max_ms`] = Math.round(Math.max(...ms) * 10) / 10;
    console.log(`${name.padEnd(26)} median ${median(ms).toFixed(1)} ms, slowest ${Math.max(...ms).toFixed(1)} ms (${runs} runs, ${Math.round(size / 1024)} KB)`);
  };
  await time('compliance_staff', () => head.get('/agreements/compliance'));
  await time('compliance_parents', () => head.get('/agreements/compliance?audience=parents'));
  await time('compliance_ks2', () => head.get('/agreements/compliance?audience=ks2'));
  await time('register_page', () => head.get('/technology-access'));
  await time('register_csv', () => head.get('/technology-access/export.csv'));
  await time('api_technology_access', () => t.app.inject({ method: 'GET', url: '/api/v1/technology-access', headers: { authorization: `Bearer ${key.key}` } }));
  const slowest = Math.max(figures.compliance_staff_median_ms, figures.compliance_parents_median_ms, figures.compliance_ks2_median_ms, figures.register_csv_median_ms);
  console.log(`\ncompliance view and CSV export: slowest median ${slowest} ms (target under 500 ms): ${slowest < 500 ? 'met' : 'NOT met'}`);
  figures.pupils = pupils;
  figures.parents = parents;
  await t.close();
  await closeTestDb();
} finally {
  await adminClient.query(`drop database if exists ${dbName} with (force)`).catch(() => undefined);
  await adminClient.end();
  await stop();
}
console.log(JSON.stringify(figures));
