import { createHash } from 'node:crypto';
import type { Queryable } from '../db/database';

/** Who did something: a signed-in user, an API key, or Harbour itself. */
export interface Actor {
  userId: string | null;
  /** A short label for the trail: the user's display name, "API key <name>", or "system". */
  label: string;
}

export const systemActor: Actor = { userId: null, label: 'system' };

/** One thing that happened. Detail holds identifiers and field names, never sensitive values. */
export interface AuditInput {
  schoolId: string | null;
  actor: Actor;
  /** What happened, as noun.verb: 'person.viewed', 'user.signed_in', 'people.imported'. */
  action: string;
  recordType?: string | null;
  recordId?: string | null;
  ip?: string | null;
  detail?: Record<string, string | number | boolean | null | string[]>;
}

export interface AuditRow {
  id: number;
  chain: string;
  seq: number;
  school_id: string | null;
  at: Date;
  actor_user_id: string | null;
  actor_label: string;
  action: string;
  record_type: string | null;
  record_id: string | null;
  ip: string | null;
  detail: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

const GENESIS = '0'.repeat(64);

/** JSON with keys sorted at every level, so the same entry always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return `{${Object.keys(value as object).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as any)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value instanceof Date ? value.toISOString() : value ?? null);
}

/** The hash of one entry: the previous entry's hash and this entry's content. */
export function entryHash(prevHash: string, e: Omit<AuditRow, 'id' | 'hash' | 'prev_hash'>): string {
  const body = canonical({
    chain: e.chain, seq: e.seq, school_id: e.school_id, at: new Date(e.at).toISOString(),
    actor_user_id: e.actor_user_id, actor_label: e.actor_label, action: e.action,
    record_type: e.record_type, record_id: e.record_id, ip: e.ip, detail: e.detail,
  });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

export function chainFor(schoolId: string | null): string {
  return schoolId ? `school:${schoolId}` : 'system';
}

/**
 * Appends an entry to the audit trail. Call it inside the transaction that makes the change,
 * so the change and its record are saved together or not at all.
 */
export async function audit(db: Queryable, input: AuditInput): Promise<void> {
  const chain = chainFor(input.schoolId);
  await db.query('select pg_advisory_xact_lock(hashtext($1))', [chain]);
  const last = await db.query<{ seq: number; hash: string }>(
    'select seq, hash from audit_events where chain = $1 order by seq desc limit 1',
    [chain],
  );
  const prev = last.rows[0];
  const row = {
    chain,
    seq: (prev?.seq ?? 0) + 1,
    school_id: input.schoolId,
    at: new Date(),
    actor_user_id: input.actor.userId,
    actor_label: input.actor.label,
    action: input.action,
    record_type: input.recordType ?? null,
    record_id: input.recordId ?? null,
    ip: input.ip ?? null,
    detail: input.detail ?? {},
  };
  const prevHash = prev?.hash ?? GENESIS;
  const hash = entryHash(prevHash, row);
  await db.query(
    `insert into audit_events (chain, seq, school_id, at, actor_user_id, actor_label, action, record_type, record_id, ip, detail, prev_hash, hash)
     values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
    [row.chain, row.seq, row.school_id, row.at, row.actor_user_id, row.actor_label, row.action, row.record_type, row.record_id, row.ip, JSON.stringify(row.detail), prevHash, hash],
  );
}

/** The first entry that no longer fits its chain, or null when every chain is whole. */
export interface VerifyResult {
  checked: number;
  chains: number;
  broken: null | { id: number; chain: string; seq: number; reason: string };
}

/**
 * Re-computes every chain from its start and names the first entry that does not fit.
 * With `chain` (e.g. chainFor(schoolId)), checks that one chain only.
 */
export async function verifyAuditTrail(db: Queryable, opts: { chain?: string } = {}): Promise<VerifyResult> {
  const chains = opts.chain
    ? (await db.query<{ chain: string }>('select distinct chain from audit_events where chain = $1', [opts.chain])).rows
    : (await db.query<{ chain: string }>('select distinct chain from audit_events order by chain')).rows;
  let checked = 0;
  for (const { chain } of chains) {
    let prevHash = GENESIS;
    let expectedSeq = 1;
    for (;;) {
      const rows = (await db.query<AuditRow>(
        'select * from audit_events where chain = $1 and seq >= $2 order by seq limit 5000',
        [chain, expectedSeq],
      )).rows;
      if (!rows.length) break;
      for (const r of rows) {
        checked++;
        if (r.seq !== expectedSeq) return { checked, chains: chains.length, broken: { id: r.id, chain, seq: r.seq, reason: `entry ${expectedSeq} of this chain is missing` } };
        if (r.prev_hash !== prevHash) return { checked, chains: chains.length, broken: { id: r.id, chain, seq: r.seq, reason: 'it does not point at the entry before it' } };
        if (entryHash(prevHash, r) !== r.hash) return { checked, chains: chains.length, broken: { id: r.id, chain, seq: r.seq, reason: 'its content was changed after it was written' } };
        prevHash = r.hash;
        expectedSeq++;
      }
    }
  }
  return { checked, chains: chains.length, broken: null };
}
