/**
 * The commands of `taxii-exchange` (bin/taxii-exchange, src/bin/cli.ts):
 *   migrate        apply pending migrations (and nothing else)
 *   apply-config   validate the configuration and apply it to the database; running
 *                  servers see the change on their next request (see apply-config.ts)
 *   check-config   validate the configuration file only
 *   hash-key       read an API key on stdin, print the hash to put in the configuration
 *   validate       validate STIX files offline: validate [--strictness LEVEL] FILE...
 *   partner, key, token, collection, group, grant, revoke, import, export, audit
 *                  administration without the configuration file (see admin-cli.ts)
 * Importable, so tests run them in-process; the entry point only sets the exit code.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { hashApiKey } from '../config/api-keys.js';
import { ConfigError } from '../config/load-config.js';
import { migrate } from '../store/migrate.js';
import { openDatabase, readConfig, readEnvironment } from '../startup.js';
import { applyConfigCommand } from './apply-config.js';
import { validateCommand } from './validate-command.js';
import { DataDirHeld, dataDirHolder } from '../store/data-dir-lock.js';
import { askServer } from './control-socket.js';
import { ManagedElsewhere } from '../store/config-sync.js';
import { absoluteArgv, CommandFailed, parseAdminCommand, runAdminCommand, type Output } from './admin-cli.js';

const USAGE = `usage: taxii-exchange <command>
  migrate                       apply pending migrations
  apply-config                  validate TAXII_CONFIG and apply it (a running embedded server is asked via SIGHUP)
  check-config                  validate TAXII_CONFIG only
  hash-key                      read an API key on stdin, print its hash for the configuration file
  validate [--strictness strict|standard|permissive] FILE...
                                validate STIX files offline, as the server would
  partner <add|list|show|set|suspend|resume> …   onboard and manage partners (partner --help)
  key <add|revoke> …            issue and revoke partners' API keys (key --help)
  token issue PARTNER [--ttl 1h]                 a JWT for a partner (HS256/384/512 JWT configured)
  collection <add|list|show|set> …               create and configure collections
  group <add|add-member|remove-member> …         groups of partners
  grant PARTNER|@GROUP ROOT/COLLECTION --read --write, revoke PARTNER|@GROUP ROOT/COLLECTION
  import FILE... --collection ROOT/COLLECTION --as PARTNER
                                store STIX files' objects as PARTNER would by POST (progress bar on a terminal)
  export --collection ROOT/COLLECTION --as PARTNER [--since T] [--type T]... [--output FILE]
                                a STIX bundle of what PARTNER may read
  audit [--object ID] [--partner P] [--collection ROOT/COLLECTION] [--since T] [--json]
                                who received an object; what a partner pulled or pushed (audit --help)
environment: TAXII_CONFIG (configuration file), DATABASE_URL (PostgreSQL; else PGlite in TAXII_DATA_DIR, default ./data)`;

/** Who runs the command line, as the audit trail names them. */
export function operatorName(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

/** How long a command waits for a server that holds the data directory but is still starting. */
const STARTING_WAIT_MS = 30_000;
const STARTING_POLL_MS = 250;

/** Runs a command in the server that holds the data directory, through its control channel. */
async function relay(dataDir: string, pid: number, argv: readonly string[], out: Output): Promise<number> {
  for (let waited = 0; ; waited += STARTING_POLL_MS) {
    try {
      return await askServer(dataDir, argv, operatorName(), out);
    } catch (err) {
      // A server that is still starting holds the directory before it listens on the socket.
      const starting = ['ENOENT', 'ECONNREFUSED'].includes((err as NodeJS.ErrnoException).code ?? '') && waited < STARTING_WAIT_MS;
      if (!starting || dataDirHolder(dataDir) === undefined) {
        throw new CommandFailed(`${dataDir} is in use by process ${pid}, which did not take the command (${(err as Error).message}); stop it, or run this where the server runs`);
      }
      await new Promise((done) => setTimeout(done, STARTING_POLL_MS));
    }
  }
}

/** Runs one invocation (`argv` without node and the script); returns the exit code. */
export async function runCommand(argv: readonly string[], env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  try {
    return await dispatch(argv, env, out);
  } catch (err) {
    const known = err instanceof ConfigError || err instanceof DataDirHeld || err instanceof ManagedElsewhere || err instanceof CommandFailed;
    if (!known) throw err;
    out.error(`taxii-exchange: ${err.message}`);
    return err instanceof CommandFailed ? err.exitCode : 1;
  }
}

async function dispatch(argv: readonly string[], env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  const [command, ...args] = argv;
  const environment = readEnvironment(env);
  switch (command) {
    case 'migrate': {
      const db = await openDatabase(environment);
      try {
        const applied = await migrate(db);
        out.log(applied.length === 0 ? 'migrations: up to date' : `migrations applied: ${applied.join(', ')}`);
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'apply-config':
      return applyConfigCommand(environment, out);
    case 'check-config': {
      const config = await readConfig(environment, env);
      out.log(`configuration ok: ${config.apiRoots.length} API roots, ${config.partners.length} partners`);
      return 0;
    }
    case 'hash-key': {
      const key = readFileSync(0, 'utf8').trim();
      if (key.length < 16) {
        out.error('hash-key: give an API key of at least 16 characters on standard input');
        return 2;
      }
      out.log(await hashApiKey(key));
      return 0;
    }
    case 'validate':
      return validateCommand(args, out);
    case 'partner':
    case 'key':
    case 'token':
    case 'collection':
    case 'group':
    case 'grant':
    case 'revoke':
    case 'import':
    case 'export':
    case 'audit': {
      const parsed = parseAdminCommand(command, args, out);
      if (parsed === undefined) return 0;
      // A running server holds the embedded database: the command runs inside it.
      const relayed = absoluteArgv(parsed, process.cwd());
      const holder = environment.databaseUrl === undefined ? dataDirHolder(environment.dataDir) : undefined;
      if (holder !== undefined) return relay(environment.dataDir, holder.pid, relayed, out);
      let db;
      try {
        db = await openDatabase(environment);
      } catch (err) {
        if (err instanceof DataDirHeld) return relay(environment.dataDir, err.holder.pid, relayed, out);
        throw err;
      }
      try {
        await migrate(db);
        await runAdminCommand(db, parsed, out, { operator: operatorName(), jwt: async () => (await readConfig(environment, env)).auth.jwt });
      } finally {
        await db.close();
      }
      return 0;
    }
    case '--help':
    case '-h':
    case 'help':
      out.log(USAGE);
      return 0;
    default:
      out.error(USAGE);
      return 2;
  }
}
