import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { randomBytes } from 'node:crypto';
import type { AppDeps } from '../../app';
import { audit } from '../../platform/audit/audit';
import { errorMap, parseForm, optionalText, requiredText, type FieldError } from '../../platform/http/forms';
import type { PageData } from '../../platform/http/types';
import { NotFoundError, recordId } from '../../platform/http/errors';
import { schoolScope } from '../../platform/db/scope';
import { sha256 } from '../../platform/auth/tokens';
import { toCsv } from '../../platform/csv/write';
import { roles as roleLabels } from '../../platform/permissions/roles';
import { incidentsFor } from '../incidents/visibility';
import { accessStatuses, audienceNames, audienceOf, audiences, isAudience, reasonKinds, type Audience } from './audiences';
import {
  AgreementChangedError, AgreementFieldError, accessCounts, accessRegister, agreementById, agreementForAudience, completeParentLink, complianceAll, currentAgreements,
  ensureAgreements, explainAskedSql, ownAgreementState, findOrAddVisitor, findParentLink, liftAccessDecision, nameMatches, outstanding, parentLinkPage, percent, publishVersion, recordAccessDecision,
  recordKioskVisit, recordSignature, sendParentLink, visitsOn, shownVersion, standingCtes, startRenewal, textBlocks, type LinkProblem, type ParentChoice,
} from './service';
import { emailStaffToResign, owedParentLinks } from './renewal';
import renewalRoutes from './renewal-routes';
import { copyFacts, emailVisitorCopy, failedVisitorCopies, signedCopy, signedCopyPdf } from './copies';

const v = 'agreements/views';

/** Renders one of this module's pages, with its errors keyed by field for the govuk macros. */
function show(reply: FastifyReply, template: string, data: PageData, status = 200) {
  return reply.page(template, { ...data, err: errorMap(data.errors) }, status);
}
const kioskCookie = 'harbour_kiosk';
const audienceItems = audienceNames.map((a) => ({ value: a, text: audiences[a] }));

const publishSchema = z.object({
  title: requiredText('the title', 200),
  body: requiredText('the text of the agreement', 50000),
  change: z.enum(['meaning', 'correction'], { message: 'Choose whether this version changes the meaning or is a correction' }),
  note: optionalText(500, 'The note'),
});

const signSchema = z.object({
  read: z.literal('yes', { message: 'Confirm that you have read the whole agreement' }),
  signed_name: requiredText('your full name', 200),
});

const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());

/** The IT provider's changed_since (the API and the CSV alike): absent, an ISO 8601 date or date-time, or a message naming what is wrong. */
function changedSince(value: unknown): { since?: string } | { problem: string } {
  if (value === undefined) return {};
  if (typeof value !== 'string') return { problem: 'Give changed_since once' };
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(value) || Number.isNaN(Date.parse(value))) {
    return { problem: 'changed_since must be an ISO 8601 date or date-time, like 2026-09-01T08:00:00Z' };
  }
  return { since: value };
}

const kioskSchema = z.object({
  given_name: requiredText('your first name', 100),
  family_name: requiredText('your last name', 100),
  organisation: optionalText(200, 'Your organisation'),
  visiting: requiredText('who you are visiting', 200),
  visit_on: z.preprocess((x) => (typeof x === 'string' ? x.trim() : ''), z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Enter the date of your visit, like 2026-09-14')
    .refine((d) => !Number.isNaN(Date.parse(`${d}T12:00:00Z`)) && new Date(`${d}T12:00:00Z`).toISOString().slice(0, 10) === d, 'Enter a real date')),
  email: z.preprocess((x) => (typeof x === 'string' && x.trim() ? x.trim() : undefined), z.string().max(200).regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'Enter an email address like name@example.com, or leave it empty').optional()),
  agree: z.literal('yes', { message: 'Confirm that you have read and agree to the agreement' }),
});

const decisionSchema = z.object({
  status: z.enum(['withdrawn', 'restricted'], { message: 'Choose withdrawn or restricted' }),
  reason_kind: z.enum(Object.keys(reasonKinds) as [string, ...string[]], { message: 'Choose the kind of reason' }),
  reason_detail: optionalText(2000, 'The detail'),
  ends_on: z.preprocess((x) => (typeof x === 'string' && x.trim() ? x.trim() : undefined),
    z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Enter the end date like 2026-10-31, or leave it empty').refine((d) => d >= today(), 'The end date must be today or later').optional()),
});

/** The person the signed-in user is in this school, with what they sign. */
async function me(req: FastifyRequest) {
  const scope = req.ctx.scope();
  const person = await scope.one<{ id: string; kind: string; given_name: string; family_name: string; preferred_name: string | null; year_group: string | null }>('people', { id: req.ctx.personId });
  if (!person) throw new NotFoundError();
  return { person, audience: audienceOf(person) };
}

/** The state of one person's own agreement (see ownAgreementState in service.ts). */
const ownState = (req: FastifyRequest, personId: string, agreementId: string) => ownAgreementState(req.ctx.scope().db, req.ctx.school!.id, personId, agreementId);

/** Acceptable use agreements: signing, publishing, parents' links, compliance, kiosk, classes, and the technology access register. */
export default async function agreementsRoutes(app: FastifyInstance, deps: AppDeps) {
  const { db, mailer, config } = deps;

  // Schools created before agreements existed get their starting agreements on first visit.
  const ensured = new Set<string>();
  app.addHook('preHandler', async (req) => {
    const id = req.ctx?.school?.id;
    if (!id || ensured.has(id) || !req.ctx.user) return;
    await db.transaction((tx) => ensureAgreements(tx, id, req.ctx.actor));
    ensured.add(id);
  });

  // ---- The hub: your own agreement, and (for the leads) every agreement. --------------------
  app.get('/agreements', { config: { action: 'agreements:sign' } }, async (req, reply) => {
    const { audience } = await me(req);
    const all = await currentAgreements(db, req.ctx.school!.id);
    const mine = audience ? all.find((a) => a.audience === audience) : null;
    const state = mine ? await ownState(req, req.ctx.personId!, mine.id) : null;
    return show(reply, `${v}/index.njk`, {
      title: 'Acceptable use agreements', mine, state, audiences,
      agreements: req.ctx.can('agreements:manage') ? all : [],
    });
  });

  // ---- Staff and governors sign in Harbour. -------------------------------------------------
  const signPage = async (req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) => {
    const { person, audience } = await me(req);
    const agreement = audience ? await agreementForAudience(db, req.ctx.school!.id, audience) : null;
    if (!agreement || agreement.id !== recordId((req.params as any).agreementId) || audience !== 'staff_governors') throw new NotFoundError();
    const state = await ownState(req, person.id, agreement.id);
    return show(reply, `${v}/sign.njk`, { title: agreement.title, agreement, blocks: textBlocks(agreement.body), state, ...extra }, status);
  };
  // A stable address for "sign your agreement" (the dashboard's notice links here): the signing page of the user's own agreement.
  app.get('/agreements/sign', { config: { action: 'agreements:sign' } }, async (req, reply) => {
    const { audience } = await me(req);
    const agreement = audience === 'staff_governors' ? await agreementForAudience(db, req.ctx.school!.id, audience) : null;
    return reply.redirect(agreement ? `/agreements/sign/${agreement.id}` : '/agreements', 303);
  });
  app.get('/agreements/sign/:agreementId', { config: { action: 'agreements:sign' } }, (req, reply) => signPage(req, reply));
  app.post('/agreements/sign/:agreementId', { config: { action: 'agreements:sign' } }, async (req, reply) => {
    const { person, audience } = await me(req);
    const agreement = audience ? await agreementForAudience(db, req.ctx.school!.id, audience) : null;
    if (!agreement || agreement.id !== recordId((req.params as any).agreementId) || audience !== 'staff_governors') throw new NotFoundError();
    const body = (req.body ?? {}) as Record<string, unknown>;
    // The version read must still be the current one; otherwise the new one is shown to read, and nothing is signed.
    const read = shownVersion(body.version);
    const changed = () => signPage(req, reply, { changed: true, values: { signed_name: body.signed_name } }, 409);
    if (read !== agreement.version_id) return changed();
    const form = parseForm(signSchema, req.body);
    let errors: FieldError[] = form.ok ? [] : form.errors;
    if (form.ok && !nameMatches(form.data.signed_name, person)) errors = [{ field: 'signed_name', text: 'Enter your full name as the school holds it (first name and last name)' }];
    if (errors.length) return signPage(req, reply, { errors, values: form.ok ? form.data : form.values }, 400);
    let result;
    try {
      result = await db.transaction((tx) => recordSignature(tx, req.ctx.school!.id, {
        agreementId: agreement.id, signerId: person.id, subjectId: person.id, signedName: (form as any).data.signed_name, method: 'in_harbour',
        recordedBy: req.ctx.user!.id, userAgent: String(req.headers['user-agent'] ?? ''), ip: req.ip, readVersionId: read,
      }, req.ctx.actor));
    } catch (e) {
      if (e instanceof AgreementChangedError) return changed();
      throw e;
    }
    req.session.flash = result.created ? `Thank you: you have signed version ${result.versionNumber}.` : `You had already signed version ${result.versionNumber}: nothing more is needed.`;
    return reply.redirect('/agreements', 303);
  });

  // A signed copy, to print or save as PDF: for the signer, and for those who manage agreements.
  const loadCopy = async (req: FastifyRequest) => {
    const id = recordId((req.params as any).signatureId);
    const s = await signedCopy(db, req.ctx.school!.id, id);
    if (!s) throw new NotFoundError();
    const own = s.signer_id === req.ctx.personId || s.subject_id === req.ctx.personId;
    // Reception may print a visitor's copy (when the emailed one could not be sent).
    if (!own && !req.ctx.can('agreements:manage') && !(s.method === 'kiosk' && req.ctx.can('agreements:kiosk'))) throw new NotFoundError();
    return s;
  };
  app.get('/agreements/signatures/:signatureId', { config: { action: 'agreements:sign' } }, async (req, reply) => {
    const s = await loadCopy(req);
    await audit(db, { schoolId: req.ctx.school!.id, actor: req.ctx.actor, action: 'agreement_signature.viewed', recordType: 'agreement_signature', recordId: s.id, ip: req.ip });
    return show(reply, `${v}/signed-copy.njk`, { title: `Signed copy: ${s.title}`, s, facts: copyFacts(s), blocks: textBlocks(s.body) });
  });
  app.get('/agreements/signatures/:signatureId/pdf', { config: { action: 'agreements:sign' } }, async (req, reply) => {
    const s = await loadCopy(req);
    const pdf = await signedCopyPdf(s);
    await audit(db, { schoolId: req.ctx.school!.id, actor: req.ctx.actor, action: 'agreement_signature.downloaded', recordType: 'agreement_signature', recordId: s.id, ip: req.ip });
    // No name in the file name: it shows in download lists and file shares.
    return reply.type('application/pdf').header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="signed-agreement-${new Date(s.signed_at).toISOString().slice(0, 10)}.pdf"`).send(pdf);
  });

  // ---- Publishing versions. ----------------------------------------------------------------
  const managePage = async (req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) => {
    const agreement = await agreementById(db, req.ctx.school!.id, recordId((req.params as any).agreementId));
    if (!agreement) throw new NotFoundError();
    const versions = await req.ctx.scope().sql(
      `select v.id, v.number, v.requires_resign, v.change_note, v.published_at, u.display_name as published_by_name
         from agreement_versions v left join users u on u.id = v.published_by where v.school_id = :school and v.agreement_id = $1 order by v.number desc`, [agreement.id]);
    return show(reply, `${v}/manage.njk`, {
      title: agreement.title, agreement, versions, audienceName: audiences[agreement.audience],
      values: { title: agreement.title, body: agreement.body }, ...extra,
    }, status);
  };
  app.get('/agreements/manage/:agreementId', { config: { action: 'agreements:manage' } }, (req, reply) => managePage(req, reply));
  app.post('/agreements/manage/:agreementId/publish', { config: { action: 'agreements:manage' } }, async (req, reply) => {
    const agreementId = recordId((req.params as any).agreementId);
    if (!(await agreementById(db, req.ctx.school!.id, agreementId))) throw new NotFoundError();
    const form = parseForm(publishSchema, req.body);
    if (!form.ok) return managePage(req, reply, { errors: form.errors, values: form.values }, 400);
    try {
      const done = await db.transaction((tx) => publishVersion(tx, req.ctx.school!.id, agreementId,
        { title: form.data.title, body: form.data.body, changesMeaning: form.data.change === 'meaning', note: form.data.note ?? null }, req.ctx.actor, req.ip));
      if (!done) throw new NotFoundError();
      // After the commit: the version stands whatever becomes of the emails (a failure is recorded and shown).
      const emailed = form.data.change === 'meaning' ? await emailStaffToResign(db, mailer, config.baseUrl, req.ctx.school!.id, agreementId) : null;
      // Each audience is asked its own way: staff and governors by email now; the others' next step is named.
      const audience = (await agreementById(db, req.ctx.school!.id, agreementId))!.audience;
      // Parents' links are owed from the publishing transaction and the agreements jobs send them within minutes.
      const nextStep = audience === 'parents' ? " Parents and carers who still have a child to sign for will be emailed their personal links shortly: the Parents' links page shows how many are still to send. Pupils whose parents have no email address are on their class teacher's list for a paper copy."
        : audience === 'visitors' ? ' Visitors sign it at the reception kiosk on their next visit.'
          : audience === 'staff_governors' ? '' : ' Go through it with each class in a class session.';
      req.session.flash = form.data.change === 'meaning'
        ? `Version ${done.number} is published. Everyone in this audience is now due to sign it.${emailed && (emailed.sent || emailed.failed) ? ` ${emailed.sent} asked by email to sign it${emailed.failed ? `; ${emailed.failed} could not be emailed (see Yearly renewal and reminders)` : ''}.` : ''}${nextStep}`
        : `Version ${done.number} is published as a correction: signatures of earlier versions stay current.`;
    } catch (e) {
      if (e instanceof AgreementFieldError) return managePage(req, reply, { errors: [{ field: e.field, text: e.message }], values: form.data }, 400);
      throw e;
    }
    return reply.redirect(`/agreements/manage/${agreementId}`, 303);
  });
  app.post('/agreements/manage/:agreementId/renewal', { config: { action: 'agreements:manage' } }, async (req, reply) => {
    const agreementId = recordId((req.params as any).agreementId);
    const ok = await db.transaction((tx) => startRenewal(tx, req.ctx.school!.id, agreementId, req.ctx.actor, req.ip));
    if (!ok) throw new NotFoundError();
    const audience = (await agreementById(db, req.ctx.school!.id, agreementId))!.audience;
    req.session.flash = 'The yearly renewal has started: everyone in this audience is due to sign again.' + (
      audience === 'parents' ? " Each parent or carer with an email address still to sign will be sent one reminder with their personal link within a few minutes; pupils whose parents have no address are on their class teacher's list for a paper copy."
        : audience === 'staff_governors' ? ' Each of them with an email address will be sent one reminder within a few minutes.' : '');
    return reply.redirect(`/agreements/manage/${agreementId}`, 303);
  });

  // ---- Parents' links. --------------------------------------------------------------------
  const parentsPage = async (req: FastifyRequest) => {
    const rows = await req.ctx.scope().sql(
      `with ${standingCtes()},
       kids as (select g.parent_id, count(*)::int as children, count(*) filter (where st.parent_state = 'current')::int as signed
                  from guardianships g join standing st on st.id = g.child_id where g.school_id = :school group by g.parent_id),
       last_link as (select distinct on (parent_id) parent_id, email_status, expires_at, used_at, replaced_at, created_at
                       from agreement_links where school_id = :school order by parent_id, created_at desc)
       select p.id, p.given_name, p.family_name, p.email is not null as has_email, k.children, k.signed,
              l.email_status, l.expires_at, l.used_at, l.created_at as link_created_at,
              (l.expires_at is not null and l.used_at is null and l.replaced_at is null and l.expires_at > now()) as link_live
         from people p join kids k on k.parent_id = p.id left join last_link l on l.parent_id = p.id
        where p.school_id = :school and p.kind = 'parent' and p.left_on is null
        order by (k.signed < k.children) desc, l.email_status = 'failed' desc, p.family_name, p.given_name limit 500`);
    const failed = rows.filter((r: any) => r.email_status === 'failed').length;
    return { parents: rows, failed, owed: await owedParentLinks(db, req.ctx.school!.id) };
  };
  app.get('/agreements/parents', { config: { action: 'agreements:manage' } }, async (req, reply) =>
    show(reply, `${v}/parents.njk`, { title: "Parents' agreements", ...(await parentsPage(req)) }));

  app.post('/agreements/parents/send', { config: { action: 'agreements:manage' } }, async (req, reply) => {
    const due = await req.ctx.scope().sql<{ id: string }>(
      `with ${standingCtes()}
       select distinct g.parent_id as id from guardianships g join standing st on st.id = g.child_id join people p on p.id = g.parent_id
        where g.school_id = :school and st.parent_state <> 'current' and p.left_on is null and p.email is not null
          and not ${explainAskedSql('g.parent_id', 'g.child_id')}
          and not exists (select 1 from agreement_links l where l.parent_id = g.parent_id and l.used_at is null and l.replaced_at is null and l.expires_at > now() and l.email_status = 'sent')`);
    let sent = 0;
    let failed = 0;
    for (const p of due) {
      const r = await sendParentLink(db, mailer, config.baseUrl, req.ctx.school!.id, p.id, req.ctx.actor, req.ip);
      if (r?.status === 'sent') sent++;
      else if (r?.status === 'failed') failed++;
    }
    req.session.flash = `${sent} ${sent === 1 ? 'link' : 'links'} sent${failed ? `; ${failed} could not be sent: they are marked below and can be sent again` : ''}.`;
    return reply.redirect('/agreements/parents', 303);
  });

  app.post('/agreements/parents/:parentId/send', { config: { action: 'agreements:manage' } }, async (req, reply) => {
    const parentId = recordId((req.params as any).parentId);
    const r = await sendParentLink(db, mailer, config.baseUrl, req.ctx.school!.id, parentId, req.ctx.actor, req.ip);
    if (!r) throw new NotFoundError();
    req.session.flash = r.status === 'sent' ? 'A new link was sent. Any earlier link no longer works.'
      : r.status === 'no_address' ? 'There is no email address for this parent or carer: add one, or record a paper signature.'
        : 'The email could not be sent. Try again later: the link is kept, and nothing signed is lost.';
    return reply.redirect('/agreements/parents', 303);
  });

  // ---- Parents' requests that the school explain the agreement to their child. ----------------
  app.get('/agreements/explain-requests', { config: { action: 'agreements:manage' } }, async (req, reply) => {
    const requests = await req.ctx.scope().sql(
      `select r.id, r.requested_at, r.explained_at, c.given_name as child_given, c.family_name as child_family, c.class_name,
              p.given_name as parent_given, p.family_name as parent_family, u.display_name as explained_by_name
         from agreement_explain_requests r join people c on c.id = r.child_id join people p on p.id = r.parent_id left join users u on u.id = r.explained_by
        where r.school_id = :school order by r.explained_at is not null, c.class_name nulls last, c.family_name limit 500`);
    return show(reply, `${v}/explain-requests.njk`, { title: 'Children to have the agreement explained', requests });
  });
  app.post('/agreements/explain-requests/:requestId/explained', { config: { action: 'agreements:manage' } }, async (req, reply) => {
    const id = recordId((req.params as any).requestId);
    const done = await db.transaction(async (tx) => {
      const scope = req.ctx.scope(tx);
      const [r] = await scope.sql<{ child_id: string; year_group: string | null }>(
        `update agreement_explain_requests r set explained_at = now(), explained_by = $2 from people c
          where r.school_id = :school and r.id = $1 and r.explained_at is null and c.id = r.child_id returning r.child_id, c.year_group`, [id, req.ctx.user!.id]);
      if (!r) return false;
      // Explaining the rules to the child in school is the child's own agreement, recorded by the member of staff.
      const own = await agreementForAudience(tx, scope.schoolId, audienceOf({ kind: 'pupil', year_group: r.year_group })!);
      if (own) {
        await recordSignature(tx, scope.schoolId, { agreementId: own.id, signerId: req.ctx.personId!, subjectId: r.child_id, signedName: req.ctx.actor.label, method: 'class', recordedBy: req.ctx.user!.id, userAgent: String(req.headers['user-agent'] ?? ''), ip: req.ip }, req.ctx.actor);
      }
      await audit(tx, { schoolId: scope.schoolId, actor: req.ctx.actor, action: 'agreement_explain_request.explained', recordType: 'agreement_explain_request', recordId: id, ip: req.ip });
      return true;
    });
    if (!done) throw new NotFoundError();
    req.session.flash = "Recorded: the agreement was explained, and the child's own agreement is signed.";
    return reply.redirect('/agreements/explain-requests', 303);
  });

  // ---- Parents sign by their personal link (no account: the token is the authority). ---------
  const linkProblemPage = (reply: FastifyReply, problem: LinkProblem) => {
    const text: Record<LinkProblem, [string, string]> = {
      invalid: ['This link does not work', 'The link may have been copied incompletely or changed. Open it again from the email, or ask the school office for a new link.'],
      expired: ['This link has expired', 'Links work for a limited time. Ask the school office to send you a new one.'],
      used: ['This link has already been used', 'Each link can be used once, and this one has been. If you need to change anything, contact the school office.'],
      replaced: ['This link has been replaced', 'The school has sent you a newer link. Use the link in the most recent email.'],
    };
    return show(reply, `${v}/link-problem.njk`, { title: text[problem][0], paragraph: text[problem][1] }, problem === 'invalid' ? 404 : 410);
  };
  const linkPage = async (reply: FastifyReply, link: { school_id: string; parent_id: string }, extra: Record<string, unknown> = {}, status = 200) => {
    const page = await parentLinkPage(db, link);
    if (!page.agreement) throw new NotFoundError();
    return show(reply, `${v}/parent-sign.njk`, {
      title: page.agreement.title, ...page, blocks: textBlocks(page.agreement.body),
      childRules: page.childRules.map((a) => ({ title: a.title, blocks: textBlocks(a.body) })), ...extra,
    }, status);
  };
  app.get('/parents/sign/:token', { config: { public: true, rateLimit: { max: 30, timeWindow: '1 minute' } } as any }, async (req, reply) => {
    reply.header('referrer-policy', 'no-referrer');
    const found = await findParentLink(db, String((req.params as any).token));
    if (!found.link) return linkProblemPage(reply, found.problem);
    return linkPage(reply, found.link, { token: (req.params as any).token });
  });
  app.post('/parents/sign/:token', { config: { public: true, rateLimit: { max: 30, timeWindow: '1 minute' } } as any }, async (req, reply) => {
    const token = String((req.params as any).token);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const choices: Record<string, ParentChoice> = {};
    for (const [k, val] of Object.entries(body)) if (k.startsWith('child-') && (val === 'sign' || val === 'explain')) choices[k.slice(6)] = val;
    const result = await completeParentLink(db, token, { signedName: String(body.signed_name ?? ''), choices, versionId: shownVersion(body.version) }, { userAgent: String(req.headers['user-agent'] ?? ''), ip: req.ip });
    if ('problem' in result && result.problem) return linkProblemPage(reply, result.problem);
    const changed = 'changed' in result && result.changed;
    if (changed || ('errors' in result && result.errors)) {
      const found = await findParentLink(db, token);
      if (!found.link) return linkProblemPage(reply, found.problem);
      const values: Record<string, unknown> = { signed_name: body.signed_name };
      for (const [k, c] of Object.entries(choices)) values[`child-${k}`] = c;
      // A newer version was published while the parent read the page: nothing is signed, the link still works, and the new text is shown.
      if (changed) return linkPage(reply, found.link, { token, changed: true, values }, 409);
      return linkPage(reply, found.link, { token, errors: (result as any).errors, values }, 400);
    }
    const done = (result as any).done as { signed: number; explain: number; copy: { title: string; number: number; sha256: string; body: string; signedName: string; children: string[]; signedAt: Date } | null };
    // What was signed, on the page, so the parent can print it or save it as PDF (the link is now used up).
    return show(reply, `${v}/parent-done.njk`, { title: 'Thank you', ...done, blocks: done.copy ? textBlocks(done.copy.body) : [] });
  });

  // ---- Compliance. --------------------------------------------------------------------------
  app.get('/agreements/compliance', { config: { action: 'agreements:compliance' } }, async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const schoolId = req.ctx.school!.id;
    const all = await complianceAll(db, schoolId);
    const summary = [];
    for (const a of audienceNames) {
      const c = all.get(a)!;
      summary.push({ audience: a, name: audiences[a], ...c.total, pCurrent: percent(c.total.current, c.total.total), pDue: percent(c.total.due, c.total.total), pNever: percent(c.total.never, c.total.total) });
    }
    const audience: Audience = isAudience(q.audience) ? q.audience : 'staff_governors';
    const detail = all.get(audience)!;
    const groups = detail.byGroup.map((g) => ({ ...g, pCurrent: percent(g.current, g.total), pDue: percent(g.due, g.total), pNever: percent(g.never, g.total) }));
    const people = await outstanding(db, schoolId, audience);
    return show(reply, `${v}/compliance.njk`, {
      title: 'Agreement compliance', summary, audience, audienceName: audiences[audience], groups, people, audienceItems,
      groupedBy: audience === 'staff_governors' ? 'Role' : audience === 'visitors' ? 'Organisation' : 'Class',
      roleLabels,
    });
  });

  // ---- Reception kiosk for visitors. ---------------------------------------------------------
  app.get('/agreements/kiosks', { config: { action: 'agreements:kiosk' } }, async (req, reply) => {
    const kiosks = await req.ctx.scope().sql(
      `select k.id, k.name, k.started_at, u.display_name as started_by_name from agreement_kiosks k left join users u on u.id = k.started_by
        where k.school_id = :school and k.ended_at is null order by k.started_at desc`);
    return show(reply, `${v}/kiosks.njk`, { title: 'Visitors kiosk', kiosks, failedCopies: await failedVisitorCopies(db, req.ctx.school!.id) });
  });
  // The visitors' log: every visit at the kiosks, today's unless another day is asked for.
  // Office staff run the kiosk (agreements:kiosk), and every role that manages agreements may too.
  app.get('/agreements/visits', { config: { action: 'agreements:kiosk' } }, async (req, reply) => {
    const asked = ((req.query ?? {}) as Record<string, unknown>).date;
    const typed = typeof asked === 'string' ? asked.trim().slice(0, 20) : '';
    const now = today();
    const valid = /^\d{4}-\d{2}-\d{2}$/.test(typed) && !Number.isNaN(Date.parse(`${typed}T12:00:00Z`)) && new Date(`${typed}T12:00:00Z`).toISOString().slice(0, 10) === typed;
    if (asked !== undefined && typed && !valid) {
      return show(reply, `${v}/visits.njk`, {
        title: "Visitors' log", day: null, visits: [], values: { date: typed },
        errors: [{ field: 'date', text: 'Enter a real date, like 2026-09-14' }],
      }, 400);
    }
    const day = valid ? typed : now;
    const visits = await visitsOn(db, req.ctx.school!.id, day);
    await audit(db, { schoolId: req.ctx.school!.id, actor: req.ctx.actor, action: 'agreement_visits.viewed', ip: req.ip, detail: { day, count: visits.length } });
    const shift = (d: string, n: number) => new Date(Date.parse(`${d}T12:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
    return show(reply, `${v}/visits.njk`, {
      title: "Visitors' log", day, isToday: day === now, visits, values: { date: day },
      previousDay: shift(day, -1), nextDay: day < now ? shift(day, 1) : null,
    });
  });
  // Send again a visitor's copy that could not be sent.
  app.post('/agreements/kiosks/copies/:signatureId/send', { config: { action: 'agreements:kiosk' } }, async (req, reply) => {
    const id = recordId((req.params as any).signatureId);
    const status = await emailVisitorCopy(db, mailer, req.ctx.school!.id, id, req.ctx.actor, req.ip);
    if (!status) throw new NotFoundError();
    req.session.flash = status === 'sent' ? 'The copy was sent.' : 'The copy could not be sent again. The signature is saved; try later, or print the copy for the visitor.';
    return reply.redirect('/agreements/kiosks', 303);
  });
  app.post('/agreements/kiosks', { config: { action: 'agreements:kiosk' } }, async (req, reply) => {
    const form = parseForm(z.object({ name: requiredText('a name for this tablet', 100) }), req.body);
    if (!form.ok) {
      const kiosks = await req.ctx.scope().sql(`select k.id, k.name, k.started_at from agreement_kiosks k where k.school_id = :school and k.ended_at is null order by k.started_at desc`);
      return show(reply, `${v}/kiosks.njk`, { title: 'Visitors kiosk', kiosks, failedCopies: await failedVisitorCopies(db, req.ctx.school!.id), errors: form.errors, values: form.values }, 400);
    }
    const token = randomBytes(32).toString('base64url');
    await db.transaction(async (tx) => {
      const k = await req.ctx.scope(tx).insert<{ id: string }>('agreement_kiosks', { name: form.data.name, token_hash: sha256(token), started_by: req.ctx.user!.id });
      await audit(tx, { schoolId: req.ctx.school!.id, actor: req.ctx.actor, action: 'agreement_kiosk.started', recordType: 'agreement_kiosk', recordId: k.id, ip: req.ip });
    });
    // The tablet becomes a kiosk: the member of staff is signed out of it, so nothing else of the school can be reached from it.
    await req.session.regenerate();
    reply.setCookie(kioskCookie, token, { path: '/kiosk', httpOnly: true, sameSite: 'strict', secure: config.baseUrl.startsWith('https:'), maxAge: 365 * 86400 });
    return reply.redirect('/kiosk', 303);
  });
  app.post('/agreements/kiosks/:kioskId/end', { config: { action: 'agreements:kiosk' } }, async (req, reply) => {
    const id = recordId((req.params as any).kioskId);
    const ended = await db.transaction(async (tx) => {
      const rows = await req.ctx.scope(tx).sql('update agreement_kiosks set ended_at = now(), ended_by = $2 where school_id = :school and id = $1 and ended_at is null returning id', [id, req.ctx.user!.id]);
      if (rows.length) await audit(tx, { schoolId: req.ctx.school!.id, actor: req.ctx.actor, action: 'agreement_kiosk.ended', recordType: 'agreement_kiosk', recordId: id, ip: req.ip });
      return rows.length;
    });
    if (!ended) throw new NotFoundError();
    req.session.flash = 'The kiosk is closed: that tablet can no longer take signatures.';
    return reply.redirect('/agreements/kiosks', 303);
  });

  const kioskOf = async (req: FastifyRequest) => {
    const token = req.cookies?.[kioskCookie];
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const row = (await db.query<{ id: string; school_id: string }>('select id, school_id from agreement_kiosks where token_hash = $1 and ended_at is null', [sha256(token)])).rows[0];
    return row ?? null;
  };
  const kioskPage = async (reply: FastifyReply, kiosk: { school_id: string }, extra: Record<string, unknown> = {}, status = 200) => {
    const agreement = await agreementForAudience(db, kiosk.school_id, 'visitors');
    if (!agreement) throw new NotFoundError();
    return show(reply, `${v}/kiosk.njk`, { title: agreement.title, agreement, blocks: textBlocks(agreement.body), kioskMode: true, values: { visit_on: today() }, ...extra }, status);
  };
  const noKiosk = (reply: FastifyReply) => show(reply, `${v}/link-problem.njk`, { title: 'This device is not a visitors kiosk', paragraph: 'A member of staff can start the visitors kiosk on this device from Harbour.', kioskMode: true }, 403);

  app.get('/kiosk', { config: { public: true } }, async (req, reply) => {
    const kiosk = await kioskOf(req);
    if (!kiosk) return noKiosk(reply);
    return kioskPage(reply, kiosk);
  });
  app.post('/kiosk', { config: { public: true, rateLimit: { max: 60, timeWindow: '1 minute' } } as any }, async (req, reply) => {
    const kiosk = await kioskOf(req);
    if (!kiosk) return noKiosk(reply);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const read = shownVersion(body.version);
    // A newer version was published while the visitor read it: the new text is shown, what they typed is kept, nothing is signed.
    const changed = () => kioskPage(reply, kiosk, { changed: true, values: { ...body, agree: undefined, _csrf: undefined } }, 409);
    if (read !== (await agreementForAudience(db, kiosk.school_id, 'visitors'))?.version_id) return changed();
    const form = parseForm(kioskSchema, req.body);
    if (!form.ok) return kioskPage(reply, kiosk, { errors: form.errors, values: form.values }, 400);
    const d = form.data;
    const actor = { userId: null, label: 'visitor at the reception kiosk' };
    const signed = await db.transaction(async (tx) => {
      const scope = schoolScope(tx, kiosk.school_id);
      const agreement = (await agreementForAudience(tx, kiosk.school_id, 'visitors'))!;
      // A returning visitor (or a second tap of Sign) is the same person, so signing the same version again makes no second signature.
      const visitor = await findOrAddVisitor(tx, kiosk.school_id, d, actor, req.ip);
      const sig = await recordSignature(tx, kiosk.school_id, {
        agreementId: agreement.id, signerId: visitor.id, subjectId: visitor.id, signedName: `${d.given_name} ${d.family_name}`, method: 'kiosk',
        visiting: d.visiting, visitOn: d.visit_on, userAgent: String(req.headers['user-agent'] ?? ''), ip: req.ip, readVersionId: read,
      }, actor);
      // Every visit goes in the visitors' log, with the signature it relies on (made now or on an earlier visit).
      await recordKioskVisit(tx, kiosk.school_id, {
        kioskId: kiosk.id, visitorId: visitor.id, signatureId: sig.id!, signedThisVisit: sig.created, visiting: d.visiting, visitOn: d.visit_on,
        userAgent: String(req.headers['user-agent'] ?? ''), ip: req.ip,
      }, actor);
      return { sigId: sig.id!, created: sig.created };
    }).catch((e) => {
      if (e instanceof AgreementChangedError) return null;
      throw e;
    });
    if (!signed) return changed();
    // After the commit: the signature stands whatever becomes of the email. A copy that could not
    // be sent is shown to reception on the kiosks page, to send again.
    // Signed already (a second tap, or a returning visitor): no second copy is sent.
    const copy = d.email && signed.created ? await emailVisitorCopy(db, mailer, kiosk.school_id, signed.sigId, actor, req.ip) ?? 'none' : 'none';
    return show(reply, `${v}/kiosk-done.njk`, { title: 'Thank you for signing', copy, already: !signed.created, kioskMode: true });
  });

  // ---- Class sessions. ------------------------------------------------------------------------
  const classPage = async (req: FastifyRequest, reply: FastifyReply, className: string | null, extra: Record<string, unknown> = {}, status = 200) => {
    const scope = req.ctx.scope();
    const classes = (await scope.sql<{ class_name: string }>(`select distinct class_name from people where school_id = :school and kind = 'pupil' and left_on is null and class_name is not null order by 1`)).map((r) => r.class_name);
    if (!className || !classes.includes(className)) {
      return show(reply, `${v}/class-choose.njk`, { title: 'Run a class session', classes, ...extra }, status);
    }
    const pupils = await scope.sql(`with ${standingCtes()} select id, given_name, family_name, preferred_name, audience, own_state from standing where kind = 'pupil' and class_name = $1 order by given_name, family_name`, [className]);
    const all = await currentAgreements(db, scope.schoolId);
    const bands = [...new Set(pupils.map((p: any) => p.audience as Audience))].map((a) => all.find((x) => x.audience === a)!).filter(Boolean).map((a) => ({ ...a, blocks: textBlocks(a.body) }));
    return show(reply, `${v}/class.njk`, {
      title: `Class session: ${className}`, className, pupils, bands,
      young: pupils.filter((p: any) => p.audience === 'eyfs_ks1'), older: pupils.filter((p: any) => p.audience !== 'eyfs_ks1'), ...extra,
    }, status);
  };
  app.get('/agreements/class', { config: { action: 'agreements:class' } }, async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    return classPage(req, reply, typeof q.class === 'string' ? q.class : null);
  });
  // For the youngest: the teacher records that the class discussed the rules.
  app.post('/agreements/class/discussed', { config: { action: 'agreements:class' } }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const className = typeof body.class === 'string' ? body.class : '';
    const ids = [body.pupils ?? []].flat().map(String);
    if (!ids.length) return classPage(req, reply, className, { errors: [{ field: 'pupils', text: 'Choose the pupils who took part in the discussion' }] }, 400);
    for (const id of ids) recordId(id);
    const shown = [body.version ?? []].flat().map(shownVersion);
    const n = await db.transaction(async (tx) => {
      const scope = req.ctx.scope(tx);
      const pupils = await scope.sql<{ id: string; year_group: string | null }>(`select id, year_group from people where school_id = :school and kind = 'pupil' and left_on is null and class_name = $1 and id = any($2::uuid[])`, [className, ids]);
      let made = 0;
      for (const p of pupils) {
        const aud = audienceOf({ kind: 'pupil', year_group: p.year_group })!;
        if (aud !== 'eyfs_ks1') continue;
        const a = (await agreementForAudience(tx, scope.schoolId, aud))!;
        const r = await recordSignature(tx, scope.schoolId, {
          agreementId: a.id, signerId: req.ctx.personId!, subjectId: p.id, signedName: req.ctx.actor.label, method: 'class', recordedBy: req.ctx.user!.id,
          userAgent: String(req.headers['user-agent'] ?? ''), ip: req.ip, readVersionId: shown.includes(a.version_id) ? a.version_id : null,
        }, req.ctx.actor);
        if (r.created) made++;
      }
      return made;
    }).catch((e) => {
      // A newer version was published while the class discussed it: nobody is recorded (the transaction rolls back), and the new text is shown.
      if (e instanceof AgreementChangedError) return null;
      throw e;
    });
    if (n === null) return classPage(req, reply, className, { changed: true }, 409);
    req.session.flash = `Recorded the class discussion for ${n} ${n === 1 ? 'pupil' : 'pupils'}.`;
    return reply.redirect(`/agreements/class?class=${encodeURIComponent(className)}`, 303);
  });
  // Older pupils confirm their own name on the classroom screen.
  app.post('/agreements/class/confirm', { config: { action: 'agreements:class' } }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const className = typeof body.class === 'string' ? body.class : '';
    const pupilId = typeof body.pupil === 'string' && /^[0-9a-f-]{36}$/.test(body.pupil) ? body.pupil : null;
    const typed = typeof body.pupil_name === 'string' ? body.pupil_name : '';
    const errors: FieldError[] = [];
    const scope = req.ctx.scope();
    const [pupil] = pupilId ? await scope.sql(`select id, given_name, family_name, preferred_name, year_group from people where school_id = :school and kind = 'pupil' and left_on is null and class_name = $1 and id = $2`, [className, pupilId]) : [];
    if (!pupil) errors.push({ field: 'pupil', text: 'Choose your name from the list' });
    else if (!typed.trim()) errors.push({ field: 'pupil_name', text: 'Type your first name and last name' });
    else if (!nameMatches(typed, pupil)) errors.push({ field: 'pupil_name', text: 'Type your first name and last name as the school has them' });
    if (errors.length) return classPage(req, reply, className, { errors, values: { pupil: pupilId, pupil_name: typed } }, 400);
    const aud = audienceOf({ kind: 'pupil', year_group: pupil.year_group })!;
    const shown = [body.version ?? []].flat().map(shownVersion);
    const ok = await db.transaction(async (tx) => {
      const a = (await agreementForAudience(tx, scope.schoolId, aud))!;
      await recordSignature(tx, scope.schoolId, {
        agreementId: a.id, signerId: pupil.id, subjectId: pupil.id, signedName: typed.trim(), method: 'class', recordedBy: req.ctx.user!.id,
        userAgent: String(req.headers['user-agent'] ?? ''), ip: req.ip, readVersionId: shown.includes(a.version_id) ? a.version_id : null,
      }, req.ctx.actor);
      return true;
    }).catch((e) => {
      if (e instanceof AgreementChangedError) return false;
      throw e;
    });
    if (!ok) return classPage(req, reply, className, { changed: true, values: { pupil: pupilId, pupil_name: typed } }, 409);
    req.session.flash = `Thank you, ${pupil.preferred_name ?? pupil.given_name}.`;
    return reply.redirect(`/agreements/class?class=${encodeURIComponent(className)}`, 303);
  });

  // ---- The technology access register. ------------------------------------------------------
  app.get('/technology-access', { config: { action: 'technology:view' } }, async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const search = typeof q.q === 'string' ? q.q.trim().slice(0, 100) : '';
    const page = Math.max(1, Math.min(1000, Number.parseInt(String(q.page ?? '1'), 10) || 1));
    const pageSize = 100;
    const schoolId = req.ctx.school!.id;
    const rows = await accessRegister(db, schoolId, { notAllowedOnly: !search, q: search || undefined, limit: pageSize + 1, offset: (page - 1) * pageSize });
    const counts = await accessCounts(db, schoolId);
    return show(reply, `${v}/register.njk`, {
      title: 'Technology access register', rows: rows.slice(0, pageSize), more: rows.length > pageSize, page, search, counts,
      accessStatuses, reasonKinds, audiences, values: { q: search },
    });
  });

  app.get('/technology-access/export.csv', { config: { action: 'technology:export' } }, async (req, reply) => {
    const schoolId = req.ctx.school!.id;
    // As in the API: with changed_since, only the people whose standing changed since then, leavers included.
    const asked = changedSince(((req.query ?? {}) as Record<string, unknown>).changed_since);
    if ('problem' in asked) return reply.code(400).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(`Bad request: ${asked.problem}.\n`);
    const since = asked.since;
    const rows = await accessRegister(db, schoolId, { changedSince: since, withLeavers: !!since });
    await audit(db, { schoolId, actor: req.ctx.actor, action: 'technology_access.exported', ip: req.ip, detail: { count: rows.length, changedSince: since ?? null } });
    const csv = toCsv(
      // left_on last: with changed_since the export includes leavers, whose accounts are to be disabled.
      ['person_id', 'kind', 'given_name', 'family_name', 'upn', 'year_group', 'class_name', 'status', 'may_use_technology', 'reason_kind', 'until', 'changed_at', 'left_on'],
      rows.map((r) => [r.id, r.kind, r.given_name, r.family_name, r.upn, r.year_group, r.class_name, r.access_status, r.access_status === 'allowed' && !r.left_on ? 'yes' : 'no', r.reason_kind, r.ends_on, new Date(r.changed_at).toISOString(), r.left_on]),
    );
    return reply.type('text/csv; charset=utf-8').header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="technology-access-${today()}.csv"`).send(csv);
  });

  const personAccessPage = async (req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) => {
    const personId = recordId((req.params as any).personId);
    const scope = req.ctx.scope();
    const [row] = await accessRegister(db, scope.schoolId, { withLeavers: true }).then((rs) => rs.filter((r) => r.id === personId));
    if (!row) throw new NotFoundError();
    const decisions = await scope.sql(
      `select d.*, u.display_name as decided_by_name, l.display_name as lifted_by_name from technology_access_decisions d
         left join users u on u.id = d.decided_by left join users l on l.id = d.lifted_by
        where d.school_id = :school and d.person_id = $1 order by d.decided_at desc`, [personId]);
    // A withdrawal recorded on an incident names it; a viewer who may not see that incident in
    // full (the subject of a concern, say) learns only that it came from an incident.
    const fromIncidents = decisions.filter((d) => d.source_type === 'incident' && d.source_id).map((d) => d.source_id as string);
    if (fromIncidents.length) {
      const seen = new Set((await incidentsFor(req.ctx, db).sql<{ id: string }>(
        `select id from visible_incidents where access = 'full' and id = any($1::uuid[])`, [fromIncidents])).map((r) => r.id));
      for (const d of decisions) if (d.source_type === 'incident' && !seen.has(d.source_id)) d.reason_detail = null;
    }
    await audit(db, { schoolId: scope.schoolId, actor: req.ctx.actor, action: 'technology_access.viewed', recordType: 'person', recordId: personId, ip: req.ip });
    return show(reply, `${v}/person-access.njk`, { title: `Technology access: ${row.given_name} ${row.family_name}`, person: row, decisions, accessStatuses, reasonKinds, values: {}, ...extra }, status);
  };
  app.get('/technology-access/people/:personId', { config: { action: 'technology:manage' } }, (req, reply) => personAccessPage(req, reply));
  app.post('/technology-access/people/:personId/decisions', { config: { action: 'technology:manage' } }, async (req, reply) => {
    const personId = recordId((req.params as any).personId);
    const form = parseForm(decisionSchema, req.body);
    if (!form.ok) {
      if (!(await req.ctx.scope().one('people', { id: personId }))) throw new NotFoundError();
      return personAccessPage(req, reply, { errors: form.errors, values: form.values }, 400);
    }
    const id = await db.transaction((tx) => recordAccessDecision(tx, req.ctx.school!.id, {
      personId, status: form.data.status, reasonKind: form.data.reason_kind as any, reasonDetail: form.data.reason_detail ?? null, endsOn: form.data.ends_on ?? null,
    }, req.ctx.actor, req.ip));
    if (!id) throw new NotFoundError();
    req.session.flash = 'Recorded. The register and the IT provider\'s export show it now.';
    return reply.redirect(`/technology-access/people/${personId}`, 303);
  });
  app.post('/technology-access/decisions/:decisionId/lift', { config: { action: 'technology:manage' } }, async (req, reply) => {
    const id = recordId((req.params as any).decisionId);
    const personId = await db.transaction((tx) => liftAccessDecision(tx, req.ctx.school!.id, id, req.ctx.actor, req.ip));
    if (!personId) throw new NotFoundError();
    req.session.flash = 'Lifted.';
    return reply.redirect(`/technology-access/people/${personId}`, 303);
  });

  // ---- The JSON API for the IT provider. --------------------------------------------------------
  app.api.schema('TechnologyAccess', {
    type: 'object',
    description: 'A person\'s standing in the technology access register: whether they may use school technology, and the kind of reason when not. No reason detail, dates of birth or contact details.',
    required: ['person_id', 'kind', 'given_name', 'family_name', 'upn', 'year_group', 'class_name', 'status', 'may_use_technology', 'reason_kind', 'until', 'left_on', 'changed_at'],
    properties: {
      person_id: { type: 'string', format: 'uuid' },
      kind: { type: 'string' },
      given_name: { type: 'string' },
      family_name: { type: 'string' },
      upn: { type: ['string', 'null'], description: "A pupil's unique pupil number" },
      year_group: { type: ['string', 'null'] },
      class_name: { type: ['string', 'null'] },
      status: { type: 'string', enum: Object.keys(accessStatuses), description: Object.entries(accessStatuses).map(([k, t]) => `${k}: ${t}`).join('; ') },
      may_use_technology: { type: 'boolean', description: 'True only when status is allowed and the person has not left' },
      reason_kind: { type: ['string', 'null'], enum: [...Object.keys(reasonKinds), null] },
      until: { type: ['string', 'null'], format: 'date', description: 'The last day of a withdrawal or restriction, when it has one' },
      left_on: { type: ['string', 'null'], format: 'date', description: 'The day the person left the school (disable their account)' },
      changed_at: { type: 'string', format: 'date-time', description: 'When this person\'s standing last changed' },
    },
  });
  app.api.add({
    method: 'get',
    path: '/technology-access',
    summary: 'The technology access register: who may use school technology, for enabling and disabling accounts; with changed_since, only the people whose standing changed since then (leavers included)',
    scope: 'technology-access:read',
    parameters: [
      { name: 'changed_since', in: 'query', required: false, schema: { type: 'string', format: 'date-time' }, description: 'Only people whose standing changed at or after this ISO 8601 date or date-time' },
    ],
    responses: {
      '200': {
        description: 'The register',
        content: { 'application/json': { schema: { type: 'object', required: ['people', 'generated_at'], properties: { people: { type: 'array', items: { $ref: '#/components/schemas/TechnologyAccess' } }, generated_at: { type: 'string', format: 'date-time', description: 'Pass this as changed_since next time' } } } } },
      },
      '400': { description: 'A query parameter is not valid; the body names it', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  });
  app.get('/api/v1/technology-access', { config: { api: true, scope: 'technology-access:read' } }, async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    for (const [k, val] of Object.entries(q)) {
      if (k !== 'changed_since') return reply.code(400).send({ error: 'bad_request', parameter: k, message: `Unknown parameter ${k}. Use: changed_since` });
      if (typeof val !== 'string') return reply.code(400).send({ error: 'bad_request', parameter: k, message: `Give ${k} once` });
    }
    const asked = changedSince(q.changed_since);
    if ('problem' in asked) return reply.code(400).send({ error: 'bad_request', parameter: 'changed_since', message: asked.problem });
    const since = asked.since;
    const generatedAt = new Date().toISOString();
    const schoolId = req.ctx.school!.id;
    const rows = await accessRegister(db, schoolId, { changedSince: since, withLeavers: !!since });
    await audit(db, { schoolId, actor: req.ctx.actor, action: 'api.technology_access_read', ip: req.ip, detail: { count: rows.length, changedSince: since ?? null } });
    return reply.header('cache-control', 'no-store').send({
      generated_at: generatedAt,
      people: rows.map((r) => ({
        person_id: r.id, kind: r.kind, given_name: r.given_name, family_name: r.family_name, upn: r.upn, year_group: r.year_group, class_name: r.class_name,
        status: r.access_status, may_use_technology: r.access_status === 'allowed' && !r.left_on, reason_kind: r.reason_kind, until: r.ends_on,
        left_on: r.left_on, changed_at: new Date(r.changed_at).toISOString(),
      })),
    });
  });

  await renewalRoutes(app, deps);
}
