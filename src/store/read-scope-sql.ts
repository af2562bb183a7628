/**
 * The read rule of src/policy/read-scope.ts rendered into SQL, so every read
 * filters inside its query: pages stay full, `more`, headers and 404s stay exact
 * (TR29). This is the only place the rule is written as SQL, each condition once;
 * the reader's values are bound once per statement. A change of the rule changes
 * policy/read-scope.ts, this file and their tests (test/store/read-scope.test.ts
 * holds the two to the same answers).
 */
import { ALWAYS_VISIBLE_TYPES, type ReadScope } from '../policy/read-scope.js';
import { RED } from '../stix/tlp.js';
import type { SqlParam } from './db.js';

export interface Params {
  param(value: SqlParam): string;
}

/** A ReadScope as SQL over an object_versions alias. */
export interface ScopeSql {
  /** May the reader see row `t` (its own facts and, LR5, what it references)? */
  visible(t: string): string;
  /** Is row `t` a copy the scope takes (the earliest visible one, or any)? */
  takenCopy(t: string): string;
  /** Both: row `t` is served by this scope. */
  serves(t: string): string;
  /** Must row `t` be rewritten for this reader (granular redaction) before it is served? */
  mustRedact(t: string): string;
}

/** Reads without any scope: administration and the server's own definitions. */
const EVERYTHING: ScopeSql = {
  visible: () => 'true',
  takenCopy: (t) => earliestCopy(t, () => 'true'),
  serves: (t) => earliestCopy(t, () => 'true'),
  mustRedact: () => 'false',
};

/**
 * True when row `t` is the earliest copy of its version that `visible` accepts, or
 * the only copy (has_twin is set on every copy of a version stored more than once).
 */
function earliestCopy(t: string, visible: (alias: string) => string): string {
  const d = `${t}_copy`;
  return `(NOT ${t}.has_twin OR NOT EXISTS (SELECT 1 FROM object_versions ${d}
    WHERE ${d}.collection_id = ${t}.collection_id AND ${d}.object_id = ${t}.object_id AND ${d}.version_key = ${t}.version_key
      AND ${d}.date_added < ${t}.date_added AND ${visible(d)}))`;
}

/** `scope` as SQL; null reads everything (administration only). */
export function renderScope(w: Params, scope: ReadScope | null): ScopeSql {
  if (scope === null) return EVERYTHING;
  const { reader } = scope;
  // Each value is bound once, on first use: PostgreSQL refuses a statement with a parameter it never sees.
  const bound = (value: SqlParam, cast = '') => {
    let placeholder: string | undefined;
    return () => (placeholder ??= `${w.param(value)}${cast}`);
  };
  const partner = bound(reader.partnerId);
  const own = (t: string) => `${t}.submitted_by = ${partner()}`;
  if (scope.reach === 'own') {
    const visible = (t: string) => `(${own(t)})`;
    const takenCopy = (t: string) => (scope.copies === 'all' ? 'true' : earliestCopy(t, visible));
    return { visible, takenCopy, serves: (t) => `(${visible(t)} AND ${takenCopy(t)})`, mustRedact: () => 'false' };
  }
  const clearance = bound(reader.clearance, '::smallint');
  const communities = bound(reader.communities, '::text[]');
  const defaultTlp = bound(scope.defaultTlp, '::smallint');
  const alwaysVisible = ALWAYS_VISIBLE_TYPES.map((type) => `'${type}'`).join(', ');
  const exempt = (t: string) => `${own(t)} OR ${t}.object_type IN (${alwaysVisible})`;

  /** LR1–LR4 on the row's own facts, for what is not exempt (own submissions, LR6). */
  const cleared = (t: string) => {
    const level = `coalesce(${t}.tlp_level, ${defaultTlp()})`;
    const restricted = `(${t}.recipient_partners IS NOT NULL OR ${t}.recipient_communities IS NOT NULL)`;
    const recipient = `coalesce(${partner()} = ANY(${t}.recipient_partners) OR ${t}.recipient_communities && ${communities()}, false)`;
    const granular = scope.granular === 'withhold' ? `${t}.granular_level` : `${t}.granular_required_level`;
    // RED needs a named recipient; so does anything carrying a recipients marking.
    return `${level} <= ${clearance()} AND (NOT (${restricted} OR ${level} = ${RED}) OR ${recipient})
      AND coalesce(${granular}, -1) <= ${clearance()}`;
  };
  const mayReadVersion = (t: string) => `(${exempt(t)} OR (${cleared(t)}))`;

  /**
   * LR5: no reference names an object stored here of which the reader may see no version.
   * One probe per reference: bool_or is false when versions exist and none is visible, null when none exist.
   */
  const referencesVisible = (t: string) => `(${t}.refs IS NULL OR NOT EXISTS (
      SELECT 1 FROM unnest(${t}.refs) AS ref(id)
      WHERE (SELECT bool_or(${mayReadVersion(`${t}_ref`)}) FROM object_versions ${t}_ref
             WHERE ${t}_ref.collection_id = ${t}.collection_id AND ${t}_ref.object_id = ref.id) = false))`;

  const visible = scope.hideDangling ? (t: string) => `(${exempt(t)} OR (${cleared(t)} AND ${referencesVisible(t)}))` : mayReadVersion;
  const takenCopy = (t: string) => (scope.copies === 'all' ? 'true' : earliestCopy(t, visible));
  const mustRedact = (t: string) =>
    scope.granular === 'redact' ? `coalesce(${t}.granular_level > ${clearance()} AND NOT (${own(t)}), false)` : 'false';
  return { visible, takenCopy, serves: (t) => `(${visible(t)} AND ${takenCopy(t)})`, mustRedact };
}
