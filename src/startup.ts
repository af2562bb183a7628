/** Opening the database and bringing it up to date: shared by the server and the command line. */
import { loadConfig } from './config/load-config.js';
import type { Config } from './config/types.js';
import { DEMO_CONFIG } from './paths.js';
import { mkdirSync } from 'node:fs';
import { applyConfig } from './store/config-sync.js';
import { holdDataDir } from './store/data-dir-lock.js';
import { openDb, type Db } from './store/db.js';
import { migrate } from './store/migrate.js';

export interface Environment {
  readonly configPath: string;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
}

export function readEnvironment(env: NodeJS.ProcessEnv): Environment {
  return {
    configPath: env['TAXII_CONFIG'] ?? DEMO_CONFIG,
    databaseUrl: env['DATABASE_URL'] || undefined,
    dataDir: env['TAXII_DATA_DIR'] ?? './data',
  };
}

/**
 * Opens the database. An embedded data directory is held by this process until the
 * database is closed (store/data-dir-lock.ts): DataDirHeld when another process has it.
 * A server names the configuration it re-applies on SIGHUP (`serving`).
 */
export async function openDatabase(environment: Environment, serving?: { readonly configPath: string }): Promise<Db> {
  if (environment.databaseUrl !== undefined) return openDb({ databaseUrl: environment.databaseUrl });
  mkdirSync(environment.dataDir, { recursive: true });
  const release = holdDataDir(environment.dataDir, serving?.configPath);
  try {
    const db = await openDb({ dataDir: environment.dataDir });
    const close = async () => {
      try {
        await db.close();
      } finally {
        release();
      }
    };
    return { ...db, close };
  } catch (err) {
    release();
    throw err;
  }
}

export function readConfig(environment: Environment, env: NodeJS.ProcessEnv): Promise<Config> {
  return loadConfig(environment.configPath, env);
}

/** Migrates, then applies the configuration. */
export async function prepareDatabase(db: Db, config: Config): Promise<void> {
  await migrate(db);
  await applyConfig(db, config);
}
