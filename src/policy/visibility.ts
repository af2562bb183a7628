/**
 * Who may read an object version: the pure rule. The SQL in store/visibility-sql.ts
 * implements exactly this inside every read query; the leak test checks that the
 * two agree. Glossary:
 * - reader: the partner asking, with its clearance (highest TLP it may receive)
 *   and the communities it belongs to.
 * - effective level: the most restrictive TLP among the version's object markings,
 *   or the collection's default_tlp when it has none (applied at read time).
 */
import { RED, type TlpLevel } from './tlp.js';

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

export interface ReadPolicy {
  readonly defaultTlp: TlpLevel;
  /** withhold: a version with a property marked above the reader's clearance is invisible; redact: the property is removed. */
  readonly granular: 'withhold' | 'redact';
}

/** LR6: marking definitions (and the served extension-definition) are readable by every reader of the collection. */
export const ALWAYS_VISIBLE_TYPES: readonly string[] = ['marking-definition'];

export function effectiveLevel(v: VersionFacts, policy: ReadPolicy): TlpLevel {
  return v.tlpLevel ?? policy.defaultTlp;
}

function isRecipient(reader: Reader, v: VersionFacts): boolean {
  return (
    (v.recipientPartners?.includes(reader.partnerId) ?? false) ||
    (v.recipientCommunities?.some((c) => reader.communities.includes(c)) ?? false)
  );
}

export function canRead(reader: Reader, v: VersionFacts, policy: ReadPolicy): boolean {
  if (v.submittedBy === reader.partnerId) return true;
  if (ALWAYS_VISIBLE_TYPES.includes(v.objectType)) return true;
  const level = effectiveLevel(v, policy);
  if (level > reader.clearance) return false;
  const restricted = v.recipientPartners !== null || v.recipientCommunities !== null;
  if ((restricted || level === RED) && !isRecipient(reader, v)) return false;
  const granularCeiling = policy.granular === 'withhold' ? v.granularLevel : v.granularRequiredLevel;
  return granularCeiling === null || granularCeiling <= reader.clearance;
}
