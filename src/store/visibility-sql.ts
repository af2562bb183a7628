/**
 * The visibility rule of src/policy/visibility.ts as SQL, so every read filters
 * inside its query: pages stay full, `more`, headers and 404s stay exact (TR29).
 */
import type { ReadPolicy, Reader } from '../policy/visibility.js';
import type { SqlParam } from './db.js';

/** Who reads with which policy; null reads without any policy (administration and tests only). */
export type ReadAccess = {
  readonly reader: Reader;
  readonly policy: ReadPolicy & { readonly hideDangling: boolean };
  /**
   * The partner holds no read grant on the collection, only a write grant: it sees what it
   * submitted and nothing else. Writes look up re-posts with it, so a post never reveals
   * what a collection holds to a partner that may not read it.
   */
  readonly ownOnly?: boolean;
} | null;

export interface Params {
  param(value: SqlParam): string;
}

/** A boolean SQL expression: may the reader see row `t` (an object_versions alias)? */
export function visibleSql(w: Params, access: NonNullable<ReadAccess>, t: string, withDangling = true): string {
  const { reader, policy } = access;
  const p = w.param(reader.partnerId);
  if (access.ownOnly === true) return `(${t}.submitted_by = ${p})`;
  const clearance = w.param(reader.clearance);
  const communities = w.param(reader.communities);
  const level = `coalesce(${t}.tlp_level, ${w.param(policy.defaultTlp)}::smallint)`;
  const restricted = `(${t}.recipient_partners IS NOT NULL OR ${t}.recipient_communities IS NOT NULL)`;
  const recipient = `coalesce(${p} = ANY(${t}.recipient_partners) OR ${t}.recipient_communities && ${communities}::text[], false)`;
  const granular = policy.granular === 'withhold' ? `${t}.granular_level` : `${t}.granular_required_level`;
  const core = [
    `${level} <= ${clearance}::smallint`,
    // RED needs a named recipient; so does anything carrying a recipients marking.
    `(NOT (${restricted} OR ${level} = 4) OR ${recipient})`,
    `coalesce(${granular}, -1) <= ${clearance}::smallint`,
  ];
  if (withDangling && access.policy.hideDangling) {
    // LR5: a relationship or sighting naming an object that is here but hidden from the reader is hidden too.
    // One probe per reference: bool_or is false when versions exist and none is visible, null when none exist.
    core.push(`(${t}.refs IS NULL OR NOT EXISTS (
      SELECT 1 FROM unnest(${t}.refs) AS ref(id)
      WHERE (SELECT bool_or(${visibleSql(w, access, 'y', false)}) FROM object_versions y
             WHERE y.collection_id = ${t}.collection_id AND y.object_id = ref.id) = false))`);
  }
  return `(${t}.submitted_by = ${p} OR ${t}.object_type = 'marking-definition' OR (${core.join(' AND ')}))`;
}

/**
 * A boolean SQL expression: must row `t` be rewritten for this reader before it is served
 * (granular redaction)? Such rows cannot be served as stored text.
 */
export function needsRedactionSql(w: Params, access: NonNullable<ReadAccess>, t: string): string {
  if (access.policy.granular !== 'redact') return 'false';
  return `coalesce(${t}.granular_level > ${w.param(access.reader.clearance)}::smallint AND ${t}.submitted_by <> ${w.param(access.reader.partnerId)}, false)`;
}
