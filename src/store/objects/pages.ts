/**
 * Pages of a collection (Get Objects, Get Object Manifests): the reader's versions
 * in date_added order, `limit` + 1 fetched to tell whether more exist, filtered
 * inside the query so pages stay full (TR29).
 */
import type { ReadScope } from '../../policy/read-scope.js';
import type { TlpLevel } from '../../stix/tlp.js';
import { lowerBound, type PageQuery } from '../../taxii/query.js';
import { toNumber, type Queryable } from '../db.js';
import { planning, whereFor } from './read-filter.js';
import { pullRecordCall, pullRecordFailure, type PullRecording } from '../audit-store.js';
import type { JoinedPage, ManifestRow, ObjectRow, Page } from './types.js';

/**
 * Most bytes of stored JSON in one page of objects: pages stop early (with `more`)
 * rather than hold a thousand large objects in memory at once. A page always
 * holds at least one object.
 */
export const PAGE_BYTES = 4 * 1024 * 1024;

export function page<T>(rows: T[], limit: number): Page<T> {
  return rows.length > limit ? { items: rows.slice(0, limit), more: true } : { items: rows, more: false };
}

export async function listObjects(db: Queryable, collectionId: string, query: PageQuery, scope: ReadScope | null): Promise<Page<ObjectRow>> {
  const w = whereFor(collectionId, query.filter, lowerBound(query), scope);
  const rows = await db.query<{ object_id: string; version: string; date_added: unknown; raw: string; granular_level: number | null; submitted_by: string }>(
    `SELECT v.object_id, v.version, v.date_added, v.raw, v.granular_level, v.submitted_by FROM object_versions v WHERE ${w}
     ORDER BY v.date_added LIMIT ${w.param(query.limit + 1)}::int`,
    w.params,
    planning('objects_page_rows', query),
  );
  // The same byte bound as listObjectsJoined.
  let bytes = 0;
  const fitting = rows.findIndex((r, i) => (bytes += Buffer.byteLength(r.raw)) > PAGE_BYTES && i > 0);
  const served = fitting < 0 ? page(rows, query.limit) : { items: rows.slice(0, Math.min(fitting, query.limit)), more: true };
  return {
    items: served.items.map((r) => ({
      objectId: r.object_id,
      version: r.version,
      dateAdded: toNumber(r.date_added),
      raw: r.raw,
      granularLevel: r.granular_level === null ? null : (Number(r.granular_level) as TlpLevel),
      submittedBy: r.submitted_by,
    })),
    more: served.more,
  };
}

/**
 * The same page as listObjects as one text, the stored JSON joined with commas inside
 * the database (the fast path for big pages); undefined when a row must be rewritten
 * for this reader (redaction), which only listObjects can serve.
 *
 * With `record`, the same statement records the pull of the versions it serves in
 * the audit trail (nothing when it serves none, or is answered undefined), so the
 * page and its record are written together or not at all; a record it cannot write
 * throws AuditUnavailable.
 */
export async function listObjectsJoined(
  db: Queryable, collectionId: string, query: PageQuery, scope: ReadScope | null, record?: PullRecording,
): Promise<JoinedPage | undefined> {
  const w = whereFor(collectionId, query.filter, lowerBound(query), scope);
  const redaction = w.served.mustRedact('v');
  const limit = query.limit;
  // limit + 1 rows tell whether there are more; the first `limit` are served, as long as
  // they fit in PAGE_BYTES (the first always does).
  const marked = `SELECT object_id, version, date_added, raw, rewrite, n, n <= ${w.param(limit)}::int AND (n = 1 OR bytes <= ${PAGE_BYTES}) AS served
    FROM (SELECT p.*, row_number() OVER w AS n, sum(octet_length(p.raw)) OVER w AS bytes
          FROM (SELECT v.object_id, v.version, v.date_added, v.raw, ${redaction} AS rewrite FROM object_versions v WHERE ${w}
                ORDER BY v.date_added LIMIT ${w.param(limit + 1)}::int) p
          WINDOW w AS (ORDER BY p.date_added ROWS UNBOUNDED PRECEDING)) numbered`;
  const summary = `count(*) AS fetched, count(*) FILTER (WHERE served) AS served, min(date_added) AS first,
    max(date_added) FILTER (WHERE served) AS last,
    string_agg(raw, ',' ORDER BY n) FILTER (WHERE served) AS joined, bool_or(rewrite) AS rewrite`;
  // Recording, the versions served are aggregated too, and handed to the record in the same row.
  const sql =
    record === undefined
      ? `SELECT ${summary} FROM (${marked}) marked`
      : `SELECT fetched, served, first, last, joined, rewrite,
           CASE WHEN served > 0 AND NOT coalesce(rewrite, false)
             THEN ${pullRecordCall(record, (value) => w.param(value), { objectIds: 'ids', versions: 'versions' })} END AS recorded
         FROM (SELECT ${summary}, array_agg(object_id ORDER BY n) FILTER (WHERE served) AS ids,
                 array_agg(version ORDER BY n) FILTER (WHERE served) AS versions
               FROM (${marked}) marked) page`;
  let rows: { fetched: unknown; served: unknown; first: unknown; last: unknown; joined: string | null; rewrite: boolean | null }[];
  try {
    rows = await db.query(sql, w.params, planning(record === undefined ? 'objects_page_joined' : 'objects_page_joined_recorded', query));
  } catch (err) {
    throw record === undefined ? err : pullRecordFailure(err);
  }
  const row = rows[0];
  if (row === undefined) throw new Error('an aggregate query returned no row');
  if (row.rewrite === true) return undefined;
  const served = toNumber(row.served);
  return {
    joined: row.joined ?? '',
    count: served,
    first: row.first === null ? undefined : toNumber(row.first),
    last: row.last === null ? undefined : toNumber(row.last),
    more: toNumber(row.fetched) > served,
  };
}

export async function listManifest(db: Queryable, collectionId: string, query: PageQuery, scope: ReadScope | null): Promise<Page<ManifestRow>> {
  const w = whereFor(collectionId, query.filter, lowerBound(query), scope);
  const rows = await db.query<{ object_id: string; date_added: unknown; version: string; spec_version: string }>(
    `SELECT v.object_id, v.date_added, v.version, v.spec_version FROM object_versions v WHERE ${w}
     ORDER BY v.date_added LIMIT ${w.param(query.limit + 1)}::int`,
    w.params,
    planning('manifest_page', query),
  );
  return page(
    rows.map((r) => ({ id: r.object_id, dateAdded: toNumber(r.date_added), version: r.version, specVersion: r.spec_version })),
    query.limit,
  );
}
