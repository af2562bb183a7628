/**
 * The database port and its two adapters: node-postgres (`pg.Pool`) when a
 * DATABASE_URL is given, embedded PGlite otherwise. This is the only module that
 * imports either driver; everything else talks to the `Db` interface.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';

export type SqlParam = string | number | boolean | null | readonly string[] | readonly number[] | readonly boolean[];

export interface QueryOptions {
  /**
   * Keep the statement prepared on each connection and let PostgreSQL reuse its plan.
   * For statements whose best plan does not depend on the parameter values (lookups by
   * key): planning them costs more than running them. Ignored by PGlite.
   */
  readonly prepare?: boolean;
}

export interface Queryable {
  query<R extends object>(sql: string, params?: readonly SqlParam[], options?: QueryOptions): Promise<R[]>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs fn in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// int8 and numeric come back as strings; callers convert (microsecond values fit in a double).
function createPgDb(connectionString: string, poolSize: number): Db {
  // JIT compilation pays off for long analytical queries; ours are short keyset reads whose
  // estimated cost (policy subqueries) crosses jit_above_cost, and compiling then costs
  // more than the query: measured 40–90 ms added to a 10 ms page.
  const pool = new pg.Pool({ connectionString, max: poolSize, options: '-c jit=off' });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it on next use.
  });
  const names = new Map<string, string>();
  const statement = (text: string, params: readonly SqlParam[], options: QueryOptions | undefined): pg.QueryConfig => {
    if (options?.prepare !== true) return { text, values: params as unknown[] };
    let name = names.get(text);
    if (name === undefined) {
      name = `taxii_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
      names.set(text, name);
    }
    return { name, text, values: params as unknown[] };
  };
  const viaClient = (client: pg.ClientBase): Queryable => ({
    async query<R extends object>(sql: string, params: readonly SqlParam[] = [], options?: QueryOptions) {
      const result = await client.query<R>(statement(sql, params, options));
      return result.rows;
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  });
  return {
    kind: 'postgres',
    async query<R extends object>(sql: string, params: readonly SqlParam[] = [], options?: QueryOptions) {
      const result = await pool.query<R>(statement(sql, params, options));
      return result.rows;
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(viaClient(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

async function createPgliteDb(dataDir: string | undefined): Promise<Db> {
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const lite = dataDir === undefined ? await PGlite.create() : await PGlite.create(dataDir);
  type LiteQueryable = Pick<PGlite, 'query' | 'exec'>;
  const wrap = (target: LiteQueryable): Queryable => ({
    async query<R extends object>(sql: string, params: readonly SqlParam[] = []) {
      const result = await target.query<R>(sql, params as unknown[]);
      return result.rows;
    },
    async exec(sql: string) {
      await target.exec(sql);
    },
  });
  const base = wrap(lite);
  return {
    kind: 'pglite',
    query: base.query,
    exec: base.exec,
    transaction: (fn) => lite.transaction((tx) => fn(wrap(tx))),
    close: () => lite.close(),
  };
}

export interface DbOptions {
  /** postgres://… ; when absent the embedded PGlite database is used. */
  databaseUrl?: string;
  /** PGlite data directory; undefined keeps the database in memory (tests). */
  dataDir?: string;
  poolSize?: number;
}

export async function openDb(options: DbOptions): Promise<Db> {
  if (options.databaseUrl !== undefined && options.databaseUrl !== '') {
    return createPgDb(options.databaseUrl, options.poolSize ?? 10);
  }
  return createPgliteDb(options.dataDir);
}

/** int8 columns arrive as string (pg) or bigint/number (PGlite). */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  throw new TypeError(`expected an integer column, got ${typeof value}`);
}
