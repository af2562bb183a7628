/**
 * TAXII_WORKERS: several server processes on one machine through node:cluster.
 * The primary prepares the database once, then only supervises; each worker is
 * an ordinary server with a pool of its own. Workers share nothing but the
 * database and the listening port (docs/scale-out.md).
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';

/** A setting in the environment that cannot be used; the message says what to change. */
export class EnvironmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvironmentError';
  }
}

// A replacement that fails to start (the database is down, say) is retried after 1 s,
// 2 s, 4 s… up to 30 s, for as long as it takes.
const RESTART_FIRST_DELAY_MS = 1_000;
const RESTART_MAX_DELAY_MS = 30_000;

const POSITIVE_INTEGER = /^[1-9][0-9]*$/;

/** A positive integer from the environment, or the fallback when unset. */
export function parsePositiveInteger(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!POSITIVE_INTEGER.test(raw)) throw new EnvironmentError(`${name} must be a positive integer, not "${raw}"`);
  return Number(raw);
}

/** How many serving processes TAXII_WORKERS asks for: unset is 1, `auto` is one per core. */
export function resolveWorkerCount(raw: string | undefined, usesPostgres: boolean): number {
  let count = 1;
  if (raw === 'auto') count = availableParallelism();
  else if (raw !== undefined && raw !== '') {
    if (!POSITIVE_INTEGER.test(raw)) throw new EnvironmentError(`TAXII_WORKERS must be a positive integer or "auto", not "${raw}"`);
    count = Number(raw);
  }
  if (count > 1 && !usesPostgres) {
    throw new EnvironmentError(
      `TAXII_WORKERS=${raw} (${count} workers) needs PostgreSQL: the embedded database (PGlite) lives inside one process ` +
        'and cannot be shared between workers. Set DATABASE_URL, or unset TAXII_WORKERS.',
    );
  }
  return count;
}

export interface SupervisorOptions {
  readonly count: number;
  readonly logger: Logger;
  /** How long workers may take to stop gently before they are killed. */
  readonly stopTimeoutMs: number;
  /** Once every first worker listens, with the port they share. */
  onReady(port: number): void;
  /** Releases what the primary holds (its pool, timers) before it exits. */
  close(): Promise<void>;
}

/** The delay before the n-th consecutive failed start is retried (n from 1). */
export function restartDelay(failures: number): number {
  return Math.min(RESTART_FIRST_DELAY_MS * 2 ** Math.max(0, failures - 1), RESTART_MAX_DELAY_MS);
}

/**
 * Forks the workers and keeps their number. Until the service has been ready once,
 * a worker that dies before it listens stops everything with exit code 1 (the
 * configuration or the database is wrong, and a retry would fail the same way).
 * Afterwards a dead worker is replaced, and a replacement that dies before it listens
 * is retried with back-off while the others go on serving (issue 10, defect 3).
 * SIGTERM or SIGINT stops every worker gently, then the primary exits 0.
 */
export function superviseWorkers(options: SupervisorOptions): void {
  const { count, logger } = options;
  const listened = new Set<number>();
  let ready = false;
  let stopping = false;
  let failedStarts = 0;
  let pendingRestarts = 0;

  const live = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());

  const stop = async (exitCode: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const workers = live();
    const force = setTimeout(() => {
      logger.warn({ workers: live().map((w) => w.id) }, 'workers still running after the stop timeout; killing them');
      for (const w of live()) w.process.kill('SIGKILL');
    }, options.stopTimeoutMs);
    await Promise.all(
      workers.map((w) => new Promise<void>((resolve) => {
        w.once('exit', () => resolve());
        w.process.kill('SIGTERM');
      })),
    );
    clearTimeout(force);
    await options.close().catch((err: unknown) => logger.error({ err }, 'closing the primary failed'));
    process.exit(exitCode);
  };

  const restartLater = (delayMs: number) => {
    pendingRestarts += 1;
    setTimeout(() => {
      pendingRestarts -= 1;
      if (!stopping) cluster.fork();
    }, delayMs);
  };

  cluster.on('listening', (worker, address) => {
    listened.add(worker.id);
    failedStarts = 0;
    if (!ready && live().filter((w) => listened.has(w.id)).length === count) {
      ready = true;
      options.onReady(address.port);
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const fields = { worker: worker.id, workerPid: worker.process.pid, code, signal };
    if (listened.has(worker.id)) {
      logger.error(fields, 'worker died; starting a replacement');
      cluster.fork();
      return;
    }
    if (!ready) {
      logger.fatal(fields, 'worker stopped before it listened; stopping the server');
      void stop(1);
      return;
    }
    failedStarts += 1;
    const delayMs = restartDelay(failedStarts);
    logger.error({ ...fields, failedStarts, retryInMs: delayMs, serving: live().length, restarting: pendingRestarts + 1 },
      'replacement worker failed to start; retrying');
    restartLater(delayMs);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      void stop(0);
    });
  }
  for (let i = 0; i < count; i++) cluster.fork();
}
