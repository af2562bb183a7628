/**
 * What the fault-injection tests share (not a test file: npm test runs *.test.ts
 * only): when they run, teardown, waiting, and the production entry point
 * src/server.ts run as a child process, as in test/http/workers.test.ts, with the
 * demo configuration plus limits of the test's choosing. load.ts drives it,
 * invariants.ts checks what it did.
 */
import type { Test } from 'tap';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_CONFIG } from '../../src/paths.js';
import { spawnServer } from '../helpers/server-process.js';
import { missingPostgres, startThrowawayCluster, type ThrowawayCluster } from '../helpers/throwaway-cluster.js';

const READY_TIMEOUT_MS = 60_000;
/** A bound on every server a fault test starts. */
const SERVER_LIFETIME_MS = 10 * 60_000;

/**
 * Why this file's fault tests do not run, or undefined when they do. CI runs `npm test`
 * twice: on PGlite (TAXII_TEST_DATABASE_URL unset), then on the local PostgreSQL. These
 * tests start a PostgreSQL cluster of their own and never use TAXII_TEST_DATABASE_URL, so
 * they run in the first run only: a second run would test the same thing again.
 */
export function skipReason(): string | undefined {
  if ((process.env['TAXII_TEST_DATABASE_URL'] ?? '') !== '') {
    return 'fault tests run in the PGlite run of npm test only (they bring their own PostgreSQL cluster)';
  }
  return missingPostgres();
}

/**
 * Teardown in reverse order of set-up, whatever happened: servers stop before the
 * cluster they use is removed. Returns `defer`, which adds a step.
 */
export function teardownStack(t: Test): (step: () => unknown) => void {
  const steps: (() => unknown)[] = [];
  t.teardown(async () => {
    for (const step of steps.reverse()) {
      try {
        await step();
      } catch (err) {
        t.comment(`teardown step failed: ${(err as Error).message}`);
      }
    }
  });
  return (step) => steps.push(step);
}

/** How every fault file starts: teardown in reverse order, and a cluster of its own with one database. */
export async function faultCluster(t: Test, database: string): Promise<{ defer: (step: () => unknown) => void; cluster: ThrowawayCluster }> {
  const defer = teardownStack(t);
  const cluster = await startThrowawayCluster({ maxConnections: 40 });
  defer(() => cluster.remove());
  await cluster.createDatabase(database);
  return { defer, cluster };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until `find` returns something, or fails after `timeoutMs` with `what` in the message. */
export async function waitFor<T>(what: string, timeoutMs: number, find: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** What `find` returns once it returns something, or undefined after `timeoutMs`. */
export async function eventually<T>(timeoutMs: number, find: () => T | undefined): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined || Date.now() > deadline) return found;
    await sleep(100);
  }
}

/** A temporary directory removed at teardown, and a configuration file in it. */
export function faultConfig(limits: Record<string, number>): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'taxii-faults-config-'));
  const demo = JSON.parse(readFileSync(DEMO_CONFIG, 'utf8')) as { server: Record<string, unknown> };
  demo.server['limits'] = { shutdown_grace_seconds: 2, ...limits };
  // Rate limits would answer 429 to the load loops and hide what the faults do.
  demo.server['rate_limits'] = { reads_per_minute: 'unlimited', writes_per_minute: 'unlimited' };
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(demo, null, 2));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ServerOptions {
  readonly databaseUrl: string;
  readonly port: number;
  readonly configPath: string;
  readonly workers?: number;
  readonly poolSize?: number;
  /** Node.js options of the server process, e.g. its heap size. */
  readonly nodeOptions?: readonly string[];
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** Every JSON log line written so far. */
  readonly lines: Record<string, unknown>[];
  stderr(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** Resolves once the server (every worker) listens; fails if it exits first. */
  ready(): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited within 20 s. */
  stop(): Promise<void>;
  /** Log lines at level error (50) or above, and anything on stderr, for failure messages. */
  problems(): string;
}

export function startServer(options: ServerOptions): ServerProcess {
  const { child, lines, stderr, exited, alive } = spawnServer({
    env: {
      TAXII_CONFIG: options.configPath,
      DATABASE_URL: options.databaseUrl,
      TAXII_HOST: '127.0.0.1',
      TAXII_PORT: String(options.port),
      TAXII_WORKERS: String(options.workers ?? 1),
      TAXII_DB_POOL: String(options.poolSize ?? 10),
    },
    ...(options.nodeOptions !== undefined && { nodeOptions: options.nodeOptions }),
    killAfterMs: SERVER_LIFETIME_MS,
  });
  const server: ServerProcess = {
    child,
    port: options.port,
    lines,
    stderr,
    exited,
    alive,
    async ready() {
      await waitFor(`the server on port ${options.port} to be ready`, READY_TIMEOUT_MS, () => {
        if (!server.alive()) throw new Error(`the server exited before it was ready:\n${server.problems()}`);
        return lines.some((l) => String(l['msg']).startsWith('taxii-exchange ready')) ? true : undefined;
      });
    },
    async stop() {
      if (!server.alive()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
    problems() {
      // 503s are logged as warnings: they are what the tests expect.
      const errors = lines
        .filter((l) => Number(l['level']) >= 50)
        .slice(-10)
        .map((l) => JSON.stringify(l).slice(0, 2_000));
      return [...errors, stderr().slice(-4_000)].join('\n');
    },
  };
  return server;
}
