#!/usr/bin/env node
/**
 * taxii-exchange command line:
 *   migrate        apply pending migrations (and nothing else)
 *   apply-config   validate the configuration and apply it to the database; running
 *                  servers see the change on their next request
 *   check-config   validate the configuration file only
 *   hash-key       read an API key on stdin, print the hash to put in the configuration
 */
import { readFileSync } from 'node:fs';
import { hashApiKey } from '../auth/api-keys.js';
import { ConfigError } from '../config/load-config.js';
import { migrate } from '../store/migrate.js';
import { openDatabase, prepareDatabase, readConfig, readEnvironment } from '../startup.js';

const USAGE = `usage: taxii-exchange <migrate | apply-config | check-config | hash-key>
environment: TAXII_CONFIG (configuration file), DATABASE_URL (PostgreSQL; else PGlite in TAXII_DATA_DIR, default ./data)`;

async function run(command: string | undefined): Promise<number> {
  const environment = readEnvironment(process.env);
  switch (command) {
    case 'migrate': {
      const db = await openDatabase(environment);
      try {
        const applied = await migrate(db);
        console.log(applied.length === 0 ? 'migrations: up to date' : `migrations applied: ${applied.join(', ')}`);
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'apply-config': {
      const config = await readConfig(environment, process.env);
      const db = await openDatabase(environment);
      try {
        await prepareDatabase(db, config);
        console.log(`configuration applied: ${environment.configPath}`);
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'check-config': {
      const config = await readConfig(environment, process.env);
      console.log(`configuration ok: ${config.apiRoots.length} API roots, ${config.partners.length} partners`);
      return 0;
    }
    case 'hash-key': {
      const key = readFileSync(0, 'utf8').trim();
      if (key.length < 16) {
        console.error('hash-key: give an API key of at least 16 characters on standard input');
        return 2;
      }
      console.log(await hashApiKey(key));
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

run(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  },
);
