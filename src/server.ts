/**
 * The production entry point: the only place that reads the environment, opens
 * the database, migrates, applies the configuration and listens. With
 * TAXII_WORKERS above 1 this process prepares the database, then supervises
 * workers (src/workers.ts) that each run this file again as cluster workers.
 */
import cluster from 'node:cluster';
import { pino, type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { buildApp } from './app.js';
import { closeGracefully } from './http/shutdown.js';
import { reapplyOnHangup } from './reload.js';
import { serveControl } from './bin/control-socket.js';
import { ConfigError } from './config/load-config.js';
import type { Config } from './config/types.js';
import { DataDirHeld } from './store/data-dir-lock.js';
import { openDb, type Db } from './store/db.js';
import { getOrCreateSecret } from './store/secrets.js';
import { registrySource, type MetricsSource } from './http/metrics.js';
import { askPrimaryForMetrics, primaryMetrics, shareWithPrimary } from './metrics-cluster.js';
import { listenForMetrics } from './metrics-listener.js';
import { reloadTls, TlsFilesUnreadable } from './http/tls.js';
import { createStore } from './store/index.js';
import { openDatabase, prepareDatabase, readConfig, readEnvironment, type Environment } from './startup.js';
import { EnvironmentError, parsePositiveInteger, resolveWorkerCount, superviseWorkers } from './workers.js';

const CURSOR_SECRET = 'cursor-hmac';
const PURGE_INTERVAL_MS = 60 * 60 * 1000;
/** Audit events removed per statement. */
const AUDIT_PURGE_BATCH = 5000;
// The primary only migrates, applies the configuration and purges statuses.
const SUPERVISOR_POOL_SIZE = 2;

interface Settings {
  readonly environment: Environment;
  readonly host: string;
  readonly port: number;
  /** PostgreSQL connections per serving process. */
  readonly poolSize: number;
}

function openPool(environment: Environment, poolSize: number, config: Config): Promise<Db> {
  if (environment.databaseUrl === undefined) return openDatabase(environment, { configPath: environment.configPath });
  const { limits } = config.server;
  return openDb({
    databaseUrl: environment.databaseUrl,
    poolSize,
    timeouts: {
      statementMs: limits.databaseStatementTimeoutSeconds * 1000,
      lockMs: limits.databaseLockTimeoutSeconds * 1000,
      acquireMs: limits.databaseAcquireTimeoutSeconds * 1000,
    },
  });
}

/**
 * Expired status resources and audit events are removed by one process only: the
 * single server, or the primary. Audit events go in bounded batches, each its own
 * short statement, so a first purge of a large trail never holds up requests.
 */
async function startPurge(db: Db, config: Config, logger: Logger): Promise<() => void> {
  const { statuses, audit } = createStore(db);
  const purge = async () => {
    const cutoff = (Date.now() - config.server.statusRetentionHours * 3600 * 1000) * 1000;
    const removed = await statuses.purge(cutoff);
    if (removed > 0) logger.info({ removed }, 'expired status resources removed');
    const auditCutoff = (Date.now() - config.server.audit.retentionDays * 24 * 3600 * 1000) * 1000;
    let expired = 0;
    for (let batch = AUDIT_PURGE_BATCH; batch === AUDIT_PURGE_BATCH; ) {
      batch = await audit.purge(auditCutoff, AUDIT_PURGE_BATCH);
      expired += batch;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (expired > 0) logger.info({ removed: expired, retention_days: config.server.audit.retentionDays }, 'expired audit events removed');
  };
  await purge();
  const timer = setInterval(() => void purge().catch((err) => logger.error({ err }, 'purge of expired statuses and audit events failed')), PURGE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

interface Serving {
  /** The port listened on (TAXII_PORT=0 picks a free one). */
  readonly port: number;
  /** The app's metrics registry, when metrics are on. */
  readonly metrics: Registry | undefined;
  /** Re-reads the TLS files, when the server terminates TLS (SIGHUP). */
  reloadTls(): void;
  stop(): Promise<void>;
}

const RELOAD_TLS = 'taxii-exchange:reload-tls';

/** Builds the app on an open, prepared database and listens; returns how to stop it. */
async function serve(db: Db, config: Config, cursorSecret: Buffer, logger: Logger, settings: Settings, metricsSource?: MetricsSource): Promise<Serving> {
  const app = await buildApp({ config, store: createStore(db), cursorSecret, logger, ...(metricsSource !== undefined && { metricsSource }) });
  await app.listen({ host: settings.host, port: settings.port });
  const address = app.server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : settings.port,
    metrics: app.metrics?.registry,
    reloadTls() {
      if (config.server.tls === undefined) return;
      try {
        reloadTls(app, config.server.tls);
        logger.info('TLS certificate and key re-read');
      } catch (err) {
        logger.error({ err }, 'TLS files not re-read; the current ones stay in use');
      }
    },
    async stop() {
      const { writesFinished } = await closeGracefully(app, config.server.limits.shutdownGraceSeconds * 1000);
      if (!writesFinished) logger.warn('writes still in progress when the database was closed');
      await db.close();
    },
  };
}

function exitOn(signals: readonly NodeJS.Signals[], logger: Logger, stop: () => Promise<void>): void {
  for (const signal of signals) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      stop().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

function readyMessage(settings: Settings, port: number, config: Config): string {
  return `taxii-exchange ready: discovery at ${config.server.tls === undefined ? 'http' : 'https'}://${settings.host}:${port}/taxii2/`;
}

async function runWorker(settings: Settings, logger: Logger): Promise<void> {
  const config = await readConfig(settings.environment, process.env);
  const db = await openPool(settings.environment, settings.poolSize, config);
  const serving = await serve(db, config, await getOrCreateSecret(db, CURSOR_SECRET), logger, settings, config.metrics === undefined ? undefined : askPrimaryForMetrics());
  if (serving.metrics !== undefined) shareWithPrimary(serving.metrics);
  process.on('message', (message: unknown) => {
    if ((message as { type?: unknown } | null)?.type === RELOAD_TLS) serving.reloadTls();
  });
  // A terminal's Ctrl-C or hangup reaches every process of the group; the primary decides
  // (SIGTERM to stop, SIGHUP re-applies the configuration, which workers read from the database).
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
  exitOn(['SIGTERM'], logger, serving.stop);
  logger.info({ poolSize: settings.poolSize }, 'worker ready');
}

/** Loopback addresses: what only this machine reaches. */
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * The demo configuration's keys are in the README: it serves this machine only,
 * unless TAXII_DEMO=1 says exposing it is meant (issue 13: a `docker run` that
 * forgot TAXII_CONFIG served them on 0.0.0.0).
 */
function refuseExposedDemo(config: Config, host: string): void {
  if (!config.demo || LOOPBACK.test(host) || process.env['TAXII_DEMO'] === '1') return;
  throw new EnvironmentError(
    `the demo configuration (its keys are published in the README) listens on loopback only, not ${host}: ` +
      'set TAXII_CONFIG to your own configuration, or TAXII_DEMO=1 to expose the demo anyway',
  );
}

async function runPrimary(settings: Settings, workers: number, logger: Logger): Promise<void> {
  const { environment } = settings;
  const config = await readConfig(environment, process.env);
  refuseExposedDemo(config, settings.host);
  const db = await openPool(environment, workers > 1 ? SUPERVISOR_POOL_SIZE : settings.poolSize, config);
  let cursorSecret: Buffer;
  try {
    await prepareDatabase(db, config);
    // Created before any worker starts, so workers starting together only read it.
    cursorSecret = await getOrCreateSecret(db, CURSOR_SECRET);
  } catch (err) {
    await db.close();
    throw err;
  }
  const stopPurge = await startPurge(db, config, logger);
  const reload = reapplyOnHangup(db, environment, config, logger);
  const where = { database: environment.databaseUrl === undefined ? `pglite:${environment.dataDir}` : 'postgres', config: environment.configPath };

  if (workers === 1) {
    const serving = await serve(db, config, cursorSecret, logger, settings);
    process.on('SIGHUP', () => serving.reloadTls());
    const registry = serving.metrics;
    const metricsListener = config.metrics?.listen === undefined || registry === undefined
      ? undefined
      : await listenForMetrics(config.metrics.listen, registrySource(registry), logger);
    // On the embedded database, the administration commands run in here (see bin/control-socket.ts).
    const closeControl = environment.databaseUrl === undefined
      ? serveControl(environment.dataDir, db, {
        answered: (command, status) => logger.info({ command, status }, 'command run through the control channel'),
        error: (err) => logger.error({ err }, 'control channel failed'),
      }, config.auth.jwt)
      : async () => undefined;
    exitOn(['SIGINT', 'SIGTERM'], logger, async () => {
      stopPurge();
      reload.stop();
      await closeControl();
      await metricsListener?.close();
      await serving.stop();
    });
    logger.info({ ...where, port: serving.port, ...(metricsListener !== undefined && { metricsPort: metricsListener.port }) }, readyMessage(settings, serving.port, config));
    return;
  }
  // Workers ask the primary for every worker's metrics; a listener of their own is the primary's.
  const clusterMetrics = config.metrics === undefined ? undefined : primaryMetrics();
  const metricsListener = config.metrics?.listen === undefined || clusterMetrics === undefined
    ? undefined
    : await listenForMetrics(config.metrics.listen, clusterMetrics, logger);
  // Workers ignore SIGHUP (a terminal's reaches them all); the primary tells them to re-read TLS files.
  if (config.server.tls !== undefined) {
    process.on('SIGHUP', () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.send({ type: RELOAD_TLS });
    });
  }
  superviseWorkers({
    count: workers,
    logger,
    stopTimeoutMs: (config.server.limits.shutdownGraceSeconds + 10) * 1000,
    onReady: (port) => logger.info({ ...where, workers, port, ...(metricsListener !== undefined && { metricsPort: metricsListener.port }) }, readyMessage(settings, port, config)),
    close: async () => {
      stopPurge();
      reload.stop();
      await metricsListener?.close();
      await db.close();
    },
  });
}

async function main(): Promise<void> {
  const base = pino({
    level: process.env['LOG_LEVEL'] ?? 'info',
    redact: ['req.headers.authorization', 'headers.authorization'],
  });
  const environment = readEnvironment(process.env);
  const settings: Settings = {
    environment,
    host: process.env['TAXII_HOST'] ?? '127.0.0.1',
    port: Number(process.env['TAXII_PORT'] ?? 8000),
    poolSize: parsePositiveInteger('TAXII_DB_POOL', process.env['TAXII_DB_POOL'], 10),
  };
  if (cluster.isWorker) {
    await runWorker(settings, base.child({ worker: cluster.worker?.id }));
    return;
  }
  const workers = resolveWorkerCount(process.env['TAXII_WORKERS'], environment.databaseUrl !== undefined);
  await runPrimary(settings, workers, workers > 1 ? base.child({ cluster: 'primary' }) : base);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof EnvironmentError || err instanceof DataDirHeld || err instanceof TlsFilesUnreadable) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
