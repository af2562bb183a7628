/**
 * A PostgreSQL 15 cluster of the test's own, for fault injection (test/faults/):
 * initdb into a fresh temporary directory, started with pg_ctl on a free port of
 * 127.0.0.1, trust authentication, small and unsafe-but-fast settings. A test may
 * stop it (fast or immediate), start it again on the same port, restart it with
 * fewer connections, terminate backends, hold row locks, freeze every process of
 * it, or add a role with a connection limit. The machine's own PostgreSQL is never
 * used: every pg_ctl call names this cluster's data directory.
 *
 * initdb and pg_ctl refuse to run as root, so as root (the CI container) they run
 * as user `postgres` through runuser.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const PG_BIN_DIR = '/usr/lib/postgresql/15/bin';
const COMMAND_TIMEOUT_MS = 60_000;
/** application_name of the helper's own connections, which terminateBackends spares. */
const HELPER_APPLICATION = 'throwaway-cluster';

/** A free TCP port on 127.0.0.1: bound to port 0, read, released. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function binary(name: string): string {
  const full = join(PG_BIN_DIR, name);
  return existsSync(full) ? full : name;
}

const asRoot = process.getuid?.() === 0;

/** The environment of PostgreSQL commands: no PG* variable may point them at another server. */
function commandEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('PG')) env[name] = value;
  return { ...env, LC_ALL: 'C' };
}

async function asPostgres(command: string, args: readonly string[]): Promise<string> {
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', binary(command), ...args]] : [binary(command), [...args]];
  try {
    const { stdout } = await run(file, argv, { env: commandEnv(), timeout: COMMAND_TIMEOUT_MS });
    return stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

export interface ClusterSettings {
  /** max_connections (default 40). */
  readonly maxConnections?: number;
  /** superuser_reserved_connections (default 1). */
  readonly superuserReserved?: number;
}

export interface RowLock {
  /** Resolves when the lock has been released (after `seconds`, or release()). */
  readonly released: Promise<void>;
  release(): Promise<void>;
}

export interface Backend {
  readonly pid: number;
  /** pg_stat_activity.state: active, idle, idle in transaction… */
  readonly state: string | null;
  /** Lock while waiting for a lock. */
  readonly waitEventType: string | null;
  /** In a transaction that has written (or locked rows): it holds a transaction id. */
  readonly writing: boolean;
  readonly query: string | null;
}

export interface ThrowawayCluster {
  readonly port: number;
  /** Started and not stopped since. */
  readonly running: boolean;
  /** postgres://user@127.0.0.1:port/database */
  url(database: string, user?: string): string;
  /** Runs one statement as the superuser on its own connection. */
  query<R extends object = Record<string, unknown>>(database: string, sql: string, params?: readonly unknown[]): Promise<R[]>;
  createDatabase(name: string, owner?: string): Promise<void>;
  /** A login role without superuser rights (those ignore connection limits), limited to `connectionLimit` sessions. */
  createLimitedRole(name: string, connectionLimit: number): Promise<void>;
  /** pg_terminate_backend on every client backend of the database except the helper's own; what was killed. */
  terminateBackends(database: string): Promise<Backend[]>;
  /** The client backends of the database (the helper's own left out), from pg_stat_activity. */
  activity(database: string): Promise<Backend[]>;
  /** Locks the collection row (SELECT … FOR UPDATE in an open transaction) for `seconds`. */
  holdCollectionLock(database: string, collectionId: string, seconds: number): Promise<RowLock>;
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Stops (fast) and starts again with other settings, on the same port. */
  restart(settings: ClusterSettings): Promise<void>;
  /** SIGSTOP the postmaster and every backend: the database stops answering but keeps its sockets open. */
  freeze(): void;
  thaw(): void;
  /** Stops the cluster (immediate) and deletes the directory. Safe to call twice. */
  remove(): Promise<void>;
}

function settingsFile(port: number, dir: string, settings: ClusterSettings): string {
  return [
    `port = ${port}`,
    `listen_addresses = '127.0.0.1'`,
    `unix_socket_directories = '${dir}'`,
    `max_connections = ${settings.maxConnections ?? 40}`,
    `superuser_reserved_connections = ${settings.superuserReserved ?? 1}`,
    // Speed over durability: the cluster lives for one test file. synchronous_commit
    // stays on, so a commit is written (not flushed) before the client hears of it and
    // survives a PostgreSQL crash (pg_ctl stop -m immediate), though not an OS crash.
    'fsync = off',
    'full_page_writes = off',
    'synchronous_commit = on',
    'shared_buffers = 16MB',
    'wal_level = minimal',
    'max_wal_senders = 0',
    'max_worker_processes = 4',
    'max_parallel_workers_per_gather = 0',
    'log_min_messages = warning',
    "log_line_prefix = '%m [%p] %d '",
    '',
  ].join('\n');
}

/**
 * initdb + pg_ctl start. The directory is removed again if anything fails; call
 * remove() at teardown (t.teardown runs it when a test fails too). A process exit
 * without teardown still stops the cluster and removes it.
 */
export async function startThrowawayCluster(settings: ClusterSettings = {}): Promise<ThrowawayCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'taxii-faults-pg-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const confFile = join(dataDir, 'throwaway.conf');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  let port = 0;
  let running = false;
  let removed = false;

  const stopNow = () => {
    if (!running) return;
    running = false;
    try {
      const args = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
      if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', binary('pg_ctl'), ...args], { env: commandEnv(), stdio: 'ignore' });
      else execFileSync(binary('pg_ctl'), args, { env: commandEnv(), stdio: 'ignore' });
    } catch {
      // Already stopped.
    }
  };
  // A test process that exits without its teardown still leaves nothing behind.
  const onExit = () => {
    stopNow();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const pgCtl = (...args: string[]) => asPostgres('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '30', ...args]);
  const postmasterPid = (): number | undefined => {
    const file = join(dataDir, 'postmaster.pid');
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  };
  /** The postmaster and its children (the backends), from /proc. */
  const clusterPids = (): number[] => {
    const root = postmasterPid();
    if (root === undefined) return [];
    const children = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).flatMap((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === root ? [Number(name)] : [];
      } catch {
        return [];
      }
    });
    return [root, ...children];
  };

  /** A backend may exit between the listing and the signal. */
  const signalAll = (pids: readonly number[], signal: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
  };

  const connect = async (database: string): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: cluster.url(database), application_name: HELPER_APPLICATION, connectionTimeoutMillis: 10_000 });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };

  const cluster: ThrowawayCluster = {
    get port() {
      return port;
    },
    get running() {
      return running;
    },
    url: (database, user = 'postgres') => `postgres://${user}@127.0.0.1:${port}/${database}`,
    async query<R extends object>(database: string, sql: string, params: readonly unknown[] = []) {
      const client = await connect(database);
      try {
        return (await client.query<R>(sql, params as unknown[])).rows;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async createDatabase(name, owner) {
      await cluster.query('postgres', `CREATE DATABASE ${name}${owner === undefined ? '' : ` OWNER ${owner}`}`);
    },
    async createLimitedRole(name, connectionLimit) {
      await cluster.query('postgres', `CREATE ROLE ${name} LOGIN NOSUPERUSER CONNECTION LIMIT ${connectionLimit}`);
    },
    async terminateBackends(database) {
      const rows = await cluster.query<Backend>(
        'postgres',
        `SELECT pid, state, wait_event_type AS "waitEventType", backend_xid IS NOT NULL AS writing, query FROM pg_stat_activity
          WHERE datname = $1 AND backend_type = 'client backend' AND application_name <> $2 AND pg_terminate_backend(pid)`,
        [database, HELPER_APPLICATION],
      );
      return rows;
    },
    activity(database) {
      return cluster.query<Backend>(
        'postgres',
        `SELECT pid, state, wait_event_type AS "waitEventType", backend_xid IS NOT NULL AS writing, query
           FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' AND application_name <> $2`,
        [database, HELPER_APPLICATION],
      );
    },
    async holdCollectionLock(database, collectionId, seconds) {
      const client = await connect(database);
      await client.query('BEGIN');
      await client.query('SELECT id FROM collections WHERE id = $1::uuid FOR UPDATE', [collectionId]);
      let timer: NodeJS.Timeout | undefined;
      let finish: () => void = () => undefined;
      const released = new Promise<void>((resolve) => {
        finish = resolve;
      });
      let releasing: Promise<void> | undefined;
      const release = () => {
        releasing ??= (async () => {
          clearTimeout(timer);
          await client.query('COMMIT').catch(() => undefined);
          await client.end().catch(() => undefined);
          finish();
        })();
        return releasing;
      };
      timer = setTimeout(() => void release(), seconds * 1000);
      return { released, release };
    },
    async stop(mode) {
      await pgCtl('-m', mode, 'stop');
      running = false;
    },
    async start() {
      try {
        await pgCtl('start');
      } catch (err) {
        const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n') : '';
        throw new Error(`${(err as Error).message}\n${log}`);
      }
      running = true;
    },
    async restart(next) {
      await cluster.stop('fast');
      writeFileSync(confFile, settingsFile(port, dir, next));
      await cluster.start();
    },
    freeze() {
      // The postmaster first, so that it forks no backend the listing below would miss.
      const [root, ...children] = clusterPids();
      if (root === undefined) return;
      signalAll([root], 'SIGSTOP');
      signalAll(children, 'SIGSTOP');
      signalAll(clusterPids().slice(1).filter((pid) => !children.includes(pid)), 'SIGSTOP');
    },
    thaw() {
      signalAll(clusterPids(), 'SIGCONT');
    },
    async remove() {
      if (removed) return;
      removed = true;
      // Also when a start failed half-way: whatever runs on this data directory is stopped.
      if (running || postmasterPid() !== undefined) {
        running = true;
        try {
          cluster.thaw();
        } catch {
          // Not frozen, or gone.
        }
        await cluster.stop('immediate').catch(() => stopNow());
      }
      process.removeListener('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    await asPostgres('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-sync']);
    appendFileSync(join(dataDir, 'postgresql.conf'), "\ninclude_if_exists = 'throwaway.conf'\n");
    // Another process may take the port between freePort() and the start: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      writeFileSync(confFile, settingsFile(port, dir, settings));
      try {
        await cluster.start();
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  } catch (err) {
    await cluster.remove();
    throw err;
  }
  return cluster;
}

/** Why the fault tests cannot run here (no PostgreSQL server binaries), or undefined when they can. */
export function missingPostgres(): string | undefined {
  const found = [PG_BIN_DIR, ...(process.env['PATH'] ?? '').split(':')].some((dir) => dir !== '' && existsSync(join(dir, 'initdb')));
  return found ? undefined : `no initdb in ${PG_BIN_DIR} or on PATH: install the PostgreSQL 15 server binaries to run the fault-injection tests`;
}
