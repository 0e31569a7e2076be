// Drafts of reports not yet sent, saved on every submit of the report form (a rejected one too),
// so a validation error or a lost session never loses what was typed. A user may have several:
// each report form carries its own draft's id, and starting a new report starts a new draft.
import type { Queryable } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { audit, type Actor } from '../../platform/audit/audit';
import type { Involved } from './service';

/** What a draft keeps: the form's values as typed, and the people added so far. */
export interface ReportDraft { id?: string; values: Record<string, unknown>; people: Involved[]; updatedAt?: Date }

const keep = ['summary', 'occurred_date', 'occurred_time', 'location', 'device', 'came_to_light', 'category', 'concern_about', 'device_held_at', 'website_url', 'website_seen'];
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A draft id as a form sent it, or null. */
export const draftIdOf = (x: unknown): string | null => (typeof x === 'string' && uuid.test(x) ? x : null);

/**
 * Saves the user's draft report: the one with draftId when it is still theirs, or a new one.
 * Only the report's own fields are kept, each at most 10,000 characters. Returns the draft's id.
 */
export async function saveDraft(db: Queryable, schoolId: string, userId: string, draft: ReportDraft, by: { actor: Actor; ip: string | null }, draftId: string | null = null) {
  const values: Record<string, string> = {};
  for (const k of keep) if (typeof draft.values[k] === 'string') values[k] = (draft.values[k] as string).slice(0, 10_000);
  const fields = JSON.stringify({ values, people: draft.people.slice(0, 50) });
  const scope = schoolScope(db, schoolId);
  let [row] = draftId ? await scope.sql<{ id: string }>(
    'update incident_drafts set fields = $3, updated_at = now() where school_id = :school and user_id = $1 and id = $2 returning id', [userId, draftId, fields]) : [];
  // A draft deleted in another tab (or never there) is saved afresh rather than lost.
  [row] = row ? [row] : await scope.sql<{ id: string }>('insert into incident_drafts (school_id, user_id, fields) values (:school, $1, $2) returning id', [userId, fields]);
  await audit(db, { schoolId, actor: by.actor, action: 'incident.draft_saved', recordType: 'incident_draft', recordId: row.id, ip: by.ip, detail: { fields: Object.keys(values), people: draft.people.slice(0, 50).length } });
  return row.id;
}

type Row = { id: string; fields: { values: Record<string, unknown>; people: Involved[] }; updated_at: Date };
const draftOf = (row: Row): ReportDraft => ({ id: row.id, values: row.fields.values ?? {}, people: row.fields.people ?? [], updatedAt: row.updated_at });

/** One of the user's drafts (the latest when draftId is 'latest'), or null. */
export async function loadDraft(db: Queryable, schoolId: string, userId: string, draftId: string): Promise<ReportDraft | null> {
  if (draftId !== 'latest' && !uuid.test(draftId)) return null;
  const [row] = await schoolScope(db, schoolId).sql<Row>(
    `select id, fields, updated_at from incident_drafts where school_id = :school and user_id = $1 and ($2::uuid is null or id = $2::uuid)
      order by updated_at desc limit 1`, [userId, draftId === 'latest' ? null : draftId]);
  return row ? draftOf(row) : null;
}

/** The user's drafts, newest first, with the start of what each says. */
export async function listDrafts(db: Queryable, schoolId: string, userId: string) {
  const rows = await schoolScope(db, schoolId).sql<Row>(
    'select id, fields, updated_at from incident_drafts where school_id = :school and user_id = $1 order by updated_at desc limit 50', [userId]);
  return rows.map((r) => {
    const d = draftOf(r);
    return { id: d.id!, updatedAt: d.updatedAt!, summary: String(d.values.summary ?? '').slice(0, 80), people: d.people.length };
  });
}

/** Removes one of the user's drafts (once its report is sent, or when they delete it). Whether there was one. */
export async function discardDraft(db: Queryable, schoolId: string, userId: string, draftId: string | null): Promise<boolean> {
  if (!draftId) return false;
  const rows = await schoolScope(db, schoolId).sql('delete from incident_drafts where school_id = :school and user_id = $1 and id = $2 returning id', [userId, draftId]);
  return rows.length > 0;
}
