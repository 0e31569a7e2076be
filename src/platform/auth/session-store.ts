import type { Database } from '../db/database';

type Callback = (err?: any) => void;

/** Server-side sessions in PostgreSQL: the browser holds only a signed, random session id. */
export class PostgresSessionStore {
  constructor(private db: Database, private maxAgeMs: number) {}

  set(sid: string, session: any, cb: Callback) {
    const expires = session?.cookie?.expires ? new Date(session.cookie.expires) : new Date(Date.now() + this.maxAgeMs);
    this.db
      .query(
        `insert into sessions (sid, data, expires_at) values ($1, $2, $3)
         on conflict (sid) do update set data = excluded.data, expires_at = excluded.expires_at`,
        [sid, JSON.stringify(session), expires],
      )
      .then(() => cb(), cb);
  }

  get(sid: string, cb: (err: any, session?: any) => void) {
    this.db
      .query<{ data: any }>('select data from sessions where sid = $1 and expires_at > now()', [sid])
      .then((r) => cb(null, r.rows[0]?.data ?? null), cb);
  }

  destroy(sid: string, cb: Callback) {
    this.db.query('delete from sessions where sid = $1', [sid]).then(() => cb(), cb);
  }
}

/** Ends every session of a user (after a password reset, or when an account is disabled). */
export async function endSessionsOf(db: { query: Database['query'] }, userId: string): Promise<void> {
  await db.query(`delete from sessions where data->>'userId' = $1`, [userId]);
}
