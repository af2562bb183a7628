/**
 * Forward-only migrations: migrations/NNNN_name.sql applied in order, each
 * recorded in schema_migrations. All pending files run in one transaction that
 * first takes an advisory lock, so two processes starting together never both
 * migrate: the second waits, then finds nothing left to do.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_DIR } from '../paths.js';
import type { Db } from './db.js';

const MIGRATION_LOCK_KEY = 7_428_190_331; // arbitrary, constant for this project
const FILE_PATTERN = /^(\d{4})_[a-z0-9_]+\.sql$/;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => FILE_PATTERN.test(f))
    .sort()
    .map((name) => ({ version: Number(name.slice(0, 4)), name, sql: readFileSync(join(dir, name), 'utf8') }));
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations: expected version ${i + 1}, found ${m.name}`);
  });
  return migrations;
}

/** Applies what is missing; returns the names applied by this call. */
export async function migrate(db: Db, migrations = readMigrations()): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY], { name: 'lock_migrations' });
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations', [], { name: 'applied_migrations' });
    const applied = new Set(rows.map((r) => Number(r.version)));
    const done: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name], { name: 'record_migration' });
      done.push(m.name);
    }
    return done;
  });
}

/**
 * The schema's state for readiness (http/routes/health.ts): how many of this
 * release's migrations the database has. A database restored from an older
 * backup, or one a newer release migrated, is not this process's schema.
 */
export async function appliedMigrations(db: Db): Promise<number> {
  const rows = await db.query<{ applied: unknown }>('SELECT count(*) AS applied FROM schema_migrations', [], { name: 'count_applied_migrations', prepare: true });
  return Number(rows[0]?.applied ?? 0);
}
