/**
 * The storage layer without HTTP: ObjectStore (add, reads, exists, remove), StatusStore and
 * Directory on a migrated test database (PGlite, or PostgreSQL with TAXII_TEST_DATABASE_URL).
 * Requirement ids refer to /work/shared/spec/taxii-2.1.md.
 */
import t from 'tap';
import type { ReadScope } from '../../src/policy/read-scope.js';
import { UNMARKED } from '../../src/policy/write-policy.js';
import { randomUUID } from 'node:crypto';
import { parseConfig } from '../../src/config/load-config.js';
import { applyConfig } from '../../src/store/config-sync.js';
import type { Db, Queryable, SqlParam } from '../../src/store/db.js';
import { toNumber } from '../../src/store/db.js';
import { createStore } from '../../src/store/index.js';
import type { IncomingObject, ManifestRow, WriteOutcome } from '../../src/store/object-store.js';
import type { StatusDetail } from '../../src/taxii/status.js';
import { DEFAULT_VERSIONS, type ObjectFilter, type PageQuery, type VersionSelector } from '../../src/taxii/query.js';
import { formatMicros, versionKey } from '../../src/stix/timestamps.js';
import { openTestDb } from '../helpers/database.js';

// Collections used by the object-store tests (no grants: the store does not check rights).
const C_ADD = '0a000000-0000-4000-8000-000000000001';
const C_CLOCK = '0a000000-0000-4000-8000-000000000002';
const C_FLAGS = '0a000000-0000-4000-8000-000000000003';
const C_LIST = '0a000000-0000-4000-8000-000000000004';
const C_DEL = '0a000000-0000-4000-8000-000000000005';
const C_EMPTY = '0a000000-0000-4000-8000-000000000006';
// Collections used by the directory tests.
const C_BOTH = '0d000000-0000-4000-8000-000000000001';
const C_READ = '0d000000-0000-4000-8000-000000000002';
const C_NONE = '0d000000-0000-4000-8000-000000000003';
const C_FALSE = '0d000000-0000-4000-8000-000000000004';
const C_OTHER = '0d000000-0000-4000-8000-000000000005';
const C_UNKNOWN = '0f000000-0000-4000-8000-000000000000';

const configJson = {
  server: { title: 'store test' },
  api_roots: [
    {
      id: 'main',
      title: 'Main root',
      description: 'store tests',
      max_content_length: 1048576,
      collections: [
        { id: C_ADD, title: 'add' },
        { id: C_CLOCK, title: 'clock' },
        { id: C_FLAGS, title: 'flags' },
        { id: C_LIST, title: 'list' },
        { id: C_DEL, title: 'delete' },
        { id: C_EMPTY, title: 'empty' },
        {
          id: C_BOTH,
          alias: 'both',
          title: 'Read via partner, write via group',
          grants: [
            { partner: 'alice', read: true, write: false },
            { group: 'writers', read: false, write: true },
            { partner: 'bob', read: false, write: true },
          ],
        },
        {
          id: C_READ,
          alias: 'reading',
          title: 'Read only',
          description: 'read grants only',
          grants: [
            { partner: 'alice', read: true, write: false },
            { group: 'readers', read: true, write: false },
          ],
        },
        { id: C_NONE, alias: 'none', title: 'No grants' },
        { id: C_FALSE, alias: 'nothing', title: 'A grant of nothing', grants: [{ partner: 'carol', read: false, write: false }] },
      ],
    },
    {
      id: 'other',
      title: 'Other root',
      max_content_length: 2048,
      collections: [{ id: C_OTHER, alias: 'both', title: 'Same alias, other root', grants: [{ partner: 'bob', read: true, write: true }] }],
    },
    { id: 'empty', title: 'Root without collections', collections: [] },
  ],
  groups: [
    { id: 'writers', members: ['alice'] },
    { id: 'readers', members: ['bob'] },
  ],
  partners: [
    { id: 'alice', name: 'Alice CSIRT' },
    { id: 'bob', name: 'Bob CERT' },
    { id: 'carol', name: 'Carol SOC', status: 'suspended' },
  ],
};

const testDb = await openTestDb();
t.teardown(() => testDb.close());
const db = testDb.db;
await applyConfig(db, await parseConfig(JSON.stringify(configJson), 'object-store.test.json', {}));
const store = createStore(db);
// These tests are about storage, not policy: every read here goes without a reader (access null).
const stored = store.objects;
const objects = {
  add: stored.add.bind(stored),
  listObjects: (c: string, q: PageQuery) => stored.listObjects(c, q, null),
  listManifest: (c: string, q: PageQuery) => stored.listManifest(c, q, null),
  listVersions: (c: string, id: string, q: PageQuery) => stored.listVersions(c, id, q, null),
  exists: (c: string, id: string) => stored.exists(c, id, null),
  remove: (c: string, id: string, f: ObjectFilter) => stored.remove(c, id, f, null),
};

// ---------------------------------------------------------------------------------------------
// helpers

function stix(type: string, id: string, version: string | undefined, spec = '2.1', extra: Record<string, unknown> = {}): IncomingObject {
  const body: Record<string, unknown> = { type, spec_version: spec, id, ...extra };
  if (version !== undefined) {
    body['created'] = '2020-01-01T00:00:00.000Z';
    body['modified'] = version;
  }
  const raw = JSON.stringify(body);
  return { id, type, version, specVersion: spec, raw, facts: UNMARKED };
}

const newId = (type: string): string => `${type}--${randomUUID()}`;
const kinds = (outcomes: readonly WriteOutcome[]): string[] => outcomes.map((o) => o.kind);

function addedDate(outcome: WriteOutcome | undefined): number {
  if (outcome?.kind !== 'added') throw new Error(`expected an added outcome, got ${JSON.stringify(outcome)}`);
  return outcome.dateAdded;
}

const ALL: VersionSelector = { all: true };
const select = (s: { first?: boolean; last?: boolean; keys?: readonly string[] }): VersionSelector => ({
  all: false,
  first: s.first ?? false,
  last: s.last ?? false,
  keys: s.keys ?? [],
});

function key(version: string): string {
  const k = versionKey(version);
  if (k === undefined) throw new Error(`bad timestamp ${version}`);
  return k;
}

function q(filter: Partial<ObjectFilter> = {}, limit = 100, after?: number): PageQuery {
  return { filter: { versions: DEFAULT_VERSIONS, ...filter }, limit, ...(after !== undefined && { after }) };
}

async function countRows(collectionId: string, objectId?: string): Promise<number> {
  const rows = await db.query<{ n: unknown }>(
    objectId === undefined
      ? 'SELECT count(*) AS n FROM object_versions WHERE collection_id = $1::uuid'
      : 'SELECT count(*) AS n FROM object_versions WHERE collection_id = $1::uuid AND object_id = $2',
    objectId === undefined ? [collectionId] : [collectionId, objectId],
  );
  return toNumber(rows[0]?.n);
}

async function lastDateAdded(collectionId: string): Promise<number> {
  const rows = await db.query<{ last: unknown }>('SELECT last_date_added AS last FROM collections WHERE id = $1::uuid', [collectionId]);
  return toNumber(rows[0]?.last);
}

/** version → [is_first, is_last], in version order. */
async function flags(collectionId: string, objectId: string): Promise<Record<string, [boolean, boolean]>> {
  const rows = await db.query<{ version: string; is_first: boolean; is_last: boolean }>(
    'SELECT version, is_first, is_last FROM object_versions WHERE collection_id = $1::uuid AND object_id = $2 ORDER BY version_key',
    [collectionId, objectId],
  );
  return Object.fromEntries(rows.map((r) => [r.version, [r.is_first, r.is_last]]));
}

const V1 = '2024-01-01T00:00:00.000Z';
const V2 = '2024-02-01T00:00:00.000Z';
const V3 = '2024-03-01T00:00:00.000Z';

// ---------------------------------------------------------------------------------------------
// ObjectStore.add

t.test('add: one outcome per input, in input order; added versions are stored (TR28)', async (t) => {
  const a = stix('indicator', newId('indicator'), V1);
  const b = stix('malware', newId('malware'), V2);
  const c = stix('ipv4-addr', newId('ipv4-addr'), undefined);
  const out = await objects.add(C_ADD, 'alice', [a, b, c]);
  t.same(kinds(out), ['added', 'added', 'added']);
  t.same(out.map((o) => o.id), [a.id, b.id, c.id], 'same order as the input');
  t.same(out.map((o) => o.version).slice(0, 2), [V1, V2], 'version is the given modified');
  const dates = out.map(addedDate);
  t.ok(dates[0]! < dates[1]! && dates[1]! < dates[2]!, 'date_added strictly increasing within one call (TR15)');
  t.equal(await lastDateAdded(C_ADD), dates[2], 'collections.last_date_added is the greatest date handed out');

  const rows = await db.query<{ object_id: string; raw: string; submitted_by: string; date_added: unknown; spec_version: string; object_type: string }>(
    'SELECT object_id, raw, submitted_by, date_added, spec_version, object_type FROM object_versions WHERE collection_id = $1::uuid ORDER BY date_added',
    [C_ADD],
  );
  t.same(rows.map((r) => r.object_id), [a.id, b.id, c.id]);
  t.same(rows.map((r) => r.raw), [a.raw, b.raw, c.raw], 'raw JSON stored exactly as given');
  t.same(rows.map((r) => r.object_type), ['indicator', 'malware', 'ipv4-addr']);
  t.ok(rows.every((r) => r.submitted_by === 'alice' && r.spec_version === '2.1'));
  t.same(rows.map((r) => toNumber(r.date_added)), dates, 'the outcome dateAdded is the stored one');
});

t.test('add: date_added strictly increasing across calls (TR15)', async (t) => {
  let previous = await lastDateAdded(C_ADD);
  for (let i = 0; i < 5; i++) {
    const out = await objects.add(C_ADD, 'alice', [stix('indicator', newId('indicator'), V1), stix('indicator', newId('indicator'), V1)]);
    const [d1, d2] = out.map(addedDate);
    t.ok(d1! > previous, `call ${i}: first date after every earlier one`);
    t.ok(d2! > d1!, `call ${i}: second after first`);
    previous = d2!;
  }
  const dates = (await db.query<{ d: unknown }>('SELECT date_added AS d FROM object_versions WHERE collection_id = $1::uuid', [C_ADD])).map((r) =>
    toNumber(r.d),
  );
  t.equal(new Set(dates).size, dates.length, 'no two versions in a collection share a date_added');
});

t.test('add: identical re-post is a duplicate (T71), changed content of a stored version is a conflict (TR24)', async (t) => {
  const id = newId('indicator');
  const original = stix('indicator', id, V1, '2.1', { name: 'first' });
  const [first] = await objects.add(C_ADD, 'alice', [original]);
  const stored = addedDate(first);

  const again = await objects.add(C_ADD, 'bob', [original]);
  t.same(again, [{ kind: 'duplicate', id, version: V1 }], 'exact duplicate: not an error (T71)');

  const changed = stix('indicator', id, V1, '2.1', { name: 'changed' });
  const [conflict] = await objects.add(C_ADD, 'bob', [changed]);
  t.equal(conflict?.kind, 'conflict', 'same id + version, different content_hash');
  t.equal(conflict?.id, id);
  t.equal(conflict?.version, V1);
  t.match(conflict?.kind === 'conflict' ? conflict.message : '', /TR24/, 'the message names the rule');

  t.equal(await countRows(C_ADD, id), 1, 'neither added a row');
  const rows = await db.query<{ raw: string; date_added: unknown; submitted_by: string }>(
    'SELECT raw, date_added, submitted_by FROM object_versions WHERE collection_id = $1::uuid AND object_id = $2',
    [C_ADD, id],
  );
  t.equal(rows[0]?.raw, original.raw, 'the stored version is kept (TR24)');
  t.equal(toNumber(rows[0]?.date_added), stored, 'date_added never changes on re-post (TR28)');
  t.equal(rows[0]?.submitted_by, 'alice');

  // T71: the same object in other JSON spelling (key order, whitespace, number form) is a re-post.
  const parsed = JSON.parse(original.raw) as Record<string, unknown>;
  const respelled = `{ ${Object.keys(parsed).reverse().map((k) => `${JSON.stringify(k)} : ${JSON.stringify(parsed[k])}`).join(' ,\n ')} }`;
  t.not(respelled, original.raw);
  const [spelling] = await objects.add(C_ADD, 'bob', [{ ...original, raw: respelled }]);
  t.same(spelling, { kind: 'duplicate', id, version: V1 }, 'the same content in other JSON spelling is already present');

  // TR9: the same instant written with another precision is the same version.
  const samePrecision = stix('indicator', id, '2024-01-01T00:00:00Z', '2.1', { name: 'first' });
  const [tr9conflict] = await objects.add(C_ADD, 'alice', [samePrecision]);
  t.same(tr9conflict?.kind === 'conflict' && tr9conflict.version, V1, 'another precision of one instant is the stored version: with other content it conflicts with it');

  const newer = stix('indicator', id, V2, '2.1', { name: 'first' });
  const [added] = await objects.add(C_ADD, 'alice', [newer]);
  t.equal(added?.kind, 'added', 'a new modified is a new version');
  t.ok(addedDate(added) > stored);
  t.equal(await countRows(C_ADD, id), 2);
});

t.test('add: unversioned objects get version = formatted date_added; re-post by id (TR10)', async (t) => {
  const id = newId('ipv4-addr');
  const sco = stix('ipv4-addr', id, undefined, '2.1', { value: '198.51.100.7' });
  const [first] = await objects.add(C_ADD, 'alice', [sco]);
  const dateAdded = addedDate(first);
  t.equal(first?.version, formatMicros(dateAdded), 'version is the date_added of the first store');
  t.match(first?.version ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'a TAXII timestamp with microseconds');

  const [dup] = await objects.add(C_ADD, 'bob', [sco]);
  t.same(dup, { kind: 'duplicate', id, version: formatMicros(dateAdded) }, 'identical re-post: duplicate, with the first version');

  const [conflict] = await objects.add(C_ADD, 'bob', [stix('ipv4-addr', id, undefined, '2.1', { value: '198.51.100.8' })]);
  t.equal(conflict?.kind, 'conflict', 'same id, different content: conflict');
  t.equal(conflict?.version, formatMicros(dateAdded));
  t.match(conflict?.kind === 'conflict' ? conflict.message : '', /S41/);
  t.equal(await countRows(C_ADD, id), 1, 'still one version');

  const page = await objects.listVersions(C_ADD, id, q());
  t.same(page.items, [{ dateAdded, version: formatMicros(dateAdded) }]);
});

t.test('add: duplicates within one call', async (t) => {
  const v = stix('indicator', newId('indicator'), V1);
  const w = stix('indicator', v.id, V1, '2.1', { name: 'other content' });
  const samePrecision = { ...v, raw: v.raw.replace('{', '{ ') };
  const s = stix('ipv4-addr', newId('ipv4-addr'), undefined, '2.1', { value: '192.0.2.1' });
  const s2 = stix('ipv4-addr', s.id, undefined, '2.1', { value: '192.0.2.2' });
  const other = stix('malware', newId('malware'), V1);

  const out = await objects.add(C_ADD, 'alice', [v, v, w, samePrecision, s, s, s2, other]);
  t.same(kinds(out), ['added', 'duplicate', 'conflict', 'duplicate', 'added', 'duplicate', 'conflict', 'added']);
  t.same(out.map((o) => o.id), [v.id, v.id, v.id, v.id, s.id, s.id, s.id, other.id]);
  const scoVersion = out[4]?.version;
  t.equal(scoVersion, formatMicros(addedDate(out[4])));
  t.same(out.slice(5, 7).map((o) => o.version), [scoVersion, scoVersion], 'later copies of an SCO report the version just assigned');
  t.same(out.slice(1, 4).map((o) => o.version), [V1, V1, V1]);
  t.ok(addedDate(out[0]) < addedDate(out[4]) && addedDate(out[4]) < addedDate(out[7]), 'only added versions consume dates, still increasing');
  t.equal(await countRows(C_ADD, v.id), 1);
  t.equal(await countRows(C_ADD, s.id), 1);

  const onlyDuplicates = await objects.add(C_ADD, 'alice', [v, s]);
  t.same(kinds(onlyDuplicates), ['duplicate', 'duplicate']);
  t.equal(await lastDateAdded(C_ADD), addedDate(out[7]), 'a call that adds nothing does not move last_date_added');
});

t.test('add: date_added is last + 1µs when the database clock is behind (TR15)', async (t) => {
  const future = 4_000_000_000_000_000; // 2096-10-02, far ahead of the database clock
  await db.query('UPDATE collections SET last_date_added = $2::bigint WHERE id = $1::uuid', [C_CLOCK, String(future)]);
  const a = stix('indicator', newId('indicator'), V1);
  const s = stix('ipv4-addr', newId('ipv4-addr'), undefined, '2.1', { value: '203.0.113.9' });
  const out = await objects.add(C_CLOCK, 'alice', [a, s]);
  t.same(out.map(addedDate), [future + 1, future + 2], 'continues from the stored maximum');
  t.equal(out[1]?.version, formatMicros(future + 2), 'an unversioned object takes that date as its version');
  t.equal(out[1]?.version, '2096-10-02T07:06:40.000002Z');
  t.equal(await lastDateAdded(C_CLOCK), future + 2);

  const next = await objects.add(C_CLOCK, 'alice', [stix('indicator', newId('indicator'), V1)]);
  t.same(next.map(addedDate), [future + 3], 'and again in the next call');
  const page = await objects.listObjects(C_CLOCK, q({ versions: ALL }));
  t.same(page.items.map((i) => i.dateAdded), [future + 1, future + 2, future + 3]);
});

t.test('add: an empty list returns [] without touching the database', async (t) => {
  let calls = 0;
  const spy: Db = {
    kind: db.kind,
    query<R extends object>(sql: string, params?: readonly SqlParam[]): Promise<R[]> {
      calls++;
      return db.query<R>(sql, params);
    },
    exec(sql: string): Promise<void> {
      calls++;
      return db.exec(sql);
    },
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      calls++;
      return db.transaction(fn);
    },
    close: () => Promise.resolve(),
    connections: () => db.connections(),
  };
  t.same(await createStore(spy).objects.add(C_ADD, 'alice', []), []);
  t.equal(calls, 0, 'no query, no transaction');
  t.same(await objects.add(C_UNKNOWN, 'alice', []), [], 'not even an unknown collection is looked up');
  await t.rejects(objects.add(C_UNKNOWN, 'alice', [stix('indicator', newId('indicator'), V1)]), /vanished/, 'a non-empty list for an unknown collection fails');
  t.equal(await countRows(C_UNKNOWN), 0);
});

// ---------------------------------------------------------------------------------------------
// is_first / is_last

t.test('is_first/is_last follow the version order, not the arrival order', async (t) => {
  const id = newId('indicator');
  await objects.add(C_FLAGS, 'alice', [stix('indicator', id, V2)]);
  t.same(await flags(C_FLAGS, id), { [V2]: [true, true] }, 'a single version is first and last');
  await objects.add(C_FLAGS, 'alice', [stix('indicator', id, V1)]);
  t.same(await flags(C_FLAGS, id), { [V1]: [true, false], [V2]: [false, true] }, 'an older version becomes first');
  await objects.add(C_FLAGS, 'alice', [stix('indicator', id, V3)]);
  t.same(await flags(C_FLAGS, id), { [V1]: [true, false], [V2]: [false, false], [V3]: [false, true] }, 'a newer version becomes last');

  const oneCall = newId('indicator');
  await objects.add(C_FLAGS, 'alice', [stix('indicator', oneCall, V3), stix('indicator', oneCall, V1), stix('indicator', oneCall, V2)]);
  t.same(await flags(C_FLAGS, oneCall), { [V1]: [true, false], [V2]: [false, false], [V3]: [false, true] }, 'out of order within one call');
  t.same(await flags(C_FLAGS, id), { [V1]: [true, false], [V2]: [false, false], [V3]: [false, true] }, 'other objects untouched');

  // Fraction digits compare as instants (TR9): .5Z is later than .45Z.
  const frac = newId('indicator');
  await objects.add(C_FLAGS, 'alice', [stix('indicator', frac, '2024-01-01T00:00:00.5Z'), stix('indicator', frac, '2024-01-01T00:00:00.45Z')]);
  t.same(await flags(C_FLAGS, frac), { '2024-01-01T00:00:00.45Z': [true, false], '2024-01-01T00:00:00.5Z': [false, true] });

  t.equal(await objects.remove(C_FLAGS, id, { versions: select({ last: true }) }), 1, 'remove the last version');
  t.same(await flags(C_FLAGS, id), { [V1]: [true, false], [V2]: [false, true] }, 'is_last moves to the remaining newest');
  t.equal(await objects.remove(C_FLAGS, id, { versions: select({ first: true }) }), 1, 'remove the first version');
  t.same(await flags(C_FLAGS, id), { [V2]: [true, true] }, 'the only remaining version is first and last');

  const manifest = await objects.listManifest(C_FLAGS, q({ ids: [id, oneCall], versions: select({ first: true, last: true }) }));
  t.same(manifest.items.map((m) => [m.id, m.version]).sort(), [[id, V2], [oneCall, V1], [oneCall, V3]].sort(), 'reads use the flags');
});

// ---------------------------------------------------------------------------------------------
// reads

/*
 * C_LIST holds, in date_added order:
 *   A@V2  M  B@V3 | A@V1  O(2.0)  B@V1 | A@V3  S(unversioned)
 * (three calls, separated by |).
 */
const A = newId('indicator');
const B = newId('indicator');
const M = newId('malware');
const O = newId('indicator');
const S = newId('ipv4-addr');
const listed: Record<string, ManifestRow> = {};

async function fillList(): Promise<void> {
  const batches: IncomingObject[][] = [
    [stix('indicator', A, V2), stix('malware', M, V1), stix('indicator', B, V3)],
    [stix('indicator', A, V1), stix('indicator', O, V1, '2.0'), stix('indicator', B, V1)],
    [stix('indicator', A, V3), stix('ipv4-addr', S, undefined, '2.1', { value: '192.0.2.55' })],
  ];
  const names = [['A2', 'M', 'B3'], ['A1', 'O', 'B1'], ['A3', 'S']];
  for (const [i, batch] of batches.entries()) {
    const out = await objects.add(C_LIST, 'alice', batch);
    for (const [j, o] of out.entries()) {
      const name = names[i]![j]!;
      listed[name] = { id: o.id, version: o.version, dateAdded: addedDate(o), specVersion: batch[j]!.specVersion };
    }
  }
}

function row(name: string): ManifestRow {
  const r = listed[name];
  if (r === undefined) throw new Error(`no listed object ${name}`);
  return r;
}

/** Names of the manifest rows returned, in order. */
function namesOf(items: readonly { dateAdded: number }[]): string[] {
  return items.map((i) => Object.entries(listed).find(([, r]) => r.dateAdded === i.dateAdded)?.[0] ?? `?${i.dateAdded}`);
}

t.test('reads: manifest, objects and version selection', async (t) => {
  await fillList();
  const order = ['A2', 'M', 'B3', 'A1', 'O', 'B1', 'A3', 'S'];
  const all = await objects.listManifest(C_LIST, q({ versions: ALL }));
  t.same(namesOf(all.items), order, 'every version, ascending by date_added (T32)');
  t.equal(all.more, false);
  t.same(all.items, order.map(row), 'manifest rows carry id, date_added, version and spec version');

  t.same(namesOf((await objects.listManifest(C_LIST, q())).items), ['M', 'B3', 'O', 'A3', 'S'], 'default: last version of each (T45)');
  t.same(namesOf((await objects.listManifest(C_LIST, q({ versions: select({ first: true }) }))).items), ['M', 'A1', 'O', 'B1', 'S'], 'first');
  t.same(
    namesOf((await objects.listManifest(C_LIST, q({ versions: select({ first: true, last: true }) }))).items),
    ['M', 'B3', 'A1', 'O', 'B1', 'A3', 'S'],
    'first,last: ORed; a single version selected by both is returned once (T46)',
  );
  t.same(namesOf((await objects.listManifest(C_LIST, q({ versions: select({ keys: [key(V2)] }) }))).items), ['A2'], 'a timestamp');
  t.same(
    namesOf((await objects.listManifest(C_LIST, q({ versions: select({ keys: [key('2024-02-01T00:00:00Z'), key(V3)] }) }))).items),
    ['A2', 'B3', 'A3'],
    'several timestamps, compared as instants (TR9)',
  );
  t.same(
    namesOf((await objects.listManifest(C_LIST, q({ versions: select({ first: true, keys: [key(V2)] }) }))).items),
    ['A2', 'M', 'A1', 'O', 'B1', 'S'],
    'first ORed with a timestamp',
  );
  t.same((await objects.listManifest(C_LIST, q({ versions: select({}) }))).items, [], 'an empty selector selects nothing');

  t.same(namesOf((await objects.listManifest(C_LIST, q({ ids: [A], versions: ALL }))).items), ['A2', 'A1', 'A3'], 'ids');
  t.same(namesOf((await objects.listManifest(C_LIST, q({ ids: [A, M] }))).items), ['M', 'A3'], 'ids are ORed (T44)');
  t.same(namesOf((await objects.listManifest(C_LIST, q({ types: ['malware'] }))).items), ['M'], 'types');
  t.same(namesOf((await objects.listManifest(C_LIST, q({ types: ['indicator', 'ipv4-addr'] }))).items), ['B3', 'O', 'A3', 'S']);
  t.same((await objects.listManifest(C_LIST, q({ types: ['campaign'] }))).items, [], 'a type never stored: empty, no error (T41)');
  t.same(namesOf((await objects.listManifest(C_LIST, q({ specVersions: ['2.0'] }))).items), ['O'], 'spec versions (T49)');
  t.same(namesOf((await objects.listManifest(C_LIST, q({ specVersions: ['2.1'], versions: ALL }))).items), ['A2', 'M', 'B3', 'A1', 'B1', 'A3', 'S']);
  t.same(
    namesOf((await objects.listManifest(C_LIST, q({ ids: [A, B, O], types: ['indicator'], specVersions: ['2.1'], versions: select({ first: true }) }))).items),
    ['A1', 'B1'],
    'different filters combine with AND (T44)',
  );

  const envelope = await objects.listObjects(C_LIST, q({ ids: [S, M] }));
  const raws = (await db.query<{ raw: string }>(
    'SELECT raw FROM object_versions WHERE collection_id = $1::uuid AND object_id = ANY($2::text[]) ORDER BY date_added',
    [C_LIST, [M, S]],
  )).map((r) => r.raw);
  t.same(
    envelope.items.map((i) => ({ dateAdded: i.dateAdded, raw: i.raw })),
    [{ dateAdded: row('M').dateAdded, raw: raws[0] }, { dateAdded: row('S').dateAdded, raw: raws[1] }],
    'objects: raw JSON in date order',
  );
  t.same(JSON.parse(envelope.items[1]?.raw ?? '{}'), { type: 'ipv4-addr', spec_version: '2.1', id: S, value: '192.0.2.55' });
});

t.test('reads: added_after is exclusive and applies before first/last (§7.4)', async (t) => {
  const all = (after: number) => objects.listManifest(C_LIST, q({ versions: ALL, addedAfter: after }));
  t.same(namesOf((await all(row('A2').dateAdded)).items), ['M', 'B3', 'A1', 'O', 'B1', 'A3', 'S'], 'strictly greater (T35)');
  t.same(namesOf((await all(row('A3').dateAdded - 1)).items), ['A3', 'S'], 'one microsecond earlier includes it');
  t.same((await all(row('S').dateAdded)).items, [], 'nothing after the newest');

  const afterBatch1 = row('B3').dateAdded;
  t.same(
    namesOf((await objects.listManifest(C_LIST, q({ addedAfter: afterBatch1, versions: select({ last: true }) }))).items),
    ['O', 'B1', 'A3', 'S'],
    'last among the versions added after it: B@V1, although B@V3 is B’s newest overall',
  );
  t.same(
    namesOf((await objects.listManifest(C_LIST, q({ addedAfter: row('A1').dateAdded, versions: select({ first: true }) }))).items),
    ['O', 'B1', 'A3', 'S'],
    'first among the versions added after it: A@V3, although A@V1 is A’s oldest overall',
  );
  t.same(
    namesOf((await objects.listManifest(C_LIST, q({ addedAfter: afterBatch1, versions: select({ first: true, last: true }) }))).items),
    ['A1', 'O', 'B1', 'A3', 'S'],
  );
  // Only a timestamp, no first/last, together with added_after: must still be a valid query.
  const timestampOnly = await objects
    .listManifest(C_LIST, q({ addedAfter: afterBatch1, versions: select({ keys: [key(V3)] }) }))
    .then((page) => namesOf(page.items), (err: unknown) => `rejected: ${err instanceof Error ? err.message : String(err)}`);
  t.same(timestampOnly, ['A3'], 'a timestamp still matches exactly (B@V3 is before the bound)');
  t.same(
    namesOf((await objects.listObjects(C_LIST, q({ addedAfter: afterBatch1, ids: [B] }))).items),
    ['B1'],
    'the same on the objects list',
  );
});

t.test('reads: limit + 1 gives more; a cursor continues after the last item', async (t) => {
  const seen: string[] = [];
  let after: number | undefined;
  const pages: boolean[] = [];
  for (;;) {
    const page = await objects.listObjects(C_LIST, q({ versions: ALL }, 3, after));
    t.ok(page.items.length <= 3, 'never more than limit (T38)');
    seen.push(...namesOf(page.items));
    pages.push(page.more);
    if (!page.more) break;
    after = page.items.at(-1)?.dateAdded;
  }
  t.same(pages, [true, true, false], '8 items in pages of 3');
  t.same(seen, ['A2', 'M', 'B3', 'A1', 'O', 'B1', 'A3', 'S'], 'each exactly once, in order');

  const exact = await objects.listManifest(C_LIST, q({ versions: ALL }, 8));
  t.equal(exact.items.length, 8);
  t.equal(exact.more, false, 'exactly limit items: more is false (T39)');
  const short = await objects.listManifest(C_LIST, q({ versions: ALL }, 7));
  t.equal(short.more, true, 'one more than limit: more is true (T51)');
  t.same(namesOf(short.items), ['A2', 'M', 'B3', 'A1', 'O', 'B1', 'A3']);

  const defaultPaged = await objects.listManifest(C_LIST, q({}, 2, row('B3').dateAdded));
  t.same(namesOf(defaultPaged.items), ['O', 'A3'], 'a cursor does not change which version is last');
  t.equal(defaultPaged.more, true);

  t.same(
    namesOf((await objects.listManifest(C_LIST, q({ versions: ALL, addedAfter: row('O').dateAdded }, 10, row('M').dateAdded))).items),
    ['B1', 'A3', 'S'],
    'added_after beyond the cursor wins',
  );
  t.same(
    namesOf((await objects.listManifest(C_LIST, q({ versions: ALL, addedAfter: row('M').dateAdded }, 10, row('O').dateAdded))).items),
    ['B1', 'A3', 'S'],
    'a cursor beyond added_after wins',
  );
  t.same(
    namesOf((await objects.listManifest(C_LIST, q({ addedAfter: row('B3').dateAdded, versions: select({ last: true }) }, 1, row('O').dateAdded))).items),
    ['B1'],
    'with a cursor, last is still taken among versions added after added_after',
  );
});

t.test('reads: versions of one object', async (t) => {
  const all = await objects.listVersions(C_LIST, A, q());
  t.same(all.items, [
    { dateAdded: row('A2').dateAdded, version: V2 },
    { dateAdded: row('A1').dateAdded, version: V1 },
    { dateAdded: row('A3').dateAdded, version: V3 },
  ], 'every version in date_added order, whatever the version selector (TR6)');
  t.equal(all.more, false);
  const firstPage = await objects.listVersions(C_LIST, A, q({ versions: select({ first: true }) }, 2));
  t.same(firstPage.items.map((v) => v.version), [V2, V1]);
  t.equal(firstPage.more, true);
  const second = await objects.listVersions(C_LIST, A, q({}, 2, firstPage.items.at(-1)?.dateAdded));
  t.same(second.items.map((v) => v.version), [V3]);
  t.equal(second.more, false);
  t.same((await objects.listVersions(C_LIST, A, q({ addedAfter: row('A2').dateAdded }))).items.map((v) => v.version), [V1, V3], 'added_after');
  t.same((await objects.listVersions(C_LIST, O, q({ specVersions: ['2.1'] }))).items, [], 'spec_version');
  t.equal((await objects.listVersions(C_LIST, O, q({ specVersions: ['2.0'] }))).items.length, 1);
  t.same((await objects.listVersions(C_LIST, newId('indicator'), q())).items, [], 'unknown id: no versions');
  t.same((await objects.listVersions(C_ADD, A, q())).items, [], 'only this collection');
});

t.test('exists', async (t) => {
  t.equal(await objects.exists(C_LIST, A), true);
  t.equal(await objects.exists(C_LIST, S), true);
  t.equal(await objects.exists(C_LIST, newId('indicator')), false, 'unknown id');
  t.equal(await objects.exists(C_ADD, A), false, 'another collection');
});

t.test('remove: version filters, returns the number deleted', async (t) => {
  const id = newId('indicator');
  const keep = newId('indicator');
  await objects.add(C_DEL, 'alice', [V1, V2, V3, '2024-04-01T00:00:00.000Z'].map((v) => stix('indicator', id, v)));
  await objects.add(C_DEL, 'alice', [stix('indicator', keep, V1), stix('indicator', keep, V2)]);

  t.equal(await objects.remove(C_DEL, id, { versions: select({ keys: [key('2024-05-01T00:00:00Z')] }) }), 0, 'no such version');
  t.equal(await objects.remove(C_DEL, id, { versions: ALL, specVersions: ['2.0'] }), 0, 'no version of that spec version');
  t.equal(await objects.remove(C_DEL, newId('indicator'), { versions: ALL }), 0, 'unknown object');
  t.equal(await objects.remove(C_DEL, id, { versions: select({}) }), 0, 'empty selector');
  t.equal(await countRows(C_DEL, id), 4);

  t.equal(await objects.remove(C_DEL, id, { versions: select({ keys: [key('2024-02-01T00:00:00Z')] }) }), 1, 'a timestamp, another precision');
  t.same(Object.keys(await flags(C_DEL, id)), [V1, V3, '2024-04-01T00:00:00.000Z']);
  t.equal(await objects.remove(C_DEL, id, { versions: select({ first: true, last: true }) }), 2, 'first,last');
  t.same(await flags(C_DEL, id), { [V3]: [true, true] }, 'flags refreshed');
  t.equal(await objects.exists(C_DEL, id), true);
  t.equal(await objects.remove(C_DEL, id, { versions: ALL, specVersions: ['2.1'] }), 1, 'all');
  t.equal(await objects.exists(C_DEL, id), false, 'gone (T76)');
  t.same((await objects.listManifest(C_DEL, q({ ids: [id], versions: ALL }))).items, []);

  t.equal(await countRows(C_DEL, keep), 2, 'other objects untouched');
  t.same(await flags(C_DEL, keep), { [V1]: [true, false], [V2]: [false, true] });
  t.equal(await objects.remove(C_DEL, keep, { versions: ALL }), 2);
  t.equal(await countRows(C_DEL), 0);
});

t.test('add/reads/remove: a version re-posted by a partner that cannot see it is stored as its own copy, served once (issue 4)', async (t) => {
  // Policy: default AMBER; amber is cleared for it, green is not.
  const reader = (partnerId: string, clearance: 0 | 1 | 2): ReadScope => ({
    reader: { partnerId, clearance, communities: [] }, reach: 'shared', defaultTlp: 2, granular: 'withhold', hideDangling: true, copies: 'earliest',
  });
  const amber = reader('amber', 2);
  const green = reader('green', 1);
  const id = newId('indicator');
  const original = stix('indicator', id, V1, '2.1', { name: 'first' });
  const green1 = { ...stix('indicator', id, V1, '2.1', { name: 'green copy', object_marking_refs: ['x'] }), facts: { ...UNMARKED, tlpLevel: 1 as const } };
  const copies = async () =>
    db.query<{ submitted_by: string; has_twin: boolean; is_first: boolean; is_last: boolean }>(
      'SELECT submitted_by, has_twin, is_first, is_last FROM object_versions WHERE collection_id = $1::uuid AND object_id = $2 ORDER BY date_added',
      [C_DEL, id],
    );

  t.same(kinds(await stored.add(C_DEL, 'amber', [original], amber)), ['added']);
  t.same(kinds(await stored.add(C_DEL, 'green', [green1], green)), ['added'], 'the AMBER version is not there for green: no conflict');
  t.same((await copies()).map((r) => [r.submitted_by, r.has_twin]), [['amber', true], ['green', true]], 'two copies, both marked');
  t.same(kinds(await stored.add(C_DEL, 'green', [green1], green)), ['duplicate'], 'its own copy is a duplicate for it');
  t.same(kinds(await stored.add(C_DEL, 'amber', [green1], amber)), ['conflict'], 'amber sees the first copy first: other content conflicts');
  t.same(kinds(await stored.add(C_DEL, 'amber', [original], amber)), ['duplicate']);
  t.equal(await countRows(C_DEL, id), 2, 'nothing more stored');

  const raws = async (access: Parameters<typeof stored.listObjects>[2], versions: VersionSelector) =>
    (await stored.listObjects(C_DEL, q({ ids: [id], versions }), access)).items.map((r) => JSON.parse(r.raw).name as string);
  for (const versions of [ALL, DEFAULT_VERSIONS, select({ first: true }), select({ keys: [key(V1)] })]) {
    t.same(await raws(amber, versions), ['first'], 'amber: the earliest copy it may see, once');
    t.same(await raws(green, versions), ['green copy'], 'green: its own copy');
    t.same(await raws(null, versions), ['first'], 'administration: the earliest copy');
  }
  t.same((await stored.listManifest(C_DEL, q({ ids: [id], versions: ALL }), amber)).items.length, 1, 'manifest: once');
  t.same((await stored.listVersions(C_DEL, id, q(), amber)).items.map((v) => v.version), [V1], 'versions: once');
  const joined = await stored.listObjectsJoined(C_DEL, q({ ids: [id], versions: ALL }), amber);
  t.equal(joined?.count, 1, 'joined page: once');

  // A later version moves the flags of every copy.
  t.same(kinds(await stored.add(C_DEL, 'amber', [stix('indicator', id, V2)], amber)), ['added']);
  t.same((await copies()).map((r) => [r.is_first, r.is_last]), [[true, false], [true, false], [false, true]], 'both copies of V1 are first, V2 last');
  t.same(await raws(green, DEFAULT_VERSIONS), ['green copy'], 'green: V2 (AMBER, default) is hidden, its V1 is its last');

  // Deleting V1 as amber takes every copy amber may see: both.
  t.equal(await stored.remove(C_DEL, id, { versions: select({ keys: [key(V1)] }) }, { ...amber, copies: 'all' }), 2, 'every visible copy');
  t.same(await raws(green, ALL), [], 'nothing of V1 comes back for green');
  t.equal(await stored.remove(C_DEL, id, { versions: ALL }, null), 1);
});

// ---------------------------------------------------------------------------------------------
// StatusStore

const statuses = store.statuses;
const nowMicrosDb = async (): Promise<number> =>
  toNumber((await db.query<{ now: unknown }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS now'))[0]?.now);

t.test('statuses: stored complete, and bound to partner and API root (TR19)', async (t) => {
  const id = randomUUID();
  const details: StatusDetail[] = [
    { id: 'indicator--0b6c5b8a-0f4e-4f0e-9a47-8d3b1d1a0001', version: V1 },
    { id: 'ipv4-addr--0b6c5b8a-0f4e-4f0e-9a47-8d3b1d1a0002', version: V2 },
    { id: 'malware--0b6c5b8a-0f4e-4f0e-9a47-8d3b1d1a0003', version: V3 },
  ];
  const requestTimestamp = 1_717_171_717_123_456;
  const successes = details.slice(0, 2);
  const failures: StatusDetail[] = [{ ...details[2]!, message: 'malware.name: required property is missing \u0000 "quoted"' }];
  await statuses.saveComplete({ id, apiRootId: 'main', collectionId: C_ADD, partnerId: 'alice', requestTimestamp, totalCount: 3, successes, failures });
  t.same(await statuses.find(id, 'main', 'alice'), {
    id,
    status: 'complete',
    requestTimestamp,
    totalCount: 3,
    successes,
    failures,
    pendings: [],
  }, 'complete with successes and failures; messages survive exactly');
  const counts = await db.query<{ total_count: number; success_count: number; failure_count: number; pending_count: number; pendings: string | null }>(
    'SELECT total_count, success_count, failure_count, pending_count, pendings FROM statuses WHERE id = $1::uuid',
    [id],
  );
  t.same(counts[0], { total_count: 3, success_count: 2, failure_count: 1, pending_count: 0, pendings: null }, 'counts add up (TR17)');

  t.equal(await statuses.find(id, 'main', 'bob'), undefined, 'another partner does not find it (TR19)');
  t.equal(await statuses.find(id, 'other', 'alice'), undefined, 'nor does the same partner in another API root');
  t.equal(await statuses.find(randomUUID(), 'main', 'alice'), undefined, 'unknown id');
  t.same((await statuses.find(id.toUpperCase(), 'main', 'alice'))?.id, id, 'upper-case UUID');
  for (const bad of ['not-a-uuid', '', `${id}x`, "' OR 1=1 --", id.replace(/-/g, '')]) {
    t.equal(await statuses.find(bad, 'main', 'alice'), undefined, `malformed id ${JSON.stringify(bad)}`);
  }

  const empty = randomUUID();
  await statuses.saveComplete({ id: empty, apiRootId: 'main', collectionId: C_ADD, partnerId: 'alice', requestTimestamp, totalCount: 0, successes: [], failures: [] });
  t.same(await statuses.find(empty, 'main', 'alice'), { id: empty, status: 'complete', requestTimestamp, totalCount: 0, successes: [], failures: [], pendings: [] });
});

t.test('statuses: purge removes only those updated before the cutoff (T59)', async (t) => {
  const HOUR = 3_600_000_000;
  const retentionHours = 48; // the default status_retention_hours
  const now = await nowMicrosDb();
  const cutoff = now - retentionHours * HOUR;
  const make = async (age: number | undefined): Promise<string> => {
    const id = randomUUID();
    await statuses.saveComplete({ id, apiRootId: 'main', collectionId: C_ADD, partnerId: 'bob', requestTimestamp: now, totalCount: 1, successes: [{ id: 'x', version: V1 }], failures: [] });
    if (age !== undefined) await db.query('UPDATE statuses SET updated_at = $2::bigint WHERE id = $1::uuid', [id, String(now - age)]);
    return id;
  };
  const ancient = await make(30 * 24 * HOUR);
  const expired = await make(retentionHours * HOUR + 1);
  const atCutoff = await make(retentionHours * HOUR);
  const day = await make(24 * HOUR);
  const fresh = await make(undefined);
  const revived = await make(undefined);

  t.equal(await statuses.purge(cutoff), 2, 'returns how many were removed');
  t.equal(await statuses.find(ancient, 'main', 'bob'), undefined);
  t.equal(await statuses.find(expired, 'main', 'bob'), undefined, 'one microsecond past the retention');
  for (const [name, id] of Object.entries({ atCutoff, day, fresh, revived })) {
    t.ok(await statuses.find(id, 'main', 'bob'), `${name} is kept`);
  }
  t.equal(await statuses.purge(cutoff), 0, 'purging again removes nothing');
  t.equal(await statuses.purge(now - 24 * HOUR + 1), 2, 'a later cutoff removes the older ones');
  t.ok(await statuses.find(fresh, 'main', 'bob'));
  t.ok(await statuses.find(revived, 'main', 'bob'));
});

// ---------------------------------------------------------------------------------------------
// Directory

const directory = store.directory;

t.test('directory: collectionFor by id and alias, rights ORed over partner and group grants', async (t) => {
  const both = {
    id: C_BOTH,
    apiRootId: 'main',
    alias: 'both',
    title: 'Read via partner, write via group',
    description: null,
    canRead: true,
    canWrite: true,
    // Issue 4 defaults: TLP:AMBER for unmarked objects, anything up to TLP:RED accepted.
    policy: { defaultTlp: 2, maxTlp: 4, requireMarking: false, requireCreatorIdentity: false, granular: 'withhold', hideDanglingRelationships: true },
    validation: 'standard',
    maxContentLength: 1048576,
  };
  t.same(await directory.collectionFor('alice', 'main', C_BOTH), both, 'read from the partner grant, write from the group grant');
  t.same(await directory.collectionFor('alice', 'main', 'both'), both, 'by alias (TR21)');
  t.same(await directory.collectionFor('alice', 'main', C_BOTH.toUpperCase()), both, 'UUID in upper case');
  t.same(await directory.collectionFor('bob', 'main', 'both'), { ...both, canRead: false, canWrite: true }, 'write only');

  const reading = { id: C_READ, apiRootId: 'main', alias: 'reading', title: 'Read only', description: 'read grants only', canRead: true, canWrite: false, policy: both.policy, validation: 'standard', maxContentLength: 1048576 };
  t.same(await directory.collectionFor('alice', 'main', C_READ), reading, 'a read grant alone makes it visible');
  t.same(await directory.collectionFor('bob', 'main', 'reading'), reading, 'through a group grant');

  t.same((await directory.collectionFor('bob', 'other', 'both'))?.id, C_OTHER, 'an alias is resolved within its API root');
  t.equal(await directory.collectionFor('alice', 'other', 'both'), undefined, 'no grant in that root');
  t.equal(await directory.collectionFor('alice', 'main', C_OTHER), undefined, 'a collection of another root');
  t.equal(await directory.collectionFor('alice', 'main', C_NONE), undefined, 'no grants at all');
  t.equal(await directory.collectionFor('alice', 'main', 'none'), undefined);
  t.equal(await directory.collectionFor('carol', 'main', C_FALSE), undefined, 'a grant of neither read nor write');
  t.equal(await directory.collectionFor('carol', 'main', 'nothing'), undefined);
  t.equal(await directory.collectionFor('alice', 'main', C_UNKNOWN), undefined, 'unknown id');
  t.equal(await directory.collectionFor('nobody', 'main', C_BOTH), undefined, 'unknown partner');
  t.equal(await directory.collectionFor('alice', 'nowhere', C_BOTH), undefined, 'unknown root');
  t.equal(await directory.collectionFor('alice', 'main', C_ADD), undefined, 'collections without grants are invisible');
});

t.test('directory: collectionsFor, apiRootsFor, apiRootFor, findPartner', async (t) => {
  const granted = await directory.collectionsFor('alice', 'main');
  const own = <T extends { alias: string | null }>(list: readonly T[]): T[] => list.filter((c) => c.alias !== 'stix-definitions');
  t.same(own(granted).map((c) => [c.id, c.canRead, c.canWrite]), [[C_BOTH, true, true], [C_READ, true, false]], 'only granted collections (TR20)');
  t.same(granted.filter((c) => c.alias === 'stix-definitions').map((c) => [c.canRead, c.canWrite]), [[true, false]], 'and the read-only STIX definitions of the root');
  t.same(await directory.collectionsFor('alice', 'main'), granted, 'stable order (T33)');
  t.same(own(await directory.collectionsFor('bob', 'main')).map((c) => c.id), [C_BOTH, C_READ]);
  t.same(await directory.collectionsFor('carol', 'main'), []);

  t.same(await directory.apiRootsFor('alice'), [{ id: 'main', title: 'Main root', description: 'store tests', maxContentLength: 1048576 }], 'only roots with a grant');
  t.same((await directory.apiRootsFor('bob')).map((r) => r.id), ['main', 'other']);
  t.same(await directory.apiRootsFor('carol'), [], 'a grant of nothing does not count');
  t.same(await directory.apiRootsFor('nobody'), []);
  t.equal(await directory.apiRootFor('alice', 'other'), undefined);
  t.same(await directory.apiRootFor('bob', 'other'), { id: 'other', title: 'Other root', description: null, maxContentLength: 2048 });
  t.equal(await directory.apiRootFor('bob', 'empty'), undefined, 'a root without collections');

  t.same(await directory.findPartner('alice'), {
    id: 'alice', name: 'Alice CSIRT', status: 'active', apiKeyHashes: [], clearance: 2, communities: [], identity: null,
    certificates: [], requireCertificate: false, rateLimits: {}, groupRateLimits: [{}],
  }, 'defaults: clearance TLP:AMBER, no communities, no identity, no rate limits of its own or of its group');
  t.same((await directory.findPartner('carol'))?.status, 'suspended');
  t.equal(await directory.findPartner('nobody'), undefined, 'unknown partner');
  t.equal(await directory.findPartner('ALICE'), undefined, 'ids are case-sensitive');
});
