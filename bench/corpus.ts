/**
 * A seeded, realistic STIX 2.1 corpus for the benchmark, shaped after the real
 * data in ../shared/data: mostly indicators with STIX patterns, relationships
 * between them and ATT&CK-like objects, SCOs, some reports; a share of objects
 * with several versions; TLP 1.0 and 2.0 markings at every level, RED ones with
 * a recipients marking.
 *
 * The TLP mix is chosen so that a partner with clearance GREEN sees about half
 * of the collection and a partner with clearance RED named in the recipients
 * marking sees all of it (the policy-cost measurement compares those two).
 */
import { RECIPIENTS_EXTENSION_ID } from '../src/policy/recipients.js';
import { TLP_IDS } from '../src/stix/tlp.js';
import { mulberry32 } from '../test/helpers/random.js';

export const RECIPIENTS_MARKING_ID = 'marking-definition--0b7c3f52-6f1e-4d8a-9c3b-2a1d4e5f6a7b';
export const BENCH_IDENTITY_ID = 'identity--5d0e1f4a-8b7c-4e2d-9f3a-6c5b4a3d2e1f';

/** The partner every RED object names as recipient (see bench/run.ts). */
export const SEE_ALL_PARTNER = 'bench-all';

export interface Corpus {
  /** Envelope bodies (JSON text), in posting order. */
  readonly envelopes: readonly string[];
  readonly objectCount: number;
  /** Ids of objects in the corpus, for match[id] lookups. */
  readonly sampleIds: readonly string[];
  /** Mean size of one object's JSON text in bytes. */
  readonly meanObjectBytes: number;
}

type Rng = () => number;

function uuid4(rng: Rng): string {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rng() * 16).toString(16)).join('');
  const variant = '89ab'[Math.floor(rng() * 4)] as string;
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`;
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)] as T;
}

/** Mix of TLP markings: about half CLEAR/GREEN, the rest AMBER and above or unmarked (default AMBER). */
function markingsFor(rng: Rng): string[] | undefined {
  const r = rng();
  if (r < 0.15) return [TLP_IDS.clear];
  if (r < 0.2) return [TLP_IDS.white];
  if (r < 0.42) return [TLP_IDS.green];
  if (r < 0.5) return [TLP_IDS.green1];
  if (r < 0.7) return [TLP_IDS.amber];
  if (r < 0.75) return [TLP_IDS.amber1];
  if (r < 0.83) return [TLP_IDS.amberStrict];
  if (r < 0.87) return [TLP_IDS.red, RECIPIENTS_MARKING_ID];
  if (r < 0.88) return [TLP_IDS.red1, RECIPIENTS_MARKING_ID];
  return undefined;
}

const TACTICS = ['initial-access', 'execution', 'persistence', 'privilege-escalation', 'defense-evasion', 'credential-access',
  'discovery', 'lateral-movement', 'collection', 'command-and-control', 'exfiltration', 'impact'];
const MALWARE = ['Emotet', 'QakBot', 'IcedID', 'Cobalt Strike', 'AgentTesla', 'RedLine', 'Formbook', 'njRAT', 'AsyncRAT', 'Raccoon'];
const TLDS = ['com', 'net', 'org', 'info', 'xyz', 'top', 'ru', 'cn', 'io'];

function timestamp(base: number, offsetSeconds: number): string {
  return new Date(base + offsetSeconds * 1000).toISOString();
}

interface Generated {
  readonly object: Record<string, unknown>;
  /** Further versions to post later (same id, later modified). */
  readonly laterVersions: Record<string, unknown>[];
}

class CorpusBuilder {
  private readonly rng: Rng;
  private readonly base = Date.UTC(2025, 0, 1);
  private n = 0;
  /** Ids of SDOs that relationships can point at. */
  private readonly targets: string[] = [];
  private readonly indicators: string[] = [];

  constructor(seed: number) {
    this.rng = mulberry32(seed);
  }

  private common(type: string): Record<string, unknown> {
    this.n += 1;
    const created = timestamp(this.base, this.n * 37);
    const marks = markingsFor(this.rng);
    return {
      type,
      spec_version: '2.1',
      id: `${type}--${uuid4(this.rng)}`,
      created_by_ref: BENCH_IDENTITY_ID,
      created,
      modified: created,
      ...(marks !== undefined && { object_marking_refs: marks }),
    };
  }

  private indicator(): Record<string, unknown> {
    const o = this.common('indicator');
    const rng = this.rng;
    const ip = `${1 + Math.floor(rng() * 222)}.${Math.floor(rng() * 256)}.${Math.floor(rng() * 256)}.${Math.floor(rng() * 256)}`;
    const domain = `${uuid4(rng).slice(0, 10)}.${pick(rng, TLDS)}`;
    const sha256 = uuid4(rng).replace(/-/g, '') + uuid4(rng).replace(/-/g, '');
    const shapes = [
      { name: `C2 server ${ip}`, pattern: `[ipv4-addr:value = '${ip}']` },
      { name: `Phishing domain ${domain}`, pattern: `[domain-name:value = '${domain}'] OR [url:value = 'https://${domain}/login.php']` },
      { name: `Payload ${sha256.slice(0, 12)}`, pattern: `[file:hashes.'SHA-256' = '${sha256.slice(0, 64)}']` },
      { name: `Beacon to ${ip}`, pattern: `[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '${ip}' AND network-traffic:dst_port = ${1024 + Math.floor(rng() * 60000)}]` },
    ];
    const shape = pick(rng, shapes);
    this.indicators.push(o['id'] as string);
    return {
      ...o,
      name: shape.name,
      description: `Observed by the alliance sensor network during campaign ${Math.floor(rng() * 500)}; high confidence after sandbox detonation.`,
      indicator_types: [pick(rng, ['malicious-activity', 'compromised', 'anomalous-activity', 'attribution'])],
      pattern: shape.pattern,
      pattern_type: 'stix',
      valid_from: o['created'],
      kill_chain_phases: [{ kill_chain_name: 'mitre-attack', phase_name: pick(rng, TACTICS) }],
      labels: ['bench', pick(rng, MALWARE).toLowerCase().replace(/ /g, '-')],
      confidence: 50 + Math.floor(rng() * 50),
    };
  }

  private sdo(): Record<string, unknown> {
    const rng = this.rng;
    const kind = pick(rng, ['attack-pattern', 'malware', 'intrusion-set', 'tool'] as const);
    const o = this.common(kind);
    const technique = `T${1000 + Math.floor(rng() * 600)}`;
    const refs = [{ source_name: 'mitre-attack', external_id: technique, url: `https://attack.mitre.org/techniques/${technique}/` }];
    this.targets.push(o['id'] as string);
    switch (kind) {
      case 'attack-pattern':
        return { ...o, name: `Technique ${technique}`, description: 'Adversaries may abuse this behaviour to gain a foothold and evade defences.',
          kill_chain_phases: [{ kill_chain_name: 'mitre-attack', phase_name: pick(rng, TACTICS) }], external_references: refs };
      case 'malware':
        return { ...o, name: pick(rng, MALWARE), is_family: true, malware_types: [pick(rng, ['trojan', 'ransomware', 'backdoor', 'bot'])],
          description: 'Modular malware family delivered by phishing attachments.', external_references: refs };
      case 'intrusion-set':
        return { ...o, name: `Group ${Math.floor(rng() * 200)}`, aliases: [`APT-${Math.floor(rng() * 99)}`],
          description: 'State-aligned intrusion set targeting government and defence sectors.', external_references: refs };
      case 'tool':
        return { ...o, name: pick(rng, ['Mimikatz', 'PsExec', 'AdFind', 'Rclone', 'ngrok']), tool_types: ['credential-exploitation'], external_references: refs };
    }
  }

  private relationship(): Record<string, unknown> | undefined {
    if (this.indicators.length === 0 || this.targets.length === 0) return undefined;
    const o = this.common('relationship');
    return {
      ...o,
      relationship_type: 'indicates',
      source_ref: pick(this.rng, this.indicators.slice(-200)),
      target_ref: pick(this.rng, this.targets.slice(-200)),
    };
  }

  private sco(): Record<string, unknown> {
    const rng = this.rng;
    const marks = markingsFor(rng);
    this.n += 1;
    const base = { spec_version: '2.1', ...(marks !== undefined && { object_marking_refs: marks }) };
    // Random v4 ids keep SCOs distinct (S27 prefers v5; the standard level accepts v4 with a warning).
    switch (pick(rng, ['ipv4-addr', 'domain-name', 'url', 'file'] as const)) {
      case 'ipv4-addr':
        return { type: 'ipv4-addr', id: `ipv4-addr--${uuid4(rng)}`, ...base, value: `203.0.${Math.floor(rng() * 256)}.${Math.floor(rng() * 256)}` };
      case 'domain-name':
        return { type: 'domain-name', id: `domain-name--${uuid4(rng)}`, ...base, value: `${uuid4(rng).slice(0, 12)}.example` };
      case 'url':
        return { type: 'url', id: `url--${uuid4(rng)}`, ...base, value: `https://${uuid4(rng).slice(0, 8)}.example/${uuid4(rng).slice(0, 6)}` };
      case 'file':
        return { type: 'file', id: `file--${uuid4(rng)}`, ...base, name: `invoice_${Math.floor(rng() * 99999)}.exe`, size: Math.floor(rng() * 5e6),
          hashes: { 'SHA-256': (uuid4(rng) + uuid4(rng)).replace(/-/g, '').slice(0, 64) } };
    }
  }

  private report(): Record<string, unknown> {
    const o = this.common('report');
    const pool = [...this.indicators.slice(-20), ...this.targets.slice(-5)];
    return {
      ...o,
      name: `Weekly threat summary ${this.n}`,
      description: 'Indicators and techniques observed this week across member networks.',
      report_types: ['threat-report'],
      published: o['created'],
      object_refs: pool.length > 0 ? pool.slice(0, 8) : [o['created_by_ref']],
    };
  }

  next(): Generated {
    const r = this.rng();
    const object =
      r < 0.6 ? this.indicator() : r < 0.75 ? (this.relationship() ?? this.indicator()) : r < 0.88 ? this.sco() : r < 0.98 ? this.sdo() : this.report();
    const laterVersions: Record<string, unknown>[] = [];
    // About 10% of versioned objects get one or two later versions.
    if (typeof object['modified'] === 'string' && this.rng() < 0.1) {
      const versions = 1 + Math.floor(this.rng() * 2);
      for (let v = 1; v <= versions; v += 1) {
        const modified = timestamp(Date.parse(object['modified']), v * 86_400);
        laterVersions.push({ ...object, modified, confidence: 40 + v * 10 });
      }
    }
    return { object, laterVersions };
  }
}

/** The objects that must exist before anything references them. */
function preamble(): Record<string, unknown>[] {
  const t = '2025-01-01T00:00:00.000Z';
  return [
    { type: 'identity', spec_version: '2.1', id: BENCH_IDENTITY_ID, created: t, modified: t, name: 'Alliance sensor network', identity_class: 'organization' },
    {
      type: 'marking-definition', spec_version: '2.1', id: RECIPIENTS_MARKING_ID, created: t, name: 'Recipients: benchmark readers',
      extensions: { [RECIPIENTS_EXTENSION_ID]: { extension_type: 'property-extension', partners: [SEE_ALL_PARTNER], communities: ['bench-red'] } },
    },
  ];
}

/**
 * Builds `total` objects (each version counts as one) in envelopes of `envelopeSize`.
 * A later version follows its first about one envelope per version later, as real feeds do.
 */
export function buildCorpus(total: number, envelopeSize: number, seed: number): Corpus {
  const builder = new CorpusBuilder(seed);
  const texts: string[] = preamble().map((o) => JSON.stringify(o));
  const sampleIds: string[] = [];
  const due = new Map<number, Record<string, unknown>[]>();
  const sampleEvery = Math.max(1, Math.floor(total / 10_000));
  let position = 0;
  while (texts.length < total) {
    const waiting = due.get(position);
    due.delete(position);
    const { object, laterVersions } = builder.next();
    for (const o of [...(waiting ?? []), object]) if (texts.length < total) texts.push(JSON.stringify(o));
    if (position % sampleEvery === 0) sampleIds.push(object['id'] as string);
    laterVersions.forEach((later, i) => {
      const at = position + (i + 1) * envelopeSize;
      due.set(at, [...(due.get(at) ?? []), later]);
    });
    position += 1;
  }
  const envelopes: string[] = [];
  for (let i = 0; i < texts.length; i += envelopeSize) envelopes.push(`{"objects":[${texts.slice(i, i + envelopeSize).join(',')}]}`);
  const bytes = texts.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  return { envelopes, objectCount: texts.length, sampleIds, meanObjectBytes: Math.round(bytes / texts.length) };
}
