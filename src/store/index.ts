/** The storage facade handed to the HTTP layer. */
import { createAuditStore, type AuditStore } from './audit-store.js';
import type { Db } from './db.js';
import { createDirectory, type Directory } from './directory.js';
import { createObjectStore, type ObjectStore } from './object-store.js';
import { createRateWindows, type RateWindows } from './rate-windows.js';
import { createStatusStore, type StatusStore } from './status-store.js';

export interface Store {
  readonly db: Db;
  readonly directory: Directory;
  readonly objects: ObjectStore;
  readonly statuses: StatusStore;
  readonly audit: AuditStore;
  /** Request counts shared between processes (PostgreSQL only: PGlite lives in one process). */
  readonly rateWindows: RateWindows | undefined;
}

export function createStore(db: Db): Store {
  return {
    db,
    directory: createDirectory(db),
    objects: createObjectStore(db),
    statuses: createStatusStore(db),
    audit: createAuditStore(db),
    rateWindows: db.kind === 'postgres' ? createRateWindows(db) : undefined,
  };
}
