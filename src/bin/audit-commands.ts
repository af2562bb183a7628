/**
 * `taxii-exchange audit …` (issue 12): the audit trail from the command line,
 * through src/admin/audit.ts. Newest first; --json for machines.
 */
import { auditJson } from '../admin/views.js';
import type { AuditRecord } from '../store/audit-store.js';
import { formatMicros } from '../stix/timestamps.js';
import { CommandFailed, JSON_OPTION, type Subcommand } from './admin-command.js';

function where(r: AuditRecord): string {
  return r.apiRoot === null ? '' : ` ${r.apiRoot}/${r.collection ?? '?'}`;
}

function counts(r: AuditRecord): string {
  if (r.objectIds.length === 0) return '';
  if (r.outcomes === undefined) return ` ${r.objectIds.length} version(s)`;
  const tally = new Map<string, number>();
  for (const o of r.outcomes) tally.set(o, (tally.get(o) ?? 0) + 1);
  return ` ${r.objectIds.length} version(s) (${[...tally].map(([o, n]) => `${n} ${o}`).join(', ')})`;
}

function line(r: AuditRecord, withVersions: boolean): string {
  const who = r.actorKind === 'admin' ? r.actor : `partner ${r.actor}`;
  const from = r.address === null ? '' : ` from ${r.address}`;
  const request = r.requestId === null ? '' : ` request ${r.requestId}`;
  const versions = withVersions ? `: ${r.versions.map((v, i) => (r.outcomes === undefined ? v : `${v} ${r.outcomes[i] ?? ''}`)).join(', ')}` : counts(r);
  const operator = typeof r.detail?.['operator'] === 'string' ? ` by ${r.detail['operator']}` : '';
  const given = r.detail?.['arguments'];
  const args = Array.isArray(given) && given.length > 0 ? ` ${given.join(' ')}` : '';
  return `${formatMicros(r.at)} ${who} ${r.action} via ${r.via}${args}${where(r)}${versions}${from}${operator}${request}`;
}

export const AUDIT: Subcommand = {
  usage: 'audit [--object ID] [--partner P] [--collection ROOT/COLLECTION] [--since T] [--until T] [--limit N] [--json]',
  summary: [
    'the audit trail, newest first: --object ID: who received or sent it, which versions, when;',
    '--partner P: what P pulled, pushed or deleted; --collection: what happened there (filters combine)',
  ].join('\n'),
  options: {
    object: { type: 'string' }, partner: { type: 'string' }, collection: { type: 'string' },
    since: { type: 'string' }, until: { type: 'string' }, limit: { type: 'string' }, ...JSON_OPTION,
  },
  positionals: [],
  audit: 'none',
  async run({ audit }, args, out) {
    const v = args.values;
    const text = (name: string) => (typeof v[name] === 'string' ? (v[name] as string) : undefined);
    const limitText = text('limit');
    const limit = limitText === undefined ? undefined : Number(limitText);
    if (limit !== undefined && !Number.isInteger(limit)) throw new CommandFailed(`audit: --limit takes a whole number, not "${limitText}"`, 2);
    const object = text('object');
    const partner = text('partner');
    const collection = text('collection');
    const since = text('since');
    const until = text('until');
    const records = await audit.find({
      ...(object !== undefined && { object }),
      ...(partner !== undefined && { partner }),
      ...(collection !== undefined && { collection }),
      ...(since !== undefined && { since }),
      ...(until !== undefined && { until }),
      ...(limit !== undefined && { limit }),
    });
    if (v['json'] === true) {
      out.log(JSON.stringify(records.map(auditJson)));
      return;
    }
    if (records.length === 0) {
      out.log('nothing recorded that matches');
      return;
    }
    for (const r of records) out.log(line(r, object !== undefined));
  },
};
