/**
 * The audit trail (issue 12): who pulled, pushed or deleted what, and which
 * administration changes were made, by whom, from where. A read names every
 * version it disclosed, so "who received this object?" has an exact answer.
 * Partners never read it: only the command line and the admin API do.
 */
import type { Db, Queryable } from './db.js';
import { toNumber, type SqlParam } from './db.js';
import { NOW_MICROS } from './sql-time.js';
import { transientFailure } from './db-errors.js';
import { TaxiiError } from '../errors.js';

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
  record(event: AuditEvent, commit?: Commit): Promise<void>;
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

/** What an event records besides its action and versions: who, from where, in which collection, by which request. */
export type EventContext = Omit<AuditEvent, 'action' | 'objectIds' | 'versions' | 'outcomes'>;

/** Most characters kept of an identifier or version a client sent (refused ones may be anything). */
const MAX_NAME = 300;

/** Text PostgreSQL can hold: no NUL (nor the list separator, U+0001), and bounded (a refused object's "id" is whatever was sent). */
function storable(text: string): string {
  const clean = /[\u0000\u0001]/.test(text) ? text.replaceAll('\u0000', '\ufffd').replaceAll('\u0001', '\ufffd') : text;
  return clean.length > MAX_NAME ? `${clean.slice(0, MAX_NAME)}…` : clean;
}

/**
 * Events go to the database as parallel lists, one entry per event, each event's
 * own lists as text joined by U+0001 (which storable() keeps out of them): one
 * statement for any number of events, little for the driver to escape. A push
 * also notes when each object it stored was first stored in the collection (for
 * the search by object).
 */
const insertEvents = (commit: Commit) => `WITH inserted AS (
  INSERT INTO audit_events (at, actor_kind, actor, address, action, via, api_root, collection_id, request_id,
      object_ids, versions, outcomes, detail)
    SELECT ${NOW_MICROS}, e.actor_kind, e.actor, e.address, e.action, e.via, e.api_root, e.collection_id::uuid, e.request_id,
      string_to_array(e.object_ids, chr(1)), string_to_array(e.versions, chr(1)), string_to_array(e.outcomes, chr(1)), e.detail::jsonb
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                $11::text[], $12::text[])
      AS e(actor_kind, actor, address, action, via, api_root, collection_id, request_id, object_ids, versions, outcomes, detail)
    ${commit === 'unflushed' ? `WHERE ${UNFLUSHED_COMMIT}` : ''}
    RETURNING action, collection_id, at, object_ids, outcomes)
INSERT INTO audit_object_first (object_id, collection_id, first_at)
  SELECT DISTINCT ON (s.id, i.collection_id) s.id, i.collection_id, i.at
  FROM inserted i, unnest(i.object_ids, i.outcomes) AS s(id, outcome)
  WHERE i.action = 'push' AND s.outcome = 'stored'
ON CONFLICT DO NOTHING`;

const SEPARATOR = '\u0001';

/**
 * How a record's transaction commits: `flushed` waits until the write-ahead log is on
 * disk (pushes, deletes, administration, and reads with `server.audit.flush_reads`);
 * `unflushed` returns once the record is written, and PostgreSQL flushes it within
 * about 0.6 s (three wal_writer_delay): a database crash in between loses it.
 */
export type Commit = 'flushed' | 'unflushed';

/**
 * A condition that is always true and makes the statement's own transaction commit
 * unflushed (synchronous_commit off until its end, which is that commit).
 */
const UNFLUSHED_COMMIT = "set_config('synchronous_commit', 'off', true) IS NOT NULL";

/** A pull recorded by the statement serving it, and how it commits. */
export interface PullRecording {
  readonly event: EventContext;
  readonly commit: Commit;
}

/** The statement's parameters: per column, one entry per event. */
function columnsOf(events: readonly AuditEvent[]): (string | null)[][] {
  const list = (items: readonly string[] | undefined) => (items ?? []).map(storable).join(SEPARATOR);
  const column = <T>(f: (e: AuditEvent) => T) => events.map(f);
  return [
    column((e) => e.actorKind), column((e) => storable(e.actor)), column((e) => (e.address === null ? null : storable(e.address))),
    column((e) => e.action), column((e) => storable(e.via)), column((e) => e.apiRoot), column((e) => e.collectionId), column((e) => e.requestId),
    column((e) => list(e.objectIds)), column((e) => list(e.versions)), column((e) => (e.outcomes === undefined ? null : e.outcomes.join(SEPARATOR))),
    // jsonb holds no NUL, even escaped; storable() covers the lists, this the details.
    column((e) => (e.detail === undefined ? null : JSON.stringify(e.detail).replaceAll('\\u0000', '\\ufffd'))),
  ];
}

/** Inserts events with `q` (inside the caller's transaction when it is one, whose commit it then is). */
export async function insertAuditEvents(q: Queryable, events: readonly AuditEvent[], commit: Commit = 'flushed'): Promise<void> {
  try {
    await q.query(insertEvents(commit), columnsOf(events), { name: `insert_audit_events_${commit}`, prepare: true });
  } catch (err) {
    throw new AuditUnavailable(err);
  }
}

export function insertAuditEvent(q: Queryable, e: AuditEvent): Promise<void> {
  return insertAuditEvents(q, [e]);
}

/**
 * An expression that records a pull from inside the statement serving it (the
 * function of migration 0011), given SQL expressions for the served versions as
 * arrays: the read pays no round trip of its own, and what is recorded is exactly
 * what that statement returned.
 */
export function pullRecordCall(
  recording: PullRecording,
  param: (value: SqlParam) => string,
  served: { readonly objectIds: string; readonly versions: string },
): string {
  const { event } = recording;
  const context = [event.actorKind, event.actor, event.address, event.via, event.apiRoot, event.collectionId, event.requestId];
  return `audit_record_pull(${NOW_MICROS}, ${param(context.map((value) => (value === null ? null : storable(value))))}::text[],
    ${served.objectIds}, ${served.versions}, ${recording.commit === 'flushed'})`;
}

/**
 * What a statement that also recorded its pull threw: a lost or busy database stays
 * what it is (503 with its own reason), anything else was the record's failure.
 */
export function pullRecordFailure(err: unknown): unknown {
  return err instanceof TaxiiError || transientFailure(err) !== undefined ? err : new AuditUnavailable(err);
}

/** Events written by one statement at most. */
const MAX_BATCH = 200;

/**
 * Group commit: events recorded while a statement is on its way wait and go
 * together in the next one, so concurrent reads share a round trip and a WAL
 * flush. Each caller still waits until its own event is stored.
 */
function batchedRecorder(db: Db): (e: AuditEvent, commit?: Commit) => Promise<void> {
  let queue: { event: AuditEvent; commit: Commit; done: () => void; failed: (err: unknown) => void }[] = [];
  let busy = false;
  /** Writes what queued while the previous statement ran, as one statement, until nothing is left. */
  const drain = async () => {
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(batch.length);
      // One event that must be flushed makes the whole statement wait for it.
      const commit = batch.some((b) => b.commit === 'flushed') ? 'flushed' : 'unflushed';
      try {
        await insertAuditEvents(db, batch.map((b) => b.event), commit);
        for (const b of batch) b.done();
      } catch (err) {
        for (const b of batch) b.failed(err);
      }
    }
    busy = false;
  };
  return async (event, commit = 'flushed') => {
    if (busy) return new Promise<void>((done, failed) => void queue.push({ event, commit, done, failed }));
    // Nothing on its way: this event goes at once, alone.
    busy = true;
    try {
      await insertAuditEvents(db, [event], commit);
    } finally {
      void drain();
    }
  };
}

const FIRST_STORED = 'SELECT 1 FROM audit_object_first WHERE object_id = $1 LIMIT 1';
/** Objects stored before the trail began have their first date_added as first_at: a second of slack for that clock. */
const CLOCK_MARGIN_MICROS = 1_000_000;

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
    record: batchedRecorder(db),

    async find(q) {
      const params: SqlParam[] = [];
      const param = (value: SqlParam) => `$${params.push(value)}`;
      const where: string[] = [];
      // With an object: only the positions naming it (a page names up to a thousand objects).
      const positions = q.objectId === undefined ? undefined : param(q.objectId);
      if (positions !== undefined) where.push(`e.object_ids @> ARRAY[${positions}::text]`);
      // ... and only the events of the collections that stored it, since they first did (the
      // (collection_id, at) index): none before can name it. An object never stored (only
      // refused) is searched for in every event.
      const stored = q.objectId !== undefined && (await db.query(FIRST_STORED, [q.objectId], { name: 'audit_object_first_stored', prepare: true })).length > 0;
      const from = stored
        ? `audit_object_first f JOIN audit_events e ON e.collection_id = f.collection_id AND e.at >= f.first_at - ${CLOCK_MARGIN_MICROS}`
        : 'audit_events e';
      if (stored) where.push(`f.object_id = ${positions}`);
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
         FROM ${from} LEFT JOIN collections c ON c.id = e.collection_id ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
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
