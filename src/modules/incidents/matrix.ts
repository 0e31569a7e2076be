// The sanctions matrices: incident types (rows) by actions (columns), one for learners and one
// for staff. They travel as CSV in one shape, `subject,incident,<action>,<action>,...`, with
// `learner` or `staff` as the subject and `x` under each recommended action.
import { parse } from 'csv-parse/sync';
import type { Queryable } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { toCsv } from '../../platform/csv/write';
import { defaultCategories, defaultLearnerMatrix, defaultStaffMatrix } from './defaults';

/** Whose conduct a matrix covers. */
export const subjects = {
  /** Pupils. */
  learner: 'Learners',
  /** Staff and volunteers. */
  staff: 'Staff',
} as const;
export type Subject = keyof typeof subjects;

export interface ParsedMatrix {
  /** The subjects the file holds, each with its actions (columns) and incident types (rows). */
  subjects: Partial<Record<Subject, { actions: string[]; rows: { incident: string; recommended: string[] }[] }>>;
}

/** A problem with an uploaded matrix, naming the line (and column) at fault. */
export class MatrixCsvError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** The incident column's header: "incident", or a policy's own "Incidents:" (any case, a colon or not). */
const incidentHeader = /^incidents?\s*:?$/i;

// A policy document's table may tick instead of cross; both mean "recommended".
const marks = new Set(['x', '✓', '✔', 'yes', 'y']);

/**
 * Reads a matrix CSV. The header must start `subject,incident` and name each action once; every
 * row names learner or staff, a unique incident, and only `x` (or a tick) or nothing under an
 * action. A subject's actions are the header's columns when the file holds that subject only;
 * in a file of both, each subject takes the columns it marks at least once.
 */
export function parseMatrixCsv(text: string, subjectIfMissing: Subject | null = null): ParsedMatrix {
  let records: string[][];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: true, trim: true });
  } catch (e: any) {
    throw new MatrixCsvError([`The file is not valid CSV${e.lines ? ` (line ${e.lines})` : ''}: ${String(e.message).split('\n')[0]}`]);
  }
  if (!records.length) throw new MatrixCsvError(['The file is empty: it needs a header row and one row per incident type']);
  // A table copied from a policy has no subject column: its first header cell is the incident
  // column's own ("Incidents:", say). The importer says whose matrix it is.
  if (incidentHeader.test(records[0][0] ?? '') && (records[0][1] ?? '').toLowerCase() !== 'incident') {
    if (!subjectIfMissing) {
      throw new MatrixCsvError(['Line 1: the file has no subject column. Choose whether the table is for learners or for staff, or add a first column "subject" with learner or staff on each row']);
    }
    records = records.map((r, i) => [i === 0 ? 'subject' : subjectIfMissing, ...r]);
  }
  const header = records[0];
  const problems: string[] = [];
  if ((header[0] ?? '').toLowerCase() !== 'subject' || !incidentHeader.test(header[1] ?? '')) {
    throw new MatrixCsvError(['Line 1: the header must begin with the columns subject,incident and then name each action']);
  }
  const actions = header.slice(2);
  if (!actions.length) problems.push('Line 1: the header names no actions after subject,incident');
  actions.forEach((a, i) => {
    if (!a) problems.push(`Line 1: column ${i + 3} has no action name`);
    else if (a.length > 200) problems.push(`Line 1: the action in column ${i + 3} is longer than 200 characters`);
    else if (actions.indexOf(a) !== i) problems.push(`Line 1: the action "${a}" appears twice`);
  });
  const out: ParsedMatrix = { subjects: {} };
  const seen = new Set<string>();
  records.slice(1).forEach((r, k) => {
    const line = k + 2;
    const subject = (r[0] ?? '').toLowerCase();
    if (subject !== 'learner' && subject !== 'staff') {
      problems.push(`Line ${line}: the subject must be learner or staff, not "${r[0] ?? ''}"`);
      return;
    }
    const incident = r[1] ?? '';
    if (!incident) { problems.push(`Line ${line}: the incident is empty`); return; }
    if (incident.length > 500) { problems.push(`Line ${line}: the incident is longer than 500 characters`); return; }
    if (seen.has(`${subject}\n${incident.toLowerCase()}`)) { problems.push(`Line ${line}: the ${subject} incident "${incident}" appears twice`); return; }
    seen.add(`${subject}\n${incident.toLowerCase()}`);
    if (r.length > header.length) { problems.push(`Line ${line}: it has ${r.length} columns but the header has ${header.length}`); return; }
    const recommended: string[] = [];
    for (let c = 2; c < r.length; c++) {
      const cell = r[c].toLowerCase();
      if (cell === '') continue;
      if (!marks.has(cell)) { problems.push(`Line ${line}: under "${actions[c - 2]}" put x or leave it empty, not "${r[c]}"`); continue; }
      recommended.push(actions[c - 2]);
    }
    const s = (out.subjects[subject as Subject] ??= { actions: [], rows: [] });
    s.rows.push({ incident, recommended });
  });
  if (records.length < 2) problems.push('The file has a header but no incident rows');
  if (problems.length) throw new MatrixCsvError(problems);
  const both = Object.keys(out.subjects).length > 1;
  for (const s of Object.values(out.subjects)) {
    s!.actions = both ? actions.filter((a) => s!.rows.some((r) => r.recommended.includes(a))) : [...actions];
  }
  return out;
}

/** What recording an action asks for, guessed from its name (parents' details, an end date, a referral). */
export function actionKind(label: string): 'inform_parents' | 'remove_access' | 'refer' | 'warning' | 'other' {
  const l = label.toLowerCase();
  if (/parent|carer/.test(l)) return 'inform_parents';
  if (/remov|withdraw|access rights|internet access|network access/.test(l)) return 'remove_access';
  if (/warning/.test(l)) return 'warning';
  if (/^refer|police|report to/.test(l)) return 'refer';
  return 'other';
}

/**
 * Replaces a school's matrix for each subject in the file: its actions and rows become exactly
 * the file's, in the file's order. Types and actions an earlier incident used are retired, not deleted.
 */
export async function importMatrix(db: Queryable, schoolId: string, parsed: ParsedMatrix): Promise<{ subject: Subject; rows: number; actions: number }[]> {
  const scope = schoolScope(db, schoolId);
  const result: { subject: Subject; rows: number; actions: number }[] = [];
  for (const [subject, m] of Object.entries(parsed.subjects) as [Subject, NonNullable<ParsedMatrix['subjects'][Subject]>][]) {
    await scope.sql('update sanction_actions set retired = true where school_id = :school and subject = $1', [subject]);
    await scope.sql('update sanction_incident_types set retired = true where school_id = :school and subject = $1', [subject]);
    const actionIds = new Map<string, string>();
    for (const [i, label] of m.actions.entries()) {
      const [row] = await scope.sql<{ id: string }>(
        `insert into sanction_actions (school_id, subject, label, kind, position) values (:school, $1, $2, $3, $4)
         on conflict (school_id, subject, label) do update set retired = false, position = excluded.position, kind = excluded.kind returning id`,
        [subject, label, actionKind(label), i]);
      actionIds.set(label, row.id);
    }
    for (const [i, r] of m.rows.entries()) {
      const [row] = await scope.sql<{ id: string }>(
        `insert into sanction_incident_types (school_id, subject, label, continued_infringement, position) values (:school, $1, $2, $3, $4)
         on conflict (school_id, subject, label) do update set retired = false, position = excluded.position, continued_infringement = excluded.continued_infringement returning id`,
        [subject, r.incident, /continued|repeated/i.test(r.incident), i]);
      await scope.sql('delete from sanction_recommendations where school_id = :school and incident_type_id = $1', [row.id]);
      for (const a of r.recommended) {
        const actionId = actionIds.get(a);
        if (actionId) await scope.sql('insert into sanction_recommendations (school_id, incident_type_id, action_id) values (:school, $1, $2)', [row.id, actionId]);
      }
    }
    result.push({ subject, rows: m.rows.length, actions: m.actions.length });
  }
  return result;
}

export interface MatrixView {
  subject: Subject;
  actions: { id: string; label: string; kind: string }[];
  rows: { id: string; label: string; continued_infringement: boolean; recommended: Set<string> }[];
}

/** A school's current matrix for one subject. */
export async function loadMatrix(db: Queryable, schoolId: string, subject: Subject): Promise<MatrixView> {
  const scope = schoolScope(db, schoolId);
  const actions = await scope.sql('select id, label, kind from sanction_actions where school_id = :school and subject = $1 and not retired order by position', [subject]);
  const rows = await scope.sql(
    `select t.id, t.label, t.continued_infringement,
            coalesce(array_agg(r.action_id) filter (where r.action_id is not null), '{}') as recommended
       from sanction_incident_types t left join sanction_recommendations r on r.incident_type_id = t.id
      where t.school_id = :school and t.subject = $1 and not t.retired group by t.id order by t.position`, [subject]);
  return { subject, actions, rows: rows.map((r: any) => ({ ...r, recommended: new Set(r.recommended) })) };
}

/** One subject's matrix (or both, learners first) as CSV in the import shape. */
export async function exportMatrixCsv(db: Queryable, schoolId: string, which: Subject | 'both'): Promise<string> {
  const views = which === 'both' ? [await loadMatrix(db, schoolId, 'learner'), await loadMatrix(db, schoolId, 'staff')] : [await loadMatrix(db, schoolId, which)];
  const actions: string[] = [];
  for (const v of views) for (const a of v.actions) if (!actions.includes(a.label)) actions.push(a.label);
  const rows: string[][] = [];
  for (const v of views) {
    const labelOf = new Map(v.actions.map((a) => [a.id, a.label]));
    for (const r of v.rows) {
      const marked = new Set([...r.recommended].map((id) => labelOf.get(id)));
      rows.push([v.subject, r.label, ...actions.map((a) => (marked.has(a) ? 'x' : ''))]);
    }
  }
  return toCsv(['subject', 'incident', ...actions], rows);
}

/**
 * Gives a school its default categories and matrices the first time incidents are used (and
 * does nothing after). Safe to call in every transaction that needs them.
 */
export async function ensureIncidentDefaults(db: Queryable, schoolId: string): Promise<void> {
  const scope = schoolScope(db, schoolId);
  const [has] = await scope.sql<{ c: boolean; m: boolean }>(
    `select exists (select 1 from incident_categories where school_id = :school) as c,
            exists (select 1 from sanction_incident_types where school_id = :school) as m`);
  if (has.c && has.m) return;
  await db.query('select pg_advisory_xact_lock(hashtext($1))', [`incident-defaults:${schoolId}`]);
  if (!has.c) {
    for (const [i, c] of defaultCategories.entries()) {
      await scope.sql(
        `insert into incident_categories (school_id, code, label, risk_area, suspected_illegal_material, illegal, position)
         values (:school, $1, $2, $3, $4, $5, $6) on conflict (school_id, code) do nothing`,
        [c.code, c.label, c.riskArea, !!c.suspectedIllegalMaterial, !!c.illegal, i]);
    }
  }
  if (!has.m) {
    const [again] = await scope.sql('select exists (select 1 from sanction_incident_types where school_id = :school) as m');
    if (!again.m) {
      await importMatrix(db, schoolId, parseMatrixCsv(defaultLearnerMatrix));
      await importMatrix(db, schoolId, parseMatrixCsv(defaultStaffMatrix));
    }
  }
}

/** A problem with a row or column added in the browser, naming the form field. */
export class MatrixFieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/**
 * Adds a row (an incident type, kind 'row') or a column (an action, kind 'action') at the end of
 * a subject's matrix, with nothing recommended yet. One retired earlier under the same name comes
 * back instead of a second being made. Returns its id.
 */
export async function addToMatrix(db: Queryable, schoolId: string, subject: Subject, kind: 'row' | 'action', label: string): Promise<string> {
  const scope = schoolScope(db, schoolId);
  const table = kind === 'row' ? 'sanction_incident_types' : 'sanction_actions';
  const field = `${subject}_${kind}`;
  const [taken] = await scope.sql(`select 1 from ${table} where school_id = :school and subject = $1 and not retired and lower(label) = lower($2)`, [subject, label]);
  if (taken) throw new MatrixFieldError(field, `The ${subjects[subject].toLowerCase()} matrix already has ${kind === 'row' ? 'an incident type' : 'an action'} called "${label}"`);
  const position = `(select coalesce(max(position), -1) + 1 from ${table} where school_id = :school and subject = $1 and not retired)`;
  const [row] = kind === 'row'
    ? await scope.sql<{ id: string }>(
      `insert into sanction_incident_types (school_id, subject, label, continued_infringement, position) values (:school, $1, $2, $3, ${position})
       on conflict (school_id, subject, label) do update set retired = false, position = excluded.position returning id`, [subject, label, /continued|repeated/i.test(label)])
    : await scope.sql<{ id: string }>(
      `insert into sanction_actions (school_id, subject, label, kind, position) values (:school, $1, $2, $3, ${position})
       on conflict (school_id, subject, label) do update set retired = false, position = excluded.position returning id`, [subject, label, actionKind(label)]);
  return row.id;
}
