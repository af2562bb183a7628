/**
 * The production entry point: the only place that reads the environment, opens
 * the database, migrates, applies the configuration and listens.
 */
import { pino } from 'pino';
import { buildApp } from './app.js';
import { ConfigError } from './config/load-config.js';
import { getOrCreateSecret } from './store/secrets.js';
import { createStore } from './store/index.js';
import { openDatabase, prepareDatabase, readConfig, readEnvironment } from './startup.js';

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

async function main(): Promise<void> {
  const logger = pino({
    level: process.env['LOG_LEVEL'] ?? 'info',
    redact: ['req.headers.authorization', 'headers.authorization'],
  });
  const environment = readEnvironment(process.env);
  const config = await readConfig(environment, process.env);
  const db = await openDatabase(environment);
  try {
    await prepareDatabase(db, config);
  } catch (err) {
    await db.close();
    throw err;
  }
  const store = createStore(db);
  const cursorSecret = await getOrCreateSecret(db, 'cursor-hmac');
  const app = await buildApp({ config, store, cursorSecret, logger });

  const purge = async () => {
    const cutoff = (Date.now() - config.server.statusRetentionHours * 3600 * 1000) * 1000;
    const removed = await store.statuses.purge(cutoff);
    if (removed > 0) logger.info({ removed }, 'expired status resources removed');
  };
  await purge();
  const timer = setInterval(() => void purge().catch((err) => logger.error({ err }, 'status purge failed')), PURGE_INTERVAL_MS);
  timer.unref();

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    clearInterval(timer);
    await app.close();
    await db.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  const host = process.env['TAXII_HOST'] ?? '127.0.0.1';
  const port = Number(process.env['TAXII_PORT'] ?? 8000);
  await app.listen({ host, port });
  logger.info(
    { database: environment.databaseUrl === undefined ? `pglite:${environment.dataDir}` : 'postgres', config: environment.configPath },
    `taxii-exchange ready: discovery at http://${host}:${port}/taxii2/`,
  );
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
