// The audit trail: a hash chain per school, append-only in the database, verifiable, and
// readable in the browser by those allowed. Tampering happens only in a scratch database:
// the shared test database's trail must stay whole for every other test.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { audit, chainFor, entryHash, verifyAuditTrail, systemActor, type AuditRow } from './audit';
import { closeTestDb, makeSchool, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';
import { createScratchDatabase, type ScratchDatabase } from '../db/scratch-database';
import { addPerson, createOrganisation, createSchool } from '../../modules/schools/service';
import type { Queryable } from '../db/database';

const GENESIS = '0'.repeat(64);

let t: TestApp;
let school: TestSchool;
let scratch: ScratchDatabase | null = null;

before(async () => {
  t = await testApp();
  school = await makeSchool(t.db);
});
after(async () => {
  await t.close();
  await scratch?.drop();
  await closeTestDb();
});

async function chainRows(db: Queryable, schoolId: string): Promise<AuditRow[]> {
  return (await db.query<AuditRow>('select * from audit_events where chain = $1 order by seq', [chainFor(schoolId)])).rows;
}

/** Runs SQL on audit_events with the append-only trigger off, as someone with the database password could. */
async function tamper(db: ScratchDatabase, sql: string, params: unknown[]) {
  const client = await db.db().pool.connect();
  try {
    await client.query('begin');
    await client.query('alter table audit_events disable trigger audit_events_no_update');
    await client.query(sql, params);
    await client.query('alter table audit_events enable trigger audit_events_no_update');
    await client.query('commit');
  } catch (e) {
    await client.query('rollback');
    throw e;
  } finally {
    client.release();
  }
}

test("each entry of a school's chain points at the hash of the entry before it", async () => {
  await audit(t.db, { schoolId: school.id, actor: systemActor, action: 'test.first', detail: { n: 1 } });
  await audit(t.db, { schoolId: school.id, actor: systemActor, action: 'test.second', detail: { n: 2 } });
  const rows = await chainRows(t.db, school.id);
  assert.ok(rows.length > 5);
  rows.forEach((r, i) => {
    assert.equal(r.seq, i + 1, 'numbers run 1, 2, 3 with no gap');
    assert.equal(r.prev_hash, i === 0 ? GENESIS : rows[i - 1].hash);
    assert.equal(r.hash, entryHash(r.prev_hash, r), 'the hash covers the entry and the hash before it');
    assert.equal(r.school_id, school.id);
  });
  assert.equal(rows.at(-1)!.action, 'test.second');
});

test('every school has a chain of its own, starting at 1', async () => {
  const orgId = await createOrganisation(t.db, 'Trust of Chain Test', 'trust');
  const other = await createSchool(t.db, { name: 'Chain Test School', organisationId: orgId });
  await addPerson(t.db, other, { kind: 'staff', given_name: 'Chain', family_name: 'Tester' });
  const rows = await chainRows(t.db, other);
  assert.deepEqual(rows.map((r) => [r.seq, r.action]), [[1, 'school.created'], [2, 'person.created']]);
  assert.equal(rows[0].prev_hash, GENESIS);
  assert.equal(rows[0].chain, `school:${other}`);
  const mine = await chainRows(t.db, school.id);
  assert.ok(!mine.some((r) => r.school_id === other), "another school's entries are not in this chain");
  const result = await verifyAuditTrail(t.db, { chain: chainFor(other) });
  assert.deepEqual(result, { checked: 2, chains: 1, broken: null });
});

test('the table refuses UPDATE and DELETE of an entry', async () => {
  const [first] = await chainRows(t.db, school.id);
  await assert.rejects(
    t.db.query(`update audit_events set detail = '{"changed":true}' where id = $1`, [first.id]),
    /append-only: UPDATE is not allowed/,
  );
  await assert.rejects(t.db.query('delete from audit_events where id = $1', [first.id]), /append-only: DELETE is not allowed/);
  const [still] = await chainRows(t.db, school.id);
  assert.deepEqual(still, first);
});

test('verification passes on a whole trail, and names exactly the entry whose content was changed', async () => {
  scratch ??= await createScratchDatabase('audit');
  const db = scratch.db();
  const a = await createSchool(db, { name: 'Tamper School A' });
  const b = await createSchool(db, { name: 'Tamper School B' });
  for (const s of [a, b]) {
    for (let i = 0; i < 4; i++) await audit(db, { schoolId: s, actor: systemActor, action: 'test.entry', recordType: 'test', recordId: String(i), detail: { n: i } });
  }
  const whole = await verifyAuditTrail(db);
  assert.equal(whole.broken, null);
  assert.equal(whole.checked, 10);

  const target = (await chainRows(db, a))[2];
  await tamper(scratch, `update audit_events set detail = '{"n":99}' where id = $1`, [target.id]);
  const result = await verifyAuditTrail(db);
  assert.deepEqual(result.broken, { id: Number(target.id), chain: chainFor(a), seq: 3, reason: 'its content was changed after it was written' });
  assert.deepEqual((await verifyAuditTrail(db, { chain: chainFor(a) })).broken?.id, Number(target.id));
  assert.equal((await verifyAuditTrail(db, { chain: chainFor(b) })).broken, null, "the other school's chain is still whole");

  // The trigger is back on after the tampering.
  await assert.rejects(db.query('delete from audit_events where id = $1', [target.id]), /append-only/);
});

test('verification names the entry after a deleted one (a gap in the numbers)', async () => {
  scratch ??= await createScratchDatabase('audit');
  const db = scratch.db();
  const s = await createSchool(db, { name: 'Gap School' });
  for (let i = 0; i < 4; i++) await audit(db, { schoolId: s, actor: systemActor, action: 'test.entry', detail: { n: i } });
  const rows = await chainRows(db, s);
  assert.equal((await verifyAuditTrail(db, { chain: chainFor(s) })).broken, null);
  await tamper(scratch, 'delete from audit_events where id = $1', [rows[2].id]);
  const result = await verifyAuditTrail(db, { chain: chainFor(s) });
  assert.deepEqual(result.broken, { id: Number(rows[3].id), chain: chainFor(s), seq: 4, reason: 'entry 3 of this chain is missing' });
});

test('verification names an entry rewritten with a fresh hash, because the next one no longer points at it', async () => {
  scratch ??= await createScratchDatabase('audit');
  const db = scratch.db();
  const s = await createSchool(db, { name: 'Rehash School' });
  for (let i = 0; i < 3; i++) await audit(db, { schoolId: s, actor: systemActor, action: 'test.entry', detail: { n: i } });
  const rows = await chainRows(db, s);
  const forged = { ...rows[1], detail: { n: 'forged' } };
  await tamper(scratch, 'update audit_events set detail = $2, hash = $3 where id = $1', [rows[1].id, JSON.stringify(forged.detail), entryHash(forged.prev_hash, forged)]);
  const result = await verifyAuditTrail(db, { chain: chainFor(s) });
  assert.deepEqual(result.broken, { id: Number(rows[2].id), chain: chainFor(s), seq: 3, reason: 'it does not point at the entry before it' });
});

/** Today's date in the school's time zone, as the filter takes it. */
function londonDate(offsetDays = 0) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date(Date.now() + offsetDays * 86_400_000));
}

function listedActions(body: string) {
  return [...body.matchAll(/<td class="govuk-table__cell">([a-z_]+\.[a-z_]+)<\/td>/g)].map((m) => m[1]);
}

test('the headteacher and the safeguarding lead read the school trail in the browser', async () => {
  for (const p of [school.personas.headteacher, school.personas.dsl]) {
    const c = await signedIn(t.app, p);
    const res = await c.get('/audit');
    assert.equal(res.statusCode, 200);
    const actions = listedActions(res.body);
    assert.ok(actions.includes('school.created'));
    assert.ok(actions.includes('account.created'));
  }
});

test('the audit page filters by action and by date', async () => {
  const c = await signedIn(t.app, school.personas.headteacher);
  const byAction = await c.get('/audit?action=school.created');
  assert.equal(byAction.statusCode, 200);
  assert.deepEqual(listedActions(byAction.body), ['school.created']);

  const today = await c.get(`/audit?action=account.created&from=${londonDate()}&to=${londonDate()}`);
  assert.equal(today.statusCode, 200);
  assert.equal(listedActions(today.body).length, 7, 'the seven accounts made today');
  const tomorrow = await c.get(`/audit?from=${londonDate(1)}`);
  assert.equal(tomorrow.statusCode, 200);
  assert.deepEqual(listedActions(tomorrow.body), []);
  assert.match(tomorrow.body, /No entries match/);
  const yesterday = await c.get(`/audit?action=school.created&to=${londonDate(-1)}`);
  assert.deepEqual(listedActions(yesterday.body), []);
});

test('a malformed date on the audit page is refused with an error naming the field', async () => {
  const c = await signedIn(t.app, school.personas.headteacher);
  const res = await c.get('/audit?from=2026-13&action=person');
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /href="#from"/);
  assert.match(res.body, /Enter the &quot;from&quot; date as YYYY-MM-DD|Enter the "from" date as YYYY-MM-DD/);
  assert.match(res.body, /id="from" name="from" type="text" value="2026-13"/);
  assert.deepEqual(listedActions(res.body), []);
});

test('a teacher cannot read the audit trail', async () => {
  const c = await signedIn(t.app, school.personas.teacher);
  const res = await c.get('/audit');
  assert.equal(res.statusCode, 403);
  assert.deepEqual(listedActions(res.body), []);
});
