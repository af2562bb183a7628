/**
 * `taxii-exchange partner …` and `taxii-exchange key …` (issue 12): onboarding
 * partners and rotating their keys without editing the configuration file. They
 * call the admin service (src/admin/partners.ts) through admin-cli.ts.
 */
import type { IssuedKey, PartnerInput } from '../admin/partners.js';
import { keyJson, partnerDetailJson, partnerJson } from '../admin/views.js';
import { nameOf } from '../stix/tlp.js';
import type { PartnerDetail, PartnerSummary } from '../store/partner-admin.js';
import { CommandFailed, JSON_OPTION, type Output, type ParsedArgs, type Subcommand } from './admin-command.js';

const PARTNER_OPTIONS = {
  name: { type: 'string' },
  clearance: { type: 'string' },
  community: { type: 'string', multiple: true },
  identity: { type: 'string' },
  certificate: { type: 'string', multiple: true },
  'require-certificate': { type: 'string' },
} as const;

function inputOf(args: ParsedArgs): PartnerInput {
  const v = args.values;
  return {
    ...(typeof v['name'] === 'string' && { name: v['name'] }),
    ...(typeof v['clearance'] === 'string' && { clearance: v['clearance'] }),
    ...(Array.isArray(v['community']) && { communities: v['community'] }),
    ...(typeof v['identity'] === 'string' && { identity: v['identity'] === '' ? null : v['identity'] }),
    // --certificate "" clears the list.
    ...(Array.isArray(v['certificate']) && { certificates: v['certificate'].filter((c) => c !== '') }),
    ...(typeof v['require-certificate'] === 'string' && { requireCertificate: yesOrNo('--require-certificate', v['require-certificate']) }),
  };
}

function yesOrNo(option: string, value: string): boolean {
  if (value === 'yes' || value === 'no') return value === 'yes';
  throw new CommandFailed(`${option}: yes or no, not "${value}"`, 2);
}

const CERTIFICATE_USAGE = '[--certificate sha256:HEX|subject:DN|san:TYPE:VALUE]... [--require-certificate yes|no]';


function describe(p: PartnerSummary): string {
  const communities = p.communities.length === 0 ? 'no communities' : `communities ${p.communities.join(', ')}`;
  return `${p.id} (${p.name}): ${p.status}, clearance ${nameOf(p.clearance)}, ${communities}`;
}

function printKey(out: Output, partnerId: string, key: IssuedKey): void {
  out.log(`API key (shown once; give it to the partner now): ${key.secret}`);
  out.log(`key id ${key.id}; the partner authenticates as ${partnerId} with HTTP Basic; revoke with: taxii-exchange key revoke ${partnerId} ${key.id}`);
}

export const PARTNER: Record<string, Subcommand> = {
  add: {
    usage: `partner add ID --name NAME [--clearance LEVEL] [--community C]... [--identity identity--UUID] ${CERTIFICATE_USAGE} [--json]`,
    summary: 'onboard a partner; prints its first API key once',
    options: { ...PARTNER_OPTIONS, ...JSON_OPTION },
    positionals: ['ID'],
    async run({ partners: admin }, args, out) {
      const { partner, key } = await admin.add(args.positionals[0] as string, inputOf(args));
      if (args.values['json'] === true) {
        out.log(JSON.stringify({ partner: partnerJson(partner), key: keyJson(key) }));
        return;
      }
      out.log(`partner added: ${describe(partner)}`);
      printKey(out, partner.id, key);
    },
  },
  list: {
    audit: 'none',
    usage: 'partner list [--json]',
    summary: 'every partner, with who manages it',
    options: { ...JSON_OPTION },
    positionals: [],
    async run({ partners: admin }, args, out) {
      const partners = await admin.list();
      if (args.values['json'] === true) {
        out.log(JSON.stringify(partners.map(partnerJson)));
        return;
      }
      for (const p of partners) out.log(`${describe(p)}${p.managedBy === 'config' ? ' [configuration file]' : ''}`);
      if (partners.length === 0) out.log('no partners');
    },
  },
  show: {
    audit: 'none',
    usage: 'partner show ID [--json]',
    summary: 'a partner with its keys, groups and grants',
    options: { ...JSON_OPTION },
    positionals: ['ID'],
    async run({ partners: admin }, args, out) {
      const p: PartnerDetail = await admin.show(args.positionals[0] as string);
      const detail = partnerDetailJson(p);
      if (args.values['json'] === true) {
        out.log(JSON.stringify(detail));
        return;
      }
      out.log(describe(p));
      out.log(`managed by: ${p.managedBy === 'config' ? 'the configuration file' : 'administration (the command line and the admin API)'}`);
      if (p.identity !== null) out.log(`identity: ${p.identity}`);
      for (const c of p.certificates) out.log(`client certificate: ${c}`);
      if (p.requireCertificate) out.log('must present its client certificate besides its key or token');
      out.log(`groups: ${p.groups.length === 0 ? 'none' : p.groups.join(', ')}`);
      for (const k of detail.keys) out.log(`key ${k.id}: created ${k.created}${k.revoked === null ? '' : `, revoked ${k.revoked}`}`);
      if (p.fileKeys > 0) out.log(`keys in the configuration file: ${p.fileKeys}`);
      for (const g of detail.grants) {
        out.log(`grant /${g.api_root}/ ${g.collection}: ${[g.read && 'read', g.write && 'write'].filter(Boolean).join(' and ')}${g.via_group === null ? '' : ` (group ${g.via_group})`}`);
      }
    },
  },
  set: {
    usage: `partner set ID [--name NAME] [--clearance LEVEL] [--community C]... [--identity identity--UUID|""] ${CERTIFICATE_USAGE.replace(']...', '|""]...')}`,
    summary: 'change a partner the command line manages (--community and --certificate replace the list)',
    options: { ...PARTNER_OPTIONS },
    positionals: ['ID'],
    async run({ partners: admin }, args, out) {
      const input = inputOf(args);
      if (Object.keys(input).length === 0) {
        throw new CommandFailed('partner set: nothing to change (give --name, --clearance, --community, --identity, --certificate or --require-certificate)', 2);
      }
      out.log(`partner changed: ${describe(await admin.set(args.positionals[0] as string, input))}`);
    },
  },
  suspend: {
    usage: 'partner suspend ID',
    summary: 'refuse the partner from its next request on',
    options: {},
    positionals: ['ID'],
    async run({ partners: admin }, args, out) {
      out.log(`partner suspended: ${describe(await admin.suspend(args.positionals[0] as string))}`);
    },
  },
  resume: {
    usage: 'partner resume ID',
    summary: 'serve a suspended partner again',
    options: {},
    positionals: ['ID'],
    async run({ partners: admin }, args, out) {
      out.log(`partner resumed: ${describe(await admin.resume(args.positionals[0] as string))}`);
    },
  },
};

export const KEY: Record<string, Subcommand> = {
  add: {
    usage: 'key add PARTNER [--json]',
    summary: 'issue another API key (for a rotation: add, hand over, then revoke the old one)',
    options: { ...JSON_OPTION },
    positionals: ['PARTNER'],
    async run({ partners: admin }, args, out) {
      const partnerId = args.positionals[0] as string;
      const key = await admin.addKey(partnerId);
      if (args.values['json'] === true) out.log(JSON.stringify({ partner: partnerId, key: keyJson(key) }));
      else printKey(out, partnerId, key);
    },
  },
  revoke: {
    usage: 'key revoke PARTNER KEY-ID',
    summary: 'refuse that key from the next request on',
    options: {},
    positionals: ['PARTNER', 'KEY-ID'],
    async run({ partners: admin }, args, out) {
      const [partnerId, keyId] = args.positionals as [string, string];
      await admin.revokeKey(partnerId, keyId);
      out.log(`key ${keyId} of ${partnerId} revoked`);
    },
  },
};

export const TOKEN: Record<string, Subcommand> = {
  issue: {
    usage: 'token issue PARTNER [--ttl 1h] [--json]',
    summary: 'a bearer token (JWT) for the partner, signed with the configured HS256/384/512 key; at most 30 days',
    options: { ttl: { type: 'string' }, ...JSON_OPTION },
    positionals: ['PARTNER'],
    async run(services, args, out) {
      const partnerId = args.positionals[0] as string;
      const ttl = typeof args.values['ttl'] === 'string' ? args.values['ttl'] : '1h';
      const issued = await services.issueToken(partnerId, ttl);
      const expires = new Date(issued.expiresAt).toISOString();
      if (args.values['json'] === true) out.log(JSON.stringify({ partner: partnerId, token: issued.token, expires }));
      else out.log(`${issued.token}\n(a bearer token for ${partnerId}, valid until ${expires}: Authorization: Bearer <token>)`);
    },
  },
};
