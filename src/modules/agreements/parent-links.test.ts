// Parents' links owed after a version of the parents' agreement that changes the meaning:
// recorded at publish, sent by the agreements jobs in batches, one per parent and version.
import { test, after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client, closeTestDb, makeSchool, readOutbox, testApp, uniqueEmail, type Persona, type TestApp, type TestSchool } from '../../testing/harness';
import { addPerson, linkGuardian } from '../schools/service';
import { systemActor } from '../../platform/audit/audit';
import { createMailer, type Mailer } from '../../platform/mail/mailer';
import { agreementForAudience, publishVersion, recordSignature } from './service';
import { owedParentLinks, pupilsWithoutParentEmail, runDueAgreementJobs, runOwedParentLinks } from './renewal';
import { startAgreementScheduler } from './scheduler';

let t: TestApp;
before(async () => {
  t = await testApp();
});
after(async () => {
  await t.close();
  await closeTestDb();
});

let ipCounter = 0;
async function signedIn(p: Persona): Promise<Client> {
  const ip = `198.51.100.${150 + ++ipCounter}`;
  return new Client({ inject: (opts: any) => t.app.inject({ ...opts, headers: { ...(opts.headers ?? {}), 'x-forwarded-for': ip } }) } as any).signIn(p);
}
const q = async (sql: string, params: unknown[] = []) => (await t.db.query(sql, params)).rows;
const baseUrl = 'http://harbour.test';
const outboxMailer = (): { mailer: Mailer; dir: string } => {
  const dir = `${t.outboxDir}-${randomUUID().slice(0, 6)}`;
  return { mailer: createMailer({ from: 'Harbour <harbour@test>', outboxDir: dir }), dir };
};
const sent = (dir: string) => { try { return readOutbox(dir); } catch { return []; } };
const failing: Mailer = { send: async () => { throw new Error('smtp down'); } };
const countTo = (dir: string, email: string) => sent(dir).filter((m) => m.to === email).length;

/** A parent (with an email address unless told otherwise) of new pupils in class 3A. */
async function family(s: TestSchool, surname: string, children: string[], email: string | null = uniqueEmail('carer')) {
  const parent = await addPerson(t.db, s.id, { kind: 'parent', given_name: 'Carer', family_name: surname, email });
  const kids: string[] = [];
  for (const given of children) {
    const child = await addPerson(t.db, s.id, { kind: 'pupil', given_name: given, family_name: surname, year_group: '3', class_name: '3A' });
    await linkGuardian(t.db, s.id, parent, child);
    kids.push(child);
  }
  return { parent, email, kids };
}

async function publishParents(s: TestSchool, changesMeaning: boolean, extra = '- A new point for families.') {
  const a = (await agreementForAudience(t.db, s.id, 'parents'))!;
  return t.db.transaction((tx) => publishVersion(tx, s.id, a.id, { title: a.title, body: `${a.body}\n\n${extra}`, changesMeaning }, systemActor, null));
}

describe("a version of the parents' agreement that changes the meaning", () => {
  test('publishing sends nothing itself; the jobs send each parent who still has a child to sign for exactly one link, in batches, and never twice', async () => {
    const s = await makeSchool(t.db);
    const twoChildren = await family(s, 'Trevail', ['Morvoren', 'Jenna']);
    const signedBefore = await family(s, 'Rowe', ['Tamsin']);
    const noAddress = await family(s, 'Pascoe', ['Demelza'], null);
    const signsNewVersion = await family(s, 'Nance', ['Loveday']);
    const parents = (await agreementForAudience(t.db, s.id, 'parents'))!;
    // Current on version 1 until the new version changes the meaning.
    await recordSignature(t.db, s.id, { agreementId: parents.id, signerId: signedBefore.parent, subjectId: signedBefore.kids[0], signedName: 'Carer Rowe', method: 'paper' }, systemActor);

    const lead = await signedIn(s.personas.headteacher);
    const appOutboxBefore = sent(t.outboxDir).length;
    const res = await lead.post(`/agreements/manage/${parents.id}/publish`, { title: parents.title, body: `${parents.body}\n\n- We talk with our child about AI chat tools.`, change: 'meaning' }, { from: `/agreements/manage/${parents.id}` });
    assert.equal(res.statusCode, 303);
    const confirmation = await lead.get(`/agreements/manage/${parents.id}`);
    assert.match(confirmation.body, /will be emailed their personal links shortly/);
    const parentEmails = [twoChildren.email!, signedBefore.email!, signsNewVersion.email!];
    assert.equal(sent(t.outboxDir).slice(appOutboxBefore).filter((m) => parentEmails.includes(m.to)).length, 0, 'publishing itself emails no parent');
    const [run] = await q('select version_id, finished_at from agreement_resign_runs where school_id = $1', [s.id]);
    assert.equal(run.version_id, (await agreementForAudience(t.db, s.id, 'parents'))!.version_id, 'the links owed are recorded against the new version');
    assert.equal(run.finished_at, null);

    // One family signs the new version (on paper) before the job runs: they are owed nothing now.
    await recordSignature(t.db, s.id, { agreementId: parents.id, signerId: signsNewVersion.parent, subjectId: signsNewVersion.kids[0], signedName: 'Carer Nance', method: 'paper' }, systemActor);
    assert.deepEqual(await owedParentLinks(t.db, s.id), { versionNumber: 2, stillToSend: 2 });
    const page = await lead.get('/agreements/parents');
    assert.match(page.body, /id="links-owed"[^]*?<strong>2 still to send\.<\/strong>/);

    const { mailer, dir } = outboxMailer();
    // Batches of one: the job keeps going until everyone owed a link has one.
    const first = await runOwedParentLinks(t.db, mailer, baseUrl, { schoolId: s.id, batchSize: 1 });
    assert.deepEqual(first, { sent: 2, failed: 0 });
    assert.equal(countTo(dir, twoChildren.email!), 1, 'a parent of two children gets one link');
    assert.equal(countTo(dir, signedBefore.email!), 1, 'a parent whose signature is of the old version gets one');
    assert.equal(countTo(dir, signsNewVersion.email!), 0, 'a parent who has signed the new version gets none');
    assert.equal(sent(dir).length, 2);
    for (const m of sent(dir)) {
      assert.match(m.subject, /Please sign .*acceptable use agreement/, "the parents' link email");
      assert.match(m.text, new RegExp(`${baseUrl}/parents/sign/[A-Za-z0-9_-]{43}`));
      for (const name of ['Morvoren', 'Jenna', 'Tamsin', 'Trevail', 'Rowe']) assert.ok(!m.text.includes(name) && !m.subject.includes(name), `no name (${name}) in an email`);
    }
    // The link works, for every child of the parent.
    const token = sent(dir).find((m) => m.to === twoChildren.email)!.text.match(/\/parents\/sign\/([A-Za-z0-9_-]{43})/)![1];
    const linkPage = await t.app.inject({ method: 'GET', url: `/parents/sign/${token}` });
    assert.equal(linkPage.statusCode, 200);
    assert.match(linkPage.body, /Morvoren/);
    assert.match(linkPage.body, /Jenna/);

    // Running the jobs again (and the whole job set) sends nothing twice.
    assert.deepEqual(await runOwedParentLinks(t.db, mailer, baseUrl, { schoolId: s.id }), { sent: 0, failed: 0 });
    const again = await runDueAgreementJobs(t.db, mailer, baseUrl, new Date(), { schoolId: s.id });
    assert.equal(again.parentLinksSent, 0);
    assert.equal(sent(dir).length, 2);
    const [done] = await q('select finished_at, sent, failed from agreement_resign_runs where school_id = $1', [s.id]);
    assert.ok(done.finished_at, 'the run is closed once everyone has been sent a link');
    assert.deepEqual([done.sent, done.failed], [2, 0]);
    assert.equal(await owedParentLinks(t.db, s.id), null);
    assert.ok(!(await lead.get('/agreements/parents')).body.includes('links-owed'), 'the parents page no longer says links are still to send');

    // The parent with no address is on the class teacher's list instead, and was never emailed.
    assert.ok((await pupilsWithoutParentEmail(t.db, s.id, '3A')).some((p) => p.id === noAddress.kids[0]));
    const [{ n }] = await q('select count(*)::int as n from agreement_links where school_id = $1 and parent_id = $2', [s.id, noAddress.parent]);
    assert.equal(n, 0);

    // Audited with counts only.
    const audits = await q(`select detail from audit_events where school_id = $1 and action = 'agreements.parent_links_sent' order by seq`, [s.id]);
    assert.ok(audits.length >= 1);
    assert.equal(audits.reduce((sum: number, a: any) => sum + a.detail.sent, 0), 2);
    assert.deepEqual(Object.keys(audits[0].detail).sort(), ['failed', 'finished', 'sent', 'versionId']);
    assert.ok(!JSON.stringify(audits).includes('@') && !JSON.stringify(audits).includes('Trevail'), 'no address or name in the audit');
  });

  test('a parent who asked the school to explain the new version to their child is not sent a link for that child', async () => {
    const s = await makeSchool(t.db);
    const asking = await family(s, 'Bolitho', ['Jenefer']);
    const other = await family(s, 'Angwin', ['Treeve']);
    await publishParents(s, true);
    // Before the jobs ran, the parent answered (with an earlier link) that the school should explain it.
    const v2 = (await agreementForAudience(t.db, s.id, 'parents'))!;
    await t.db.query(`insert into agreement_explain_requests (school_id, agreement_id, version_id, parent_id, child_id) values ($1, $2, $3, $4, $5)`,
      [s.id, v2.id, v2.version_id, asking.parent, asking.kids[0]]);
    const { mailer, dir } = outboxMailer();
    await runOwedParentLinks(t.db, mailer, baseUrl, { schoolId: s.id });
    assert.equal(countTo(dir, asking.email!), 0, 'followed up through the explain-requests list instead');
    assert.equal(countTo(dir, other.email!), 1);
  });

  test('a correction owes no links and the jobs send none', async () => {
    const s = await makeSchool(t.db);
    const f = await family(s, 'Hocking', ['Wenna']);
    await publishParents(s, false, 'A spelling fixed.');
    assert.equal((await q('select count(*)::int as n from agreement_resign_runs where school_id = $1', [s.id]))[0].n, 0);
    const { mailer, dir } = outboxMailer();
    const r = await runDueAgreementJobs(t.db, mailer, baseUrl, new Date(), { schoolId: s.id });
    assert.equal(r.parentLinksSent, 0);
    assert.equal(countTo(dir, f.email!), 0);
    assert.equal(await owedParentLinks(t.db, s.id), null);
  });

  test("a new version of another audience's agreement owes parents nothing", async () => {
    const s = await makeSchool(t.db);
    await family(s, 'Jago', ['Kerra']);
    const staff = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    await t.db.transaction((tx) => publishVersion(tx, s.id, staff.id, { title: staff.title, body: `${staff.body}\n\n- New rule.`, changesMeaning: true }, systemActor, null));
    assert.equal((await q('select count(*)::int as n from agreement_resign_runs where school_id = $1', [s.id]))[0].n, 0);
  });

  test('an email that fails is recorded on the link, shown on the parents page and can be sent again; the jobs do not send it twice', async () => {
    const s = await makeSchool(t.db);
    const f = await family(s, 'Angove', ['Elowen']);
    await publishParents(s, true);
    assert.deepEqual(await runOwedParentLinks(t.db, failing, baseUrl, { schoolId: s.id }), { sent: 0, failed: 1 });
    const [link] = await q('select id, email_status from agreement_links where school_id = $1 and parent_id = $2', [s.id, f.parent]);
    assert.equal(link.email_status, 'failed');
    const [rcpt] = await q('select status, link_id from agreement_resign_recipients where school_id = $1 and parent_id = $2', [s.id, f.parent]);
    assert.deepEqual([rcpt.status, rcpt.link_id], ['failed', link.id]);
    assert.equal((await q(`select count(*)::int as n from audit_events where school_id = $1 and action = 'agreement_link.email_failed' and record_id = $2`, [s.id, link.id]))[0].n, 1);

    const { mailer, dir } = outboxMailer();
    assert.deepEqual(await runOwedParentLinks(t.db, mailer, baseUrl, { schoolId: s.id }), { sent: 0, failed: 0 }, 'the jobs never send a second link for the same version');
    assert.equal(countTo(dir, f.email!), 0);

    const lead = await signedIn(s.personas.headteacher);
    const page = await lead.get('/agreements/parents');
    assert.match(page.body, /1 email could not be sent/);
    assert.match(page.body, /Email failed/);
    assert.match(page.body, new RegExp(`/agreements/parents/${f.parent}/send`));
    const before = countTo(t.outboxDir, f.email!);
    const res = await lead.post(`/agreements/parents/${f.parent}/send`, {}, { from: '/agreements/parents' });
    assert.equal(res.statusCode, 303);
    assert.equal(countTo(t.outboxDir, f.email!), before + 1, 'sent again by hand');
    assert.ok(!(await lead.get('/agreements/parents')).body.includes('Email failed'));
  });

  test('runs at the same time (the server and cron) still send each parent one link', async () => {
    const s = await makeSchool(t.db);
    const fams = [];
    for (const n of ['Kitto', 'Bolitho', 'Chenoweth', 'Penrose', 'Tregear']) fams.push(await family(s, n, [`${n} child`]));
    await publishParents(s, true);
    const { mailer, dir } = outboxMailer();
    const results = await Promise.all([1, 2, 3].map(() => runOwedParentLinks(t.db, mailer, baseUrl, { schoolId: s.id, batchSize: 2 })));
    assert.equal(results.reduce((n, r) => n + r.sent, 0), 5);
    for (const f of fams) assert.equal(countTo(dir, f.email!), 1);
  });

  test('two new versions before the jobs run: each parent gets one link, for the newer', async () => {
    const s = await makeSchool(t.db);
    const f = await family(s, 'Lanyon', ['Gwen']);
    await publishParents(s, true, '- First change.');
    await publishParents(s, true, '- Second change.');
    const { mailer, dir } = outboxMailer();
    assert.deepEqual(await runOwedParentLinks(t.db, mailer, baseUrl, { schoolId: s.id }), { sent: 1, failed: 0 });
    assert.equal(countTo(dir, f.email!), 1);
    const runs = await q(`select v.number, r.finished_at is not null as finished, (select count(*)::int from agreement_resign_recipients x where x.run_id = r.id) as recipients
                            from agreement_resign_runs r join agreement_versions v on v.id = r.version_id where r.school_id = $1 order by v.number`, [s.id]);
    assert.deepEqual(runs, [{ number: 2, finished: true, recipients: 0 }, { number: 3, finished: true, recipients: 1 }]);
  });

  test('the scheduler looks for owed links every minute, apart from the longer job interval', async () => {
    const s = await makeSchool(t.db);
    const f = await family(s, 'Opie', ['Jowan']);
    await publishParents(s, true);
    const { mailer, dir } = outboxMailer();
    const logged: unknown[] = [];
    const stop = startAgreementScheduler({ db: t.db, mailer, baseUrl, log: { info: (o: unknown) => logged.push(o), error: (o: unknown) => logged.push(o) }, firstAfterMs: 60_000, everyMs: 60_000, linksEveryMs: 50, schoolId: s.id });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && countTo(dir, f.email!) === 0) await new Promise((r) => setTimeout(r, 50));
    await stop();
    assert.equal(countTo(dir, f.email!), 1);
    assert.ok(logged.some((o: any) => o.parentLinksSent === 1));
    assert.ok(!JSON.stringify(logged).includes('@'), 'no email address is logged');
  });
});
