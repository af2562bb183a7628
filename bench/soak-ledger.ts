/**
 * The soak's ledger: every object version the pushers posted, with what decides
 * who may read it; which of them a status acknowledged as stored; and how often
 * each poller received each one. The final check decides "may this poller see
 * it" with the server's own rule (src/policy/visibility.ts) plus derived leakage
 * (LR5), so "lost" means a poller that may read a stored version never got it.
 *
 * Glossary:
 * - version key: collection, object id and version (versionKey of modified, else
 *   created); an object with neither (an SCO) is keyed by its id alone, since its
 *   version is the date_added the server gives it.
 * - acknowledged: listed in `successes` of a status (stored, or already present).
 */
import type { Recipients } from '../src/policy/recipients.js';
import { recipientsOf } from '../src/policy/recipients.js';
import { mostRestrictive, TLP_MARKINGS, type TlpLevel } from '../src/stix/tlp.js';
import { mayReadVersion, type ReadScope, type Reader, type VersionFacts } from '../src/policy/read-scope.js';

type ReadPolicy = Pick<ReadScope, 'defaultTlp' | 'granular'>;
const canRead = (reader: Reader, v: VersionFacts, policy: ReadPolicy) =>
  mayReadVersion({ reader, reach: 'shared', hideDangling: false, copies: 'earliest', defaultTlp: policy.defaultTlp, granular: policy.granular }, v);
import { versionKey } from '../src/stix/timestamps.js';

type Obj = Record<string, unknown>;

export interface DeliveryCheck {
  /** (poller, version) pairs where the poller may see an acknowledged version. */
  readonly expected: number;
  readonly delivered: number;
  /** Expected pairs never received. */
  readonly lost: number;
  /** Copies received beyond the first, over every (poller, version) pair. */
  readonly duplicated: number;
  /** Acknowledged versions received by a poller that may not see them. */
  readonly leaked: number;
  /** Posted versions no status acknowledged (their POST failed) that a poller received anyway. */
  readonly receivedUnacknowledged: number;
  /** Received versions the soak never posted. */
  readonly foreign: number;
  readonly samples: { readonly lost: string[]; readonly duplicated: string[]; readonly leaked: string[]; readonly foreign: string[] };
}

interface VersionRecord {
  readonly collection: number;
  readonly label: string;
  facts?: VersionFacts;
  refs?: readonly string[] | null;
  acknowledged: boolean;
}

export interface PollerProfile {
  readonly collection: number;
  readonly reader: Reader;
}

const SAMPLES = 5;

function granularLevel(o: Obj): TlpLevel | null {
  const markings = Array.isArray(o['granular_markings']) ? (o['granular_markings'] as Obj[]) : [];
  let level: TlpLevel | null = null;
  for (const m of markings) {
    const l = typeof m?.['marking_ref'] === 'string' ? TLP_MARKINGS.get(m['marking_ref']) : undefined;
    if (l !== undefined && (level === null || l > level)) level = l;
  }
  return level;
}

/** source_ref/target_ref of a relationship, sighting_of_ref of a sighting (as src/policy/write-policy.ts). */
function refsOf(o: Obj): string[] | null {
  const names = o['type'] === 'relationship' ? ['source_ref', 'target_ref'] : o['type'] === 'sighting' ? ['sighting_of_ref'] : [];
  const refs = names.map((n) => o[n]).filter((v): v is string => typeof v === 'string');
  return refs.length === 0 ? null : refs;
}

function versionOf(o: Obj): string | undefined {
  const v = o['modified'] ?? o['created'];
  return typeof v === 'string' ? v : undefined;
}

export class Ledger {
  private readonly index = new Map<string, number>();
  private readonly versions: VersionRecord[] = [];
  /** Acknowledged versions of each object, per collection: what "here" means for LR5. */
  private readonly objectVersions = new Map<string, number[]>();
  private readonly recipientMarkings = new Map<string, Recipients>();
  private readonly receipts: Uint8Array[];

  constructor(private readonly pollers: readonly PollerProfile[], private readonly policy: ReadPolicy & { hideDangling: boolean }) {
    this.receipts = pollers.map(() => new Uint8Array(1024));
  }

  private acknowledgements = 0;

  get versionCount(): number {
    return this.versions.length;
  }

  /** Distinct versions acknowledged so far. */
  get acknowledgedCount(): number {
    return this.acknowledgements;
  }

  private keyOf(collection: number, id: string, version: string | undefined): string {
    return version === undefined ? `${collection}\u0000${id}` : `${collection}\u0000${id}\u0000${versionKey(version) ?? version}`;
  }

  private indexOf(collection: number, id: string, version: string | undefined): number {
    const key = this.keyOf(collection, id, version);
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.versions.length;
      this.versions.push({ collection, label: `${id} ${version ?? '(unversioned)'}`, acknowledged: false });
      this.index.set(key, i);
    }
    return i;
  }

  /** Records what is about to be posted, with the facts that decide who may read it. */
  posted(collection: number, submittedBy: string, objects: readonly Obj[]): void {
    for (const o of objects) {
      if (o['type'] === 'marking-definition') {
        const r = recipientsOf(o);
        if (r !== undefined && typeof r !== 'string') this.recipientMarkings.set(o['id'] as string, r);
      }
    }
    for (const o of objects) {
      const record = this.versions[this.indexOf(collection, o['id'] as string, versionOf(o))] as VersionRecord;
      const marks = Array.isArray(o['object_marking_refs']) ? (o['object_marking_refs'] as unknown[]) : [];
      const named = marks.map((m) => (typeof m === 'string' ? this.recipientMarkings.get(m) : undefined)).find((r) => r !== undefined);
      record.facts ??= {
        objectType: o['type'] as string,
        submittedBy,
        tlpLevel: mostRestrictive(marks) ?? null,
        granularLevel: granularLevel(o),
        granularRequiredLevel: null,
        recipientPartners: named?.partners ?? null,
        recipientCommunities: named?.communities ?? null,
      };
      record.refs ??= refsOf(o);
    }
  }

  /** A success of a status: `unversioned` when the posted object had neither modified nor created. */
  acknowledged(collection: number, id: string, version: string, unversioned: boolean): void {
    const i = this.indexOf(collection, id, unversioned ? undefined : version);
    const record = this.versions[i] as VersionRecord;
    if (record.acknowledged) return;
    record.acknowledged = true;
    this.acknowledgements += 1;
    const objectKey = `${collection}\u0000${id}`;
    const list = this.objectVersions.get(objectKey);
    if (list === undefined) this.objectVersions.set(objectKey, [i]);
    else list.push(i);
  }

  received(poller: number, object: Obj): void {
    const profile = this.pollers[poller] as PollerProfile;
    const i = this.indexOf(profile.collection, String(object['id']), versionOf(object));
    let counts = this.receipts[poller] as Uint8Array;
    if (i >= counts.length) {
      const grown = new Uint8Array(Math.max(counts.length * 2, i + 1));
      grown.set(counts);
      this.receipts[poller] = counts = grown;
    }
    if ((counts[i] as number) < 255) counts[i] = (counts[i] as number) + 1;
  }

  private canSee(reader: Reader, record: VersionRecord): boolean {
    const facts = record.facts;
    if (facts === undefined || !canRead(reader, facts, this.policy)) return false;
    if (!this.policy.hideDangling || record.refs == null || facts.submittedBy === reader.partnerId) return true;
    // LR5: a relationship naming an object that is here, none of whose versions the reader may see, is hidden.
    return record.refs.every((ref) => {
      const here = this.objectVersions.get(`${record.collection}\u0000${ref}`);
      return here === undefined || here.some((j) => {
        const f = (this.versions[j] as VersionRecord).facts;
        return f !== undefined && canRead(reader, f, this.policy);
      });
    });
  }

  check(): DeliveryCheck {
    let expected = 0, delivered = 0, lost = 0, duplicated = 0, leaked = 0, receivedUnacknowledged = 0, foreign = 0;
    const samples = { lost: [] as string[], duplicated: [] as string[], leaked: [] as string[], foreign: [] as string[] };
    const note = (list: string[], poller: number, record: VersionRecord, extra = '') => {
      if (list.length < SAMPLES) list.push(`${(this.pollers[poller] as PollerProfile).reader.partnerId}: ${record.label}${extra}`);
    };
    this.pollers.forEach((profile, p) => {
      const counts = this.receipts[p] as Uint8Array;
      this.versions.forEach((record, i) => {
        if (record.collection !== profile.collection) return;
        const n = counts[i] ?? 0;
        if (n > 1) {
          duplicated += n - 1;
          note(samples.duplicated, p, record, ` (${n} times)`);
        }
        if (!record.acknowledged) {
          if (n > 0 && record.facts !== undefined) receivedUnacknowledged += 1;
          else if (n > 0) {
            foreign += 1;
            note(samples.foreign, p, record);
          }
          return;
        }
        if (this.canSee(profile.reader, record)) {
          expected += 1;
          if (n > 0) delivered += 1;
          else {
            lost += 1;
            note(samples.lost, p, record);
          }
        } else if (n > 0) {
          leaked += 1;
          note(samples.leaked, p, record);
        }
      });
    });
    return { expected, delivered, lost, duplicated, leaked, receivedUnacknowledged, foreign, samples };
  }
}
