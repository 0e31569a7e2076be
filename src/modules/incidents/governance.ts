// The incident log's governance pages: the half-termly or termly review with its sign-off, and
// the anonymised figures for governors (in the browser as charts and tables, and as CSV).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../app';
import { audit } from '../../platform/audit/audit';
import { errorMap, optionalText, parseForm, type FieldError } from '../../platform/http/forms';
import { figuresCsv, governorFigures, suppressedText, type Figures } from './figures';
import { hiddenFromHeadteacherSince, lastReview, pastReviews, readsGovernorsNotes, signOffReview, sinceLastReview } from './reviews';
import { IncidentScope } from './visibility';
import { incidentStatuses, severities } from './vocabulary';

const v = 'incidents/views';
const isoDay = /^\d{4}-\d{2}-\d{2}$/;
const realDay = (d: unknown): d is string => typeof d === 'string' && isoDay.test(d) && !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);

const reviewSchema = z.object({
  notes: optionalText(5000, 'The notes'),
  notes_governors_only: z.preprocess((x) => (x === '' ? undefined : x), z.enum(['yes', 'no'], { message: 'Say whether the notes are for governors only' }).optional()),
  confirm: z.literal('yes', { message: 'Confirm that you have reviewed the log' }),
});

/** The figures' bars: each count as a share of the largest, for a plain HTML/CSS bar chart. */
function withBars(f: Figures) {
  return f.tables.map((t) => {
    const max = Math.max(1, ...t.cells.map((c) => c.count ?? 0));
    return { ...t, cells: t.cells.map((c) => ({ ...c, percent: c.count === null ? 0 : Math.round((c.count / max) * 100),
      trend: t.key === 'month' || c.count === null || c.previous === null ? null : c.count > c.previous ? 'up' : c.count < c.previous ? 'down' : 'same' })) };
  });
}

/** The review and figures routes, inside the incidents plugin. */
export function registerIncidentGovernance(app: FastifyInstance, deps: AppDeps) {
  const { db } = deps;

  const reviewPage = async (req: any, reply: any, extra: { errors?: FieldError[]; values?: Record<string, unknown> } = {}, status = 200) => {
    const schoolId = req.ctx.school!.id as string;
    const viewer = { kind: 'person' as const, personId: req.ctx.personId as string, roles: req.ctx.roles };
    const data = await db.transaction(async (tx) => {
      const incidents = new IncidentScope(tx, schoolId, viewer);
      const last = await lastReview(incidents);
      const since = await sinceLastReview(tx, schoolId, viewer, last ? new Date(last.period_to) : null);
      const past = await pastReviews(tx, schoolId, viewer);
      // The chair of governors chooses whether the notes are for governors only: yes by default when
      // the review covers an incident the headteacher may not see (worked out for the chair alone).
      const chair = readsGovernorsNotes(viewer.roles);
      const hidden = chair ? await hiddenFromHeadteacherSince(tx, schoolId, last ? new Date(last.period_to) : null) : 0;
      await audit(tx, { schoolId, actor: req.ctx.actor, action: 'incident_review.viewed', ip: req.ip, detail: { listed: since.incidents.length } });
      return { last, ...since, past, chair, governorsOnlyDefault: hidden > 0 ? 'yes' : 'no' };
    });
    const values = { notes_governors_only: data.governorsOnlyDefault, ...(extra.values ?? {}) };
    return reply.page(`${v}/review.njk`, { title: 'Review the incident log', ...data, statuses: incidentStatuses, severities, ...extra, values, err: errorMap(extra.errors) }, status);
  };

  app.get('/incidents/review', { config: { action: 'incidents:review' } }, async (req, reply) => {
    if (!req.ctx.personId) return reply.code(404).send();
    return reviewPage(req, reply);
  });

  app.post('/incidents/review', { config: { action: 'incidents:review' } }, async (req, reply) => {
    if (!req.ctx.personId) return reply.code(404).send();
    const form = parseForm(reviewSchema, req.body);
    if (!form.ok) return reviewPage(req, reply, { errors: form.errors, values: form.values }, 400);
    const viewer = { kind: 'person' as const, personId: req.ctx.personId, roles: req.ctx.roles };
    const governorsOnly = form.data.notes_governors_only ? form.data.notes_governors_only === 'yes' : null;
    const id = await db.transaction((tx) => signOffReview(tx, req.ctx.school!.id, viewer, form.data.notes ?? null, { actor: req.ctx.actor, ip: req.ip }, governorsOnly));
    if (!id) return reply.code(404).send();
    req.session.flash = 'The review is signed off.';
    return reply.redirect('/incidents/review', 303);
  });

  /** The period asked for, or the last twelve months. */
  const periodOf = (q: Record<string, unknown>) => {
    const to = new Date();
    const defaultTo = to.toISOString().slice(0, 10);
    const defaultFrom = new Date(Date.UTC(to.getUTCFullYear() - 1, to.getUTCMonth(), to.getUTCDate() + 1)).toISOString().slice(0, 10);
    const errors: FieldError[] = [];
    const from = q.from === undefined || q.from === '' ? defaultFrom : realDay(q.from) ? q.from : (errors.push({ field: 'from', text: 'Enter the start date like 2026-09-01' }), defaultFrom);
    const until = q.to === undefined || q.to === '' ? defaultTo : realDay(q.to) ? q.to : (errors.push({ field: 'to', text: 'Enter the end date like 2026-12-19' }), defaultTo);
    if (!errors.length && from > until) errors.push({ field: 'to', text: 'The end date must be on or after the start date' });
    if (!errors.length && (Date.parse(until) - Date.parse(from)) > 10 * 366 * 86_400_000) errors.push({ field: 'from', text: 'Choose a period of ten years or less' });
    return errors.length ? { from: defaultFrom, to: defaultTo, errors, values: q } : { from, to: until, errors, values: { from, to: until } };
  };

  app.get('/incidents/figures', { config: { action: 'incidents:figures' } }, async (req, reply) => {
    const period = periodOf((req.query ?? {}) as Record<string, unknown>);
    const figures = await governorFigures(db, req.ctx.school!.id, req.ctx.roles, period.from, period.to);
    await audit(db, { schoolId: req.ctx.school!.id, actor: req.ctx.actor, action: 'incidents.figures_viewed', ip: req.ip, detail: { from: figures.from, to: figures.to } });
    return reply.page(`${v}/figures.njk`, {
      title: 'Incident figures', figures, tables: withBars(figures), suppressedText, errors: period.errors, err: errorMap(period.errors), values: period.values,
    }, period.errors.length ? 400 : 200);
  });

  app.get('/incidents/figures.csv', { config: { action: 'incidents:figures' } }, async (req, reply) => {
    const period = periodOf((req.query ?? {}) as Record<string, unknown>);
    const figures = await governorFigures(db, req.ctx.school!.id, req.ctx.roles, period.from, period.to);
    await audit(db, { schoolId: req.ctx.school!.id, actor: req.ctx.actor, action: 'incidents.figures_exported', ip: req.ip, detail: { from: figures.from, to: figures.to } });
    return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="incident-figures-${figures.from}-to-${figures.to}.csv"`)
      .header('cache-control', 'no-store').send(figuresCsv(figures));
  });
}
