import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { closeTestDb, makeSchool, signedIn, testApp, uniqueEmail, type TestApp, type TestSchool } from '../../testing/harness';
import { Database } from '../../platform/db/database';
import { migrate } from '../../platform/db/migrate';
import { createLogger } from '../../platform/logger';
import { audit, verifyAuditTrail } from '../../platform/audit/audit';
import { createApiKey } from '../../platform/api/keys';
import { schoolScope, schoolTables } from '../../platform/db/scope';
import { addAgreementRecords } from '../agreements/testing';
import { addEvidenceFile, addIncidentRecords } from '../incidents/testing';
import { evidenceFile, evidenceKey, openEvidence } from '../incidents/evidence';
import { addMonitoringRecords } from '../monitoring/testing';
import { addPerson, createSchool, linkGuardian } from '../schools/service';
import { ArchiveError, exportSchool, importSchool, readArchiveManifest, removeTemporaryArchive } from './service';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const work = mkdtempSync(join(tmpdir(), 'harbour-archive-test-'));

let t: TestApp;
let school: TestSchool;
let extraPeople: string[] = [];
let evidenceId: string;
const scratch: { name: string; db: Database }[] = [];

/** The test run's server, connected to its maintenance database. */
function serverConfig(database: string): pg.PoolConfig {
  const cfg = JSON.parse(process.env.HARBOUR_TEST_DB!) as pg.PoolConfig;
  if (cfg.connectionString) {
    const u = new URL(cfg.connectionString);
    u.pathname = `/${database}`;
    return { connectionString: u.toString() };
  }
  return { ...cfg, database };
}

/** A DATABASE_URL for the harbour command (a unix-socket config becomes ?host=<socket dir>). */
function databaseUrl(cfg: pg.PoolConfig): string {
  if (cfg.connectionString) return cfg.connectionString;
  const auth = `${encodeURIComponent(String(cfg.user))}:${encodeURIComponent(String(cfg.password ?? ''))}`;
  const host = String(cfg.host ?? 'localhost');
  return host.startsWith('/')
    ? `postgresql://${auth}@localhost:${cfg.port ?? 5432}/${cfg.database}?host=${encodeURIComponent(host)}`
    : `postgresql://${auth}@${host}:${cfg.port ?? 5432}/${cfg.database}`;
}

/** A fresh, migrated database on the same server, dropped when the file's tests end. */
async function freshDatabase(): Promise<{ db: Database; config: pg.PoolConfig }> {
  const name = `harbour_archive_${process.pid}_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client(serverConfig('postgres'));
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const config = serverConfig(name);
  const db = new Database(new pg.Pool({ ...config, max: 3 }), 'external');
  await migrate(db, createLogger('silent'));
  scratch.push({ name, db });
  return { db, config };
}

/** Every row the archive should carry for a school, table by table, as PostgreSQL's JSON text. */
async function schoolRows(db: Database, schoolId: string): Promise<Record<string, string[]>> {
  const q = async (sql: string) => (await db.query<{ j: string }>(sql, [schoolId])).rows.map((r) => r.j);
  const owned = async (table: string) => q(`select to_jsonb(t)::text as j from ${table} t where school_id = $1 order by 1`);
  const rows: Record<string, string[]> = {
    schools: await q('select to_jsonb(t)::text as j from schools t where id = $1'),
    organisations: await q('select to_jsonb(t)::text as j from organisations t where id = (select organisation_id from schools where id = $1)'),
    people: await owned('people'),
    guardianships: await owned('guardianships'),
    role_assignments: await owned('role_assignments'),
    memberships: await owned('memberships'),
    users: await q('select to_jsonb(t)::text as j from users t where id in (select user_id from memberships where school_id = $1) order by 1'),
    api_keys: await owned('api_keys'),
    people_imports: await owned('people_imports'),
    audit_events: await q(`select (to_jsonb(t) - 'id')::text as j from audit_events t where school_id = $1 order by seq`),
  };
  // Every other school table (each capability's own) is carried whole.
  for (const table of schoolTables) rows[table] ??= await owned(table);
  return rows;
}

async function counts(db: Database) {
  return (await db.query(`select (select count(*) from schools) as schools, (select count(*) from users) as users,
    (select count(*) from people) as people, (select count(*) from audit_events) as audit, (select count(*) from installation) as installation`)).rows[0];
}

before(async () => {
  t = await testApp();
  school = await makeSchool(t.db);
  const db = t.db;
  // More of what a school holds: families, an API key, an import run, audit entries, a draft.
  for (let i = 0; i < 3; i++) {
    extraPeople.push(await addPerson(db, school.id, { kind: 'pupil', given_name: 'Robin', family_name: `Archivetest${i}`, date_of_birth: `2015-0${i + 1}-1${i}`, year_group: '6', class_name: '6B' }));
  }
  const carer = await addPerson(db, school.id, { kind: 'parent', given_name: 'Sam', family_name: 'Archivetest', email: uniqueEmail('carer'), phone: '01234 567890' });
  for (const child of extraPeople) await linkGuardian(db, school.id, carer, child, 'carer');
  await linkGuardian(db, school.id, school.parentId, school.pupilId);
  await addAgreementRecords(db, school.id, { staffPersonId: school.personas.teacher.personId, parentId: school.parentId, childId: school.pupilId });
  const incidentId = await addIncidentRecords(db, school.id, { reporterId: school.personas.teacher.personId, handlerId: school.personas.dsl.personId, pupilId: school.pupilId });
  evidenceId = await addEvidenceFile(db, school.id, incidentId, t.outboxDir);
  const scope = schoolScope(db, school.id);
  await scope.insert('incident_drafts', { user_id: school.personas.teacher.userId, fields: { summary: 'Half-written report' } });
  await scope.insert('incident_reviews', { period_to: new Date(), signed_off_by: school.personas.headteacher.personId, signed_off_role: 'headteacher', notes: 'Reviewed', counts: { total: 1 } });
  await addMonitoringRecords(db, school.id, { pupilId: school.pupilId, userId: school.personas.dsl.userId });
  await createApiKey(db, school.id, 'Filtering provider', ['people:read'], { userId: school.personas.admin.userId, label: 'admin Tester' }, '203.0.113.9');
  await schoolScope(db, school.id).insert('people_imports', {
    kind: 'pupils', file_name: 'pupils.csv', file_sha256: 'a'.repeat(64), full_import: true,
    created_count: 3, updated_count: 1, unchanged_count: 0, missing_person_ids: [extraPeople[0]], created_by: school.personas.admin.userId,
  });
  await audit(db, { schoolId: school.id, actor: { userId: school.personas.dsl.userId, label: 'dsl Tester' }, action: 'person.viewed', recordType: 'person', recordId: school.pupilId, ip: '198.51.100.7', detail: { fields: ['date_of_birth'], nested: null } });
  await db.query(`update users set last_sign_in_at = now(), failed_sign_ins = 2 where id = $1`, [school.personas.teacher.userId]);
  // A draft import waits between steps: it is left out of archives by name.
  await schoolScope(db, school.id).sql(`insert into people_import_drafts (school_id, kind, file_name, file_sha256, csv_text) values (:school, 'pupils', 'x.csv', $1, 'a,b')`, ['b'.repeat(64)]);
});

after(async () => {
  await t.close();
  await closeTestDb();
  const admin = new pg.Client(serverConfig('postgres'));
  await admin.connect();
  for (const s of scratch) {
    await s.db.pool.end().catch(() => undefined);
    await admin.query(`drop database if exists ${s.name} with (force)`).catch(() => undefined);
  }
  await admin.end();
  rmSync(work, { recursive: true, force: true });
});

test('a school exported and imported into a fresh database comes back with every row, id and value, and its audit trail verifies', async () => {
  const before = await schoolRows(t.db, school.id);
  for (const [table, rows] of Object.entries(before)) assert.ok(rows.length > 0, `the test school should have ${table} rows`);
  const out = join(work, 'round-trip.tar.gz');
  const exported = await exportSchool(t.db, school.id, { out, dataDir: t.outboxDir });
  assert.equal(exported.manifest.evidenceFiles, 1);
  assert.equal(readFileSync(out).subarray(0, 2).toString('hex'), '1f8b', 'the archive is gzipped');
  assert.equal(statSync(out).mode & 0o077, 0, 'only its owner can read the archive');
  const m = exported.manifest;
  assert.equal(m.school.id, school.id);
  assert.equal(m.school.name, school.name);
  assert.equal(m.harbourVersion, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  assert.match(m.exportedAt, /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual(Object.keys(m.tables).sort(), Object.keys(before).sort(), 'no sessions, tokens or drafts; every school table');
  for (const [table, rows] of Object.entries(before)) {
    assert.equal(m.tables[table].rows, rows.length, `${table} row count`);
    assert.match(m.tables[table].sha256, /^[0-9a-f]{64}$/);
  }
  const users = (await t.db.query('select password_hash, totp_secret from users where id = $1', [school.personas.admin.userId])).rows[0];
  assert.ok(users.password_hash && users.totp_secret);

  const target = await freshDatabase();
  await assert.rejects(importSchool(target.db, out), (e: Error) => e instanceof ArchiveError && /evidence files/.test(e.message) && /DATA_DIR/.test(e.message));
  const targetDir = mkdtempSync(join(work, 'target-data-'));
  const result = await importSchool(target.db, out, { dataDir: targetDir });
  assert.equal(result.school.id, school.id);
  // The evidence is sealed again with the target's own key, and reads back byte for byte.
  const original = openEvidence(evidenceKey(t.outboxDir), evidenceId, readFileSync(evidenceFile(t.outboxDir, school.id, evidenceId)));
  assert.notDeepEqual(evidenceKey(targetDir), evidenceKey(t.outboxDir));
  assert.deepEqual(openEvidence(evidenceKey(targetDir), evidenceId, readFileSync(evidenceFile(targetDir, school.id, evidenceId))), original);
  const after = await schoolRows(target.db, school.id);
  for (const table of Object.keys(before)) {
    if (table === 'audit_events') continue;
    assert.deepEqual(after[table], before[table], `${table} rows differ after import`);
  }
  // The trail is copied entry for entry, then the import itself is recorded after it.
  assert.deepEqual(after.audit_events.slice(0, -1), before.audit_events);
  const last = JSON.parse(after.audit_events.at(-1)!);
  assert.equal(last.action, 'school.imported');
  assert.equal(last.seq, before.audit_events.length + 1);
  const verified = await verifyAuditTrail(target.db);
  assert.equal(verified.broken, null);
  assert.ok(verified.checked >= before.audit_events.length + 1);
  assert.equal((await target.db.query('select mode from installation')).rows[0].mode, m.installation);
  assert.equal((await target.db.query('select count(*)::int as n from people_import_drafts')).rows[0].n, 0);
  // The source school's trail records the export.
  const exportedEntry = (await t.db.query(`select detail from audit_events where school_id = $1 and action = 'school.exported' order by seq desc limit 1`, [school.id])).rows[0];
  assert.equal(exportedEntry.detail.archive_sha256, exported.sha256);

  // The same school again is refused, and nothing changes.
  const was = await counts(target.db);
  await assert.rejects(importSchool(target.db, out, { dataDir: targetDir }), (e: Error) => e instanceof ArchiveError && /already holds the school/.test(e.message) && e.message.includes(school.id));
  assert.deepEqual(await counts(target.db), was);
});

test('an export whose evidence file is missing or altered is refused naming the file and incident, and nothing is written', async () => {
  const path = evidenceFile(t.outboxDir, school.id, evidenceId);
  const sealed = readFileSync(path);
  const reference = (await t.db.query(`select i.reference from incident_evidence e join incidents i on i.id = e.incident_id where e.id = $1`, [evidenceId])).rows[0].reference;
  try {
    const altered = Buffer.from(sealed);
    altered[altered.length - 1] ^= 1;
    writeFileSync(path, altered);
    const out = join(work, 'altered.tar.gz');
    await assert.rejects(exportSchool(t.db, school.id, { out, dataDir: t.outboxDir }), (e: Error) => e instanceof ArchiveError && e.message.includes('"notes.txt"') && e.message.includes(reference) && /cannot be decrypted/.test(e.message));
    assert.equal(existsSync(out), false);
    rmSync(path);
    await assert.rejects(exportSchool(t.db, school.id, { out, dataDir: t.outboxDir }), (e: Error) => e instanceof ArchiveError && /is missing from the data folder/.test(e.message));
    await assert.rejects(exportSchool(t.db, school.id, { out }), (e: Error) => e instanceof ArchiveError && /DATA_DIR/.test(e.message));
    assert.equal(existsSync(out), false);
  } finally {
    writeFileSync(path, sealed);
  }
});

test('a corrupted or truncated archive is refused with the damaged table file named, and nothing is written', async () => {
  const out = join(work, 'to-corrupt.tar.gz');
  await exportSchool(t.db, school.id, { out, dataDir: t.outboxDir });
  const target = await freshDatabase();
  const was = await counts(target.db);

  // One changed letter inside the people file: tar's own header checksums do not see it.
  const tarBytes = gunzipSync(readFileSync(out));
  const at = tarBytes.indexOf(Buffer.from('Archivetest1'));
  assert.ok(at > 0);
  tarBytes[at] = 'X'.charCodeAt(0);
  const corrupted = join(work, 'corrupted.tar.gz');
  writeFileSync(corrupted, gzipSync(tarBytes));
  await assert.rejects(importSchool(target.db, corrupted), (e: Error) => e instanceof ArchiveError && /people\.jsonl does not match its checksum/.test(e.message));

  const truncated = join(work, 'truncated.tar.gz');
  writeFileSync(truncated, readFileSync(out));
  truncateSync(truncated, Math.floor(statSync(out).size / 2));
  await assert.rejects(importSchool(target.db, truncated), (e: Error) => e instanceof ArchiveError && /(table file|manifest\.json)/.test(e.message) && /\.jsonl|manifest\.json/.test(e.message));

  const notAnArchive = join(work, 'not-an-archive.tar.gz');
  writeFileSync(notAnArchive, 'name,email\n');
  await assert.rejects(importSchool(target.db, notAnArchive), /not a Harbour school archive/);

  assert.deepEqual(await counts(target.db), was);
  assert.equal((await target.db.query('select count(*)::int as n from schools where id = $1', [school.id])).rows[0].n, 0);
});

test('an archive whose account email is already in the target is refused naming the email, and nothing is written', async () => {
  const out = join(work, 'email-clash.tar.gz');
  await exportSchool(t.db, school.id, { out, dataDir: t.outboxDir });
  const target = await freshDatabase();
  await target.db.query(`insert into users (email, display_name) values ($1, 'Someone Else')`, [school.personas.office.email.toUpperCase()]);
  const was = await counts(target.db);
  await assert.rejects(importSchool(target.db, out, { dataDir: join(work, 'unused-data') }), (e: Error) => e instanceof ArchiveError && e.message.includes(school.personas.office.email) && /not merged/.test(e.message));
  assert.deepEqual(await counts(target.db), was, 'nothing written, not even the installation row');
});

test("a real school's archive is refused by a demo database, and a demo archive by a real one", async () => {
  const out = join(work, 'mode.tar.gz');
  const { manifest } = await exportSchool(t.db, school.id, { out, dataDir: t.outboxDir });
  const target = await freshDatabase();
  const other = manifest.installation === 'real' ? 'demo' : 'real';
  await target.db.query('insert into installation (mode) values ($1)', [other]);
  await assert.rejects(importSchool(target.db, out, { dataDir: join(work, 'unused-data') }), (e: Error) => e instanceof ArchiveError && new RegExp(`holds ${other === 'demo' ? 'demo data' : 'a real school'}`).test(e.message));
  assert.equal((await target.db.query('select count(*)::int as n from schools')).rows[0].n, 0);
});

test('export fails loudly when a table with a school_id column is unknown to the archive', async () => {
  const source = await freshDatabase();
  const id = await createSchool(source.db, { name: 'Guarded Primary' });
  await source.db.query('create table stray_records (id serial primary key, school_id uuid not null references schools(id), note text)');
  const out = join(work, 'guard.tar.gz');
  await assert.rejects(exportSchool(source.db, id, { out }), (e: Error) => e instanceof ArchiveError && /stray_records/.test(e.message) && /scope\.ts/.test(e.message));
  assert.equal(existsSync(out), false, 'no archive is left behind');
  // Once the table is gone the same export works.
  await source.db.query('drop table stray_records');
  const ok = await exportSchool(source.db, id, { out });
  assert.equal(ok.manifest.tables.schools.rows, 1);
});

test('an administrator downloads the archive from settings as a dated gzip, and the export is audited', async () => {
  const admin = await signedIn(t.app, school.personas.admin);
  const settings = await admin.get('/settings');
  assert.match(settings.body, /href="\/settings\/export"/);
  const page = await admin.get('/settings/export');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /password hashes/);
  const res = await admin.post('/settings/export', {}, { from: '/settings/export' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/gzip');
  const disposition = String(res.headers['content-disposition']);
  assert.match(disposition, /^attachment; filename="harbour-export-\d{4}-\d\d-\d\d\.tar\.gz"$/);
  assert.ok(!disposition.includes(school.name.split(' ').at(-1)!), 'the file name does not carry the school name');
  const file = join(work, 'download.tar.gz');
  writeFileSync(file, res.rawPayload);
  const manifest = await readArchiveManifest(file);
  assert.equal(manifest.school.id, school.id);
  const entry = (await t.db.query(`select actor_user_id, detail from audit_events where school_id = $1 and action = 'school.exported' order by seq desc limit 1`, [school.id])).rows[0];
  assert.equal(entry.actor_user_id, school.personas.admin.userId);

  const teacher = await signedIn(t.app, school.personas.teacher);
  assert.equal((await teacher.get('/settings/export')).statusCode, 403);
  const denied = await teacher.post('/settings/export', {}, { from: '/dashboard' });
  assert.equal(denied.statusCode, 403);
  assert.notEqual(denied.headers['content-type'], 'application/gzip');
  assert.doesNotMatch((await teacher.get('/settings')).body, /href="\/settings\/export"/);
});

test('harbour export and harbour import move a school between databases from the command line', async () => {
  const env = { ...process.env, LOG_LEVEL: 'silent', DATA_DIR: join(work, 'cli-data') };
  const harbour = (args: string[], databaseConfig: pg.PoolConfig) =>
    run(process.execPath, ['bin/harbour.mjs', ...args], { cwd: root, env: { ...env, DATABASE_URL: databaseUrl(databaseConfig) } });
  const help = await harbour(['export', '--help'], serverConfig('postgres'));
  assert.match(help.stdout, /password\s+hashes/);

  const out = join(work, 'cli.tar.gz');
  const exported = await run(process.execPath, ['bin/harbour.mjs', 'export', '--school', school.id, '--out', out],
    { cwd: root, env: { ...env, DATA_DIR: t.outboxDir, DATABASE_URL: databaseUrl(JSON.parse(process.env.HARBOUR_TEST_DB!)) } });
  assert.match(exported.stdout, /Exported/);
  assert.ok(existsSync(out));

  const target = await freshDatabase();
  const imported = await harbour(['import', out], target.config);
  assert.match(imported.stdout, new RegExp(`Imported .*${school.id}`));
  assert.equal((await target.db.query('select count(*)::int as n from people where school_id = $1', [school.id])).rows[0].n,
    (await t.db.query('select count(*)::int as n from people where school_id = $1', [school.id])).rows[0].n);
  assert.equal((await verifyAuditTrail(target.db)).broken, null);

  // A second import is refused with a message and a failing exit code.
  await assert.rejects(harbour(['import', out], target.config), (e: any) => e.code === 1 && /already holds the school/.test(e.stderr));
});

test('an archive made without an output file is removed with its temporary folder', async () => {
  const { file } = await exportSchool(t.db, school.id, { dataDir: t.outboxDir });
  assert.ok(existsSync(file));
  await removeTemporaryArchive(file);
  assert.equal(existsSync(file), false);
});
