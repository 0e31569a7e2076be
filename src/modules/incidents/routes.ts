import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { z } from 'zod';
import type { AppDeps } from '../../app';
import type { Queryable } from '../../platform/db/database';
import { audit } from '../../platform/audit/audit';
import { errorMap, optionalText, parseForm, requiredText, type FieldError } from '../../platform/http/forms';
import type { PageData } from '../../platform/http/types';
import { NotFoundError, recordId } from '../../platform/http/errors';
import {
  IncidentFieldError, IncidentRefusedError, addTask, categoriesOf, closeIncident, completeTask, continuedInfringements, notifyNewReport, recordIncidentAction,
  recordReferral, reopenIncident, reportIncident, subjectOfKind, triageIncident, type Involved,
} from './service';
import { nextStep, owedReferrals } from './flowchart';
import { MatrixCsvError, MatrixFieldError, addToMatrix, ensureIncidentDefaults, exportMatrixCsv, importMatrix, loadMatrix, parseMatrixCsv, subjects, type Subject } from './matrix';
import { incidentsFor, type IncidentScope } from './visibility';
import {
  agencies, cameToLight, changesNeeded, concernAbout, incidentStatuses, informedHow, involvementRoles, items, riskAreas, severities,
} from './vocabulary';
import { registerIncidentApi } from './api';
import { listIncidents, parseLogFilter } from './log';
import { registerIncidentCategories } from './categories';
import { registerIncidentGovernance } from './governance';
import { discardDraft, draftIdOf, listDrafts, loadDraft, saveDraft } from './drafts';
import {
  acceptedEvidence, addEvidence, attachDraftEvidence, checkEvidenceFile, deleteDraftEvidence, downloadEvidence, draftEvidenceOf, evidenceOf, evidenceRefused,
  illegalEvidenceText, maxEvidenceBytes, recordEvidence, removeEvidenceFiles, writeEvidenceFile, type StoredEvidence, type UploadedFile,
} from './evidence';
import { schoolScope } from '../../platform/db/scope';

const v = 'incidents/views';
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const maxMatrixBytes = 200 * 1024;


/** Today in the school's time zone, as YYYY-MM-DD. */
export const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());

/** A wall-clock date and time in England as the instant it names. */
export function londonInstant(date: string, time: string): Date {
  const guess = new Date(`${date}T${time}:00Z`);
  const name = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', timeZoneName: 'shortOffset' }).formatToParts(guess).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-]\d+)?/.exec(name);
  const hours = m?.[1] ? Number(m[1]) : 0;
  return new Date(guess.getTime() - hours * 3_600_000);
}

const realDate = (label: string) => z.preprocess((x) => (typeof x === 'string' ? x.trim() : ''),
  z.string().regex(/^\d{4}-\d{2}-\d{2}$/, `Enter ${label} like 2026-09-14`)
    .refine((d) => !Number.isNaN(Date.parse(`${d}T12:00:00Z`)) && new Date(`${d}T12:00:00Z`).toISOString().slice(0, 10) === d, `Enter ${label} as a real date`));
const optionalDate = (label: string) => z.preprocess((x) => (typeof x === 'string' && x.trim() ? x.trim() : undefined), realDate(label).optional());
const optionalId = z.preprocess((x) => (typeof x === 'string' && uuid.test(x) ? x : undefined), z.string().optional());
const requiredId = (message: string) => z.preprocess((x) => (typeof x === 'string' ? x : ''), z.string().regex(uuid, message));
const enumOf = (vocab: Record<string, string>, message: string) => z.enum(Object.keys(vocab) as [string, ...string[]], { message });

const reportSchema = z.object({
  summary: requiredText('what happened', 10000),
  occurred_date: realDate('the date it happened').refine((d) => d <= today(), 'The date it happened must be today or in the past'),
  occurred_time: z.preprocess((x) => (typeof x === 'string' && x.trim() ? x.trim() : undefined),
    z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Enter the time like 14:30, or leave it empty').optional()),
  location: optionalText(200, 'The room or place'),
  device: optionalText(200, 'The device or computer number'),
  came_to_light: enumOf(cameToLight, 'Choose how it came to light'),
  category: requiredId('Choose the kind of incident'),
  concern_about: enumOf(concernAbout, 'Say whether this is a concern about a member of staff'),
  device_held_at: optionalText(500, 'Where the device is held'),
  website_url: optionalText(2000, 'The website address'),
  website_seen: optionalText(5000, 'What was seen on the website'),
});

const triageSchema = z.object({
  t_severity: enumOf(severities, 'Choose the severity'),
  t_status: z.enum(['reported', 'triaged', 'in_progress', 'waiting_on_agency'], { message: 'Choose the status' }),
  t_handler: requiredId('Choose who handles it'),
  t_learner_type: optionalId,
  t_staff_type: optionalId,
  t_category: optionalId,
  t_device_held_at: optionalText(500, 'Where the device is held'),
  t_reason: requiredText('the reason for these decisions', 5000),
});

const reopenSchema = z.object({
  o_reason: requiredText('why the incident is being reopened', 5000),
});

const actionSchema = z.object({
  a_action: z.preprocess((x) => (typeof x === 'string' ? x : ''), z.string().refine((x) => x === 'note' || uuid.test(x), 'Choose the action')),
  a_person: optionalId,
  a_taken: z.enum(['yes', 'no'], { message: 'Say whether the action was taken' }),
  a_on: realDate('the date').refine((d) => d <= today(), 'The date must be today or in the past'),
  a_notes: optionalText(5000, 'The notes'),
  a_reason: optionalText(5000, 'The reason'),
  a_informed_how: z.preprocess((x) => (typeof x === 'string' && x ? x : undefined), enumOf(informedHow, 'Choose how the parents or carers were told').optional()),
  a_informed_by: optionalId,
  a_access_until: optionalDate('the date access comes back'),
});

const referralSchema = z.object({
  r_decision: z.enum(['referred', 'not_referred'], { message: 'Say whether you referred it' }),
  r_agency: enumOf(agencies, 'Choose the agency'),
  r_reference: optionalText(200, "The agency's reference"),
  r_on: optionalDate('the date of the referral').refine((d) => !d || d <= today(), 'The date must be today or in the past'),
  r_by: optionalId,
  r_reason: optionalText(5000, 'The reason'),
});

const taskSchema = z.object({
  k_description: requiredText('what needs doing', 1000),
  k_owner: requiredId('Choose who will do it'),
  k_due: realDate('the due date'),
});

const closeSchema = z.object({
  c_outcome: requiredText('the outcome', 10000),
  c_feedback: requiredText('the feedback given to those involved', 10000),
  c_lessons: requiredText('what the school learned', 10000),
  c_changes: z.preprocess((x) => (x === undefined ? [] : Array.isArray(x) ? x : [x]), z.array(enumOf(changesNeeded, 'Choose what should change from the list'))),
});

/** Thrown to undo a report that was only being checked (a file chosen with it was refused). */
class CheckedOnly extends Error {}

/** The most evidence files the report form takes at once. */
const maxReportFiles = 10;

/** The files a form's file input sent (an input left empty sends one with no name and no bytes). */
function uploadedFiles(x: unknown): UploadedFile[] {
  return [x ?? []].flat().filter((f): f is UploadedFile => !!f && typeof f === 'object' && Buffer.isBuffer((f as UploadedFile).data) && !!((f as UploadedFile).filename || (f as UploadedFile).data.length));
}

/**
 * Checks the files chosen on the report form with evidence.ts's own checks and seals those that
 * pass on disk (no row yet: the caller records them in its transaction, or removes them). Every
 * file is refused for suspected illegal material. Returns what was stored and what was refused.
 */
function storeChosenFiles(dataDir: string, schoolId: string, files: UploadedFile[], illegal: boolean): { stored: StoredEvidence[]; errors: FieldError[] } {
  if (!files.length) return { stored: [], errors: [] };
  if (illegal) return { stored: [], errors: [{ field: 'evidence', text: `${files.length === 1 ? 'The file you chose was' : 'The files you chose were'} not added. ${illegalEvidenceText}` }] };
  const stored: StoredEvidence[] = [];
  const errors: FieldError[] = [];
  try {
    for (const file of files) {
      try {
        stored.push(writeEvidenceFile(dataDir, schoolId, file, checkEvidenceFile(file, 'evidence', true)));
      } catch (e) {
        if (!(e instanceof IncidentFieldError)) throw e;
        errors.push({ field: 'evidence', text: e.message });
      }
    }
  } catch (e) {
    removeEvidenceFiles(stored.map((x) => x.path));
    throw e;
  }
  return { stored, errors };
}

/** A web address as typed from an address bar: a host name with at least one dot, optionally a scheme, port and path. */
const webAddress = /^(https?:\/\/)?[a-z0-9-]+(\.[a-z0-9-]+)+(:\d{1,5})?([/?#]\S*)?$/i;

/**
 * A staff member's inappropriate website report (the policies' "inappropriate website content
 * report form") needs the address and what was on it; any address must look like one. The
 * address is kept as text and never shown as a link. (Addresses from a filter's log, raised by
 * monitoring, come in as they were logged.)
 */
function websiteReportErrors(f: { category: string; website_url?: string | null; website_seen?: string | null }, categories: { id: string; code: string }[]): FieldError[] {
  const errors: FieldError[] = [];
  const isWebsiteReport = categories.find((c) => c.id === f.category)?.code === 'inappropriate_website';
  if (f.website_url && !webAddress.test(f.website_url)) errors.push({ field: 'website_url', text: 'Enter the website address as it was in the address bar, like www.example.com/page' });
  else if (isWebsiteReport && !f.website_url) errors.push({ field: 'website_url', text: 'Enter the website address, as it was in the address bar' });
  if (isWebsiteReport && !f.website_seen) errors.push({ field: 'website_seen', text: 'Say what was on the website, without going back to look' });
  return errors;
}

/** What a form posted, without its CSRF token, to show again. */
function formValues(body: unknown): Record<string, unknown> {
  const { _csrf, ...rest } = (body ?? {}) as Record<string, unknown>;
  return rest;
}

/** The staff who can sign in (handlers, task owners, who told parents). */
async function staffWithAccounts(db: Queryable, schoolId: string) {
  return (await db.query<{ id: string; name: string }>(
    `select p.id, p.given_name || ' ' || p.family_name as name from people p join memberships m on m.person_id = p.id
      where p.school_id = $1 and p.left_on is null order by p.family_name, p.given_name`, [schoolId])).rows;
}

/** The selected people on the report form, from the "id:role" values it carries between posts. */
function selectedPeople(body: Record<string, unknown>): Involved[] {
  const raw = [body.people ?? []].flat().map(String);
  const out: Involved[] = [];
  for (const r of raw) {
    const [id, role] = r.split(':');
    if (uuid.test(id) && role in involvementRoles && !out.some((p) => p.personId === id && p.role === role)) out.push({ personId: id, role: role as Involved['role'] });
  }
  return out.slice(0, 50);
}

/** Online safety incidents: reporting, the log, responding, the sanctions matrices, chronologies. */
export default async function incidentsRoutes(app: FastifyInstance, deps: AppDeps) {
  const { db } = deps;

  // The matrix CSV upload, evidence, and the report form (which takes evidence files). The whole
  // form is read while the body is parsed, so its CSRF token is in req.body when the app's CSRF
  // check runs (as the people import does). A field sent more than once becomes a list.
  await app.register(multipart, { limits: { fileSize: maxMatrixBytes, files: 1, fields: 5, parts: 6 }, throwFileSizeLimit: false });
  app.removeContentTypeParser('multipart/form-data');
  app.addContentTypeParser('multipart/form-data', async (req: FastifyRequest) => {
    (req as any).isMultipart = () => true;
    const body: Record<string, unknown> = {};
    const path = req.url.split('?')[0];
    // Evidence uploads take a larger file than the matrix import; the report form several, beside all its fields.
    const report = path === '/incidents/new';
    // The report form reads past its limit of files (to a hard stop well beyond it) so that choosing too
    // many is a message on the form with everything typed kept, not a refused request; those past the
    // limit are read through and dropped, never held in memory.
    const limits = report ? { fileSize: maxEvidenceBytes, files: maxReportFiles * 5, fields: 300, parts: 300 + maxReportFiles * 5 }
      : /^\/incidents\/[^/]+\/evidence$/.test(path) ? { fileSize: maxEvidenceBytes, files: 1, fields: 5, parts: 6 } : undefined;
    let filesRead = 0;
    for await (const part of req.parts(limits ? { limits } : undefined)) {
      if (report && part.type === 'file' && part.filename && ++filesRead > maxReportFiles) {
        for await (const _ of part.file) { /* read through and dropped */ }
        (req as any).filesOverLimit = filesRead - maxReportFiles;
        continue;
      }
      const value = part.type === 'file' ? { filename: part.filename, data: await part.toBuffer(), truncated: part.file.truncated } : String(part.value ?? '');
      const had = body[part.fieldname];
      body[part.fieldname] = had === undefined ? value : [had, value].flat();
    }
    return body;
  });

  const who = (req: FastifyRequest) => ({ personId: req.ctx.personId, actor: req.ctx.actor, ip: req.ip });
  const show = (reply: FastifyReply, template: string, data: PageData, status = 200) => reply.page(template, { ...data, err: errorMap(data.errors) }, status);

  // ---- Reporting ----

  type ReportPageData = { values: Record<string, unknown>; people: Involved[]; errors?: FieldError[]; matches?: unknown[]; searched?: boolean; drafts?: unknown[]; fromDraft?: boolean };

  const reportPageOf = async (req: FastifyRequest, reply: FastifyReply, data: ReportPageData, status = 200) => {
    const schoolId = req.ctx.school!.id;
    const categories = await categoriesOf(db, schoolId);
    const ids = data.people.map((p) => p.personId);
    const names = ids.length ? (await req.ctx.scope().sql<{ id: string; name: string; kind: string; year_group: string | null }>(
      `select id, given_name || ' ' || family_name as name, kind, year_group from people where school_id = :school and id = any($1::uuid[])`, [ids])) : [];
    const byId = new Map(names.map((n) => [n.id, n]));
    const chosen = data.people.filter((p) => byId.has(p.personId)).map((p) => ({ ...p, ...byId.get(p.personId)!, roleText: involvementRoles[p.role] }));
    const illegalCategories = categories.filter((c) => c.suspected_illegal_material).map((c) => c.label);
    // The files already kept with this draft, listed to remove; several refused files each have their own message.
    const attached = req.ctx.user ? await draftEvidenceOf(schoolScope(db, schoolId), req.ctx.user.id, draftIdOf(data.values.draft_id)) : [];
    const evidenceErrors = (data.errors ?? []).filter((e) => e.field === 'evidence').map((e) => e.text);
    return show(reply, `${v}/new.njk`, {
      title: 'Report a concern', ...data, chosen, categories, illegalCategories, riskAreas, attached, evidenceErrors, acceptedEvidence, maxReportFiles,
      cameToLightItems: items(cameToLight, data.values.came_to_light), concernItems: items(concernAbout, data.values.concern_about ?? 'none'),
      roleItems: items(involvementRoles, data.values.find_role ?? 'affected'),
    }, status);
  };

  const reportPage = reportPageOf;

  app.get('/incidents/new', { config: { action: 'incidents:report' } }, async (req, reply) => {
    await db.transaction((tx) => ensureIncidentDefaults(tx, req.ctx.school!.id));
    const fresh = { values: { occurred_date: today(), concern_about: 'none' }, people: [] as Involved[] };
    // ?draft=<id> continues one of the user's drafts (?draft=continue, the latest); without it, a new report.
    const asked = (req.query as any)?.draft;
    if (typeof asked === 'string' && asked && req.ctx.user) {
      const draft = await loadDraft(db, req.ctx.school!.id, req.ctx.user.id, asked === 'continue' ? 'latest' : asked);
      if (!draft && asked !== 'continue') throw new NotFoundError();
      if (draft) return reportPage(req, reply, { values: { ...fresh.values, ...draft.values, draft_id: draft.id }, people: draft.people, fromDraft: true });
    }
    const drafts = req.ctx.user ? await listDrafts(db, req.ctx.school!.id, req.ctx.user.id) : [];
    return reportPage(req, reply, { ...fresh, drafts });
  });

  app.post('/incidents/new/discard', { config: { action: 'incidents:report' } }, async (req, reply) => {
    const draftId = draftIdOf((req.body as any)?.draft);
    const user = req.ctx.user;
    if (!user || !draftId) throw new NotFoundError();
    // The draft's files go with it: their rows in the same transaction, the files on disk once it commits.
    const files = await db.transaction(async (tx) => {
      const paths = await deleteDraftEvidence(schoolScope(tx, req.ctx.school!.id), deps.config.dataDir, user.id, draftId, 'all', who(req));
      if (!(await discardDraft(tx, req.ctx.school!.id, user.id, draftId))) throw new NotFoundError();
      await audit(tx, { schoolId: req.ctx.school!.id, actor: req.ctx.actor, action: 'incident.draft_discarded', recordType: 'incident_draft', recordId: draftId, ip: req.ip, detail: { files: paths.length } });
      return paths;
    });
    removeEvidenceFiles(files);
    req.session.flash = files.length ? `Your draft and its ${files.length === 1 ? 'file were' : `${files.length} files were`} deleted.` : 'Your draft was deleted.';
    return reply.redirect('/incidents/new', 303);
  });

  /** A report sent after the session timed out is kept as its author's draft, never lost: its files too. */
  const keepReportOnTimeout = async (req: FastifyRequest, ctx: FastifyRequest['ctx']) => {
    if (!ctx.user || !ctx.school || !ctx.can('incidents:report')) return;
    const user = ctx.user;
    const schoolId = ctx.school.id;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { _csrf, people: _p, add_person, remove_person, remove_evidence, intent, evidence, ...values } = body;
    const illegal = (await categoriesOf(db, schoolId)).find((c) => c.id === values.category)?.suspected_illegal_material ?? false;
    const { stored } = storeChosenFiles(deps.config.dataDir, schoolId, uploadedFiles(evidence), illegal);
    const by = { personId: ctx.personId, actor: ctx.actor, ip: req.ip };
    try {
      await db.transaction(async (tx) => {
        const draftId = await saveDraft(tx, schoolId, user.id, { values, people: selectedPeople(body) }, by, draftIdOf(body.draft_id));
        for (const s of stored) await recordEvidence(schoolScope(tx, schoolId), { draftId }, s, by);
      });
    } catch (e) {
      removeEvidenceFiles(stored.map((s) => s.path));
      throw e;
    }
    return `What you had typed in your report${stored.length ? ', and the files that could be kept,' : ''} is saved: sign in and choose "Continue your draft".`;
  };

  app.post('/incidents/new', { config: { action: 'incidents:report', keepOnTimeout: keepReportOnTimeout } }, async (req, reply) => {
    const user = req.ctx.user;
    if (!user) throw new NotFoundError();
    const schoolId = req.ctx.school!.id;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { _csrf, people: _p, add_person, remove_person, remove_evidence, intent, evidence, ...rest } = body;
    const values: Record<string, unknown> = { ...rest };
    let people = selectedPeople(body);

    // First, what this submit asks for, writing nothing: the form again (finding or adding people,
    // removing a file, a rejected form), or sending the report.
    let page: ReportPageData | null = null;
    let status = 200;
    let f: z.output<typeof reportSchema> | null = null;
    const categories = await categoriesOf(db, schoolId);
    if (typeof add_person === 'string' && uuid.test(add_person)) {
      // Finding and adding people re-renders the form with everything typed so far kept.
      const role = typeof body.find_role === 'string' && body.find_role in involvementRoles ? body.find_role : 'affected';
      const [p] = await req.ctx.scope().sql('select id from people where school_id = :school and id = $1', [add_person]);
      if (p && !people.some((x) => x.personId === add_person && x.role === role)) people.push({ personId: add_person, role: role as Involved['role'] });
      page = { values: { ...values, find_name: '' }, people };
    } else if (typeof remove_person === 'string') {
      people = people.filter((p) => `${p.personId}:${p.role}` !== remove_person);
      page = { values, people };
    } else if (typeof remove_evidence === 'string') {
      page = { values, people };
    } else if (intent === 'stay' && !(typeof body.find_name === 'string' && body.find_name.trim())) {
      page = { values, people };
    } else if (intent === 'find' || intent === 'stay') {
      const q = typeof body.find_name === 'string' ? body.find_name.trim().slice(0, 100) : '';
      if (q.length < 2) {
        page = { values, people, errors: [{ field: 'find_name', text: 'Enter at least two letters of the name' }] };
        status = 400;
      } else {
        const matches = await req.ctx.scope().sql(
          `select id, given_name || ' ' || family_name as name, kind, year_group, class_name, job_title from people
            where school_id = :school and left_on is null
              and ((given_name || ' ' || family_name) ilike $1 or (coalesce(preferred_name, given_name) || ' ' || family_name) ilike $1)
            order by family_name, given_name limit 20`, [`%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`]);
        page = { values, people, matches, searched: true };
      }
    } else {
      const form = parseForm(reportSchema, body);
      const websiteErrors = form.ok ? websiteReportErrors(form.data, categories) : [];
      if (!form.ok || websiteErrors.length) {
        page = { values, people, errors: form.ok ? websiteErrors : form.errors };
        status = 400;
      } else f = form.data;
    }

    // The files chosen: checked by evidence.ts and sealed on disk now; their rows are written in
    // the one transaction below (with the incident, or with the draft), and the files removed
    // again if it fails. Refused files (and every file for suspected illegal material) are not kept.
    const illegal = categories.find((c) => c.id === values.category)?.suspected_illegal_material ?? false;
    const chosen = storeChosenFiles(deps.config.dataDir, schoolId, uploadedFiles(evidence), illegal);
    const overLimit = Number((req as any).filesOverLimit ?? 0);
    if (overLimit && !illegal) {
      chosen.errors.push({ field: 'evidence', text: `Up to ${maxReportFiles} files can be added at a time, and ${maxReportFiles + overLimit} were chosen: the first ${maxReportFiles} are kept with your draft and the other ${overLimit} were not added. Send the report, then add them from its page.` });
    }
    const draftIn = draftIdOf(values.draft_id);
    let removed: string[] = [];
    type Created = Awaited<ReturnType<typeof reportIncident>>;
    let outcome: { sent: Created; files: number } | { draftId: string; sendError: FieldError | null };
    try {
      outcome = await db.transaction(async (tx) => {
        const scope = schoolScope(tx, schoolId);
        let sendError: FieldError | null = null;
        if (f) {
          const attached = await draftEvidenceOf(scope, user.id, draftIn);
          if (illegal && attached.length) {
            sendError = { field: 'evidence', text: `Remove the ${attached.length === 1 ? 'file' : 'files'} attached to this report before sending it. ${illegalEvidenceText}` };
          } else {
            // A command's own refusal (where the device is held, a retired category) undoes the report but keeps the draft
            // and its files. With a file refused, the report is only checked, so every problem is named at once, and undone.
            await tx.query('savepoint send_report');
            try {
              const made = await reportIncident(tx, schoolId, {
                summary: f.summary, occurredAt: londonInstant(f.occurred_date, f.occurred_time ?? '12:00'), location: f.location, device: f.device,
                cameToLight: f.came_to_light as any, categoryId: f.category, concernAbout: f.concern_about as any, deviceHeldAt: f.device_held_at,
                websiteUrl: f.website_url, websiteSeen: f.website_seen, people,
              }, { ...who(req), via: 'browser' });
              if (chosen.errors.length) throw new CheckedOnly();
              for (const s of chosen.stored) await recordEvidence(scope, { incidentId: made.id }, s, who(req));
              // Sent: the draft's files become the incident's, and the draft has done its work.
              const moved = draftIn ? await attachDraftEvidence(scope, user.id, draftIn, made.id, who(req)) : 0;
              await discardDraft(tx, schoolId, user.id, draftIn);
              return { sent: made, files: chosen.stored.length + moved };
            } catch (e) {
              if (!(e instanceof IncidentFieldError) && !(e instanceof CheckedOnly)) throw e;
              await tx.query('rollback to savepoint send_report');
              if (e instanceof IncidentFieldError) sendError = { field: e.field, text: e.message };
            }
          }
        }
        // Not sent: everything typed is kept as the draft (the form carries its own draft's id), with the files that passed.
        const draftId = await saveDraft(tx, schoolId, user.id, { values: page?.values ?? values, people: page?.people ?? people }, who(req), draftIn);
        if (typeof remove_evidence === 'string' && uuid.test(remove_evidence)) removed = await deleteDraftEvidence(scope, deps.config.dataDir, user.id, draftId, [remove_evidence], who(req));
        for (const s of chosen.stored) await recordEvidence(scope, { draftId }, s, who(req));
        return { draftId, sendError };
      });
    } catch (e) {
      removeEvidenceFiles(chosen.stored.map((s) => s.path));
      throw e;
    }
    removeEvidenceFiles(removed);

    if ('sent' in outcome) {
      const created = outcome.sent;
      // The leads hear at once; a mail failure must not lose the report, which is already saved.
      await notifyNewReport(db, deps.mailer, deps.config.baseUrl, schoolId, created.id).catch((err) =>
        req.log.error({ err: { message: err.message }, incidentId: created.id }, 'new report email failed'));
      return show(reply, `${v}/submitted.njk`, {
        title: 'Your report has been sent', reference: created.reference, id: created.id, illegal: created.suspectedIllegalMaterial,
        concernAbout: created.concernAbout, concernRaised: created.concernRaised, acceptedEvidence, files: outcome.files,
      });
    }
    const errors = [...(page?.errors ?? []), ...(outcome.sendError ? [outcome.sendError] : []), ...chosen.errors];
    const shown = page ?? { values, people };
    return reportPageOf(req, reply, { ...shown, values: { ...shown.values, draft_id: outcome.draftId }, errors, fromDraft: true }, errors.length ? 400 : status);
  });

  // ---- The log ----

  // The log's filters come by GET; a search comes by POST, so the words searched for (which may
  // name a child) never sit in a URL, the browser's history or a proxy's log.
  const logPage = async (req: FastifyRequest, reply: FastifyReply, input: unknown, searchAllowed: boolean) => {
    const { filter, errors } = parseLogFilter(input);
    if (!searchAllowed) filter.q = '';
    const incidents = incidentsFor(req.ctx, db);
    const { rows, total, pages } = await listIncidents(incidents, filter);
    const tasks = req.ctx.personId ? await incidents.sql(
      `select t.id, t.description, t.due_on, t.due_on < current_date as overdue, v.id as incident_id, v.reference
         from incident_tasks t join visible_incidents v on v.id = t.incident_id and v.access = 'full'
        where t.owner_id = $1 and t.done_at is null order by t.due_on`, [req.ctx.personId]) : [];
    const categories = await categoriesOf(db, req.ctx.school!.id);
    // Which filters were used, never the words searched for (they may name a child).
    await audit(db, { schoolId: req.ctx.school!.id, actor: req.ctx.actor, action: 'incidents.listed', ip: req.ip,
      detail: { shown: rows.length, status: filter.status || null, category: filter.category || null, from: filter.from || null, to: filter.to || null, searched: !!filter.q } });
    return show(reply, `${v}/list.njk`, {
      title: 'Incidents', incidents: rows, total, page: filter.page, pages, filter, tasks, errors,
      filtered: !!(filter.status || filter.category || filter.from || filter.to || filter.q),
      statuses: incidentStatuses, severities, statusItems: [{ value: '', text: 'Any status' }, ...items(incidentStatuses, filter.status)],
      categoryItems: [{ value: '', text: 'Any kind' }, ...categories.map((c) => ({ value: c.id, text: c.label, selected: c.id === filter.category }))],
    }, errors.length ? 400 : 200);
  };
  app.get('/incidents', { config: { action: 'incidents:list' } }, (req, reply) => logPage(req, reply, req.query, false));
  app.post('/incidents', { config: { action: 'incidents:list' } }, (req, reply) => logPage(req, reply, req.body, true));

  // ---- One incident ----

  const incidentPage = async (req: FastifyRequest, reply: FastifyReply, extra: { errors?: FieldError[]; values?: Record<string, unknown> } = {}, status = 200) => {
    const id = recordId((req.params as any).incidentId);
    const schoolId = req.ctx.school!.id;
    // The page is rendered after the transaction commits, so its audit entry is saved first.
    const page = await db.transaction(async (tx): Promise<[string, PageData]> => {
      const incidents = incidentsFor(req.ctx, tx);
      const incident = await incidents.get(id);
      if (!incident) throw new NotFoundError();
      await audit(tx, { schoolId, actor: req.ctx.actor, action: 'incident.viewed', recordType: 'incident', recordId: id, ip: req.ip, detail: { access: incident.access } });
      if (incident.access === 'receipt') {
        return [`${v}/receipt.njk`, { title: `Report ${incident.reference}`, incident, statuses: incidentStatuses, acceptedEvidence, evidenceRefused: await evidenceRefused(incidents, incident.category_id), ...extra }];
      }
      const scope = incidents.scope;
      const [category] = await scope.sql('select label, risk_area, suspected_illegal_material, illegal from incident_categories where school_id = :school and id = $1', [incident.category_id]);
      const people = await scope.sql(
        `select ip.person_id, ip.role, p.given_name || ' ' || p.family_name as name, p.kind, p.year_group
           from incident_people ip join people p on p.id = ip.person_id where ip.school_id = :school and ip.incident_id = $1 order by ip.role, p.family_name`, [id]);
      const names = new Map((await scope.sql(
        `select id, given_name || ' ' || family_name as name from people where school_id = :school and id = any($1::uuid[])`,
        [[incident.reported_by, incident.handler_id].filter(Boolean)])).map((r: any) => [r.id, r.name]));
      const history = await scope.sql(
        `select a.*, coalesce(bp.given_name || ' ' || bp.family_name, u.display_name, 'Harbour') as by_name, sa.label as action_label,
                pp.given_name || ' ' || pp.family_name as person_name, ib.given_name || ' ' || ib.family_name as informed_by_name
           from incident_actions a left join people bp on bp.id = a.by_person_id left join users u on u.id = a.by_user_id
           left join sanction_actions sa on sa.id = a.sanction_action_id left join people pp on pp.id = a.person_id left join people ib on ib.id = a.informed_by
          where a.school_id = :school and a.incident_id = $1 order by a.at, a.id`, [id]);
      const referrals = await scope.sql(
        `select r.*, p.given_name || ' ' || p.family_name as referred_by_name from incident_referrals r left join people p on p.id = r.referred_by
          where r.school_id = :school and r.incident_id = $1 order by r.recorded_at`, [id]);
      const tasks = await scope.sql(
        `select t.*, p.given_name || ' ' || p.family_name as owner_name, t.done_at is null and t.due_on < current_date as overdue
           from incident_tasks t join people p on p.id = t.owner_id where t.school_id = :school and t.incident_id = $1 order by t.done_at nulls first, t.due_on`, [id]);
      const staff = await staffWithAccounts(tx, schoolId);
      const learnerTypes = await scope.sql(`select id, label from sanction_incident_types where school_id = :school and subject = 'learner' and not retired order by position`);
      const staffTypes = await scope.sql(`select id, label from sanction_incident_types where school_id = :school and subject = 'staff' and not retired order by position`);
      // The checklist: the actions the school's matrix recommends for this incident's type(s).
      const checklist: { subject: Subject; type: string; actions: { id: string; label: string; kind: string; recorded: any[] }[] }[] = [];
      for (const [subject, typeId] of [['learner', incident.learner_incident_type_id], ['staff', incident.staff_incident_type_id]] as const) {
        if (!typeId) continue;
        const [type] = await scope.sql('select label from sanction_incident_types where school_id = :school and id = $1', [typeId]);
        const actions = await scope.sql(
          `select a.id, a.label, a.kind from sanction_recommendations r join sanction_actions a on a.id = r.action_id
            where r.school_id = :school and r.incident_type_id = $1 order by a.position`, [typeId]);
        checklist.push({ subject, type: type?.label, actions: actions.map((a: any) => ({ ...a, recorded: history.filter((h: any) => h.sanction_action_id === a.id) })) });
      }
      const allActions = await scope.sql(`select id, label, subject from sanction_actions where school_id = :school and not retired order by subject, position`);
      const continued = await continuedInfringements(incidents, id);
      // The matrix's own row for continued infringements, per subject, to point a flagged person to.
      const continuedRows = Object.fromEntries((await scope.sql<{ subject: string; label: string }>(
        `select distinct on (subject) subject, label from sanction_incident_types where school_id = :school and continued_infringement and not retired order by subject, position`)).map((r) => [r.subject, r.label]));
      const evidence = await evidenceOf(incidents, id);
      const canTriage = req.ctx.can('incidents:triage');
      // The flowchart: referral decisions still owed (closing is refused until they exist), and the next step.
      const owed = owedReferrals(incident, category, referrals);
      const actionsToDo = checklist.reduce((n, c) => n + c.actions.filter((a) => !a.recorded.length).length, 0);
      const next = nextStep(incident, category, referrals, { actionsToDo, tasksOpen: tasks.filter((t: any) => !t.done_at).length });
      // Every category by id (retired ones too), for the triage form and for changes of kind in the history.
      const allCategories = await scope.sql<{ id: string; label: string; retired_at: Date | null }>('select id, label, retired_at from incident_categories where school_id = :school order by position, label');
      const categoryLabels = Object.fromEntries(allCategories.map((c) => [c.id, c.label]));
      const categoryItems = allCategories.filter((c) => !c.retired_at || c.id === incident.category_id)
        .map((c) => ({ value: c.id, text: c.label, selected: (extra.values?.t_category ?? incident.category_id) === c.id }));
      return [`${v}/show.njk`, {
        title: `Incident ${incident.reference}`, incident, category, people: people.map((p: any) => ({ ...p, roleText: involvementRoles[p.role as keyof typeof involvementRoles], earlier: continued.get(p.person_id) ?? 0, subject: subjectOfKind(p.kind), continuedRow: continuedRows[subjectOfKind(p.kind) ?? ''] ?? null })),
        reporterName: names.get(incident.reported_by) ?? (incident.reported_via === 'api' ? 'Another system (API)' : null), handlerName: names.get(incident.handler_id) ?? null,
        owed, next, categoryItems, categoryLabels, canReopen: req.ctx.can('incidents:reopen'),
        history, referrals, tasks, evidence, acceptedEvidence, evidenceRefused: category?.suspected_illegal_material ?? false, staff, learnerTypes, staffTypes, checklist, allActions, canTriage, closed: incident.status === 'closed',
        statuses: incidentStatuses, severities, cameToLight, riskAreas, agencies, informedHow, changesNeeded, subjects,
        severityItems: items(severities, extra.values?.t_severity ?? incident.severity),
        agencyItems: items(agencies, extra.values?.r_agency), informedHowItems: [{ value: '', text: 'Not telling parents' }, ...items(informedHow, extra.values?.a_informed_how)],
        changeItems: Object.entries(changesNeeded).map(([value, text]) => ({ value, text, checked: [extra.values?.c_changes ?? []].flat().includes(value) })),
        today: today(), ...extra, values: { t_status: incident.status === 'reported' ? 'triaged' : incident.status, a_on: today(), a_taken: 'yes', r_decision: 'referred', ...(extra.values ?? {}) },
      }];
    });
    return show(reply, page[0], page[1], status);
  };

  app.get('/incidents/:incidentId', { config: { action: 'incidents:list' } }, (req, reply) => incidentPage(req, reply));

  /** Runs one of the incident page's forms: validation and the command's own checks re-render the page with the errors. */
  const incidentForm = <S extends z.ZodTypeAny>(schema: S, prefix: string, run: (incidents: IncidentScope, id: string, data: z.output<S>, req: FastifyRequest) => Promise<unknown>, flash: string) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const id = recordId((req.params as any).incidentId);
      const form = parseForm(schema, req.body);
      // A record this user cannot see in full is not found, whatever the form said.
      const visible = await incidentsFor(req.ctx, db).get(id);
      if (!visible || visible.access !== 'full') throw new NotFoundError();
      if (!form.ok) return incidentPage(req, reply, { errors: form.errors, values: form.values }, 400);
      try {
        const done = await db.transaction((tx) => run(incidentsFor(req.ctx, tx), id, form.data, req));
        if (done === null) throw new NotFoundError();
      } catch (e) {
        if (e instanceof IncidentFieldError) return incidentPage(req, reply, { errors: [{ field: `${prefix}${e.field}`, text: e.message }], values: formValues(req.body) }, 400);
        if (e instanceof IncidentRefusedError) return incidentPage(req, reply, { errors: e.errors, values: formValues(req.body) }, 400);
        throw e;
      }
      req.session.flash = flash;
      return reply.redirect(`/incidents/${id}`, 303);
    };

  app.post('/incidents/:incidentId/triage', { config: { action: 'incidents:triage' } }, incidentForm(triageSchema, 't_', (incidents, id, d, req) =>
    triageIncident(incidents, id, { severity: d.t_severity as any, status: d.t_status, handlerId: d.t_handler, learnerTypeId: d.t_learner_type ?? null, staffTypeId: d.t_staff_type ?? null, categoryId: d.t_category ?? null, deviceHeldAt: d.t_device_held_at ?? null, reason: d.t_reason }, who(req)), 'Triage saved.'));

  app.post('/incidents/:incidentId/actions', { config: { action: 'incidents:list' } }, incidentForm(actionSchema, 'a_', (incidents, id, d, req) =>
    recordIncidentAction(incidents, id, {
      sanctionActionId: d.a_action === 'note' ? null : d.a_action, personId: d.a_person ?? null, taken: d.a_taken === 'yes', on: d.a_on,
      notes: d.a_notes ?? null, reason: d.a_reason ?? null, informedHow: d.a_informed_how ?? null, informedBy: d.a_informed_by ?? null, accessUntil: d.a_access_until ?? null,
    }, who(req)), 'Action recorded.'));

  app.post('/incidents/:incidentId/referrals', { config: { action: 'incidents:triage' } }, incidentForm(referralSchema, 'r_', (incidents, id, d, req) =>
    recordReferral(incidents, id, { decision: d.r_decision, agency: d.r_agency as any, agencyReference: d.r_reference ?? null, referredOn: d.r_on ?? null, referredBy: d.r_by ?? null, reason: d.r_reason ?? null }, who(req)),
  'Referral decision recorded.'));

  app.post('/incidents/:incidentId/tasks', { config: { action: 'incidents:list' } }, incidentForm(taskSchema, 'k_', (incidents, id, d, req) =>
    addTask(incidents, id, { description: d.k_description, ownerId: d.k_owner, dueOn: d.k_due }, who(req)), 'Task added.'));

  app.post('/incidents/:incidentId/tasks/:taskId/done', { config: { action: 'incidents:list' } }, async (req, reply) => {
    const id = recordId((req.params as any).incidentId);
    const taskId = recordId((req.params as any).taskId);
    const done = await db.transaction((tx) => completeTask(incidentsFor(req.ctx, tx), id, taskId, who(req)));
    if (!done) throw new NotFoundError();
    req.session.flash = 'Task marked as done.';
    return reply.redirect(`/incidents/${id}`, 303);
  });

  app.post('/incidents/:incidentId/close', { config: { action: 'incidents:triage' } }, incidentForm(closeSchema, 'c_', (incidents, id, d, req) =>
    closeIncident(incidents, id, { outcome: d.c_outcome, feedback: d.c_feedback, lessons: d.c_lessons, changes: d.c_changes }, who(req)), 'Incident closed.'));

  app.post('/incidents/:incidentId/reopen', { config: { action: 'incidents:reopen' } }, incidentForm(reopenSchema, 'o_', (incidents, id, d, req) =>
    reopenIncident(incidents, id, { reason: d.o_reason }, who(req)), 'Incident reopened.'));

  // ---- A person's chronology ----

  // Finding a person's chronology by name: a POST, so the name never sits in a URL.
  const findPersonPage = async (req: FastifyRequest, reply: FastifyReply, name: string | null) => {
    const errors: FieldError[] = name !== null && name.length < 2 ? [{ field: 'name', text: 'Enter at least two letters of the name' }] : [];
    const matches = name && !errors.length ? await req.ctx.scope().sql(
      `select id, given_name || ' ' || family_name as name, kind, year_group, class_name, left_on from people
        where school_id = :school and kind <> 'parent'
          and ((given_name || ' ' || family_name) ilike $1 or (coalesce(preferred_name, given_name) || ' ' || family_name) ilike $1)
        order by family_name, given_name limit 30`, [`%${name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`]) : [];
    return show(reply, `${v}/find-person.njk`, { title: "Find a person's chronology", name: name ?? '', matches, searched: name !== null && !errors.length, errors }, errors.length ? 400 : 200);
  };
  app.get('/incidents/people', { config: { action: 'incidents:triage' } }, (req, reply) => findPersonPage(req, reply, null));
  app.post('/incidents/people', { config: { action: 'incidents:triage' } }, (req, reply) => {
    const name = (req.body as any)?.name;
    return findPersonPage(req, reply, typeof name === 'string' ? name.trim().slice(0, 100) : '');
  });

  app.get('/incidents/people/:personId', { config: { action: 'incidents:list' } }, async (req, reply) => {
    const personId = recordId((req.params as any).personId);
    const data = await db.transaction(async (tx) => {
      const incidents = incidentsFor(req.ctx, tx);
      const [person] = await incidents.scope.sql(`select id, given_name || ' ' || family_name as name, kind, year_group, class_name from people where school_id = :school and id = $1`, [personId]);
      if (!person) throw new NotFoundError();
      const entries = await incidents.sql(
        `select * from (
           select v.occurred_at as at, 'incident' as kind, v.id as incident_id, v.reference, c.label as what, ip.role as role, null::text as notes, null::text as reason, null::boolean as taken
             from incident_people ip join visible_incidents v on v.id = ip.incident_id and v.access = 'full' join incident_categories c on c.id = v.category_id
            where ip.person_id = $1
           union all
           select a.at, a.kind, v.id, v.reference, coalesce(sa.label, a.kind), null, a.notes, a.reason, a.taken
             from incident_actions a join visible_incidents v on v.id = a.incident_id and v.access = 'full' left join sanction_actions sa on sa.id = a.sanction_action_id
            where a.person_id = $1 or (a.kind in ('triage', 'closed', 'referral') and exists (select 1 from incident_people ip2 where ip2.incident_id = v.id and ip2.person_id = $1))
         ) e order by at, reference`, [personId]);
      await audit(tx, { schoolId: incidents.scope.schoolId, actor: req.ctx.actor, action: 'person.incident_chronology_viewed', recordType: 'person', recordId: personId, ip: req.ip, detail: { entries: entries.length } });
      return { title: `Chronology: ${person.name}`, person, entries, involvementRoles };
    });
    return show(reply, `${v}/chronology.njk`, data);
  });

  // ---- The sanctions matrices ----

  const sanctionsPage = async (req: FastifyRequest, reply: FastifyReply, extra: { errors?: FieldError[]; problems?: string[]; values?: Record<string, unknown> } = {}, status = 200) => {
    const schoolId = req.ctx.school!.id;
    await db.transaction((tx) => ensureIncidentDefaults(tx, schoolId));
    const matrices = [await loadMatrix(db, schoolId, 'learner'), await loadMatrix(db, schoolId, 'staff')];
    return show(reply, `${v}/sanctions.njk`, {
      title: 'Sanctions matrices', matrices: matrices.map((m) => ({ ...m, title: subjects[m.subject], rows: m.rows.map((r) => ({ ...r, recommended: [...r.recommended] })) })), values: {},
      subjectItems: [{ value: '', text: 'The file has a subject column' }, ...Object.entries(subjects).map(([value, text]) => ({ value, text: `${text} (the file has no subject column)` }))], ...extra,
    }, status);
  };
  app.get('/incidents/sanctions', { config: { action: 'incidents:sanctions' } }, (req, reply) => sanctionsPage(req, reply));

  app.get('/incidents/sanctions/export.csv', { config: { action: 'incidents:sanctions' } }, async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const which = q.subject === 'learner' || q.subject === 'staff' ? q.subject : 'both';
    const schoolId = req.ctx.school!.id;
    await db.transaction((tx) => ensureIncidentDefaults(tx, schoolId));
    const csv = await exportMatrixCsv(db, schoolId, which);
    await audit(db, { schoolId, actor: req.ctx.actor, action: 'sanctions.exported', ip: req.ip, detail: { subject: which } });
    return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="sanctions-${which}.csv"`).header('cache-control', 'no-store').send(csv);
  });

  app.post('/incidents/sanctions/import', { config: { action: 'incidents:sanctions' } }, async (req, reply) => {
    const file = (req.body as any)?.file as UploadedFile | undefined;
    if (!file || typeof file !== 'object' || !file.filename || !file.data?.length) return sanctionsPage(req, reply, { errors: [{ field: 'file', text: 'Choose a CSV file of the matrix' }] }, 400);
    if (file.truncated) return sanctionsPage(req, reply, { errors: [{ field: 'file', text: 'The file is larger than 200 KB: a matrix is much smaller than that' }] }, 400);
    let parsed;
    try {
      const body = req.body as Record<string, unknown>;
      parsed = parseMatrixCsv(file.data.toString('utf8'), body.subject === 'learner' || body.subject === 'staff' ? body.subject : null);
    } catch (e) {
      if (!(e instanceof MatrixCsvError)) throw e;
      return sanctionsPage(req, reply, { errors: [{ field: 'file', text: `The file could not be imported: ${e.problems.length} problem${e.problems.length > 1 ? 's' : ''} listed below` }], problems: e.problems }, 400);
    }
    const result = await db.transaction(async (tx) => {
      await ensureIncidentDefaults(tx, req.ctx.school!.id);
      const r = await importMatrix(tx, req.ctx.school!.id, parsed);
      await audit(tx, { schoolId: req.ctx.school!.id, actor: req.ctx.actor, action: 'sanctions.imported', ip: req.ip, detail: { subjects: r.map((x) => x.subject), rows: r.reduce((n, x) => n + x.rows, 0) } });
      return r;
    });
    req.session.flash = `Imported ${result.map((r) => `${r.rows} ${r.subject} incident types with ${r.actions} actions`).join(' and ')}.`;
    return reply.redirect('/incidents/sanctions', 303);
  });

  // Adding a row (an incident type) or a column (an action) to one matrix in the browser.
  const addToMatrixRoute = (kind: 'row' | 'action') => async (req: FastifyRequest, reply: FastifyReply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const subject = body.subject === 'learner' || body.subject === 'staff' ? body.subject : null;
    if (!subject) throw new NotFoundError();
    const field = `${subject}_${kind}`;
    const max = kind === 'row' ? 500 : 200;
    const form = parseForm(z.object({ [field]: requiredText(kind === 'row' ? 'the incident type' : 'the action', max) }), body);
    if (!form.ok) return sanctionsPage(req, reply, { errors: form.errors, values: formValues(body) }, 400);
    const label = String(form.data[field]);
    try {
      await db.transaction(async (tx) => {
        await ensureIncidentDefaults(tx, req.ctx.school!.id);
        const id = await addToMatrix(tx, req.ctx.school!.id, subject, kind, label);
        await audit(tx, { schoolId: req.ctx.school!.id, actor: req.ctx.actor, action: kind === 'row' ? 'sanctions.row_added' : 'sanctions.action_added', ip: req.ip, detail: { subject, id } });
      });
    } catch (e) {
      if (e instanceof MatrixFieldError) return sanctionsPage(req, reply, { errors: [{ field: e.field, text: e.message }], values: formValues(body) }, 400);
      throw e;
    }
    req.session.flash = `"${label}" is added to the ${subjects[subject].toLowerCase()} matrix${kind === 'row' ? ': tick its recommended actions and save the matrix' : ': tick the incident types it is recommended for and save the matrix'}.`;
    return reply.redirect(`/incidents/sanctions#matrix-${subject}`, 303);
  };
  app.post('/incidents/sanctions/rows', { config: { action: 'incidents:sanctions' } }, addToMatrixRoute('row'));
  app.post('/incidents/sanctions/actions', { config: { action: 'incidents:sanctions' } }, addToMatrixRoute('action'));

  app.post('/incidents/sanctions/edit', { config: { action: 'incidents:sanctions' } }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const subject = body.subject === 'learner' || body.subject === 'staff' ? body.subject : null;
    if (!subject) throw new NotFoundError();
    const cells = [body.cell ?? []].flat().map(String).filter((c) => /^[0-9a-f-]{36}:[0-9a-f-]{36}$/.test(c));
    await db.transaction(async (tx) => {
      const scope = req.ctx.scope(tx);
      await ensureIncidentDefaults(tx, scope.schoolId);
      const m = await loadMatrix(tx, scope.schoolId, subject);
      const rowIds = new Set(m.rows.map((r) => r.id));
      const actionIds = new Set(m.actions.map((a) => a.id));
      await scope.sql(`delete from sanction_recommendations r using sanction_incident_types t where r.school_id = :school and t.id = r.incident_type_id and t.subject = $1 and not t.retired`, [subject]);
      for (const c of cells) {
        const [typeId, actionId] = c.split(':');
        if (rowIds.has(typeId) && actionIds.has(actionId)) await scope.sql('insert into sanction_recommendations (school_id, incident_type_id, action_id) values (:school, $1, $2) on conflict do nothing', [typeId, actionId]);
      }
      await audit(tx, { schoolId: scope.schoolId, actor: req.ctx.actor, action: 'sanctions.edited', ip: req.ip, detail: { subject, cells: cells.length } });
    });
    req.session.flash = `The ${subject === 'learner' ? 'learners' : 'staff'} matrix is saved.`;
    return reply.redirect('/incidents/sanctions', 303);
  });

  // ---- Evidence ----

  app.post('/incidents/:incidentId/evidence', { config: { action: 'incidents:list' } }, async (req, reply) => {
    const id = recordId((req.params as any).incidentId);
    const [file] = uploadedFiles((req.body as any)?.evidence);
    // A file written for a row that is never committed is removed again.
    const written: string[] = [];
    try {
      const done = await db.transaction((tx) => addEvidence(incidentsFor(req.ctx, tx), deps.config.dataDir, id,
        file ?? { filename: '', data: Buffer.alloc(0), truncated: false }, who(req), written));
      if (!done) throw new NotFoundError();
    } catch (e) {
      removeEvidenceFiles(written);
      if (e instanceof IncidentFieldError) return incidentPage(req, reply, { errors: [{ field: e.field, text: e.message }] }, 400);
      throw e;
    }
    req.session.flash = 'Evidence file added.';
    return reply.redirect(`/incidents/${id}`, 303);
  });

  app.get('/incidents/:incidentId/evidence/:evidenceId', { config: { action: 'incidents:list' } }, async (req, reply) => {
    const id = recordId((req.params as any).incidentId);
    const evidenceId = recordId((req.params as any).evidenceId);
    const file = await db.transaction((tx) => downloadEvidence(incidentsFor(req.ctx, tx), deps.config.dataDir, id, evidenceId, { actor: req.ctx.actor, ip: req.ip }));
    if (!file) throw new NotFoundError();
    // Always a download, never shown in the browser: no inline rendering, no type sniffing.
    return reply.header('content-type', 'application/octet-stream').header('content-disposition', `attachment; filename="${file.filename.replace(/"/g, '')}"`)
      .header('x-content-type-options', 'nosniff').header('cache-control', 'no-store').header('content-security-policy', "default-src 'none'; sandbox").send(file.data);
  });

  registerIncidentGovernance(app, deps);
  registerIncidentCategories(app, deps);
  registerIncidentApi(app, deps);
}
