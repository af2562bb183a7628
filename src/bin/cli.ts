#!/usr/bin/env node
/**
 * taxii-exchange command line:
 *   migrate        apply pending migrations (and nothing else)
 *   apply-config   validate the configuration and apply it to the database; running
 *                  servers see the change on their next request (see apply-config.ts)
 *   check-config   validate the configuration file only
 *   hash-key       read an API key on stdin, print the hash to put in the configuration
 *   validate       validate STIX files offline: validate [--strictness LEVEL] FILE...
 */
import { readFileSync } from 'node:fs';
import { hashApiKey } from '../config/api-keys.js';
import { ConfigError } from '../config/load-config.js';
import { migrate } from '../store/migrate.js';
import { STRICTNESS_LEVELS, type Strictness } from '../stix/object-validator.js';
import { validateFile } from '../stix/validate-files.js';
import { createValidators } from '../stix/validators.js';
import { openDatabase, readConfig, readEnvironment } from '../startup.js';
import { applyConfigCommand } from './apply-config.js';
import { DataDirHeld } from '../store/data-dir-lock.js';

const USAGE = `usage: taxii-exchange <migrate | apply-config | check-config | hash-key | validate [--strictness strict|standard|permissive] FILE...>
environment: TAXII_CONFIG (configuration file), DATABASE_URL (PostgreSQL; else PGlite in TAXII_DATA_DIR, default ./data)`;

function validateCommand(args: string[]): number {
  let strictness: Strictness = 'standard';
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--strictness') {
      const level = args[++i];
      if (!STRICTNESS_LEVELS.includes(level as Strictness)) {
        console.error(`validate: --strictness takes ${STRICTNESS_LEVELS.join(', ')}`);
        return 2;
      }
      strictness = level as Strictness;
    } else files.push(arg);
  }
  if (files.length === 0) {
    console.error('validate: name at least one file');
    return 2;
  }
  const validator = createValidators()[strictness];
  let objects = 0;
  let failed = 0;
  for (const file of files) {
    const report = validateFile(file, validator);
    objects += report.objects;
    failed += report.failures.length;
    for (const line of report.failures) console.log(line);
  }
  console.log(`${files.length} file(s), ${objects} object(s): ${objects - failed} valid, ${failed} invalid (${strictness})`);
  return failed === 0 ? 0 : 1;
}

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
    case 'apply-config':
      return applyConfigCommand(environment, console);
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
    case 'validate':
      return validateCommand(process.argv.slice(3));
    default:
      console.error(USAGE);
      return 2;
  }
}

run(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ConfigError || err instanceof DataDirHeld ? err.message : err);
    process.exit(1);
  },
);
