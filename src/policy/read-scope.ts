/**
 * What one reader may see in one collection: the read policy, decided here and
 * nowhere else. `readScope` turns the partner and the collection's settings into a
 * ReadScope value; the functions below are the rule on that value, in plain code.
 * The store renders the same value into SQL (store/read-scope-sql.ts) so every read
 * filters inside its query; test/store/read-scope.test.ts requires the two to give
 * the same answers over random collections. Glossary:
 * - reader: the partner asking, with its clearance (highest TLP it may receive)
 *   and the communities it belongs to.
 * - effective level: the most restrictive TLP among the version's object markings,
 *   or the collection's default_tlp when it has none (applied at read time).
 * - copy: a version stored again by a partner that could not see the first one
 *   (store/object-store.ts, `add`); a reader is served the earliest copy it may see.
 */
import type { CollectionPolicy } from '../config/types.js';
import { RED, tlpLabel, type TlpLevel } from '../stix/tlp.js';
import { redact } from './redaction.js';

export interface Reader {
  readonly partnerId: string;
  readonly clearance: TlpLevel;
  readonly communities: readonly string[];
}

/** What is precomputed for each stored version at write time. */
export interface VersionFacts {
  readonly objectType: string;
  readonly submittedBy: string;
  /** Most restrictive TLP of object_marking_refs; null when unmarked. */
  readonly tlpLevel: TlpLevel | null;
  /** Most restrictive TLP among granular markings; null when none. */
  readonly granularLevel: TlpLevel | null;
  /** Most restrictive TLP among granular markings that select a required property. */
  readonly granularRequiredLevel: TlpLevel | null;
  /** From recipients markings; null when unrestricted. */
  readonly recipientPartners: readonly string[] | null;
  readonly recipientCommunities: readonly string[] | null;
}

/** A stored version with what the collection-wide parts of the rule need (LR5, copies). */
export interface StoredVersion extends VersionFacts {
  readonly objectId: string;
  readonly versionKey: string;
  readonly dateAdded: number;
  /** Ids a relationship or sighting names; null for other objects. */
  readonly refs: readonly string[] | null;
}

/** Why the collection is read, which decides the reach and the copies. */
export type ReadPurpose =
  /** a TAXII read (objects, manifest, an object, versions) */
  | 'read'
  /** Delete Objects: every copy the reader may see goes, or the next one would come back */
  | 'delete'
  /** Add Objects, to find what a post repeats: a partner without read sees only its own */
  | 'post';

export interface ReadScope {
  readonly reader: Reader;
  /** shared: what the sharing policy lets the reader see; own: only what it submitted. */
  readonly reach: 'shared' | 'own';
  readonly defaultTlp: TlpLevel;
  /** withhold: a version with a property marked above the clearance is invisible; redact: the property is removed. */
  readonly granular: 'withhold' | 'redact';
  /** LR5: a relationship or sighting naming an object that is here but hidden is hidden too. */
  readonly hideDangling: boolean;
  /** Of a version stored more than once: the earliest copy the reader may see, or every copy. */
  readonly copies: 'earliest' | 'all';
}

/** The collection as the read rule needs it: its policy and whether the reader holds a read grant. */
export interface ReadTarget {
  readonly policy: CollectionPolicy;
  readonly canRead: boolean;
}

export function readScope(reader: Reader, collection: ReadTarget, purpose: ReadPurpose): ReadScope {
  const { policy } = collection;
  return {
    reader: { partnerId: reader.partnerId, clearance: reader.clearance, communities: reader.communities },
    // A post by a partner that may not read must not reveal what the collection holds.
    reach: purpose === 'post' && !collection.canRead ? 'own' : 'shared',
    defaultTlp: policy.defaultTlp,
    granular: policy.granular,
    hideDangling: policy.hideDanglingRelationships,
    copies: purpose === 'delete' ? 'all' : 'earliest',
  };
}

/** LR6: marking definitions (and the served extension-definition) are readable by every reader of the collection. */
export const ALWAYS_VISIBLE_TYPES: readonly string[] = ['marking-definition'];

export function effectiveLevel(v: VersionFacts, defaultTlp: TlpLevel): TlpLevel {
  return v.tlpLevel ?? defaultTlp;
}

function isRecipient(reader: Reader, v: VersionFacts): boolean {
  return (
    (v.recipientPartners?.includes(reader.partnerId) ?? false) ||
    (v.recipientCommunities?.some((c) => reader.communities.includes(c)) ?? false)
  );
}

/** Which step of the rule decides a version for a reader, in the order the rule takes them. */
export type ReadDecision =
  | 'own-submission'
  | 'own-only'
  | 'always-visible'
  | 'above-clearance'
  | 'not-a-recipient'
  | 'granular-above-clearance'
  | 'cleared';

const READABLE: ReadonlySet<ReadDecision> = new Set(['own-submission', 'always-visible', 'cleared']);

/** The rule on one version's own facts (LR1–LR4, LR6), without its references (LR5) or copies, and which step decides. */
export function readDecision(scope: ReadScope, v: VersionFacts): ReadDecision {
  const { reader } = scope;
  if (v.submittedBy === reader.partnerId) return 'own-submission';
  if (scope.reach === 'own') return 'own-only';
  if (ALWAYS_VISIBLE_TYPES.includes(v.objectType)) return 'always-visible';
  const level = effectiveLevel(v, scope.defaultTlp);
  if (level > reader.clearance) return 'above-clearance';
  const restricted = v.recipientPartners !== null || v.recipientCommunities !== null;
  // RED needs a named recipient; so does anything carrying a recipients marking.
  if ((restricted || level === RED) && !isRecipient(reader, v)) return 'not-a-recipient';
  const granularCeiling = scope.granular === 'withhold' ? v.granularLevel : v.granularRequiredLevel;
  return granularCeiling === null || granularCeiling <= reader.clearance ? 'cleared' : 'granular-above-clearance';
}

export function mayReadVersion(scope: ReadScope, v: VersionFacts): boolean {
  return READABLE.has(readDecision(scope, v));
}

/** The decision in words, for an operator asking why a partner does or does not receive a version. */
export function explainReadDecision(decision: ReadDecision, scope: ReadScope, v: VersionFacts): string {
  const { reader } = scope;
  const level = effectiveLevel(v, scope.defaultTlp);
  const marked = v.tlpLevel === null ? `unmarked, so the collection's default ${tlpLabel(scope.defaultTlp)}` : tlpLabel(level);
  switch (decision) {
    case 'own-submission':
      return `${reader.partnerId} submitted this version: a partner always sees what it sent`;
    case 'own-only':
      return `${reader.partnerId} may not read this collection: it sees only what it sent`;
    case 'always-visible':
      return `every reader of the collection sees ${v.objectType} objects (LR6)`;
    case 'above-clearance':
      return `the version is ${marked}, above ${reader.partnerId}'s clearance ${tlpLabel(reader.clearance)}`;
    case 'not-a-recipient':
      return `the version is ${marked}${v.recipientPartners !== null || v.recipientCommunities !== null ? ' with a recipients marking' : ''}, and ${reader.partnerId} is not among its recipients (partners ${(v.recipientPartners ?? []).join(', ') || 'none'}; communities ${(v.recipientCommunities ?? []).join(', ') || 'none'})`;
    case 'granular-above-clearance': {
      const ceiling = (scope.granular === 'withhold' ? v.granularLevel : v.granularRequiredLevel) as TlpLevel;
      return `a granular marking of ${tlpLabel(ceiling)} is above ${reader.partnerId}'s clearance ${tlpLabel(reader.clearance)}, and the collection ${scope.granular === 'withhold' ? 'withholds such versions' : 'would have to remove a required property'}`;
    }
    case 'cleared':
      return `the version is ${marked}, within ${reader.partnerId}'s clearance ${tlpLabel(reader.clearance)}${v.recipientPartners !== null || v.recipientCommunities !== null || level === RED ? `, and ${reader.partnerId} is among its recipients` : ''}`;
  }
}

/** By object id, the versions of a collection. */
export type VersionsById = ReadonlyMap<string, readonly StoredVersion[]>;

export function byObjectId(versions: readonly StoredVersion[]): VersionsById {
  const index = new Map<string, StoredVersion[]>();
  for (const v of versions) {
    const list = index.get(v.objectId);
    if (list === undefined) index.set(v.objectId, [v]);
    else list.push(v);
  }
  return index;
}

/**
 * May the reader see `v`, references included (LR5): a relationship or sighting
 * naming an object stored here of which the reader may see no version is hidden too.
 * A reference to an object not stored here hides nothing.
 */
export function maySee(scope: ReadScope, v: StoredVersion, collection: VersionsById): boolean {
  if (!mayReadVersion(scope, v)) return false;
  if (scope.reach === 'own' || v.submittedBy === scope.reader.partnerId || ALWAYS_VISIBLE_TYPES.includes(v.objectType)) return true;
  if (!scope.hideDangling || v.refs === null) return true;
  return v.refs.every((ref) => {
    const named = collection.get(ref);
    return named === undefined || named.some((other) => mayReadVersion(scope, other));
  });
}

/**
 * The whole rule over a collection's stored versions: those the scope selects, in
 * date_added order. With `copies: 'earliest'` a version stored more than once is
 * taken once, as the earliest copy the reader may see: what a server that had
 * received only the copies this reader may see would hold.
 */
export function visibleVersions(scope: ReadScope, versions: readonly StoredVersion[]): StoredVersion[] {
  const collection = byObjectId(versions);
  const seen = new Set<string>();
  return [...versions]
    .sort((a, b) => a.dateAdded - b.dateAdded)
    .filter((v) => {
      if (!maySee(scope, v, collection)) return false;
      if (scope.copies === 'all') return true;
      const key = `${v.objectId}\u0000${v.versionKey}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/**
 * Granular redaction (LR4, option b): must this version be rewritten before this
 * reader receives it? Never what the reader submitted itself.
 */
export function mustRedact(scope: ReadScope, v: Pick<VersionFacts, 'granularLevel' | 'submittedBy'>): boolean {
  return (
    scope.granular === 'redact' && v.granularLevel !== null && v.granularLevel > scope.reader.clearance &&
    v.submittedBy !== scope.reader.partnerId
  );
}

/** The text of a stored version as this reader receives it. */
export function servedText(scope: ReadScope, v: Pick<VersionFacts, 'granularLevel' | 'submittedBy'> & { readonly raw: string }): string {
  return mustRedact(scope, v) ? redact(v.raw, scope.reader.clearance) : v.raw;
}
