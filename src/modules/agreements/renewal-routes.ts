// Pages for keeping everyone current: the renewal settings with the reminders that failed, paper
// signatures entered by staff, and the class teacher's printable list.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../app';
import { errorMap, parseForm, requiredText } from '../../platform/http/forms';
import type { PageData } from '../../platform/http/types';
import { NotFoundError, recordId } from '../../platform/http/errors';
import { audit } from '../../platform/audit/audit';
import { audiences, signingMethods } from './audiences';
import { signaturesOf } from './copies';
import { AgreementFieldError } from './service';
import {
  chaseOne, failedChasers, londonDate, paperOptions, pupilsWithoutParentEmail, recordPaperSignature, renewalSettings, renewalsStarted,
  runDueAgreementJobs, saveRenewalSettings,
} from './renewal';

const v = 'agreements/views';
function show(reply: FastifyReply, template: string, data: PageData, status = 200) {
  return reply.page(template, { ...data, err: errorMap(data.errors) }, status);
}

const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const blankToUndefined = (x: unknown) => (typeof x === 'string' && x.trim() ? x.trim() : undefined);

const settingsSchema = z.object({
  renewal_day: z.preprocess(blankToUndefined, z.coerce.number({ message: 'Enter the day as a number from 1 to 31' }).int('Enter the day as a whole number').min(1, 'Enter a day from 1 to 31').max(31, 'Enter a day from 1 to 31').optional()),
  renewal_month: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(12, 'Choose a month').optional()),
  chase_every_days: z.preprocess(blankToUndefined, z.coerce.number({ message: 'Enter the number of days as a number, or leave it empty' }).int('Enter a whole number of days').min(1, 'Chase at most once a day: enter 1 or more').max(90, 'Chase at least every 90 days: enter 90 or fewer').optional()),
});

const paperSchema = z.object({
  version: z.string({ message: 'Choose the version printed on the paper' }).regex(/^[0-9a-f-]{36}$/, 'Choose the version printed on the paper'),
  signer: z.string({ message: 'Choose who signed' }).regex(/^[0-9a-f-]{36}$/, 'Choose who signed'),
  signed_on: z.preprocess((x) => (typeof x === 'string' ? x.trim() : ''), z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Enter the date on the paper, like 2026-09-14')
    .refine((d) => !Number.isNaN(Date.parse(`${d}T12:00:00Z`)) && new Date(`${d}T12:00:00Z`).toISOString().slice(0, 10) === d, 'Enter a real date')),
  signed_name: requiredText('the name as signed on the paper', 200),
});

export default async function renewalRoutes(app: FastifyInstance, deps: AppDeps) {
  const { db, mailer, config } = deps;

  // ---- Renewal settings, and reminders that could not be sent. --------------------------------
  const renewalPage = async (req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) => {
    const schoolId = req.ctx.school!.id;
    const settings = await renewalSettings(db, schoolId);
    return show(reply, `${v}/renewal.njk`, {
      title: 'Yearly renewal and reminders', settings, renewals: await renewalsStarted(db, schoolId), failed: await failedChasers(db, schoolId),
      monthItems: [{ value: '', text: 'Not set' }, ...months.map((m, i) => ({ value: String(i + 1), text: m }))],
      values: { renewal_day: settings.renewal_day ?? '', renewal_month: settings.renewal_month ?? '', chase_every_days: settings.chase_every_days ?? '' },
      ...extra,
    }, status);
  };
  app.get('/agreements/renewal', { config: { action: 'agreements:manage' } }, (req, reply) => renewalPage(req, reply));
  app.post('/agreements/renewal', { config: { action: 'agreements:manage' } }, async (req, reply) => {
    const form = parseForm(settingsSchema, req.body);
    if (!form.ok) return renewalPage(req, reply, { errors: form.errors, values: form.values }, 400);
    try {
      const r = await db.transaction((tx) => saveRenewalSettings(tx, req.ctx.school!.id,
        { month: form.data.renewal_month ?? null, day: form.data.renewal_day ?? null, chaseEveryDays: form.data.chase_every_days ?? null }, req.ctx.actor, req.ip));
      req.session.flash = r.nextRenewalOn ? `Saved. The next renewal starts by itself on ${r.nextRenewalOn}.` : 'Saved. The renewal starts only when you start it.';
    } catch (e) {
      if (e instanceof AgreementFieldError) return renewalPage(req, reply, { errors: [{ field: e.field, text: e.message }], values: form.data }, 400);
      throw e;
    }
    return reply.redirect('/agreements/renewal', 303);
  });
  app.post('/agreements/renewal/run', { config: { action: 'agreements:manage' } }, async (req, reply) => {
    const r = await runDueAgreementJobs(db, mailer, config.baseUrl, new Date(), { schoolId: req.ctx.school!.id });
    const sent = r.sent + r.remindersSent;
    const failed = r.failed + r.remindersFailed;
    req.session.flash = `${sent} ${sent === 1 ? 'reminder' : 'reminders'} sent${failed ? `; ${failed} could not be sent (listed below)` : ''}${r.renewalsStarted ? '; the yearly renewal has started' : ''}`
      + `${r.parentLinksSent || r.parentLinksFailed ? `; ${r.parentLinksSent} parents' ${r.parentLinksSent === 1 ? 'link' : 'links'} for a new version sent${r.parentLinksFailed ? ` (${r.parentLinksFailed} could not be sent: see Parents' agreements)` : ''}` : ''}.`;
    return reply.redirect('/agreements/renewal', 303);
  });
  app.post('/agreements/renewal/people/:personId/send', { config: { action: 'agreements:manage' } }, async (req, reply) => {
    const personId = recordId((req.params as any).personId);
    const status = await chaseOne(db, mailer, config.baseUrl, req.ctx.school!.id, personId, req.ctx.actor);
    if (!status) throw new NotFoundError();
    req.session.flash = status === 'sent' ? 'The reminder was sent.' : 'The reminder could not be sent again. Nothing signed is lost; try later.';
    return reply.redirect('/agreements/renewal', 303);
  });

  // ---- Paper signatures, entered by staff. ----------------------------------------------------
  app.get('/agreements/paper', { config: { action: 'agreements:manage' } }, async (req, reply) => {
    const q = String(((req.query ?? {}) as Record<string, unknown>).q ?? '').trim().slice(0, 100);
    const people = q ? await req.ctx.scope().sql(
      `select id, kind, given_name, family_name, preferred_name, class_name from people
        where school_id = :school and kind <> 'parent' and left_on is null
          and (lower(given_name || ' ' || family_name) like $1 or lower(coalesce(preferred_name, '') || ' ' || family_name) like $1)
        order by family_name, given_name limit 50`, [`%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`]) : [];
    return show(reply, `${v}/paper-find.njk`, { title: 'Enter a signature given on paper', q, people, searched: !!q, values: { q } });
  });

  const paperPage = async (req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) => {
    const opts = await paperOptions(db, req.ctx.school!.id, recordId((req.params as any).personId));
    if (!opts || opts.person.left_on) throw new NotFoundError();
    const name = `${opts.person.preferred_name ?? opts.person.given_name} ${opts.person.family_name}`;
    return show(reply, `${v}/paper.njk`, {
      title: `Enter a paper signature for ${name}`, name, ...opts, audiences,
      versionItems: [{ value: '', text: 'Choose the version' }, ...opts.versions.map((x) => ({ value: x.id, text: `${x.title}: version ${x.number} (published ${x.published_on})` }))],
      signerItems: [
        { value: opts.person.id, text: `${name} (for themselves)` },
        ...opts.guardians.map((g) => ({ value: g.id, text: `${g.given_name} ${g.family_name} (parent or carer, for ${name})` })),
      ],
      signatures: await signaturesOf(db, req.ctx.school!.id, opts.person.id), signingMethods,
      values: { signed_on: londonDate(new Date()) }, ...extra,
    }, status);
  };
  app.get('/agreements/paper/:personId', { config: { action: 'agreements:manage' } }, (req, reply) => paperPage(req, reply));
  app.post('/agreements/paper/:personId', { config: { action: 'agreements:manage' } }, async (req, reply) => {
    const personId = recordId((req.params as any).personId);
    const form = parseForm(paperSchema, req.body);
    if (!form.ok) return paperPage(req, reply, { errors: form.errors, values: form.values }, 400);
    let signed;
    try {
      signed = await db.transaction((tx) => recordPaperSignature(tx, req.ctx.school!.id, {
        subjectId: personId, signerId: form.data.signer, versionId: form.data.version, signedOn: form.data.signed_on, signedName: form.data.signed_name,
      }, req.ctx.actor, req.ip));
    } catch (e) {
      if (e instanceof AgreementFieldError) return paperPage(req, reply, { errors: [{ field: e.field, text: e.message }], values: form.data }, 400);
      throw e;
    }
    if (!signed) throw new NotFoundError();
    req.session.flash = signed.created ? `Recorded the paper signature of version ${signed.versionNumber}.` : `That paper signature of version ${signed.versionNumber} was already recorded: nothing more is needed.`;
    return reply.redirect(`/agreements/paper/${personId}`, 303);
  });

  // ---- The class teacher's list of pupils whose parents have no email address. -----------------
  app.get('/agreements/class/paper-list', { config: { action: 'agreements:class' } }, async (req, reply) => {
    const scope = req.ctx.scope();
    const mine = await scope.one<{ class_name: string | null }>('people', { id: req.ctx.personId });
    const asked = String(((req.query ?? {}) as Record<string, unknown>).class ?? '').trim();
    // A class teacher sees their own class (the class in their record); those who run agreements may choose any class.
    const className = req.ctx.can('agreements:manage') && asked ? asked : mine?.class_name ?? null;
    if (!className) {
      return show(reply, `${v}/class-paper-list.njk`, { title: 'Paper agreements to send home', className: null, pupils: [] });
    }
    const pupils = await pupilsWithoutParentEmail(db, scope.schoolId, className);
    await audit(db, { schoolId: scope.schoolId, actor: req.ctx.actor, action: 'agreements.paper_list_viewed', ip: req.ip, detail: { count: pupils.length } });
    return show(reply, `${v}/class-paper-list.njk`, { title: `Paper agreements to send home: ${className}`, className, pupils });
  });
}
