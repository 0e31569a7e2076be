// A user of one school can never read or change another school's records through ANY route.
//
// Every route the app registers (read from app.routesList at run time, so a route added later
// is covered without touching this file) is requested by school A's administrator, headteacher
// and safeguarding lead, with school B's record ids in its path and in the usual form fields.
// /api/v1 routes are requested with a school A key that holds every scope. No answer may carry
// school B's identifying strings, a route naming a B record may never succeed, and B's rows
// must be exactly as they were afterwards.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client, closeTestDb, makeSchool, signedIn, testApp, type Persona } from '../../testing/harness';
import { addPerson } from '../../modules/schools/service';
import { addEvidenceFile, addIncidentRecords } from '../../modules/incidents/testing';
import { createApiKey } from '../api/keys';
import { apiScopes } from '../api/openapi';
import { systemActor } from '../audit/audit';
import type { Database } from '../db/database';

const t = await testApp();
after(async () => {
  await t.close();
  await closeTestDb();
});

const tag = randomUUID().slice(0, 6);
const A = await makeSchool(t.db, `Isolation Alpha Academy ${tag}`);
const B = await makeSchool(t.db, `Isolation Bravo Primary ${tag}`);

// School B's extra records: a member of staff with an email but no account (someone an
// administrator could invite), an API key, a finished import run and an import waiting to be checked.
const bUninvited = await addPerson(t.db, B.id, { kind: 'staff', given_name: 'Quillon', family_name: `Brackenbury${tag}`, email: `quillon.${tag}@bravo.test`, phone: '07700 900123' });
const bKey = await createApiKey(t.db, B.id, `Bravo sync ${tag}`, Object.keys(apiScopes), systemActor, null);
const bImportId = (await t.db.query<{ id: string }>(
  `insert into people_imports (school_id, kind, file_name, file_sha256, full_import, created_count, updated_count, unchanged_count, missing_person_ids)
   values ($1, 'pupils', 'bravo-pupils.csv', $2, true, 1, 0, 0, array[$3::uuid]) returning id`, [B.id, 'b'.repeat(64), B.pupilId])).rows[0].id;
const bDraftId = (await t.db.query<{ id: string }>(
  `insert into people_import_drafts (school_id, kind, file_name, file_sha256, csv_text)
   values ($1, 'pupils', 'bravo-draft.csv', $2, $3) returning id`, [B.id, 'c'.repeat(64), `UPN,Surname\nX,Brackenbury${tag}\n`])).rows[0].id;

// School B's agreement records: its staff agreement (every school starts with one), a
// signature, a parent's request that the school explain it, a reception kiosk and a
// technology access decision.
const bAgreement = (await t.db.query<{ id: string; version_id: string }>(
  `select a.id, v.id as version_id from agreements a join agreement_versions v on v.agreement_id = a.id where a.school_id = $1 and a.audience = 'staff_governors'`, [B.id])).rows[0];
const bSignatureId = (await t.db.query<{ id: string }>(
  `insert into agreement_signatures (school_id, agreement_id, version_id, text_sha256, signer_id, subject_id, signed_name, method)
   values ($1, $2, $3, $4, $5, $5, $6, 'in_harbour') returning id`, [B.id, bAgreement.id, bAgreement.version_id, 'd'.repeat(64), B.personas.teacher.personId, `Brackenbury${tag}`])).rows[0].id;
const bRequestId = (await t.db.query<{ id: string }>(
  `insert into agreement_explain_requests (school_id, agreement_id, version_id, parent_id, child_id) values ($1, $2, $3, $4, $5) returning id`,
  [B.id, bAgreement.id, bAgreement.version_id, B.parentId, B.pupilId])).rows[0].id;
const bKioskId = (await t.db.query<{ id: string }>(`insert into agreement_kiosks (school_id, name, token_hash) values ($1, $2, $3) returning id`, [B.id, `Bravo desk ${tag}`, 'e'.repeat(64)])).rows[0].id;
const bDecisionId = (await t.db.query<{ id: string }>(
  `insert into technology_access_decisions (school_id, person_id, status, reason_kind, reason_detail) values ($1, $2, 'restricted', 'other', $3) returning id`,
  [B.id, B.pupilId, `Brackenbury${tag} detail`])).rows[0].id;

// School B's incident (with a person involved, an action, a referral and a task), reported by B's teacher.
const bIncidentId = await addIncidentRecords(t.db, B.id, { reporterId: B.personas.teacher.personId, handlerId: B.personas.dsl.personId, pupilId: B.pupilId, summary: `Brackenbury${tag} incident` });
const bIncident = (await t.db.query<{ reference: string; task_id: string }>(
  `select i.reference, (select id from incident_tasks where incident_id = i.id limit 1) as task_id from incidents i where i.id = $1`, [bIncidentId])).rows[0];
const bEvidenceId = await addEvidenceFile(t.db, B.id, bIncidentId, t.outboxDir);

// School B's monitoring records: an alert, a username mapped to its pupil, a phrase exclusion.
const bAlertId = (await t.db.query<{ id: string }>(
  `insert into monitoring_alerts (school_id, source, line, occurred_at, user_name, url, query, risk, severity, blocked, reason)
   values ($1, 'bravo.log', 1, now(), $2, 'https://www.google.com/search?q=x', $2, 'bullying', 'high', false, 'probe') returning id`, [B.id, `Brackenbury${tag}`])).rows[0].id;
const bIdentityId = (await t.db.query<{ id: string }>(
  `insert into monitoring_identities (school_id, kind, value, person_id) values ($1, 'username', $2, $3) returning id`, [B.id, `brackenbury${tag}.login`, B.pupilId])).rows[0].id;
const bPhraseId = (await t.db.query<{ id: string }>(
  `insert into monitoring_phrases (school_id, action, risk, phrase, severity, reason) values ($1, 'exclude', 'hate', $2, 'medium', 'probe') returning id`, [B.id, `Brackenbury${tag}`])).rows[0].id;
const bReviewId = (await t.db.query<{ id: string }>(`insert into filtering_reviews (school_id, items) values ($1, $2) returning id`, [B.id, JSON.stringify({ roles: { done: true, evidence: `Brackenbury${tag}` } })])).rows[0].id;
const bChangeRequestId = (await t.db.query<{ id: string }>(
  `insert into filtering_change_requests (school_id, kind, target, for_whom, reason, status) values ($1, 'unblock', $2, 'Year 6', 'probe', 'approved') returning id`, [B.id, `Brackenbury${tag}.example`])).rows[0].id;

// School A's key holding every scope, for the /api/v1 routes.
const aKey = await createApiKey(t.db, A.id, `Alpha sync ${tag}`, Object.keys(apiScopes), systemActor, null);

const bPersonas = Object.values(B.personas) as Persona[];
const bPupil = (await t.db.query('select family_name from people where id = $1', [B.pupilId])).rows[0];
const bKeyRow = (await t.db.query('select prefix from api_keys where id = $1', [bKey.id])).rows[0];

/** Strings that identify school B. None may appear in an answer given to school A. */
const bNames = [B.name, bPupil.family_name, `Brackenbury${tag}`, `quillon.${tag}@bravo.test`, ...bPersonas.map((p) => p.email)];
const bIds = [B.id, B.pupilId, B.parentId, bUninvited, bKey.id, bKeyRow.prefix, bImportId, bDraftId, bAgreement.id, bSignatureId, bRequestId, bKioskId, bDecisionId, bIncidentId, bIncident.task_id, bEvidenceId, bAlertId, bIdentityId, bPhraseId, bChangeRequestId, bReviewId, ...bPersonas.flatMap((p) => [p.userId, p.personId])];

/**
 * What each path parameter is filled with: a record of school B. A route whose parameter is
 * not here fails below, so no route can slip past this test unmapped.
 */
const paramValues: Record<string, string | { skip: string }> = {
  personId: B.pupilId,
  userId: B.personas.teacher.userId,
  keyId: bKey.id,
  draftId: bDraftId,
  importId: bImportId,
  agreementId: bAgreement.id,
  signatureId: bSignatureId,
  parentId: B.parentId,
  requestId: bRequestId,
  kioskId: bKioskId,
  decisionId: bDecisionId,
  incidentId: bIncidentId,
  taskId: bIncident.task_id,
  evidenceId: bEvidenceId,
  alertId: bAlertId,
  identityId: bIdentityId,
  phraseId: bPhraseId,
  changeRequestId: bChangeRequestId,
  reviewId: bReviewId,
  token: { skip: 'an emailed one-use token is a secret, not a school record: the plain token is never stored, and holding it is the authority' },
  '*': 'harbour.css',
};

/** Form fields that name records, filled with school B's ids, for every POST. */
const postBody = {
  person: bUninvited,
  personId: B.pupilId,
  id: B.pupilId,
  school: B.id,
  user: B.personas.teacher.userId,
  key: bKey.id,
  importId: bImportId,
  draftId: bDraftId,
  name: `Probe from Alpha ${tag}`,
  kind: 'staff',
  scopes: 'people:read',
  idle_timeout_minutes: '30',
};

/** Every row of school B that any route could change, as one comparable value. */
async function snapshotOfB(db: Database): Promise<Record<string, unknown[]>> {
  const userIds = bPersonas.map((p) => p.userId);
  const q = async (sql: string, params: unknown[]) => (await db.query(sql, params)).rows;
  return {
    schools: await q('select * from schools where id = $1', [B.id]),
    people: await q('select * from people where school_id = $1 order by id', [B.id]),
    role_assignments: await q('select * from role_assignments where school_id = $1 order by person_id, role', [B.id]),
    memberships: await q('select * from memberships where school_id = $1 or user_id = any($2::uuid[]) order by user_id, school_id', [B.id, userIds]),
    guardianships: await q('select * from guardianships where school_id = $1 order by parent_id, child_id', [B.id]),
    api_keys: await q('select * from api_keys where school_id = $1 order by id', [B.id]),
    users: await q('select id, email, display_name, password_hash, totp_secret, totp_enabled_at, disabled_at, locked_until from users where id = any($1::uuid[]) order by id', [userIds]),
    user_tokens: await q('select * from user_tokens where school_id = $1 or user_id = any($2::uuid[]) order by id', [B.id, userIds]),
    people_imports: await q('select * from people_imports where school_id = $1 order by id', [B.id]),
    people_import_drafts: await q('select * from people_import_drafts where school_id = $1 order by id', [B.id]),
    agreements: await q('select * from agreements where school_id = $1 order by id', [B.id]),
    agreement_versions: await q('select * from agreement_versions where school_id = $1 order by id', [B.id]),
    agreement_signatures: await q('select * from agreement_signatures where school_id = $1 order by id', [B.id]),
    agreement_links: await q('select * from agreement_links where school_id = $1 order by id', [B.id]),
    agreement_explain_requests: await q('select * from agreement_explain_requests where school_id = $1 order by id', [B.id]),
    agreement_kiosks: await q('select * from agreement_kiosks where school_id = $1 order by id', [B.id]),
    technology_access_decisions: await q('select * from technology_access_decisions where school_id = $1 order by id', [B.id]),
    incidents: await q('select * from incidents where school_id = $1 order by id', [B.id]),
    monitoring_alerts: await q('select * from monitoring_alerts where school_id = $1 order by id', [B.id]),
    monitoring_identities: await q('select * from monitoring_identities where school_id = $1 order by id', [B.id]),
    monitoring_phrases: await q('select * from monitoring_phrases where school_id = $1 order by id', [B.id]),
    monitoring_ingest_positions: await q('select * from monitoring_ingest_positions where school_id = $1 order by id', [B.id]),
    filtering_change_requests: await q('select * from filtering_change_requests where school_id = $1 order by id', [B.id]),
    filtering_reviews: await q('select * from filtering_reviews where school_id = $1 order by id', [B.id]),
    filtering_responsibilities: await q('select * from filtering_responsibilities where school_id = $1 order by id', [B.id]),
    filtering_decisions: await q('select * from filtering_decisions where school_id = $1 order by id', [B.id]),
    filtering_checks: await q('select * from filtering_checks where school_id = $1 order by id', [B.id]),
    incident_people: await q('select * from incident_people where school_id = $1 order by id', [B.id]),
    incident_actions: await q('select * from incident_actions where school_id = $1 order by id', [B.id]),
    incident_referrals: await q('select * from incident_referrals where school_id = $1 order by id', [B.id]),
    incident_tasks: await q('select * from incident_tasks where school_id = $1 order by id', [B.id]),
    incident_evidence: await q('select * from incident_evidence where school_id = $1 order by id', [B.id]),
    incident_drafts: await q('select * from incident_drafts where school_id = $1 order by id', [B.id]),
    incident_reviews: await q('select * from incident_reviews where school_id = $1 order by id', [B.id]),
    sanction_recommendations: await q('select * from sanction_recommendations where school_id = $1 order by incident_type_id, action_id', [B.id]),
    sanction_incident_types: await q('select * from sanction_incident_types where school_id = $1 order by id', [B.id]),
  };
}

/** School B's strings found in a body, leaving out ids the request itself carried (a form may echo what was typed). */
function leaksIn(body: string, sent: string): string[] {
  return [...bNames, ...bIds.filter((id) => !sent.includes(id))].filter((s) => body.includes(s));
}

/** Fills a route's path with school B's records, or says why it cannot be. */
function fill(url: string): { path: string } | { skip: string } | { unknown: string } {
  let skip: string | null = null;
  let unknown: string | null = null;
  const path = url.replace(/:(\w+)|\*/g, (whole, name?: string) => {
    const key = name ?? whole;
    const v = paramValues[key];
    if (v === undefined) {
      unknown = key;
      return whole;
    }
    if (typeof v !== 'string') {
      skip = v.skip;
      return whole;
    }
    return v;
  });
  if (unknown) return { unknown };
  if (skip) return { skip };
  return { path };
}

const routes = t.app.routesList.filter((r) => r.method === 'GET' || r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH' || r.method === 'DELETE');

test('the route list is discovered at run time and includes the browser and API routes', () => {
  const urls = routes.map((r) => `${r.method} ${r.url}`);
  for (const u of ['GET /dashboard', 'GET /audit', 'POST /settings/api-keys/:keyId/revoke', 'GET /api/v1/school', 'GET /api/v1/people']) {
    assert.ok(urls.includes(u), `${u} is not in app.routesList`);
  }
});

test("the leak check finds school B's strings in B's own pages (so a silent check cannot pass)", async () => {
  const b = await signedIn(t.app, B.personas.dsl);
  const res = await b.get('/dashboard');
  assert.equal(res.statusCode, 200);
  assert.deepEqual(leaksIn(res.body, ''), [B.name]);
  const bApi = await t.app.inject({ method: 'GET', url: '/api/v1/people?limit=500', headers: { authorization: `Bearer ${bKey.key}` } });
  assert.equal(bApi.statusCode, 200);
  assert.ok(leaksIn(bApi.body, '').includes(bPupil.family_name));
});

type Who = { label: string; persona: Persona };
const staff: Who[] = [
  { label: "school A's administrator", persona: A.personas.admin },
  { label: "school A's headteacher", persona: A.personas.headteacher },
  { label: "school A's designated safeguarding lead", persona: A.personas.dsl },
];

/** Sends one request the way the route takes it, from a signed-in client or with A's key. */
async function send(method: string, path: string, via: { client: Client } | { key: string }) {
  const isPost = method !== 'GET';
  if ('key' in via) {
    return t.app.inject({
      method: method as any, url: path,
      headers: { authorization: `Bearer ${via.key}`, ...(isPost ? { 'content-type': 'application/json' } : {}) },
      ...(isPost ? { payload: JSON.stringify(postBody) } : {}),
    });
  }
  if (!isPost) return via.client.get(path);
  // The CSRF token comes from a page the user can see, so the request reaches the route's own checks.
  return via.client.post(path, postBody, { from: '/account' });
}

async function checkRoute(route: { method: string; url: string; public: boolean }, label: string, via: { client: Client } | { key: string }) {
  const filled = fill(route.url);
  if ('unknown' in filled) {
    assert.fail(`${route.method} ${route.url} has the path parameter :${filled.unknown}, which isolation.test.ts cannot fill. ` +
      `Add an entry for '${filled.unknown}' to paramValues (a record of school B) so this route is proved not to reach another school.`);
  }
  if ('skip' in filled) return filled.skip;
  const before = await snapshotOfB(t.db);
  const res = await send(route.method, filled.path, via);
  const after = await snapshotOfB(t.db);
  const what = `${label} ${route.method} ${filled.path} (${route.url})`;
  const sent = filled.path + (route.method === 'GET' ? '' : JSON.stringify(postBody));
  assert.deepEqual(leaksIn(res.body, sent), [], `${what} answered ${res.statusCode} with school B's identifying strings`);
  assert.deepEqual(after, before, `${what} changed school B's rows`);
  // A signed-out request would pass the checks above without proving anything.
  if (!route.public) assert.ok(!String(res.headers.location ?? '').startsWith('/sign-in'), `${what} was not made as a signed-in user (redirected to ${res.headers.location})`);
  if (process.env.ISOLATION_TRACE) console.log(`TRACE ${res.statusCode} ${what}`);
  const namesB = route.url !== filled.path && !route.url.startsWith('/assets/');
  if (namesB) {
    assert.ok(res.statusCode < 200 || res.statusCode >= 300, `${what} answered ${res.statusCode} for a record of school B; it must be 404 (or refused)`);
  }
  return null;
}

for (const who of staff) {
  describe(`as ${who.label}`, () => {
    let client: Client;
    for (const route of routes) {
      test(`${route.method} ${route.url} neither shows nor changes school B`, async (ctx) => {
        client ??= await signedIn(t.app, who.persona);
        const skipped = await checkRoute(route, who.label, { client });
        if (skipped) ctx.skip(skipped);
        // Some routes end the session (sign-out); sign in again so later routes are reached as this user.
        if ((await client.get('/account')).statusCode !== 200) client = await signedIn(t.app, who.persona);
      });
    }
  });
}

describe("with school A's API key holding every scope", () => {
  for (const route of routes.filter((r) => r.url.startsWith('/api/v1/'))) {
    test(`${route.method} ${route.url} neither shows nor changes school B`, async (ctx) => {
      const skipped = await checkRoute(route, "school A's key", { key: aKey.key });
      if (skipped) ctx.skip(skipped);
    });
  }
  test("school A's key reads school A, so the API checks above were made by a working key", async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/school', headers: { authorization: `Bearer ${aKey.key}` } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().id, A.id);
  });
});
