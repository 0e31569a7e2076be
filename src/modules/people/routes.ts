import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import type { AppDeps } from '../../app';
import { audit } from '../../platform/audit/audit';
import { errorMap, parseForm, type FieldError } from '../../platform/http/forms';
import { ForbiddenError, NotFoundError, recordId } from '../../platform/http/errors';
import { roles as roleLabels, roleNames } from '../../platform/permissions/roles';
import {
  filtersSchema, getPerson, groupsOf, kindsWithRoles, listPeople, markLeft, mayGrantPrivilegedRoles, personKinds, personSchema,
  PersonFieldError, privilegedRoles, savePerson, yearGroups, type PeopleFilters,
} from './service';
import {
  commitImport, decodeUpload, fileSha256, ImportFileError, ImportHasProblemsError, importFields, importKinds, isImportKind,
  mappingProblems, markImportLeavers, maxImportBytes, parseCsv, planImport, suggestMapping, type ImportKind, type ImportMapping,
} from './import';

interface UploadedFile {
  filename: string;
  data: Buffer;
  truncated: boolean;
}

interface Draft {
  id: string;
  kind: ImportKind;
  full_import: boolean;
  file_name: string;
  csv_text: string;
  mapping: ImportMapping;
}

const v = 'people/views';
const kindItems = Object.entries(personKinds).map(([value, text]) => ({ value, text }));
const roleItems = roleNames.map((r) => ({ value: r, text: roleLabels[r] }));
const privilegedRoleNames = privilegedRoles.map((r) => roleLabels[r]).join(', ');

/** People: the list, a person's record, adding and changing people, and imports from the MIS. */
export default async function peopleRoutes(app: FastifyInstance, deps: AppDeps) {
  const { db } = deps;

  // File uploads for the import only. The whole form is read while the body is parsed (not in
  // a later hook), so its CSRF token is in req.body when the app's CSRF check runs.
  await app.register(multipart, { limits: { fileSize: maxImportBytes, files: 1, fields: 10, parts: 12 }, throwFileSizeLimit: false });
  app.removeContentTypeParser('multipart/form-data');
  app.addContentTypeParser('multipart/form-data', async (req: FastifyRequest) => {
    (req as any).isMultipart = () => true;
    const body: Record<string, string | UploadedFile> = {};
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        const data = await part.toBuffer();
        body[part.fieldname] = { filename: part.filename, data, truncated: part.file.truncated };
      } else {
        body[part.fieldname] = String(part.value ?? '');
      }
    }
    return body;
  });

  // ---- The list ----

  const listPage = async (req: FastifyRequest, reply: FastifyReply, input: unknown) => {
    const f = filtersSchema.parse(input ?? {}) as PeopleFilters;
    const scope = req.ctx.scope();
    const [{ people, total, pages }, groups] = await Promise.all([listPeople(scope, f), groupsOf(scope)]);
    return reply.page(`${v}/list.njk`, {
      title: 'People', people, total, pages, filters: f, page: f.page, kindItems, kinds: personKinds, roleNames: roleLabels,
      years: groups.years, classes: groups.classes,
    });
  };
  // Filters come by GET from links, or by POST from the filter form, so a name searched for
  // never sits in a URL (or in browser history).
  app.get('/people', { config: { action: 'people:list' } }, async (req, reply) => {
    const { q: _q, ...query } = (req.query ?? {}) as Record<string, unknown>;
    return listPage(req, reply, query);
  });
  app.post('/people', { config: { action: 'people:list' } }, async (req, reply) => listPage(req, reply, req.body));

  // ---- Adding and changing a person ----

  const formPage = (reply: FastifyReply, req: FastifyRequest, data: { personId?: string; values: Record<string, unknown>; errors?: FieldError[] }, status = 200) =>
    reply.page(`${v}/form.njk`, {
      title: data.personId ? 'Change a person' : 'Add a person',
      personId: data.personId, values: data.values, errors: data.errors ?? [], fieldErrors: errorMap(data.errors),
      kindItems, roleItems, yearGroups, kindsWithRoles: kindsWithRoles.map((k) => personKinds[k].toLowerCase()).join(', '),
      privilegedRoleNames, mayGrantPrivileged: mayGrantPrivilegedRoles(req.ctx.roles),
    }, status);

  const submit = async (req: FastifyRequest, reply: FastifyReply, personId: string | null) => {
    const form = parseForm(personSchema, req.body);
    const values = form.ok ? { ...(req.body as object) } as Record<string, unknown> : form.values;
    values.roles = [(values.roles as string | string[] | undefined) ?? []].flat();
    if (!form.ok) return formPage(reply, req, { personId: personId ?? undefined, values, errors: form.errors }, 400);
    try {
      const id = await db.transaction(async (tx) => savePerson(tx, req.ctx.scope(tx), personId, form.data, { actor: req.ctx.actor, roles: req.ctx.roles, ip: req.ip }));
      if (!id) throw new NotFoundError();
      req.session.flash = personId ? 'Changes saved.' : 'Person added.';
      return reply.redirect(req.ctx.can('people:view') ? `/people/${id}` : '/people', 303);
    } catch (e) {
      if (e instanceof PersonFieldError) return formPage(reply, req, { personId: personId ?? undefined, values, errors: [{ field: e.field, text: e.message }] }, 400);
      throw e;
    }
  };

  app.get('/people/new', { config: { action: 'people:edit' } }, async (req, reply) =>
    formPage(reply, req, { values: { kind: 'staff', roles: [] } }));
  app.post('/people/new', { config: { action: 'people:edit' } }, async (req, reply) => submit(req, reply, null));

  // ---- Import from the MIS ----

  const uploadPage = (reply: FastifyReply, values: Record<string, unknown>, errors: FieldError[] = [], status = 200) =>
    reply.page(`${v}/import-upload.njk`, {
      title: 'Import people', values, errors, fieldErrors: errorMap(errors),
      kindItems: (Object.keys(importKinds) as ImportKind[]).map((k) => ({ value: k, text: importKinds[k].label, checked: values.kind === k })),
    }, status);

  app.get('/people/import', { config: { action: 'people:import' } }, async (req, reply) => uploadPage(reply, { kind: 'pupils' }));

  app.post('/people/import', { config: { action: 'people:import' } }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const values = { kind: body.kind, full: body.full === 'yes' };
    const errors: FieldError[] = [];
    if (!isImportKind(body.kind)) errors.push({ field: 'kind', text: 'Choose what the file lists: pupils, staff or contacts' });
    const file = body.file as UploadedFile | undefined;
    let text = '';
    let headers: string[] = [];
    if (!file || typeof file !== 'object' || !file.filename) {
      errors.push({ field: 'file', text: 'Choose the CSV file exported from your MIS' });
    } else if (file.truncated) {
      errors.push({ field: 'file', text: 'The file is larger than 5 MB. Export fewer columns, or split it into smaller files.' });
    } else {
      try {
        text = decodeUpload(file.data);
        headers = parseCsv(text).headers;
      } catch (e) {
        if (!(e instanceof ImportFileError)) throw e;
        errors.push({ field: 'file', text: e.message });
      }
    }
    if (errors.length) return uploadPage(reply, values, errors, 400);
    const kind = body.kind as ImportKind;
    const draftId = await db.transaction(async (tx) => {
      const scope = req.ctx.scope(tx);
      // Uploads left behind (never imported) do not linger.
      await scope.sql(`delete from people_import_drafts where school_id = :school and created_at < now() - interval '1 day'`);
      const [draft] = await scope.sql<{ id: string }>(
        `insert into people_import_drafts (school_id, created_by, kind, full_import, file_name, file_sha256, csv_text, mapping)
         values (:school, $1, $2, $3, $4, $5, $6, $7) returning id`,
        [req.ctx.user!.id, kind, values.full, file!.filename.slice(0, 200), fileSha256(text), text, JSON.stringify(suggestMapping(kind, headers))],
      );
      return draft.id;
    });
    return reply.redirect(`/people/import/${draftId}`, 303);
  });

  const loadDraft = async (req: FastifyRequest): Promise<Draft> => {
    const id = recordId((req.params as any).draftId);
    const [draft] = await req.ctx.scope().sql<Draft>(
      'select id, kind, full_import, file_name, csv_text, mapping from people_import_drafts where school_id = :school and id = $1 and created_by = $2',
      [id, req.ctx.user!.id],
    );
    if (!draft) throw new NotFoundError();
    return draft;
  };

  const mappingPage = (reply: FastifyReply, draft: Draft, mapping: ImportMapping, errors: FieldError[] = [], status = 200) => {
    const headers = parseCsv(draft.csv_text).headers.filter(Boolean);
    const fieldErrors = errorMap(errors);
    const fields = importFields[draft.kind].map((fld) => ({
      id: `map_${fld.key}`, label: fld.label, required: fld.required, error: fieldErrors[`map_${fld.key}`] ?? null,
      items: [{ value: '', text: fld.required ? 'Choose a column' : 'Not in this file', selected: !mapping[fld.key] },
        ...headers.map((h) => ({ value: h, text: h, selected: mapping[fld.key] === h }))],
    }));
    return reply.page(`${v}/import-mapping.njk`, { title: 'Match the columns', draft, kindLabel: importKinds[draft.kind].label, fields, errors }, status);
  };

  app.get('/people/import/:draftId', { config: { action: 'people:import' } }, async (req, reply) => {
    const draft = await loadDraft(req);
    return mappingPage(reply, draft, draft.mapping);
  });

  const checkPage = async (req: FastifyRequest, reply: FastifyReply, draft: Draft, extra: { problems?: ImportHasProblemsError['problems'] } = {}, status = 200) => {
    const table = parseCsv(draft.csv_text);
    const plan = await planImport(db, req.ctx.school!.id, draft.kind, table, draft.mapping, draft.full_import);
    const problems = extra.problems ?? plan.problems;
    return reply.page(`${v}/import-check.njk`, {
      title: problems.length ? 'Problems in the file' : 'Check the import', draft, kindLabel: importKinds[draft.kind].label, plan, problems,
      refused: !!extra.problems,
    }, status);
  };

  app.post('/people/import/:draftId/check', { config: { action: 'people:import' } }, async (req, reply) => {
    const draft = await loadDraft(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const mapping: ImportMapping = Object.fromEntries(importFields[draft.kind].map((fld) => [fld.key, typeof body[`map_${fld.key}`] === 'string' ? String(body[`map_${fld.key}`]) : '']));
    const headers = parseCsv(draft.csv_text).headers;
    const problems = mappingProblems(draft.kind, headers, mapping);
    if (problems.length) {
      const errors = problems.map((p) => ({ field: `map_${importFields[draft.kind].find((x) => x.label === p.field)?.key ?? 'mis_id'}`, text: p.message }));
      return mappingPage(reply, draft, mapping, errors, 400);
    }
    await req.ctx.scope().sql('update people_import_drafts set mapping = $1 where school_id = :school and id = $2', [JSON.stringify(mapping), draft.id]);
    return checkPage(req, reply, { ...draft, mapping });
  });

  app.post('/people/import/:draftId/commit', { config: { action: 'people:import' } }, async (req, reply) => {
    const draft = await loadDraft(req);
    try {
      const result = await commitImport(db, {
        schoolId: req.ctx.school!.id, kind: draft.kind, fileName: draft.file_name, text: draft.csv_text, mapping: draft.mapping,
        full: draft.full_import, actor: req.ctx.actor, ip: req.ip,
        alsoInTransaction: (tx) => req.ctx.scope(tx).sql('delete from people_import_drafts where school_id = :school and id = $1', [draft.id]),
      });
      return reply.redirect(`/people/import/runs/${result.importId}`, 303);
    } catch (e) {
      if (e instanceof ImportHasProblemsError) return checkPage(req, reply, draft, { problems: e.problems }, 400);
      throw e;
    }
  });

  const runPage = async (req: FastifyRequest, reply: FastifyReply, importId: string, errors: FieldError[] = [], status = 200) => {
    const scope = req.ctx.scope();
    const run = await scope.one('people_imports', { id: importId });
    if (!run) throw new NotFoundError();
    const missing = await scope.sql(
      `select id, kind, given_name, family_name, year_group, class_name, left_on from people
        where school_id = :school and id = any($1::uuid[]) order by family_name, given_name`, [run.missing_person_ids]);
    return reply.page(`${v}/import-result.njk`, {
      title: 'Import finished', run, kindLabel: isImportKind(run.kind) ? importKinds[run.kind as ImportKind].label : run.kind,
      missing, stillHere: missing.filter((p: any) => !p.left_on), errors,
    }, status);
  };

  app.get('/people/import/runs/:importId', { config: { action: 'people:import' } }, async (req, reply) =>
    runPage(req, reply, recordId((req.params as any).importId)));

  app.post('/people/import/leavers', { config: { action: 'people:import' } }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const importId = recordId(body.importId);
    const chosen = [body.person ?? []].flat().map(String).filter((x) => /^[0-9a-f-]{36}$/i.test(x));
    if (!chosen.length) return runPage(req, reply, importId, [{ field: 'person', text: 'Choose the people who have left' }], 400);
    if (!req.ctx.can('people:edit')) throw new ForbiddenError();
    const marked = await markImportLeavers(db, req.ctx.school!.id, importId, chosen, req.ctx.actor, req.ip);
    if (marked === null) throw new NotFoundError();
    req.session.flash = `${marked.length} ${marked.length === 1 ? 'person is' : 'people are'} marked as having left today.`;
    return reply.redirect(`/people/import/runs/${importId}`, 303);
  });

  // ---- A person's record ----

  const loadPerson = async (req: FastifyRequest, purpose: 'record' | 'edit') => {
    const id = recordId((req.params as any).personId);
    return db.transaction(async (tx) => {
      const found = await getPerson(req.ctx.scope(tx), id);
      if (!found) throw new NotFoundError();
      // Opening a record (date of birth, contacts) is a sensitive view: it is on the trail.
      await audit(tx, { schoolId: req.ctx.school!.id, actor: req.ctx.actor, action: 'person.viewed', recordType: 'person', recordId: id, ip: req.ip, detail: { purpose } });
      return found;
    });
  };

  app.get('/people/:personId', { config: { action: 'people:view' } }, async (req, reply) => {
    const { person, roles, parents, children } = await loadPerson(req, 'record');
    return reply.page(`${v}/record.njk`, { title: `${person.given_name} ${person.family_name}`, person, roles, parents, children, kinds: personKinds, roleNames: roleLabels });
  });

  app.get('/people/:personId/edit', { config: { action: 'people:edit' } }, async (req, reply) => {
    const { person, roles } = await loadPerson(req, 'edit');
    const values: Record<string, unknown> = { ...person, roles };
    if (person.date_of_birth) {
      const [y, m, d] = String(person.date_of_birth).split('-');
      values.date_of_birth = `${d}/${m}/${y}`;
    }
    return formPage(reply, req, { personId: person.id, values });
  });
  app.post('/people/:personId/edit', { config: { action: 'people:edit' } }, async (req, reply) =>
    submit(req, reply, recordId((req.params as any).personId)));

  app.post('/people/:personId/leaver', { config: { action: 'people:edit' } }, async (req, reply) => {
    const id = recordId((req.params as any).personId);
    const found = await db.transaction((tx) => markLeft(tx, req.ctx.scope(tx), id, { actor: req.ctx.actor, ip: req.ip }));
    if (!found) throw new NotFoundError();
    req.session.flash = 'Marked as having left today. If they could sign in to Harbour, they no longer can.';
    return reply.redirect(req.ctx.can('people:view') ? `/people/${id}` : '/people', 303);
  });
}
