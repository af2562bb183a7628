/** Reads of one object: its versions (E11), whether the reader may see it, recipients markings for a post. */
import { recipientsOf, type Recipients } from '../../policy/recipients.js';
import type { ReadScope } from '../../policy/read-scope.js';
import { lowerBound, type PageQuery } from '../../taxii/query.js';
import { toNumber, type Queryable } from '../db.js';
import { page } from './pages.js';
import { whereFor } from './read-filter.js';
import type { Page, VersionRow } from './types.js';

export async function listVersions(db: Queryable, collectionId: string, objectId: string, query: PageQuery, scope: ReadScope | null): Promise<Page<VersionRow>> {
  const w = whereFor(collectionId, { ...query.filter, versions: { all: true } }, lowerBound(query), scope, objectId);
  const rows = await db.query<{ date_added: unknown; version: string }>(
    `SELECT v.date_added, v.version FROM object_versions v WHERE ${w} ORDER BY v.date_added LIMIT ${w.param(query.limit + 1)}::int`,
    w.params,
    { name: 'object_versions_page', prepare: true },
  );
  return page(rows.map((r) => ({ dateAdded: toNumber(r.date_added), version: r.version })), query.limit);
}

/** True when the collection holds a version of the object the reader may see. */
export async function exists(db: Queryable, collectionId: string, objectId: string, scope: ReadScope | null): Promise<boolean> {
  // Some copy is visible exactly when the earliest visible copy is: any scope answers the same.
  const w = whereFor(collectionId, { versions: { all: true } }, -1, scope, objectId);
  const rows = await db.query(`SELECT 1 FROM object_versions v WHERE ${w} LIMIT 1`, w.params, { name: 'object_exists', prepare: true });
  return rows.length > 0;
}

/**
 * Recipients markings stored in the collection, by marking-definition id: of each id, the
 * earliest definition the poster may see (`scope`), as read would serve it.
 */
export async function recipientMarkings(db: Queryable, collectionId: string, ids: readonly string[], scope: ReadScope | null): Promise<Map<string, Recipients>> {
  const found = new Map<string, Recipients>();
  if (ids.length === 0) return found;
  const w = whereFor(collectionId, { ids, types: ['marking-definition'], versions: { all: true } }, -1, scope);
  const rows = await db.query<{ object_id: string; raw: string }>(
    `SELECT v.object_id, v.raw FROM object_versions v WHERE ${w} ORDER BY v.date_added`,
    w.params,
    { name: 'recipient_markings' },
  );
  for (const row of rows) {
    if (found.has(row.object_id)) continue;
    const recipients = recipientsOf(JSON.parse(row.raw) as Record<string, unknown>);
    if (recipients !== undefined && typeof recipients !== 'string') found.set(row.object_id, recipients);
  }
  return found;
}
