/**
 * What a TAXII read asks for, after parsing (taxii-2.1.md §7). Glossary:
 * - version selector: which versions of each object (`match[version]`, T45/T46).
 * - lower bound: only versions with date_added strictly greater (`added_after`, a cursor).
 */

export type VersionSelector =
  | { readonly all: true }
  | { readonly all: false; readonly first: boolean; readonly last: boolean; readonly keys: readonly string[] };

export interface ObjectFilter {
  readonly ids?: readonly string[];
  readonly types?: readonly string[];
  readonly versions: VersionSelector;
  readonly specVersions?: readonly string[];
  /** Microseconds; versions added strictly after this instant (T35, exclusive). */
  readonly addedAfter?: number;
}

export const DEFAULT_VERSIONS: VersionSelector = { all: false, first: false, last: true, keys: [] };

export interface PageQuery {
  readonly filter: ObjectFilter;
  readonly limit: number;
  /** date_added of the last item already delivered (from a `next` cursor). */
  readonly after?: number;
}

/** The lower bound in microseconds combining added_after and a cursor. */
export function lowerBound(query: PageQuery): number {
  return Math.max(query.filter.addedAfter ?? -1, query.after ?? -1);
}
