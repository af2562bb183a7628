/**
 * The read rule in plain code (src/policy/read-scope.ts) and as SQL
 * (src/store/read-scope-sql.ts) are one rule (issue 11): over random collections
 * written through the store as posts would write them (TLP 0–4 or unmarked,
 * recipients, granular markings, relationships naming hidden, visible and absent
 * objects, re-posts that become copies), every reader, collection setting and
 * purpose gets the same versions, the same copies, the same existence answers
 * and the same redaction decision from both.
 *
 * TAXII_SCOPE_SEED (default fixed) and TAXII_SCOPE_ROUNDS (default 4).
 */
import t from 'tap';
import { parseConfig } from '../../src/config/load-config.js';
import type { WriteFacts } from '../../src/policy/write-policy.js';
import { mustRedact, readScope, visibleVersions, type Reader, type ReadPurpose, type StoredVersion } from '../../src/policy/read-scope.js';
import type { TlpLevel } from '../../src/stix/tlp.js';
import { applyConfig } from '../../src/store/config-sync.js';
import { toNumber } from '../../src/store/db.js';
import { createStore } from '../../src/store/index.js';
import type { CollectionPolicy } from '../../src/config/types.js';
import { openTestDb } from '../helpers/database.js';
import { Rng } from '../helpers/random.js';

const SEED = Number(process.env['TAXII_SCOPE_SEED'] ?? 1107);
const ROUNDS = Number(process.env['TAXII_SCOPE_ROUNDS'] ?? 4);
const COMMUNITIES = ['nato', 'eu', 'nordics'];
const TYPES = ['indicator', 'malware', 'identity', 'relationship', 'sighting', 'marking-definition'] as const;
const PURPOSES: readonly ReadPurpose[] = ['read', 'delete', 'post'];

const collectionIds = Array.from({ length: ROUNDS }, (_, r) => `5c09e000-0000-4000-8000-${String(r).padStart(12, '0')}`);
const testDb = await openTestDb();
t.teardown(() => testDb.close());
const config = {
  server: { title: 'read scope test' },
  api_roots: [{ id: 'main', title: 'Main', collections: collectionIds.map((id) => ({ id, title: id })) }],
  partners: [],
};
await applyConfig(testDb.db, await parseConfig(JSON.stringify(config), 'read-scope.test.json', {}));
const store = createStore(testDb.db);

/** Levels for the corpus: any TLP level, or none with probability p. */
function level(rng: Rng): TlpLevel {
  return rng.int(5) as TlpLevel;
}
function levelOrNull(rng: Rng, p: number): TlpLevel | null {
  return rng.chance(p) ? null : level(rng);
}

function hex(rng: Rng, n: number): string {
  return Array.from({ length: n }, () => rng.int(16).toString(16)).join('');
}

function policyOf(rng: Rng): CollectionPolicy {
  return {
    defaultTlp: level(rng),
    maxTlp: 4,
    requireMarking: false,
    requireCreatorIdentity: false,
    granular: rng.chance(0.5) ? 'withhold' : 'redact',
    hideDanglingRelationships: rng.chance(0.7),
  };
}

/** Writes a random collection through the store, each post under its submitter's read scope. */
async function populate(rng: Rng, collectionId: string, readers: readonly Reader[]): Promise<number> {
  const ids = Array.from({ length: 36 }, (_, i) => `${TYPES[i % TYPES.length]}--${hex(rng, 8)}-0000-4000-8000-${hex(rng, 12)}`);
  // Some references name objects never stored here: they hide nothing.
  const absent = Array.from({ length: 4 }, () => `malware--${hex(rng, 8)}-1111-4111-8111-${hex(rng, 12)}`);
  let posts = 0;
  for (let round = 0; round < 70; round++) {
    const id = rng.pick(ids);
    const type = id.split('--')[0] as string;
    const submitter = rng.pick(readers);
    const granular = levelOrNull(rng, 0.6);
    const restricted = rng.chance(0.25);
    const facts: WriteFacts = {
      tlpLevel: levelOrNull(rng, 0.3),
      granularLevel: granular,
      granularRequiredLevel: granular !== null && rng.chance(0.4) ? granular : null,
      recipientPartners: restricted && rng.chance(0.6) ? readers.filter(() => rng.chance(0.3)).map((r) => r.partnerId) : null,
      recipientCommunities: restricted && rng.chance(0.6) ? COMMUNITIES.filter(() => rng.chance(0.4)) : null,
      refs: type === 'relationship' || type === 'sighting' ? [rng.pick([...ids, ...absent]), rng.pick([...ids, ...absent])] : null,
    };
    // Few versions per id, so re-posts of one version (duplicates, conflicts and copies) are common.
    const version = `2024-01-0${1 + rng.int(3)}T00:00:00.000Z`;
    const raw = JSON.stringify({ type, id, modified: version, n: rng.int(3) });
    const scope = readScope(submitter, { policy: policyOf(rng), canRead: rng.chance(0.85) }, 'post');
    await store.objects.add(collectionId, submitter.partnerId, [{ id, type, version, specVersion: '2.1', raw, facts }], scope);
    posts++;
  }
  return posts;
}

async function storedVersions(collectionId: string): Promise<StoredVersion[]> {
  const rows = await testDb.db.query<{
    object_id: string; object_type: string; version_key: string; date_added: unknown; submitted_by: string;
    tlp_level: number | null; granular_level: number | null; granular_required_level: number | null;
    recipient_partners: string[] | null; recipient_communities: string[] | null; refs: string[] | null;
  }>(
    `SELECT object_id, object_type, version_key, date_added, submitted_by, tlp_level, granular_level, granular_required_level,
       recipient_partners, recipient_communities, refs
     FROM object_versions WHERE collection_id = $1::uuid ORDER BY date_added`,
    [collectionId],
  );
  const level = (v: number | null) => (v === null ? null : (Number(v) as TlpLevel));
  return rows.map((r) => ({
    objectId: r.object_id,
    objectType: r.object_type,
    versionKey: r.version_key,
    dateAdded: toNumber(r.date_added),
    submittedBy: r.submitted_by,
    tlpLevel: level(r.tlp_level),
    granularLevel: level(r.granular_level),
    granularRequiredLevel: level(r.granular_required_level),
    recipientPartners: r.recipient_partners,
    recipientCommunities: r.recipient_communities,
    refs: r.refs,
  }));
}

const ALL_VERSIONS = { filter: { versions: { all: true as const } }, limit: 100_000 };

for (let round = 0; round < ROUNDS; round++) {
  const seed = SEED + round;
  t.test(`seed ${seed}: the plain rule and the SQL serve the same versions`, async (t) => {
    const rng = new Rng(seed);
    const collectionId = collectionIds[round] as string;
    const readers: Reader[] = Array.from({ length: 6 }, (_, i) => ({
      partnerId: `p${i}`,
      clearance: level(rng),
      communities: COMMUNITIES.filter(() => rng.chance(0.4)),
    }));
    await populate(rng, collectionId, readers);
    const versions = await storedVersions(collectionId);
    const copies = versions.length - new Set(versions.map((v) => `${v.objectId} ${v.versionKey}`)).size;
    t.ok(copies > 0, `the corpus holds copies of one version (${copies} of ${versions.length} rows)`);

    let compared = 0;
    let mismatches = 0;
    for (const reader of readers) {
      for (let setting = 0; setting < 4; setting++) {
        const policy = policyOf(rng);
        for (const purpose of PURPOSES) {
          const canRead = purpose !== 'post' || rng.chance(0.5);
          const scope = readScope(reader, { policy, canRead }, purpose);
          const label = `${reader.partnerId} (clearance ${reader.clearance}, [${reader.communities.join(',')}]) ${purpose}${canRead ? '' : ' without read'}, ` +
            `default ${policy.defaultTlp}, ${policy.granular}, hide dangling ${policy.hideDanglingRelationships}`;
          const plain = visibleVersions(scope, versions);
          const sql = (await store.objects.listManifest(collectionId, ALL_VERSIONS, scope)).items;
          const want = plain.map((v) => `${v.objectId}@${v.dateAdded}`);
          const got = sql.map((m) => `${m.id}@${m.dateAdded}`);
          compared++;
          if (JSON.stringify(want) !== JSON.stringify(got)) {
            mismatches++;
            if (mismatches <= 5) t.same(got, want, `${label}: same versions`);
          }
          if (purpose !== 'read') continue;
          const redacts = plain.some((v) => mustRedact(scope, v));
          const joined = await store.objects.listObjectsJoined(collectionId, ALL_VERSIONS, scope);
          if ((joined === undefined) !== redacts) {
            mismatches++;
            t.equal(joined === undefined, redacts, `${label}: same redaction decision`);
          }
          for (const objectId of new Set(versions.map((v) => v.objectId))) {
            const exists = await store.objects.exists(collectionId, objectId, scope);
            if (exists !== plain.some((v) => v.objectId === objectId)) {
              mismatches++;
              t.equal(exists, !exists, `${label}: exists(${objectId})`);
            }
          }
        }
      }
    }
    t.equal(mismatches, 0, `${compared} reader × setting × purpose combinations over ${versions.length} stored versions agree`);
  });
}
