import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { Pool } from './pool.js';

export const migrationsFolder = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../migrations',
);

// Replicas starting together must not apply migrations twice.
const MIGRATION_LOCK = 72_001;

export async function runMigrations(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migrate(drizzle(client), { migrationsFolder });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
}

const expectedMigrations = (): number =>
  JSON.parse(readFileSync(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8')).entries.length;

/** True when every committed migration has been applied to this database. */
export async function migrationsApplied(pool: Pool): Promise<boolean> {
  const res = await pool
    .query<{ n: number }>('select count(*)::int as n from drizzle.__drizzle_migrations')
    .catch(() => ({ rows: [{ n: -1 }] }));
  return (res.rows[0]?.n ?? -1) >= expectedMigrations();
}
