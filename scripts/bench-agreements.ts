// npm run bench:agreements: a school of 1,500 pupils and 2,500 parents and carers (with 80
// staff and governors), most of them signed; times the compliance view, the register and its
// CSV export, and the JSON API, each through the real app. The target is under 500 ms each.
// The last line is one JSON object of named figures in milliseconds.
import { benchDatabase, seedAgreementsSchool } from './bench-support';

const pupils = Number(process.env.BENCH_PUPILS ?? 1500);
const parents = Number(process.env.BENCH_PARENTS ?? 2500);
const runs = 7;
const database = await benchDatabase('agreements');

const figures: Record<string, number> = {};
try {
  const { testApp, makeSchool, signedIn, closeTestDb } = await import('../src/testing/harness');
  const t = await testApp();
  const school = await makeSchool(t.db, 'Bench Primary');
  const db = t.db;
  let started = performance.now();
  await seedAgreementsSchool(db, school.id, pupils, parents);
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
  await database.release();
}
console.log(JSON.stringify(figures));
