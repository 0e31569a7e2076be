/** The user may not do this. Shown as a 403 page that says no more than that. */
export class ForbiddenError extends Error {
  readonly statusCode = 403;
  constructor() {
    super('Forbidden');
  }
}

/** No such record in this school (also used for records the user may not know exist). */
export class NotFoundError extends Error {
  readonly statusCode = 404;
  constructor() {
    super('Not found');
  }
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A record id from a URL; anything that is not a UUID is simply not found. */
export function recordId(value: unknown): string {
  if (typeof value !== 'string' || !uuidPattern.test(value)) throw new NotFoundError();
  return value.toLowerCase();
}
