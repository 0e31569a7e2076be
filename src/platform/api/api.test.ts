import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, makeSchool, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';
import { createApiKey } from './keys';
import { systemActor } from '../audit/audit';
import { sha256 } from '../auth/tokens';
import { schoolScope } from '../db/scope';
import { maxPageSize } from './routes';

let t: TestApp;
let a: TestSchool;
let b: TestSchool;
let aKey: string;
let bKey: string;

before(async () => {
  t = await testApp();
  a = await makeSchool(t.db);
  b = await makeSchool(t.db);
  aKey = (await createApiKey(t.db, a.id, 'A sync', ['school:read', 'people:read'], systemActor, null)).key;
  bKey = (await createApiKey(t.db, b.id, 'B sync', ['school:read', 'people:read'], systemActor, null)).key;
});
after(async () => {
  await t.close();
  await closeTestDb();
});

const call = (url: string, key?: string | null, header?: string) =>
  t.app.inject({ method: 'GET', url, headers: header ? { authorization: header } : key ? { authorization: `Bearer ${key}` } : {} });

test('a request without a key, with a malformed one or with an unknown one gets 401 and no data', async () => {
  for (const url of ['/api/v1/school', '/api/v1/people']) {
    for (const header of [undefined, 'Bearer', 'Basic dXNlcjpwYXNz', `Bearer ${aKey}x`, `Bearer ${aKey.slice(0, -4)}AAAA`]) {
      const res = await call(url, null, header);
      assert.equal(res.statusCode, 401, `${url} with ${header ?? 'no header'}`);
      assert.equal(res.json().error, 'unauthorised');
      assert.ok(!res.body.includes(a.name));
    }
  }
});

test('a revoked key gets 401', async () => {
  const { id, key } = await createApiKey(t.db, a.id, 'soon revoked', ['school:read'], systemActor, null);
  assert.equal((await call('/api/v1/school', key)).statusCode, 200);
  await schoolScope(t.db, a.id).update('api_keys', { id }, { revoked_at: new Date() });
  const res = await call('/api/v1/school', key);
  assert.equal(res.statusCode, 401);
  assert.ok(!res.body.includes(a.name));
});

test('a key without the route\'s scope gets 403 naming the scope it lacks', async () => {
  const schoolOnly = (await createApiKey(t.db, a.id, 'school only', ['school:read'], systemActor, null)).key;
  const peopleOnly = (await createApiKey(t.db, a.id, 'people only', ['people:read'], systemActor, null)).key;
  const r1 = await call('/api/v1/people', schoolOnly);
  assert.equal(r1.statusCode, 403);
  assert.match(r1.json().message, /people:read/);
  const r2 = await call('/api/v1/school', peopleOnly);
  assert.equal(r2.statusCode, 403);
  assert.match(r2.json().message, /school:read/);
  assert.ok(!r2.body.includes(a.name));
});

test('GET /api/v1/school gives the key\'s school: id, name, URN and idle time-out, and nothing else', async () => {
  const res = await call('/api/v1/school', aKey);
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { id: a.id, name: a.name, urn: null, idle_timeout_minutes: 20 });
  assert.equal(res.headers['cache-control'], 'no-store');
});

test('GET /api/v1/people gives names, kind, year, class, roles and leaving date, never a date of birth, email or phone', async () => {
  const res = await call('/api/v1/people?limit=500', aKey);
  assert.equal(res.statusCode, 200);
  const body = res.json();
  const pupil = body.people.find((p: any) => p.id === a.pupilId);
  assert.ok(pupil, 'the pupil is listed');
  assert.deepEqual(Object.keys(pupil).sort(), ['class_name', 'family_name', 'given_name', 'id', 'kind', 'left_on', 'preferred_name', 'roles', 'year_group']);
  assert.equal(pupil.kind, 'pupil');
  assert.equal(pupil.year_group, '5');
  assert.equal(pupil.class_name, '5A');
  const dsl = body.people.find((p: any) => p.id === a.personas.dsl.personId);
  assert.deepEqual(dsl.roles, ['designated_safeguarding_lead']);
  // The pupil's date of birth and the staff's emails are in the table, and must not leave it.
  assert.ok(!res.body.includes('2016-03-04'));
  for (const p of Object.values(a.personas)) assert.ok(!res.body.includes(p.email), 'an email is in the answer');
  assert.ok(!/date_of_birth|"email"|"phone"|upn/.test(res.body));
  assert.equal(body.total, body.people.length);
});

test('a key only ever sees its own school', async () => {
  const [aSchool, bSchool] = [await call('/api/v1/school', aKey), await call('/api/v1/school', bKey)];
  assert.equal(aSchool.json().id, a.id);
  assert.equal(bSchool.json().id, b.id);
  const aPeople = (await call('/api/v1/people?limit=500', aKey)).json().people.map((p: any) => p.id);
  const bPeople = (await call('/api/v1/people?limit=500', bKey)).json().people.map((p: any) => p.id);
  const aIds = (await t.db.query('select id from people where school_id = $1', [a.id])).rows.map((r) => r.id).sort();
  assert.deepEqual([...aPeople].sort(), aIds, "A's key lists exactly A's people");
  assert.ok(bPeople.includes(b.pupilId));
  assert.ok(!bPeople.some((id: string) => aIds.includes(id)), "B's key lists none of A's people");
});

test('people can be filtered by kind and by updated_since, and paged with limit and offset', async () => {
  const pupils = (await call('/api/v1/people?kind=pupil', aKey)).json();
  assert.deepEqual(pupils.people.map((p: any) => p.id), [a.pupilId]);
  assert.equal(pupils.total, 1);

  const future = (await call(`/api/v1/people?updated_since=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`, aKey)).json();
  assert.deepEqual(future.people, []);
  const past = (await call('/api/v1/people?updated_since=2000-01-01', aKey)).json();
  assert.ok(past.total >= 9);
  await t.db.query("update people set updated_at = now() + interval '1 day' where id = $1", [a.parentId]);
  const changed = (await call(`/api/v1/people?updated_since=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`, aKey)).json();
  assert.deepEqual(changed.people.map((p: any) => p.id), [a.parentId]);

  const all = (await call('/api/v1/people?limit=500', aKey)).json();
  const first = (await call('/api/v1/people?limit=3&offset=0', aKey)).json();
  const second = (await call('/api/v1/people?limit=3&offset=3', aKey)).json();
  assert.equal(first.people.length, 3);
  assert.equal(first.limit, 3);
  assert.equal(second.offset, 3);
  assert.deepEqual([...first.people, ...second.people].map((p: any) => p.id), all.people.slice(0, 6).map((p: any) => p.id));
  assert.equal(first.total, all.total);
});

test('a bad query parameter gets 400 JSON that names the parameter', async () => {
  const cases: [string, string][] = [
    [`limit=${maxPageSize + 1}`, 'limit'],
    ['limit=0', 'limit'],
    ['limit=ten', 'limit'],
    ['limit=5&limit=6', 'limit'],
    ['offset=-1', 'offset'],
    ['offset=1.5', 'offset'],
    ['kind=martian', 'kind'],
    ['updated_since=yesterday', 'updated_since'],
    ['updated_since=2026-02-30', 'updated_since'],
    ['updated_since=2026-09-01T08:00:00', 'updated_since'],
    ['updatedSince=2026-09-01', 'updatedSince'],
  ];
  for (const [qs, parameter] of cases) {
    const res = await call(`/api/v1/people?${qs}`, aKey);
    assert.equal(res.statusCode, 400, qs);
    assert.match(String(res.headers['content-type']), /application\/json/);
    assert.equal(res.json().parameter, parameter, qs);
    assert.match(res.json().message, new RegExp(parameter), qs);
  }
  assert.equal((await call(`/api/v1/people?limit=${maxPageSize}`, aKey)).statusCode, 200);
});

test("reading people through the API is on the school's audit trail (how many, not who)", async () => {
  await call('/api/v1/people?kind=pupil', aKey);
  const row = (await t.db.query("select * from audit_events where school_id = $1 and action = 'api.people_read' order by seq desc limit 1", [a.id])).rows[0];
  assert.ok(row);
  assert.equal(row.actor_label, 'API key A sync');
  assert.deepEqual(row.detail, { count: 1, kind: 'pupil', offset: 0 });
});

test('/api/openapi.json is an OpenAPI 3.1 document listing both paths with their scopes', async () => {
  const res = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
  assert.equal(res.statusCode, 200);
  const doc = res.json();
  assert.match(doc.openapi, /^3\.1\.\d+$/);
  assert.equal(typeof doc.info.title, 'string');
  assert.equal(doc.info.version, '1');
  assert.equal(doc.servers[0].url, 'http://harbour.test/api/v1');
  assert.equal(doc.components.securitySchemes.apiKey.type, 'http');
  for (const [path, scope] of [['/school', 'school:read'], ['/people', 'people:read']]) {
    const op = doc.paths[path]?.get;
    assert.ok(op, `${path} is listed`);
    assert.deepEqual(op.security, [{ apiKey: [scope] }]);
    assert.equal(op['x-required-scope'], scope);
    assert.ok(op.responses['200'] && op.responses['401'] && op.responses['403']);
  }
  const params = Object.fromEntries(doc.paths['/people'].get.parameters.map((p: any) => [p.name, p]));
  assert.deepEqual(Object.keys(params).sort(), ['kind', 'limit', 'offset', 'updated_since']);
  assert.equal(params.limit.schema.maximum, maxPageSize);
  // Every $ref points at a schema the document defines.
  for (const ref of JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g) ?? []) {
    assert.ok(doc.components.schemas[ref.split('/').pop()!], `${ref} is defined`);
  }
  assert.ok(!('date_of_birth' in doc.components.schemas.Person.properties));
});

test('an administrator creates a key in the browser: it is shown once, stored only as a hash, works, and is audited', async () => {
  const admin = await signedIn(t.app, a.personas.admin);
  const res = await admin.post('/settings/api-keys', { name: 'Browser made', scopes: ['school:read', 'people:read'] }, { from: '/settings/api-keys' });
  assert.equal(res.statusCode, 200);
  const key = /id="api-key">(hbr_[0-9a-f]{12}_[A-Za-z0-9_-]{32})</.exec(res.body)?.[1];
  assert.ok(key, 'the page shows the new key');
  const row = (await t.db.query("select * from api_keys where school_id = $1 and name = 'Browser made'", [a.id])).rows[0];
  const stored = JSON.stringify(row);
  assert.ok(!stored.includes(key), 'the plain key is in the row');
  assert.ok(!stored.includes(key.slice('hbr_'.length + 12 + 1)), "the key's secret part is in the row");
  assert.equal(row.key_hash, sha256(key));
  assert.deepEqual(row.scopes, ['school:read', 'people:read']);
  assert.equal(row.created_by, a.personas.admin.userId);
  assert.equal((await call('/api/v1/school', key)).json().id, a.id);

  const listed = await admin.get('/settings/api-keys');
  assert.ok(!listed.body.includes(key), 'the key is shown again on the list');

  const created = (await t.db.query("select * from audit_events where school_id = $1 and action = 'api_key.created' and record_id = $2", [a.id, row.id])).rows;
  assert.equal(created.length, 1);
  assert.equal(created[0].actor_user_id, a.personas.admin.userId);
  assert.ok(!JSON.stringify(created[0]).includes(key), 'the key is in the audit trail');
});

test('an administrator revokes a key in the browser: it stops working at once, and the revocation is audited', async () => {
  const admin = await signedIn(t.app, a.personas.admin);
  const made = await admin.post('/settings/api-keys', { name: 'To revoke', scopes: ['school:read'] }, { from: '/settings/api-keys' });
  const key = /id="api-key">(hbr_[^<]+)</.exec(made.body)![1];
  const { id } = (await t.db.query("select id from api_keys where school_id = $1 and name = 'To revoke'", [a.id])).rows[0];
  assert.equal((await call('/api/v1/school', key)).statusCode, 200);

  const page = await admin.get('/settings/api-keys');
  assert.match(page.body, new RegExp(`action="/settings/api-keys/${id}/revoke"`));
  const res = await admin.post(`/settings/api-keys/${id}/revoke`, {}, { from: '/settings/api-keys' });
  assert.equal(res.statusCode, 303);
  assert.equal(res.headers.location, '/settings/api-keys');
  assert.equal((await call('/api/v1/school', key)).statusCode, 401);
  const revoked = (await t.db.query("select actor_user_id from audit_events where school_id = $1 and action = 'api_key.revoked' and record_id = $2", [a.id, id])).rows;
  assert.deepEqual(revoked, [{ actor_user_id: a.personas.admin.userId }]);
  // Revoking again finds no key to revoke.
  assert.equal((await admin.post(`/settings/api-keys/${id}/revoke`, {}, { from: '/settings/api-keys' })).statusCode, 404);
});

test('the browser form refuses a key with no name or no scope, naming the field', async () => {
  const admin = await signedIn(t.app, a.personas.admin);
  const res = await admin.post('/settings/api-keys', { name: '' }, { from: '/settings/api-keys' });
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /href="#name"/);
  assert.match(res.body, /href="#scopes"/);
});
