import { test, after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client, closeTestDb, makeSchool, makeStaff, readOutbox, testApp, uniqueEmail, type Persona, type TestApp, type TestSchool } from '../../testing/harness';
import { addPerson, linkGuardian } from '../schools/service';
import { createApiKey } from '../../platform/api/keys';
import { systemActor } from '../../platform/audit/audit';
import { sha256 } from '../../platform/auth/tokens';
import { audienceOf, type Audience } from './audiences';
import {
  accessRegister, agreementForAudience, compliance, currentAgreements, ensureAgreements, nameMatches, publishVersion, recordAccessDecision, recordSignature,
  sendParentLink, textSha256,
} from './service';
import { emailVisitorCopy, pdfSafe } from './copies';

let t: TestApp;
let school: TestSchool;
before(async () => {
  t = await testApp();
  school = await makeSchool(t.db);
});
after(async () => {
  await t.close();
  await closeTestDb();
});

let ipCounter = 0;
/**
 * A browser of its own address (the sign-in form allows 20 attempts a minute from one
 * address, and this file signs in more often than that).
 */
function browser(): Client {
  const ip = `198.51.100.${++ipCounter}`;
  return new Client({ inject: (opts: any) => t.app.inject({ ...opts, headers: { ...(opts.headers ?? {}), 'x-forwarded-for': ip } }) } as any);
}
async function signedIn(_app: unknown, p: Persona) {
  return browser().signIn(p);
}

const q = async (sql: string, params: unknown[] = []) => (await t.db.query(sql, params)).rows;
/** The id of an audience's current version, as a signing form carries it back. */
const version = async (schoolId: string, audience: Audience) => (await agreementForAudience(t.db, schoolId, audience))!.version_id;

/** A family: a parent with an email and two children in different classes, in a school of its own. */
async function family(s: TestSchool, email: string | null = uniqueEmail('family')) {
  const tag = randomUUID().slice(0, 5);
  const parentId = await addPerson(t.db, s.id, { kind: 'parent', given_name: 'Morwenna', family_name: `Quist${tag}`, email });
  const older = await addPerson(t.db, s.id, { kind: 'pupil', given_name: 'Tamsin', family_name: `Quist${tag}`, year_group: '4', class_name: '4B' });
  const younger = await addPerson(t.db, s.id, { kind: 'pupil', given_name: 'Bran', family_name: `Quist${tag}`, year_group: 'R', class_name: 'RA' });
  await linkGuardian(t.db, s.id, parentId, older);
  await linkGuardian(t.db, s.id, parentId, younger);
  return { parentId, older, younger, family: `Quist${tag}` };
}

function linkIn(outboxDir: string, to: string) {
  const m = readOutbox(outboxDir).filter((x) => x.to === to).pop();
  assert.ok(m, `an email to ${to}`);
  const found = /\/parents\/sign\/([A-Za-z0-9_-]{43})/.exec(m.text);
  assert.ok(found, 'the email holds a signing link');
  return { token: found[1], message: m };
}

describe('starting agreements', () => {
  test('a new school gets one published agreement per audience, each version 1 with the SHA-256 of its text', async () => {
    const rows = await currentAgreements(t.db, school.id);
    assert.deepEqual(rows.map((r) => r.audience).sort(), ['eyfs_ks1', 'ks2', 'older_pupils', 'parents', 'staff_governors', 'visitors']);
    for (const r of rows) {
      assert.equal(r.number, 1);
      assert.equal(r.body_sha256, textSha256(r.body));
      assert.ok(r.body.length > 300, `${r.audience} has a real text`);
    }
  });

  test('giving a school its agreements again creates nothing more', async () => {
    assert.equal(await ensureAgreements(t.db, school.id), 0);
    const [{ n }] = await q('select count(*)::int as n from agreement_versions where school_id = $1', [school.id]);
    assert.equal(n, 6);
  });

  test('pupils fall into their age band by year group', () => {
    assert.equal(audienceOf({ kind: 'pupil', year_group: 'R' }), 'eyfs_ks1');
    assert.equal(audienceOf({ kind: 'pupil', year_group: '2' }), 'eyfs_ks1');
    assert.equal(audienceOf({ kind: 'pupil', year_group: '3' }), 'ks2');
    assert.equal(audienceOf({ kind: 'pupil', year_group: '8' }), 'older_pupils');
    assert.equal(audienceOf({ kind: 'governor' }), 'staff_governors');
    assert.equal(audienceOf({ kind: 'contractor' }), 'visitors');
    assert.equal(audienceOf({ kind: 'parent' }), null);
  });

  test('a typed name matches the record whatever its case, spacing or accents, and nothing else does', () => {
    const p = { given_name: 'Zoë', family_name: "O'Brien-Hale", preferred_name: 'Zo' };
    assert.ok(nameMatches('  zoe   o brien hale ', p));
    assert.ok(nameMatches('Zo O\'Brien-Hale', p));
    assert.ok(!nameMatches('Zoe', p));
    assert.ok(!nameMatches('Someone Else', p));
  });
});

describe('staff and governors sign in Harbour', () => {
  test('a teacher reads the whole text and signs by typing their name; the signature records version, hash, method and device', async () => {
    const s = await makeSchool(t.db);
    const c = await signedIn(t.app, s.personas.teacher);
    const staffAgreement = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    const page = await c.get(`/agreements/sign/${staffAgreement.id}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Prevent duty/);
    assert.match(page.body, new RegExp(staffAgreement.body_sha256));

    const wrong = await c.post(`/agreements/sign/${staffAgreement.id}`, { version: staffAgreement.version_id, read: 'yes', signed_name: 'Not Me' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /href="#signed_name"/);
    const unread = await c.post(`/agreements/sign/${staffAgreement.id}`, { version: staffAgreement.version_id, signed_name: 'teacher Tester' });
    assert.equal(unread.statusCode, 400);
    assert.match(unread.body, /href="#read"/);
    assert.equal((await q('select count(*)::int as n from agreement_signatures where school_id = $1', [s.id]))[0].n, 0, 'a refused form signs nothing');

    const res = await c.post(`/agreements/sign/${staffAgreement.id}`, { version: staffAgreement.version_id, read: 'yes', signed_name: 'Teacher  tester' });
    assert.equal(res.statusCode, 303);
    const [sig] = await q('select * from agreement_signatures where school_id = $1', [s.id]);
    assert.equal(sig.method, 'in_harbour');
    assert.equal(sig.signer_id, s.personas.teacher.personId);
    assert.equal(sig.subject_id, s.personas.teacher.personId);
    assert.equal(sig.version_id, staffAgreement.version_id);
    assert.equal(sig.text_sha256, staffAgreement.body_sha256);
    assert.ok(sig.user_agent !== undefined && sig.ip, 'device and address recorded');
    const [entry] = await q(`select detail from audit_events where school_id = $1 and action = 'agreement.signed'`, [s.id]);
    assert.equal(entry.detail.method, 'in_harbour');

    const again = await c.post(`/agreements/sign/${staffAgreement.id}`, { version: staffAgreement.version_id, read: 'yes', signed_name: 'teacher Tester' }, { from: '/account' });
    assert.equal(again.statusCode, 303);
    assert.equal((await q('select count(*)::int as n from agreement_signatures where school_id = $1', [s.id]))[0].n, 1, 'signing the same version twice makes one signature');

    const hub = await c.get('/agreements');
    assert.match(hub.body, /Signed, current/);
    const copy = await c.get(`/agreements/signatures/${sig.id}`);
    assert.equal(copy.statusCode, 200);
    assert.match(copy.body, new RegExp(sig.text_sha256));
  });

  test("a teacher cannot open another person's signed copy, nor the pupils' agreements as their own", async () => {
    const s = await makeSchool(t.db);
    const a = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    const sig = await recordSignature(t.db, s.id, { agreementId: a.id, signerId: s.personas.dsl.personId, subjectId: s.personas.dsl.personId, signedName: 'dsl Tester', method: 'in_harbour' }, systemActor);
    const c = await signedIn(t.app, s.personas.teacher);
    assert.equal((await c.get(`/agreements/signatures/${sig.id}`)).statusCode, 404);
    const ks2 = (await agreementForAudience(t.db, s.id, 'ks2'))!;
    assert.equal((await c.get(`/agreements/sign/${ks2.id}`)).statusCode, 404);
  });
});

describe('signed copies', () => {
  test('the signer downloads their signed copy as a PDF naming the version and the fingerprint; another member of staff cannot, and the download is audited', async () => {
    const s = await makeSchool(t.db);
    const a = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    const sig = await recordSignature(t.db, s.id, { agreementId: a.id, signerId: s.personas.teacher.personId, subjectId: s.personas.teacher.personId, signedName: 'Teacher Tester', method: 'in_harbour' }, systemActor);
    const me = await signedIn(t.app, s.personas.teacher);
    const page = await me.get(`/agreements/signatures/${sig.id}`);
    assert.match(page.body, new RegExp(`href="/agreements/signatures/${sig.id}/pdf"`));
    const res = await me.get(`/agreements/signatures/${sig.id}/pdf`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/pdf');
    assert.match(String(res.headers['content-disposition']), /^attachment; filename="signed-agreement-\d{4}-\d{2}-\d{2}\.pdf"$/);
    const bytes = res.rawPayload.toString('latin1');
    assert.ok(bytes.startsWith('%PDF-'), 'a PDF file');
    assert.ok(bytes.includes(`text SHA-256 ${a.body_sha256}`), 'the fingerprint of the text signed is in the document');
    assert.ok(bytes.includes('%%EOF'), 'a complete file');
    const [entry] = await q(`select actor_user_id from audit_events where school_id = $1 and action = 'agreement_signature.downloaded' and record_id = $2`, [s.id, sig.id]);
    assert.ok(entry, 'the download is audited');
    const other = await signedIn(t.app, s.personas.office);
    assert.equal((await other.get(`/agreements/signatures/${sig.id}/pdf`)).statusCode, 404);
    const lead = await signedIn(t.app, s.personas.headteacher);
    assert.equal((await lead.get(`/agreements/signatures/${sig.id}/pdf`)).statusCode, 200, 'those who manage agreements may have the copy');
  });

  test('a copy is made from the version signed, not the current one', async () => {
    const s = await makeSchool(t.db);
    const a = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    const sig = await recordSignature(t.db, s.id, { agreementId: a.id, signerId: s.personas.teacher.personId, subjectId: s.personas.teacher.personId, signedName: 'Teacher Tester', method: 'in_harbour' }, systemActor);
    const lead = await signedIn(t.app, s.personas.headteacher);
    await lead.post(`/agreements/manage/${a.id}/publish`, { title: a.title, body: `${a.body}\n\nA new paragraph about personal AI tools.`, change: 'meaning' }, { from: `/agreements/manage/${a.id}` });
    const copy = await (await signedIn(t.app, s.personas.teacher)).get(`/agreements/signatures/${sig.id}`);
    assert.match(copy.body, new RegExp(a.body_sha256));
    assert.ok(!copy.body.includes('personal AI tools'), 'the later text is not in the copy');
  });

  test('text the PDF font lacks keeps its letters where it can, and nothing is dropped silently', () => {
    assert.equal(pdfSafe('Zoë Ångström – “quoted” €5'), 'Zoë Ångström – “quoted” €5');
    assert.equal(pdfSafe('Łukasz Wałęsa'), 'Lukasz Walesa');
    assert.equal(pdfSafe('Ahmed 😀 أحمد'), 'Ahmed ? ????');
  });

  test("a visitor's copy that could not be emailed is shown to reception and sent again; the signature never depends on it", async () => {
    const s = await makeSchool(t.db);
    const office = await signedIn(t.app, s.personas.office);
    await office.post('/agreements/kiosks', { name: 'Reception tablet' }, { from: '/agreements/kiosks' });
    const email = uniqueEmail('visitor');
    const ok = await office.post('/kiosk', { version: await version(s.id, 'visitors'), given_name: 'Ines', family_name: 'Carveth', organisation: 'Supply Co', visiting: 'The office', visit_on: '2026-03-02', email, agree: 'yes' }, { from: '/kiosk' });
    assert.equal(ok.statusCode, 200);
    const [sig] = await q(`select id, copy_email_status, text_sha256 from agreement_signatures where school_id = $1 and method = 'kiosk'`, [s.id]);
    assert.equal(sig.copy_email_status, 'sent');
    // The mail server goes down for a second try.
    const failing = { send: async () => { throw new Error('SMTP down'); } };
    assert.equal(await emailVisitorCopy(t.db, failing, s.id, sig.id, systemActor, null), 'failed');
    assert.equal((await q('select copy_email_status from agreement_signatures where id = $1', [sig.id]))[0].copy_email_status, 'failed');
    assert.equal((await q(`select count(*)::int as n from agreement_signatures where school_id = $1`, [s.id]))[0].n, 1, 'the signature stands');
    assert.ok((await q(`select 1 from audit_events where school_id = $1 and action = 'agreement_copy.email_failed' and record_id = $2`, [s.id, sig.id])).length);

    const reception = await signedIn(t.app, s.personas.office);
    const page = await reception.get('/agreements/kiosks');
    assert.match(page.body, /copies that could not be sent/);
    assert.match(page.body, /Ines Carveth/);
    assert.equal((await reception.get(`/agreements/signatures/${sig.id}`)).statusCode, 200, 'reception may print the copy instead');
    const before = readOutbox(t.outboxDir).filter((m) => m.to === email).length;
    const again = await reception.post(`/agreements/kiosks/copies/${sig.id}/send`, {}, { from: '/agreements/kiosks' });
    assert.equal(again.statusCode, 303);
    const sent = readOutbox(t.outboxDir).filter((m) => m.to === email);
    assert.equal(sent.length, before + 1);
    assert.ok(sent.at(-1)!.text.includes(sig.text_sha256));
    assert.equal((await q('select copy_email_status from agreement_signatures where id = $1', [sig.id]))[0].copy_email_status, 'sent');
    assert.ok(!(await reception.get('/agreements/kiosks')).body.includes('Ines Carveth'), 'no longer listed');
    // A signature that is not a visitor's has no copy to send from here.
    const staffSig = await recordSignature(t.db, s.id, { agreementId: (await agreementForAudience(t.db, s.id, 'staff_governors'))!.id, signerId: s.personas.teacher.personId, subjectId: s.personas.teacher.personId, signedName: 'x', method: 'in_harbour' }, systemActor);
    assert.equal((await reception.post(`/agreements/kiosks/copies/${staffSig.id}/send`, {}, { from: '/agreements/kiosks' })).statusCode, 404);
    assert.equal((await reception.get(`/agreements/signatures/${staffSig.id}`)).statusCode, 404, "reception may not open a member of staff's copy");
  });
});

describe('a signature points at the text that was read', () => {
  /** The version ids a page's signing forms carry back. */
  const shown = (body: string) => [...body.matchAll(/name="version" value="([^"]+)"/g)].map((m) => m[1]);
  const changedText = /The agreement changed while you were reading/;
  const republish = async (schoolId: string, audience: Audience, words: string) => {
    const a = (await agreementForAudience(t.db, schoolId, audience))!;
    await publishVersion(t.db, schoolId, a.id, { title: a.title, body: `${a.body}\n\n${words}`, changesMeaning: true }, systemActor, null);
    return (await agreementForAudience(t.db, schoolId, audience))!;
  };
  const count = async (schoolId: string) => (await q('select count(*)::int as n from agreement_signatures where school_id = $1', [schoolId]))[0].n;

  test('a member of staff who read a version replaced while the page was open is shown the new one and signs nothing until they sign it', async () => {
    const s = await makeSchool(t.db);
    const c = await signedIn(t.app, s.personas.teacher);
    const old = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    const page = await c.get(`/agreements/sign/${old.id}`);
    assert.deepEqual(shown(page.body), [old.version_id]);
    const fresh = await republish(s.id, 'staff_governors', 'Lock the staffroom laptop when you leave it.');
    const res = await c.post(`/agreements/sign/${old.id}`, { version: old.version_id, read: 'yes', signed_name: 'Teacher Tester' }, { csrf: await c.csrf() });
    assert.equal(res.statusCode, 409);
    assert.match(res.body, changedText);
    assert.match(res.body, /Lock the staffroom laptop/, 'the new text is on the page');
    assert.deepEqual(shown(res.body), [fresh.version_id]);
    assert.equal(await count(s.id), 0, 'nothing signed');
    const none = await c.post(`/agreements/sign/${old.id}`, { read: 'yes', signed_name: 'Teacher Tester' }, { from: `/agreements/sign/${old.id}` });
    assert.equal(none.statusCode, 409, 'a form that does not say which version it showed signs nothing');
    assert.equal(await count(s.id), 0);
    assert.equal((await c.post(`/agreements/sign/${old.id}`, { version: fresh.version_id, read: 'yes', signed_name: 'Teacher Tester' }, { from: `/agreements/sign/${old.id}` })).statusCode, 303);
    const [sig] = await q('select version_id, text_sha256 from agreement_signatures where school_id = $1', [s.id]);
    assert.deepEqual([sig.version_id, sig.text_sha256], [fresh.version_id, fresh.body_sha256]);
  });

  test("a parent's link and a visitor at the kiosk are shown the new version, sign nothing, and the link still works", async () => {
    const s = await makeSchool(t.db);
    const f = await family(s);
    const head = await signedIn(t.app, s.personas.headteacher);
    await head.post(`/agreements/parents/${f.parentId}/send`, {}, { from: '/agreements/parents' });
    const { token } = linkIn(t.outboxDir, (await q('select email from people where id = $1', [f.parentId]))[0].email);
    const parent = new Client(t.app);
    const read = shown((await parent.get(`/parents/sign/${token}`)).body);
    const fresh = await republish(s.id, 'parents', 'Tell us if your child is given a new device at home.');
    const answer = { signed_name: `Morwenna ${f.family}`, [`child-${f.older}`]: 'sign', [`child-${f.younger}`]: 'explain' };
    const res = await parent.post(`/parents/sign/${token}`, { ...answer, version: read[0] }, { csrf: await parent.csrf() });
    assert.equal(res.statusCode, 409);
    assert.match(res.body, changedText);
    assert.match(res.body, /given a new device at home/);
    assert.equal(await count(s.id), 0);
    assert.equal((await q('select count(*)::int as n from agreement_explain_requests where school_id = $1', [s.id]))[0].n, 0, 'no request to explain either');
    assert.equal((await q('select used_at from agreement_links where parent_id = $1', [f.parentId]))[0].used_at, null, 'the link is not used up');
    const ok = await parent.post(`/parents/sign/${token}`, { ...answer, version: shown(res.body)[0] }, { csrf: await parent.csrf() });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual((await q('select version_id from agreement_signatures where school_id = $1', [s.id])).map((r: any) => r.version_id), [fresh.version_id]);

    const office = await signedIn(t.app, s.personas.office);
    await office.post('/agreements/kiosks', { name: 'Reception tablet' }, { from: '/agreements/kiosks' });
    const kioskRead = shown((await office.get('/kiosk')).body);
    const newVisitors = await republish(s.id, 'visitors', 'Wear your badge where it can be seen.');
    const visit = { given_name: 'Lowena', family_name: 'Carbis', organisation: 'Tide Supply', visiting: 'Year 4', visit_on: '2026-03-02', agree: 'yes' };
    const refused = await office.post('/kiosk', { ...visit, version: kioskRead[0] }, { csrf: await office.csrf() });
    assert.equal(refused.statusCode, 409);
    assert.match(refused.body, changedText);
    assert.match(refused.body, /Wear your badge/);
    assert.match(refused.body, /value="Lowena"/, 'what the visitor typed is kept');
    assert.equal((await q(`select count(*)::int as n from people where school_id = $1 and kind = 'visitor'`, [s.id]))[0].n, 0, 'no visitor made');
    assert.equal(await count(s.id), 1);
    assert.equal((await office.post('/kiosk', { ...visit, version: shown(refused.body)[0] }, { csrf: await office.csrf() })).statusCode, 200);
    assert.equal((await q(`select count(*)::int as n from agreement_signatures where school_id = $1 and version_id = $2`, [s.id, newVisitors.version_id]))[0].n, 1);
  });

  test('a class session records nobody when the version it showed has been replaced', async () => {
    const s = await makeSchool(t.db);
    const older = await addPerson(t.db, s.id, { kind: 'pupil', given_name: 'Demelza', family_name: 'Hockin', year_group: '6', class_name: '6H' });
    const young = await addPerson(t.db, s.id, { kind: 'pupil', given_name: 'Perran', family_name: 'Hockin', year_group: '1', class_name: '1H' });
    const teacher = await signedIn(t.app, s.personas.teacher);
    const olderShown = shown((await teacher.get('/agreements/class?class=6H')).body);
    const youngShown = shown((await teacher.get('/agreements/class?class=1H')).body);
    await republish(s.id, 'ks2', 'Ask before you print.');
    await republish(s.id, 'eyfs_ks1', 'We tell a grown-up if a screen makes us sad.');
    const confirm = await teacher.post('/agreements/class/confirm', { version: olderShown, class: '6H', pupil: older, pupil_name: 'Demelza Hockin' }, { from: '/agreements/class?class=6H' });
    assert.equal(confirm.statusCode, 409);
    assert.match(confirm.body, changedText);
    assert.match(confirm.body, /Ask before you print/);
    const discussed = await teacher.post('/agreements/class/discussed', { version: youngShown, class: '1H', pupils: [young] }, { from: '/agreements/class?class=1H' });
    assert.equal(discussed.statusCode, 409);
    assert.equal(await count(s.id), 0);
    const page = await teacher.get('/agreements/class?class=1H');
    assert.equal((await teacher.post('/agreements/class/discussed', { version: shown(page.body), class: '1H', pupils: [young] }, { csrf: await teacher.csrf() })).statusCode, 303);
    assert.equal(await count(s.id), 1);
  });
});

describe('publishing versions', () => {
  test('a correction keeps signatures current; a change of meaning makes everyone due again', async () => {
    const s = await makeSchool(t.db);
    const a = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    await recordSignature(t.db, s.id, { agreementId: a.id, signerId: s.personas.teacher.personId, subjectId: s.personas.teacher.personId, signedName: 'x', method: 'in_harbour' }, systemActor);
    const head = await signedIn(t.app, s.personas.headteacher);

    const unchanged = await head.post(`/agreements/manage/${a.id}/publish`, { title: a.title, body: a.body, change: 'correction' }, { from: `/agreements/manage/${a.id}` });
    assert.equal(unchanged.statusCode, 400, 'publishing the same text is refused');
    assert.match(unchanged.body, /has not changed/);
    const noKind = await head.post(`/agreements/manage/${a.id}/publish`, { title: a.title, body: a.body + '\n\nExtra.' }, { from: `/agreements/manage/${a.id}` });
    assert.equal(noKind.statusCode, 400);
    assert.match(noKind.body, /href="#change"/);

    const fix = await head.post(`/agreements/manage/${a.id}/publish`, { title: a.title, body: a.body.replace('unclear', 'not clear'), change: 'correction' }, { from: `/agreements/manage/${a.id}` });
    assert.equal(fix.statusCode, 303);
    let c = await compliance(t.db, s.id, 'staff_governors');
    assert.equal(c.total.current, 1, 'the teacher is still current after a correction');

    const meaning = await head.post(`/agreements/manage/${a.id}/publish`, { title: a.title, body: a.body + '\n\n- I use only school-approved AI tools with pupil data.', change: 'meaning', note: 'AI tools' }, { from: `/agreements/manage/${a.id}` });
    assert.equal(meaning.statusCode, 303);
    c = await compliance(t.db, s.id, 'staff_governors');
    assert.equal(c.total.current, 0);
    assert.equal(c.total.due, 1, 'the teacher is due to sign again');
    const versions = await q('select number, requires_resign from agreement_versions where agreement_id = $1 order by number', [a.id]);
    assert.deepEqual(versions.map((x: any) => [x.number, x.requires_resign]), [[1, true], [2, false], [3, true]]);
    const audits = await q(`select detail from audit_events where school_id = $1 and action = 'agreement.published' order by seq`, [s.id]);
    assert.deepEqual(audits.map((x: any) => x.detail.requiresResign), [false, true]);
  });

  test('starting the yearly renewal makes every earlier signature due', async () => {
    const s = await makeSchool(t.db);
    const a = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    await recordSignature(t.db, s.id, { agreementId: a.id, signerId: s.personas.teacher.personId, subjectId: s.personas.teacher.personId, signedName: 'x', method: 'in_harbour' }, systemActor);
    const head = await signedIn(t.app, s.personas.headteacher);
    assert.equal((await head.post(`/agreements/manage/${a.id}/renewal`, {}, { from: `/agreements/manage/${a.id}` })).statusCode, 303);
    const c = await compliance(t.db, s.id, 'staff_governors');
    assert.equal(c.total.due, 1);
  });

  test('a teacher may not publish, and the refusal changes nothing', async () => {
    const s = await makeSchool(t.db);
    const a = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    const c = await signedIn(t.app, s.personas.teacher);
    const res = await c.post(`/agreements/manage/${a.id}/publish`, { title: 'x', body: 'y', change: 'meaning' }, { from: '/account' });
    assert.equal(res.statusCode, 403);
    assert.equal((await q('select count(*)::int as n from agreement_versions where agreement_id = $1', [a.id]))[0].n, 1);
    assert.equal((await c.get('/agreements/compliance')).statusCode, 403);
  });
});

describe("parents sign by their personal link", () => {
  test('the emailed link signs for one child and asks the school to explain to the other, in one visit, and then cannot be used again', async () => {
    const s = await makeSchool(t.db);
    const f = await family(s);
    const head = await signedIn(t.app, s.personas.headteacher);
    const sent = await head.post(`/agreements/parents/${f.parentId}/send`, {}, { from: '/agreements/parents' });
    assert.equal(sent.statusCode, 303);
    const email = (await q('select email from people where id = $1', [f.parentId]))[0].email;
    const { token, message } = linkIn(t.outboxDir, email);
    assert.ok(!message.text.includes('Tamsin') && !message.text.includes(f.family), 'no child or family name in the email');
    const [link] = await q('select token_hash, email_status from agreement_links where parent_id = $1', [f.parentId]);
    assert.equal(link.token_hash, sha256(token), 'only the hash of the token is stored');
    assert.equal(link.email_status, 'sent');

    const parent = new Client(t.app);
    const page = await parent.get(`/parents/sign/${token}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Tamsin/);
    assert.match(page.body, /Bran/);
    assert.ok(!page.body.includes('Harbour administrator') && !/href="\/dashboard"/.test(page.body), 'the page shows no navigation into the school');

    const bad = await parent.post(`/parents/sign/${token}`, { version: await version(s.id, 'parents'), signed_name: 'Somebody Else', [`child-${f.older}`]: 'sign' }, { from: `/parents/sign/${token}` });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, new RegExp(`href="#child-${f.younger}"`));
    assert.match(bad.body, /href="#signed_name"/);
    assert.equal((await q('select count(*)::int as n from agreement_signatures where school_id = $1', [s.id]))[0].n, 0);

    const ok = await parent.post(`/parents/sign/${token}`, { version: await version(s.id, 'parents'), signed_name: `morwenna ${f.family}`, [`child-${f.older}`]: 'sign', [`child-${f.younger}`]: 'explain' }, { from: `/parents/sign/${token}` });
    assert.equal(ok.statusCode, 200);
    assert.match(ok.body, /Thank you/);
    const sigs = await q('select * from agreement_signatures where school_id = $1', [s.id]);
    assert.equal(sigs.length, 1);
    assert.equal(sigs[0].method, 'link');
    assert.equal(sigs[0].signer_id, f.parentId);
    assert.equal(sigs[0].subject_id, f.older);
    const requests = await q('select * from agreement_explain_requests where school_id = $1', [s.id]);
    assert.equal(requests.length, 1);
    assert.equal(requests[0].child_id, f.younger);

    const reused = await new Client(t.app).get(`/parents/sign/${token}`);
    assert.equal(reused.statusCode, 410);
    assert.match(reused.body, /already been used/);
    const reusedPost = await parent.post(`/parents/sign/${token}`, { version: await version(s.id, 'parents'), signed_name: `Morwenna ${f.family}`, [`child-${f.older}`]: 'sign', [`child-${f.younger}`]: 'sign' }, { from: '/sign-in' });
    assert.equal(reusedPost.statusCode, 410);
    assert.equal((await q('select count(*)::int as n from agreement_signatures where school_id = $1', [s.id]))[0].n, 1, 'a used link signs nothing more');

    // The request is followed up: explaining the rules records the child's own agreement.
    const list = await head.get('/agreements/explain-requests');
    assert.match(list.body, /Bran/);
    const done = await head.post(`/agreements/explain-requests/${requests[0].id}/explained`, {}, { from: '/agreements/explain-requests' });
    assert.equal(done.statusCode, 303);
    const [own] = await q(`select s.method from agreement_signatures s join agreements a on a.id = s.agreement_id where s.subject_id = $1 and a.audience = 'eyfs_ks1'`, [f.younger]);
    assert.equal(own.method, 'class');
    const access = await accessRegister(t.db, s.id);
    assert.equal(access.find((r) => r.id === f.older)!.access_status, 'allowed');
    assert.equal(access.find((r) => r.id === f.younger)!.access_status, 'allowed');
    // Answered, the parent is not asked again for that child and version: sending links to everyone still to sign leaves them out.
    assert.equal((await head.post('/agreements/parents/send', {}, { from: '/agreements/parents' })).statusCode, 303);
    assert.equal((await q('select count(*)::int as n from agreement_links where school_id = $1 and parent_id = $2', [s.id, f.parentId]))[0].n, 1, 'no second link');
    assert.equal((await head.post(`/agreements/explain-requests/${requests[0].id}/explained`, {}, { from: '/agreements/explain-requests' })).statusCode, 404, 'explained once');
  });

  test('an altered, expired or replaced link gets a clear page and signs nothing', async () => {
    const s = await makeSchool(t.db);
    const f = await family(s);
    const email = (await q('select email from people where id = $1', [f.parentId]))[0].email;
    await sendParentLink(t.db, { send: async (m) => { (globalThis as any).__lastMail = m; } }, 'http://harbour.test', s.id, f.parentId, systemActor, null);
    const first = /\/parents\/sign\/([A-Za-z0-9_-]{43})/.exec((globalThis as any).__lastMail.text)![1];
    assert.equal((globalThis as any).__lastMail.to, email);

    const altered = first.slice(0, -1) + (first.endsWith('A') ? 'B' : 'A');
    const c = new Client(t.app);
    const a = await c.get(`/parents/sign/${altered}`);
    assert.equal(a.statusCode, 404);
    assert.match(a.body, /This link does not work/);
    assert.match(a.body, /Nothing has been signed/);
    assert.equal((await c.get('/parents/sign/short')).statusCode, 404);

    await sendParentLink(t.db, { send: async (m) => { (globalThis as any).__lastMail = m; } }, 'http://harbour.test', s.id, f.parentId, systemActor, null);
    const second = /\/parents\/sign\/([A-Za-z0-9_-]{43})/.exec((globalThis as any).__lastMail.text)![1];
    const replaced = await c.get(`/parents/sign/${first}`);
    assert.equal(replaced.statusCode, 410);
    assert.match(replaced.body, /replaced/);

    await t.db.query(`update agreement_links set expires_at = now() - interval '1 minute' where token_hash = $1`, [sha256(second)]);
    const expired = await c.post(`/parents/sign/${second}`, { version: await version(s.id, 'parents'), signed_name: `Morwenna ${f.family}`, [`child-${f.older}`]: 'sign', [`child-${f.younger}`]: 'sign' }, { from: '/sign-in' });
    assert.equal(expired.statusCode, 410);
    assert.match(expired.body, /expired/);
    assert.equal((await q('select count(*)::int as n from agreement_signatures where school_id = $1', [s.id]))[0].n, 0);
  });

  test('a failed email is shown and can be sent again; the link is kept and nothing depends on the email', async () => {
    const s = await makeSchool(t.db);
    const f = await family(s);
    const failing = { send: async () => { throw new Error('SMTP down'); } };
    const r = await sendParentLink(t.db, failing, 'http://harbour.test', s.id, f.parentId, systemActor, null);
    assert.equal(r?.status, 'failed');
    const [link] = await q('select email_status from agreement_links where parent_id = $1', [f.parentId]);
    assert.equal(link.email_status, 'failed');
    const head = await signedIn(t.app, s.personas.headteacher);
    const page = await head.get('/agreements/parents');
    assert.match(page.body, /Email failed/);
    assert.match(page.body, /could not be sent/);
    assert.match(page.body, /Send again/);
    const again = await head.post(`/agreements/parents/${f.parentId}/send`, {}, { from: '/agreements/parents' });
    assert.equal(again.statusCode, 303);
    const links = await q('select email_status, replaced_at from agreement_links where parent_id = $1 order by created_at', [f.parentId]);
    assert.equal(links.length, 2);
    assert.equal(links[1].email_status, 'sent');
    assert.notEqual(links[0].replaced_at, null, 'the unsent link is replaced');
  });

  test('sending to every parent still due skips those with no email and those already signed', async () => {
    const s = await makeSchool(t.db);
    const due = await family(s);
    const noEmail = await family(s, null);
    const signedFamily = await family(s);
    const parentsAgreement = (await agreementForAudience(t.db, s.id, 'parents'))!;
    for (const child of [signedFamily.older, signedFamily.younger]) {
      await recordSignature(t.db, s.id, { agreementId: parentsAgreement.id, signerId: signedFamily.parentId, subjectId: child, signedName: 'x', method: 'paper' }, systemActor);
    }
    const head = await signedIn(t.app, s.personas.headteacher);
    const res = await head.post('/agreements/parents/send', {}, { from: '/agreements/parents' });
    assert.equal(res.statusCode, 303);
    const links = await q('select parent_id from agreement_links where school_id = $1', [s.id]);
    const parentsWithLinks = links.map((l: any) => l.parent_id);
    assert.ok(parentsWithLinks.includes(due.parentId));
    assert.ok(!parentsWithLinks.includes(noEmail.parentId));
    assert.ok(!parentsWithLinks.includes(signedFamily.parentId));
  });
});

describe('compliance and the technology access register', () => {
  test('compliance counts current, due and never signed by class with percentages', async () => {
    const s = await makeSchool(t.db);
    const ks2 = (await agreementForAudience(t.db, s.id, 'ks2'))!;
    const pupils = [];
    for (let i = 0; i < 4; i++) pupils.push(await addPerson(t.db, s.id, { kind: 'pupil', given_name: `P${i}`, family_name: 'Class', year_group: '3', class_name: '3C' }));
    await recordSignature(t.db, s.id, { agreementId: ks2.id, signerId: pupils[0], subjectId: pupils[0], signedName: 'x', method: 'class' }, systemActor);
    const c = await compliance(t.db, s.id, 'ks2');
    const g = c.byGroup.find((x) => x.group === '3C')!;
    assert.deepEqual([g.total, g.current, g.due, g.never], [4, 1, 0, 3]);
    const head = await signedIn(t.app, s.personas.headteacher);
    const page = await head.get('/agreements/compliance?audience=ks2');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /3C/);
    assert.match(page.body, /1 \(25%\)/);
    assert.match(page.body, /3 \(75%\)/);
  });

  test('every member of staff sees who may not use technology and the kind of reason, never the detail', async () => {
    const s = await makeSchool(t.db);
    const pupil = await addPerson(t.db, s.id, { kind: 'pupil', given_name: 'Ozias', family_name: 'Penhallow', year_group: '5', class_name: '5A' });
    const head = await signedIn(t.app, s.personas.headteacher);
    const res = await head.post(`/technology-access/people/${pupil}/decisions`, { status: 'withdrawn', reason_kind: 'incident_sanction', reason_detail: 'Secret detail about the incident', ends_on: '2099-01-31' }, { from: `/technology-access/people/${pupil}` });
    assert.equal(res.statusCode, 303);
    const teacher = await signedIn(t.app, s.personas.teacher);
    const page = await teacher.get('/technology-access');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Ozias Penhallow/);
    assert.match(page.body, /Sanction after an incident/);
    assert.ok(!page.body.includes('Secret detail'), 'the detail is not shown to all staff');
    assert.equal((await teacher.get(`/technology-access/people/${pupil}`)).statusCode, 403);
    assert.equal((await teacher.get('/technology-access/export.csv')).statusCode, 403);

    const csv = await (await signedIn(t.app, s.personas.itProvider)).get('/technology-access/export.csv');
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /text\/csv/);
    assert.match(csv.body, /Penhallow,.*withdrawn,no,incident_sanction,2099-01-31/);
    assert.ok(!csv.body.includes('Secret detail'));
  });

  test('the CSV export takes changed_since as the API does: only the people whose standing changed, leavers included; a bad value is refused naming it', async () => {
    const s = await makeSchool(t.db);
    const it = await signedIn(t.app, s.personas.itProvider);
    await t.db.query(`update people set created_at = now() - interval '30 days', updated_at = now() - interval '30 days' where school_id = $1`, [s.id]);
    await t.db.query(`update agreement_versions set published_at = now() - interval '30 days' where school_id = $1`, [s.id]);
    const since = new Date(Date.now() - 1000).toISOString();
    const a = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    await recordSignature(t.db, s.id, { agreementId: a.id, signerId: s.personas.teacher.personId, subjectId: s.personas.teacher.personId, signedName: 'x', method: 'in_harbour' }, systemActor);
    await t.db.query(`update people set left_on = current_date - 1, updated_at = now() where school_id = $1 and id = $2`, [s.id, s.pupilId]);

    const all = await it.get('/technology-access/export.csv');
    assert.equal(all.statusCode, 200);
    assert.match(all.body.split(/\r?\n/)[0], /,changed_at,left_on$/);
    assert.ok(!all.body.includes(s.pupilId), 'without changed_since, leavers are not listed');
    const changed = await it.get(`/technology-access/export.csv?changed_since=${encodeURIComponent(since)}`);
    assert.equal(changed.statusCode, 200);
    const rows = changed.body.trim().split(/\r?\n/).slice(1);
    assert.deepEqual(rows.map((r) => r.split(',')[0]).sort(), [s.personas.teacher.personId, s.pupilId].sort(), 'the signer and the leaver, nobody else');
    assert.match(rows.find((r) => r.startsWith(s.personas.teacher.personId))!, /,allowed,yes,/);
    assert.match(rows.find((r) => r.startsWith(s.pupilId))!, /,not_yet,no,.*,\d{4}-\d{2}-\d{2}$/);
    const dateOnly = await it.get(`/technology-access/export.csv?changed_since=${new Date().toISOString().slice(0, 10)}`);
    assert.equal(dateOnly.statusCode, 200);

    for (const bad of ['yesterday', '2026-13-45', '2026-09-01T08:00']) {
      const res = await it.get(`/technology-access/export.csv?changed_since=${encodeURIComponent(bad)}`);
      assert.equal(res.statusCode, 400, bad);
      assert.match(res.body, /changed_since/);
    }
    const twice = await it.get(`/technology-access/export.csv?changed_since=${encodeURIComponent(since)}&changed_since=${encodeURIComponent(since)}`);
    assert.equal(twice.statusCode, 400);
    assert.match(twice.body, /changed_since/);
  });

  test('the CSV export neutralises a name that a spreadsheet would run as a formula', async () => {
    const s = await makeSchool(t.db);
    await addPerson(t.db, s.id, { kind: 'pupil', given_name: '=HYPERLINK("x")', family_name: 'Formula', year_group: '5', class_name: '5A' });
    const csv = await (await signedIn(t.app, s.personas.headteacher)).get('/technology-access/export.csv');
    assert.match(csv.body, /'=HYPERLINK/);
  });

  test('a withdrawal ends by itself after its end date, and a restriction lasts until lifted', async () => {
    const s = await makeSchool(t.db);
    const staffAgreement = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    const p = s.personas.teacher.personId;
    await recordSignature(t.db, s.id, { agreementId: staffAgreement.id, signerId: p, subjectId: p, signedName: 'x', method: 'in_harbour' }, systemActor);
    await recordAccessDecision(t.db, s.id, { personId: p, status: 'withdrawn', reasonKind: 'incident_sanction', startsOn: '2020-01-01', endsOn: '2020-01-31', sourceType: 'incident' }, systemActor, null);
    let row = (await accessRegister(t.db, s.id)).find((r) => r.id === p)!;
    assert.equal(row.access_status, 'allowed', 'the ended withdrawal no longer counts');
    const id = await recordAccessDecision(t.db, s.id, { personId: p, status: 'restricted', reasonKind: 'safeguarding' }, systemActor, null);
    row = (await accessRegister(t.db, s.id)).find((r) => r.id === p)!;
    assert.equal(row.access_status, 'restricted');
    assert.equal(row.reason_kind, 'safeguarding');
    const head = await signedIn(t.app, s.personas.headteacher);
    assert.equal((await head.post(`/technology-access/decisions/${id}/lift`, {}, { from: `/technology-access/people/${p}` })).statusCode, 303);
    row = (await accessRegister(t.db, s.id)).find((r) => r.id === p)!;
    assert.equal(row.access_status, 'allowed');
  });

  test("an incident's withdrawal shows in the register while it lasts, and its end by itself reaches the IT provider through changed_since", async () => {
    const s = await makeSchool(t.db);
    const pupil = await addPerson(t.db, s.id, { kind: 'pupil', given_name: 'Hedra', family_name: 'Pascoe', year_group: '5', class_name: '5A' });
    const london = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(d);
    const yesterday = london(new Date(Date.now() - 86_400_000));
    const incidentId = randomUUID();
    // As the incidents capability records it (recordIncidentAction calls this exported function).
    await recordAccessDecision(t.db, s.id, { personId: pupil, status: 'withdrawn', reasonKind: 'incident_sanction', reasonDetail: 'Incident INC-1', startsOn: '2026-01-05', endsOn: '2099-12-31', sourceType: 'incident', sourceId: incidentId }, systemActor, null);
    let row = (await accessRegister(t.db, s.id, { notAllowedOnly: true })).find((r) => r.id === pupil)!;
    assert.deepEqual([row.access_status, row.reason_kind, row.ends_on && london(new Date(row.ends_on))], ['withdrawn', 'incident_sanction', '2099-12-31']);
    // Time passes: nothing about the pupil, the decision or the agreements has changed for weeks.
    await t.db.query(`update technology_access_decisions set decided_at = now() - interval '20 days' where school_id = $1 and person_id = $2`, [s.id, pupil]);
    await t.db.query(`update people set created_at = now() - interval '20 days', updated_at = now() - interval '20 days' where school_id = $1 and id = $2`, [s.id, pupil]);
    await t.db.query(`update agreement_versions set published_at = now() - interval '20 days' where school_id = $1`, [s.id]);
    const key = await createApiKey(t.db, s.id, 'IT provider sync', ['technology-access:read'], systemActor, null);
    const get = async (since: string) => (await t.app.inject({ method: 'GET', url: `/api/v1/technology-access?changed_since=${encodeURIComponent(since)}`, headers: { authorization: `Bearer ${key.key}` } })).json();
    const lastWeek = new Date(Date.now() - 7 * 86_400_000).toISOString();
    assert.ok(!(await get(lastWeek)).people.some((p: any) => p.person_id === pupil), 'a withdrawal still running is no change');
    // The withdrawal's last day was yesterday.
    await t.db.query(`update technology_access_decisions set ends_on = $2 where school_id = $1 and person_id = $3`, [s.id, yesterday, pupil]);
    row = (await accessRegister(t.db, s.id)).find((r) => r.id === pupil)!;
    assert.equal(row.access_status, 'not_yet', 'the withdrawal has ended by itself; the pupil still needs a current agreement');
    const sinceLastWeek = await get(lastWeek);
    assert.deepEqual(sinceLastWeek.people.filter((p: any) => p.person_id === pupil).map((p: any) => [p.status, p.reason_kind, p.until]), [['not_yet', null, null]]);
    const sinceNow = await get(new Date(Date.now() + 1000).toISOString());
    assert.ok(!sinceNow.people.some((p: any) => p.person_id === pupil), 'nothing has changed since');
  });

  test('a paper signature entered today but dated weeks ago reaches the IT provider through changed_since', async () => {
    const s = await makeSchool(t.db);
    const teacher = s.personas.teacher.personId;
    // Nothing about the teacher or the agreements has changed for weeks.
    await t.db.query(`update people set created_at = now() - interval '40 days', updated_at = now() - interval '40 days' where school_id = $1`, [s.id]);
    await t.db.query(`update agreement_versions set published_at = now() - interval '40 days' where school_id = $1`, [s.id]);
    const key = await createApiKey(t.db, s.id, 'IT provider sync', ['technology-access:read'], systemActor, null);
    const get = async (since: string) => (await t.app.inject({ method: 'GET', url: `/api/v1/technology-access?changed_since=${encodeURIComponent(since)}`, headers: { authorization: `Bearer ${key.key}` } })).json();
    const lastSync = (await get(new Date(Date.now() - 86_400_000).toISOString())).generated_at;
    assert.ok(!(await get(lastSync)).people.some((p: any) => p.person_id === teacher));
    await new Promise((r) => setTimeout(r, 20));
    // The office enters the teacher's paper copy, dated three weeks ago.
    const staffAgreement = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    const head = await signedIn(t.app, s.personas.headteacher);
    const dated = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date(Date.now() - 21 * 86_400_000));
    const res = await head.post(`/agreements/paper/${teacher}`, { version: staffAgreement.version_id, signer: teacher, signed_on: dated, signed_name: 'Teacher Tester' }, { from: `/agreements/paper/${teacher}` });
    assert.equal(res.statusCode, 303);
    const [sig] = await q(`select signed_at, recorded_at from agreement_signatures where school_id = $1 and subject_id = $2`, [s.id, teacher]);
    assert.ok(new Date(sig.signed_at) < new Date(lastSync) && new Date(sig.recorded_at) >= new Date(lastSync), 'dated before the last sync, entered after it');
    const changed = await get(lastSync);
    assert.deepEqual(changed.people.filter((p: any) => p.person_id === teacher).map((p: any) => [p.status, p.may_use_technology]), [['allowed', true]]);
    assert.ok(new Date(changed.people.find((p: any) => p.person_id === teacher).changed_at) >= new Date(lastSync));
  });

  test('the API gives the register to a key with its scope, and with changed_since only the people whose standing changed', async () => {
    const s = await makeSchool(t.db);
    const key = await createApiKey(t.db, s.id, 'IT provider sync', ['technology-access:read'], systemActor, null);
    const noScope = await createApiKey(t.db, s.id, 'Other', ['school:read'], systemActor, null);
    const get = (url: string, k = key.key) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${k}` } });
    assert.equal((await get('/api/v1/technology-access', noScope.key)).statusCode, 403);
    const all = await get('/api/v1/technology-access');
    assert.equal(all.statusCode, 200);
    const body = all.json();
    assert.ok(body.people.length >= 8);
    assert.ok(body.people.every((p: any) => p.status === 'not_yet' && p.may_use_technology === false));

    const since = body.generated_at;
    await new Promise((r) => setTimeout(r, 20));
    const a = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
    await recordSignature(t.db, s.id, { agreementId: a.id, signerId: s.personas.teacher.personId, subjectId: s.personas.teacher.personId, signedName: 'x', method: 'in_harbour' }, systemActor);
    const changed = (await get(`/api/v1/technology-access?changed_since=${encodeURIComponent(since)}`)).json();
    assert.deepEqual(changed.people.map((p: any) => [p.person_id, p.status, p.may_use_technology]), [[s.personas.teacher.personId, 'allowed', true]]);
    const badParam = await get('/api/v1/technology-access?changed_since=yesterday');
    assert.equal(badParam.statusCode, 400);
    assert.equal(badParam.json().parameter, 'changed_since');
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    assert.ok(doc.paths['/technology-access'].get, 'the operation is described in the OpenAPI document');
    assert.equal(doc.paths['/technology-access'].get['x-required-scope'], 'technology-access:read');
  });
});

describe('the visitors kiosk', () => {
  test('starting kiosk mode signs the member of staff out of that device, and visitors sign with name, organisation, whom they visit and the date', async () => {
    const s = await makeSchool(t.db);
    const office = await signedIn(t.app, s.personas.office);
    const start = await office.post('/agreements/kiosks', { name: 'Reception tablet' }, { from: '/agreements/kiosks' });
    assert.equal(start.statusCode, 303);
    assert.equal(start.headers.location, '/kiosk');
    assert.equal((await office.get('/dashboard')).statusCode, 303, 'the kiosk device is no longer signed in');

    const page = await office.get('/kiosk');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /visitors, supply staff/i);
    assert.ok(!page.body.includes(s.name), "the kiosk shows nothing else of the school, not even its name");
    assert.ok(!page.body.includes('govuk-service-navigation'), 'no navigation');
    assert.deepEqual([...page.body.matchAll(/href="([^"#][^"]*)"/g)].map((m) => m[1]).filter((h) => !h.startsWith('/assets/') && h !== '/kiosk'), [], 'no link leads away');
    // Even with a member of staff signed in again on the tablet, the kiosk shows no navigation, account or "Report a concern".
    await office.signIn(s.personas.office);
    const signedInKiosk = await office.get('/kiosk');
    assert.equal(signedInKiosk.statusCode, 200);
    for (const away of ['govuk-service-navigation', 'Report a concern', 'href="/account"', 'href="/"', s.name]) assert.ok(!signedInKiosk.body.includes(away), `no ${away}`);
    await office.post('/sign-out', {}, { from: '/dashboard' });

    const missing = await office.post('/kiosk', { version: await version(s.id, 'visitors'), given_name: 'Ines', family_name: '', visiting: '', visit_on: '2026-02-30' }, { from: '/kiosk' });
    assert.equal(missing.statusCode, 400);
    assert.match(missing.body, /href="#family_name"/);
    assert.match(missing.body, /href="#visit_on"/);

    const email = uniqueEmail('visitor');
    const ok = await office.post('/kiosk', { version: await version(s.id, 'visitors'), given_name: 'Ines', family_name: 'Trevail', organisation: 'Supply Co', visiting: 'Year 5 class teacher', visit_on: '2026-03-02', email, agree: 'yes' }, { from: '/kiosk' });
    assert.equal(ok.statusCode, 200);
    assert.match(ok.body, /copy has been sent/);
    const [sig] = await q(`select s.*, p.kind, p.organisation_name from agreement_signatures s join people p on p.id = s.subject_id where s.school_id = $1 and s.method = 'kiosk'`, [s.id]);
    assert.equal(sig.kind, 'visitor');
    assert.equal(sig.organisation_name, 'Supply Co');
    assert.equal(sig.visiting, 'Year 5 class teacher');
    assert.equal(sig.visit_on, '2026-03-02');
    assert.ok(readOutbox(t.outboxDir).some((m) => m.to === email && m.text.includes(sig.text_sha256)));
  });

  test('a second tap of Sign, a resubmitted form or a returning visitor is one person with one signature', async () => {
    const s = await makeSchool(t.db);
    const office = await signedIn(t.app, s.personas.office);
    await office.post('/agreements/kiosks', { name: 'Reception tablet' }, { from: '/agreements/kiosks' });
    const email = uniqueEmail('returning');
    const form = { version: await version(s.id, 'visitors'), given_name: 'Wenna', family_name: 'Tregarthen', organisation: 'Coastal Supply', visiting: 'Year 2', visit_on: '2026-03-02', email, agree: 'yes' };
    const csrf = await office.csrf('/kiosk');
    // A double tap: both posts of the same page arrive together.
    const [first, second] = await Promise.all([office.post('/kiosk', form, { csrf }), office.post('/kiosk', form, { csrf })]);
    assert.deepEqual([first.statusCode, second.statusCode], [200, 200]);
    const people = async () => q(`select id, email from people where school_id = $1 and kind = 'visitor'`, [s.id]);
    const sigs = async () => q(`select id, signer_id from agreement_signatures where school_id = $1 and method = 'kiosk'`, [s.id]);
    assert.equal((await people()).length, 1, 'one person');
    assert.equal((await sigs()).length, 1, 'one signature');
    assert.equal(readOutbox(t.outboxDir).filter((m) => m.to === email).length, 1, 'one copy by email');
    // The form sent again later, typed differently, without the address: still the same person.
    const again = await office.post('/kiosk', { ...form, given_name: '  wenna ', family_name: 'TREGARTHEN', organisation: 'coastal   supply', email: '' }, { from: '/kiosk' });
    assert.equal(again.statusCode, 200);
    assert.match(again.body, /already signed this version/);
    assert.equal((await people()).length, 1);
    assert.deepEqual((await sigs()).map((x: any) => x.signer_id), [(await people())[0].id]);
    // Someone of the same name from another organisation, or with another address, is someone else.
    await office.post('/kiosk', { ...form, organisation: 'Harbourside College' }, { from: '/kiosk' });
    await office.post('/kiosk', { ...form, email: uniqueEmail('namesake') }, { from: '/kiosk' });
    assert.equal((await people()).length, 3);
    assert.equal((await sigs()).length, 3);
    // A visitor on record without an address: someone typing their name with an address of their
    // own does not get it added to that record (it would receive the visitor's copies).
    const noAddress = { ...form, given_name: 'Jory', family_name: 'Pascoe', email: '' };
    await office.post('/kiosk', noAddress, { from: '/kiosk' });
    const [jory] = await q(`select id, email from people where school_id = $1 and kind = 'visitor' and family_name = 'Pascoe'`, [s.id]);
    await office.post('/kiosk', { ...noAddress, email: uniqueEmail('someone.else') }, { from: '/kiosk' });
    assert.equal((await q(`select email from people where id = $1`, [jory.id]))[0].email, null, "the first visitor's record has no address added");
    assert.equal((await people()).length, 5);
    const [{ n }] = await q(`select count(*)::int as n from audit_events where school_id = $1 and action = 'person.created' and detail->>'via' = 'kiosk'`, [s.id]);
    assert.equal(n, 5, 'a person.created entry only for the people made');
  });

  test("every visit goes in the visitors' log: a returning visitor's visits each with their host and date, one signature; a double tap is one visit", async () => {
    const other = await makeSchool(t.db);
    const s = await makeSchool(t.db);
    const tablet = await signedIn(t.app, s.personas.office);
    await tablet.post('/agreements/kiosks', { name: 'Front desk tablet' }, { from: '/agreements/kiosks' });
    const form = { version: await version(s.id, 'visitors'), given_name: 'Loveday', family_name: 'Penhallow', organisation: 'Kernow Music', visiting: 'Year 4 class teacher', visit_on: '2026-03-02', agree: 'yes' };
    // A double tap: both posts of the same page arrive together, then the form is sent again a moment later.
    const csrf = await tablet.csrf('/kiosk');
    const taps = await Promise.all([tablet.post('/kiosk', form, { csrf }), tablet.post('/kiosk', form, { csrf })]);
    assert.deepEqual(taps.map((r) => r.statusCode), [200, 200]);
    assert.equal((await tablet.post('/kiosk', { ...form, visiting: ' year 4  class teacher' }, { from: '/kiosk' })).statusCode, 200);
    const visits = async () => q(`select vi.visitor_id, vi.signature_id, vi.signed_this_visit, vi.visiting, vi.visit_on, k.name as kiosk from agreement_visits vi join agreement_kiosks k on k.id = vi.kiosk_id where vi.school_id = $1 order by vi.arrived_at`, [s.id]);
    assert.equal((await visits()).length, 1, 'a double tap is one visit');
    // The same visitor comes back the next week to see someone else, and later the same day again (not a double tap).
    assert.equal((await tablet.post('/kiosk', { ...form, visiting: 'The headteacher', visit_on: '2026-03-09' }, { from: '/kiosk' })).statusCode, 200);
    await q(`update agreement_visits set arrived_at = arrived_at - interval '15 minutes' where school_id = $1`, [s.id]);
    assert.equal((await tablet.post('/kiosk', { ...form, visiting: 'The headteacher', visit_on: '2026-03-09' }, { from: '/kiosk' })).statusCode, 200);
    const sigs = await q(`select id, signer_id from agreement_signatures where school_id = $1 and method = 'kiosk'`, [s.id]);
    assert.equal(sigs.length, 1, 'one signature for the one version');
    const log = await visits();
    assert.deepEqual(log.map((r: any) => [r.visiting, r.visit_on, r.signed_this_visit, r.signature_id, r.visitor_id, r.kiosk]), [
      ['Year 4 class teacher', '2026-03-02', true, sigs[0].id, sigs[0].signer_id, 'Front desk tablet'],
      ['The headteacher', '2026-03-09', false, sigs[0].id, sigs[0].signer_id, 'Front desk tablet'],
      ['The headteacher', '2026-03-09', false, sigs[0].id, sigs[0].signer_id, 'Front desk tablet'],
    ]);

    // Another school's visitor on the same day.
    const theirTablet = await signedIn(t.app, other.personas.office);
    await theirTablet.post('/agreements/kiosks', { name: 'Their tablet' }, { from: '/agreements/kiosks' });
    assert.equal((await theirTablet.post('/kiosk', { ...form, version: await version(other.id, 'visitors'), given_name: 'Elowen', family_name: 'Othershore' }, { from: '/kiosk' })).statusCode, 200);

    // Reception reads the log by day; those who manage agreements may too; a teacher may not.
    const office = await signedIn(t.app, s.personas.office);
    const first = await office.get('/agreements/visits?date=2026-03-02');
    assert.equal(first.statusCode, 200);
    assert.match(first.body, /Loveday Penhallow/);
    assert.match(first.body, /Year 4 class teacher/);
    assert.match(first.body, /1 visit\b/);
    assert.match(first.body, /Signed version 1 on this visit/);
    assert.ok(!first.body.includes('Othershore') && !first.body.includes('Their tablet'), "another school's visits never show");
    const second = await (await signedIn(t.app, s.personas.headteacher)).get('/agreements/visits?date=2026-03-09');
    assert.equal(second.statusCode, 200);
    assert.match(second.body, /2 visits/);
    assert.match(second.body, /The headteacher/);
    assert.ok(!second.body.includes('Year 4 class teacher') && !second.body.includes('Othershore'));
    // Today's, by default: the visits signed in today whatever date was typed.
    const todays = await office.get('/agreements/visits');
    assert.equal(todays.statusCode, 200);
    assert.match(todays.body, /Today, /);
    const [{ n: today }] = await q(`select count(*)::int as n from agreement_visits where school_id = $1 and (arrived_at at time zone 'Europe/London')::date = (now() at time zone 'Europe/London')::date`, [s.id]);
    assert.match(todays.body, new RegExp(`${today} visits?\\b`), 'signed in today (all three, unless the test ran across midnight)');
    assert.ok(!todays.body.includes('Othershore'));
    const bad = await office.get('/agreements/visits?date=2026-02-30');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /href="#date"/);
    assert.equal((await (await signedIn(t.app, s.personas.teacher)).get('/agreements/visits')).statusCode, 403);
    const viewed = await q(`select detail from audit_events where school_id = $1 and action = 'agreement_visits.viewed' order by id`, [s.id]);
    assert.deepEqual(viewed.map((r: any) => [r.detail.day, r.detail.count]).slice(0, 2), [['2026-03-02', 1], ['2026-03-09', 2]]);
    assert.equal(viewed.length, 3, 'each view of the log is audited');
  });

  test('a device that is not a kiosk, or whose kiosk was ended, signs nothing', async () => {
    const s = await makeSchool(t.db);
    const c = new Client(t.app);
    assert.equal((await c.get('/kiosk')).statusCode, 403);
    const office = await signedIn(t.app, s.personas.office);
    await office.post('/agreements/kiosks', { name: 'Front desk' }, { from: '/agreements/kiosks' });
    const [k] = await q('select id from agreement_kiosks where school_id = $1', [s.id]);
    const head = await signedIn(t.app, s.personas.headteacher);
    assert.equal((await head.post(`/agreements/kiosks/${k.id}/end`, {}, { from: '/agreements/kiosks' })).statusCode, 303);
    const res = await office.post('/kiosk', { version: await version(s.id, 'visitors'), given_name: 'A', family_name: 'B', visiting: 'C', visit_on: '2026-03-02', agree: 'yes' }, { from: '/sign-in' });
    assert.equal(res.statusCode, 403);
    assert.equal((await q(`select count(*)::int as n from agreement_signatures where school_id = $1`, [s.id]))[0].n, 0);
  });
});

describe('class sessions', () => {
  test('older pupils confirm their own name; for the youngest the teacher records the class discussion', async () => {
    const s = await makeSchool(t.db);
    const older = await addPerson(t.db, s.id, { kind: 'pupil', given_name: 'Kerensa', family_name: 'Nance', year_group: '6', class_name: '6N' });
    const young = await addPerson(t.db, s.id, { kind: 'pupil', given_name: 'Jory', family_name: 'Nance', year_group: '1', class_name: '1J' });
    const teacher = await signedIn(t.app, s.personas.teacher);
    const session = await teacher.get('/agreements/class?class=6N');
    assert.equal(session.statusCode, 200);
    assert.match(session.body, /Kerensa/);
    const wrong = await teacher.post('/agreements/class/confirm', { version: await version(s.id, 'ks2'), class: '6N', pupil: older, pupil_name: 'Someone' }, { from: '/agreements/class?class=6N' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /href="#pupil_name"/);
    assert.equal((await teacher.post('/agreements/class/confirm', { version: await version(s.id, 'ks2'), class: '6N', pupil: older, pupil_name: 'kerensa nance' }, { from: '/agreements/class?class=6N' })).statusCode, 303);
    assert.equal((await teacher.post('/agreements/class/discussed', { version: await version(s.id, 'eyfs_ks1'), class: '1J', pupils: [young] }, { from: '/agreements/class?class=1J' })).statusCode, 303);
    const sigs = await q(`select s.subject_id, s.signer_id, s.method, a.audience from agreement_signatures s join agreements a on a.id = s.agreement_id where s.school_id = $1 order by a.audience`, [s.id]);
    assert.deepEqual(sigs.map((x: any) => [x.audience, x.subject_id, x.signer_id, x.method]), [
      ['eyfs_ks1', young, s.personas.teacher.personId, 'class'],
      ['ks2', older, older, 'class'],
    ]);
  });
});

describe('isolation', () => {
  test("another school's agreement, parent, decision or kiosk is not found", async () => {
    const other = await makeSchool(t.db);
    const s = await makeSchool(t.db);
    const head = await signedIn(t.app, s.personas.headteacher);
    const theirs = (await agreementForAudience(t.db, other.id, 'staff_governors'))!;
    assert.equal((await head.get(`/agreements/manage/${theirs.id}`)).statusCode, 404);
    assert.equal((await head.post(`/agreements/manage/${theirs.id}/publish`, { title: 'x', body: 'y', change: 'meaning' }, { from: '/agreements' })).statusCode, 404);
    const f = await family(other);
    assert.equal((await head.post(`/agreements/parents/${f.parentId}/send`, {}, { from: '/agreements' })).statusCode, 404);
    assert.equal((await head.get(`/technology-access/people/${other.pupilId}`)).statusCode, 404);
    assert.equal((await head.post(`/technology-access/people/${other.pupilId}/decisions`, { status: 'withdrawn', reason_kind: 'other' }, { from: '/agreements' })).statusCode, 404);
    assert.equal((await q('select count(*)::int as n from technology_access_decisions where school_id = $1', [other.id]))[0].n, 0);
    assert.equal((await q('select count(*)::int as n from agreement_versions where school_id = $1', [other.id]))[0].n, 6);
  });

  test('a governor can sign but cannot reach the register or the compliance view', async () => {
    const s = await makeSchool(t.db);
    const g = await signedIn(t.app, s.personas.governor);
    assert.equal((await g.get('/agreements')).statusCode, 200);
    assert.equal((await g.get('/technology-access')).statusCode, 403);
    assert.equal((await g.get('/agreements/compliance')).statusCode, 403);
    const osl = await makeStaff(t.db, s.id, ['online_safety_lead'], 'osl');
    const c = await signedIn(t.app, osl);
    assert.equal((await c.get('/agreements/compliance')).statusCode, 200);
    assert.equal((await c.get('/agreements/parents')).statusCode, 200);
  });
});
