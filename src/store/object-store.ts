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
import type { Recipients } from '../policy/recipients.js';
import { lowerBound, type ObjectFilter, type PageQuery } from '../taxii/query.js';
import { formatMicros, versionKey } from '../taxii/timestamps.js';
import { toNumber, type Db, type Queryable, type SqlParam } from './db.js';
import { createPlannerStatistics } from './planner-statistics.js';
import { needsRedactionSql, visibleSql, type ReadAccess } from './visibility-sql.js';

/** A validated object ready to store. */
export interface IncomingObject {
  readonly id: string;
  readonly type: string;
  /** modified, else created; undefined for unversioned objects. */
  readonly version: string | undefined;
  readonly specVersion: string;
  readonly contentHash: string;
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
  readonly granularLevel: number | null;
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

export interface ObjectStore {
  /** Stores new versions in one transaction; returns one outcome per input, in order. */
  add(collectionId: string, submittedBy: string, objects: readonly IncomingObject[], access?: ReadAccess): Promise<WriteOutcome[]>;
  listObjects(collectionId: string, query: PageQuery, access: ReadAccess): Promise<Page<ObjectRow>>;
  /** The same page as listObjects, joined; undefined when a row must be rewritten for this reader (redaction). */
  listObjectsJoined(collectionId: string, query: PageQuery, access: ReadAccess): Promise<JoinedPage | undefined>;
  listManifest(collectionId: string, query: PageQuery, access: ReadAccess): Promise<Page<ManifestRow>>;
  listVersions(collectionId: string, objectId: string, query: PageQuery, access: ReadAccess): Promise<Page<VersionRow>>;
  /** Recipients markings already defined, by marking-definition id. */
  recipientMarkings(ids: readonly string[]): Promise<Map<string, Recipients>>;
  /** True when the collection holds a version of the object the reader may see. */
  exists(collectionId: string, objectId: string, access: ReadAccess): Promise<boolean>;
  /** Deletes the selected versions the reader may see; returns how many were deleted. */
  remove(collectionId: string, objectId: string, filter: ObjectFilter, access: ReadAccess): Promise<number>;
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

/** The WHERE clause shared by every read (taxii-2.1.md §7.4 order of evaluation) over alias `v`. */
function whereFor(collectionId: string, filter: ObjectFilter, bound: number, access: ReadAccess, objectId?: string): SqlWhere {
  const w = new SqlWhere();
  w.add(`v.collection_id = ${w.param(collectionId)}::uuid`);
  if (bound >= 0) w.add(`v.date_added > ${w.param(String(bound))}::bigint`);
  if (objectId !== undefined) w.add(`v.object_id = ${w.param(objectId)}`);
  if (filter.ids !== undefined) w.add(`v.object_id = ANY(${w.param(filter.ids)}::text[])`);
  if (filter.types !== undefined) w.add(`v.object_type = ANY(${w.param(filter.types)}::text[])`);
  if (filter.specVersions !== undefined) w.add(`v.spec_version = ANY(${w.param(filter.specVersions)}::text[])`);
  if (access !== null) w.add(visibleSql(w, access, 'v'));
  const sel = filter.versions;
  if (!sel.all) {
    const any: string[] = [];
    if (sel.first || sel.last) {
      // first/last among the versions this reader may see, added after added_after (§7.4).
      const after = filter.addedAfter === undefined ? undefined : w.param(String(filter.addedAfter));
      const extreme = (cmp: '<' | '>') => `NOT EXISTS (SELECT 1 FROM object_versions e
        WHERE e.collection_id = v.collection_id AND e.object_id = v.object_id AND e.version_key ${cmp} v.version_key
          ${after === undefined ? '' : `AND e.date_added > ${after}::bigint`}
          ${access === null ? '' : `AND ${visibleSql(w, access, 'e')}`})`;
      // The maintained flags answer the common case without a subquery.
      const flagged = (flag: string, cmp: '<' | '>') =>
        after === undefined && access === null ? flag : after === undefined ? `(${flag} OR ${extreme(cmp)})` : extreme(cmp);
      if (sel.first) any.push(flagged('v.is_first', '<'));
      if (sel.last) any.push(flagged('v.is_last', '>'));
    }
    if (sel.keys.length > 0) any.push(`v.version_key = ANY(${w.param(sel.keys)}::text[])`);
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
  is_first: boolean;
  is_last: boolean;
  /** Whether the submitting partner may see this row (always true without access). */
  visible: boolean;
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
    async add(collectionId, submittedBy, objects, access = null) {
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
        const params = new SqlWhere();
        params.param(collectionId);
        params.param(ids);
        const visible = access === null ? 'true' : visibleSql(params, access, 'v', false);
        const existing = await tx.query<ExistingRow>(
          `SELECT v.object_id, v.version_key, v.version, v.content_hash, v.is_first, v.is_last, ${visible} AS visible FROM object_versions v
           WHERE v.collection_id = $1::uuid AND v.object_id = ANY($2::text[])`,
          params.params,
        );
        // Known versions: by id + version key for versioned objects, by id alone for unversioned ones.
        // An unversioned object (an SCO, whose id anyone can compute) is matched only against what
        // the submitter may see, so a re-post never reveals a hidden one: it becomes a version of its own.
        const known = new Map<string, { hash: string; version: string }>();
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
          known.set(`${row.object_id}\u0000${row.version_key}`, { hash: row.content_hash, version: row.version });
          if (row.visible) known.set(row.object_id, { hash: row.content_hash, version: row.version });
        }

        const outcomes: WriteOutcome[] = [];
        const rows = { id: [] as string[], type: [] as string[], version: [] as string[], key: [] as string[],
          spec: [] as string[], added: [] as string[], hash: [] as string[], raw: [] as string[],
          tlp: [] as (string | null)[], granular: [] as (string | null)[], granularRequired: [] as (string | null)[],
          partners: [] as (string | null)[], communities: [] as (string | null)[], refs: [] as (string | null)[] };
        const newMarkings: [string, Recipients][] = [];
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
          widen(o.id, vKey);
          rows.spec.push(o.specVersion);
          rows.added.push(String(dateAdded));
          rows.hash.push(o.contentHash);
          rows.raw.push(o.raw);
          const f = o.facts;
          const level = (l: number | null) => (l === null ? null : String(l));
          // Lists travel as JSON text: unnest cannot take arrays of arrays of different lengths.
          const list = (l: readonly string[] | null) => (l === null ? null : JSON.stringify(l));
          rows.tlp.push(level(f.tlpLevel));
          rows.granular.push(level(f.granularLevel));
          rows.granularRequired.push(level(f.granularRequiredLevel));
          rows.partners.push(list(f.recipientPartners));
          rows.communities.push(list(f.recipientCommunities));
          rows.refs.push(list(f.refs));
          if (f.definesRecipients !== null) newMarkings.push([o.id, f.definesRecipients]);
        }
        if (rows.id.length === 0) return outcomes;

        const flag = (which: 'min' | 'max') => rows.id.map((id, i) => range.get(id)?.[which] === rows.key[i]);
        const jsonList = (column: string) => `(SELECT array_agg(e) FROM json_array_elements_text(u.${column}::json) AS e)`;
        await tx.query(
          `INSERT INTO object_versions (collection_id, object_id, object_type, version, version_key, spec_version,
             date_added, is_first, is_last, content_hash, submitted_by, raw, tlp_level, granular_level,
             granular_required_level, recipient_partners, recipient_communities, refs)
           SELECT $1::uuid, u.id, u.type, u.version, u.key, u.spec, u.added, u.first, u.last, u.hash, $2, u.raw,
             u.tlp, u.granular, u.granular_required,
             CASE WHEN u.partners IS NULL THEN NULL ELSE coalesce(${jsonList('partners')}, '{}') END,
             CASE WHEN u.communities IS NULL THEN NULL ELSE coalesce(${jsonList('communities')}, '{}') END,
             ${jsonList('refs')}
           FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[],
             $11::smallint[], $12::smallint[], $13::smallint[], $14::text[], $15::text[], $16::text[], $17::boolean[], $18::boolean[])
             AS u(id, type, version, key, spec, added, hash, raw, tlp, granular, granular_required, partners, communities, refs, first, last)`,
          [collectionId, submittedBy, rows.id, rows.type, rows.version, rows.key, rows.spec, rows.added, rows.hash, rows.raw,
            rows.tlp as string[], rows.granular as string[], rows.granularRequired as string[],
            rows.partners as string[], rows.communities as string[], rows.refs as string[],
            flag('min'), flag('max')],
        );
        for (const [id, r] of newMarkings) {
          await tx.query(
            'INSERT INTO recipient_markings (marking_id, partners, communities) VALUES ($1, $2::text[], $3::text[]) ON CONFLICT DO NOTHING',
            [id, r.partners, r.communities],
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

    async listObjects(collectionId, query, access) {
      const w = whereFor(collectionId, query.filter, lowerBound(query), access);
      const rows = await db.query<{ date_added: unknown; raw: string; granular_level: number | null; submitted_by: string }>(
        `SELECT v.date_added, v.raw, v.granular_level, v.submitted_by FROM object_versions v WHERE ${w}
         ORDER BY v.date_added LIMIT ${query.limit + 1}`,
        w.params,
      );
      return page(
        rows.map((r) => ({
          dateAdded: toNumber(r.date_added),
          raw: r.raw,
          granularLevel: r.granular_level === null ? null : Number(r.granular_level),
          submittedBy: r.submitted_by,
        })),
        query.limit,
      );
    },

    async listObjectsJoined(collectionId, query, access) {
      const w = whereFor(collectionId, query.filter, lowerBound(query), access);
      const redaction = access === null ? 'false' : needsRedactionSql(w, access, 'v');
      const limit = query.limit;
      // limit + 1 rows tell whether there are more; only the first `limit` are served.
      const rows = await db.query<{ fetched: unknown; first: unknown; last: unknown; joined: string | null; rewrite: boolean | null }>(
        `SELECT count(*) AS fetched, min(date_added) AS first, max(date_added) FILTER (WHERE n <= ${limit}) AS last,
           string_agg(raw, ',' ORDER BY n) FILTER (WHERE n <= ${limit}) AS joined, bool_or(rewrite) AS rewrite
         FROM (SELECT p.*, row_number() OVER (ORDER BY p.date_added) AS n
               FROM (SELECT v.date_added, v.raw, ${redaction} AS rewrite FROM object_versions v WHERE ${w}
                     ORDER BY v.date_added LIMIT ${limit + 1}) p) numbered`,
        w.params,
      );
      const row = rows[0];
      if (row === undefined) throw new Error('an aggregate query returned no row');
      if (row.rewrite === true) return undefined;
      const fetched = toNumber(row.fetched);
      return {
        joined: row.joined ?? '',
        count: Math.min(fetched, limit),
        first: row.first === null ? undefined : toNumber(row.first),
        last: row.last === null ? undefined : toNumber(row.last),
        more: fetched > limit,
      };
    },

    async listManifest(collectionId, query, access) {
      const w = whereFor(collectionId, query.filter, lowerBound(query), access);
      const rows = await db.query<{ object_id: string; date_added: unknown; version: string; spec_version: string }>(
        `SELECT v.object_id, v.date_added, v.version, v.spec_version FROM object_versions v WHERE ${w}
         ORDER BY v.date_added LIMIT ${query.limit + 1}`,
        w.params,
      );
      return page(
        rows.map((r) => ({ id: r.object_id, dateAdded: toNumber(r.date_added), version: r.version, specVersion: r.spec_version })),
        query.limit,
      );
    },

    async listVersions(collectionId, objectId, query, access) {
      const w = whereFor(collectionId, { ...query.filter, versions: { all: true } }, lowerBound(query), access, objectId);
      const rows = await db.query<{ date_added: unknown; version: string }>(
        `SELECT v.date_added, v.version FROM object_versions v WHERE ${w} ORDER BY v.date_added LIMIT ${query.limit + 1}`,
        w.params,
      );
      return page(rows.map((r) => ({ dateAdded: toNumber(r.date_added), version: r.version })), query.limit);
    },

    async recipientMarkings(ids) {
      const found = new Map<string, Recipients>();
      if (ids.length === 0) return found;
      const rows = await db.query<{ marking_id: string; partners: string[]; communities: string[] }>(
        'SELECT marking_id, partners, communities FROM recipient_markings WHERE marking_id = ANY($1::text[])',
        [ids],
      );
      for (const r of rows) found.set(r.marking_id, { partners: r.partners, communities: r.communities });
      return found;
    },

    async exists(collectionId, objectId, access) {
      const w = whereFor(collectionId, { versions: { all: true } }, -1, access, objectId);
      const rows = await db.query(`SELECT 1 FROM object_versions v WHERE ${w} LIMIT 1`, w.params);
      return rows.length > 0;
    },

    async remove(collectionId, objectId, filter, access) {
      return db.transaction(async (tx) => {
        await tx.query('SELECT 1 FROM collections WHERE id = $1::uuid FOR UPDATE', [collectionId]);
        const w = whereFor(collectionId, filter, -1, access, objectId);
        const deleted = await tx.query(`DELETE FROM object_versions v WHERE ${w} RETURNING 1`, w.params);
        if (deleted.length > 0) await refreshFlags(tx, collectionId, [objectId]);
        return deleted.length;
      });
    },
  };
}
