/**
 * The audit trail (issue 12): who pulled, pushed or deleted what, and which
 * administration changes were made, by whom, from where. A read names every
 * version it disclosed, so "who received this object?" has an exact answer.
 * Partners never read it: only the command line and the admin API do.
 */
import type { Db, Queryable } from './db.js';
import { toNumber, type SqlParam } from './db.js';
import { NOW_MICROS } from './sql-time.js';

export type AuditAction = 'pull' | 'push' | 'delete' | 'admin';

/** What became of a version sent by a push. */
export type PushOutcome = 'stored' | 'present' | 'refused';

export interface AuditEvent {
  readonly actorKind: 'partner' | 'admin';
  /** A partner id, or the operator (`cli:<user>`, `api:<admin>`). */
  readonly actor: string;
  /** The client's address; `local` for the command line. */
  readonly address: string | null;
  readonly action: AuditAction;
  /** The endpoint or command: objects, object, versions, manifest, add-objects, delete, import, export, `partner add`… */
  readonly via: string;
  readonly apiRoot: string | null;
  readonly collectionId: string | null;
  readonly requestId: string | null;
  /** Versions disclosed (pull) or sent (push): objectIds[i] at versions[i]. */
  readonly objectIds?: readonly string[];
  readonly versions?: readonly string[];
  /** For a push: outcomes[i] of versions[i]. */
  readonly outcomes?: readonly PushOutcome[];
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface AuditRecord extends AuditEvent {
  readonly id: number;
  /** The collection's alias, else its id (null when the event names none). */
  readonly collection: string | null;
  /** Microseconds since the epoch. */
  readonly at: number;
  readonly objectIds: readonly string[];
  readonly versions: readonly string[];
}

export interface AuditQuery {
  /** Only the events naming this object; their ids and versions narrowed to it. */
  readonly objectId?: string;
  readonly actor?: string;
  readonly collectionId?: string;
  /** Microseconds: at or after. */
  readonly since?: number;
  /** Microseconds: before. */
  readonly until?: number;
  readonly limit: number;
}

export interface AuditStore {
  /** Throws AuditUnavailable when it cannot be written: the caller must not go on as if it were. */
  record(event: AuditEvent): Promise<void>;
  /** Newest first. */
  find(query: AuditQuery): Promise<AuditRecord[]>;
  /** Removes at most `batch` events older than `olderThan` (µs), oldest first; returns how many. */
  purge(olderThan: number, batch: number): Promise<number>;
}

/**
 * The audit trail could not be written: whatever it was to record must not happen
 * (a read is not served, a write is rolled back).
 */
export class AuditUnavailable extends Error {
  constructor(cause: unknown) {
    super(`the audit trail could not be written: ${(cause as Error).message}`, { cause });
    this.name = 'AuditUnavailable';
  }
}

/** What a push records, besides the versions: who, from where, how. */
export type PushContext = Omit<AuditEvent, 'action' | 'objectIds' | 'versions' | 'outcomes'>;

/** Most characters kept of an identifier or version a client sent (refused ones may be anything). */
const MAX_NAME = 300;

/** Text PostgreSQL can hold: no NUL, and bounded (a refused object's "id" is whatever was sent). */
function storable(text: string): string {
  const clean = text.includes('\u0000') ? text.replaceAll('\u0000', '\ufffd') : text;
  return clean.length > MAX_NAME ? `${clean.slice(0, MAX_NAME)}…` : clean;
}

/** Inserts one event with `q` (inside the caller's transaction when it is one). */
export async function insertAuditEvent(q: Queryable, e: AuditEvent): Promise<void> {
  try {
    await q.query(
      INSERT_EVENT,
      [
        e.actorKind, storable(e.actor), e.address === null ? null : storable(e.address), e.action, storable(e.via), e.apiRoot, e.collectionId, e.requestId,
        (e.objectIds ?? []).map(storable), (e.versions ?? []).map(storable), e.outcomes ?? null,
        e.detail === undefined ? null : JSON.stringify(e.detail).replaceAll('\\u0000', '\\ufffd'),
      ],
      { name: 'insert_audit_event', prepare: true },
    );
  } catch (err) {
    throw new AuditUnavailable(err);
  }
}

const INSERT_EVENT = `INSERT INTO audit_events (at, actor_kind, actor, address, action, via, api_root, collection_id, request_id,
    object_ids, versions, outcomes, detail)
  VALUES (${NOW_MICROS}, $1, $2, $3, $4, $5, $6, $7::uuid, $8, $9::text[], $10::text[], $11::text[], $12::jsonb)`;

/** Oldest first by id, which grows with time: the primary key finds them without an index on `at`. */
const PURGE_EVENTS = `DELETE FROM audit_events WHERE id IN (
  SELECT id FROM audit_events WHERE at < $1::bigint ORDER BY id LIMIT $2::int)`;

interface EventRow {
  id: unknown;
  at: unknown;
  actor_kind: 'partner' | 'admin';
  actor: string;
  address: string | null;
  action: AuditAction;
  via: string;
  api_root: string | null;
  collection_id: string | null;
  collection: string | null;
  request_id: string | null;
  object_ids: string;
  versions: string;
  outcomes: string | null;
  detail: Record<string, unknown> | string | null;
}

/** Arrays travel as JSON text: the same on PostgreSQL and PGlite. */
const jsonList = (text: string | null): string[] => (text === null ? [] : (JSON.parse(text) as string[]));

function recordOf(r: EventRow): AuditRecord {
  const detail = typeof r.detail === 'string' ? (JSON.parse(r.detail) as Record<string, unknown>) : r.detail;
  return {
    id: toNumber(r.id),
    at: toNumber(r.at),
    actorKind: r.actor_kind,
    actor: r.actor,
    address: r.address,
    action: r.action,
    via: r.via,
    apiRoot: r.api_root,
    collectionId: r.collection_id,
    collection: r.collection,
    requestId: r.request_id,
    objectIds: jsonList(r.object_ids),
    versions: jsonList(r.versions),
    ...(r.outcomes !== null && { outcomes: jsonList(r.outcomes) as PushOutcome[] }),
    ...(detail !== null && { detail }),
  };
}

export function createAuditStore(db: Db): AuditStore {
  return {
    record: (e) => insertAuditEvent(db, e),

    async find(q) {
      const params: SqlParam[] = [];
      const param = (value: SqlParam) => `$${params.push(value)}`;
      const where: string[] = [];
      // With an object: only the positions naming it (a page names up to a thousand objects).
      const positions = q.objectId === undefined ? undefined : param(q.objectId);
      if (positions !== undefined) where.push(`e.object_ids @> ARRAY[${positions}::text]`);
      if (q.actor !== undefined) where.push(`e.actor = ${param(q.actor)}`);
      if (q.collectionId !== undefined) where.push(`e.collection_id = ${param(q.collectionId)}::uuid`);
      if (q.since !== undefined) where.push(`e.at >= ${param(String(q.since))}::bigint`);
      if (q.until !== undefined) where.push(`e.at < ${param(String(q.until))}::bigint`);
      const pick = (column: string) =>
        positions === undefined
          ? `array_to_json(e.${column})::text`
          : `(SELECT json_agg(e.${column}[i] ORDER BY i)::text FROM generate_subscripts(e.object_ids, 1) i WHERE e.object_ids[i] = ${positions})`;
      const rows = await db.query<EventRow>(
        `SELECT e.id, e.at, e.actor_kind, e.actor, e.address, e.action, e.via, e.api_root, e.collection_id::text AS collection_id,
           coalesce(c.alias, e.collection_id::text) AS collection, e.request_id, ${pick('object_ids')} AS object_ids, ${pick('versions')} AS versions,
           CASE WHEN e.outcomes IS NULL THEN NULL ELSE ${pick('outcomes')} END AS outcomes, e.detail
         FROM audit_events e LEFT JOIN collections c ON c.id = e.collection_id ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
         ORDER BY e.id DESC LIMIT ${param(q.limit)}::int`,
        params,
        { name: 'find_audit_events' },
      );
      return rows.map(recordOf);
    },

    async purge(olderThan, batch) {
      const rows = await db.query<{ id: unknown }>(`${PURGE_EVENTS} RETURNING id`, [String(olderThan), batch], { name: 'purge_audit_events' });
      return rows.length;
    },
  };
}
