/**
 * A fresh database per test file: in-memory PGlite by default; a throwaway
 * PostgreSQL database when TAXII_TEST_DATABASE_URL names a server (CI sets it).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDb, type Db } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';

export const testDatabaseUrl = process.env['TAXII_TEST_DATABASE_URL'] || undefined;

export interface TestDb {
  readonly db: Db;
  /** postgres://… of this test's own database, or undefined on PGlite. */
  readonly url: string | undefined;
  close(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Runs one statement on its own connection (CREATE/DROP DATABASE cannot run in a transaction). */
export async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Opens (and migrates) a database of its own for one test file. */
export async function openTestDb(): Promise<TestDb> {
  if (testDatabaseUrl === undefined) {
    const db = await openDb({});
    await migrate(db);
    return { db, url: undefined, close: () => db.close() };
  }
  const name = `taxii_test_${randomBytes(6).toString('hex')}`;
  await admin(testDatabaseUrl, `CREATE DATABASE ${name}`);
  const url = withDatabase(testDatabaseUrl, name);
  const db = await openDb({ databaseUrl: url, poolSize: 8 });
  await migrate(db);
  return {
    db,
    url,
    async close() {
      await db.close();
      await admin(testDatabaseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
