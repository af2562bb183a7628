/**
 * Embedded references point to objects of the right type (stix-2.1.md §9, S45–S75).
 * The type of a reference is the prefix of the id before `--`.
 */
import type { Category } from './schema-registry.js';

type CategoryOf = (type: string) => Category | undefined;

/** Which referenced types are allowed; `describe` is how the message names them. */
interface Target {
  readonly allows: (type: string, categoryOf: CategoryOf) => boolean;
  readonly describe: string;
}

function oneOf(...types: string[]): Target {
  const set = new Set(types);
  return { allows: (t) => set.has(t), describe: types.join(' or ') };
}

const NOT_RELATABLE = new Set(['relationship', 'sighting', 'bundle', 'language-content', 'marking-definition', 'extension-definition']);

// Custom types have no known category: they are given the benefit of the doubt.
const ANY_SDO_OR_SCO: Target = { allows: (t) => !NOT_RELATABLE.has(t), describe: 'an SDO or SCO (not an SRO or meta object)' };
const AN_SDO: Target = { allows: (t, c) => (c(t) ?? 'sdo') === 'sdo', describe: 'an SDO' };
const AN_SCO: Target = { allows: (t, c) => (c(t) ?? 'sco') === 'sco', describe: 'an SCO' };
const SCO_OR_SRO: Target = { allows: (t, c) => ['sco', 'sro'].includes(c(t) ?? 'sco'), describe: 'an SCO or SRO' };

/** Property paths (dot-separated; `[]` = every list item) → allowed targets, per object type ('*' = all types). */
const RULES: Record<string, Record<string, Target>> = {
  '*': { created_by_ref: oneOf('identity'), object_marking_refs: oneOf('marking-definition'), 'granular_markings[].marking_ref': oneOf('marking-definition') },
  relationship: { source_ref: ANY_SDO_OR_SCO, target_ref: ANY_SDO_OR_SCO },
  sighting: { sighting_of_ref: AN_SDO, observed_data_refs: oneOf('observed-data'), where_sighted_refs: oneOf('identity', 'location') },
  'observed-data': { object_refs: SCO_OR_SRO },
  malware: { operating_system_refs: oneOf('software'), sample_refs: oneOf('file', 'artifact') },
  'malware-analysis': {
    host_vm_ref: oneOf('software'),
    operating_system_ref: oneOf('software'),
    installed_software_refs: oneOf('software'),
    analysis_sco_refs: AN_SCO,
    sample_ref: oneOf('file', 'network-traffic', 'artifact'),
  },
  directory: { contains_refs: oneOf('file', 'directory') },
  'domain-name': { resolves_to_refs: oneOf('ipv4-addr', 'ipv6-addr', 'domain-name') },
  'email-addr': { belongs_to_ref: oneOf('user-account') },
  'email-message': {
    from_ref: oneOf('email-addr'),
    sender_ref: oneOf('email-addr'),
    to_refs: oneOf('email-addr'),
    cc_refs: oneOf('email-addr'),
    bcc_refs: oneOf('email-addr'),
    raw_email_ref: oneOf('artifact'),
    'body_multipart[].body_raw_ref': oneOf('artifact', 'file'),
  },
  file: {
    content_ref: oneOf('artifact'),
    parent_directory_ref: oneOf('directory'),
    contains_refs: AN_SCO,
    'extensions.archive-ext.contains_refs': oneOf('file', 'directory'),
  },
  'ipv4-addr': { resolves_to_refs: oneOf('mac-addr'), belongs_to_refs: oneOf('autonomous-system') },
  'ipv6-addr': { resolves_to_refs: oneOf('mac-addr'), belongs_to_refs: oneOf('autonomous-system') },
  'network-traffic': {
    src_ref: oneOf('ipv4-addr', 'ipv6-addr', 'mac-addr', 'domain-name'),
    dst_ref: oneOf('ipv4-addr', 'ipv6-addr', 'mac-addr', 'domain-name'),
    src_payload_ref: oneOf('artifact'),
    dst_payload_ref: oneOf('artifact'),
    encapsulates_refs: oneOf('network-traffic'),
    encapsulated_by_ref: oneOf('network-traffic'),
    'extensions.http-request-ext.message_body_data_ref': oneOf('artifact'),
  },
  process: {
    opened_connection_refs: oneOf('network-traffic'),
    creator_user_ref: oneOf('user-account'),
    image_ref: oneOf('file'),
    parent_ref: oneOf('process'),
    child_refs: oneOf('process'),
    'extensions.windows-service-ext.service_dll_refs': oneOf('file'),
  },
  'windows-registry-key': { creator_user_ref: oneOf('user-account') },
};

/** Values found at a rule path, with their printable location. */
function collect(value: unknown, parts: readonly string[], at: string, out: [string, unknown][]): void {
  if (parts.length === 0) {
    if (Array.isArray(value)) value.forEach((v, i) => out.push([`${at}[${i}]`, v]));
    else if (value !== undefined) out.push([at, value]);
    return;
  }
  const [head, ...rest] = parts as [string, ...string[]];
  if (value === null || typeof value !== 'object') return;
  if (head.endsWith('[]')) {
    const list = (value as Record<string, unknown>)[head.slice(0, -2)];
    if (Array.isArray(list)) list.forEach((item, i) => collect(item, rest, `${at}.${head.slice(0, -2)}[${i}]`, out));
    return;
  }
  collect((value as Record<string, unknown>)[head], rest, `${at}.${head}`, out);
}

function splitPath(path: string): string[] {
  // Extension names contain hyphens and no dots, so a plain split is enough.
  return path.split('.');
}

/** [top-level property, path parts, target] */
type CompiledRule = readonly [head: string, parts: readonly string[], target: Target];
const compiled = new Map<string, readonly CompiledRule[]>();

function rulesFor(type: string): readonly CompiledRule[] {
  let rules = compiled.get(type);
  if (rules === undefined) {
    rules = Object.entries({ ...RULES['*'], ...RULES[type] }).map(([path, target]) => {
      const parts = splitPath(path);
      return [(parts[0] as string).replace(/\[\]$/, ''), parts, target] as const;
    });
    if (compiled.size < 1000) compiled.set(type, rules); // custom type names are unbounded
  }
  return rules;
}

export function referenceFailure(object: Record<string, unknown>, type: string, categoryOf: CategoryOf): string | undefined {
  for (const [head, parts, target] of rulesFor(type)) {
    if (object[head] === undefined) continue;
    const found: [string, unknown][] = [];
    collect(object, parts, type, found);
    for (const [where, ref] of found) {
      if (typeof ref !== 'string') continue; // the schema reports non-strings
      const refType = ref.slice(0, Math.max(0, ref.indexOf('--')));
      // A bundle is a container, not a STIX object: nothing refers to one (§8). Unlike a custom type, it gets no benefit of the doubt.
      if (refType === 'bundle' || !target.allows(refType, categoryOf)) {
        return `${where}: refers to a ${refType || 'malformed id'} object; it must refer to ${target.describe} (stix-2.1.md §9)`;
      }
    }
  }
  if (type === 'observed-data' && Array.isArray(object['object_refs'])) {
    const refs = object['object_refs'] as unknown[];
    const hasSco = refs.some((r) => typeof r === 'string' && !r.startsWith('bundle--') && (categoryOf(r.slice(0, r.indexOf('--'))) ?? 'sco') === 'sco');
    if (!hasSco) return 'observed-data.object_refs: must refer to at least one SCO (S52)';
  }
  return undefined;
}
