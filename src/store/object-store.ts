/**
 * Object versions: writing envelopes and reading pages. All SQL for objects is here.
 *
 * date_added is assigned while holding the collection row lock, from
 * max(database clock, last handed out + 1µs). Writers to one collection are
 * therefore serialised, date_added is strictly increasing per collection, and a
 * version becomes visible only after every version with a smaller date_added
 * (TR7, TR15, TR28): keyset readers never skip or repeat.
 */
import { lowerBound, type ObjectFilter, type PageQuery } from '../taxii/query.js';
import { formatMicros, versionKey } from '../taxii/timestamps.js';
import { toNumber, type Db, type Queryable, type SqlParam } from './db.js';

/** A validated object ready to store. */
export interface IncomingObject {
  readonly id: string;
  readonly type: string;
  /** modified, else created; undefined for unversioned objects. */
  readonly version: string | undefined;
  readonly specVersion: string;
  readonly contentHash: string;
  readonly raw: string;
}

export type WriteOutcome =
  | { readonly kind: 'added'; readonly id: string; readonly version: string; readonly dateAdded: number }
  | { readonly kind: 'duplicate'; readonly id: string; readonly version: string }
  | { readonly kind: 'conflict'; readonly id: string; readonly version: string; readonly message: string };

export interface ManifestRow {
  readonly id: string;
  readonly dateAdded: number;
  readonly version: string;
  readonly specVersion: string;
}

export interface ObjectRow {
  readonly dateAdded: number;
  readonly raw: string;
}

export interface VersionRow {
  readonly dateAdded: number;
  readonly version: string;
}

/** One page of items plus whether more exist (limit + 1 fetched). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly more: boolean;
}

export interface ObjectStore {
  /** Stores new versions in one transaction; returns one outcome per input, in order. */
  add(collectionId: string, submittedBy: string, objects: readonly IncomingObject[]): Promise<WriteOutcome[]>;
  listObjects(collectionId: string, query: PageQuery): Promise<Page<ObjectRow>>;
  listManifest(collectionId: string, query: PageQuery): Promise<Page<ManifestRow>>;
  listVersions(collectionId: string, objectId: string, query: PageQuery): Promise<Page<VersionRow>>;
  /** True when the collection holds any version of the object. */
  exists(collectionId: string, objectId: string): Promise<boolean>;
  /** Deletes the selected versions; returns how many were deleted. */
  remove(collectionId: string, objectId: string, filter: ObjectFilter): Promise<number>;
}

class SqlWhere {
  readonly params: SqlParam[] = [];
  readonly clauses: string[] = [];

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

/** The WHERE clause shared by every read (taxii-2.1.md §7.4 order of evaluation). */
function whereFor(collectionId: string, filter: ObjectFilter, bound: number, objectId?: string): SqlWhere {
  const w = new SqlWhere();
  w.add(`collection_id = ${w.param(collectionId)}::uuid`);
  if (bound >= 0) w.add(`date_added > ${w.param(String(bound))}::bigint`);
  if (objectId !== undefined) w.add(`object_id = ${w.param(objectId)}`);
  if (filter.ids !== undefined) w.add(`object_id = ANY(${w.param(filter.ids)}::text[])`);
  if (filter.types !== undefined) w.add(`object_type = ANY(${w.param(filter.types)}::text[])`);
  if (filter.specVersions !== undefined) w.add(`spec_version = ANY(${w.param(filter.specVersions)}::text[])`);
  const v = filter.versions;
  if (!v.all) {
    const any: string[] = [];
    if (filter.addedAfter === undefined) {
      // The common case reads the maintained flags: no per-request grouping.
      if (v.first) any.push('is_first');
      if (v.last) any.push('is_last');
    } else if (v.first || v.last) {
      // §7.4: added_after applies before match[version], so first/last are taken
      // among the versions added after it.
      const after = w.param(String(filter.addedAfter));
      const extreme = (cmp: '<' | '>') => `NOT EXISTS (SELECT 1 FROM object_versions e
        WHERE e.collection_id = object_versions.collection_id AND e.object_id = object_versions.object_id
          AND e.date_added > ${after}::bigint AND e.version_key ${cmp} object_versions.version_key)`;
      if (v.first) any.push(extreme('<'));
      if (v.last) any.push(extreme('>'));
    }
    if (v.keys.length > 0) any.push(`version_key = ANY(${w.param(v.keys)}::text[])`);
    w.add(any.length === 0 ? 'false' : `(${any.join(' OR ')})`);
  }
  return w;
}

function page<T>(rows: T[], limit: number): Page<T> {
  return rows.length > limit ? { items: rows.slice(0, limit), more: true } : { items: rows, more: false };
}

interface ExistingRow {
  object_id: string;
  version_key: string;
  version: string;
  content_hash: string;
}

async function refreshFlags(tx: Queryable, collectionId: string, objectIds: readonly string[]): Promise<void> {
  await tx.query(
    `UPDATE object_versions o
     SET is_first = (o.version_key = m.min_v), is_last = (o.version_key = m.max_v)
     FROM (SELECT object_id, min(version_key) AS min_v, max(version_key) AS max_v
           FROM object_versions WHERE collection_id = $1::uuid AND object_id = ANY($2::text[])
           GROUP BY object_id) m
     WHERE o.collection_id = $1::uuid AND o.object_id = m.object_id
       AND (o.is_first <> (o.version_key = m.min_v) OR o.is_last <> (o.version_key = m.max_v))`,
    [collectionId, objectIds],
  );
}

export function createObjectStore(db: Db): ObjectStore {
  return {
    async add(collectionId, submittedBy, objects) {
      if (objects.length === 0) return [];
      return db.transaction(async (tx) => {
        const locked = await tx.query<{ last: unknown; now: unknown }>(
          `SELECT last_date_added AS last, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS now
           FROM collections WHERE id = $1::uuid FOR UPDATE`,
          [collectionId],
        );
        const head = locked[0];
        if (head === undefined) throw new Error(`collection ${collectionId} vanished`);
        let next = Math.max(toNumber(head.now), toNumber(head.last) + 1);

        const ids = [...new Set(objects.map((o) => o.id))];
        const existing = await tx.query<ExistingRow>(
          `SELECT object_id, version_key, version, content_hash FROM object_versions
           WHERE collection_id = $1::uuid AND object_id = ANY($2::text[])`,
          [collectionId, ids],
        );
        // Known versions: by id + version key for versioned objects, by id alone for unversioned ones.
        const known = new Map<string, { hash: string; version: string }>();
        for (const row of existing) {
          known.set(`${row.object_id}\u0000${row.version_key}`, { hash: row.content_hash, version: row.version });
          known.set(row.object_id, { hash: row.content_hash, version: row.version });
        }

        const outcomes: WriteOutcome[] = [];
        const rows = { id: [] as string[], type: [] as string[], version: [] as string[], key: [] as string[],
          spec: [] as string[], added: [] as string[], hash: [] as string[], raw: [] as string[] };
        for (const o of objects) {
          const key = o.version === undefined ? o.id : `${o.id}\u0000${versionKey(o.version) as string}`;
          const seen = known.get(key);
          if (seen !== undefined) {
            outcomes.push(
              seen.hash === o.contentHash
                ? { kind: 'duplicate', id: o.id, version: seen.version }
                : {
                    kind: 'conflict',
                    id: o.id,
                    version: seen.version,
                    message: o.version === undefined
                      ? `${o.type}: an object without modified cannot change, and this id is already stored with different content (S41)`
                      : `${o.type}.modified: version ${o.version} is already stored with different content; a changed object needs a new modified (S41, TR24)`,
                  },
            );
            continue;
          }
          const dateAdded = next++;
          const version = o.version ?? formatMicros(dateAdded);
          const vKey = versionKey(version) as string;
          known.set(key, { hash: o.contentHash, version });
          outcomes.push({ kind: 'added', id: o.id, version, dateAdded });
          rows.id.push(o.id);
          rows.type.push(o.type);
          rows.version.push(version);
          rows.key.push(vKey);
          rows.spec.push(o.specVersion);
          rows.added.push(String(dateAdded));
          rows.hash.push(o.contentHash);
          rows.raw.push(o.raw);
        }
        if (rows.id.length === 0) return outcomes;

        await tx.query(
          `INSERT INTO object_versions (collection_id, object_id, object_type, version, version_key, spec_version,
             date_added, is_first, is_last, content_hash, submitted_by, raw)
           SELECT $1::uuid, u.id, u.type, u.version, u.key, u.spec, u.added, false, false, u.hash, $2, u.raw
           FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[])
             AS u(id, type, version, key, spec, added, hash, raw)`,
          [collectionId, submittedBy, rows.id, rows.type, rows.version, rows.key, rows.spec, rows.added, rows.hash, rows.raw],
        );
        await refreshFlags(tx, collectionId, [...new Set(rows.id)]);
        await tx.query('UPDATE collections SET last_date_added = $2::bigint WHERE id = $1::uuid', [collectionId, String(next - 1)]);
        return outcomes;
      });
    },

    async listObjects(collectionId, query) {
      const w = whereFor(collectionId, query.filter, lowerBound(query));
      const rows = await db.query<{ date_added: unknown; raw: string }>(
        `SELECT date_added, raw FROM object_versions WHERE ${w} ORDER BY date_added LIMIT ${query.limit + 1}`,
        w.params,
      );
      return page(rows.map((r) => ({ dateAdded: toNumber(r.date_added), raw: r.raw })), query.limit);
    },

    async listManifest(collectionId, query) {
      const w = whereFor(collectionId, query.filter, lowerBound(query));
      const rows = await db.query<{ object_id: string; date_added: unknown; version: string; spec_version: string }>(
        `SELECT object_id, date_added, version, spec_version FROM object_versions WHERE ${w}
         ORDER BY date_added LIMIT ${query.limit + 1}`,
        w.params,
      );
      return page(
        rows.map((r) => ({ id: r.object_id, dateAdded: toNumber(r.date_added), version: r.version, specVersion: r.spec_version })),
        query.limit,
      );
    },

    async listVersions(collectionId, objectId, query) {
      const w = whereFor(collectionId, { ...query.filter, versions: { all: true } }, lowerBound(query), objectId);
      const rows = await db.query<{ date_added: unknown; version: string }>(
        `SELECT date_added, version FROM object_versions WHERE ${w} ORDER BY date_added LIMIT ${query.limit + 1}`,
        w.params,
      );
      return page(rows.map((r) => ({ dateAdded: toNumber(r.date_added), version: r.version })), query.limit);
    },

    async exists(collectionId, objectId) {
      const rows = await db.query(
        'SELECT 1 FROM object_versions WHERE collection_id = $1::uuid AND object_id = $2 LIMIT 1',
        [collectionId, objectId],
      );
      return rows.length > 0;
    },

    async remove(collectionId, objectId, filter) {
      return db.transaction(async (tx) => {
        await tx.query('SELECT 1 FROM collections WHERE id = $1::uuid FOR UPDATE', [collectionId]);
        const w = whereFor(collectionId, filter, -1, objectId);
        const deleted = await tx.query(`DELETE FROM object_versions WHERE ${w} RETURNING 1`, w.params);
        if (deleted.length > 0) await refreshFlags(tx, collectionId, [objectId]);
        return deleted.length;
      });
    },
  };
}
