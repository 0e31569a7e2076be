// Importing people from the school's management information system (MIS): SIMS- and
// Arbor-style CSV exports of pupils, staff and contacts. Plain functions, no HTTP, so the
// browser journey and `harbour people import` read, check and save a file the same way.
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import type { Database, Queryable } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { audit, type Actor } from '../../platform/audit/audit';
import { parseDateOfBirth, normaliseYearGroup, upnPattern, emailPattern } from './service';

/** What a file holds: one kind of export from the MIS. */
export type ImportKind = 'pupils' | 'staff' | 'contacts';
export const importKinds: Record<ImportKind, { label: string; personKind: 'pupil' | 'staff' | 'parent' }> = {
  /** Pupils on roll, matched by UPN. */
  pupils: { label: 'Pupils', personKind: 'pupil' },
  /** Staff, matched by staff code (or email when the code is new). */
  staff: { label: 'Staff', personKind: 'staff' },
  /** Parents and carers, matched by contact id and linked to their children by UPN. */
  contacts: { label: 'Parents and carers (contacts)', personKind: 'parent' },
};
export function isImportKind(v: unknown): v is ImportKind {
  return typeof v === 'string' && v in importKinds;
}

/** The largest file Harbour takes. A whole secondary school's contacts fit well within it. */
export const maxImportBytes = 5 * 1024 * 1024;

/** A Harbour field a CSV column can fill, with the header names MIS exports use for it. */
export interface ImportField {
  key: string;
  label: string;
  required: boolean;
  synonyms: string[];
}

const f = (key: string, label: string, required: boolean, synonyms: string[]): ImportField => ({ key, label, required, synonyms });

/** The fields of each kind of import, in the order the mapping page shows them. */
export const importFields: Record<ImportKind, ImportField[]> = {
  pupils: [
    f('upn', 'UPN', true, ['UPN', 'Unique Pupil Number', 'Pupil UPN']),
    f('family_name', 'Surname', true, ['Legal Surname', 'Surname', 'Last Name', 'Family Name']),
    f('given_name', 'Forename', true, ['Legal Forename', 'Forename', 'First Name', 'Given Name']),
    f('preferred_name', 'Preferred forename', false, ['Preferred Forename', 'Preferred Name', 'Known As']),
    f('year_group', 'Year group', false, ['Year', 'NC Year', 'Year Group', 'National Curriculum Year']),
    f('class_name', 'Class', false, ['Reg Group', 'Class', 'Registration Group', 'Reg', 'Form', 'Tutor Group']),
    f('date_of_birth', 'Date of birth', false, ['DOB', 'Date of Birth', 'Birth Date']),
    f('gender', 'Gender', false, ['Gender', 'Sex']),
  ],
  staff: [
    f('mis_id', 'Staff code', false, ['Staff Code', 'Employee ID', 'Staff ID', 'Employee Number', 'Person ID']),
    f('title', 'Title', false, ['Title']),
    f('family_name', 'Surname', true, ['Surname', 'Legal Surname', 'Last Name', 'Family Name']),
    f('given_name', 'Forename', true, ['Forename', 'Legal Forename', 'First Name', 'Given Name']),
    f('email', 'Email', false, ['Email', 'Email Address', 'Work Email', 'School Email']),
    f('job_title', 'Job title', false, ['Role', 'Job Title', 'Post', 'Staff Role']),
  ],
  contacts: [
    f('mis_id', 'Contact ID', true, ['Contact ID', 'ContactID', 'Contact Id', 'Contact Reference']),
    f('family_name', 'Surname', true, ['Surname', 'Contact Surname', 'Last Name', 'Family Name']),
    f('given_name', 'Forename', true, ['Forename', 'Contact Forename', 'First Name', 'Given Name']),
    f('email', 'Email', false, ['Email', 'Email Address', 'Contact Email']),
    f('phone', 'Telephone', false, ['Telephone', 'Phone', 'Telephone Number', 'Mobile', 'Main Telephone']),
    f('relationship', 'Relationship', false, ['Relationship', 'Relationship to Pupil']),
    f('pupil_upn', 'Pupil UPN', true, ['Pupil UPN', 'UPN', 'Student UPN', 'Child UPN']),
  ],
};

/** One problem with the file: its row (row 2 is the first row after the header) and field. */
export interface ImportProblem {
  row: number | null;
  field: string;
  message: string;
}

/** A file that cannot be read as CSV at all. */
export class ImportFileError extends Error {}

/** Thrown by commitImport when the file has problems: nothing was saved. */
export class ImportHasProblemsError extends Error {
  constructor(readonly problems: ImportProblem[]) {
    super(`The file has ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was imported.`);
  }
}

/**
 * Turns uploaded bytes into text, refusing what is not a CSV file (spreadsheets, images,
 * anything binary). UTF-8 is expected; files saved by older MIS as Windows-1252 are read too.
 */
export function decodeUpload(bytes: Buffer): string {
  if (bytes.length === 0) throw new ImportFileError('The file is empty. Export the list from your MIS as CSV and choose that file.');
  if (bytes.length > maxImportBytes) throw new ImportFileError('The file is larger than 5 MB. Export fewer columns, or split it into smaller files.');
  const head = bytes.subarray(0, 8).toString('hex');
  const binary = head.startsWith('504b0304') || head.startsWith('d0cf11e0') || head.startsWith('25504446') || bytes.includes(0);
  if (binary) throw new ImportFileError('This is not a CSV file (it looks like a spreadsheet or another kind of file). In your MIS or spreadsheet, save the list as "CSV (comma delimited)" and choose that file.');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('windows-1252').decode(bytes);
  }
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) {
    throw new ImportFileError('This is not a CSV file: it holds characters a CSV export never does. Save the list from your MIS as CSV and choose that file.');
  }
  return text;
}

/** The SHA-256 of a file's text, kept with each import so a run can be matched to its file. */
export function fileSha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A parsed file: its header row and its data rows (row i is row i + 2 of the file). */
export interface CsvTable {
  headers: string[];
  rows: string[][];
}

/** Reads CSV text into a header row and data rows, or says clearly why it cannot. */
export function parseCsv(text: string): CsvTable {
  let records: string[][];
  try {
    records = parse(text, { bom: true, relax_column_count: false, trim: true, skip_empty_lines: true });
  } catch (e: any) {
    if (e?.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
      const got = Array.isArray(e.record) ? e.record.length : '?';
      throw new ImportFileError(`Line ${e.lines} of the file has ${got} values but the header row has ${e.columns?.length ?? 'a different number of'} columns. Check the file was saved as CSV from your MIS.`);
    }
    throw new ImportFileError(`The file could not be read as CSV${e?.lines ? ` (line ${e.lines})` : ''}. Check it was saved as CSV from your MIS.`);
  }
  if (!records.length) throw new ImportFileError('The file is empty. Export the list from your MIS as CSV and choose that file.');
  const [headers, ...rows] = records;
  const seen = new Set<string>();
  for (const h of headers) {
    if (!h) continue;
    const k = normaliseHeader(h);
    if (seen.has(k)) throw new ImportFileError(`The header row names the column "${h}" twice. Give each column its own name.`);
    seen.add(k);
  }
  if (!headers.some(Boolean)) throw new ImportFileError('The first row of the file should name the columns (like UPN, Legal Surname), but it is blank.');
  if (!rows.length) throw new ImportFileError('The file has a header row but no rows of people after it.');
  return { headers, rows };
}

/** Header names compared without case, spaces or punctuation: "Legal Surname" = "legal_surname". */
export function normaliseHeader(h: string): string {
  return h.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Which column each field comes from (a header of the file, or '' for none). */
export type ImportMapping = Record<string, string>;

/** The mapping Harbour suggests from the file's headers, by each field's synonyms. */
export function suggestMapping(kind: ImportKind, headers: string[]): ImportMapping {
  const byName = new Map(headers.filter(Boolean).map((h) => [normaliseHeader(h), h]));
  const mapping: ImportMapping = {};
  for (const field of importFields[kind]) {
    const hit = field.synonyms.map((s) => byName.get(normaliseHeader(s))).find(Boolean);
    mapping[field.key] = hit ?? '';
  }
  return mapping;
}

/**
 * Applies "Harbour field=CSV header" choices (from the command line) over a suggested
 * mapping. A field may be named by its key (family_name) or its label (Surname).
 */
export function applyMappingOverrides(kind: ImportKind, headers: string[], mapping: ImportMapping, overrides: string[]): { mapping: ImportMapping; problems: string[] } {
  const out = { ...mapping };
  const problems: string[] = [];
  for (const o of overrides) {
    const i = o.indexOf('=');
    if (i < 1) {
      problems.push(`--map "${o}": write it as "Harbour field=CSV header", like "UPN=Pupil UPN"`);
      continue;
    }
    const name = o.slice(0, i).trim();
    const header = o.slice(i + 1).trim();
    const field = importFields[kind].find((x) => normaliseHeader(x.key) === normaliseHeader(name) || normaliseHeader(x.label) === normaliseHeader(name));
    if (!field) {
      problems.push(`--map "${o}": ${name} is not a field of a ${kind} import. The fields are: ${importFields[kind].map((x) => x.label).join(', ')}`);
      continue;
    }
    const actual = header === '' ? '' : headers.find((h) => h === header) ?? headers.find((h) => normaliseHeader(h) === normaliseHeader(header));
    if (actual === undefined) {
      problems.push(`--map "${o}": the file has no column "${header}". Its columns are: ${headers.filter(Boolean).join(', ')}`);
      continue;
    }
    out[field.key] = actual;
  }
  return { mapping: out, problems };
}

/** Problems with a mapping itself: a required field with no column, or a column that is not in the file. */
export function mappingProblems(kind: ImportKind, headers: string[], mapping: ImportMapping): ImportProblem[] {
  const problems: ImportProblem[] = [];
  for (const field of importFields[kind]) {
    const h = mapping[field.key] ?? '';
    if (h && !headers.includes(h)) problems.push({ row: null, field: field.label, message: `The file has no column "${h}"` });
    else if (!h && field.required) problems.push({ row: null, field: field.label, message: `Choose the column that holds ${field.label}` });
  }
  if (kind === 'staff' && !mapping.mis_id && !mapping.email) {
    problems.push({ row: null, field: 'Staff code', message: 'Choose the column that holds the staff code (or at least the email), so staff can be matched next time' });
  }
  return problems;
}

/** One person as the file describes them, after checking. Only mapped fields are present. */
export interface FileRecord {
  row: number;
  fields: Record<string, string | null>;
  /** Contacts: the children this contact is linked to, by UPN, with the relationship given. */
  links: { upn: string; relationship: string | null; row: number }[];
}

/** Reads and checks every row; returns every problem, not just the first. */
export function checkRows(kind: ImportKind, table: CsvTable, mapping: ImportMapping): { records: FileRecord[]; problems: ImportProblem[] } {
  const problems = mappingProblems(kind, table.headers, mapping);
  if (problems.length) return { records: [], problems };
  const fields = importFields[kind].filter((x) => mapping[x.key]);
  const index = Object.fromEntries(fields.map((x) => [x.key, table.headers.indexOf(mapping[x.key])]));
  const labelOf = (key: string) => importFields[kind].find((x) => x.key === key)!.label;
  const records: FileRecord[] = [];
  const firstRowOf = new Map<string, number>();
  const byContact = new Map<string, FileRecord>();
  const today = new Date().toISOString().slice(0, 10);

  table.rows.forEach((cells, i) => {
    const row = i + 2;
    const add = (key: string, message: string) => problems.push({ row, field: labelOf(key), message });
    const v: Record<string, string | null> = {};
    for (const x of fields) {
      const raw = (cells[index[x.key]] ?? '').trim();
      v[x.key] = raw === '' ? null : raw;
    }
    for (const x of fields) if (x.required && !v[x.key]) add(x.key, `Enter ${x.label}: it is blank`);
    for (const key of ['given_name', 'family_name', 'preferred_name', 'title']) {
      if (v[key] && v[key]!.length > 100) add(key, `${labelOf(key)} must be 100 characters or fewer`);
    }
    for (const key of ['job_title', 'phone', 'relationship', 'gender', 'class_name', 'mis_id']) {
      if (v[key] && v[key]!.length > 100) add(key, `${labelOf(key)} must be 100 characters or fewer`);
    }
    if (v.email && !emailPattern.test(v.email)) add('email', 'Email is not an email address (like name@example.org)');
    if (kind === 'staff' && !v.mis_id && !v.email) add('mis_id', 'Enter a staff code or an email, so this person can be matched next time');

    if (kind === 'pupils') {
      if (v.upn) {
        v.upn = v.upn.toUpperCase();
        if (!upnPattern.test(v.upn)) add('upn', 'UPN must be 13 characters: a letter, 11 digits, then a digit or letter');
        else {
          const earlier = firstRowOf.get(v.upn);
          if (earlier) add('upn', `This UPN is also in row ${earlier}: each pupil must appear once`);
          else firstRowOf.set(v.upn, row);
        }
      }
      if (v.year_group) {
        const y = normaliseYearGroup(v.year_group);
        if (!y) add('year_group', 'Year must be R, N or a year from 1 to 13');
        else v.year_group = y;
      }
      if (v.date_of_birth) {
        const d = parseDateOfBirth(v.date_of_birth);
        if (!d) add('date_of_birth', 'Date of birth must be a real date written as dd/mm/yyyy or yyyy-mm-dd');
        else if (d > today) add('date_of_birth', 'Date of birth must be in the past');
        else v.date_of_birth = d;
      }
    }

    if (kind === 'staff') {
      for (const [key, label] of [['mis_id', 'staff code'], ['email', 'email']] as const) {
        if (!v[key]) continue;
        const k = `${key}:${v[key]!.toLowerCase()}`;
        const earlier = firstRowOf.get(k);
        if (earlier) add(key, `This ${label} is also in row ${earlier}: each member of staff must appear once`);
        else firstRowOf.set(k, row);
      }
    }

    if (kind === 'contacts') {
      let upn = v.pupil_upn ? v.pupil_upn.toUpperCase() : null;
      if (upn && !upnPattern.test(upn)) {
        add('pupil_upn', 'Pupil UPN must be 13 characters: a letter, 11 digits, then a digit or letter');
        upn = null;
      }
      const { pupil_upn: _u, relationship, ...personFields } = v;
      if (!v.mis_id) return;
      const existing = byContact.get(v.mis_id);
      if (existing) {
        // A contact with several children comes once per child; their details must agree.
        for (const key of ['family_name', 'given_name'] as const) {
          if ((existing.fields[key] ?? '').toLowerCase() !== (personFields[key] ?? '').toLowerCase()) {
            add(key, `${labelOf(key)} differs from row ${existing.row} for the same Contact ID`);
          }
        }
        for (const key of ['email', 'phone'] as const) if (!existing.fields[key] && personFields[key]) existing.fields[key] = personFields[key];
        if (upn) {
          const dup = existing.links.find((l) => l.upn === upn);
          if (dup) add('pupil_upn', `This contact is already linked to this pupil in row ${dup.row}`);
          else existing.links.push({ upn, relationship: relationship ?? null, row });
        }
        return;
      }
      const rec: FileRecord = { row, fields: personFields, links: upn ? [{ upn, relationship: relationship ?? null, row }] : [] };
      byContact.set(v.mis_id, rec);
      records.push(rec);
      return;
    }
    records.push({ row, fields: v, links: [] });
  });
  return { records, problems };
}

/** What an import would do to one person. */
export interface PlannedChange {
  row: number;
  action: 'create' | 'update' | 'unchanged';
  personId: string | null;
  fields: Record<string, string | null>;
  changedFields: string[];
  /** Contacts: links to add (childId) and relationships to change. */
  newLinks: { childId: string; relationship: string }[];
  changedLinks: { childId: string; relationship: string }[];
}

/** A dry run's answer: every problem, and what would happen to whom. */
export interface ImportPlan {
  kind: ImportKind;
  problems: ImportProblem[];
  changes: PlannedChange[];
  counts: { created: number; updated: number; unchanged: number; missing: number; rows: number };
  /** Full lists: people of this kind in Harbour (not yet left) who are not in the file. */
  missingPersonIds: string[];
}

interface PersonRow {
  id: string;
  kind: string;
  upn: string | null;
  mis_id: string | null;
  email: string | null;
  [key: string]: unknown;
}

/** Compares the file with the school's people and says what an import would do. Changes nothing. */
export async function planImport(db: Queryable, schoolId: string, kind: ImportKind, table: CsvTable, mapping: ImportMapping, full: boolean): Promise<ImportPlan> {
  const { records, problems } = checkRows(kind, table, mapping);
  const scope = schoolScope(db, schoolId);
  const personKind = importKinds[kind].personKind;
  const changes: PlannedChange[] = [];
  const matched = new Set<string>();

  const existing = await scope.sql<PersonRow>('select * from people where school_id = :school and (kind = $1 or upn is not null)', [personKind]);
  const byUpn = new Map(existing.filter((p) => p.upn).map((p) => [p.upn!, p]));
  const sameKind = existing.filter((p) => p.kind === personKind);
  const byMisId = new Map(sameKind.filter((p) => p.mis_id).map((p) => [p.mis_id!, p]));
  const byEmail = new Map<string, PersonRow>();
  for (const p of sameKind) if (p.email && !p.mis_id && !byEmail.has(p.email.toLowerCase())) byEmail.set(p.email.toLowerCase(), p);

  let guardianships: { parent_id: string; child_id: string; relationship: string }[] = [];
  if (kind === 'contacts') guardianships = await scope.sql('select parent_id, child_id, relationship from guardianships where school_id = :school');

  for (const rec of records) {
    let person: PersonRow | undefined;
    if (kind === 'pupils') {
      person = byUpn.get(rec.fields.upn!);
      if (person && person.kind !== 'pupil') {
        problems.push({ row: rec.row, field: 'UPN', message: 'This UPN belongs to someone in Harbour who is not a pupil' });
        continue;
      }
    } else {
      person = rec.fields.mis_id ? byMisId.get(rec.fields.mis_id) : undefined;
      if (!person && kind === 'staff' && rec.fields.email) person = byEmail.get(rec.fields.email.toLowerCase());
      if (person && matched.has(person.id)) {
        problems.push({ row: rec.row, field: 'Email', message: 'This email belongs to a member of staff matched by another row' });
        continue;
      }
    }
    const newLinks: PlannedChange['newLinks'] = [];
    const changedLinks: PlannedChange['changedLinks'] = [];
    for (const link of rec.links) {
      const child = byUpn.get(link.upn);
      if (!child || child.kind !== 'pupil') {
        problems.push({ row: link.row, field: 'Pupil UPN', message: 'No pupil in Harbour has this UPN: import the pupils first, or check the UPN' });
        continue;
      }
      const had = person ? guardianships.find((g) => g.parent_id === person!.id && g.child_id === child.id) : undefined;
      if (!had) newLinks.push({ childId: child.id, relationship: link.relationship ?? 'parent' });
      else if (link.relationship && had.relationship !== link.relationship) changedLinks.push({ childId: child.id, relationship: link.relationship });
    }
    if (person) {
      matched.add(person.id);
      const changedFields = Object.keys(rec.fields).filter((k) => (person![k] ?? null) !== rec.fields[k]);
      const action = changedFields.length || newLinks.length || changedLinks.length ? 'update' : 'unchanged';
      changes.push({ row: rec.row, action, personId: person.id, fields: rec.fields, changedFields, newLinks, changedLinks });
    } else {
      changes.push({ row: rec.row, action: 'create', personId: null, fields: rec.fields, changedFields: Object.keys(rec.fields), newLinks, changedLinks });
    }
  }

  // Only people who came from the MIS (they carry its key) can be missing from its export:
  // staff added by hand, such as the administrator running the import, are never offered.
  const fromMis = (p: { upn?: string | null; mis_id?: string | null }) => (kind === 'pupils' ? !!p.upn : !!p.mis_id);
  const missingPersonIds = full ? sameKind.filter((p) => !p.left_on && !matched.has(p.id) && fromMis(p)).map((p) => p.id) : [];
  problems.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  return {
    kind,
    problems,
    changes,
    counts: {
      rows: table.rows.length,
      created: changes.filter((c) => c.action === 'create').length,
      updated: changes.filter((c) => c.action === 'update').length,
      unchanged: changes.filter((c) => c.action === 'unchanged').length,
      missing: missingPersonIds.length,
    },
    missingPersonIds,
  };
}

export interface ImportRequest {
  schoolId: string;
  kind: ImportKind;
  fileName: string;
  text: string;
  mapping: ImportMapping;
  full: boolean;
  actor: Actor;
  ip?: string | null;
  /** Runs inside the import's transaction (the browser journey deletes its draft here). */
  alsoInTransaction?: (tx: Queryable) => Promise<unknown>;
}

export interface ImportResult {
  importId: string;
  counts: ImportPlan['counts'];
  missingPersonIds: string[];
}

/**
 * Saves a checked file: everyone in it is created or updated in one transaction, or, if any
 * row has a problem, nothing is saved and ImportHasProblemsError lists every problem. One
 * 'people.imported' audit entry records the run (counts, kind and the file's SHA-256).
 */
export async function commitImport(db: Database, req: ImportRequest): Promise<ImportResult> {
  const table = parseCsv(req.text);
  return db.transaction(async (tx) => {
    // One import at a time per school, so two runs never both create the same pupil.
    await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`people-import:${req.schoolId}`]);
    const plan = await planImport(tx, req.schoolId, req.kind, table, req.mapping, req.full);
    if (plan.problems.length) throw new ImportHasProblemsError(plan.problems);
    const scope = schoolScope(tx, req.schoolId);
    const personKind = importKinds[req.kind].personKind;
    for (const c of plan.changes) {
      let personId = c.personId;
      if (c.action === 'create') {
        const row = await scope.insert<{ id: string }>('people', { kind: personKind, ...c.fields });
        personId = row.id;
      } else if (c.changedFields.length) {
        const values: Record<string, unknown> = Object.fromEntries(c.changedFields.map((k) => [k, c.fields[k]]));
        values.updated_at = new Date();
        await scope.update('people', { id: personId }, values);
      }
      for (const l of c.newLinks) {
        await scope.insert('guardianships', { parent_id: personId, child_id: l.childId, relationship: l.relationship });
      }
      for (const l of c.changedLinks) {
        await scope.update('guardianships', { parent_id: personId, child_id: l.childId }, { relationship: l.relationship });
      }
    }
    const sha = fileSha256(req.text);
    const run = await scope.insert<{ id: string }>('people_imports', {
      kind: req.kind,
      file_name: req.fileName.slice(0, 200),
      file_sha256: sha,
      full_import: req.full,
      created_count: plan.counts.created,
      updated_count: plan.counts.updated,
      unchanged_count: plan.counts.unchanged,
      missing_person_ids: plan.missingPersonIds,
      created_by: req.actor.userId,
    });
    await audit(tx, {
      schoolId: req.schoolId, actor: req.actor, action: 'people.imported', recordType: 'people_import', recordId: run.id, ip: req.ip ?? null,
      detail: {
        kind: req.kind, full: req.full, file_sha256: sha, rows: plan.counts.rows,
        created: plan.counts.created, updated: plan.counts.updated, unchanged: plan.counts.unchanged, missing: plan.counts.missing,
      },
    });
    if (req.alsoInTransaction) await req.alsoInTransaction(tx);
    return { importId: run.id, counts: plan.counts, missingPersonIds: plan.missingPersonIds };
  });
}

/**
 * Marks people a full import found missing as having left (today). Only people the run named
 * as missing can be marked here; returns the ids marked.
 */
export async function markImportLeavers(db: Database, schoolId: string, importId: string, personIds: string[], actor: Actor, ip?: string | null): Promise<string[] | null> {
  return db.transaction(async (tx) => {
    const scope = schoolScope(tx, schoolId);
    const run = await scope.one<{ id: string; missing_person_ids: string[] }>('people_imports', { id: importId });
    if (!run) return null;
    const allowed = new Set(run.missing_person_ids);
    const ids = [...new Set(personIds)].filter((id) => allowed.has(id));
    const marked = await scope.sql<{ id: string }>(
      'update people set left_on = current_date, updated_at = now() where school_id = :school and id = any($1::uuid[]) and left_on is null returning id',
      [ids],
    );
    for (const m of marked) {
      await audit(tx, { schoolId, actor, action: 'person.left', recordType: 'person', recordId: m.id, ip: ip ?? null, detail: { importId } });
    }
    return marked.map((m) => m.id);
  });
}
