// npm run bench:parent-links: the school of bench-agreements (1,500 pupils, 2,500
// parents and carers, about three quarters of the parents' agreements signed), then a version of
// the parents' agreement that changes the meaning. Times the publish request (which only records
// that links are owed), the parents' page while links are owed, the jobs sending every owed link
// in batches to the file outbox, and a second run with nothing owed.
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
const dataDir = process.env.DATABASE_URL ? null : join(tmpdir(), `harbour-bench-parent-links-${process.pid}`);
let stop = async () => {};
let admin: pg.PoolConfig;
if (dataDir) {
  const server = await startEmbeddedPostgres(dataDir, log);
  admin = { ...server.connection, database: 'postgres' };
  stop = async () => { await server.stop(); rmSync(dataDir, { recursive: true, force: true }); };
} else {
  admin = { connectionString: process.env.DATABASE_URL };
}
const dbName = `harbour_bench_links_${process.pid}`;
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
  await db.query('analyze');
  figures.seed_ms = Math.round(performance.now() - started);
  const { createMailer } = await import('../src/platform/mail/mailer');
  const { mkdtempSync, readdirSync } = await import('node:fs');
  const { runOwedParentLinks, owedParentLinks } = await import('../src/modules/agreements/renewal');
  const head = await signedIn(t.app, school.personas.headteacher);
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const round = (n: number) => Math.round(n * 10) / 10;

  started = performance.now();
  const pub = await head.post(`/agreements/manage/${pa.id}/publish`, { title: pa.title, body: `${pa.body}\n\n- A new point.`, change: 'meaning' }, { from: `/agreements/manage/${pa.id}` });
  figures.publish_request_ms = round(performance.now() - started);
  if (pub.statusCode !== 303) throw new Error(`publish answered ${pub.statusCode}`);
  const owed = (await owedParentLinks(db, school.id))!;
  console.log(`publish request: ${figures.publish_request_ms} ms; ${owed.stillToSend} parents owed a link`);

  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    started = performance.now();
    const res = await head.get('/agreements/parents');
    ms.push(performance.now() - started);
    if (res.statusCode !== 200 || !res.body.includes('still to send')) throw new Error('parents page did not show the links owed');
  }
  figures.parents_page_owed_median_ms = round(median(ms));
  console.log(`parents' page with links owed: median ${figures.parents_page_owed_median_ms} ms (${runs} runs)`);

  const outboxDir = mkdtempSync(join(tmpdir(), 'harbour-bench-outbox-'));
  const mailer = createMailer({ from: 'Harbour <harbour@test>', outboxDir });
  started = performance.now();
  const r = await runOwedParentLinks(db, mailer, 'http://harbour.test', { schoolId: school.id });
  figures.send_all_owed_ms = Math.round(performance.now() - started);
  figures.links_sent = r.sent;
  figures.per_link_ms = round(figures.send_all_owed_ms / Math.max(1, r.sent));
  const emails = readdirSync(outboxDir).filter((f) => f.endsWith('.json')).length;
  if (emails !== owed.stillToSend || r.sent !== emails) throw new Error(`sent ${r.sent}, outbox ${emails}, owed ${owed.stillToSend}`);
  console.log(`jobs sent ${r.sent} links in ${figures.send_all_owed_ms} ms (${figures.per_link_ms} ms a link)`);
  started = performance.now();
  const again = await runOwedParentLinks(db, mailer, 'http://harbour.test', { schoolId: school.id });
  figures.second_run_ms = round(performance.now() - started);
  if (again.sent !== 0) throw new Error('the second run sent links');
  started = performance.now();
  await runOwedParentLinks(db, mailer, 'http://harbour.test');
  figures.nothing_owed_check_ms = round(performance.now() - started);
  console.log(`second run: ${figures.second_run_ms} ms, nothing sent; the every-minute check with nothing owed: ${figures.nothing_owed_check_ms} ms`);
  rmSync(outboxDir, { recursive: true, force: true });
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
