// One school's whole data as a single file: a gzipped tar holding manifest.json and one
// JSON-lines file per table. Used to back a school up, or to move it to another Harbour.
//
// Rows travel as PostgreSQL's own JSON (to_jsonb out, jsonb_populate_recordset in), so every
// value comes back exactly: timestamps keep their microseconds, arrays stay arrays, jsonb
// stays jsonb. The audit trail is copied entry for entry, so its hash chain still verifies.
//
// Incident evidence files live outside the database, encrypted under DATA_DIR/evidence with
// that installation's key. The archive carries them decrypted (evidence/<id>.bin, each checked
// against the SHA-256 its incident_evidence row records), and an import seals them again with
// the target's key: the archive is already as sensitive as the records themselves.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { create as tarCreate, extract as tarExtract } from 'tar';
import type { Database, Queryable, Tx } from '../../platform/db/database';
import { schoolTables } from '../../platform/db/scope';
import { audit, chainFor, systemActor, type Actor } from '../../platform/audit/audit';
import { installationMode, type InstallationMode } from '../schools/service';
import { evidenceKey, evidenceFile, openEvidence, sealEvidence } from '../incidents/evidence';

/** The archive layout's version; bump it when a change needs importers to read it differently. */
export const archiveFormatVersion = 1;
const archiveFormat = 'harbour-school-archive';

/**
 * Tables with a school_id column that are deliberately NOT archived:
 * user_tokens are one-use reset and invitation links (worthless, and unsafe, elsewhere);
 * people_import_drafts are uploads waiting between the steps of an import, deleted when done.
 */
const notArchived = new Set(['user_tokens', 'people_import_drafts']);

/**
 * Every table an archive holds, in the order they are written: the school's own row, its
 * organisation, every school table of scope.ts (so a new one is archived without a change
 * here), the accounts of its members, and its audit trail last.
 */
export function archivedTables(): string[] {
  const all = ['schools', 'organisations', ...schoolTables, 'users', 'audit_events'];
  return all.filter((t, i) => all.indexOf(t) === i).sort((a, b) => order(a) - order(b));
}
const preferred = ['schools', 'organisations', 'people', 'guardianships', 'role_assignments', 'memberships', 'users', 'api_keys', 'people_imports'];
function order(t: string) {
  if (t === 'audit_events') return 1000;
  const i = preferred.indexOf(t);
  return i === -1 ? 500 : i;
}

/** A problem with an archive or with importing it, in words a person can act on. */
export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

export interface ArchiveTableEntry {
  file: string;
  rows: number;
  sha256: string;
  /** The columns each row holds, so an importer can tell whether its schema can take them. */
  columns: string[];
}

export interface ArchiveManifest {
  format: typeof archiveFormat;
  formatVersion: number;
  harbourVersion: string;
  school: { id: string; name: string };
  /** Whether the school came from a demo or a real installation (real when it was never recorded). */
  installation: InstallationMode;
  exportedAt: string;
  /** The migrations the source database had applied. */
  migrations: string[];
  tables: Record<string, ArchiveTableEntry>;
  /** Incident evidence files carried decrypted as evidence/<id>.bin (absent in archives made before they existed). */
  evidenceFiles?: number;
}

let version: string | null = null;
/** Harbour's version, from package.json. */
export function harbourVersion(): string {
  if (!version) {
    const pkg = join(dirname(fileURLToPath(import.meta.url)), '../../../package.json');
    version = String(JSON.parse(readFileSync(pkg, 'utf8')).version);
  }
  return version;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const identifier = /^[a-z_][a-z0-9_]*$/;
function ident(name: string): string {
  if (!identifier.test(name)) throw new ArchiveError(`"${name}" is not a table or column name Harbour uses.`);
  return `"${name}"`;
}

/**
 * Refuses to export while the database has a table with a school_id column that this module
 * neither archives nor deliberately leaves out, so a new capability's records are never
 * silently missing from a school's archive.
 */
export async function checkArchiveCoversSchoolTables(db: Queryable): Promise<void> {
  const rows = (await db.query<{ table_name: string }>(
    `select c.table_name from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = current_schema() and c.column_name = 'school_id' and t.table_type = 'BASE TABLE'
      order by c.table_name`,
  )).rows;
  const known = new Set(archivedTables());
  const unknown = rows.map((r) => r.table_name).filter((t) => !known.has(t) && !notArchived.has(t));
  if (unknown.length) {
    throw new ArchiveError(
      `Cannot export: the table${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} hold${unknown.length > 1 ? '' : 's'} school records (a school_id column) ` +
        `that the archive does not know about. Add ${unknown.length > 1 ? 'them' : 'it'} to schoolTables in src/platform/db/scope.ts ` +
        `(or, if ${unknown.length > 1 ? 'they are' : 'it is'} never to be archived, to notArchived in src/modules/archive/service.ts).`,
    );
  }
}

/** The primary key columns of a table, to write rows in a stable order. */
async function primaryKey(db: Queryable, table: string): Promise<string[]> {
  return (await db.query<{ attname: string }>(
    `select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
      where i.indrelid = $1::regclass and i.indisprimary order by array_position(i.indkey, a.attnum)`,
    [table],
  )).rows.map((r) => r.attname);
}

/** The SELECT that yields one school's rows of a table as JSON text, in a stable order. */
async function selectFor(db: Queryable, table: string, schoolId: string): Promise<string> {
  const s = `'${schoolId}'::uuid`; // checked as a UUID before this is called
  switch (table) {
    case 'schools':
      return `select to_jsonb(t)::text as j from schools t where id = ${s}`;
    case 'organisations':
      return `select to_jsonb(t)::text as j from organisations t where id = (select organisation_id from schools where id = ${s})`;
    case 'users':
      // Only the accounts that work in this school; their password hashes and two-factor
      // secrets come too, so the school's staff can sign in after a move.
      return `select to_jsonb(t)::text as j from users t where exists (select 1 from memberships m where m.user_id = t.id and m.school_id = ${s}) order by t.id`;
    case 'audit_events':
      // The school's chain in order. The id is the target database's own serial number.
      return `select (to_jsonb(t) - 'id')::text as j from audit_events t where chain = '${chainFor(schoolId)}' order by seq`;
    default: {
      const pk = await primaryKey(db, table);
      return `select to_jsonb(t)::text as j from ${ident(table)} t where school_id = ${s}${pk.length ? ` order by ${pk.map((c) => `t.${ident(c)}`).join(', ')}` : ''}`;
    }
  }
}

async function columnsOf(db: Queryable, table: string): Promise<string[]> {
  return (await db.query<{ column_name: string }>(
    `select column_name from information_schema.columns where table_schema = current_schema() and table_name = $1 order by ordinal_position`,
    [table],
  )).rows.map((r) => r.column_name);
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface ExportResult {
  file: string;
  manifest: ArchiveManifest;
  /** The SHA-256 of the archive file itself. */
  sha256: string;
}

/**
 * Writes one school's whole data to a single archive file (a gzipped tar). Every table is
 * read inside one REPEATABLE READ transaction, so the archive is one consistent moment.
 * The file is created new (an existing file is never overwritten) and readable only by its
 * owner: it holds password hashes. Afterwards 'school.exported' is added to the school's trail.
 */
export async function exportSchool(
  db: Database,
  schoolId: string,
  opts: { out?: string; actor?: Actor; ip?: string | null; dataDir?: string } = {},
): Promise<ExportResult> {
  if (!uuidPattern.test(schoolId)) throw new ArchiveError(`"${schoolId}" is not a school id.`);
  const work = await mkdtemp(join(tmpdir(), 'harbour-export-'));
  const out = opts.out ?? join(work, 'archive.tar.gz');
  let created = false;
  try {
    const manifest = await db.transaction(async (tx) => {
      await tx.query('set transaction isolation level repeatable read, read only');
      await checkArchiveCoversSchoolTables(tx);
      const school = (await tx.query<{ id: string; name: string }>('select id, name from schools where id = $1', [schoolId])).rows[0];
      if (!school) throw new ArchiveError(`There is no school with the id ${schoolId} in this database.`);
      const migrations = (await tx.query<{ name: string }>('select name from schema_migrations order by name').catch(() => ({ rows: [] as { name: string }[] }))).rows.map((r) => r.name);
      const tables: Record<string, ArchiveTableEntry> = {};
      for (const table of archivedTables()) {
        const file = `${table}.jsonl`;
        const columns = (await columnsOf(tx, table)).filter((c) => !(table === 'audit_events' && c === 'id'));
        const { rows, sha256 } = await writeTable(tx, await selectFor(tx, table, schoolId), join(work, file));
        tables[table] = { file, rows, sha256, columns };
      }
      const evidenceFiles = await writeEvidence(tx, schoolId, work, opts.dataDir);
      return {
        format: archiveFormat,
        formatVersion: archiveFormatVersion,
        harbourVersion: harbourVersion(),
        school: { id: school.id, name: school.name },
        installation: (await installationMode(tx)) ?? 'real',
        exportedAt: new Date().toISOString(),
        migrations,
        tables,
        evidenceFiles: evidenceFiles.length,
      } satisfies ArchiveManifest;
    });
    await writeJson(join(work, 'manifest.json'), manifest);
    // Created exclusively and owner-only before tar writes into it.
    const handle = await open(out, 'wx', 0o600).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'EEXIST') throw new ArchiveError(`${out} already exists: choose another file name, or delete it first.`);
      throw e;
    });
    created = true;
    await handle.close();
    const evidence = (await readdir(join(work, 'evidence')).catch(() => [] as string[])).map((f) => `evidence/${f}`);
    await tarCreate({ gzip: true, file: out, cwd: work, portable: true }, ['manifest.json', ...Object.values(manifest.tables).map((t) => t.file), ...evidence]);
    const sha256 = await sha256File(out);
    const rows = Object.values(manifest.tables).reduce((n, t) => n + t.rows, 0);
    await db.transaction((tx) => audit(tx, {
      schoolId, actor: opts.actor ?? systemActor, action: 'school.exported', recordType: 'school', recordId: schoolId, ip: opts.ip ?? null,
      detail: { format_version: archiveFormatVersion, rows, archive_sha256: sha256 },
    }));
    return { file: out, manifest, sha256 };
  } catch (e) {
    if (created && opts.out) await unlink(out).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
    throw e;
  } finally {
    // The table files go as soon as they are in the archive; an archive made in the work folder stays for the caller.
    if (opts.out) await rm(work, { recursive: true, force: true });
    else for (const f of await readdir(work).catch(() => [] as string[])) if (join(work, f) !== out) await rm(join(work, f), { recursive: true, force: true });
  }
}

/**
 * Writes the school's evidence files, decrypted and checked against their recorded SHA-256,
 * into work/evidence. A file that is missing or does not match stops the export, naming it:
 * a backup that silently lacks evidence would be found out only when it is needed.
 */
async function writeEvidence(tx: Tx, schoolId: string, work: string, dataDir: string | undefined): Promise<string[]> {
  const rows = (await tx.query<{ id: string; sha256: string; reference: string | null; filename: string }>(
    `select e.id, e.sha256, i.reference, e.filename from incident_evidence e left join incidents i on i.id = e.incident_id
      where e.school_id = $1 order by e.id`, [schoolId])).rows; // a file kept with a draft report has no incident yet
  if (!rows.length) return [];
  if (!dataDir) throw new ArchiveError('This school has incident evidence files, which are kept in the data folder: export it with the data folder given (DATA_DIR).');
  await mkdir(join(work, 'evidence'), { mode: 0o700 });
  const key = evidenceKey(dataDir);
  for (const r of rows) {
    let data: Buffer;
    try {
      data = openEvidence(key, r.id, readFileSync(evidenceFile(dataDir, schoolId, r.id)));
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing from the data folder' : 'cannot be decrypted with this data folder\'s key (it was changed, or the key is not the one it was saved with)';
      throw new ArchiveError(`The evidence file "${r.filename}" on ${r.reference ? `incident ${r.reference}` : 'a draft report'} ${why}. Nothing was exported.`);
    }
    if (sha256Of(data) !== r.sha256) throw new ArchiveError(`The evidence file "${r.filename}" on ${r.reference ? `incident ${r.reference}` : 'a draft report'} does not match its recorded SHA-256. Nothing was exported.`);
    const handle = await open(join(work, 'evidence', `${r.id}.bin`), 'wx', 0o600);
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
  }
  return rows.map((r) => r.id);
}

const sha256Of = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Removes an archive made in a temporary folder (exportSchool without out), and its folder. */
export async function removeTemporaryArchive(file: string): Promise<void> {
  await rm(dirname(file), { recursive: true, force: true });
}

async function writeJson(path: string, value: unknown) {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(value, null, 2) + '\n');
  } finally {
    await handle.close();
  }
}

/** Streams a query's rows (one JSON text each) to a JSON-lines file through a cursor. */
async function writeTable(tx: Tx, select: string, path: string): Promise<{ rows: number; sha256: string }> {
  const hash = createHash('sha256');
  const stream = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  const write = (s: string) => new Promise<void>((resolve, reject) => stream.write(s, (e) => (e ? reject(e) : resolve())));
  let rows = 0;
  try {
    await tx.query(`declare archive_rows no scroll cursor for ${select}`);
    for (;;) {
      const batch = (await tx.query<{ j: string }>('fetch 1000 from archive_rows')).rows;
      if (!batch.length) break;
      const text = batch.map((r) => r.j + '\n').join('');
      hash.update(text);
      await write(text);
      rows += batch.length;
    }
    await tx.query('close archive_rows');
  } finally {
    await new Promise<void>((resolve) => stream.end(resolve));
  }
  return { rows, sha256: hash.digest('hex') };
}

/** Unpacks an archive into a private folder and checks every table file against the manifest. */
async function unpackAndVerify(file: string): Promise<{ dir: string; manifest: ArchiveManifest }> {
  if (!existsSync(file)) throw new ArchiveError(`There is no file ${file}.`);
  const dir = await mkdtemp(join(tmpdir(), 'harbour-import-'));
  try {
    const problems: string[] = [];
    // Synchronous, so a damaged archive's error never races the files still being written.
    try {
      tarExtract({
        file, cwd: dir, strict: false, sync: true,
        // Only plain files with the names an archive uses; nothing can land outside the folder.
        filter: (path, entry) => /^(manifest\.json|[a-z_][a-z0-9_]*\.jsonl|evidence\/?|evidence\/[0-9a-f-]{36}\.bin)$/.test(path) && (!('type' in entry) || entry.type === 'File' || (path.startsWith('evidence') && entry.type === 'Directory')),
        onwarn: (_code: string, message: string) => { problems.push(message); },
      });
    } catch (e) {
      problems.push((e as Error).message);
    }
    const damaged = problems.length ? ` (${problems[0]})` : '';
    const manifestPath = join(dir, 'manifest.json');
    if (!existsSync(manifestPath)) {
      throw new ArchiveError(`${file} is not a Harbour school archive, or it is damaged: it has no manifest.json${damaged}.`);
    }
    let manifest: ArchiveManifest;
    try {
      manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    } catch {
      throw new ArchiveError(`The archive's manifest.json is damaged (it is not valid JSON)${damaged}.`);
    }
    if (manifest?.format !== archiveFormat || typeof manifest.tables !== 'object' || !manifest.school?.id) {
      throw new ArchiveError(`${file} is not a Harbour school archive: its manifest.json does not describe one.`);
    }
    if (manifest.formatVersion > archiveFormatVersion) {
      throw new ArchiveError(`This archive was made by a newer Harbour (${manifest.harbourVersion}, archive format ${manifest.formatVersion}). Upgrade this Harbour first, then import it.`);
    }
    if (!uuidPattern.test(manifest.school.id)) throw new ArchiveError(`The archive's manifest.json names a school id that is not valid.`);
    for (const [table, t] of Object.entries(manifest.tables)) {
      ident(table);
      if (t.file !== `${table}.jsonl`) throw new ArchiveError(`The archive's manifest.json names the file ${t.file} for the table ${table}; expected ${table}.jsonl.`);
      const path = join(dir, t.file);
      if (!existsSync(path)) throw new ArchiveError(`The archive is incomplete: the table file ${t.file} is missing${damaged}. Export the school again.`);
      if ((await sha256File(path)) !== t.sha256) {
        throw new ArchiveError(`The archive is ${problems.length ? 'damaged or cut short' : 'damaged'}: the table file ${t.file} does not match its checksum in manifest.json${damaged}. Nothing was imported; export the school again.`);
      }
    }
    for (const required of ['schools', 'audit_events']) {
      if (!manifest.tables[required]) throw new ArchiveError(`The archive is incomplete: it has no ${required}.jsonl.`);
    }
    return { dir, manifest };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Reads a verified archive's manifest without importing anything. */
export async function readArchiveManifest(file: string): Promise<ArchiveManifest> {
  const { dir, manifest } = await unpackAndVerify(file);
  await rm(dir, { recursive: true, force: true });
  return manifest;
}

/** The archived tables in an order that inserts every row after the rows it refers to. */
async function insertOrder(db: Queryable, tables: string[]): Promise<string[]> {
  const deps = (await db.query<{ child: string; parent: string }>(
    `select c.conrelid::regclass::text as child, c.confrelid::regclass::text as parent
       from pg_constraint c where c.contype = 'f' and c.conrelid <> c.confrelid`,
  )).rows;
  const set = new Set(tables);
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (t: string) => {
    if (ordered.includes(t) || visiting.has(t)) return;
    visiting.add(t);
    for (const d of deps) if (d.child === t && set.has(d.parent)) visit(d.parent);
    visiting.delete(t);
    ordered.push(t);
  };
  for (const t of [...tables].sort((a, b) => order(a) - order(b))) visit(t);
  return ordered;
}

/** Nullable columns of a table that refer to users: an account outside the archive is cleared. */
async function userReferences(db: Queryable, table: string): Promise<string[]> {
  return (await db.query<{ attname: string }>(
    `select a.attname from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
      where c.contype = 'f' and c.conrelid = $1::regclass and c.confrelid = 'users'::regclass
        and array_length(c.conkey, 1) = 1 and not a.attnotnull`,
    [table],
  )).rows.map((r) => r.attname);
}

export interface ImportResult {
  school: { id: string; name: string };
  rows: Record<string, number>;
  /** References to accounts that are in neither the archive nor this database, cleared on import. */
  clearedAccountReferences: number;
  /** True when the school's organisation was already in this database (it is kept as it is). */
  organisationExisted: boolean;
}

/**
 * Restores a school from an archive into a database that does not hold it yet. The manifest's
 * checksums are checked first; then everything is inserted in one transaction (all or nothing)
 * with the same ids, the audit trail entry for entry, and a 'school.imported' entry after it.
 */
export async function importSchool(db: Database, file: string, opts: { actor?: Actor; ip?: string | null; dataDir?: string } = {}): Promise<ImportResult> {
  const { dir, manifest } = await unpackAndVerify(file);
  const written: string[] = [];
  try {
    const evidence = await readEvidenceRows(dir, manifest);
    if (evidence.length && !opts.dataDir) throw new ArchiveError('The archive holds incident evidence files, which are kept in the data folder: import it with the data folder given (DATA_DIR).');
    return await db.transaction(async (tx) => {
      await tx.query('lock table installation in exclusive mode');
      const mode = await installationMode(tx);
      const archiveMode: InstallationMode = manifest.installation === 'demo' ? 'demo' : 'real';
      if (mode && mode !== archiveMode) {
        throw new ArchiveError(mode === 'demo'
          ? "This database holds demo data: a real school's archive is never imported beside it. Import it into a fresh database (a new DATA_DIR or DATABASE_URL)."
          : "This database holds a real school: a demo school's archive is never imported beside it. Import it into a fresh or demo database.");
      }
      // A database that never recorded its mode takes the archive's (real, unless it is demo data).
      if (!mode) await tx.query('insert into installation (mode) values ($1)', [archiveMode]);

      const existing = (await tx.query<{ name: string }>('select name from schools where id = $1', [manifest.school.id])).rows[0];
      if (existing) {
        throw new ArchiveError(`This database already holds the school with the id ${manifest.school.id} (${existing.name}). Nothing was imported; to restore it, import into a database that does not hold it.`);
      }

      const tables = Object.keys(manifest.tables);
      for (const table of tables) {
        const have = new Set(await columnsOf(tx, table));
        if (!have.size) throw new ArchiveError(`This Harbour has no table ${table}, which the archive holds. Upgrade Harbour (the archive is from ${manifest.harbourVersion}), then import it.`);
        const missing = manifest.tables[table].columns.filter((c) => !have.has(c));
        if (missing.length) throw new ArchiveError(`This Harbour's ${table} table has no column ${missing.join(', ')}, which the archive holds. Upgrade Harbour (the archive is from ${manifest.harbourVersion}), then import it.`);
      }

      if (manifest.tables.users) await refuseExistingAccounts(tx, join(dir, manifest.tables.users.file));

      const rows: Record<string, number> = {};
      let cleared = 0;
      let organisationExisted = false;
      for (const table of await insertOrder(tx, tables)) {
        const entry = manifest.tables[table];
        const cols = entry.columns.map(ident);
        const refs = table === 'users' ? [] : (await userReferences(tx, table)).filter((c) => entry.columns.includes(c));
        const values = cols.map((c, i) => (refs.includes(entry.columns[i]) ? `(select u.id from users u where u.id = r.${c})` : `r.${c}`));
        const conflict = table === 'organisations' ? ' on conflict (id) do nothing' : '';
        const insert = `insert into ${ident(table)} (${cols.join(', ')}) select ${values.join(', ')} from jsonb_populate_recordset(null::${ident(table)}, $1::jsonb) r${conflict}`;
        const countCleared = refs.length
          ? `select count(*)::int as n from jsonb_populate_recordset(null::${ident(table)}, $1::jsonb) r cross join lateral (values ${refs.map((c) => `(r.${ident(c)})`).join(', ')}) v(ref)
              where v.ref is not null and not exists (select 1 from users u where u.id = v.ref)`
          : null;
        let n = 0;
        try {
          for await (const batch of jsonLineBatches(join(dir, entry.file), 500)) {
            const json = `[${batch.join(',')}]`;
            if (countCleared) cleared += (await tx.query<{ n: number }>(countCleared, [json])).rows[0].n;
            const r = await tx.query(insert, [json]);
            if (table === 'organisations' && r.rowCount === 0) organisationExisted = true;
            n += batch.length;
          }
        } catch (e) {
          if (e instanceof ArchiveError) throw e;
          throw new ArchiveError(`Could not import ${entry.file}: ${(e as Error).message}. Nothing was imported.`);
        }
        if (n !== entry.rows) throw new ArchiveError(`The archive is damaged: ${entry.file} holds ${n} rows but manifest.json says ${entry.rows}. Nothing was imported.`);
        rows[table] = n;
      }
      // Evidence is sealed with this installation's key; written files go again if the import fails.
      if (evidence.length && opts.dataDir) {
        const key = evidenceKey(opts.dataDir);
        await mkdir(join(opts.dataDir, 'evidence', manifest.school.id), { recursive: true, mode: 0o700 });
        for (const r of evidence) {
          const path = evidenceFile(opts.dataDir, manifest.school.id, r.id);
          const handle = await open(path, 'wx', 0o600);
          written.push(path);
          try {
            await handle.writeFile(sealEvidence(key, r.id, readFileSync(join(dir, 'evidence', `${r.id}.bin`))));
            await handle.sync();
          } finally {
            await handle.close();
          }
        }
      }
      await audit(tx, {
        schoolId: manifest.school.id, actor: opts.actor ?? systemActor, action: 'school.imported', recordType: 'school', recordId: manifest.school.id, ip: opts.ip ?? null,
        detail: { format_version: manifest.formatVersion, harbour_version: manifest.harbourVersion, exported_at: manifest.exportedAt, rows: Object.values(rows).reduce((a, b) => a + b, 0), cleared_account_references: cleared },
      });
      return { school: manifest.school, rows, clearedAccountReferences: cleared, organisationExisted };
    });
  } catch (e) {
    for (const path of written) await unlink(path).catch(() => undefined);
    throw e;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The archive's evidence rows, each with its file present and matching its recorded SHA-256. */
async function readEvidenceRows(dir: string, manifest: ArchiveManifest): Promise<{ id: string }[]> {
  const entry = manifest.tables.incident_evidence;
  if (!entry) return [];
  const rows: { id: string; sha256: string; filename: string }[] = [];
  for await (const batch of jsonLineBatches(join(dir, entry.file), 1000)) for (const line of batch) rows.push(JSON.parse(line));
  for (const r of rows) {
    if (!uuidPattern.test(r.id)) throw new ArchiveError('The archive is damaged: incident_evidence.jsonl holds an evidence id that is not valid. Nothing was imported.');
    const path = join(dir, 'evidence', `${r.id}.bin`);
    if (!existsSync(path)) throw new ArchiveError(`The archive is incomplete: the evidence file evidence/${r.id}.bin ("${r.filename}") is missing. Nothing was imported; export the school again.`);
    if (sha256Of(readFileSync(path)) !== r.sha256) throw new ArchiveError(`The archive is damaged: the evidence file evidence/${r.id}.bin ("${r.filename}") does not match its recorded SHA-256. Nothing was imported.`);
  }
  return rows;
}

/** An account's email already here would make two accounts of one person: refused, never merged. */
async function refuseExistingAccounts(tx: Queryable, path: string) {
  const accounts: { id: string; email: string }[] = [];
  for await (const batch of jsonLineBatches(path, 1000)) for (const line of batch) {
    const u = JSON.parse(line);
    accounts.push({ id: u.id, email: u.email });
  }
  if (!accounts.length) return;
  const clash = (await tx.query<{ id: string; email: string }>(
    `select u.id, u.email from users u where lower(u.email) = any($1::text[]) or u.id = any($2::uuid[]) order by lower(u.email) limit 1`,
    [accounts.map((a) => a.email.toLowerCase()), accounts.map((a) => a.id)],
  )).rows[0];
  if (clash) {
    const email = accounts.find((a) => a.email.toLowerCase() === clash.email.toLowerCase() || a.id === clash.id)?.email ?? clash.email;
    throw new ArchiveError(`This database already has an account for ${email}. Accounts are not merged: remove or rename that account first, then import again. Nothing was imported.`);
  }
}

/** The non-empty lines of a JSON-lines file, in batches. */
async function* jsonLineBatches(path: string, size: number): AsyncGenerator<string[]> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let batch: string[] = [];
  for await (const line of lines) {
    if (!line) continue;
    batch.push(line);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** The archive's file name for a download: the date only, never the school's name. */
export function archiveFileName(at = new Date()): string {
  return `harbour-export-${at.toISOString().slice(0, 10)}.tar.gz`;
}

