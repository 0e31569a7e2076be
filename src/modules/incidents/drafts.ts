// Drafts of reports not yet sent: one per user and school, saved on every submit of the report
// form (a rejected one too), so a validation error or a lost session never loses what was typed.
import type { Queryable } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { audit, type Actor } from '../../platform/audit/audit';
import type { Involved } from './service';

/** What a draft keeps: the form's values as typed, and the people added so far. */
export interface ReportDraft { values: Record<string, unknown>; people: Involved[]; updatedAt?: Date }

const keep = ['summary', 'occurred_date', 'occurred_time', 'location', 'device', 'came_to_light', 'category', 'concern_about', 'device_held_at', 'website_url', 'website_seen'];

/** Saves (or replaces) the user's draft report. Only the report's own fields are kept, each at most 10,000 characters. */
export async function saveDraft(db: Queryable, schoolId: string, userId: string, draft: ReportDraft, by: { actor: Actor; ip: string | null }) {
  const values: Record<string, string> = {};
  for (const k of keep) if (typeof draft.values[k] === 'string') values[k] = (draft.values[k] as string).slice(0, 10_000);
  const fields = { values, people: draft.people.slice(0, 50) };
  const [row] = await schoolScope(db, schoolId).sql<{ id: string }>(
    `insert into incident_drafts (school_id, user_id, fields) values (:school, $1, $2)
     on conflict (school_id, user_id) do update set fields = excluded.fields, updated_at = now() returning id`, [userId, JSON.stringify(fields)]);
  await audit(db, { schoolId, actor: by.actor, action: 'incident.draft_saved', recordType: 'incident_draft', recordId: row.id, ip: by.ip, detail: { fields: Object.keys(values), people: fields.people.length } });
  return row.id;
}

/** The user's draft report, or null. */
export async function loadDraft(db: Queryable, schoolId: string, userId: string): Promise<ReportDraft | null> {
  const [row] = await schoolScope(db, schoolId).sql<{ fields: { values: Record<string, unknown>; people: Involved[] }; updated_at: Date }>(
    'select fields, updated_at from incident_drafts where school_id = :school and user_id = $1', [userId]);
  return row ? { values: row.fields.values ?? {}, people: row.fields.people ?? [], updatedAt: row.updated_at } : null;
}

/** Removes the user's draft (once the report is sent, or when they start again). */
export async function discardDraft(db: Queryable, schoolId: string, userId: string) {
  await schoolScope(db, schoolId).sql('delete from incident_drafts where school_id = :school and user_id = $1', [userId]);
}
