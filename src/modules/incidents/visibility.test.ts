// Who sees which incident, as a table of personas by incidents. Every query on incidents goes
// through IncidentScope, so proving its answers here proves them for lists, pages and the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, makeSchool, makeStaff, testDb, type Persona, type TestSchool } from '../../testing/harness';
import { systemActor } from '../../platform/audit/audit';
import type { Role } from '../../platform/permissions/roles';
import { ensureIncidentDefaults } from './matrix';
import { reportIncident } from './service';
import { IncidentScope, type Viewer } from './visibility';

const db = testDb();
let school: TestSchool;
const p: Record<string, Persona> = {};
const inc: Record<string, string> = {};

before(async () => {
  school = await makeSchool(db);
  const add = async (label: string, roles: Role[]) => { p[label] = await makeStaff(db, school.id, roles, label); };
  await add('deputy', ['deputy_safeguarding_lead']);
  await add('headAndDsl', ['headteacher', 'designated_safeguarding_lead']);
  await add('chair', ['chair_of_governors']);
  await add('osl', ['online_safety_lead']);
  await add('handler', ['teacher']);
  await add('reporter', ['teacher']);
  await add('alleged', ['teacher']);
  await add('bystander', ['teacher']);
  p.dsl = school.personas.dsl;
  p.head = school.personas.headteacher;
  await db.transaction(async (tx) => {
    await ensureIncidentDefaults(tx, school.id);
    const [cat] = (await tx.query(`select id from incident_categories where school_id = $1 and code = 'cyberbullying'`, [school.id])).rows;
    const report = async (concernAbout: 'none' | 'staff' | 'headteacher', alleged: string) => (await reportIncident(tx, school.id, {
      summary: 'Test', occurredAt: new Date(), cameToLight: 'staff_saw', categoryId: cat.id, concernAbout, people: [{ personId: alleged, role: 'alleged' }],
    }, { personId: p.reporter.personId, actor: systemActor, ip: null, via: 'browser' })).id;
    inc.pupil = await report('none', school.pupilId);
    inc.staff = await report('staff', p.alleged.personId);
    inc.head = await report('headteacher', p.head.personId);
    await tx.query('update incidents set handler_id = $2 where id = $1', [inc.pupil, p.handler.personId]);
    await tx.query('update incidents set handler_id = $2 where id = $1', [inc.staff, p.handler.personId]);
  });
});
after(closeTestDb);

const F = 'full', R = 'receipt', N = null;
/** Expected access: pupil incident, concern about a member of staff, concern about the headteacher. */
const table: [string, string, (string | null)[]][] = [
  ['designated safeguarding lead', 'dsl', [F, F, F]],
  ['deputy safeguarding lead', 'deputy', [F, F, F]],
  ['headteacher', 'head', [F, F, N]],
  ['headteacher who is also the DSL (still the subject of a concern about the headteacher)', 'headAndDsl', [F, F, N]],
  ['chair of governors', 'chair', [N, N, F]],
  ['online safety lead (not concerns about adults)', 'osl', [F, N, N]],
  ['handler', 'handler', [F, F, N]],
  ['reporter', 'reporter', [R, R, R]],
  ['member of staff alleged to have done it', 'alleged', [N, N, N]],
  ['unrelated teacher', 'bystander', [N, N, N]],
];

for (const [label, key, expected] of table) {
  test(`${label} sees ${expected.map((x) => x ?? 'nothing').join(', ')} (pupil incident, staff concern, headteacher concern), in pages and in lists alike`, async () => {
    const persona = p[key];
    const roles = (await db.query('select role from role_assignments where person_id = $1', [persona.personId])).rows.map((r) => r.role);
    const scope = new IncidentScope(db, school.id, { kind: 'person', personId: persona.personId, roles });
    const got = [];
    for (const name of ['pupil', 'staff', 'head']) got.push((await scope.get(inc[name]))?.access ?? null);
    assert.deepEqual(got, expected);
    const listed = new Map((await scope.sql<{ id: string; access: string }>('select id, access from visible_incidents')).map((r) => [r.id, r.access]));
    assert.deepEqual(['pupil', 'staff', 'head'].map((n) => listed.get(inc[n]) ?? null), expected, 'the list agrees with the page');
  });
}

test('an API key sees only the bare facts of incidents that are not concerns about adults', async () => {
  const scope = new IncidentScope(db, school.id, { kind: 'api' } as Viewer);
  assert.deepEqual(await Promise.all(['pupil', 'staff', 'head'].map(async (n) => (await scope.get(inc[n]))?.access ?? null)), [R, N, N]);
});

test('another school\'s safeguarding lead sees none of this school\'s incidents', async () => {
  const other = await makeSchool(db);
  const scope = new IncidentScope(db, other.id, { kind: 'person', personId: other.personas.dsl.personId, roles: ['designated_safeguarding_lead'] });
  for (const id of Object.values(inc)) assert.equal(await scope.get(id), null);
});

test('a query that reads the incidents table directly, not through visible_incidents, is refused', async () => {
  const scope = new IncidentScope(db, school.id, { kind: 'person', personId: p.dsl.personId, roles: ['designated_safeguarding_lead'] });
  await assert.rejects(scope.sql('select * from incidents where school_id = :school'), /visible_incidents/);
  await assert.rejects(scope.sql('select * from visible_incidents v join incidents i on i.id = v.id'), /directly/);
});
