/**
 * Object versions: writing envelopes and reading pages. All SQL for objects is here.
 *
 * date_added is assigned while holding the collection row lock, from
 * max(database clock, last handed out + 1µs). Writers to one collection are
 * therefore serialised, date_added is strictly increasing per collection, and a
 * version becomes visible only after every version with a smaller date_added
 * (TR7, TR15, TR28): keyset readers never skip or repeat.
 */
import type { WriteFacts } from '../policy/write-policy.js';
import { recipientsOf, type Recipients } from '../policy/recipients.js';
import { lowerBound, type ObjectFilter, type PageQuery } from '../taxii/query.js';
import { contentHash } from '../stix/canonical.js';
import { formatMicros, versionKey } from '../stix/timestamps.js';
import { toNumber, type Db, type Queryable, type QueryOptions, type SqlParam } from './db.js';
import { createPlannerStatistics } from './planner-statistics.js';
import type { ReadScope } from '../policy/read-scope.js';
import type { TlpLevel } from '../stix/tlp.js';
import { renderScope, type ScopeSql } from './read-scope-sql.js';

/** A validated object ready to store. */
export interface IncomingObject {
  readonly id: string;
  readonly type: string;
  /** modified, else created; undefined for unversioned objects. */
  readonly version: string | undefined;
  readonly specVersion: string;
  readonly raw: string;
  readonly facts: WriteFacts;
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
  /** For redaction: granular TLP level and who submitted the version. */
  readonly granularLevel: TlpLevel | null;
  readonly submittedBy: string;
}

export interface VersionRow {
  readonly dateAdded: number;
  readonly version: string;
}

/**
 * A page of objects as one text: the stored JSON texts joined with commas, in
 * date_added order, assembled inside the database (the fast path for big pages).
 */
export interface JoinedPage {
  readonly joined: string;
  readonly count: number;
  readonly first: number | undefined;
  readonly last: number | undefined;
  readonly more: boolean;
}

/** One page of items plus whether more exist (limit + 1 fetched). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly more: boolean;
}

/**
 * Most bytes of stored JSON in one page of objects: pages stop early (with `more`)
 * rather than hold a thousand large objects in memory at once. A page always
 * holds at least one object.
 */
export const PAGE_BYTES = 4 * 1024 * 1024;

export interface ObjectStore {
  /** Stores new versions in one transaction; returns one outcome per input, in order. */
  /**
   * Stores new versions in one transaction; returns one outcome per input, in order. What the
   * submitter may not see (`scope`) is, for this write, not there: a re-post never reveals it.
   */
  add(collectionId: string, submittedBy: string, objects: readonly IncomingObject[], scope?: ReadScope | null): Promise<WriteOutcome[]>;
  listObjects(collectionId: string, query: PageQuery, scope: ReadScope | null): Promise<Page<ObjectRow>>;
  /** The same page as listObjects, joined; undefined when a row must be rewritten for this reader (redaction). */
  listObjectsJoined(collectionId: string, query: PageQuery, scope: ReadScope | null): Promise<JoinedPage | undefined>;
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
  remove(collectionId: string, objectId: string, filter: ObjectFilter, scope: ReadScope | null): Promise<number>;
}

class SqlWhere {
  readonly params: SqlParam[] = [];
  readonly clauses: string[] = [];
  /** The read scope as SQL, its values bound to this statement. */
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

/** The WHERE clause shared by every read (taxii-2.1.md §7.4 order of evaluation) over alias `v`. */
function whereFor(collectionId: string, filter: ObjectFilter, bound: number, scope: ReadScope | null, objectId?: string): SqlWhere {
  const w = new SqlWhere(scope);
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

const PREPARED: QueryOptions = { prepare: true };

/**
 * Reads of named objects are prepared: whatever the values, the primary key finds
 * their few versions. Reads of the whole collection are planned for their values.
 */
function byKey(query: PageQuery): QueryOptions | undefined {
  return query.filter.ids === undefined ? undefined : PREPARED;
}

function page<T>(rows: T[], limit: number): Page<T> {
  return rows.length > limit ? { items: rows.slice(0, limit), more: true } : { items: rows, more: false };
}

/** A version to insert, as it travels to the database (one JSON record). */
interface NewRow {
  id: string;
  type: string;
  version: string;
  key: string;
  spec: string;
  added: number;
  raw: string;
  tlp: number | null;
  granular: number | null;
  granular_required: number | null;
  partners: readonly string[] | null;
  communities: readonly string[] | null;
  refs: readonly string[] | null;
  first: boolean;
  last: boolean;
  /** Another copy of this version is stored, hidden from the submitter. */
  twin: boolean;
}

/**
 * Whether two texts of one version hold the same object (T71: a re-post is no
 * error): equal texts, or equal canonical JSON. Computed only for the rare
 * re-post, not stored for every version.
 */
function sameContent(a: string, b: string): boolean {
  return a === b || contentHash(JSON.parse(a)) === contentHash(JSON.parse(b));
}

interface ExistingRow {
  object_id: string;
  version_key: string;
  version: string;
  /** The stored text, for the versions an incoming object could duplicate. */
  raw: string | null;
  is_first: boolean;
  is_last: boolean;
  /** Whether the submitting partner may see this row (always true without access); only for rows with raw. */
  visible: boolean | null;
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
  const statistics = createPlannerStatistics(db);
  return {
    async add(collectionId, submittedBy, objects, scope = null) {
      if (objects.length === 0) return [];
      const outcomes = await db.transaction(async (tx) => {
        const locked = await tx.query<{ last: unknown; now: unknown }>(
          `SELECT last_date_added AS last, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS now
           FROM collections WHERE id = $1::uuid FOR UPDATE`,
          [collectionId],
        );
        const head = locked[0];
        if (head === undefined) throw new Error(`collection ${collectionId} vanished`);
        let next = Math.max(toNumber(head.now), toNumber(head.last) + 1);

        const ids = [...new Set(objects.map((o) => o.id))];
        const incomingKeys = [...new Set(objects.flatMap((o) => (o.version === undefined ? [] : [versionKey(o.version) as string])))];
        const unversioned = [...new Set(objects.filter((o) => o.version === undefined).map((o) => o.id))];
        const params = new SqlWhere(scope);
        params.param(collectionId);
        params.param(ids);
        params.param(incomingKeys);
        params.param(unversioned);
        // The same rule as reads, derived leakage included: what the submitter may not read is,
        // for this write, not there.
        const visible = params.served.visible('v');
        // The stored text (and its visibility) comes along only where an incoming object may
        // repeat it. The ids are joined, not listed in `= ANY(...)`: the planner estimates a
        // listed array element by element, and planning that for 1,000 ids took 20 ms, more
        // than running it.
        const existing = await tx.query<ExistingRow>(
          `SELECT v.object_id, v.version_key, v.version, v.is_first, v.is_last, c.raw, c.visible
           FROM unnest($2::text[]) AS i(id) JOIN object_versions v ON v.collection_id = $1::uuid AND v.object_id = i.id
           LEFT JOIN LATERAL (SELECT v.raw, ${visible} AS visible
                              WHERE v.version_key = ANY($3::text[]) OR v.object_id = ANY($4::text[])) c ON true
           ORDER BY v.date_added`,
          params.params,
        );
        // Known versions: by id + version key for versioned objects, by id alone for unversioned
        // ones; the earliest copy the submitter may see. A stored version hidden from the submitter
        // is not known: a re-post must not reveal it (issue 4). A versioned re-post is stored as a
        // copy of its own (a twin, which reads tell apart); an unversioned one (an SCO, whose id
        // anyone can compute) becomes a version of its own.
        const known = new Map<string, { raw: string; version: string }>();
        const hidden = new Set<string>();
        // Version-key range per object over stored and new versions: the is_first/is_last flags of new rows.
        const range = new Map<string, { min: string; max: string }>();
        const widen = (id: string, key: string) => {
          const r = range.get(id);
          if (r === undefined) range.set(id, { min: key, max: key });
          else if (key < r.min) r.min = key;
          else if (key > r.max) r.max = key;
        };
        for (const row of existing) {
          widen(row.object_id, row.version_key);
          if (row.raw === null) continue;
          const copyKey = `${row.object_id}\u0000${row.version_key}`;
          if (row.visible !== true) {
            hidden.add(copyKey);
            continue;
          }
          if (!known.has(copyKey)) known.set(copyKey, { raw: row.raw, version: row.version });
          if (!known.has(row.object_id)) known.set(row.object_id, { raw: row.raw, version: row.version });
        }

        const outcomes: WriteOutcome[] = [];
        const rows: NewRow[] = [];
        for (const o of objects) {
          const key = o.version === undefined ? o.id : `${o.id}\u0000${versionKey(o.version) as string}`;
          const seen = known.get(key);
          if (seen !== undefined) {
            outcomes.push(
              sameContent(seen.raw, o.raw)
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
          known.set(key, { raw: o.raw, version });
          outcomes.push({ kind: 'added', id: o.id, version, dateAdded });
          widen(o.id, vKey);
          const f = o.facts;
          rows.push({
            id: o.id, type: o.type, version, key: vKey, spec: o.specVersion, added: dateAdded, raw: o.raw,
            tlp: f.tlpLevel, granular: f.granularLevel, granular_required: f.granularRequiredLevel,
            partners: f.recipientPartners, communities: f.recipientCommunities, refs: f.refs, first: false, last: false,
            twin: hidden.has(key),
          });
        }
        if (rows.length === 0) return outcomes;
        for (const row of rows) {
          const r = range.get(row.id);
          row.first = r?.min === row.key;
          row.last = r?.max === row.key;
        }

        // The rows travel as one JSON document: JSON.stringify is native, where the driver
        // would escape every element of 16 text arrays in JavaScript (most of the CPU of a write).
        await tx.query(
          `INSERT INTO object_versions (collection_id, object_id, object_type, version, version_key, spec_version,
             date_added, is_first, is_last, submitted_by, raw, tlp_level, granular_level,
             granular_required_level, recipient_partners, recipient_communities, refs, has_twin)
           SELECT $1::uuid, u.id, u.type, u.version, u.key, u.spec, u.added, u.first, u.last, $2, u.raw,
             u.tlp, u.granular, u.granular_required, u.partners, u.communities, u.refs, u.twin
           FROM json_to_recordset($3::json) AS u(id text, type text, version text, key text, spec text, added bigint,
             raw text, tlp smallint, granular smallint, granular_required smallint,
             partners text[], communities text[], refs text[], first boolean, last boolean, twin boolean)`,
          [collectionId, submittedBy, JSON.stringify(rows)],
        );
        const twins = rows.filter((row) => row.twin);
        if (twins.length > 0) {
          await tx.query(
            `UPDATE object_versions o SET has_twin = true
             FROM unnest($2::text[], $3::text[]) AS u(id, key)
             WHERE o.collection_id = $1::uuid AND o.object_id = u.id AND o.version_key = u.key AND NOT o.has_twin`,
            [collectionId, twins.map((r) => r.id), twins.map((r) => r.key)],
          );
        }
        // A stored version loses its flag when a new version sorts before or after it.
        const demoted = existing.filter((row) => {
          const r = range.get(row.object_id);
          return r !== undefined && (row.is_first !== (row.version_key === r.min) || row.is_last !== (row.version_key === r.max));
        });
        if (demoted.length > 0) {
          await tx.query(
            `UPDATE object_versions o SET is_first = u.first, is_last = u.last
             FROM unnest($2::text[], $3::text[], $4::boolean[], $5::boolean[]) AS u(id, key, first, last)
             WHERE o.collection_id = $1::uuid AND o.object_id = u.id AND o.version_key = u.key`,
            [collectionId, demoted.map((r) => r.object_id), demoted.map((r) => r.version_key),
              demoted.map((r) => r.version_key === range.get(r.object_id)?.min), demoted.map((r) => r.version_key === range.get(r.object_id)?.max)],
          );
        }
        await tx.query('UPDATE collections SET last_date_added = $2::bigint WHERE id = $1::uuid', [collectionId, String(next - 1)]);
        return outcomes;
      });
      await statistics.rowsAdded(outcomes.filter((o) => o.kind === 'added').length);
      return outcomes;
    },

    async listObjects(collectionId, query, scope) {
      const w = whereFor(collectionId, query.filter, lowerBound(query), scope);
      const rows = await db.query<{ date_added: unknown; raw: string; granular_level: number | null; submitted_by: string }>(
        `SELECT v.date_added, v.raw, v.granular_level, v.submitted_by FROM object_versions v WHERE ${w}
         ORDER BY v.date_added LIMIT ${w.param(query.limit + 1)}::int`,
        w.params,
        byKey(query),
      );
      // The same byte bound as listObjectsJoined.
      let bytes = 0;
      const fitting = rows.findIndex((r, i) => (bytes += Buffer.byteLength(r.raw)) > PAGE_BYTES && i > 0);
      const served = fitting < 0 ? page(rows, query.limit) : { items: rows.slice(0, Math.min(fitting, query.limit)), more: true };
      return {
        items: served.items.map((r) => ({
          dateAdded: toNumber(r.date_added),
          raw: r.raw,
          granularLevel: r.granular_level === null ? null : (Number(r.granular_level) as TlpLevel),
          submittedBy: r.submitted_by,
        })),
        more: served.more,
      };
    },

    async listObjectsJoined(collectionId, query, scope) {
      const w = whereFor(collectionId, query.filter, lowerBound(query), scope);
      const redaction = w.served.mustRedact('v');
      const limit = query.limit;
      // limit + 1 rows tell whether there are more; the first `limit` are served, as long as
      // they fit in PAGE_BYTES (the first always does).
      const rows = await db.query<{ fetched: unknown; served: unknown; first: unknown; last: unknown; joined: string | null; rewrite: boolean | null }>(
        `SELECT count(*) AS fetched, count(*) FILTER (WHERE served) AS served, min(date_added) AS first,
           max(date_added) FILTER (WHERE served) AS last,
           string_agg(raw, ',' ORDER BY n) FILTER (WHERE served) AS joined, bool_or(rewrite) AS rewrite
         FROM (SELECT date_added, raw, rewrite, n, n <= ${w.param(limit)}::int AND (n = 1 OR bytes <= ${PAGE_BYTES}) AS served
               FROM (SELECT p.*, row_number() OVER w AS n, sum(octet_length(p.raw)) OVER w AS bytes
                     FROM (SELECT v.date_added, v.raw, ${redaction} AS rewrite FROM object_versions v WHERE ${w}
                           ORDER BY v.date_added LIMIT ${w.param(limit + 1)}::int) p
                     WINDOW w AS (ORDER BY p.date_added ROWS UNBOUNDED PRECEDING)) numbered) marked`,
        w.params,
        byKey(query),
      );
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
    },

    async listManifest(collectionId, query, scope) {
      const w = whereFor(collectionId, query.filter, lowerBound(query), scope);
      const rows = await db.query<{ object_id: string; date_added: unknown; version: string; spec_version: string }>(
        `SELECT v.object_id, v.date_added, v.version, v.spec_version FROM object_versions v WHERE ${w}
         ORDER BY v.date_added LIMIT ${w.param(query.limit + 1)}::int`,
        w.params,
        byKey(query),
      );
      return page(
        rows.map((r) => ({ id: r.object_id, dateAdded: toNumber(r.date_added), version: r.version, specVersion: r.spec_version })),
        query.limit,
      );
    },

    async listVersions(collectionId, objectId, query, scope) {
      const w = whereFor(collectionId, { ...query.filter, versions: { all: true } }, lowerBound(query), scope, objectId);
      const rows = await db.query<{ date_added: unknown; version: string }>(
        `SELECT v.date_added, v.version FROM object_versions v WHERE ${w} ORDER BY v.date_added LIMIT ${w.param(query.limit + 1)}::int`,
        w.params,
        PREPARED,
      );
      return page(rows.map((r) => ({ dateAdded: toNumber(r.date_added), version: r.version })), query.limit);
    },

    async recipientMarkings(collectionId, ids, scope) {
      const found = new Map<string, Recipients>();
      if (ids.length === 0) return found;
      const w = whereFor(collectionId, { ids, types: ['marking-definition'], versions: { all: true } }, -1, scope);
      const rows = await db.query<{ object_id: string; raw: string }>(
        `SELECT v.object_id, v.raw FROM object_versions v WHERE ${w} ORDER BY v.date_added`,
        w.params,
      );
      for (const row of rows) {
        if (found.has(row.object_id)) continue;
        const recipients = recipientsOf(JSON.parse(row.raw) as Record<string, unknown>);
        if (recipients !== undefined && typeof recipients !== 'string') found.set(row.object_id, recipients);
      }
      return found;
    },

    async exists(collectionId, objectId, scope) {
      // Some copy is visible exactly when the earliest visible copy exists: either scope answers.
      const w = whereFor(collectionId, { versions: { all: true } }, -1, scope, objectId);
      const rows = await db.query(`SELECT 1 FROM object_versions v WHERE ${w} LIMIT 1`, w.params, PREPARED);
      return rows.length > 0;
    },

    async remove(collectionId, objectId, filter, scope) {
      return db.transaction(async (tx) => {
        await tx.query('SELECT 1 FROM collections WHERE id = $1::uuid FOR UPDATE', [collectionId]);
        const w = whereFor(collectionId, filter, -1, scope, objectId);
        const deleted = await tx.query(`DELETE FROM object_versions v WHERE ${w} RETURNING 1`, w.params);
        if (deleted.length > 0) await refreshFlags(tx, collectionId, [objectId]);
        return deleted.length;
      });
    },
  };
}
