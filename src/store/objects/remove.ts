/** Delete Objects (E10): the versions the scope selects, under the collection lock; first/last flags follow. */
import type { ReadScope } from '../../policy/read-scope.js';
import type { ObjectFilter } from '../../taxii/query.js';
import type { Db, Queryable } from '../db.js';
import { whereFor } from './read-filter.js';
import { insertAuditEvent, type AuditEvent } from '../audit-store.js';

const LOCK_COLLECTION = { name: 'lock_collection_for_delete', text: 'SELECT 1 FROM collections WHERE id = $1::uuid FOR UPDATE' };

/** Recomputes is_first/is_last of the named objects from the versions left. */
const REFRESH_FLAGS = {
  name: 'refresh_version_flags',
  text: `UPDATE object_versions o
     SET is_first = (o.version_key = m.min_v), is_last = (o.version_key = m.max_v)
     FROM (SELECT object_id, min(version_key) AS min_v, max(version_key) AS max_v
           FROM object_versions WHERE collection_id = $1::uuid AND object_id = ANY($2::text[])
           GROUP BY object_id) m
     WHERE o.collection_id = $1::uuid AND o.object_id = m.object_id
       AND (o.is_first <> (o.version_key = m.min_v) OR o.is_last <> (o.version_key = m.max_v))`,
};

async function refreshFlags(tx: Queryable, collectionId: string, objectIds: readonly string[]): Promise<void> {
  await tx.query(REFRESH_FLAGS.text, [collectionId, objectIds], { name: REFRESH_FLAGS.name });
}

/** Deletes the selected versions the reader may see (a delete scope takes every copy); returns how many. */
export async function removeVersions(
  db: Db,
  collectionId: string,
  objectId: string,
  filter: ObjectFilter,
  scope: ReadScope | null,
  audit?: (versions: readonly string[]) => AuditEvent,
): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query(LOCK_COLLECTION.text, [collectionId], { name: LOCK_COLLECTION.name });
    const w = whereFor(collectionId, filter, -1, scope, objectId);
    const deleted = await tx.query<{ version: string }>(`DELETE FROM object_versions v WHERE ${w} RETURNING v.version`, w.params, { name: 'delete_versions' });
    if (deleted.length > 0) await refreshFlags(tx, collectionId, [objectId]);
    // In the same transaction: a delete the audit trail cannot record does not happen.
    if (deleted.length > 0 && audit !== undefined) await insertAuditEvent(tx, audit(deleted.map((d) => d.version)));
    return deleted.length;
  });
}
