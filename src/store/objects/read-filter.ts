/**
 * The WHERE clause every read of object versions shares: the collection, the
 * TAXII filters in the order of taxii-2.1.md §7.4, and the reader's scope
 * (store/read-scope-sql.ts), over the alias `v`.
 */
import type { ReadScope } from '../../policy/read-scope.js';
import type { ObjectFilter, PageQuery } from '../../taxii/query.js';
import type { QueryOptions, SqlParam } from '../db.js';
import { renderScope, type ScopeSql } from '../read-scope-sql.js';

/** One statement's parameters and conditions, with the read scope bound to it. */
export class SqlStatement {
  readonly params: SqlParam[] = [];
  readonly clauses: string[] = [];
  /** The read scope as SQL; its values are bound to this statement when first used. */
  readonly served: ScopeSql;

  constructor(scope: ReadScope | null = null) {
    this.served = renderScope(this, scope);
  }

  param(value: SqlParam): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  add(clause: string): void {
    this.clauses.push(clause);
  }

  toString(): string {
    return this.clauses.join(' AND ');
  }
}

export function whereFor(collectionId: string, filter: ObjectFilter, bound: number, scope: ReadScope | null, objectId?: string): SqlStatement {
  const w = new SqlStatement(scope);
  const { served } = w;
  w.add(`v.collection_id = ${w.param(collectionId)}::uuid`);
  if (bound >= 0) w.add(`v.date_added > ${w.param(String(bound))}::bigint`);
  if (objectId !== undefined) w.add(`v.object_id = ${w.param(objectId)}`);
  if (filter.ids !== undefined) w.add(`v.object_id = ANY(${w.param(filter.ids)}::text[])`);
  if (filter.types !== undefined) w.add(`v.object_type = ANY(${w.param(filter.types)}::text[])`);
  if (filter.specVersions !== undefined) w.add(`v.spec_version = ANY(${w.param(filter.specVersions)}::text[])`);
  w.add(served.serves('v'));
  const sel = filter.versions;
  if (!sel.all) {
    const any: string[] = [];
    if (sel.first || sel.last) {
      // first/last among the versions this reader may see, added after added_after (§7.4).
      const after = filter.addedAfter === undefined ? undefined : w.param(String(filter.addedAfter));
      const extreme = (cmp: '<' | '>') => `NOT EXISTS (SELECT 1 FROM object_versions e
        WHERE e.collection_id = v.collection_id AND e.object_id = v.object_id AND e.version_key ${cmp} v.version_key
          ${after === undefined ? '' : `AND e.date_added > ${after}::bigint`} AND ${served.serves('e')})`;
      // The maintained flags answer the common case without a subquery: the last version of all
      // is also the last among those visible and added after any point (is_last implies extreme).
      const flagged = (flag: string, cmp: '<' | '>') =>
        after === undefined && scope === null ? flag : `(${flag} OR ${extreme(cmp)})`;
      if (sel.first) any.push(flagged('v.is_first', '<'));
      if (sel.last) any.push(flagged('v.is_last', '>'));
    }
    if (sel.keys.length > 0) any.push(`v.version_key = ANY(${w.param(sel.keys)}::text[])`);
    w.add(any.length === 0 ? 'false' : `(${any.join(' OR ')})`);
  }
  return w;
}

/**
 * Reads of named objects are prepared: whatever the values, the primary key finds
 * their few versions. Reads of the whole collection are planned for their values.
 */
export function planning(name: string, query: PageQuery): QueryOptions {
  return { name, prepare: query.filter.ids !== undefined };
}
