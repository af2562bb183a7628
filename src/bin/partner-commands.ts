/**
 * `taxii-exchange partner …` and `taxii-exchange key …` (issue 12): onboarding
 * partners and rotating their keys without editing the configuration file. Each
 * subcommand has --help; listings have --json; a failure exits non-zero with a
 * one-line reason. They call the admin service (src/admin/partners.ts).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createPartnerAdmin, type IssuedKey, type PartnerAdmin, type PartnerInput } from '../admin/partners.js';
import { TaxiiError } from '../errors.js';
import { TLP_LEVELS, nameOf } from '../stix/tlp.js';
import type { PartnerDetail, PartnerSummary } from '../store/partner-admin.js';
import type { Db } from '../store/db.js';

export interface Output {
  log(line: string): void;
  error(line: string): void;
}

/** A command that went wrong in a way its user can fix: printed as one line, exit 1 (2 for usage). */
export class CommandFailed extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CommandFailed';
  }
}

interface Subcommand {
  readonly usage: string;
  readonly summary: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  readonly positionals: readonly string[];
  run(admin: PartnerAdmin, args: ParsedArgs, out: Output): Promise<void>;
}

interface ParsedArgs {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: readonly string[];
}

const JSON_OPTION = { json: { type: 'boolean' } } as const;
const PARTNER_OPTIONS = {
  name: { type: 'string' },
  clearance: { type: 'string' },
  community: { type: 'string', multiple: true },
  identity: { type: 'string' },
} as const;

function inputOf(args: ParsedArgs): PartnerInput {
  const v = args.values;
  return {
    ...(typeof v['name'] === 'string' && { name: v['name'] }),
    ...(typeof v['clearance'] === 'string' && { clearance: v['clearance'] }),
    ...(Array.isArray(v['community']) && { communities: v['community'] }),
    ...(typeof v['identity'] === 'string' && { identity: v['identity'] === '' ? null : v['identity'] }),
  };
}

const summaryJson = (p: PartnerSummary) => ({
  id: p.id, name: p.name, status: p.status, clearance: nameOf(p.clearance), communities: p.communities,
  identity: p.identity, managed_by: p.managedBy === 'config' ? 'configuration file' : 'command line',
});

function describe(p: PartnerSummary): string {
  const communities = p.communities.length === 0 ? 'no communities' : `communities ${p.communities.join(', ')}`;
  return `${p.id} (${p.name}): ${p.status}, clearance ${nameOf(p.clearance)}, ${communities}`;
}

function printKey(out: Output, partnerId: string, key: IssuedKey): void {
  out.log(`API key (shown once; give it to the partner now): ${key.secret}`);
  out.log(`key id ${key.id}; the partner authenticates as ${partnerId} with HTTP Basic; revoke with: taxii-exchange key revoke ${partnerId} ${key.id}`);
}

const PARTNER: Record<string, Subcommand> = {
  add: {
    usage: 'partner add ID --name NAME [--clearance LEVEL] [--community C]... [--identity identity--UUID] [--json]',
    summary: 'onboard a partner; prints its first API key once',
    options: { ...PARTNER_OPTIONS, ...JSON_OPTION },
    positionals: ['ID'],
    async run(admin, args, out) {
      const { partner, key } = await admin.add(args.positionals[0] as string, inputOf(args));
      if (args.values['json'] === true) {
        out.log(JSON.stringify({ partner: summaryJson(partner), key: { id: key.id, secret: key.secret } }));
        return;
      }
      out.log(`partner added: ${describe(partner)}`);
      printKey(out, partner.id, key);
    },
  },
  list: {
    usage: 'partner list [--json]',
    summary: 'every partner, with who manages it',
    options: { ...JSON_OPTION },
    positionals: [],
    async run(admin, args, out) {
      const partners = await admin.list();
      if (args.values['json'] === true) {
        out.log(JSON.stringify(partners.map(summaryJson)));
        return;
      }
      for (const p of partners) out.log(`${describe(p)}${p.managedBy === 'config' ? ' [configuration file]' : ''}`);
      if (partners.length === 0) out.log('no partners');
    },
  },
  show: {
    usage: 'partner show ID [--json]',
    summary: 'a partner with its keys, groups and grants',
    options: { ...JSON_OPTION },
    positionals: ['ID'],
    async run(admin, args, out) {
      const p: PartnerDetail = await admin.show(args.positionals[0] as string);
      const keys = p.keys.map((k) => ({ id: k.id, created: new Date(k.createdAt).toISOString(), revoked: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString() }));
      const grants = p.grants.map((g) => ({ api_root: g.apiRoot, collection: g.collection, via_group: g.group, read: g.read, write: g.write }));
      if (args.values['json'] === true) {
        out.log(JSON.stringify({ ...summaryJson(p), keys, keys_in_configuration_file: p.fileKeys, groups: p.groups, grants }));
        return;
      }
      out.log(describe(p));
      out.log(`managed by: ${p.managedBy === 'config' ? 'the configuration file' : 'the command line'}`);
      if (p.identity !== null) out.log(`identity: ${p.identity}`);
      out.log(`groups: ${p.groups.length === 0 ? 'none' : p.groups.join(', ')}`);
      for (const k of keys) out.log(`key ${k.id}: created ${k.created}${k.revoked === null ? '' : `, revoked ${k.revoked}`}`);
      if (p.fileKeys > 0) out.log(`keys in the configuration file: ${p.fileKeys}`);
      for (const g of grants) {
        out.log(`grant /${g.api_root}/ ${g.collection}: ${[g.read && 'read', g.write && 'write'].filter(Boolean).join(' and ')}${g.via_group === null ? '' : ` (group ${g.via_group})`}`);
      }
    },
  },
  set: {
    usage: 'partner set ID [--name NAME] [--clearance LEVEL] [--community C]... [--identity identity--UUID|""]',
    summary: 'change a partner the command line manages (--community replaces the list)',
    options: { ...PARTNER_OPTIONS },
    positionals: ['ID'],
    async run(admin, args, out) {
      const input = inputOf(args);
      if (Object.keys(input).length === 0) throw new CommandFailed('partner set: nothing to change (give --name, --clearance, --community or --identity)', 2);
      out.log(`partner changed: ${describe(await admin.set(args.positionals[0] as string, input))}`);
    },
  },
  suspend: {
    usage: 'partner suspend ID',
    summary: 'refuse the partner from its next request on',
    options: {},
    positionals: ['ID'],
    async run(admin, args, out) {
      out.log(`partner suspended: ${describe(await admin.suspend(args.positionals[0] as string))}`);
    },
  },
  resume: {
    usage: 'partner resume ID',
    summary: 'serve a suspended partner again',
    options: {},
    positionals: ['ID'],
    async run(admin, args, out) {
      out.log(`partner resumed: ${describe(await admin.resume(args.positionals[0] as string))}`);
    },
  },
};

const KEY: Record<string, Subcommand> = {
  add: {
    usage: 'key add PARTNER [--json]',
    summary: 'issue another API key (for a rotation: add, hand over, then revoke the old one)',
    options: { ...JSON_OPTION },
    positionals: ['PARTNER'],
    async run(admin, args, out) {
      const partnerId = args.positionals[0] as string;
      const key = await admin.addKey(partnerId);
      if (args.values['json'] === true) out.log(JSON.stringify({ partner: partnerId, key: { id: key.id, secret: key.secret } }));
      else printKey(out, partnerId, key);
    },
  },
  revoke: {
    usage: 'key revoke PARTNER KEY-ID',
    summary: 'refuse that key from the next request on',
    options: {},
    positionals: ['PARTNER', 'KEY-ID'],
    async run(admin, args, out) {
      const [partnerId, keyId] = args.positionals as [string, string];
      await admin.revokeKey(partnerId, keyId);
      out.log(`key ${keyId} of ${partnerId} revoked`);
    },
  },
};

export const ADMIN_GROUPS: Record<string, Record<string, Subcommand>> = { partner: PARTNER, key: KEY };

function groupHelp(group: string): string {
  const commands = ADMIN_GROUPS[group] ?? {};
  const lines = Object.values(commands).map((c) => `  ${c.usage}\n      ${c.summary}`);
  return [`usage: taxii-exchange ${group} <${Object.keys(commands).join(' | ')}> …`, ...lines, `(each with --help)`].join('\n');
}

/** Parses a `partner …` or `key …` invocation; undefined when it only asked for help. */
export function parseAdminCommand(group: string, argv: readonly string[], out: Output): { command: Subcommand; args: ParsedArgs } | undefined {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out.log(groupHelp(group));
    return undefined;
  }
  const command = ADMIN_GROUPS[group]?.[name];
  if (command === undefined) throw new CommandFailed(`${group}: unknown subcommand "${name}"\n${groupHelp(group)}`, 2);
  if (rest.includes('--help') || rest.includes('-h')) {
    out.log(`usage: taxii-exchange ${command.usage}\n${command.summary}\nclearance levels: ${TLP_LEVELS.join(', ')}`);
    return undefined;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], options: command.options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CommandFailed(`${group} ${name}: ${(err as Error).message.split(/\.\s/)[0]} (usage: taxii-exchange ${command.usage})`, 2);
  }
  if (parsed.positionals.length !== command.positionals.length) {
    throw new CommandFailed(`${group} ${name}: expected ${command.positionals.join(' ') || 'no arguments'} (usage: taxii-exchange ${command.usage})`, 2);
  }
  return { command, args: { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals } };
}

export async function runAdminCommand(db: Db, command: Subcommand, args: ParsedArgs, out: Output): Promise<void> {
  try {
    await command.run(createPartnerAdmin(db), args, out);
  } catch (err) {
    if (err instanceof TaxiiError) throw new CommandFailed(err.description);
    throw err;
  }
}
