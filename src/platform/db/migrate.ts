import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database';
import type { Logger } from '../logger';

export const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), '../../../migrations');

/**
 * Applies migrations/NNN_name.sql in order, each in its own transaction, under an advisory
 * lock so two processes never migrate at once. A changed file that was already applied is
 * refused: migrations are history, and history is not rewritten.
 */
export async function migrate(db: Database, log: Logger): Promise<string[]> {
  const files = readdirSync(migrationsDir).filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f)).sort();
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock(7356201)');
    await tx.query(`create table if not exists schema_migrations (
      name text primary key, checksum text not null, applied_at timestamptz not null default now())`);
    const done = new Map(
      (await tx.query<{ name: string; checksum: string }>('select name, checksum from schema_migrations')).rows.map((r) => [r.name, r.checksum]),
    );
    for (const file of files) {
      const sql = readFileSync(join(migrationsDir, file), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const was = done.get(file);
      if (was) {
        if (was !== checksum) throw new Error(`Migration ${file} has changed since it was applied; add a new migration instead.`);
        continue;
      }
      await tx.query(sql);
      await tx.query('insert into schema_migrations (name, checksum) values ($1, $2)', [file, checksum]);
      applied.push(file);
    }
  });
  if (applied.length) log.info({ applied }, 'database migrated');
  return applied;
}
