// npm run bench:parent-links: the school of bench-agreements (1,500 pupils, 2,500
// parents and carers, about three quarters of the parents' agreements signed), then a version of
// the parents' agreement that changes the meaning. Times the publish request (which only records
// that links are owed), the parents' page while links are owed, the jobs sending every owed link
// in batches to the file outbox, and a second run with nothing owed.
// The last line is one JSON object of named figures in milliseconds.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { benchDatabase, seedAgreementsSchool } from './bench-support';

const pupils = Number(process.env.BENCH_PUPILS ?? 1500);
const parents = Number(process.env.BENCH_PARENTS ?? 2500);
const runs = 7;
const database = await benchDatabase('parent_links');

const figures: Record<string, number> = {};
try {
  const { testApp, makeSchool, signedIn, closeTestDb } = await import('../src/testing/harness');
  const { agreementForAudience } = await import('../src/modules/agreements/service');
  const t = await testApp();
  const school = await makeSchool(t.db, 'Bench Primary');
  const db = t.db;
  let started = performance.now();
  await seedAgreementsSchool(db, school.id, pupils, parents);
  figures.seed_ms = Math.round(performance.now() - started);
  const pa = (await agreementForAudience(db, school.id, 'parents'))!;
  const { createMailer } = await import('../src/platform/mail/mailer');
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
  await database.release();
}
console.log(JSON.stringify(figures));
