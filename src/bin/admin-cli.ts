/**
 * The administration commands of the command line (issue 12): parsed (node:util
 * parseArgs), helped (--help) and run against the admin services. The commands
 * are declared in partner-commands.ts, collection-commands.ts, transfer-commands.ts
 * (import, export) and audit-commands.ts (admin-command.ts says how).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createAuditQueries } from '../admin/audit.js';
import { createCollectionAdmin } from '../admin/collections.js';
import { createPartnerAdmin } from '../admin/partners.js';
import { issueToken, parseTtl } from '../admin/tokens.js';
import { createTransfers } from '../admin/transfers.js';
import type { Strictness, ObjectValidator } from '../stix/object-validator.js';
import { createValidators } from '../stix/validators.js';
import { createStore } from '../store/index.js';
import { TaxiiError } from '../errors.js';
import { TLP_LEVELS } from '../stix/tlp.js';
import type { Db } from '../store/db.js';
import { CommandFailed, type CommandContext, type Output, type ParsedArgs, type ParsedCommand, type Subcommand } from './admin-command.js';
import { COLLECTION, GRANT, GROUP, REVOKE } from './collection-commands.js';
import { KEY, PARTNER, TOKEN } from './partner-commands.js';
import { EXPORT, IMPORT } from './transfer-commands.js';
import { AUDIT } from './audit-commands.js';

/**
 * Command groups: `partner add …`, `key revoke …`; a group whose one command is
 * named '' takes no subcommand (`grant …`).
 */
export const ADMIN_GROUPS: Record<string, Record<string, Subcommand>> = {
  partner: PARTNER, key: KEY, token: TOKEN, collection: COLLECTION, group: GROUP, grant: { '': GRANT }, revoke: { '': REVOKE },
  import: { '': IMPORT }, export: { '': EXPORT }, audit: { '': AUDIT },
};

function groupHelp(group: string): string {
  const commands = ADMIN_GROUPS[group] ?? {};
  const lines = Object.values(commands).map((c) => `  ${c.usage}\n      ${c.summary}`);
  if (commands[''] !== undefined) return `usage: taxii-exchange ${commands[''].usage}\n${commands[''].summary}`;
  return [`usage: taxii-exchange ${group} <${Object.keys(commands).join(' | ')}> …`, ...lines, `(each with --help)`].join('\n');
}

/** Parses an invocation of a command group; undefined when it only asked for help. */
export function parseAdminCommand(group: string, argv: readonly string[], out: Output): ParsedCommand | undefined {
  const single = ADMIN_GROUPS[group]?.[''] !== undefined;
  const [name, ...rest] = single ? ['', ...argv] : argv;
  if (name === undefined || (!single && (name === '--help' || name === '-h' || name === 'help'))) {
    out.log(groupHelp(group));
    return undefined;
  }
  const command = ADMIN_GROUPS[group]?.[name];
  if (command === undefined) throw new CommandFailed(`${group}: unknown subcommand "${name}" (see taxii-exchange ${group} --help)`, 2);
  if (rest.includes('--help') || rest.includes('-h')) {
    out.log(`usage: taxii-exchange ${command.usage}\n${command.summary}\nTLP levels: ${TLP_LEVELS.join(', ')}`);
    return undefined;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], options: command.options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CommandFailed(`${[group, name].join(' ').trim()}: ${(err as Error).message.split(/\.\s/)[0]} (usage: taxii-exchange ${command.usage})`, 2);
  }
  const given = parsed.positionals.length;
  const most = command.variadic === true ? Infinity : command.positionals.length + (command.optional?.length ?? 0);
  if (given < command.positionals.length || given > most) {
    throw new CommandFailed(`${[group, name].join(' ').trim()}: expected ${command.positionals.join(' ') || 'no arguments'} (usage: taxii-exchange ${command.usage})`, 2);
  }
  return { name: [group, name].join(' ').trim(), command, args: { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals } };
}

/** Compiled once per process, when an import first needs them. */
let validators: Readonly<Record<Strictness, ObjectValidator>> | undefined;

/**
 * The argv that names the same command with its paths made absolute (see
 * Subcommand.paths), for a server whose working directory is not the caller's.
 */
export function absoluteArgv(parsed: ParsedCommand, cwd: string): string[] {
  const { command, args } = parsed;
  const argv = parsed.name.split(' ');
  for (const [option, value] of Object.entries(args.values)) {
    if (value === undefined || value === false) continue;
    if (value === true) argv.push(`--${option}`);
    else for (const v of Array.isArray(value) ? value : [value]) argv.push(`--${option}=${command.paths === true && option === 'output' ? resolve(cwd, v) : v}`);
  }
  argv.push('--', ...args.positionals.map((p) => (command.paths === true ? resolve(cwd, p) : p)));
  return argv;
}

/** Runs a parsed command against `db`; a change is recorded in the audit trail once it is made. */
export async function runAdminCommand(db: Db, parsed: ParsedCommand, out: Output, context: CommandContext): Promise<void> {
  const store = createStore(db);
  const services = {
    partners: createPartnerAdmin(db),
    collections: createCollectionAdmin(db),
    issueToken: async (partnerId: string, ttl: string) => issueToken(db, await context.jwt(), partnerId, parseTtl(ttl)),
    transfers: createTransfers(store, () => (validators ??= createValidators()), context.operator),
    audit: createAuditQueries(store),
  };
  try {
    await parsed.command.run(services, parsed.args, out);
  } catch (err) {
    if (err instanceof TaxiiError) throw new CommandFailed(err.description);
    throw err;
  }
  if (parsed.command.audit !== undefined) return;
  try {
    await store.audit.record({
      actorKind: 'admin', actor: context.operator, address: 'local', action: 'admin', via: parsed.name,
      apiRoot: null, collectionId: null, requestId: null,
      detail: { arguments: parsed.args.positionals, options: parsed.args.values },
    });
  } catch (err) {
    throw new CommandFailed(`${parsed.name} was done, but could not be recorded in the audit trail (${(err as Error).message})`);
  }
}

export { CommandFailed, type Output } from './admin-command.js';
