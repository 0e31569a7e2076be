import { z } from 'zod';

/** One problem with a form, named by the field it belongs to (the id of its input). */
export interface FieldError {
  field: string;
  text: string;
}

export type FormResult<T> = { ok: true; data: T } | { ok: false; errors: FieldError[]; values: Record<string, unknown> };

/**
 * Validates a submitted form with a zod schema. Every message names its field (schemas give
 * each field a message a person understands); the submitted values come back so the page
 * re-renders with what the user typed.
 */
export function parseForm<S extends z.ZodTypeAny>(schema: S, body: unknown): FormResult<z.output<S>> {
  const values = (body && typeof body === 'object' ? { ...(body as Record<string, unknown>) } : {}) as Record<string, unknown>;
  delete values._csrf;
  for (const k of Object.keys(values)) if (/password|code|secret/i.test(k)) delete values[k];
  const result = schema.safeParse(body ?? {});
  if (result.success) return { ok: true, data: result.data };
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? 'form');
    if (seen.has(field)) continue;
    seen.add(field);
    errors.push({ field, text: issue.message });
  }
  return { ok: false, errors, values };
}

/** Error messages keyed by field, as the govuk macros want them. */
export function errorMap(errors: FieldError[] | undefined): Record<string, { text: string }> {
  return Object.fromEntries((errors ?? []).map((e) => [e.field, { text: e.text }]));
}

/** A trimmed text field; empty becomes undefined. */
export const optionalText = (max = 200, label = 'This field') =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : typeof v === 'string' ? v.trim() : v),
    z.string().max(max, `${label} must be ${max} characters or fewer`).optional());

/** A required trimmed text field with a message that names it. */
export const requiredText = (label: string, max = 200) =>
  z.preprocess((v) => (typeof v === 'string' ? v.trim() : ''),
    z.string().min(1, `Enter ${label}`).max(max, `${label[0].toUpperCase()}${label.slice(1)} must be ${max} characters or fewer`));
