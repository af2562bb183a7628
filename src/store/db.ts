/**
 * The database port and its two adapters: node-postgres (`pg.Pool`) when a
 * DATABASE_URL is given, embedded PGlite otherwise. This is the only module that
 * imports either driver; everything else talks to the `Db` interface.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { taxiiError } from '../errors.js';
import { connectionLost, rethrowDatabaseError } from './db-errors.js';

export type SqlParam = string | number | boolean | null | readonly (string | null)[] | readonly number[] | readonly boolean[];

export interface QueryOptions {
  /**
   * What the statement does, in snake_case (e.g. `objects_page_joined`): prepared
   * statements are named after it, so it shows in pg_stat_statements and in the
   * server's logs of failed statements.
   */
  readonly name: string;
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
  /** Connections open, idle, and requests waiting for one (metrics); PGlite has one, never waited for here. */
  connections(): { readonly open: number; readonly idle: number; readonly waiting: number };
}

/** How long the database may take, in milliseconds (PostgreSQL only; PGlite runs in-process). */
export interface DbTimeouts {
  /** statement_timeout: a statement running longer is cancelled (503). */
  readonly statementMs: number;
  /** lock_timeout: a lock not granted within this time fails the statement (503). */
  readonly lockMs: number;
  /** Longest wait for a pooled connection, or for a new one to connect (503). */
  readonly acquireMs: number;
}

export const DEFAULT_DB_TIMEOUTS: DbTimeouts = Object.freeze({ statementMs: 30_000, lockMs: 5_000, acquireMs: 10_000 });

/**
 * Connections transactions may hold at once: the rest of the pool stays free for
 * reads, so writers queued on a collection lock never starve discovery or polling.
 */
function transactionSlots(poolSize: number): number {
  return Math.max(1, poolSize - Math.min(2, Math.floor(poolSize / 2)));
}

/** A counting semaphore whose waiters give up after `timeoutMs`. */
function createGate(slots: number, timeoutMs: number) {
  let free = slots;
  const waiting: (() => void)[] = [];
  return {
    async enter(): Promise<() => void> {
      if (free > 0) free -= 1;
      else {
        await new Promise<void>((resolve, reject) => {
          const admit = () => {
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(() => {
            waiting.splice(waiting.indexOf(admit), 1);
            reject(taxiiError('UNAVAILABLE', 'The server is busy writing; retry later.', undefined, 2));
          }, timeoutMs);
          waiting.push(admit);
        });
      }
      let left = false;
      return () => {
        if (left) return;
        left = true;
        const next = waiting.shift();
        if (next !== undefined) next();
        else free += 1;
      };
    },
  };
}

// int8 and numeric come back as strings; callers convert (microsecond values fit in a double).
function createPgDb(connectionString: string, poolSize: number, timeouts: DbTimeouts): Db {
  // JIT compilation pays off for long analytical queries; ours are short keyset reads whose
  // estimated cost (policy subqueries) crosses jit_above_cost, and compiling then costs
  // more than the query: measured 40–90 ms added to a 10 ms page.
  const settings = [
    'jit=off',
    `statement_timeout=${timeouts.statementMs}`,
    `lock_timeout=${timeouts.lockMs}`,
    // A transaction left open by a stuck process must not hold its locks forever.
    `idle_in_transaction_session_timeout=${timeouts.statementMs * 2}`,
  ];
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    options: settings.map((setting) => `-c ${setting}`).join(' '),
    connectionTimeoutMillis: timeouts.acquireMs,
    // statement_timeout cannot fire when the database cannot be reached at all: give up a little later.
    query_timeout: timeouts.statementMs + 5_000,
    keepAlive: true,
  });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it on next use.
  });
  const gate = createGate(transactionSlots(poolSize), timeouts.acquireMs);
  const names = new Map<string, string>();
  const statement = (text: string, params: readonly SqlParam[], options: QueryOptions | undefined): pg.QueryConfig => {
    if (options?.prepare !== true) return { text, values: params as unknown[] };
    let name = names.get(text);
    if (name === undefined) {
      // One statement name may carry one text per connection: the variants of a statement
      // (filters, scopes) are told apart by a digest of the text.
      name = `${options.name}_${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
      names.set(text, name);
    }
    return { name, text, values: params as unknown[] };
  };
  /** Statements on one checked-out client; `failed` sees each driver error before it is translated. */
  const viaClient = (client: pg.ClientBase, failed: (err: unknown) => void): Queryable => {
    const fail = (err: unknown): never => {
      failed(err);
      return rethrowDatabaseError(err);
    };
    return {
      async query<R extends object>(sql: string, params: readonly SqlParam[] = [], options?: QueryOptions) {
        const result = await client.query<R>(statement(sql, params, options)).catch(fail);
        return result.rows;
      },
      async exec(sql: string) {
        await client.query(sql).catch(fail);
      },
    };
  };

  /**
   * A client for a transaction, with `onError` listening from the moment it is handed
   * over: pg-pool hands a new client over from inside its socket handler, having removed
   * its own listener, so a listener added after an await may come too late for a
   * connection terminated right after it opened (an unhandled 'error' event ends the process).
   */
  const checkout = (onError: (err: Error) => void) =>
    new Promise<pg.PoolClient>((resolve, reject) => {
      pool.connect((err, client) => {
        if (err !== undefined && err !== null) reject(err);
        else if (client === undefined) reject(new Error('the pool handed over no client'));
        else {
          client.on('error', onError);
          resolve(client);
        }
      });
    });

  return {
    kind: 'postgres',
    async query<R extends object>(sql: string, params: readonly SqlParam[] = [], options?: QueryOptions) {
      // On an error the pool discards the connection it used, so a broken one is never reused.
      const result = await pool.query<R>(statement(sql, params, options)).catch(rethrowDatabaseError);
      return result.rows;
    },
    async exec(sql: string) {
      await pool.query(sql).catch(rethrowDatabaseError);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const leave = await gate.enter();
      // Once the connection is lost (or a statement on it never answered), it is destroyed:
      // a ROLLBACK would only queue behind the stuck statement. PostgreSQL rolls back a
      // transaction whose connection closes.
      let lost: unknown;
      const onError = (err: Error) => {
        lost ??= err;
      };
      const onFailedStatement = (err: unknown) => {
        if (connectionLost(err)) lost ??= err;
      };
      let client: pg.PoolClient;
      try {
        client = await checkout(onError).catch(rethrowDatabaseError);
      } catch (err) {
        leave();
        throw err;
      }
      const tx = viaClient(client, onFailedStatement);
      try {
        await tx.exec('BEGIN');
        const result = await fn(tx);
        await tx.exec('COMMIT');
        return result;
      } catch (err) {
        if (lost === undefined) await client.query('ROLLBACK').catch((rollbackFailed: unknown) => (lost = rollbackFailed));
        throw err;
      } finally {
        client.off('error', onError);
        // A client whose connection failed is destroyed, not returned to the pool.
        client.release(lost === undefined ? undefined : lost instanceof Error ? lost : new Error(String(lost)));
        leave();
      }
    },
    close: () => pool.end(),
    connections: () => ({ open: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}

/**
 * PostgreSQL's memory settings for the embedded database. Its memory is WebAssembly
 * memory, which grows to its high-water mark and is never given back, and shared buffers
 * are touched in full at start: these bound the server's footprint (PGlite's defaults are
 * the server defaults, 128 MB of shared buffers, 64 MB for maintenance). The operating
 * system's page cache still holds the data directory, so reads seldom reach the disk.
 */
const EMBEDDED_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '8MB',
  temp_buffers: '1MB',
  wal_buffers: '256kB',
  work_mem: '2MB',
  maintenance_work_mem: '8MB',
};

const embeddedStartParams = [...PGlite.defaultStartParams, ...Object.entries(EMBEDDED_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`])];

/** The file PostgreSQL writes last when it creates a data directory (and PGlite checks for). */
const DATA_DIR_MARK = 'PG_VERSION';
const STAGING_PREFIX = '.initdb-';

/**
 * Creates a new embedded data directory in a child process. Creating one runs initdb
 * inside WebAssembly, which leaves the process at over 800 MB of memory it never gives
 * back; the server opens the finished directory at a fraction of that. The database is
 * built in a staging directory inside the target (its parent may not be writable, as in
 * the Docker image) and moved up, the mark last, so an interrupted creation is recognised
 * rather than opened.
 */
async function createDataDir(dataDir: string): Promise<void> {
  for (const entry of readdirSync(dataDir)) if (entry.startsWith(STAGING_PREFIX)) rmSync(join(dataDir, entry), { recursive: true, force: true });
  const staging = mkdtempSync(join(dataDir, STAGING_PREFIX));
  try {
    const script = 'const { PGlite } = await import(process.argv[1]); await (await PGlite.create(process.argv[2])).close();';
    const child = spawn(process.execPath, ['--liftoff-only', '--input-type=module', '-e', script, import.meta.resolve('@electric-sql/pglite'), staging], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
    const code = await new Promise<number | null>((resolve, reject) => child.once('error', reject).once('close', resolve));
    if (code !== 0 || !existsSync(join(staging, DATA_DIR_MARK))) {
      throw new Error(`creating the embedded database in ${dataDir} failed (exit ${code}): ${stderr.trim()}`);
    }
    for (const entry of readdirSync(staging)) if (entry !== DATA_DIR_MARK) renameSync(join(staging, entry), join(dataDir, entry));
    renameSync(join(staging, DATA_DIR_MARK), join(dataDir, DATA_DIR_MARK));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function openDataDir(dataDir: string): Promise<PGlite> {
  mkdirSync(dataDir, { recursive: true });
  if (!existsSync(join(dataDir, DATA_DIR_MARK))) {
    if (existsSync(join(dataDir, 'base'))) {
      throw new Error(`${dataDir} holds a database whose creation was interrupted (no ${DATA_DIR_MARK}); remove the directory and start again`);
    }
    await createDataDir(dataDir);
  }
  return PGlite.create(dataDir, { startParams: embeddedStartParams });
}

async function createPgliteDb(dataDir: string | undefined): Promise<Db> {
  const lite = dataDir === undefined ? await PGlite.create({ startParams: embeddedStartParams }) : await openDataDir(dataDir);
  type LiteQueryable = Pick<PGlite, 'query' | 'exec'>;
  const wrap = (target: LiteQueryable): Queryable => ({
    async query<R extends object>(sql: string, params: readonly SqlParam[] = []) {
      const result = await target.query<R>(sql, params as unknown[]).catch(rethrowDatabaseError);
      return result.rows;
    },
    async exec(sql: string) {
      await target.exec(sql).catch(rethrowDatabaseError);
    },
  });
  const base = wrap(lite);
  return {
    kind: 'pglite',
    query: base.query,
    exec: base.exec,
    transaction: (fn) => lite.transaction((tx) => fn(wrap(tx))),
    close: () => lite.close(),
    connections: () => ({ open: lite.closed ? 0 : 1, idle: 0, waiting: 0 }),
  };
}

export interface DbOptions {
  /** postgres://… ; when absent the embedded PGlite database is used. */
  databaseUrl?: string;
  /** PGlite data directory; undefined keeps the database in memory (tests). */
  dataDir?: string;
  poolSize?: number;
  timeouts?: DbTimeouts;
}

export async function openDb(options: DbOptions): Promise<Db> {
  if (options.databaseUrl !== undefined && options.databaseUrl !== '') {
    return createPgDb(options.databaseUrl, options.poolSize ?? 10, options.timeouts ?? DEFAULT_DB_TIMEOUTS);
  }
  return createPgliteDb(options.dataDir);
}

/** int8 columns arrive as string (pg) or bigint/number (PGlite). */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  throw new TypeError(`expected an integer column, got ${typeof value}`);
}
