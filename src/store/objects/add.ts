/**
 * Add Objects (E8): one transaction per envelope. date_added is assigned while
 * holding the collection row lock, from max(database clock, last handed out + 1µs).
 * Writers to one collection are therefore serialised, date_added is strictly
 * increasing per collection, and a version becomes visible only after every version
 * with a smaller date_added (TR7, TR15, TR28): keyset readers never skip or repeat.
 * What each object does is decided in write-decision.ts.
 */
import type { ReadScope } from '../../policy/read-scope.js';
import { versionKey } from '../../stix/timestamps.js';
import { toNumber, type Db, type Queryable } from '../db.js';
import { SqlStatement } from './read-filter.js';
import { decideWrites, type ExistingVersion, type WriteDecision } from './write-decision.js';
import type { IncomingObject, WriteOutcome } from './types.js';
import { NOW_MICROS } from '../sql-time.js';
import { insertAuditEvent, type AuditEvent } from '../audit-store.js';

const LOCK_COLLECTION = {
  name: 'lock_collection_for_write',
  text: `SELECT last_date_added AS last, ${NOW_MICROS} AS now
     FROM collections WHERE id = $1::uuid FOR UPDATE`,
};

/**
 * The rows travel as one JSON document: JSON.stringify is native, where the driver
 * would escape every element of 16 text arrays in JavaScript (most of the CPU of a write).
 */
const INSERT_VERSIONS = {
  name: 'insert_versions',
  text: `INSERT INTO object_versions (collection_id, object_id, object_type, version, version_key, spec_version,
       date_added, is_first, is_last, submitted_by, raw, tlp_level, granular_level,
       granular_required_level, recipient_partners, recipient_communities, refs, has_twin)
     SELECT $1::uuid, u.id, u.type, u.version, u.key, u.spec, u.added, u.first, u.last, $2, u.raw,
       u.tlp, u.granular, u.granular_required, u.partners, u.communities, u.refs, u.twin
     FROM json_to_recordset($3::json) AS u(id text, type text, version text, key text, spec text, added bigint,
       raw text, tlp smallint, granular smallint, granular_required smallint,
       partners text[], communities text[], refs text[], first boolean, last boolean, twin boolean)`,
};

/** Every stored copy of a version that gained a copy hidden from someone learns it has one. */
const MARK_TWINS = {
  name: 'mark_twins',
  text: `UPDATE object_versions o SET has_twin = true
     FROM unnest($2::text[], $3::text[]) AS u(id, key)
     WHERE o.collection_id = $1::uuid AND o.object_id = u.id AND o.version_key = u.key AND NOT o.has_twin`,
};

const UPDATE_FLAGS = {
  name: 'update_version_flags',
  text: `UPDATE object_versions o SET is_first = u.first, is_last = u.last
     FROM unnest($2::text[], $3::text[], $4::boolean[], $5::boolean[]) AS u(id, key, first, last)
     WHERE o.collection_id = $1::uuid AND o.object_id = u.id AND o.version_key = u.key`,
};

const ADVANCE_CLOCK = { name: 'advance_collection_clock', text: 'UPDATE collections SET last_date_added = $2::bigint WHERE id = $1::uuid' };

interface ExistingRow {
  object_id: string;
  version_key: string;
  version: string;
  is_first: boolean;
  is_last: boolean;
  raw: string | null;
  visible: boolean | null;
}

/**
 * The stored versions of the objects a post names, in date_added order; with the
 * stored text, and whether the submitter may see it (the same rule as reads, derived
 * leakage included), only where an incoming object may repeat it.
 */
async function existingVersions(tx: Queryable, collectionId: string, objects: readonly IncomingObject[], scope: ReadScope | null): Promise<ExistingVersion[]> {
  const s = new SqlStatement(scope);
  s.param(collectionId);
  s.param([...new Set(objects.map((o) => o.id))]);
  s.param([...new Set(objects.flatMap((o) => (o.version === undefined ? [] : [versionKey(o.version) as string])))]);
  s.param([...new Set(objects.filter((o) => o.version === undefined).map((o) => o.id))]);
  // The ids are joined, not listed in `= ANY(...)`: the planner estimates a listed array
  // element by element, and planning that for 1,000 ids took 20 ms, more than running it.
  const rows = await tx.query<ExistingRow>(
    `SELECT v.object_id, v.version_key, v.version, v.is_first, v.is_last, c.raw, c.visible
     FROM unnest($2::text[]) AS i(id) JOIN object_versions v ON v.collection_id = $1::uuid AND v.object_id = i.id
     LEFT JOIN LATERAL (SELECT v.raw, ${s.served.visible('v')} AS visible
                        WHERE v.version_key = ANY($3::text[]) OR v.object_id = ANY($4::text[])) c ON true
     ORDER BY v.date_added`,
    s.params,
    { name: 'existing_versions' },
  );
  return rows.map((r) => ({
    objectId: r.object_id,
    versionKey: r.version_key,
    version: r.version,
    isFirst: r.is_first,
    isLast: r.is_last,
    ...(r.raw !== null && { stored: { raw: r.raw, visible: r.visible === true } }),
  }));
}

async function store(tx: Queryable, collectionId: string, submittedBy: string, decision: WriteDecision): Promise<void> {
  const rows = decision.inserts.map((n) => {
    const f = n.object.facts;
    return {
      id: n.object.id, type: n.object.type, version: n.version, key: n.versionKey, spec: n.object.specVersion, added: n.dateAdded,
      raw: n.object.raw, tlp: f.tlpLevel, granular: f.granularLevel, granular_required: f.granularRequiredLevel,
      partners: f.recipientPartners, communities: f.recipientCommunities, refs: f.refs, first: n.isFirst, last: n.isLast, twin: n.twin,
    };
  });
  await tx.query(INSERT_VERSIONS.text, [collectionId, submittedBy, JSON.stringify(rows)], { name: INSERT_VERSIONS.name });
  const twins = decision.inserts.filter((n) => n.twin);
  if (twins.length > 0) {
    await tx.query(MARK_TWINS.text, [collectionId, twins.map((n) => n.object.id), twins.map((n) => n.versionKey)], { name: MARK_TWINS.name });
  }
  const changes = decision.flagChanges;
  if (changes.length > 0) {
    await tx.query(
      UPDATE_FLAGS.text,
      [collectionId, changes.map((c) => c.objectId), changes.map((c) => c.versionKey), changes.map((c) => c.isFirst), changes.map((c) => c.isLast)],
      { name: UPDATE_FLAGS.name },
    );
  }
  await tx.query(ADVANCE_CLOCK.text, [collectionId, String(decision.lastDateAdded)], { name: ADVANCE_CLOCK.name });
}

/**
 * Stores new versions in one transaction; returns one outcome per input, in order. What the
 * submitter may not see (`scope`) is, for this write, not there: a re-post never reveals it.
 */
export async function addVersions(
  db: Db,
  collectionId: string,
  submittedBy: string,
  objects: readonly IncomingObject[],
  scope: ReadScope | null,
  audit?: (outcomes: readonly WriteOutcome[]) => AuditEvent,
): Promise<WriteOutcome[]> {
  if (objects.length === 0) return [];
  return db.transaction(async (tx) => {
    const locked = await tx.query<{ last: unknown; now: unknown }>(LOCK_COLLECTION.text, [collectionId], { name: LOCK_COLLECTION.name });
    const head = locked[0];
    if (head === undefined) throw new Error(`collection ${collectionId} vanished`);
    const next = Math.max(toNumber(head.now), toNumber(head.last) + 1);
    const decision = decideWrites(await existingVersions(tx, collectionId, objects, scope), objects, next);
    if (decision.inserts.length > 0) await store(tx, collectionId, submittedBy, decision);
    // In the same transaction: a push the audit trail cannot record is not stored.
    if (audit !== undefined) await insertAuditEvent(tx, audit(decision.outcomes));
    return [...decision.outcomes];
  });
}
