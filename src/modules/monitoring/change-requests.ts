// Filtering change requests: asked by staff, approved or declined by the safeguarding lead or
// headteacher, carried out by the IT provider, and expired by themselves on their end date.
import type { Queryable } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { audit, systemActor } from '../../platform/audit/audit';
import { NotFoundError } from '../../platform/http/errors';
import type { By } from './service';
import { londonParts } from './digests';

export const changeStatuses = {
  /** Waiting for the safeguarding lead or headteacher. */
  requested: 'Waiting for a decision',
  /** Approved; waiting for the IT provider. */
  approved: 'Approved: waiting for the IT provider',
  /** Declined, with the reason. */
  declined: 'Declined',
  /** Carried out by the IT provider. */
  done: 'Done',
  /** Past its end date: the IT provider puts the filtering back. */
  expired: 'Expired',
} as const;

export interface NewChangeRequest { kind: 'unblock' | 'block'; target: string; for_whom: string; reason: string; ends_on: string | null }

/** Records a request; the audit entry names the fields, not what they say. */
export async function requestFilteringChange(db: Queryable, schoolId: string, input: NewChangeRequest, by: By) {
  const row = await schoolScope(db, schoolId).insert('filtering_change_requests', { ...input, requested_by: by.actor.userId });
  await audit(db, { schoolId, actor: by.actor, action: 'filtering_change.requested', recordType: 'filtering_change_request', recordId: row.id, ip: by.ip, detail: { kind: input.kind, ends_on: input.ends_on } });
  return row;
}

/**
 * Marks requests past their end date expired (each audited as done by Harbour itself). Returns how many.
 * `now` is the job's clock: the day it compares with and the time it records are the same instant.
 */
export async function expireChangeRequests(db: Queryable, schoolId: string, now = new Date()): Promise<number> {
  const rows = await schoolScope(db, schoolId).sql<{ id: string }>(
    `update filtering_change_requests set status = 'expired', expired_at = $2
      where school_id = :school and status in ('requested', 'approved', 'done') and ends_on is not null and ends_on < $1::date returning id`, [londonParts(now).date, now]);
  for (const r of rows) await audit(db, { schoolId, actor: systemActor, action: 'filtering_change.expired', recordType: 'filtering_change_request', recordId: r.id });
  return rows.length;
}

async function move(db: Queryable, schoolId: string, id: string, from: string[], set: string, values: unknown[], action: string, by: By, detail?: Record<string, string>) {
  const rows = await schoolScope(db, schoolId).sql(
    `update filtering_change_requests set ${set} where school_id = :school and id = $1 and status = any($2::text[]) returning id`, [id, from, ...values]);
  if (!rows.length) {
    if (!(await schoolScope(db, schoolId).one('filtering_change_requests', { id }))) throw new NotFoundError();
    return false;
  }
  await audit(db, { schoolId, actor: by.actor, action, recordType: 'filtering_change_request', recordId: id, ip: by.ip, detail });
  return true;
}

/** The lead approves a waiting request. */
export const approveChange = (db: Queryable, schoolId: string, id: string, note: string | null, by: By) =>
  move(db, schoolId, id, ['requested'], `status = 'approved', decided_by = $3, decided_at = now(), decision_note = $4`, [by.actor.userId, note], 'filtering_change.approved', by);

/** The lead declines a waiting request, with the reason. */
export const declineChange = (db: Queryable, schoolId: string, id: string, note: string, by: By) =>
  move(db, schoolId, id, ['requested'], `status = 'declined', decided_by = $3, decided_at = now(), decision_note = $4`, [by.actor.userId, note], 'filtering_change.declined', by);

/** The IT provider has carried out an approved request. */
export const markChangeDone = (db: Queryable, schoolId: string, id: string, by: By) =>
  move(db, schoolId, id, ['approved'], `status = 'done', done_by = $3, done_at = now()`, [by.actor.userId], 'filtering_change.done', by);

/** The requests one may see: all of them for a lead or the IT provider, one's own otherwise. */
export async function changeRequests(db: Queryable, schoolId: string, onlyBy: string | null) {
  return schoolScope(db, schoolId).sql(
    `select r.*, u.display_name as requested_by_name from filtering_change_requests r left join users u on u.id = r.requested_by
      where r.school_id = :school and ($1::uuid is null or r.requested_by = $1) order by r.requested_at desc limit 500`, [onlyBy]);
}
