// The school's own list of incident categories: seeded with a default (defaults.ts), then kept
// by the people who keep the sanctions matrices. A category in use is never deleted: it is
// retired, which takes it off the report form and keeps every incident that used it intact.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../app';
import type { Queryable } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { audit, type Actor } from '../../platform/audit/audit';
import { errorMap, parseForm, requiredText, type FieldError } from '../../platform/http/forms';
import { NotFoundError } from '../../platform/http/errors';
import { ensureIncidentDefaults } from './matrix';
import { IncidentFieldError } from './service';
import { IncidentScope, viewerOf, type Viewer } from './visibility';
import { items, riskAreas, type RiskArea } from './vocabulary';

/** What a form posted, without its CSRF token, to show again. */
const formValues = (body: Record<string, unknown>) => { const { _csrf, ...rest } = body; return rest; };
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface CategoryInput {
  label: string;
  riskArea: RiskArea;
  /** Suspected illegal material: the form warns, needs where the device is, and refuses uploads. */
  suspectedIllegalMaterial: boolean;
  /** The law may be broken: the flowchart sends it to the police. */
  illegal: boolean;
}

/**
 * Every category of the school, retired ones last, with how many incidents used each: only
 * those the viewer may know of, so a count never gives away a concern they cannot see.
 */
export async function allCategories(db: Queryable, schoolId: string, viewer: Viewer) {
  return new IncidentScope(db, schoolId, viewer).sql<{ id: string; code: string; label: string; risk_area: RiskArea; suspected_illegal_material: boolean; illegal: boolean; retired_at: Date | null; used: number }>(
    `select c.id, c.code, c.label, c.risk_area, c.suspected_illegal_material, c.illegal, c.retired_at,
            (select count(*)::int from visible_incidents v where v.category_id = c.id) as used
       from incident_categories c where c.school_id = :school order by c.retired_at is not null, c.position, c.label`);
}

/** A code for a new label (lower case words joined by _), unique in the school. */
async function codeFor(db: Queryable, schoolId: string, label: string): Promise<string> {
  const base = label.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 50) || 'category';
  const taken = new Set((await schoolScope(db, schoolId).sql<{ code: string }>('select code from incident_categories where school_id = :school and code like $1', [`${base}%`])).map((r) => r.code));
  let code = base;
  for (let n = 2; taken.has(code); n++) code = `${base}_${n}`;
  return code;
}

async function labelTaken(db: Queryable, schoolId: string, label: string, except: string | null) {
  const rows = await schoolScope(db, schoolId).sql('select 1 from incident_categories where school_id = :school and lower(label) = lower($1) and ($2::uuid is null or id <> $2)', [label, except]);
  return rows.length > 0;
}

/** Adds a category at the end of the school's list. Returns its id. */
export async function addCategory(db: Queryable, schoolId: string, input: CategoryInput, by: { actor: Actor; ip: string | null }): Promise<string> {
  await ensureIncidentDefaults(db, schoolId);
  if (await labelTaken(db, schoolId, input.label, null)) throw new IncidentFieldError('label', 'There is already a category with this name');
  const scope = schoolScope(db, schoolId);
  const [row] = await scope.sql<{ id: string }>(
    `insert into incident_categories (school_id, code, label, risk_area, suspected_illegal_material, illegal, position)
     values (:school, $1, $2, $3, $4, $5, (select coalesce(max(position), 0) + 1 from incident_categories where school_id = :school)) returning id`,
    [await codeFor(db, schoolId, input.label), input.label, input.riskArea, input.suspectedIllegalMaterial, input.illegal || input.suspectedIllegalMaterial]);
  await audit(db, { schoolId, actor: by.actor, action: 'incident_category.added', recordType: 'incident_category', recordId: row.id, ip: by.ip, detail: { riskArea: input.riskArea, suspectedIllegalMaterial: input.suspectedIllegalMaterial } });
  return row.id;
}

/** Changes a category's name, risk area and flags, or retires or restores it. Null when it is not this school's. */
export async function changeCategory(db: Queryable, schoolId: string, id: string, input: CategoryInput & { retired: boolean }, by: { actor: Actor; ip: string | null }): Promise<string | null> {
  const scope = schoolScope(db, schoolId);
  const [current] = await scope.sql<{ id: string; retired_at: Date | null }>('select id, retired_at from incident_categories where school_id = :school and id = $1 for update', [id]);
  if (!current) return null;
  if (await labelTaken(db, schoolId, input.label, id)) throw new IncidentFieldError('label', 'There is already a category with this name');
  if (input.retired && !current.retired_at) {
    const [left] = await scope.sql<{ n: number }>('select count(*)::int as n from incident_categories where school_id = :school and retired_at is null and id <> $1', [id]);
    if (left.n === 0) throw new IncidentFieldError('retired', 'Keep at least one category in use, or staff cannot report');
  }
  await scope.sql(
    `update incident_categories set label = $2, risk_area = $3, suspected_illegal_material = $4, illegal = $5,
            retired_at = case when $6 then coalesce(retired_at, now()) end
      where school_id = :school and id = $1`,
    [id, input.label, input.riskArea, input.suspectedIllegalMaterial, input.illegal || input.suspectedIllegalMaterial, input.retired]);
  await audit(db, { schoolId, actor: by.actor, action: input.retired ? 'incident_category.retired' : 'incident_category.changed', recordType: 'incident_category', recordId: id, ip: by.ip, detail: { riskArea: input.riskArea, suspectedIllegalMaterial: input.suspectedIllegalMaterial, retired: input.retired } });
  return id;
}

const yes = z.preprocess((x) => x === 'yes', z.boolean());
const categorySchema = z.object({
  label: requiredText('the name of the category', 200),
  risk_area: z.enum(Object.keys(riskAreas) as [RiskArea, ...RiskArea[]], { message: 'Choose the risk area it belongs to' }),
  suspected_illegal_material: yes,
  illegal: yes,
  retired: yes,
});

/** The categories page and its two forms, inside the incidents plugin. */
export function registerIncidentCategories(app: FastifyInstance, deps: AppDeps) {
  const { db } = deps;
  const v = 'incidents/views';

  const page = async (req: any, reply: any, extra: { errors?: FieldError[]; values?: Record<string, unknown>; editing?: string | null } = {}, status = 200) => {
    const schoolId = req.ctx.school!.id as string;
    await db.transaction((tx) => ensureIncidentDefaults(tx, schoolId));
    const categories = await allCategories(db, schoolId, viewerOf(req.ctx));
    const q = (req.query ?? {}) as Record<string, unknown>;
    const editingId = extra.editing ?? (typeof q.edit === 'string' && uuid.test(q.edit) ? q.edit : null);
    const editing = editingId ? categories.find((c) => c.id === editingId) ?? null : null;
    if (editingId && !editing) throw new NotFoundError();
    const values = extra.values ?? (editing ? { label: editing.label, risk_area: editing.risk_area, suspected_illegal_material: editing.suspected_illegal_material ? 'yes' : '', illegal: editing.illegal ? 'yes' : '', retired: editing.retired_at ? 'yes' : '' } : { risk_area: '' });
    return reply.page(`${v}/categories.njk`, {
      title: editing ? `Change the category: ${editing.label}` : 'Incident categories', categories, editing, riskAreas, values,
      riskItems: items(riskAreas, values.risk_area), errors: extra.errors, err: errorMap(extra.errors),
    }, status);
  };

  const run = (change: boolean) => async (req: any, reply: any) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const id = change ? (typeof body.category === 'string' && uuid.test(body.category) ? body.category : null) : null;
    if (change && !id) throw new NotFoundError();
    const form = parseForm(categorySchema, body);
    if (!form.ok) return page(req, reply, { errors: form.errors, values: form.values, editing: id }, 400);
    const d = form.data;
    const input = { label: d.label, riskArea: d.risk_area, suspectedIllegalMaterial: d.suspected_illegal_material, illegal: d.illegal };
    try {
      const done = await db.transaction((tx) => change
        ? changeCategory(tx, req.ctx.school!.id, id!, { ...input, retired: d.retired }, { actor: req.ctx.actor, ip: req.ip })
        : addCategory(tx, req.ctx.school!.id, input, { actor: req.ctx.actor, ip: req.ip }));
      if (!done) throw new NotFoundError();
    } catch (e) {
      if (e instanceof IncidentFieldError) return page(req, reply, { errors: [{ field: e.field, text: e.message }], values: formValues(body), editing: id }, 400);
      throw e;
    }
    req.session.flash = change ? (d.retired ? `"${d.label}" is retired: it is no longer offered on the report form.` : `"${d.label}" is saved.`) : `"${d.label}" is added to the report form.`;
    return reply.redirect('/incidents/categories', 303);
  };

  app.get('/incidents/categories', { config: { action: 'incidents:sanctions' } }, (req, reply) => page(req, reply));
  app.post('/incidents/categories', { config: { action: 'incidents:sanctions' } }, run(false));
  app.post('/incidents/categories/change', { config: { action: 'incidents:sanctions' } }, run(true));
}
