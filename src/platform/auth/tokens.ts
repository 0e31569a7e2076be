import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/database';

export type TokenPurpose = 'reset' | 'invite';

const lifetimes: Record<TokenPurpose, number> = { reset: 60 * 60 * 1000, invite: 7 * 24 * 60 * 60 * 1000 };

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Creates a one-use token for a user; only its hash is stored. Returns the token to email. */
export async function issueToken(db: Queryable, userId: string, purpose: TokenPurpose, schoolId: string | null): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db.query('update user_tokens set used_at = now() where user_id = $1 and purpose = $2 and used_at is null', [userId, purpose]);
  await db.query(
    'insert into user_tokens (user_id, school_id, purpose, token_hash, expires_at) values ($1, $2, $3, $4, $5)',
    [userId, schoolId, purpose, sha256(token), new Date(Date.now() + lifetimes[purpose])],
  );
  return token;
}

/** The unused, unexpired token row for this token, or null. */
export async function findToken(db: Queryable, token: string, purpose: TokenPurpose) {
  const r = await db.query<{ id: string; user_id: string; school_id: string | null }>(
    'select id, user_id, school_id from user_tokens where token_hash = $1 and purpose = $2 and used_at is null and expires_at > now()',
    [sha256(token), purpose],
  );
  return r.rows[0] ?? null;
}

/** Marks a token used; false if it was already used (two tabs racing). */
export async function useToken(db: Queryable, id: string): Promise<boolean> {
  const r = await db.query('update user_tokens set used_at = now() where id = $1 and used_at is null', [id]);
  return r.rowCount === 1;
}
