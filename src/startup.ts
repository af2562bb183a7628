/** Opening the database and bringing it up to date: shared by the server and the command line. */
import { loadConfig } from './config/load-config.js';
import type { Config } from './config/types.js';
import { DEMO_CONFIG } from './paths.js';
import { applyConfig } from './store/config-sync.js';
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

export function openDatabase(environment: Environment): Promise<Db> {
  return openDb({
    ...(environment.databaseUrl !== undefined && { databaseUrl: environment.databaseUrl }),
    dataDir: environment.dataDir,
  });
}

export function readConfig(environment: Environment, env: NodeJS.ProcessEnv): Promise<Config> {
  return loadConfig(environment.configPath, env);
}

/** Migrates, then applies the configuration. */
export async function prepareDatabase(db: Db, config: Config): Promise<void> {
  await migrate(db);
  await applyConfig(db, config);
}
