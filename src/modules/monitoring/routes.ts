import type { FastifyInstance, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { IngestFileError, ingestFile } from './ingest';
import { z } from 'zod';
import type { AppDeps } from '../../app';
import { errorMap, optionalText, parseForm, requiredText, type FieldError } from '../../platform/http/forms';
import { ForbiddenError, NotFoundError, recordId } from '../../platform/http/errors';
import { exportHarbourCsv, exportSensoCsv, importPhraseCsv, libraryRows } from './lexicon/csv';
import { loadLexicon, wordLists } from './lexicon/index';
import { riskAreas, severities } from './types';
import {
  AlertStateError, acknowledgeAlert, addIdentity, addSchoolPhrase, alertCounts, alertQueue, alertStatuses, dismissAlert, escalateAlert, lowAlertCount, lowAlertPatterns,
  removeIdentity, removeSchoolPhrase, viewAlert, type AlertStatus, type By,
} from './service';
import { effectiveLibraryRows, schoolPhrases } from './school-lexicon';
import { maxPushLines, pushEvents, pushSchema } from './push';
import { recordCheck, recordDecision, responsibilities, reviewItems, saveReview, setResponsibility, signOffReview, startReview, type ReviewState } from './records';
import { approveChange, changeRequests, changeStatuses, declineChange, markChangeDone, requestFilteringChange } from './change-requests';
import { expireDueChanges } from './scheduler';
import { digestRoles, digestSettings, saveDigestSettings, weekdays } from './digests';

const changeSchema = z.object({
  kind: z.enum(['unblock', 'block'], { message: 'Choose whether to unblock or block' }),
  target: requiredText('the site or category', 500),
  for_whom: requiredText('who it is for (a class, a group, a member of staff)', 500),
  reason: requiredText('why it is needed', 2000),
  ends_on: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.string({ message: 'Enter the date it ends' }).regex(/^\d{4}-\d{2}-\d{2}$/, 'Enter the end date as a date, like 2026-12-18')
      .refine((d) => !Number.isNaN(Date.parse(d)) && d >= new Date().toISOString().slice(0, 10), 'The end date must be today or later').optional()),
}).superRefine((v, ctx) => {
  // Unblocking is for a time: it must end, so the filtering goes back by itself. A block may be for good.
  if (v.kind === 'unblock' && !v.ends_on) ctx.addIssue({ code: 'custom', path: ['ends_on'], message: 'Enter the date the unblocking ends (Until): an unblock must have an end date' });
});

/** Errors keyed by field, for the templates' govuk macros. */
const withErr = <T extends { title: string; errors?: FieldError[]; values?: unknown }>(data: T) => ({ ...data, err: errorMap(data.errors) });

const by = (req: FastifyRequest): By => ({ actor: req.ctx.actor, personId: req.ctx.personId, ip: req.ip });

const dismissSchema = z.object({ reason: requiredText('why this alert is not a concern', 2000) });

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const identitySchema = z.object({
  kind: z.enum(['username', 'address'], { message: 'Choose whether it is a username or an address' }),
  value: requiredText('the username or address as the filter logs it', 200),
  person: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(uuid, 'Choose a person from the list').optional()),
  room: optionalText(100, 'The room'),
}).superRefine((v, ctx) => {
  if (!v.person && !v.room) ctx.addIssue({ code: 'custom', path: ['person'], message: 'Choose a person, or enter a room' });
  if (v.person && v.room) ctx.addIssue({ code: 'custom', path: ['room'], message: 'Choose a person or enter a room, not both' });
});

const phraseSchema = z.object({
  action: z.enum(['add', 'exclude'], { message: 'Choose whether to add or exclude the phrase' }),
  risk: z.enum(riskAreas, { message: 'Choose the risk area' }),
  phrase: requiredText('the phrase', 200),
  severity: z.enum(severities, { message: 'Choose the severity' }),
  reason: requiredText('the reason for this change', 2000),
});
const removePhraseSchema = z.object({ reason: requiredText('the reason for taking it back', 2000) });

/** Filtering and monitoring in the browser: the alert queue, identity mappings, the school's phrases. */
/** The largest log file the browser upload takes (bigger logs: `harbour monitor ingest` or the push API). */
export const maxUploadBytes = 500 * 1024 * 1024;

interface UploadedLog { filename: string; path: string; dir: string; truncated: boolean; bytes: number }

export default async function monitoringRoutes(app: FastifyInstance, deps: AppDeps) {
  const { db } = deps;

  // A log upload is streamed to a temporary file (never held in memory), and the whole form is
  // read while the body is parsed so its CSRF token is in req.body when the app's check runs.
  await app.register(multipart, { limits: { fileSize: maxUploadBytes, files: 1, fields: 5, parts: 6 }, throwFileSizeLimit: false });
  app.removeContentTypeParser('multipart/form-data');
  app.addContentTypeParser('multipart/form-data', async (req: FastifyRequest) => {
    (req as any).isMultipart = () => true;
    const body: Record<string, string | UploadedLog> = {};
    for await (const part of req.parts()) {
      if (part.type === 'file' && !part.filename) {
        // A file input with no file chosen: the browser sends an empty part with no name.
        part.file.resume();
        await new Promise((done) => part.file.on('end', done));
      } else if (part.type === 'file') {
        const dir = await mkdtemp(join(tmpdir(), 'harbour-log-'));
        const path = join(dir, 'upload.log');
        let bytes = 0;
        part.file.on('data', (c: Buffer) => (bytes += c.length));
        await pipeline(part.file, createWriteStream(path, { mode: 0o600 }));
        body[part.fieldname] = { filename: basename(part.filename || 'upload.log').slice(0, 200), path, dir, truncated: part.file.truncated, bytes };
      } else body[part.fieldname] = String(part.value ?? '');
    }
    return body;
  });

  app.get('/monitoring', { config: {} }, async (req, reply) => {
    const c = req.ctx;
    if (!['monitoring:alerts', 'monitoring:identities', 'monitoring:phrases', 'monitoring:upload', 'monitoring:digests', 'filtering:request', 'filtering:decide', 'filtering:implement', 'filtering:records'].some((a) => c.can(a as any))) throw new ForbiddenError();
    const counts = c.can('monitoring:alerts') ? await alertCounts(db, c.school!.id) : {};
    return reply.page('monitoring/views/index.njk', { title: 'Filtering and monitoring', counts });
  });

  const queuePage = async (req: FastifyRequest) => {
    const query = (req.query ?? {}) as Record<string, unknown>;
    // ?severity=low: the low alerts kept for pattern review (any status), with the patterns among them.
    const low = query.severity === 'low';
    const q = String(query.status ?? (low ? 'all' : 'new'));
    const status = (q === 'all' || q in alertStatuses ? q : 'new') as AlertStatus | 'all';
    const schoolId = req.ctx.school!.id;
    const [alerts, counts, lowCount, patterns] = await Promise.all([
      alertQueue(db, schoolId, status, 200, { low }), alertCounts(db, schoolId), lowAlertCount(db, schoolId), low ? lowAlertPatterns(db, schoolId) : [],
    ]);
    return { title: low ? 'Low alerts (pattern review)' : 'Alerts', alerts, counts, lowCount, patterns, low, status, statuses: alertStatuses };
  };

  app.get('/monitoring/alerts', { config: { action: 'monitoring:alerts' } }, async (req, reply) => reply.page('monitoring/views/alerts.njk', await queuePage(req)));

  const alertPage = async (req: FastifyRequest, alertId: string, extra: Record<string, unknown> = {}, status = 200) => {
    const alert = await db.transaction((tx) => viewAlert(tx, req.ctx.school!.id, alertId, by(req)));
    return { data: { title: 'Alert', alert, statuses: alertStatuses, ...extra }, status };
  };

  app.get('/monitoring/alerts/:alertId', { config: { action: 'monitoring:alerts' } }, async (req, reply) => {
    const { data } = await alertPage(req, recordId((req.params as any).alertId));
    return reply.page('monitoring/views/alert.njk', data);
  });

  /** The alert page again with why the alert's current status refuses what was asked (409). */
  const refused = async (req: FastifyRequest, reply: any, id: string, e: AlertStateError) => {
    const { data } = await alertPage(req, id, { errors: [{ field: 'status', text: e.message }] });
    return reply.page('monitoring/views/alert.njk', data, 409);
  };

  app.post('/monitoring/alerts/:alertId/acknowledge', { config: { action: 'monitoring:alerts' } }, async (req, reply) => {
    const id = recordId((req.params as any).alertId);
    try {
      await db.transaction((tx) => acknowledgeAlert(tx, req.ctx.school!.id, id, by(req)));
    } catch (e) {
      if (e instanceof AlertStateError) return refused(req, reply, id, e);
      throw e;
    }
    req.session.flash = 'The alert is acknowledged.';
    return reply.redirect('/monitoring/alerts', 303);
  });

  app.post('/monitoring/alerts/:alertId/dismiss', { config: { action: 'monitoring:alerts' } }, async (req, reply) => {
    const id = recordId((req.params as any).alertId);
    const form = parseForm(dismissSchema, req.body);
    if (!form.ok) {
      const { data } = await alertPage(req, id, { errors: form.errors, values: form.values });
      return reply.page('monitoring/views/alert.njk', data, 400);
    }
    try {
      await db.transaction((tx) => dismissAlert(tx, req.ctx.school!.id, id, form.data.reason, by(req)));
    } catch (e) {
      if (e instanceof AlertStateError) return refused(req, reply, id, e);
      throw e;
    }
    req.session.flash = 'The alert is dismissed, with your reason.';
    return reply.redirect('/monitoring/alerts', 303);
  });

  app.post('/monitoring/alerts/:alertId/escalate', { config: { action: 'monitoring:alerts' } }, async (req, reply) => {
    const id = recordId((req.params as any).alertId);
    const incident = await db.transaction((tx) => escalateAlert(tx, req.ctx.school!.id, id, by(req)));
    req.session.flash = incident.reference ? `Incident ${incident.reference} was recorded from the alert.` : 'The alert was already escalated.';
    return reply.redirect(`/monitoring/alerts/${id}`, 303);
  });

  const identitiesPage = async (req: FastifyRequest) => {
    const scope = req.ctx.scope();
    const identities = await scope.sql(
      `select i.id, i.kind, i.value, i.room, p.given_name, p.family_name, p.year_group, p.class_name
         from monitoring_identities i left join people p on p.id = i.person_id and p.school_id = i.school_id
        where i.school_id = :school order by i.kind, lower(i.value)`);
    const people = await scope.sql(
      `select id, given_name, family_name, kind, year_group from people where school_id = :school and left_on is null and kind in ('pupil', 'staff', 'technician')
        order by family_name, given_name limit 5000`);
    return { title: 'Usernames and addresses', identities, people };
  };

  app.get('/monitoring/identities', { config: { action: 'monitoring:identities' } }, async (req, reply) =>
    reply.page('monitoring/views/identities.njk', withErr({ ...(await identitiesPage(req)), values: { kind: 'username' } })));

  app.post('/monitoring/identities', { config: { action: 'monitoring:identities' } }, async (req, reply) => {
    const form = parseForm(identitySchema, req.body);
    const fail = async (errors: { field: string; text: string }[]) => reply.page('monitoring/views/identities.njk', withErr({ ...(await identitiesPage(req)), errors, values: (form as any).values ?? req.body }), 400);
    if (!form.ok) return fail(form.errors);
    try {
      await db.transaction((tx) => addIdentity(tx, req.ctx.school!.id, { kind: form.data.kind, value: form.data.value, personId: form.data.person ?? null, room: form.data.room ?? null }, by(req)));
    } catch (e: any) {
      if (e instanceof NotFoundError) return fail([{ field: 'person', text: 'Choose a person from the list' }]);
      if (e.code === '23505') return fail([{ field: 'value', text: 'That username or address is already mapped; remove the mapping first' }]);
      throw e;
    }
    req.session.flash = 'The mapping is saved; alerts from it now name the person or room.';
    return reply.redirect('/monitoring/identities', 303);
  });

  app.post('/monitoring/identities/:identityId/remove', { config: { action: 'monitoring:identities' } }, async (req, reply) => {
    const id = recordId((req.params as any).identityId);
    await db.transaction((tx) => removeIdentity(tx, req.ctx.school!.id, id, by(req)));
    req.session.flash = 'The mapping is removed.';
    return reply.redirect('/monitoring/identities', 303);
  });

  /** Each library with its version and size, and the versions of the word lists every library shares. */
  const libraryVersions = () => {
    const set = loadLexicon();
    return {
      libraries: set.libraries.map((l) => ({ risk: l.risk, title: l.title, version: l.version, phrases: l.phrases.length })),
      shared: [
        { title: 'Context words (lower a match)', version: set.context.version },
        { title: 'Slang', version: set.slang.version },
        { title: "Filter categories", version: set.categories.version },
        { title: 'Shared word lists', version: wordLists().version },
      ],
    };
  };
  const phrasesPage = async (req: FastifyRequest) => ({ title: 'Monitoring phrases', phrases: await schoolPhrases(db, req.ctx.school!.id), riskAreas, severities, ...libraryVersions() });

  app.get('/monitoring/phrases', { config: { action: 'monitoring:phrases' } }, async (req, reply) =>
    reply.page('monitoring/views/phrases.njk', withErr({ ...(await phrasesPage(req)), values: { action: 'add', severity: 'medium' } })));

  app.get('/monitoring/phrases/export.csv', { config: { action: 'monitoring:phrases' } }, async (req, reply) => {
    const rows = await schoolPhrases(db, req.ctx.school!.id);
    const csv = exportHarbourCsv(rows.map((r) => ({ risk: r.risk, phrase: r.phrase, severity: r.severity, match: r.match, intent: r.intent, action: r.action === 'exclude' ? 'exclude' : 'alert' })));
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="monitoring-phrases.csv"').header('cache-control', 'no-store').send(csv);
  });

  // The whole effective library (Harbour's phrases with this school's changes), in Harbour's shape or Senso's.
  const sendLibrary = (shape: 'harbour' | 'senso') => async (req: FastifyRequest, reply: any) => {
    const rows = effectiveLibraryRows(await schoolPhrases(db, req.ctx.school!.id));
    const csv = shape === 'senso' ? exportSensoCsv(rows) : exportHarbourCsv(rows);
    const name = shape === 'senso' ? 'monitoring-library-senso.csv' : 'monitoring-library.csv';
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).header('cache-control', 'no-store').send(csv);
  };
  app.get('/monitoring/phrases/library.csv', { config: { action: 'monitoring:phrases' } }, sendLibrary('harbour'));
  app.get('/monitoring/phrases/library-senso.csv', { config: { action: 'monitoring:phrases' } }, sendLibrary('senso'));

  app.post('/monitoring/phrases', { config: { action: 'monitoring:phrases' } }, async (req, reply) => {
    const form = parseForm(phraseSchema, req.body);
    if (!form.ok) return reply.page('monitoring/views/phrases.njk', withErr({ ...(await phrasesPage(req)), errors: form.errors, values: form.values }), 400);
    const words = form.data.phrase.trim().split(/\s+/).length;
    await db.transaction((tx) => addSchoolPhrase(tx, req.ctx.school!.id, { ...form.data, match: words > 1 ? 'phrase' : 'word', intent: false }, by(req)));
    req.session.flash = form.data.action === 'add' ? 'The phrase is added; logs read from now on use it.' : 'The phrase is excluded; logs read from now on leave it out.';
    return reply.redirect('/monitoring/phrases', 303);
  });

  // A list the school already has (Harbour's CSV shape or Senso's), pasted in, with one reason for all of it.
  app.post('/monitoring/phrases/import', { config: { action: 'monitoring:phrases' } }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const csv = String(body.csv ?? '');
    const reason = String(body.import_reason ?? '').trim().slice(0, 2000);
    const errors: FieldError[] = [];
    const result = csv.trim() ? importPhraseCsv(csv) : null;
    if (!result) errors.push({ field: 'csv', text: 'Paste the CSV of phrases' });
    else if (result.problems.length) errors.push({ field: 'csv', text: `Nothing was imported. ${result.problems.slice(0, 5).map((p) => `Row ${p.row}, ${p.field}: ${p.message}`).join('. ')}` });
    else if (!result.phrases.length) errors.push({ field: 'csv', text: 'The CSV has no phrases' });
    if (!reason) errors.push({ field: 'import_reason', text: 'Enter the reason for these changes' });
    if (errors.length) return reply.page('monitoring/views/phrases.njk', withErr({ ...(await phrasesPage(req)), errors, values: { action: 'add', severity: 'medium', csv, import_reason: reason } }), 400);
    const shipped = new Set(libraryRows().map((r) => `${r.risk}|${r.phrase.toLowerCase()}`));
    const wanted = result!.phrases.filter((p) => p.action === 'exclude' || !shipped.has(`${p.risk}|${p.phrase.toLowerCase()}`));
    await db.transaction(async (tx) => {
      for (const p of wanted) {
        await addSchoolPhrase(tx, req.ctx.school!.id, { action: p.action === 'exclude' ? 'exclude' : 'add', risk: p.risk, phrase: p.phrase, severity: p.severity, match: p.match, intent: p.intent, reason }, by(req));
      }
    });
    req.session.flash = `${wanted.length} phrase${wanted.length === 1 ? '' : 's'} imported (${result!.phrases.length - wanted.length} already in Harbour's libraries).`;
    return reply.redirect('/monitoring/phrases', 303);
  });

  app.post('/monitoring/phrases/:phraseId/remove', { config: { action: 'monitoring:phrases' } }, async (req, reply) => {
    const id = recordId((req.params as any).phraseId);
    const form = parseForm(removePhraseSchema, req.body);
    if (!form.ok) {
      if (!(await req.ctx.scope().one('monitoring_phrases', { id }))) throw new NotFoundError();
      return reply.page('monitoring/views/phrases.njk', withErr({ ...(await phrasesPage(req)), errors: [{ field: `remove-${id}`, text: form.errors[0].text }], values: {} }), 400);
    }
    await db.transaction((tx) => removeSchoolPhrase(tx, req.ctx.school!.id, id, form.data.reason, by(req)));
    req.session.flash = 'The change is taken back.';
    return reply.redirect('/monitoring/phrases', 303);
  });

  // ---- The DfE standards' records ----

  const dateField = (label: string) => z.string({ message: `Enter ${label}` }).regex(/^\d{4}-\d{2}-\d{2}$/, `Enter ${label} as a date, like 2026-11-23`).refine((d) => !Number.isNaN(Date.parse(d)), `Enter ${label} as a real date`);
  const responsibilitySchema = z.object({ responsibility: z.enum(Object.keys(responsibilities) as [string, ...string[]], { message: 'Choose the responsibility' }), holder: requiredText('who holds it', 200) });
  const decisionSchema = z.object({ decided_on: dateField('the date of the decision'), decision: requiredText('the decision', 2000), reason: requiredText('the reason for it', 2000) });
  const checkSchema = z.object({
    checked_on: dateField('the date of the check'), device: requiredText('the device', 200), user_group: requiredText('the user group', 200),
    tested: requiredText('what was tested', 2000), result: z.enum(['pass', 'fail'], { message: 'Choose whether the check passed' }), notes: optionalText(2000, 'Notes'),
    checked_by: requiredText('who carried out the check', 200),
  });

  const recordsPage = async (req: FastifyRequest) => {
    const scope = req.ctx.scope();
    const [held, decisions, checks, reviews] = await Promise.all([
      scope.all('filtering_responsibilities'),
      scope.all('filtering_decisions', {}, 'decided_on desc, created_at desc'),
      scope.all('filtering_checks', {}, 'checked_on desc, created_at desc'),
      scope.sql(`select r.id, r.started_on, r.signed_off_at, u.display_name as signed_off_name from filtering_reviews r left join users u on u.id = r.signed_off_by where r.school_id = :school order by r.created_at desc`),
    ]);
    return { title: 'Filtering and monitoring records', held: Object.fromEntries(held.map((h: any) => [h.responsibility, h.holder])), responsibilities, decisions, checks, reviews };
  };
  const renderRecords = async (req: FastifyRequest, reply: any, extra: { errors?: FieldError[]; values?: Record<string, unknown> } = {}, status = 200) =>
    reply.page('monitoring/views/records.njk', withErr({ ...(await recordsPage(req)), values: { result: 'pass', ...(extra.values ?? {}) }, errors: extra.errors }), status);

  app.get('/monitoring/records', { config: { action: 'filtering:records' } }, async (req, reply) => renderRecords(req, reply));

  app.post('/monitoring/records/responsibilities', { config: { action: 'filtering:records' } }, async (req, reply) => {
    const form = parseForm(responsibilitySchema, req.body);
    if (!form.ok) return renderRecords(req, reply, form, 400);
    await db.transaction((tx) => setResponsibility(tx, req.ctx.school!.id, form.data.responsibility as any, form.data.holder, by(req)));
    req.session.flash = 'Saved.';
    return reply.redirect('/monitoring/records', 303);
  });

  app.post('/monitoring/records/decisions', { config: { action: 'filtering:records' } }, async (req, reply) => {
    const form = parseForm(decisionSchema, req.body);
    if (!form.ok) return renderRecords(req, reply, form, 400);
    await db.transaction((tx) => recordDecision(tx, req.ctx.school!.id, form.data, by(req)));
    req.session.flash = 'The decision is recorded.';
    return reply.redirect('/monitoring/records', 303);
  });

  app.post('/monitoring/records/checks', { config: { action: 'filtering:records' } }, async (req, reply) => {
    const form = parseForm(checkSchema, req.body);
    if (!form.ok) return renderRecords(req, reply, form, 400);
    await db.transaction((tx) => recordCheck(tx, req.ctx.school!.id, form.data, by(req)));
    req.session.flash = 'The check is logged.';
    return reply.redirect('/monitoring/records', 303);
  });

  app.post('/monitoring/reviews', { config: { action: 'filtering:records' } }, async (req, reply) => {
    const row = await db.transaction((tx) => startReview(tx, req.ctx.school!.id, by(req)));
    return reply.redirect(`/monitoring/reviews/${row.id}`, 303);
  });

  const reviewPage = async (req: FastifyRequest, id: string) => {
    const [review] = await req.ctx.scope().sql(`select r.*, u.display_name as signed_off_name from filtering_reviews r left join users u on u.id = r.signed_off_by where r.school_id = :school and r.id = $1`, [id]);
    if (!review) throw new NotFoundError();
    return { title: 'Annual filtering and monitoring review', review, items: reviewItems, state: review.items ?? {} };
  };

  app.get('/monitoring/reviews/:reviewId', { config: { action: 'filtering:records' } }, async (req, reply) =>
    reply.page('monitoring/views/review.njk', await reviewPage(req, recordId((req.params as any).reviewId))));

  app.post('/monitoring/reviews/:reviewId', { config: { action: 'filtering:records' } }, async (req, reply) => {
    const id = recordId((req.params as any).reviewId);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const items: ReviewState = {};
    for (const k of Object.keys(reviewItems)) {
      items[k] = { done: body[`done_${k}`] === 'yes', evidence: String(body[`evidence_${k}`] ?? '').trim().slice(0, 2000) };
    }
    const saved = await db.transaction((tx) => saveReview(tx, req.ctx.school!.id, id, items, by(req)));
    req.session.flash = saved ? 'The review is saved.' : 'This review is signed off and no longer changes.';
    return reply.redirect(`/monitoring/reviews/${id}`, 303);
  });

  app.post('/monitoring/reviews/:reviewId/sign-off', { config: { action: 'filtering:signoff' } }, async (req, reply) => {
    const id = recordId((req.params as any).reviewId);
    const missing = await db.transaction((tx) => signOffReview(tx, req.ctx.school!.id, id, by(req)));
    if (missing.length) {
      const errors = missing.map((k) => ({ field: `done_${k}`, text: `Mark "${reviewItems[k]}" as considered, with its evidence` }));
      return reply.page('monitoring/views/review.njk', { ...(await reviewPage(req, id)), errors }, 400);
    }
    req.session.flash = 'The review is signed off.';
    return reply.redirect(`/monitoring/reviews/${id}`, 303);
  });

  // ---- Filtering change requests ----

  const changesPage = async (req: FastifyRequest) => {
    const c = req.ctx;
    const schoolId = c.school!.id;
    // The scheduler ends them too; doing it here as well means the list is never out of date.
    await expireDueChanges(db, deps.mailer, deps.config.baseUrl, schoolId);
    const seeAll = c.can('filtering:decide') || c.can('filtering:implement');
    return { title: 'Filtering change requests', requests: await changeRequests(db, schoolId, seeAll ? null : c.user!.id), statuses: changeStatuses };
  };

  app.get('/monitoring/change-requests', { config: { action: 'filtering:request' } }, async (req, reply) =>
    reply.page('monitoring/views/change-requests.njk', withErr({ ...(await changesPage(req)), values: { kind: 'unblock' } })));

  app.post('/monitoring/change-requests', { config: { action: 'filtering:request' } }, async (req, reply) => {
    const form = parseForm(changeSchema, req.body);
    if (!form.ok) return reply.page('monitoring/views/change-requests.njk', withErr({ ...(await changesPage(req)), errors: form.errors, values: form.values }), 400);
    await db.transaction((tx) => requestFilteringChange(tx, req.ctx.school!.id, { ...form.data, ends_on: form.data.ends_on ?? null }, by(req)));
    req.session.flash = 'Your request is sent to the safeguarding lead.';
    return reply.redirect('/monitoring/change-requests', 303);
  });

  const decide = (kind: 'approve' | 'decline') => async (req: FastifyRequest, reply: any) => {
    const id = recordId((req.params as any).changeRequestId);
    const note = String((req.body as any)?.note ?? '').trim().slice(0, 2000);
    if (kind === 'decline' && !note) {
      if (!(await req.ctx.scope().one('filtering_change_requests', { id }))) throw new NotFoundError();
      return reply.page('monitoring/views/change-requests.njk', withErr({ ...(await changesPage(req)), errors: [{ field: `note-${id}`, text: 'Enter why the request is declined' }], values: {} }), 400);
    }
    const ok = await db.transaction((tx) => (kind === 'approve' ? approveChange(tx, req.ctx.school!.id, id, note || null, by(req)) : declineChange(tx, req.ctx.school!.id, id, note, by(req))));
    req.session.flash = ok ? (kind === 'approve' ? 'Approved: the IT provider will carry it out.' : 'Declined, with your reason.') : 'That request was already decided.';
    return reply.redirect('/monitoring/change-requests', 303);
  };
  app.post('/monitoring/change-requests/:changeRequestId/approve', { config: { action: 'filtering:decide' } }, decide('approve'));
  app.post('/monitoring/change-requests/:changeRequestId/decline', { config: { action: 'filtering:decide' } }, decide('decline'));

  app.post('/monitoring/change-requests/:changeRequestId/done', { config: { action: 'filtering:implement' } }, async (req, reply) => {
    const id = recordId((req.params as any).changeRequestId);
    const ok = await db.transaction((tx) => markChangeDone(tx, req.ctx.school!.id, id, by(req)));
    req.session.flash = ok ? 'Marked done.' : 'That request is not waiting for the IT provider.';
    return reply.redirect('/monitoring/change-requests', 303);
  });

  // ---- The daily digest and the weekly summary ----

  const digestsPage = async (req: FastifyRequest, extra: { errors?: FieldError[]; values?: Record<string, unknown> } = {}) => {
    const s = await digestSettings(db, req.ctx.school!.id);
    const values = extra.values ?? { ...s };
    const hourItems = (v: unknown) => Array.from({ length: 24 }, (_, h) => ({ value: String(h), text: `${String(h).padStart(2, '0')}:00`, selected: String(v) === String(h) }));
    const roleItems = (kind: 'daily' | 'weekly', chosen: unknown) => Object.entries(digestRoles[kind]).map(([value, text]) => ({ value, text, checked: Array.isArray(chosen) && chosen.includes(value) }));
    return withErr({
      title: 'Digests', settings: s, values, errors: extra.errors,
      items: {
        dailyHour: hourItems(values.daily_hour), weeklyHour: hourItems(values.weekly_hour),
        weeklyDay: weekdays.slice(1).map((text, i) => ({ value: String(i + 1), text, selected: String(values.weekly_day) === String(i + 1) })),
        dailyRoles: roleItems('daily', values.daily_roles), weeklyRoles: roleItems('weekly', values.weekly_roles),
      },
    });
  };

  app.get('/monitoring/digests', { config: { action: 'monitoring:digests' } }, async (req, reply) => reply.page('monitoring/views/digests.njk', await digestsPage(req)));

  app.post('/monitoring/digests', { config: { action: 'monitoring:digests' } }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined || v === '' ? [] : [v]).map(String);
    const int = (v: unknown, lo: number, hi: number) => (typeof v === 'string' && /^\d{1,2}$/.test(v) && Number(v) >= lo && Number(v) <= hi ? Number(v) : null);
    const errors: FieldError[] = [];
    const daily_enabled = body.daily_enabled === 'yes';
    const weekly_enabled = body.weekly_enabled === 'yes';
    const daily_roles = list(body.daily_roles).filter((r) => r in digestRoles.daily);
    const weekly_roles = list(body.weekly_roles).filter((r) => r in digestRoles.weekly);
    const daily_hour = int(body.daily_hour, 0, 23);
    const weekly_hour = int(body.weekly_hour, 0, 23);
    const weekly_day = int(body.weekly_day, 1, 7);
    if (daily_hour === null) errors.push({ field: 'daily_hour', text: 'Choose the time the daily digest goes' });
    if (daily_enabled && !daily_roles.length) errors.push({ field: 'daily_roles', text: 'Choose who gets the daily digest, or switch it off' });
    if (weekly_day === null) errors.push({ field: 'weekly_day', text: 'Choose the day the weekly summary goes' });
    if (weekly_hour === null) errors.push({ field: 'weekly_hour', text: 'Choose the time the weekly summary goes' });
    if (weekly_enabled && !weekly_roles.length) errors.push({ field: 'weekly_roles', text: 'Choose who gets the weekly summary, or switch it off' });
    if (errors.length) {
      const values = { daily_enabled, weekly_enabled, daily_roles, weekly_roles, daily_hour: body.daily_hour, weekly_hour: body.weekly_hour, weekly_day: body.weekly_day };
      return reply.page('monitoring/views/digests.njk', await digestsPage(req, { errors, values }), 400);
    }
    await db.transaction((tx) => saveDigestSettings(tx, req.ctx.school!.id, { daily_enabled, daily_hour: daily_hour!, daily_roles, weekly_enabled, weekly_day: weekly_day!, weekly_hour: weekly_hour!, weekly_roles }, by(req)));
    req.session.flash = 'The digest settings are saved.';
    return reply.redirect('/monitoring/digests', 303);
  });

  app.get('/monitoring/upload', { config: { action: 'monitoring:upload' } }, async (_req, reply) =>
    reply.page('monitoring/views/upload.njk', { title: 'Upload a filter log', maxMb: maxUploadBytes / 1024 / 1024 }));

  app.post('/monitoring/upload', { config: { action: 'monitoring:upload' } }, async (req, reply) => {
    const file = (req.body as any)?.log as UploadedLog | undefined;
    const fail = (text: string) => reply.page('monitoring/views/upload.njk', { title: 'Upload a filter log', maxMb: maxUploadBytes / 1024 / 1024, errors: [{ field: 'log', text }] }, 400);
    if (!file || typeof file !== 'object') return fail('Choose a log file to upload');
    try {
      if (!file.bytes) return fail('The chosen file is empty');
      if (file.truncated) return fail(`The file is larger than ${maxUploadBytes / 1024 / 1024} MB; ask your IT provider to use harbour monitor ingest`);
      const r = await ingestFile(db, file.path, { schoolId: req.ctx.school!.id, sourceName: file.filename, actor: req.ctx.actor, mailer: deps.mailer, baseUrl: deps.config.baseUrl });
      return reply.page('monitoring/views/upload-done.njk', { title: 'Log read', result: r, filename: file.filename });
    } catch (e) {
      if (e instanceof IngestFileError) return fail(`The file is not a log Harbour can read (Squid, e2guardian, or a CSV export with a time and a URL column)`);
      throw e;
    } finally {
      await rm(file.dir, { recursive: true, force: true });
    }
  });

  app.api.add({
    method: 'post',
    path: '/monitoring/events',
    summary: "Push the filter's log lines (Squid or e2guardian) or JSON events for the key's school; alerts go to the safeguarding lead's queue",
    scope: 'monitoring:push',
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['source'],
            properties: {
              source: { type: 'string', description: 'A name for the sender or log (each source keeps its own position)' },
              format: { type: 'string', enum: ['squid', 'e2guardian', 'e2guardian-csv'], description: 'The format of lines (default: worked out)' },
              first_line: { type: 'integer', minimum: 1, description: "The sender's number of the first line in this batch: a re-sent batch is then never read twice" },
              lines: { type: 'array', maxItems: maxPushLines, items: { type: 'string' } },
              events: {
                type: 'array', maxItems: maxPushLines,
                items: {
                  type: 'object', required: ['time', 'url'],
                  properties: {
                    time: { description: 'ISO 8601 with a time zone, or milliseconds since the epoch' }, user: { type: ['string', 'null'] }, client: { type: ['string', 'null'] },
                    url: { type: 'string' }, blocked: { type: 'boolean' }, category: { type: ['string', 'null'] }, reason: { type: ['string', 'null'] },
                  },
                },
              },
            },
          },
        },
      },
    },
    responses: {
      '200': { description: 'Read: how many lines were accepted, skipped (already read) and rejected (rejected: the first 100 line numbers with why; rejected_count: all), how many new alerts, and a note (or null) when no URL in the batch had a query string, so no search could be read' },
      '400': { description: 'The body is not valid; the message names the field', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  });
  app.post('/api/v1/monitoring/events', { config: { api: true, scope: 'monitoring:push' } }, async (req, reply) => {
    const parsed = pushSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return reply.code(400).send({ error: 'bad_request', parameter: String(issue.path.join('.') || 'body'), message: issue.message });
    }
    const result = await pushEvents(db, req.ctx.school!.id, parsed.data, { actor: req.ctx.actor, ip: req.ip, mailer: deps.mailer, baseUrl: deps.config.baseUrl });
    return reply.header('cache-control', 'no-store').send(result);
  });
}
