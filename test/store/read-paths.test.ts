/**
 * The fast read path and the planner statistics (issue 5): a page assembled by
 * the database (listObjectsJoined) is exactly the page listObjects returns, for
 * every reader and filter, and what it records in the audit trail names exactly
 * the versions it served (issue 12); rows needing redaction send the reader to the row
 * path; and the store analyses object_versions once a collection has grown.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { parseConfig } from '../../src/config/load-config.js';
import type { TlpLevel } from '../../src/stix/tlp.js';
import { UNMARKED, type WriteFacts } from '../../src/policy/write-policy.js';
import { applyConfig } from '../../src/store/config-sync.js';
import { createStore } from '../../src/store/index.js';
import { PAGE_BYTES, type IncomingObject } from '../../src/store/object-store.js';
import type { ReadScope } from '../../src/policy/read-scope.js';
import type { PageQuery, VersionSelector } from '../../src/taxii/query.js';
import { openTestDb } from '../helpers/database.js';
import { mulberry32 } from '../helpers/random.js';

const C = '0b000000-0000-4000-8000-000000000001';
const C_BIG = '0b000000-0000-4000-8000-000000000002';

const testDb = await openTestDb();
t.teardown(() => testDb.close());
const db = testDb.db;
await applyConfig(db, await parseConfig(JSON.stringify({
  server: { title: 'read paths' },
  api_roots: [{ id: 'main', title: 'Main', max_content_length: 1048576, collections: [{ id: C, title: 'c' }, { id: C_BIG, title: 'big' }] }],
  partners: [{ id: 'alice', name: 'Alice' }, { id: 'bob', name: 'Bob' }],
}), 'read-paths.json', {}));
const store = createStore(db).objects;
const PULL = { actorKind: 'partner', actor: 'alice', address: '127.0.0.1', via: 'objects', apiRoot: 'main', collectionId: C, requestId: null } as const;

function incoming(type: string, id: string, version: string, facts: WriteFacts, extra: Record<string, unknown> = {}): IncomingObject {
  const raw = JSON.stringify({ type, spec_version: '2.1', id, created: '2021-01-01T00:00:00.000Z', modified: version, name: 'é ✓ 𝄞', ...extra });
  return { id, type, version, specVersion: '2.1', raw, facts };
}

// A mix of levels, versions and granular markings, posted by two partners.
const rng = mulberry32(7);
const ids: string[] = [];
for (let batch = 0; batch < 6; batch += 1) {
  const objects: IncomingObject[] = [];
  for (let i = 0; i < 40; i += 1) {
    const reuse = ids.length > 0 && rng() < 0.3;
    const id = reuse ? (ids[Math.floor(rng() * ids.length)] as string) : `indicator--${randomUUID()}`;
    if (!reuse) ids.push(id);
    const level = Math.floor(rng() * 4) as TlpLevel;
    const granular = rng() < 0.2 ? 3 : null;
    const facts: WriteFacts = { ...UNMARKED, tlpLevel: level, granularLevel: granular };
    objects.push(incoming('indicator', id, new Date(Date.UTC(2021, 0, 1, 0, batch, i)).toISOString(), facts));
  }
  await store.add(C, batch % 2 === 0 ? 'alice' : 'bob', objects);
}

const reader = (partnerId: string, clearance: 0 | 1 | 2 | 3 | 4, granular: 'withhold' | 'redact'): ReadScope => ({
  reader: { partnerId, clearance, communities: [] }, reach: 'shared', defaultTlp: 2, granular, hideDangling: true, copies: 'earliest',
});
const ALL: VersionSelector = { all: true };
const LAST: VersionSelector = { all: false, first: false, last: true, keys: [] };
const FIRST: VersionSelector = { all: false, first: true, last: false, keys: [] };

t.test('a joined page equals the row page, for every reader, filter and page size', async (t) => {
  const readers: [string, ReadScope | null][] = [
    ['no policy', null],
    ['alice, amber, withhold', reader('alice', 2, 'withhold')],
    ['bob, green, withhold', reader('bob', 1, 'withhold')],
    ['carol, red, withhold', reader('carol', 4, 'withhold')],
    ['carol, amber+strict, redact', reader('carol', 3, 'redact')],
  ];
  for (const [name, access] of readers) {
    for (const versions of [ALL, LAST, FIRST]) {
      for (const limit of [1, 7, 100, 1000]) {
        let query: PageQuery = { filter: { versions }, limit };
        for (let pages = 0; pages < 300; pages += 1) {
          const rows = await store.listObjects(C, query, access);
          // Pages of 7 record their pull, as an audited read does: many pages, each checked.
          const recording = limit === 7 ? { event: PULL, commit: 'unflushed' as const } : undefined;
          const joined = await store.listObjectsJoined(C, query, access, recording);
          if (joined === undefined) {
            t.fail(`${name}: no row of this collection needs redaction at clearance ≥ amber+strict`);
            break;
          }
          const expected = {
            joined: rows.items.map((r) => r.raw).join(','),
            count: rows.items.length,
            first: rows.items[0]?.dateAdded,
            last: rows.items[rows.items.length - 1]?.dateAdded,
            more: rows.more,
          };
          if (JSON.stringify(joined) !== JSON.stringify(expected)) {
            t.same(joined, expected, `${name}, ${JSON.stringify(versions)}, limit ${limit}, page ${pages}`);
            break;
          }
          if (recording !== undefined && rows.items.length > 0) {
            const [last] = await db.query<{ ids: string; versions: string }>(
              'SELECT array_to_json(object_ids)::text AS ids, array_to_json(versions)::text AS versions FROM audit_events ORDER BY id DESC LIMIT 1', [], { name: 'test_last_pull' });
            const named = { ids: JSON.parse(last?.ids ?? '[]') as string[], versions: JSON.parse(last?.versions ?? '[]') as string[] };
            const served = { ids: rows.items.map((r) => r.objectId), versions: rows.items.map((r) => r.version) };
            if (JSON.stringify(named) !== JSON.stringify(served)) {
              t.same(named, served, `${name}, ${JSON.stringify(versions)}, limit ${limit}, page ${pages}: the record names what was served`);
              break;
            }
          }
          if (!rows.more || expected.last === undefined) break;
          query = { ...query, after: expected.last };
        }
      }
    }
  }
  t.pass('every page compared');
});

t.test('a page holding a row the reader must receive redacted is left to the row path', async (t) => {
  const low = reader('carol', 2, 'redact');
  const page = await store.listObjects(C, { filter: { versions: ALL }, limit: 1000 }, low);
  const redacted = page.items.filter((r) => r.granularLevel !== null && r.granularLevel > 2 && r.submittedBy !== 'carol');
  t.ok(redacted.length > 0, 'the collection holds rows above the reader in granular markings');
  t.equal(await store.listObjectsJoined(C, { filter: { versions: ALL }, limit: 1000 }, low), undefined);
  t.ok(await store.listObjectsJoined(C, { filter: { versions: ALL }, limit: 1000 }, reader('alice', 2, 'withhold')), 'withhold needs no rewriting');
});

t.test('the store analyses object_versions once it has grown by thousands of rows', async (t) => {
  const tuples = async () => Number((await db.query<{ n: number }>("SELECT reltuples::float8 AS n FROM pg_class WHERE relname = 'object_versions'"))[0]?.n);
  const before = await tuples();
  t.ok(before <= 0, `not analysed yet (reltuples ${before})`);
  for (let batch = 0; batch < 6; batch += 1) {
    const objects = Array.from({ length: 1000 }, (_, i) =>
      incoming('indicator', `indicator--${randomUUID()}`, new Date(Date.UTC(2022, 0, 1, batch, 0, i % 60, i)).toISOString(), UNMARKED));
    await store.add(C_BIG, 'alice', objects);
  }
  t.ok((await tuples()) >= 5000, 'analysed: the planner knows the table holds thousands of rows');
});

t.test('pages stop at PAGE_BYTES of stored JSON (at least one object each), on both paths', async (t) => {
  const C_LARGE = C_BIG;
  const filler = 'x'.repeat(Math.floor(PAGE_BYTES / 3.5));
  const large = Array.from({ length: 8 }, (_, i) =>
    incoming('note', `note--${randomUUID()}`, new Date(Date.UTC(2023, 0, 1, 0, 0, i)).toISOString(), UNMARKED, { content: filler }));
  const huge = incoming('note', `note--${randomUUID()}`, '2023-06-01T00:00:00.000Z', UNMARKED, { content: 'y'.repeat(PAGE_BYTES + 10) });
  await store.add(C_LARGE, 'alice', [...large, huge]);
  const after = Date.UTC(2022, 11, 31) * 1000;
  let query: PageQuery = { filter: { versions: ALL, types: ['note'] }, limit: 1000, after };
  const sizes: number[] = [];
  for (let i = 0; i < 10; i += 1) {
    const joined = await store.listObjectsJoined(C_LARGE, query, null);
    const rows = await store.listObjects(C_LARGE, query, null);
    t.same(joined?.count, rows.items.length, `page ${i}: both paths agree on the count`);
    t.same(joined?.more, rows.more, `page ${i}: and on more`);
    sizes.push(rows.items.length);
    if (!rows.more) break;
    query = { ...query, after: rows.items[rows.items.length - 1]?.dateAdded ?? 0 };
  }
  t.same(sizes, [3, 3, 2, 1], 'three fit in a page; the object larger than a page comes alone');
});
