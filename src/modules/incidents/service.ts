// The incident log's commands: each business action that touches several tables is one
// function here, run inside the caller's transaction, with its audit entry written alongside.
import type { Queryable } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { audit, type Actor } from '../../platform/audit/audit';
import type { Mailer } from '../../platform/mail/mailer';
import { recordAccessDecision } from '../agreements/service';
import { ensureIncidentDefaults, type Subject } from './matrix';
import { IncidentScope } from './visibility';
import { owedReferrals } from './flowchart';
import type { Agency, CameToLight, IncidentStatus, InvolvementRole, Severity } from './vocabulary';

/** A problem with a command's input, naming the form field it belongs to. */
export class IncidentFieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/** A command refused until other records exist, naming the page's fields that make them (whatever form was sent). */
export class IncidentRefusedError extends Error {
  constructor(readonly errors: { field: string; text: string }[]) {
    super(errors.map((e) => e.text).join('; '));
  }
}

export interface Involved {
  personId: string;
  role: InvolvementRole;
}

export interface NewIncident {
  summary: string;
  occurredAt: Date;
  location?: string | null;
  device?: string | null;
  cameToLight: CameToLight;
  categoryId: string;
  websiteUrl?: string | null;
  websiteSeen?: string | null;
  concernAbout: 'none' | 'staff' | 'headteacher';
  deviceHeldAt?: string | null;
  people: Involved[];
}

export interface Category {
  id: string;
  code: string;
  label: string;
  risk_area: string;
  suspected_illegal_material: boolean;
  illegal: boolean;
}

/** The school's current categories, in the order the form shows them. */
export async function categoriesOf(db: Queryable, schoolId: string): Promise<Category[]> {
  return schoolScope(db, schoolId).sql<Category>(
    'select id, code, label, risk_area, suspected_illegal_material, illegal from incident_categories where school_id = :school and retired_at is null order by position, label');
}

/** The next reference for a school and year, INC-2026-0001 onwards (numbered under a lock, so never twice). */
async function nextReference(db: Queryable, schoolId: string, year: number): Promise<string> {
  await db.query('select pg_advisory_xact_lock(hashtext($1))', [`incident-ref:${schoolId}`]);
  // The counter reads references, not visible incidents: numbering is not seeing.
  const [row] = await schoolScope(db, schoolId).sql<{ n: number }>(
    `select coalesce(max(substring(reference from '^INC-[0-9]{4}-([0-9]+)$')::int), 0) + 1 as n
       from incidents where school_id = :school and reference like $1`, [`INC-${year}-%`]);
  return `INC-${year}-${String(row.n).padStart(4, '0')}`;
}

/** People of this school among ids (so a form can never name another school's person). */
async function peopleOfSchool(db: Queryable, schoolId: string, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await schoolScope(db, schoolId).sql<{ id: string }>('select id from people where school_id = :school and id = any($1::uuid[])', [ids]);
  return new Set(rows.map((r) => r.id));
}

/**
 * Records a new report: the incident, the people involved and the first line of its history.
 * The reporter is the signed-in person (null through the API). Returns its id and reference.
 */
export async function reportIncident(db: Queryable, schoolId: string, input: NewIncident, reporter: { personId: string | null; actor: Actor; ip: string | null; via: 'browser' | 'api' }) {
  await ensureIncidentDefaults(db, schoolId);
  const scope = schoolScope(db, schoolId);
  const category = await scope.one<Category & { retired_at: Date | null }>('incident_categories', { id: input.categoryId });
  if (!category || category.retired_at) throw new IncidentFieldError('category', 'Choose the kind of incident from the list');
  if (category.suspected_illegal_material && !input.deviceHeldAt) {
    throw new IncidentFieldError('device_held_at', 'Say where the device is now held (locked away, switched off, with whom)');
  }
  const known = await peopleOfSchool(db, schoolId, input.people.map((p) => p.personId));
  if (input.people.some((p) => !known.has(p.personId))) throw new IncidentFieldError('people', 'Choose the people involved from this school');
  const concernAbout = await concernFromPeople(db, schoolId, input.concernAbout, input.people);
  const reference = await nextReference(db, schoolId, new Date().getFullYear());
  const incident = await scope.sql<{ id: string; reference: string }>(
    `insert into incidents (school_id, reference, summary, occurred_at, location, device, came_to_light, category_id, website_url, website_seen,
        concern_about_staff, concern_about_headteacher, device_held_at, reported_by, reported_by_user, reported_via)
     values (:school, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) returning id, reference`,
    [reference, input.summary, input.occurredAt, input.location ?? null, input.device ?? null, input.cameToLight, category.id,
      input.websiteUrl ?? null, input.websiteSeen ?? null, concernAbout !== 'none', concernAbout === 'headteacher',
      category.suspected_illegal_material ? input.deviceHeldAt ?? null : input.deviceHeldAt ?? null, reporter.personId, reporter.actor.userId, reporter.via]);
  const id = incident[0].id;
  const seen = new Set<string>();
  for (const p of input.people) {
    const key = `${p.personId}:${p.role}`;
    if (seen.has(key)) continue;
    seen.add(key);
    await scope.insert('incident_people', { incident_id: id, person_id: p.personId, role: p.role });
  }
  await scope.insert('incident_actions', { incident_id: id, kind: 'reported', by_person_id: reporter.personId, by_user_id: reporter.actor.userId, detail: JSON.stringify({ via: reporter.via }) });
  await audit(db, {
    schoolId, actor: reporter.actor, action: 'incident.reported', recordType: 'incident', recordId: id, ip: reporter.ip,
    detail: { reference, categoryId: category.id, people: input.people.length, suspectedIllegalMaterial: category.suspected_illegal_material, via: reporter.via, concernAbout, concernFromPeople: concernAbout !== input.concernAbout },
  });
  return { id, reference, suspectedIllegalMaterial: category.suspected_illegal_material, concernAbout, concernRaised: concernAbout !== input.concernAbout };
}

/** The kinds of person who work in the school (paid or not): a concern about one goes to the headteacher and the LADO. */
export const adultsWhoWorkHere = ['staff', 'technician', 'governor', 'contractor'];

/**
 * What a report is a concern about, given who it names as alleged: naming the headteacher makes
 * it a concern about the headteacher, and naming another adult who works in the school a concern
 * about staff, whatever the reporter answered (never less than they answered).
 */
export async function concernFromPeople(db: Queryable, schoolId: string, answered: NewIncident['concernAbout'], people: Involved[]): Promise<NewIncident['concernAbout']> {
  const alleged = people.filter((p) => p.role === 'alleged').map((p) => p.personId);
  if (!alleged.length || answered === 'headteacher') return answered;
  const [row] = await schoolScope(db, schoolId).sql<{ head: boolean; staff: boolean }>(
    `select coalesce(bool_or(exists (select 1 from role_assignments r where r.school_id = :school and r.person_id = p.id and r.role = 'headteacher')), false) as head,
            coalesce(bool_or(p.kind = any($2::text[])), false) as staff
       from people p where p.school_id = :school and p.id = any($1::uuid[])`, [alleged, adultsWhoWorkHere]);
  if (row.head) return 'headteacher';
  if (row.staff) return 'staff';
  return answered;
}

/**
 * Who is told of a new report: the safeguarding leads always; the headteacher too when it is a
 * concern about staff or an inappropriate website report (the policies pass those to the head); the chair of governors (never the headteacher) when it is about the
 * headteacher. Anyone alleged to have done it is left out. Only people with an account.
 */
export async function recipientsForNewReport(db: Queryable, schoolId: string, incidentId: string): Promise<string[]> {
  const rows = await schoolScope(db, schoolId).sql<{ email: string }>(
    `with i as (select i.concern_about_staff, i.concern_about_headteacher, c.code = 'inappropriate_website' as website
                 from incidents i join incident_categories c on c.id = i.category_id where i.school_id = :school and i.id = $1)
     select distinct u.email from role_assignments r
       join memberships m on m.person_id = r.person_id and m.school_id = :school
       join users u on u.id = m.user_id and u.disabled_at is null
       join people p on p.id = r.person_id and p.left_on is null, i
      where r.school_id = :school
        and (r.role in ('designated_safeguarding_lead', 'deputy_safeguarding_lead')
             or (r.role = 'headteacher' and (i.concern_about_staff or i.website) and not i.concern_about_headteacher)
             or (r.role = 'chair_of_governors' and i.concern_about_headteacher))
        and not (i.concern_about_headteacher and exists (select 1 from role_assignments h where h.person_id = r.person_id and h.role = 'headteacher'))
        and not exists (select 1 from incident_people ip where ip.incident_id = $1 and ip.person_id = r.person_id and ip.role = 'alleged')
      order by u.email`, [incidentId]);
  return rows.map((r) => r.email);
}

/** Tells the leads there is a new report: a link, and nothing about what it says or who it names. */
export async function notifyNewReport(db: Queryable, mailer: Mailer, baseUrl: string, schoolId: string, incidentId: string) {
  const to = await recipientsForNewReport(db, schoolId, incidentId);
  for (const email of to) {
    await mailer.send({
      to: email,
      subject: 'A new online safety concern has been reported',
      text: [
        'A member of staff has reported an online safety concern in Harbour.',
        '',
        'Sign in to read it and decide what happens next:',
        `${baseUrl}/incidents/${incidentId}`,
        '',
        'This email says no more on purpose. Please do not forward it.',
      ].join('\n'),
    });
  }
  return to.length;
}

export interface TriageInput {
  severity: Severity;
  status: Exclude<IncidentStatus, 'closed'>;
  handlerId: string;
  learnerTypeId: string | null;
  staffTypeId: string | null;
  /** The kind of incident, when the lead changes what the reporter chose (null keeps it). */
  categoryId?: string | null;
  /** Where the device is held (null keeps what was recorded): needed once the kind is suspected illegal material. */
  deviceHeldAt?: string | null;
  reason: string;
}

/** Sets severity, handler, status and the sanctions row(s), recording the decision and its reason. */
export async function triageIncident(incidents: IncidentScope, incidentId: string, input: TriageInput, by: { personId: string | null; actor: Actor; ip: string | null }) {
  const scope = incidents.scope;
  const current = await incidents.get(incidentId);
  if (!current || current.access !== 'full') return null;
  if (current.status === 'closed') throw new IncidentFieldError('status', 'This incident is closed. Reopen it before changing its triage.');
  const handler = await scope.sql<{ id: string; is_head: boolean }>(
    `select p.id, exists (select 1 from role_assignments r where r.person_id = p.id and r.role = 'headteacher') as is_head
       from people p join memberships m on m.person_id = p.id where p.school_id = :school and p.id = $1 and p.left_on is null`, [input.handlerId]);
  if (!handler.length) throw new IncidentFieldError('handler', 'Choose who handles it from the staff with an account');
  if (current.concern_about_headteacher && handler[0].is_head) throw new IncidentFieldError('handler', 'The headteacher cannot handle a concern about the headteacher');
  const alleged = await scope.sql('select 1 from incident_people where school_id = :school and incident_id = $1 and person_id = $2 and role = $3', [incidentId, input.handlerId, 'alleged']);
  if (alleged.length) throw new IncidentFieldError('handler', 'Someone alleged to have done it cannot handle it');
  for (const [field, id, subject] of [['learner_type', input.learnerTypeId, 'learner'], ['staff_type', input.staffTypeId, 'staff']] as const) {
    if (!id) continue;
    const t = await scope.sql('select 1 from sanction_incident_types where school_id = :school and id = $1 and subject = $2', [id, subject]);
    if (!t.length) throw new IncidentFieldError(field, `Choose the ${subject === 'learner' ? "learner's" : "member of staff's"} incident type from the list`);
  }
  const categoryId = input.categoryId ?? current.category_id;
  if (categoryId !== current.category_id) {
    const [c] = await scope.sql('select 1 from incident_categories where school_id = :school and id = $1 and retired_at is null', [categoryId]);
    if (!c) throw new IncidentFieldError('category', 'Choose the kind of incident from the list');
  }
  // Suspected illegal material (chosen now, or already) needs where the device is held, as at reporting.
  const deviceHeldAt: string | null = input.deviceHeldAt || current.device_held_at || null;
  const [kind] = await scope.sql<{ s: boolean }>('select suspected_illegal_material as s from incident_categories where school_id = :school and id = $1', [categoryId]);
  if (kind?.s && !deviceHeldAt) throw new IncidentFieldError('device_held_at', 'Say where the device is now held (locked away, switched off, with whom): the kind of incident is suspected illegal material');
  const changed = (['severity', 'status', 'handler_id', 'learner_incident_type_id', 'staff_incident_type_id', 'category_id', 'device_held_at'] as const).filter((k) => {
    const next = { severity: input.severity, status: input.status, handler_id: input.handlerId, learner_incident_type_id: input.learnerTypeId, staff_incident_type_id: input.staffTypeId, category_id: categoryId, device_held_at: deviceHeldAt }[k];
    return (current as any)[k] !== next;
  });
  // A changed kind keeps the one it replaced, in the history and in the audit trail.
  const category = changed.includes('category_id') ? { from: current.category_id as string, to: categoryId } : undefined;
  await scope.sql(
    `update incidents set severity = $2, status = $3, handler_id = $4, learner_incident_type_id = $5, staff_incident_type_id = $6, category_id = $7, device_held_at = $8, updated_at = now()
      where school_id = :school and id = $1`,
    [incidentId, input.severity, input.status, input.handlerId, input.learnerTypeId, input.staffTypeId, categoryId, deviceHeldAt]);
  await scope.insert('incident_actions', {
    incident_id: incidentId, kind: 'triage', by_person_id: by.personId, by_user_id: by.actor.userId, reason: input.reason,
    detail: JSON.stringify({ severity: input.severity, status: input.status, handlerId: input.handlerId, changed, ...(category ? { category } : {}) }),
  });
  await audit(scope.db, { schoolId: scope.schoolId, actor: by.actor, action: 'incident.triaged', recordType: 'incident', recordId: incidentId, ip: by.ip, detail: { fields: [...changed], severity: input.severity, status: input.status, ...(category ? { categoryFrom: category.from, categoryTo: category.to } : {}) } });
  return changed;
}

export interface ActionInput {
  sanctionActionId: string | null;
  personId: string | null;
  taken: boolean;
  on: string;
  notes: string | null;
  reason: string | null;
  informedHow: string | null;
  informedBy: string | null;
  accessUntil: string | null;
}

/**
 * Records an action taken on an incident (or a decision not to take it, with the reason):
 * a recommended sanction, telling parents (when, how, by whom), removing access (until when,
 * which also enters the technology access register), or a note.
 */
export async function recordIncidentAction(incidents: IncidentScope, incidentId: string, input: ActionInput, by: { personId: string | null; actor: Actor; ip: string | null }) {
  const scope = incidents.scope;
  const current = await incidents.get(incidentId);
  if (!current || current.access !== 'full') return null;
  let kind: 'sanction' | 'parents_informed' | 'access_removed' | 'note' = 'note';
  let sanctionKind = 'other';
  if (input.sanctionActionId) {
    const [a] = await scope.sql<{ kind: string }>('select kind from sanction_actions where school_id = :school and id = $1', [input.sanctionActionId]);
    if (!a) throw new IncidentFieldError('action', 'Choose the action from the list');
    sanctionKind = a.kind;
    kind = a.kind === 'inform_parents' ? 'parents_informed' : a.kind === 'remove_access' ? 'access_removed' : 'sanction';
  }
  if (input.personId) {
    const involved = await scope.sql('select 1 from incident_people where school_id = :school and incident_id = $1 and person_id = $2', [incidentId, input.personId]);
    if (!involved.length) throw new IncidentFieldError('person', 'Choose one of the people involved');
  }
  if (!input.taken && !input.reason) throw new IncidentFieldError('reason', 'Give the reason for deciding not to take this action');
  if (kind === 'note' && !input.notes) throw new IncidentFieldError('notes', 'Enter the note');
  if (input.taken && kind === 'parents_informed') {
    if (!input.informedHow) throw new IncidentFieldError('informed_how', 'Choose how the parents or carers were told');
    if (!input.informedBy) throw new IncidentFieldError('informed_by', 'Choose who told them');
    const [staff] = await scope.sql('select 1 from people where school_id = :school and id = $1', [input.informedBy]);
    if (!staff) throw new IncidentFieldError('informed_by', 'Choose who told them');
  }
  let accessDecisionId: string | null = null;
  if (input.taken && kind === 'access_removed') {
    if (!input.personId) throw new IncidentFieldError('person', 'Choose whose access is removed');
    if (!input.accessUntil) throw new IncidentFieldError('access_until', 'Enter the date access comes back, like 2026-10-31');
    if (input.accessUntil < input.on) throw new IncidentFieldError('access_until', 'The end date must be on or after the day access is removed');
    accessDecisionId = await recordAccessDecision(scope.db, scope.schoolId, {
      personId: input.personId, status: 'withdrawn', reasonKind: 'incident_sanction', reasonDetail: `Incident ${current.reference}`,
      startsOn: input.on, endsOn: input.accessUntil, sourceType: 'incident', sourceId: incidentId,
    }, by.actor, by.ip);
  }
  const row = await scope.insert<{ id: string }>('incident_actions', {
    incident_id: incidentId, kind, at: new Date(`${input.on}T12:00:00Z`), by_person_id: by.personId, by_user_id: by.actor.userId,
    person_id: input.personId, sanction_action_id: input.sanctionActionId, taken: input.taken, notes: input.notes, reason: input.reason,
    informed_on: kind === 'parents_informed' && input.taken ? input.on : null,
    informed_how: kind === 'parents_informed' && input.taken ? input.informedHow : null,
    informed_by: kind === 'parents_informed' && input.taken ? input.informedBy : null,
    access_until: kind === 'access_removed' && input.taken ? input.accessUntil : null,
    access_decision_id: accessDecisionId,
  });
  if (current.status === 'triaged') await scope.sql(`update incidents set status = 'in_progress', updated_at = now() where school_id = :school and id = $1`, [incidentId]);
  await audit(scope.db, {
    schoolId: scope.schoolId, actor: by.actor, action: input.taken ? 'incident.action_recorded' : 'incident.action_declined', recordType: 'incident', recordId: incidentId, ip: by.ip,
    detail: { actionId: row.id, kind, sanctionKind, personId: input.personId, accessDecisionId },
  });
  return row.id;
}

export interface ReferralInput {
  decision: 'referred' | 'not_referred';
  agency: Agency;
  agencyReference: string | null;
  referredOn: string | null;
  referredBy: string | null;
  reason: string | null;
}

/** Records a referral to an agency, or the decision not to refer and why (KCSIE asks for both). */
export async function recordReferral(incidents: IncidentScope, incidentId: string, input: ReferralInput, by: { personId: string | null; actor: Actor; ip: string | null }) {
  const scope = incidents.scope;
  const current = await incidents.get(incidentId);
  if (!current || current.access !== 'full') return null;
  if (input.decision === 'referred') {
    if (!input.referredOn) throw new IncidentFieldError('on', 'Enter the date of the referral, like 2026-10-01');
    if (!input.referredBy) throw new IncidentFieldError('by', 'Choose who made the referral');
    const [p] = await scope.sql('select 1 from people where school_id = :school and id = $1', [input.referredBy]);
    if (!p) throw new IncidentFieldError('by', 'Choose who made the referral');
  } else if (!input.reason) {
    throw new IncidentFieldError('reason', 'Give the reason for deciding not to refer');
  }
  const row = await scope.insert<{ id: string }>('incident_referrals', {
    incident_id: incidentId, decision: input.decision, agency: input.agency, agency_reference: input.agencyReference,
    referred_on: input.decision === 'referred' ? input.referredOn : null, referred_by: input.decision === 'referred' ? input.referredBy : null,
    reason: input.reason, recorded_by: by.actor.userId,
  });
  await scope.insert('incident_actions', {
    incident_id: incidentId, kind: 'referral', by_person_id: by.personId, by_user_id: by.actor.userId, reason: input.reason, taken: input.decision === 'referred' || !!input.reason,
    detail: JSON.stringify({ referralId: row.id, decision: input.decision, agency: input.agency }),
  });
  if (input.decision === 'referred' && current.status !== 'closed') {
    await scope.sql(`update incidents set status = 'waiting_on_agency', updated_at = now() where school_id = :school and id = $1`, [incidentId]);
  }
  await audit(scope.db, { schoolId: scope.schoolId, actor: by.actor, action: input.decision === 'referred' ? 'incident.referred' : 'incident.not_referred', recordType: 'incident', recordId: incidentId, ip: by.ip, detail: { referralId: row.id, agency: input.agency } });
  return row.id;
}

/** Adds a follow-up task with an owner (a member of staff with an account) and a due date. */
export async function addTask(incidents: IncidentScope, incidentId: string, input: { description: string; ownerId: string; dueOn: string }, by: { actor: Actor; ip: string | null }) {
  const scope = incidents.scope;
  const current = await incidents.get(incidentId);
  if (!current || current.access !== 'full') return null;
  const [owner] = await scope.sql('select 1 from people p join memberships m on m.person_id = p.id where p.school_id = :school and p.id = $1', [input.ownerId]);
  if (!owner) throw new IncidentFieldError('owner', 'Choose who will do it from the staff with an account');
  const row = await scope.insert<{ id: string }>('incident_tasks', { incident_id: incidentId, description: input.description, owner_id: input.ownerId, due_on: input.dueOn, created_by: by.actor.userId });
  await audit(scope.db, { schoolId: scope.schoolId, actor: by.actor, action: 'incident.task_added', recordType: 'incident', recordId: incidentId, ip: by.ip, detail: { taskId: row.id, ownerId: input.ownerId, dueOn: input.dueOn } });
  return row.id;
}

/** Marks a task done. */
export async function completeTask(incidents: IncidentScope, incidentId: string, taskId: string, by: { actor: Actor; ip: string | null }) {
  const scope = incidents.scope;
  const current = await incidents.get(incidentId);
  if (!current || current.access !== 'full') return null;
  const rows = await scope.sql('update incident_tasks set done_at = now(), done_by = $3 where school_id = :school and incident_id = $1 and id = $2 and done_at is null returning id', [incidentId, taskId, by.actor.userId]);
  if (!rows.length) return null;
  await audit(scope.db, { schoolId: scope.schoolId, actor: by.actor, action: 'incident.task_done', recordType: 'incident', recordId: incidentId, ip: by.ip, detail: { taskId } });
  return taskId;
}

/** Closes an incident with its outcome, the feedback given to those involved, and what the school learned. */
export async function closeIncident(incidents: IncidentScope, incidentId: string, input: { outcome: string; feedback: string; lessons: string; changes: string[] }, by: { personId: string | null; actor: Actor; ip: string | null }) {
  const scope = incidents.scope;
  const current = await incidents.get(incidentId);
  if (!current || current.access !== 'full') return null;
  if (current.status === 'closed') throw new IncidentFieldError('outcome', 'This incident is already closed');
  if (!current.severity) throw new IncidentFieldError('outcome', 'Triage the incident before closing it');
  const owed = await referralsOwedBy(incidents, current);
  if (owed.length) throw new IncidentRefusedError(owed.map((o) => ({ field: o.field, text: `The incident cannot be closed yet. ${o.text}.` })));
  await scope.sql(
    `update incidents set status = 'closed', outcome = $2, feedback_given = $3, lessons_learned = $4, changes_needed = $5, closed_at = now(), closed_by = $6, updated_at = now()
      where school_id = :school and id = $1`, [incidentId, input.outcome, input.feedback, input.lessons, input.changes, by.actor.userId]);
  await scope.insert('incident_actions', { incident_id: incidentId, kind: 'closed', by_person_id: by.personId, by_user_id: by.actor.userId, detail: JSON.stringify({ changes: input.changes }) });
  await audit(scope.db, { schoolId: scope.schoolId, actor: by.actor, action: 'incident.closed', recordType: 'incident', recordId: incidentId, ip: by.ip, detail: { fields: ['outcome', 'feedback_given', 'lessons_learned', 'changes_needed'], changes: input.changes } });
  return incidentId;
}

/** The referral decisions an incident still owes before it may be closed (see flowchart.ts). */
export async function referralsOwedBy(incidents: IncidentScope, incident: { id: string; category_id: string } & Parameters<typeof owedReferrals>[0]) {
  const scope = incidents.scope;
  const [category] = await scope.sql('select illegal, suspected_illegal_material from incident_categories where school_id = :school and id = $1', [incident.category_id]);
  const referrals = await scope.sql('select decision, agency from incident_referrals where school_id = :school and incident_id = $1', [incident.id]);
  return owedReferrals(incident, category, referrals);
}

/**
 * Reopens a closed incident, with the reason (something new came to light, say). What the
 * closing recorded is kept in the history; the incident is in progress again and is closed anew.
 */
export async function reopenIncident(incidents: IncidentScope, incidentId: string, input: { reason: string }, by: { personId: string | null; actor: Actor; ip: string | null }) {
  const scope = incidents.scope;
  const current = await incidents.get(incidentId);
  if (!current || current.access !== 'full') return null;
  if (current.status !== 'closed') throw new IncidentFieldError('reason', 'This incident is not closed');
  await scope.sql(
    `update incidents set status = 'in_progress', outcome = null, feedback_given = null, lessons_learned = null, changes_needed = '{}', closed_at = null, closed_by = null, updated_at = now()
      where school_id = :school and id = $1`, [incidentId]);
  await scope.insert('incident_actions', {
    incident_id: incidentId, kind: 'reopened', by_person_id: by.personId, by_user_id: by.actor.userId, reason: input.reason,
    detail: JSON.stringify({ closedAt: current.closed_at, outcome: current.outcome, feedbackGiven: current.feedback_given, lessonsLearned: current.lessons_learned, changesNeeded: current.changes_needed }),
  });
  await audit(scope.db, { schoolId: scope.schoolId, actor: by.actor, action: 'incident.reopened', recordType: 'incident', recordId: incidentId, ip: by.ip, detail: { closedAt: current.closed_at } });
  return incidentId;
}

/**
 * People alleged on this incident who have been warned or sanctioned on earlier incidents the
 * viewer can see: their continued infringement is flagged, with how many earlier incidents.
 */
export async function continuedInfringements(incidents: IncidentScope, incidentId: string): Promise<Map<string, number>> {
  const rows = await incidents.sql<{ person_id: string; earlier: number }>(
    `select ip.person_id, count(distinct e.id)::int as earlier
       from incident_people ip
       join incident_people ep on ep.person_id = ip.person_id and ep.role = 'alleged' and ep.incident_id <> ip.incident_id
       join visible_incidents e on e.id = ep.incident_id and e.access = 'full'
       join visible_incidents cur on cur.id = ip.incident_id
      where ip.incident_id = $1 and ip.role = 'alleged' and e.occurred_at <= cur.occurred_at
        and exists (select 1 from incident_actions a where a.incident_id = e.id and a.taken and a.kind in ('sanction', 'parents_informed', 'access_removed')
                     and (a.person_id is null or a.person_id = ip.person_id))
      group by ip.person_id`, [incidentId]);
  return new Map(rows.map((r) => [r.person_id, r.earlier]));
}

/** Whether a subject's matrix applies to a person of this kind. */
export function subjectOfKind(kind: string): Subject | null {
  if (kind === 'pupil') return 'learner';
  if (['staff', 'technician', 'governor', 'contractor', 'visitor'].includes(kind)) return 'staff';
  return null;
}

/**
 * Follow-up tasks past their due date that are this person's to do, or on incidents they
 * handle, among the incidents they may see in full (for the dashboard). Oldest due first.
 */
export async function overdueTasksFor(incidents: IncidentScope, personId: string) {
  return incidents.sql<{ id: string; description: string; due_on: string; incident_id: string; reference: string; mine: boolean; owner_name: string }>(
    `select t.id, t.description, t.due_on, v.id as incident_id, v.reference, t.owner_id = $1 as mine, p.given_name || ' ' || p.family_name as owner_name
       from incident_tasks t join visible_incidents v on v.id = t.incident_id and v.access = 'full' join people p on p.id = t.owner_id
      where t.school_id = :school and t.done_at is null and t.due_on < (now() at time zone 'Europe/London')::date
        and (t.owner_id = $1 or v.handler_id = $1)
      order by t.due_on, v.reference limit 20`, [personId]);
}
