// The DfE filtering and monitoring standards' records: responsibilities, leadership decisions,
// the annual review (a checklist with evidence, then sign-off) and the log of filtering checks.
import type { Queryable } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { audit } from '../../platform/audit/audit';
import { NotFoundError } from '../../platform/http/errors';
import type { By } from './service';

/** The responsibilities the standards ask a school to name. */
export const responsibilities = {
  /** The member of the senior leadership team responsible for filtering and monitoring. */
  senior_leader: 'Senior leader responsible',
  /** The governor who oversees filtering and monitoring. */
  governor: 'Governor responsible',
  /** The designated safeguarding lead, who acts on what monitoring finds. */
  safeguarding_lead: 'Designated safeguarding lead',
  /** The IT provider who runs the filtering and monitoring systems. */
  it_provider: 'IT provider',
} as const;
export type Responsibility = keyof typeof responsibilities;

/** What the annual review considers, each with evidence. */
export const reviewItems = {
  roles: 'Roles and responsibilities are named, and the senior leader and governor know theirs',
  provider: 'The filtering provider meets the standards (for example the UK Safer Internet Centre\'s appropriate filtering definitions)',
  illegal_content: 'Blocking of illegal content (the IWF list and the police list of unlawful terrorist content) is on and cannot be switched off',
  all_devices: 'Filtering applies to every school device and network, including guest and bring-your-own-device access',
  send_eal: 'Filtering and monitoring suit the pupils, including those with SEND or EAL and those most at risk',
  generative_ai: 'Generative AI tools pupils and staff can reach are considered',
  safe_search: 'Safe search is enforced on search engines and video sites',
  monitoring: 'The monitoring strategy (physical, network, device) fits the school\'s risks, and alerts reach the safeguarding lead and are acted on',
  checks: 'Filtering checks were carried out and logged, including after changes',
  staff: 'Staff know what is filtered and monitored and how to report a concern or an over-blocked site',
} as const;
export type ReviewItem = keyof typeof reviewItems;

export async function setResponsibility(db: Queryable, schoolId: string, responsibility: Responsibility, holder: string, by: By) {
  const [row] = await schoolScope(db, schoolId).sql(
    `insert into filtering_responsibilities (school_id, responsibility, holder, updated_by) values (:school, $1, $2, $3)
     on conflict (school_id, responsibility) do update set holder = excluded.holder, updated_by = excluded.updated_by, updated_at = now() returning id`,
    [responsibility, holder, by.actor.userId]);
  await audit(db, { schoolId, actor: by.actor, action: 'filtering_responsibility.set', recordType: 'filtering_responsibility', recordId: row.id, ip: by.ip, detail: { responsibility } });
}

export async function recordDecision(db: Queryable, schoolId: string, input: { decided_on: string; decision: string; reason: string }, by: By) {
  const row = await schoolScope(db, schoolId).insert('filtering_decisions', { ...input, recorded_by: by.actor.userId });
  await audit(db, { schoolId, actor: by.actor, action: 'filtering_decision.recorded', recordType: 'filtering_decision', recordId: row.id, ip: by.ip });
  return row;
}

export async function recordCheck(db: Queryable, schoolId: string, input: { checked_on: string; device: string; user_group: string; tested: string; result: 'pass' | 'fail'; notes?: string; checked_by: string }, by: By) {
  const row = await schoolScope(db, schoolId).insert('filtering_checks', { ...input, notes: input.notes ?? null, recorded_by: by.actor.userId });
  await audit(db, { schoolId, actor: by.actor, action: 'filtering_check.recorded', recordType: 'filtering_check', recordId: row.id, ip: by.ip, detail: { result: input.result } });
  return row;
}

export async function startReview(db: Queryable, schoolId: string, by: By) {
  const row = await schoolScope(db, schoolId).insert('filtering_reviews', { created_by: by.actor.userId });
  await audit(db, { schoolId, actor: by.actor, action: 'filtering_review.started', recordType: 'filtering_review', recordId: row.id, ip: by.ip });
  return row;
}

export type ReviewState = Record<string, { done: boolean; evidence: string }>;

/** Saves the checklist; a signed-off review no longer changes. */
export async function saveReview(db: Queryable, schoolId: string, reviewId: string, items: ReviewState, by: By): Promise<boolean> {
  const rows = await schoolScope(db, schoolId).sql('update filtering_reviews set items = $2 where school_id = :school and id = $1 and signed_off_at is null returning id', [reviewId, JSON.stringify(items)]);
  if (!rows.length) {
    if (!(await schoolScope(db, schoolId).one('filtering_reviews', { id: reviewId }))) throw new NotFoundError();
    return false;
  }
  await audit(db, { schoolId, actor: by.actor, action: 'filtering_review.updated', recordType: 'filtering_review', recordId: reviewId, ip: by.ip, detail: { done: Object.values(items).filter((i) => i.done).length } });
  return true;
}

/** The items that keep a review from sign-off: not done, or done without evidence. */
export function missingForSignOff(items: ReviewState): ReviewItem[] {
  return (Object.keys(reviewItems) as ReviewItem[]).filter((k) => !items[k]?.done || !items[k]?.evidence?.trim());
}

export async function signOffReview(db: Queryable, schoolId: string, reviewId: string, by: By): Promise<ReviewItem[]> {
  const scope = schoolScope(db, schoolId);
  const review = await scope.one('filtering_reviews', { id: reviewId });
  if (!review) throw new NotFoundError();
  const missing = missingForSignOff(review.items ?? {});
  if (missing.length || review.signed_off_at) return missing;
  await scope.sql('update filtering_reviews set signed_off_by = $2, signed_off_at = now() where school_id = :school and id = $1', [reviewId, by.actor.userId]);
  await audit(db, { schoolId, actor: by.actor, action: 'filtering_review.signed_off', recordType: 'filtering_review', recordId: reviewId, ip: by.ip });
  return [];
}
