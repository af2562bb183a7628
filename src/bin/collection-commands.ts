/**
 * `taxii-exchange collection …`, `group …`, `grant …` and `revoke …` (issue 12):
 * collections and who may read and write them, without editing the configuration
 * file. They call the admin service (src/admin/collections.ts).
 */
import type { CollectionInput } from '../admin/collections.js';
import { nameOf } from '../stix/tlp.js';
import type { CollectionRecord, GroupRecord } from '../store/collection-admin.js';
import { CommandFailed, JSON_OPTION, type Output, type ParsedArgs, type Subcommand } from './admin-command.js';
import { collectionJson, groupJson } from '../admin/views.js';

const SETTINGS = {
  title: { type: 'string' },
  description: { type: 'string' },
  alias: { type: 'string' },
  'default-tlp': { type: 'string' },
  'max-tlp': { type: 'string' },
  validation: { type: 'string' },
  granular: { type: 'string' },
} as const;

function inputOf(args: ParsedArgs): CollectionInput {
  const text = (name: string) => (typeof args.values[name] === 'string' ? (args.values[name] as string) : undefined);
  const pairs: [keyof CollectionInput, string | undefined][] = [
    ['title', text('title')], ['description', text('description')], ['alias', text('alias')], ['defaultTlp', text('default-tlp')],
    ['maxTlp', text('max-tlp')], ['validation', text('validation')], ['granular', text('granular')],
  ];
  return Object.fromEntries(pairs.filter(([, v]) => v !== undefined));
}

const rights = (g: { read: boolean; write: boolean }) => [g.read && 'read', g.write && 'write'].filter(Boolean).join(' and ');


function describe(c: CollectionRecord): string {
  const name = c.alias === null ? c.id : `${c.alias} (${c.id})`;
  return `${c.apiRoot}/${name}: "${c.title}", default ${nameOf(c.defaultTlp)}, max ${nameOf(c.maxTlp)}, ${c.validation} validation, granular ${c.granular}`;
}

function printCollection(out: Output, c: CollectionRecord): void {
  out.log(describe(c));
  out.log(`managed by: ${c.managedBy === 'config' ? 'the configuration file' : 'administration (the command line and the admin API)'}`);
  for (const g of c.grants) out.log(`grant ${g.to}: ${rights(g)}${g.managedBy === 'config' ? ' [configuration file]' : ''}`);
  if (c.grants.length === 0) out.log('no grants: nobody sees it yet (taxii-exchange grant PARTNER|@GROUP COLLECTION --read --write)');
}

const printGroup = (out: Output, json: boolean, g: GroupRecord) =>
  out.log(json ? JSON.stringify(groupJson(g)) : `group ${g.id}: ${g.members.length === 0 ? 'no members' : g.members.join(', ')}`);

export const COLLECTION: Record<string, Subcommand> = {
  add: {
    usage: 'collection add API-ROOT --title TITLE [--alias A] [--description D] [--default-tlp L] [--max-tlp L] [--validation strict|standard|permissive] [--granular withhold|redact] [--json]',
    summary: 'create a collection (defaults: default TLP amber, max red, standard validation, withhold)',
    options: { ...SETTINGS, ...JSON_OPTION },
    positionals: ['API-ROOT'],
    async run({ collections }, args, out) {
      const created = await collections.add(args.positionals[0] as string, inputOf(args));
      if (args.values['json'] === true) out.log(JSON.stringify(collectionJson(created)));
      else printCollection(out, created);
    },
  },
  list: {
    audit: 'none',
    usage: 'collection list [API-ROOT] [--json]',
    summary: 'every collection, with its settings and who manages it',
    options: { ...JSON_OPTION },
    positionals: [],
    optional: ['API-ROOT'],
    async run({ collections }, args, out) {
      const list = await collections.list(args.positionals[0]);
      if (args.values['json'] === true) out.log(JSON.stringify(list.map(collectionJson)));
      else for (const c of list) out.log(`${describe(c)}${c.managedBy === 'config' ? ' [configuration file]' : ''}`);
    },
  },
  show: {
    audit: 'none',
    usage: 'collection show API-ROOT/ALIAS-OR-ID [--json]',
    summary: 'a collection with its settings and grants',
    options: { ...JSON_OPTION },
    positionals: ['API-ROOT/ALIAS-OR-ID'],
    async run({ collections }, args, out) {
      const c = await collections.show(args.positionals[0] as string);
      if (args.values['json'] === true) out.log(JSON.stringify(collectionJson(c)));
      else printCollection(out, c);
    },
  },
  set: {
    usage: 'collection set API-ROOT/ALIAS-OR-ID [--title T] [--alias A|""] [--description D|""] [--default-tlp L] [--max-tlp L] [--validation V] [--granular G]',
    summary: 'change a collection the command line manages; applies on the next request',
    options: { ...SETTINGS },
    positionals: ['API-ROOT/ALIAS-OR-ID'],
    async run({ collections }, args, out) {
      const input = inputOf(args);
      if (Object.keys(input).length === 0) throw new CommandFailed('collection set: nothing to change', 2);
      out.log(`collection changed: ${describe(await collections.set(args.positionals[0] as string, input))}`);
    },
  },
};

export const GROUP: Record<string, Subcommand> = {
  add: {
    usage: 'group add ID',
    summary: 'create a group of partners, to grant many at once (grant @ID …)',
    options: {},
    positionals: ['ID'],
    async run({ collections }, args, out) {
      printGroup(out, false, await collections.addGroup(args.positionals[0] as string));
    },
  },
  'add-member': {
    usage: 'group add-member GROUP PARTNER',
    summary: 'add a partner to a group the command line manages',
    options: {},
    positionals: ['GROUP', 'PARTNER'],
    async run({ collections }, args, out) {
      const [group, partner] = args.positionals as [string, string];
      printGroup(out, false, await collections.addMember(group, partner));
    },
  },
  'remove-member': {
    usage: 'group remove-member GROUP PARTNER',
    summary: 'take a partner out of a group the command line manages',
    options: {},
    positionals: ['GROUP', 'PARTNER'],
    async run({ collections }, args, out) {
      const [group, partner] = args.positionals as [string, string];
      printGroup(out, false, await collections.removeMember(group, partner));
    },
  },
};

export const GRANT: Subcommand = {
  usage: 'grant PARTNER|@GROUP API-ROOT/ALIAS-OR-ID [--read] [--write]',
  summary: 'let a partner or group read and/or write a collection (replaces a grant the command line gave before)',
  options: { read: { type: 'boolean' }, write: { type: 'boolean' } },
  positionals: ['PARTNER|@GROUP', 'API-ROOT/ALIAS-OR-ID'],
  async run({ collections }, args, out) {
    const [grantee, path] = args.positionals as [string, string];
    const read = args.values['read'] === true;
    const write = args.values['write'] === true;
    await collections.grant(grantee, path, { read, write });
    out.log(`granted: ${grantee} may ${rights({ read, write })} ${path}`);
  },
};

export const REVOKE: Subcommand = {
  usage: 'revoke PARTNER|@GROUP API-ROOT/ALIAS-OR-ID',
  summary: 'take away the grant the command line gave; applies on the next request',
  options: {},
  positionals: ['PARTNER|@GROUP', 'API-ROOT/ALIAS-OR-ID'],
  async run({ collections }, args, out) {
    const [grantee, path] = args.positionals as [string, string];
    await collections.revoke(grantee, path);
    out.log(`revoked: ${grantee} no longer holds a grant of ${path} from the command line`);
  },
};
