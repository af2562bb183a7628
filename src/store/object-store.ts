/**
 * Object versions: the store's operations on what collections hold, one module
 * each under objects/ (add, pages, one object's reads, remove), the shared read
 * filter in objects/read-filter.ts and the read rule as SQL in read-scope-sql.ts.
 */
import type { Recipients } from '../policy/recipients.js';
import type { ReadScope } from '../policy/read-scope.js';
import type { ObjectFilter, PageQuery } from '../taxii/query.js';
import type { Db } from './db.js';
import { addVersions } from './objects/add.js';
import { exists, listVersions, recipientMarkings } from './objects/object-reads.js';
import { listManifest, listObjects, listObjectsJoined } from './objects/pages.js';
import { removeVersions } from './objects/remove.js';
import type { IncomingObject, JoinedPage, ManifestRow, ObjectRow, Page, VersionRow, WriteOutcome } from './objects/types.js';
import { createPlannerStatistics } from './planner-statistics.js';
import type { AuditEvent, PullRecording } from './audit-store.js';

export type { IncomingObject, JoinedPage, ManifestRow, ObjectRow, Page, VersionRow, WriteOutcome } from './objects/types.js';
export { PAGE_BYTES } from './objects/pages.js';

/** Every operation takes the reader's scope; null is administration (everything). */
export interface ObjectStore {
  /**
   * Stores new versions in one transaction; returns one outcome per input, in order. What the
   * submitter may not see (`scope`) is, for this write, not there: a re-post never reveals it.
   */
  add(
    collectionId: string,
    submittedBy: string,
    objects: readonly IncomingObject[],
    scope?: ReadScope | null,
    /** The audit event of this push, recorded in the same transaction (or neither happens). */
    audit?: (outcomes: readonly WriteOutcome[]) => AuditEvent,
  ): Promise<WriteOutcome[]>;
  listObjects(collectionId: string, query: PageQuery, scope: ReadScope | null): Promise<Page<ObjectRow>>;
  /**
   * The same page as listObjects, joined; undefined when a row must be rewritten for this reader
   * (redaction). With `record`, the pull of what it serves is recorded by the same statement.
   */
  listObjectsJoined(collectionId: string, query: PageQuery, scope: ReadScope | null, record?: PullRecording): Promise<JoinedPage | undefined>;
  listManifest(collectionId: string, query: PageQuery, scope: ReadScope | null): Promise<Page<ManifestRow>>;
  listVersions(collectionId: string, objectId: string, query: PageQuery, scope: ReadScope | null): Promise<Page<VersionRow>>;
  /**
   * Recipients markings stored in the collection, by marking-definition id: of each id, the
   * earliest definition the poster may see (`scope`), as read would serve it.
   */
  recipientMarkings(collectionId: string, ids: readonly string[], scope: ReadScope | null): Promise<Map<string, Recipients>>;
  /** True when the collection holds a version of the object the reader may see. */
  exists(collectionId: string, objectId: string, scope: ReadScope | null): Promise<boolean>;
  /** Deletes the selected versions the reader may see (a delete scope takes every copy); returns how many. */
  /** `audit`: the event naming the versions deleted, recorded in the same transaction. */
  remove(collectionId: string, objectId: string, filter: ObjectFilter, scope: ReadScope | null, audit?: (versions: readonly string[]) => AuditEvent): Promise<number>;
}

export function createObjectStore(db: Db): ObjectStore {
  const statistics = createPlannerStatistics(db);
  return {
    async add(collectionId, submittedBy, objects, scope = null, audit) {
      const outcomes = await addVersions(db, collectionId, submittedBy, objects, scope, audit);
      await statistics.rowsAdded(outcomes.filter((o) => o.kind === 'added').length);
      return outcomes;
    },
    listObjects: (collectionId, query, scope) => listObjects(db, collectionId, query, scope),
    listObjectsJoined: (collectionId, query, scope, record) => listObjectsJoined(db, collectionId, query, scope, record),
    listManifest: (collectionId, query, scope) => listManifest(db, collectionId, query, scope),
    listVersions: (collectionId, objectId, query, scope) => listVersions(db, collectionId, objectId, query, scope),
    recipientMarkings: (collectionId, ids, scope) => recipientMarkings(db, collectionId, ids, scope),
    exists: (collectionId, objectId, scope) => exists(db, collectionId, objectId, scope),
    remove: (collectionId, objectId, filter, scope, audit) => removeVersions(db, collectionId, objectId, filter, scope, audit),
  };
}
