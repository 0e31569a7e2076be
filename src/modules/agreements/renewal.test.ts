import { test, after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { Client, closeTestDb, makeSchool, readOutbox, testApp, uniqueEmail, type Persona, type TestApp, type TestSchool } from '../../testing/harness';
import { addPerson, linkGuardian } from '../schools/service';
import { schoolScope } from '../../platform/db/scope';
import { systemActor } from '../../platform/audit/audit';
import { createMailer, type Mailer } from '../../platform/mail/mailer';
import { agreementForAudience, compliance, publishVersion, recordSignature } from './service';
import { emailStaffToResign, failedChasers, nextRenewalOn, runDueAgreementJobs, runOwedRenewalReminders, saveRenewalSettings } from './renewal';
import { startAgreementScheduler } from './scheduler';
import { connectionUrl } from '../../platform/db/scratch-database';

let t: TestApp;
before(async () => {
  t = await testApp();
});
after(async () => {
  await t.close();
  await closeTestDb();
});

let ipCounter = 0;
/** A browser of its own address (sign-in is rate limited per address). */
async function signedIn(p: Persona): Promise<Client> {
  const ip = `198.51.100.${100 + ++ipCounter}`;
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

describe('paper signatures', () => {
  let s: TestSchool;
  let pupil: string;
  let parent: string;
  before(async () => {
    s = await makeSchool(t.db);
    pupil = await addPerson(t.db, s.id, { kind: 'pupil', given_name: 'Kerensa', family_name: 'Polglaze', year_group: '4', class_name: '4A' });
    parent = await addPerson(t.db, s.id, { kind: 'parent', given_name: 'Jory', family_name: 'Polglaze' });
    await linkGuardian(t.db, s.id, parent, pupil);
  });

  test('a paper entry with missing or wrong fields is refused naming each field, and keeps what was typed', async () => {
    const lead = await signedIn(s.personas.headteacher);
    const page = await lead.get(`/agreements/paper/${pupil}`);
    assert.equal(page.statusCode, 200);
    const res = await lead.post(`/agreements/paper/${pupil}`, { version: '', signed_name: 'Jory Polglaze', signed_on: '2026-02-30' }, { from: `/agreements/paper/${pupil}` });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /href="#version"/);
    assert.match(res.body, /href="#signer"/);
    assert.match(res.body, /href="#signed_on"/);
    assert.match(res.body, /value="Jory Polglaze"/);
    assert.match(res.body, /value="2026-02-30"/);
    // The parents' agreement signed by the pupil: the signer is named as the problem.
    const parents = (await agreementForAudience(t.db, s.id, 'parents'))!;
    const wrong = await lead.post(`/agreements/paper/${pupil}`, { version: parents.version_id, signer: pupil, signed_name: 'Kerensa Polglaze', signed_on: new Date().toISOString().slice(0, 10) }, { from: `/agreements/paper/${pupil}` });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /href="#signer"[^>]*>For the parents&#39; agreement, choose the parent or carer who signed/);
    const future = await lead.post(`/agreements/paper/${pupil}`, { version: parents.version_id, signer: parent, signed_name: 'Jory Polglaze', signed_on: '2099-01-01' }, { from: `/agreements/paper/${pupil}` });
    assert.equal(future.statusCode, 400);
    assert.match(future.body, /href="#signed_on"[^>]*>The date on the paper cannot be in the future/);
    const [{ n }] = await q('select count(*)::int as n from agreement_signatures where school_id = $1 and subject_id = $2', [s.id, pupil]);
    assert.equal(n, 0);
  });

  test("a parent's paper signature records who, for whom, which version, the date on the paper and who entered it, audited; entering it twice makes one", async () => {
    const lead = await signedIn(s.personas.headteacher);
    const parents = (await agreementForAudience(t.db, s.id, 'parents'))!;
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());
    const form = { version: parents.version_id, signer: parent, signed_name: 'Jory Polglaze', signed_on: today };
    const res = await lead.post(`/agreements/paper/${pupil}`, form, { from: `/agreements/paper/${pupil}` });
    assert.equal(res.statusCode, 303);
    const again = await lead.post(`/agreements/paper/${pupil}`, form, { from: `/agreements/paper/${pupil}` });
    assert.equal(again.statusCode, 303);
    const rows = await q('select * from agreement_signatures where school_id = $1 and subject_id = $2', [s.id, pupil]);
    assert.equal(rows.length, 1);
    const sig = rows[0];
    assert.equal(sig.method, 'paper');
    assert.equal(sig.signer_id, parent);
    assert.equal(sig.version_id, parents.version_id);
    assert.equal(sig.text_sha256, parents.body_sha256);
    assert.equal(sig.recorded_by, s.personas.headteacher.userId);
    assert.equal(new Date(sig.signed_at).toISOString().slice(0, 10), today);
    const audits = await q(`select action, detail from audit_events where school_id = $1 and record_id = $2 order by seq`, [s.id, sig.id]);
    assert.deepEqual(audits.map((a: any) => a.action), ['agreement.signed', 'agreement.paper_entered']);
    assert.ok(!JSON.stringify(audits).includes('Polglaze'), 'the audit holds ids, not names');
    assert.equal((await compliance(t.db, s.id, 'parents')).byGroup.find((g) => g.group === '4A')!.current, 1);
  });

  test("another school's pupil cannot have a paper signature entered", async () => {
    const other = await makeSchool(t.db);
    const lead = await signedIn(s.personas.headteacher);
    assert.equal((await lead.get(`/agreements/paper/${other.pupilId}`)).statusCode, 404);
  });
});

describe('the yearly renewal starts by itself', () => {
  test('the next renewal day is found on or after today, and a day a month lacks falls on its last day', () => {
    assert.equal(nextRenewalOn(9, 1, '2027-08-20'), '2027-09-01');
    assert.equal(nextRenewalOn(9, 1, '2027-09-01'), '2027-09-01');
    assert.equal(nextRenewalOn(9, 1, '2027-09-02'), '2028-09-01');
    assert.equal(nextRenewalOn(2, 29, '2027-01-01'), '2027-02-28');
  });

  test('it starts on the school\'s day (in England) and not before, once, then waits for the next year', async () => {
    const s = await makeSchool(t.db);
    const { mailer } = outboxMailer();
    await saveRenewalSettings(t.db, s.id, { month: 9, day: 1, chaseEveryDays: null }, systemActor, null, new Date('2027-08-20T09:00:00Z'));
    const run = (iso: string) => runDueAgreementJobs(t.db, mailer, baseUrl, new Date(iso), { schoolId: s.id });
    // 22:30 UTC on 31 August is 23:30 in London: still August.
    assert.equal((await run('2027-08-31T22:30:00Z')).renewalsStarted, 0);
    let [a] = await q(`select renewal_started_at from agreements where school_id = $1 and audience = 'staff_governors'`, [s.id]);
    assert.equal(a.renewal_started_at, null);
    assert.equal((await run('2027-08-31T23:30:00Z')).renewalsStarted, 1);
    [a] = await q(`select renewal_started_at from agreements where school_id = $1 and audience = 'staff_governors'`, [s.id]);
    assert.equal(new Date(a.renewal_started_at).toISOString(), '2027-08-31T23:30:00.000Z');
    assert.equal((await run('2027-09-01T10:00:00Z')).renewalsStarted, 0);
    assert.equal((await run('2027-09-20T10:00:00Z')).renewalsStarted, 0);
    const renewals = await q('select renewal_year from agreement_renewals where school_id = $1', [s.id]);
    assert.deepEqual(renewals.map((r: any) => r.renewal_year), [2027]);
    const [{ next }] = await q(`select to_char(next_renewal_on, 'YYYY-MM-DD') as next from agreement_renewal_settings where school_id = $1`, [s.id]);
    assert.equal(next, '2028-09-01');
    const audits = await q(`select actor_label from audit_events where school_id = $1 and action = 'agreements.renewal_started'`, [s.id]);
    assert.equal(audits.length, 1);
  });

  test('two runs at the same moment start the renewal once', async () => {
    const s = await makeSchool(t.db);
    const { mailer } = outboxMailer();
    await saveRenewalSettings(t.db, s.id, { month: 9, day: 1, chaseEveryDays: null }, systemActor, null, new Date('2027-08-20T09:00:00Z'));
    const at = new Date('2027-09-01T08:00:00Z');
    const results = await Promise.all([1, 2, 3].map(() => runDueAgreementJobs(t.db, mailer, baseUrl, at, { schoolId: s.id })));
    assert.equal(results.reduce((n, r) => n + r.renewalsStarted, 0), 1);
  });

  test('the renewal settings page refuses a day the month lacks, naming the field and keeping the values', async () => {
    const s = await makeSchool(t.db);
    const lead = await signedIn(s.personas.headteacher);
    const res = await lead.post('/agreements/renewal', { renewal_day: '31', renewal_month: '4', chase_every_days: '7' }, { from: '/agreements/renewal' });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /href="#renewal_day"[^>]*>That month does not have that many days/);
    assert.match(res.body, /name="chase_every_days" type="text" value="7"|name="chase_every_days"[^>]*value="7"/);
    const bad = await lead.post('/agreements/renewal', { renewal_day: '1', renewal_month: '9', chase_every_days: 'weekly' }, { from: '/agreements/renewal' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /href="#chase_every_days"/);
    const ok = await lead.post('/agreements/renewal', { renewal_day: '1', renewal_month: '9', chase_every_days: '7' }, { from: '/agreements/renewal' });
    assert.equal(ok.statusCode, 303);
    const [row] = await q('select renewal_month, renewal_day, chase_every_days, next_renewal_on from agreement_renewal_settings where school_id = $1', [s.id]);
    assert.deepEqual([row.renewal_month, row.renewal_day, row.chase_every_days], [9, 1, 7]);
    assert.ok(row.next_renewal_on);
  });
});

describe('starting the yearly renewal', () => {
  test('reminds everyone now due who has an address once, in batches, with chasers switched off; a failure is listed and sent again; the rest are on the class list', async () => {
    const s = await makeSchool(t.db);
    const staffAgreement = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    const parentsAgreement = (await agreementForAudience(t.db, s.id, 'parents'))!;
    // Last year the teacher and one family signed; another family has no email address; a pupil whose parent asked the school to explain.
    await recordSignature(t.db, s.id, { agreementId: staffAgreement.id, signerId: s.personas.teacher.personId, subjectId: s.personas.teacher.personId, signedName: 'teacher Tester', method: 'in_harbour' }, systemActor);
    const family = async (given: string, email: string | null, cls = '2K') => {
      const child = await addPerson(t.db, s.id, { kind: 'pupil', given_name: given, family_name: 'Kitto', year_group: '2', class_name: cls });
      const parent = await addPerson(t.db, s.id, { kind: 'parent', given_name: `Carer of ${given}`, family_name: 'Kitto', email });
      await linkGuardian(t.db, s.id, parent, child);
      return { child, parent, email };
    };
    const signedLastYear = await family('Ebrel', uniqueEmail('kitto'));
    await recordSignature(t.db, s.id, { agreementId: parentsAgreement.id, signerId: signedLastYear.parent, subjectId: signedLastYear.child, signedName: 'x', method: 'link' }, systemActor);
    const neverSigned = await family('Gwenno', uniqueEmail('kitto'));
    const noAddress = await family('Madern', null);
    const bouncing = await family('Steren', uniqueEmail('bounce'));
    // The renewal day is today (set a few days ago), so what is sent again by hand later comes after the failure.
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());
    await saveRenewalSettings(t.db, s.id, { month: Number(today.slice(5, 7)), day: Number(today.slice(8, 10)), chaseEveryDays: null }, systemActor, null, new Date(Date.now() - 5 * 86_400_000));

    const { mailer: outbox, dir } = outboxMailer();
    const mailer: Mailer = { send: async (m) => { if (m.to === bouncing.email) throw new Error('mailbox full'); return outbox.send(m); } };
    const at = new Date();
    // The server and cron at the same moment: the renewal starts once and nobody is reminded twice.
    const results = await Promise.all([1, 2].map(() => runDueAgreementJobs(t.db, mailer, baseUrl, at, { schoolId: s.id })));
    assert.equal(results.reduce((n, r) => n + r.renewalsStarted, 0), 1);
    const staffEmails = Object.values(s.personas).filter((p) => p.personId).map((p) => p.email);
    const expected = [...staffEmails, signedLastYear.email!, neverSigned.email!];
    const to = sent(dir).map((m) => m.to);
    for (const e of expected) assert.equal(to.filter((x) => x === e).length, 1, `one reminder to ${e}`);
    assert.equal(to.length, expected.length, 'nobody else');
    assert.equal(results.reduce((n, r) => n + r.remindersSent, 0), expected.length);
    assert.equal(results.reduce((n, r) => n + r.remindersFailed, 0), 1);
    assert.equal(results.reduce((n, r) => n + r.sent + r.failed, 0), 0, 'the periodic chasers stayed off');
    const teacherMsg = sent(dir).find((m) => m.to === s.personas.teacher.email)!;
    assert.match(teacherMsg.subject, /again for this year/);
    assert.ok(teacherMsg.text.includes(`${baseUrl}/agreements/sign/${staffAgreement.id}`));
    assert.match(sent(dir).find((m) => m.to === neverSigned.email)!.text, /\/parents\/sign\/[A-Za-z0-9_-]{43}/);
    for (const m of sent(dir)) for (const name of ['Ebrel', 'Gwenno', 'Kitto']) assert.ok(!m.text.includes(name), 'no name in a reminder');
    // Each outcome is saved with the other reminders.
    const chasers = await q(`select person_id, email_status from agreement_chasers where school_id = $1 and reason = 'renewal'`, [s.id]);
    assert.equal(chasers.length, expected.length + 1);
    assert.deepEqual(chasers.filter((c: any) => c.email_status === 'failed').map((c: any) => c.person_id), [bouncing.parent]);
    assert.deepEqual((await q(`select finished_at is not null as done, sent, failed from agreement_reminder_runs where school_id = $1 order by sent`, [s.id])).map((r: any) => [r.done, r.sent + r.failed]),
      [[true, 3], [true, staffEmails.length]]);

    // A week later nothing more is sent for this renewal.
    assert.deepEqual(await runDueAgreementJobs(t.db, mailer, baseUrl, new Date(Date.now() + 7 * 86_400_000), { schoolId: s.id }).then((r) => [r.remindersSent, r.remindersFailed]), [0, 0]);
    assert.equal(sent(dir).length, expected.length);

    // The failure is listed for the lead and can be sent again.
    assert.ok((await failedChasers(t.db, s.id)).some((f) => f.person_id === bouncing.parent));
    const lead = await signedIn(s.personas.headteacher);
    assert.match((await lead.get('/agreements/renewal')).body, new RegExp(`/agreements/renewal/people/${bouncing.parent}/send`));
    assert.equal((await lead.post(`/agreements/renewal/people/${bouncing.parent}/send`, {}, { from: '/agreements/renewal' })).statusCode, 303);
    assert.ok(readOutbox(t.outboxDir).some((m) => m.to === bouncing.email));
    assert.ok(!(await failedChasers(t.db, s.id)).some((f) => f.person_id === bouncing.parent));
    // The family without an address is on the class teacher's list; last year's signature no longer keeps a family off it.
    const list = await lead.get('/agreements/class/paper-list?class=2K');
    assert.match(list.body, /Madern Kitto/);
    assert.ok(!list.body.includes('Gwenno'), 'a family with an address was emailed instead');
    void noAddress;
  });

  test("started by hand for one agreement, it reminds that agreement's audience, even where no renewal day or chasers are set", async () => {
    const s = await makeSchool(t.db);
    const staffAgreement = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    const lead = await signedIn(s.personas.headteacher);
    const res = await lead.post(`/agreements/manage/${staffAgreement.id}/renewal`, {}, { from: `/agreements/manage/${staffAgreement.id}` });
    assert.equal(res.statusCode, 303);
    assert.match(String((await lead.get(`/agreements/manage/${staffAgreement.id}`)).body), /will be sent one reminder/);
    const { mailer, dir } = outboxMailer();
    // In batches of two, as the jobs would (fifty at a time): each person once.
    const r = await runOwedRenewalReminders(t.db, mailer, baseUrl, { schoolId: s.id, batchSize: 2 });
    const staffEmails = Object.values(s.personas).filter((p) => p.personId).map((p) => p.email).sort();
    assert.deepEqual(sent(dir).map((m) => m.to).sort(), staffEmails);
    assert.equal(r.sent, staffEmails.length);
    assert.equal((await runDueAgreementJobs(t.db, mailer, baseUrl, new Date(), { schoolId: s.id })).remindersSent, 0);
  });
});

describe('chasers', () => {
  test('go by email to whoever has not signed and has an address, not to those who signed, and not twice within the period', async () => {
    const s = await makeSchool(t.db);
    const { mailer, dir } = outboxMailer();
    const staffAgreement = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    await recordSignature(t.db, s.id, { agreementId: staffAgreement.id, signerId: s.personas.teacher.personId, subjectId: s.personas.teacher.personId, signedName: 'teacher Tester', method: 'in_harbour' }, systemActor);
    const withEmail = uniqueEmail('carer');
    const p1 = await addPerson(t.db, s.id, { kind: 'parent', given_name: 'Locryn', family_name: 'Penhallow', email: withEmail });
    const c1 = await addPerson(t.db, s.id, { kind: 'pupil', given_name: 'Ysella', family_name: 'Penhallow', year_group: '3', class_name: '3A' });
    await linkGuardian(t.db, s.id, p1, c1);
    const p2 = await addPerson(t.db, s.id, { kind: 'parent', given_name: 'Hedra', family_name: 'Tonkin' });
    const c2 = await addPerson(t.db, s.id, { kind: 'pupil', given_name: 'Piran', family_name: 'Tonkin', year_group: '3', class_name: '3A' });
    await linkGuardian(t.db, s.id, p2, c2);
    await saveRenewalSettings(t.db, s.id, { month: null, day: null, chaseEveryDays: 7 }, systemActor, null);

    const t0 = new Date();
    const first = await runDueAgreementJobs(t.db, mailer, baseUrl, t0, { schoolId: s.id });
    const msgs = sent(dir);
    const to = msgs.map((m) => m.to);
    assert.ok(to.includes(s.personas.headteacher.email), 'an unsigned member of staff is chased');
    assert.ok(to.includes(s.personas.governor.email), 'an unsigned governor is chased');
    assert.ok(!to.includes(s.personas.teacher.email), 'the teacher who signed is not');
    assert.ok(to.includes(withEmail), 'a parent with an address gets a personal link');
    assert.equal(first.sent, msgs.length);
    assert.equal(first.failed, 0);
    const staffMsg = msgs.find((m) => m.to === s.personas.headteacher.email)!;
    assert.ok(staffMsg.text.includes(`${baseUrl}/agreements/sign/${staffAgreement.id}`), 'staff get a link to sign in Harbour');
    const parentMsg = msgs.find((m) => m.to === withEmail)!;
    assert.match(parentMsg.text, /\/parents\/sign\/[A-Za-z0-9_-]{43}/);
    for (const m of msgs) {
      for (const name of ['Ysella', 'Piran', 'Penhallow', 'Tonkin', 'Tester']) assert.ok(!m.text.includes(name) && !m.subject.includes(name), `no name (${name}) in an email`);
    }

    const nextDay = await runDueAgreementJobs(t.db, mailer, baseUrl, new Date(t0.getTime() + 86_400_000), { schoolId: s.id });
    assert.equal(nextDay.sent, 0, 'nobody is emailed twice within the period');
    assert.equal(sent(dir).length, msgs.length);
    const later = await runDueAgreementJobs(t.db, mailer, baseUrl, new Date(t0.getTime() + 8 * 86_400_000), { schoolId: s.id });
    assert.equal(later.sent, first.sent, 'after the period, the same people are chased again');
    const [{ n }] = await q(`select count(*)::int as n from agreement_chasers where school_id = $1 and person_id = $2`, [s.id, p2]);
    assert.equal(n, 0, 'a parent with no address is never emailed');
  });

  test('a failed chaser is recorded and shown, counts for the period, and loses no signature', async () => {
    const s = await makeSchool(t.db);
    const staffAgreement = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    await recordSignature(t.db, s.id, { agreementId: staffAgreement.id, signerId: s.personas.teacher.personId, subjectId: s.personas.teacher.personId, signedName: 'teacher Tester', method: 'in_harbour' }, systemActor);
    await saveRenewalSettings(t.db, s.id, { month: null, day: null, chaseEveryDays: 7 }, systemActor, null);
    const r = await runDueAgreementJobs(t.db, failing, baseUrl, new Date(), { schoolId: s.id });
    assert.equal(r.sent, 0);
    assert.ok(r.failed >= 6, 'each unsigned member of staff was tried');
    const failed = await failedChasers(t.db, s.id);
    assert.ok(failed.some((f) => f.person_id === s.personas.headteacher.personId));
    const [{ n }] = await q(`select count(*)::int as n from agreement_signatures where school_id = $1`, [s.id]);
    assert.equal(n, 1, 'the signature is still there');
    assert.equal((await runDueAgreementJobs(t.db, failing, baseUrl, new Date(), { schoolId: s.id })).failed, 0, 'not tried again within the period');
    const lead = await signedIn(s.personas.headteacher);
    const page = await lead.get('/agreements/renewal');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Reminders that could not be sent/);
    assert.match(page.body, new RegExp(`/agreements/renewal/people/${s.personas.governor.personId}/send`));
    // Sent again by hand (the app's mailer works): it leaves the failed list.
    const again = await lead.post(`/agreements/renewal/people/${s.personas.governor.personId}/send`, {}, { from: '/agreements/renewal' });
    assert.equal(again.statusCode, 303);
    assert.ok(readOutbox(t.outboxDir).some((m) => m.to === s.personas.governor.email));
    assert.ok(!(await failedChasers(t.db, s.id)).some((f) => f.person_id === s.personas.governor.personId));
  });
});

describe('a parent who asked the school to explain the agreement', () => {
  /** Three parents with addresses: one asked the school to explain to their only child; one asked for one of two children; one asked, and the school has explained. */
  async function asked(s: TestSchool) {
    const parents = (await agreementForAudience(t.db, s.id, 'parents'))!;
    const add = async (given: string, children: number) => {
      const email = uniqueEmail('asked');
      const parent = await addPerson(t.db, s.id, { kind: 'parent', given_name: given, family_name: 'Rescorla', email });
      const kids: string[] = [];
      for (let i = 0; i < children; i++) {
        const child = await addPerson(t.db, s.id, { kind: 'pupil', given_name: `${given}child${i}`, family_name: 'Rescorla', year_group: '3', class_name: '3R' });
        await linkGuardian(t.db, s.id, parent, child);
        kids.push(child);
      }
      return { parent, email, kids };
    };
    const ask = (parentId: string, childId: string, explained = false) => schoolScope(t.db, s.id).insert('agreement_explain_requests', {
      agreement_id: parents.id, version_id: parents.version_id, parent_id: parentId, child_id: childId, ...(explained ? { explained_at: new Date() } : {}),
    });
    const onlyChild = await add('Onechild', 1);
    await ask(onlyChild.parent, onlyChild.kids[0]);
    const twoChildren = await add('Twochildren', 2);
    await ask(twoChildren.parent, twoChildren.kids[0]);
    const explained = await add('Explained', 1);
    await ask(explained.parent, explained.kids[0], true);
    return { onlyChild, twoChildren, explained };
  }

  test('is not chased for that child and version, while the request is open or once it is explained; a child still to sign for is chased as before, and so is the next version', async () => {
    const s = await makeSchool(t.db);
    const f = await asked(s);
    await saveRenewalSettings(t.db, s.id, { month: null, day: null, chaseEveryDays: 7 }, systemActor, null);
    const { mailer, dir } = outboxMailer();
    await runDueAgreementJobs(t.db, mailer, baseUrl, new Date(), { schoolId: s.id });
    const to = sent(dir).map((m) => m.to);
    assert.ok(!to.includes(f.onlyChild.email), 'followed up through the explain-requests list instead');
    assert.ok(to.includes(f.twoChildren.email), 'still has another child to sign for');
    assert.ok(!to.includes(f.explained.email), 'the school explained it: nothing more is asked of the parent for this version');
    const chasers = async (personId: string) => (await q('select count(*)::int as n from agreement_chasers where school_id = $1 and person_id = $2', [s.id, personId]))[0].n;
    assert.equal(await chasers(f.onlyChild.parent), 0);
    assert.equal(await chasers(f.explained.parent), 0);
    // A version that changes the meaning is a new thing to ask: both are chased for it.
    const parents = (await agreementForAudience(t.db, s.id, 'parents'))!;
    await publishVersion(t.db, s.id, parents.id, { title: parents.title, body: `${parents.body}\n\nA new rule.`, changesMeaning: true }, systemActor, null);
    const later = outboxMailer();
    await runDueAgreementJobs(t.db, later.mailer, baseUrl, new Date(), { schoolId: s.id });
    const laterTo = sent(later.dir).map((m) => m.to);
    assert.ok(laterTo.includes(f.onlyChild.email) && laterTo.includes(f.explained.email), `asked again for the new version: ${laterTo.join(', ')}`);
  });

  test('is left out when the lead sends links to every parent still to sign, whether the request is open or answered', async () => {
    const s = await makeSchool(t.db);
    const f = await asked(s);
    const lead = await signedIn(s.personas.headteacher);
    assert.equal((await lead.post('/agreements/parents/send', {}, { from: '/agreements/parents' })).statusCode, 303);
    const links = await q('select parent_id from agreement_links where school_id = $1', [s.id]);
    assert.deepEqual(links.map((l: any) => l.parent_id), [f.twoChildren.parent], 'not the parent whose request is open, nor the one whose request the school has answered');
  });
});

describe("the class teacher's list", () => {
  test("shows only their own class's pupils whose parents have no email address and have not signed", async () => {
    const s = await makeSchool(t.db);
    await schoolScope(t.db, s.id).update('people', { id: s.personas.teacher.personId }, { class_name: '4A' });
    const add = async (given: string, cls: string, parentEmail: string | null) => {
      const child = await addPerson(t.db, s.id, { kind: 'pupil', given_name: given, family_name: 'Carne', year_group: '4', class_name: cls });
      const parent = await addPerson(t.db, s.id, { kind: 'parent', given_name: `Parent of ${given}`, family_name: 'Carne', email: parentEmail });
      await linkGuardian(t.db, s.id, parent, child);
      return { child, parent };
    };
    await add('Noweth', '4A', null);
    await add('Elestren', '4A', uniqueEmail('carer'));
    await add('Gwithian', '4B', null);
    const signed = await add('Senara', '4A', null);
    const parents = (await agreementForAudience(t.db, s.id, 'parents'))!;
    await recordSignature(t.db, s.id, { agreementId: parents.id, signerId: signed.parent, subjectId: signed.child, signedName: 'Parent of Senara Carne', method: 'paper' }, systemActor);

    const teacher = await signedIn(s.personas.teacher);
    for (const url of ['/agreements/class/paper-list', '/agreements/class/paper-list?class=4B']) {
      const res = await teacher.get(url);
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /Noweth Carne/);
      assert.match(res.body, /Parent of Noweth Carne/);
      assert.ok(!res.body.includes('Elestren'), 'a pupil whose parent has an address is emailed instead');
      assert.ok(!res.body.includes('Gwithian'), 'another class is not shown to this teacher');
      assert.ok(!res.body.includes('Senara'), 'a pupil whose parent signed is not listed');
    }
    const lead = await signedIn(s.personas.headteacher);
    const b = await lead.get('/agreements/class/paper-list?class=4B');
    assert.match(b.body, /Gwithian Carne/);
    assert.ok(!b.body.includes('Noweth'));
  });
});

describe('publishing a version', () => {
  test('that changes the meaning emails staff and governors to sign it; a correction emails nobody', async () => {
    const s = await makeSchool(t.db);
    const agreement = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    const lead = await signedIn(s.personas.headteacher);
    const staffEmails = Object.values(s.personas).map((p) => p.email);
    const count = () => readOutbox(t.outboxDir).filter((m) => staffEmails.includes(m.to)).length;
    const before = count();
    const fix = await lead.post(`/agreements/manage/${agreement.id}/publish`, { title: agreement.title, body: `${agreement.body}\n\nA spelling fixed.`, change: 'correction' }, { from: `/agreements/manage/${agreement.id}` });
    assert.equal(fix.statusCode, 303);
    assert.equal(count(), before, 'a correction sends no email');
    const meaning = await lead.post(`/agreements/manage/${agreement.id}/publish`, { title: agreement.title, body: `${agreement.body}\n\n- I lock my screen when I leave it.`, change: 'meaning' }, { from: `/agreements/manage/${agreement.id}` });
    assert.equal(meaning.statusCode, 303);
    const msgs = readOutbox(t.outboxDir).filter((m) => staffEmails.includes(m.to));
    assert.equal(msgs.length - before, 7, 'each of the seven staff and governors is asked');
    for (const m of msgs.slice(before)) {
      assert.match(m.subject, /new version/);
      assert.ok(m.text.includes(`/agreements/sign/${agreement.id}`));
    }
    const [{ n }] = await q(`select count(*)::int as n from agreement_chasers where school_id = $1 and reason = 'resign' and email_status = 'sent'`, [s.id]);
    assert.equal(n, 7);
  });
});

describe('a request to sign a new version that could not be emailed', () => {
  test('is recorded and shown with the reminders that failed, the version stays published, and sending it again sends the same request', async () => {
    const s = await makeSchool(t.db);
    const agreement = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    const lead = await signedIn(s.personas.headteacher);
    // The version is published (and committed) first; here the emails are then tried while the mail server is down.
    await t.db.transaction((tx) => publishVersion(tx, s.id, agreement.id, { title: agreement.title, body: `${agreement.body}\n\n- New rule.`, changesMeaning: true }, systemActor, null));
    const r = await emailStaffToResign(t.db, failing, baseUrl, s.id, agreement.id);
    assert.equal(r.sent, 0);
    assert.equal(r.failed, 7);
    assert.equal((await agreementForAudience(t.db, s.id, 'staff_governors'))!.number, 2, 'the version stands');
    const failed = await failedChasers(t.db, s.id);
    assert.ok(failed.some((f) => f.person_id === s.personas.teacher.personId && f.reason === 'resign'));
    const page = await lead.get('/agreements/renewal');
    assert.match(page.body, new RegExp(`/agreements/renewal/people/${s.personas.teacher.personId}/send`));
    const again = await lead.post(`/agreements/renewal/people/${s.personas.teacher.personId}/send`, {}, { from: '/agreements/renewal' });
    assert.equal(again.statusCode, 303);
    const msg = readOutbox(t.outboxDir).filter((m) => m.to === s.personas.teacher.email).pop()!;
    assert.match(msg.subject, /new version/, 'the same request, not a general reminder');
    assert.ok(!(await failedChasers(t.db, s.id)).some((f) => f.person_id === s.personas.teacher.personId));
  });
});

describe('the scheduler', () => {
  test('runs the due jobs by itself on its interval, without overlapping runs, and stops when told', async () => {
    const s = await makeSchool(t.db);
    await saveRenewalSettings(t.db, s.id, { month: null, day: null, chaseEveryDays: 7 }, systemActor, null);
    let sends = 0;
    const counting: Mailer = { send: async () => { sends++; } };
    const logged: unknown[] = [];
    const stop = startAgreementScheduler({ db: t.db, mailer: counting, baseUrl, log: { info: (o: unknown) => logged.push(o), error: (o: unknown) => logged.push(o) }, firstAfterMs: 0, everyMs: 50, schoolId: s.id });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const [{ n }] = await q(`select count(*)::int as n from agreement_chasers where school_id = $1`, [s.id]);
      if (n >= 7) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await stop();
    const [{ n }] = await q(`select count(*)::int as n from agreement_chasers where school_id = $1`, [s.id]);
    assert.equal(n, 7, "each of the school's seven unsigned staff and governors chased exactly once");
    const after = sends;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sends, after, 'nothing runs after stop');
    assert.ok(!JSON.stringify(logged).includes('@'), 'no email address is logged');
  });
});

describe('harbour agreements run-jobs', () => {
  test('runs the same jobs from the command line (for cron): a second run does nothing more', async () => {
    const s = await makeSchool(t.db);
    await saveRenewalSettings(t.db, s.id, { month: null, day: null, chaseEveryDays: 7 }, systemActor, null);
    const url = connectionUrl(JSON.parse(process.env.HARBOUR_TEST_DB!));
    const dataDir = mkdtempSync(join(tmpdir(), 'harbour-jobs-'));
    const run = () => new Promise<{ code: number | null; out: string }>((done) => {
      const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent', DATA_DIR: dataDir, DATABASE_URL: url };
      delete env.NODE_TEST_CONTEXT;
      delete env.SMTP_URL;
      const child = spawn(process.execPath, [resolve(import.meta.dirname, '../../../bin/harbour.mjs'), 'agreements', 'run-jobs', '--school', s.id], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { out += d; });
      child.on('close', (code) => done({ code, out }));
    });
    const first = await run();
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /0 renewal\(s\) started, 7 reminder\(s\) sent, 0 could not be sent/);
    assert.equal(readOutbox(join(dataDir, 'outbox')).length, 7);
    const second = await run();
    assert.equal(second.code, 0, second.out);
    assert.match(second.out, /0 reminder\(s\) sent/);
  });
});
