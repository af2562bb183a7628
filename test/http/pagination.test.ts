/**
 * Paging and filtering as a TAXII client walks them (taxii-2.1.md §7, §8; checklist items 8 and 9):
 * `limit`/`more`/`next` on objects, manifest, get-an-object and versions; the added_after
 * fallback; what a `next` token is bound to (TR14, T55); the match[...] filters (T41–T49).
 *
 * The expected answer of every request is computed from the rows in the database
 * (cross-checked against the manifest) with the spec's order of evaluation (§7.4).
 */
import t, { type Test } from 'tap';
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { C_OTHER, C_RO, C_RW, TAXII, createTestApp } from '../helpers/app.js';
import { indicator, ipv4, malware, newVersion } from '../helpers/stix.js';
import { toNumber } from '../../src/store/db.js';
import { formatMicros, timestampToMicros, versionKey } from '../../src/stix/timestamps.js';

const ctx = await createTestApp({ pageSize: { default: 5, max: 10 } });
t.teardown(() => ctx.close());

const RW = `/main/collections/${C_RW}/`;
const RO = `/main/collections/${C_RO}/`;
const OTHER = `/other/collections/${C_OTHER}/`;
const STIX21 = 'application/stix+json;version=2.1';
const BAD_CURSOR = 'TAXII_ERR_REQUEST_BAD_CURSOR';
const TIMESTAMP6 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

type Obj = Record<string, unknown>;
type Json = Record<string, unknown>;

function identity(name: string): Obj {
  return {
    type: 'identity',
    spec_version: '2.1',
    id: `identity--${randomUUID()}`,
    created: '2024-01-01T00:00:00.000Z',
    modified: '2024-01-01T00:00:00.000Z',
    name,
    identity_class: 'organization',
  };
}

function idOf(o: Obj): string {
  return o['id'] as string;
}

// ---------------------------------------------------------------------------------------------
// The collection: 23 objects, 38 versions, posted as one big envelope, small envelopes and single
// objects. Every new version is posted after the older ones (in modified order).
// ---------------------------------------------------------------------------------------------

const i = Array.from({ length: 10 }, (_, n) => indicator({ name: `indicator ${n}` }));
const m = Array.from({ length: 6 }, (_, n) => malware({ name: `malware ${n}` }));
const ip = Array.from({ length: 6 }, (_, n) => ipv4(`198.51.100.${n + 10}`));
const id = [identity('id 0'), identity('id 1'), identity('id 2'), identity('id 3')];
// An SCO without spec_version: STIX 2.1 by TR11.
const ipNoSpec: Obj = { type: 'ipv4-addr', id: `ipv4-addr--${randomUUID()}`, value: '203.0.113.9' };
const mv = malware({ name: 'many versions' });
const mvModified = Array.from({ length: 12 }, (_, k) =>
  k === 4 ? '2024-01-05T00:00:00.000000Z' : `2024-01-${String(k + 1).padStart(2, '0')}T00:00:00.000Z`,
);
const mvVersions = mvModified.map((mod) => newVersion(mv, mod, { name: `many versions ${mod}` }));

const POSTS: Obj[][] = [
  [i[1], i[2], i[3], m[1], m[2], ip[1], ip[2], id[1]].map((o) => o as Obj),
  [i[4] as Obj],
  [m[3] as Obj],
  mvVersions.slice(0, 4),
  [ip[3] as Obj],
  [newVersion(i[1] as Obj, '2024-02-01T00:00:00.000Z')],
  [i[5] as Obj],
  [mvVersions[4] as Obj],
  [id[2] as Obj],
  [i[6] as Obj, ip[4] as Obj, m[4] as Obj, i[7] as Obj],
  mvVersions.slice(5, 7),
  [newVersion(m[1] as Obj, '2024-02-01T00:00:00.000Z'), newVersion(m[1] as Obj, '2024-03-01T00:00:00.000Z')],
  mvVersions.slice(7, 10),
  [i[8] as Obj, i[9] as Obj],
  [ipNoSpec],
  [newVersion(i[2] as Obj, '2024-02-15T00:00:00.000Z')],
  [mvVersions[10] as Obj],
  [m[5] as Obj],
  [id[3] as Obj],
  [mvVersions[11] as Obj],
];

for (const objects of POSTS) {
  const res = await ctx.post('alice', RW, objects);
  if (res.statusCode !== 202 || res.json().success_count !== objects.length) {
    throw new Error(`setup POST failed: ${res.statusCode} ${res.body}`);
  }
}
const DISTINCT = 23;
const VERSIONS = 38;

// ---------------------------------------------------------------------------------------------
// Oracle: every stored version with its date_added, straight from the database.
// ---------------------------------------------------------------------------------------------

interface Row {
  readonly objectId: string;
  readonly type: string;
  readonly version: string;
  readonly vkey: string;
  readonly specVersion: string;
  readonly dateAdded: number;
  /** id + modified/created as seen in an object (SCOs: id alone). */
  readonly objKey: string;
  /** id + version as seen in a manifest record or a versions list. */
  readonly manKey: string;
}

function objectKey(o: Obj): string {
  return `${idOf(o)} ${(o['modified'] ?? o['created'] ?? '-') as string}`;
}

async function loadRows(collectionId: string): Promise<Row[]> {
  const rows = await ctx.testDb.db.query<{ object_id: string; object_type: string; version: string; spec_version: string; date_added: unknown; raw: string }>(
    'SELECT object_id, object_type, version, spec_version, date_added, raw FROM object_versions WHERE collection_id = $1::uuid ORDER BY date_added',
    [collectionId],
  );
  return rows.map((r) => ({
    objectId: r.object_id,
    type: r.object_type,
    version: r.version,
    vkey: versionKey(r.version) as string,
    specVersion: r.spec_version,
    dateAdded: toNumber(r.date_added),
    objKey: objectKey(JSON.parse(r.raw) as Obj),
    manKey: `${r.object_id} ${r.version}`,
  }));
}

const ROWS = await loadRows(C_RW);
const byObjKey = new Map(ROWS.map((r) => [r.objKey, r]));
const byManKey = new Map(ROWS.map((r) => [r.manKey, r]));

interface Selection {
  ids?: string[];
  types?: string[];
  addedAfter?: number;
  specVersions?: string[];
  /** 'all', or first/last/timestamps (ORed); default last (T45). */
  versions?: 'all' | { first?: boolean; last?: boolean; at?: string[] };
}

/** What the spec says a read returns (§7.4 order of evaluation: id/type/added_after, spec_version, version, sort). */
function select(s: Selection = {}, rows: readonly Row[] = ROWS): Row[] {
  const pool = rows.filter(
    (r) =>
      (s.ids === undefined || s.ids.includes(r.objectId)) &&
      (s.types === undefined || s.types.includes(r.type)) &&
      (s.addedAfter === undefined || r.dateAdded > s.addedAfter) &&
      (s.specVersions === undefined || s.specVersions.includes(r.specVersion)),
  );
  const versions = s.versions ?? { last: true };
  if (versions === 'all') return [...pool].sort((a, b) => a.dateAdded - b.dateAdded);
  const keys = (versions.at ?? []).map((v) => versionKey(v) as string);
  const groups = new Map<string, Row[]>();
  for (const r of pool) groups.set(r.objectId, [...(groups.get(r.objectId) ?? []), r]);
  const picked: Row[] = [];
  for (const group of groups.values()) {
    const sorted = [...group].sort((a, b) => (a.vkey < b.vkey ? -1 : a.vkey > b.vkey ? 1 : 0));
    for (const r of sorted) {
      const first = versions.first === true && r === sorted[0];
      const last = versions.last === true && r === sorted[sorted.length - 1];
      if (first || last || keys.includes(r.vkey)) picked.push(r);
    }
  }
  return picked.sort((a, b) => a.dateAdded - b.dateAdded);
}

// ---------------------------------------------------------------------------------------------
// The walker: follows `next` and checks every page.
// ---------------------------------------------------------------------------------------------

type Kind = 'objects' | 'manifest' | 'versions';

interface WalkOptions {
  readonly path: string;
  readonly kind: Kind;
  readonly expected: readonly Row[];
  readonly params?: Record<string, string>;
  readonly limit?: number;
  /** Items per full page; defaults to limit. */
  readonly pageSize?: number;
  readonly partner?: string;
  /** Send only next (and limit) after the first page: TR14 project decision. */
  readonly bareNext?: boolean;
  /** versions endpoint: whose versions. */
  readonly objectId?: string;
  readonly lookup?: { objKey: Map<string, Row>; manKey: Map<string, Row> };
}

function url(path: string, params: Record<string, string>): string {
  const qs = new URLSearchParams(params).toString();
  return qs === '' ? path : `${path}?${qs}`;
}

function keysOf(rows: readonly Row[]): string[] {
  return rows.map((r) => r.manKey);
}

/** Items of one response as oracle rows; checks manifest records against the oracle. */
function itemsOf(t: Test, o: WalkOptions, body: Json, label: string): Row[] {
  const lookup = o.lookup ?? { objKey: byObjKey, manKey: byManKey };
  const found: Row[] = [];
  const miss = (what: string): void => {
    t.fail(`${label}: ${what} is not a stored version`);
  };
  if (o.kind === 'objects') {
    for (const obj of (body['objects'] as Obj[] | undefined) ?? []) {
      const row = lookup.objKey.get(objectKey(obj));
      if (row === undefined) miss(objectKey(obj));
      else found.push(row);
    }
  } else if (o.kind === 'manifest') {
    for (const record of (body['objects'] as Json[] | undefined) ?? []) {
      const row = lookup.manKey.get(`${record['id'] as string} ${record['version'] as string}`);
      if (row === undefined) {
        miss(`${record['id'] as string} ${record['version'] as string}`);
        continue;
      }
      found.push(row);
      if (record['date_added'] !== formatMicros(row.dateAdded) || record['media_type'] !== STIX21) {
        t.fail(`${label}: manifest record ${row.manKey} has date_added ${String(record['date_added'])}, media_type ${String(record['media_type'])}`);
      }
    }
  } else {
    for (const v of (body['versions'] as string[] | undefined) ?? []) {
      const row = lookup.manKey.get(`${o.objectId as string} ${v}`);
      if (row === undefined) miss(`${o.objectId as string} ${v}`);
      else found.push(row);
    }
  }
  return found;
}

interface Walked {
  readonly pages: number;
  readonly rows: Row[];
  readonly tokens: string[];
}

async function walk(t: Test, o: WalkOptions): Promise<Walked> {
  const pageSize = o.pageSize ?? o.limit ?? 5;
  const params = o.params ?? {};
  const expectedPages = Math.max(1, Math.ceil(o.expected.length / pageSize));
  const name = `${o.kind} ${url(o.path, params)} limit=${String(o.limit)}`;
  const seen: Row[] = [];
  const tokens: string[] = [];
  let next: string | undefined;
  let pages = 0;
  for (;;) {
    const query: Record<string, string> = {
      ...(next === undefined || o.bareNext !== true ? params : {}),
      ...(o.limit !== undefined && { limit: String(o.limit) }),
      ...(next !== undefined && { next }),
    };
    const res = await ctx.request(o.partner ?? 'alice', { url: url(o.path, query) });
    pages++;
    const label = `${name} page ${pages}/${expectedPages}`;
    if (res.statusCode !== 200) {
      t.fail(`${label}: status ${res.statusCode} ${res.body}`);
      break;
    }
    const body = res.json() as Json;
    const items = itemsOf(t, o, body, label);
    const want = o.expected.slice(seen.length, seen.length + pageSize);
    t.same(keysOf(items), keysOf(want), `${label}: the next ${want.length} items in date_added order (T32, T38, T39)`);
    const first = items[0];
    const last = items[items.length - 1];
    if (first !== undefined && last !== undefined) {
      t.same(
        [res.headers['x-taxii-date-added-first'], res.headers['x-taxii-date-added-last']],
        [formatMicros(first.dateAdded), formatMicros(last.dateAdded)],
        `${label}: X-TAXII-Date-Added-First/Last are the first/last item's date_added (T31, TR5)`,
      );
    } else {
      t.equal(res.body, '{}', `${label}: empty page is {} (T67)`);
      t.notOk(res.headers['x-taxii-date-added-first'] ?? res.headers['x-taxii-date-added-last'], `${label}: no date headers on an empty page (TR4)`);
    }
    seen.push(...items);
    if (body['more'] === true) {
      const token = body['next'];
      if (typeof token !== 'string' || token === '') {
        t.fail(`${label}: more:true without next (TR12, TR13)`);
        break;
      }
      t.pass(`${label}: more:true and next (T51, TR12)`);
      tokens.push(token);
      next = token;
      if (pages > expectedPages) {
        t.fail(`${label}: more pages than ⌈N/k⌉`);
        break;
      }
    } else {
      t.ok(!('more' in body) && !('next' in body), `${label}: the last page has neither more nor next`);
      break;
    }
  }
  t.equal(pages, expectedPages, `${name}: ⌈${o.expected.length}/${pageSize}⌉ = ${expectedPages} pages (checklist 8)`);
  t.same(keysOf(seen), keysOf(o.expected), `${name}: the pages together hold every expected item exactly once`);
  t.equal(new Set(keysOf(seen)).size, seen.length, `${name}: no duplicates`);
  return { pages, rows: seen, tokens };
}

function expectBadCursor(t: Test, res: LightMyRequestResponse, message: string): void {
  t.equal(res.statusCode, 400, `${message}: 400 (TR14, T55)`);
  t.equal(res.headers['content-type'], TAXII, `${message}: TAXII error resource (T19)`);
  const body = res.json() as Json;
  t.match(body, { http_status: '400', error_code: BAD_CURSOR }, `${message}: bad next`);
}

/** A token with one character changed. */
function flipped(token: string, index: number): string {
  const c = token[index] as string;
  return `${token.slice(0, index)}${c === 'A' ? 'B' : 'A'}${token.slice(index + 1)}`;
}

async function firstToken(t: Test, path: string, params: Record<string, string>, partner = 'alice'): Promise<string> {
  const res = await ctx.request(partner, { url: url(path, params) });
  t.equal(res.statusCode, 200, `${url(path, params)}: 200`);
  const token = (res.json() as Json)['next'];
  t.type(token, 'string', `${url(path, params)}: has next`);
  return typeof token === 'string' ? token : 'missing';
}

// ---------------------------------------------------------------------------------------------

t.test('the collection as stored: 23 objects, 38 versions, date_added strictly increasing (TR15)', async (t) => {
  t.equal(ROWS.length, VERSIONS);
  t.equal(new Set(ROWS.map((r) => r.objectId)).size, DISTINCT);
  t.equal(select().length, DISTINCT);
  t.equal(select({ ids: [idOf(mv)], versions: 'all' }).length, 12);
  for (let n = 1; n < ROWS.length; n++) {
    if ((ROWS[n] as Row).dateAdded <= (ROWS[n - 1] as Row).dateAdded) t.fail(`date_added not strictly increasing at ${n}`);
  }
  t.pass('checked every neighbour');
  // The manifest, walked with every version, gives the same date_added as the database.
  const walked = await walk(t, { path: `${RW}manifest/`, kind: 'manifest', params: { 'match[version]': 'all' }, limit: 10, expected: ROWS });
  t.equal(walked.rows.length, VERSIONS);
});

t.test('objects: limit=k walks with next (T51, TR12, TR13, T32, T31, checklist 8)', async (t) => {
  for (const k of [1, 3, 7]) {
    await walk(t, { path: `${RW}objects/`, kind: 'objects', limit: k, expected: select() });
  }
  await walk(t, { path: `${RW}objects/`, kind: 'objects', params: { 'match[version]': 'all' }, limit: 7, expected: ROWS });
});

t.test('manifest: limit=k walks with next (TR12)', async (t) => {
  for (const k of [1, 3, 7]) {
    await walk(t, { path: `${RW}manifest/`, kind: 'manifest', limit: k, expected: select() });
  }
  for (const k of [3, 7]) {
    await walk(t, { path: `${RW}manifest/`, kind: 'manifest', params: { 'match[version]': 'all' }, limit: k, expected: ROWS });
  }
});

t.test('versions of an object with 12 versions: limit=k walks (TR5, TR6, TR12)', async (t) => {
  const path = `${RW}objects/${idOf(mv)}/versions/`;
  const expected = select({ ids: [idOf(mv)], versions: 'all' });
  for (const k of [1, 3, 5, 7]) {
    const walked = await walk(t, { path, kind: 'versions', objectId: idOf(mv), limit: k, expected });
    t.same(walked.rows.map((r) => r.version), mvModified, `k=${k}: versions verbatim, ascending`);
  }
  await walk(t, { path, kind: 'versions', objectId: idOf(mv), limit: 6, expected, bareNext: true });
  const after = (expected[6] as Row).dateAdded;
  await walk(t, {
    path,
    kind: 'versions',
    objectId: idOf(mv),
    params: { added_after: formatMicros(after) },
    limit: 2,
    expected: expected.filter((r) => r.dateAdded > after),
  });
  const none = await ctx.request('alice', { url: `${path}?match[spec_version]=2.0` });
  t.equal(none.statusCode, 200);
  t.equal(none.body, '{}', 'T49: no 2.0 versions');
});

t.test('get an object: match[version]=all pages across versions with next', async (t) => {
  const path = `${RW}objects/${idOf(mv)}/`;
  const expected = select({ ids: [idOf(mv)], versions: 'all' });
  for (const k of [1, 5, 6]) {
    await walk(t, { path, kind: 'objects', params: { 'match[version]': 'all' }, limit: k, expected });
  }
  await walk(t, { path, kind: 'objects', params: { 'match[version]': 'all' }, expected, pageSize: 5 });
  await walk(t, { path, kind: 'objects', params: { 'match[version]': 'first,last' }, limit: 1, expected: select({ ids: [idOf(mv)], versions: { first: true, last: true } }) });
  await walk(t, { path, kind: 'objects', params: { 'match[version]': 'all' }, limit: 4, expected, bareNext: true });
  const token = await firstToken(t, path, { 'match[version]': 'all', limit: '2' });
  const res = await ctx.request('alice', { url: url(`${RW}objects/${idOf(m[1] as Obj)}/`, { 'match[version]': 'all', limit: '2', next: token }) });
  expectBadCursor(t, res, 'next of one object used on another');
});

t.test('no limit: the default page size (5) applies; limit above max is clamped to 10 (T38–T40)', async (t) => {
  await walk(t, { path: `${RW}objects/`, kind: 'objects', expected: select(), pageSize: 5 });
  await walk(t, { path: `${RW}manifest/`, kind: 'manifest', params: { 'match[version]': 'all' }, expected: ROWS, pageSize: 5 });
  await walk(t, { path: `${RW}objects/${idOf(mv)}/versions/`, kind: 'versions', objectId: idOf(mv), expected: select({ ids: [idOf(mv)], versions: 'all' }), pageSize: 5 });
  for (const limit of [10, 11, 50, 100000]) {
    await walk(t, { path: `${RW}objects/`, kind: 'objects', limit, pageSize: 10, expected: select() });
  }
  await walk(t, { path: `${RW}manifest/`, kind: 'manifest', params: { 'match[version]': 'all' }, limit: 1000, pageSize: 10, expected: ROWS });
  await walk(t, { path: `${RW}objects/${idOf(mv)}/versions/`, kind: 'versions', objectId: idOf(mv), limit: 99, pageSize: 10, expected: select({ ids: [idOf(mv)], versions: 'all' }) });
  const fits = await ctx.request('alice', { url: `${RW}objects/?match[type]=identity&limit=3` });
  t.equal((fits.json() as { objects: unknown[] }).objects.length, 3, 'T39: exactly limit items, all returned');
  t.notOk('more' in (fits.json() as Json), 'no more when the last item fills the page exactly');
});

t.test('added_after walk: X-TAXII-Date-Added-Last as the next added_after, no next (T53, TR15, checklist 9)', async (t) => {
  for (const [params, expected, limit] of [
    [{}, select(), 4],
    [{}, select(), undefined],
    [{ 'match[version]': 'all' }, ROWS, 7],
    [{ 'match[type]': 'indicator,ipv4-addr' }, select({ types: ['indicator', 'ipv4-addr'] }), 3],
  ] as [Record<string, string>, Row[], number | undefined][]) {
    const name = `added_after walk ${url('', params)} limit=${String(limit)}`;
    const seen: Row[] = [];
    let addedAfter: string | undefined;
    let requests = 0;
    for (;;) {
      const query = { ...params, ...(limit !== undefined && { limit: String(limit) }), ...(addedAfter !== undefined && { added_after: addedAfter }) };
      const res = await ctx.request('alice', { url: url(`${RW}objects/`, query) });
      requests++;
      t.equal(res.statusCode, 200);
      const body = res.json() as Json;
      const items = itemsOf(t, { path: `${RW}objects/`, kind: 'objects', expected }, body, `${name} request ${requests}`);
      if (items.length === 0) {
        t.equal(res.body, '{}', `${name}: ends with an empty envelope`);
        break;
      }
      const lastHeader = res.headers['x-taxii-date-added-last'];
      t.equal(lastHeader, formatMicros((items[items.length - 1] as Row).dateAdded), `${name}: header is the last item's date_added`);
      seen.push(...items);
      addedAfter = String(lastHeader);
      if (requests > 40) {
        t.fail(`${name}: does not end`);
        break;
      }
    }
    t.same(keysOf(seen), keysOf(expected), `${name}: every item exactly once, in order`);
    t.equal(requests, Math.ceil(expected.length / (limit ?? 5)) + 1, `${name}: ⌈N/k⌉ pages and one empty answer`);
  }
});

t.test('added_after is exclusive, at microsecond resolution (§7.1, T35)', async (t) => {
  const latest = select();
  for (const n of [0, 5, 11, latest.length - 1]) {
    const row = latest[n] as Row;
    const exact = await ctx.request('alice', { url: url(`${RW}manifest/`, { added_after: formatMicros(row.dateAdded), limit: '10' }) });
    t.same(keysOf(itemsOf(t, { path: '', kind: 'manifest', expected: [] }, exact.json() as Json, 'exact')), keysOf(latest.slice(n + 1, n + 11)), `added_after = date_added of item ${n}: starts after it`);
    const before = await ctx.request('alice', { url: url(`${RW}manifest/`, { added_after: formatMicros(row.dateAdded - 1), limit: '10' }) });
    t.same(keysOf(itemsOf(t, { path: '', kind: 'manifest', expected: [] }, before.json() as Json, 'before')), keysOf(latest.slice(n, n + 10)), `added_after 1µs earlier: includes item ${n}`);
  }
  const last = ROWS[ROWS.length - 1] as Row;
  const end = await ctx.request('alice', { url: url(`${RW}objects/`, { added_after: formatMicros(last.dateAdded) }) });
  t.equal(end.statusCode, 200);
  t.equal(end.body, '{}', 'nothing after the newest version');
  const lowPrecision = await ctx.request('alice', { url: url(`${RW}objects/`, { added_after: '2000-01-01T00:00:00Z' }) });
  t.equal((lowPrecision.json() as { objects: unknown[] }).objects.length, 5, 'A8: an added_after without fraction is accepted');
});

t.test('next with the same filters, reordered lists, a new limit, or no filters at all (TR14)', async (t) => {
  const indicators = select({ types: ['indicator'] });
  await walk(t, { path: `${RW}objects/`, kind: 'objects', params: { 'match[type]': 'indicator' }, limit: 3, expected: indicators });
  await walk(t, { path: `${RW}objects/`, kind: 'objects', params: { 'match[type]': 'indicator' }, limit: 3, expected: indicators, bareNext: true });
  await walk(t, {
    path: `${RW}manifest/`,
    kind: 'manifest',
    params: { 'match[type]': 'malware', 'match[version]': 'all', added_after: formatMicros((ROWS[3] as Row).dateAdded) },
    limit: 2,
    expected: select({ types: ['malware'], versions: 'all', addedAfter: (ROWS[3] as Row).dateAdded }),
    bareNext: true,
  });

  const both = select({ types: ['indicator', 'malware'] });
  const token = await firstToken(t, `${RW}objects/`, { 'match[type]': 'indicator,malware', limit: '3' });
  const reordered = await ctx.request('alice', { url: url(`${RW}objects/`, { 'match[type]': 'malware,indicator', limit: '3', next: token }) });
  t.equal(reordered.statusCode, 200, 'T44: a comma list is a set; order does not change the filter');
  t.same(keysOf(itemsOf(t, { path: '', kind: 'objects', expected: [] }, reordered.json() as Json, 'reordered')), keysOf(both.slice(3, 6)));
  const bigger = await ctx.request('alice', { url: url(`${RW}objects/`, { 'match[type]': 'indicator,malware', limit: '8', next: token }) });
  t.equal(bigger.statusCode, 200, 'limit is not a filter; it may change between pages');
  t.same(keysOf(itemsOf(t, { path: '', kind: 'objects', expected: [] }, bigger.json() as Json, 'bigger')), keysOf(both.slice(3, 11)));
  const bare = await ctx.request('alice', { url: url(`${RW}objects/`, { next: token }) });
  t.equal(bare.statusCode, 200, 'no filters and no limit: the cursor filter, the default page size');
  t.same(keysOf(itemsOf(t, { path: '', kind: 'objects', expected: [] }, bare.json() as Json, 'bare')), keysOf(both.slice(3, 8)));
  const viaAlias = await ctx.request('alice', { url: url('/main/collections/rw/objects/', { 'match[type]': 'indicator,malware', limit: '3', next: token }) });
  t.equal(viaAlias.statusCode, 200, 'TR21: the alias names the same collection');
  t.same(keysOf(itemsOf(t, { path: '', kind: 'objects', expected: [] }, viaAlias.json() as Json, 'alias')), keysOf(both.slice(3, 6)));
});

t.test('next with different filters is 400 (TR14, checklist 8)', async (t) => {
  const X = formatMicros((ROWS[4] as Row).dateAdded);
  const token = await firstToken(t, `${RW}objects/`, { 'match[type]': 'indicator', added_after: X, limit: '2' });
  const changed: Record<string, string>[] = [
    { 'match[type]': 'malware', added_after: X },
    { 'match[type]': 'indicator,malware', added_after: X },
    { 'match[type]': 'indicator' },
    { added_after: X },
    { 'match[type]': 'indicator', added_after: formatMicros((ROWS[5] as Row).dateAdded) },
    { 'match[type]': 'indicator', added_after: X, 'match[version]': 'all' },
    { 'match[type]': 'indicator', added_after: X, 'match[spec_version]': '2.1' },
    { 'match[type]': 'indicator', added_after: X, 'match[id]': idOf(i[1] as Obj) },
  ];
  for (const params of changed) {
    const res = await ctx.request('alice', { url: url(`${RW}objects/`, { ...params, limit: '2', next: token }) });
    expectBadCursor(t, res, `filters changed to ${url('', params)}`);
  }
  const same = await ctx.request('alice', { url: url(`${RW}objects/`, { 'match[type]': 'indicator', added_after: X, limit: '2', next: token }) });
  t.equal(same.statusCode, 200, 'unchanged filters still work');
  const sameInstant = await ctx.request('alice', { url: url(`${RW}objects/`, { 'match[type]': 'indicator', added_after: X.replace('Z', '000Z'), limit: '2', next: token }) });
  t.equal(sameInstant.statusCode, 200, 'the same added_after instant written with more digits is the same filter');
});

t.test('next is bound to its signature, collection, caller and endpoint (T55, TR14)', async (t) => {
  const token = await firstToken(t, `${RW}objects/`, { limit: '2' });
  const dot = token.indexOf('.');
  for (const [index, what] of [[3, 'payload'], [Math.floor(dot / 2), 'payload'], [dot + 5, 'signature'], [dot + 20, 'signature']] as [number, string][]) {
    const res = await ctx.request('alice', { url: url(`${RW}objects/`, { limit: '2', next: flipped(token, index) }) });
    expectBadCursor(t, res, `${what} character ${index} flipped`);
  }
  for (const garbage of ['x', 'abc.def', token.slice(0, dot), `${token}x`.replace('.', '..')]) {
    expectBadCursor(t, await ctx.request('alice', { url: url(`${RW}objects/`, { limit: '2', next: garbage }) }), `garbage next ${garbage.slice(0, 12)}`);
  }
  t.equal((await ctx.request('alice', { url: url(`${RW}objects/`, { limit: '2', next: token }) })).statusCode, 200, 'the untouched token works');

  expectBadCursor(t, await ctx.request('alice', { url: url(`${RO}objects/`, { limit: '2', next: token }) }), 'next of the rw collection used on the ro collection');
  const bobOwn = await ctx.request('bob', { url: url(`${RW}objects/`, { limit: '2' }) });
  t.equal(bobOwn.statusCode, 200, 'bob reads rw through the readers group');
  expectBadCursor(t, await ctx.request('bob', { url: url(`${RW}objects/`, { limit: '2', next: token }) }), "alice's next used by bob");
  expectBadCursor(t, await ctx.request('alice', { url: url(`${RW}manifest/`, { limit: '2', next: token }) }), 'next of objects used on manifest');
  const manifestToken = await firstToken(t, `${RW}manifest/`, { limit: '2' });
  expectBadCursor(t, await ctx.request('alice', { url: url(`${RW}objects/`, { limit: '2', next: manifestToken }) }), 'next of manifest used on objects');
  expectBadCursor(t, await ctx.request('alice', { url: url(`${RW}objects/${idOf(mv)}/versions/`, { limit: '2', next: token }) }), 'next of objects used on versions');
  const versionsToken = await firstToken(t, `${RW}objects/${idOf(mv)}/versions/`, { limit: '2' });
  expectBadCursor(t, await ctx.request('alice', { url: url(`${RW}objects/${idOf(m[1] as Obj)}/versions/`, { limit: '2', next: versionsToken }) }), 'next of one object\'s versions used on another object');
  expectBadCursor(t, await ctx.request('alice', { url: url(`${RW}objects/${idOf(mv)}/`, { limit: '2', next: versionsToken }) }), 'next of versions used on get-an-object');
  const empty = await ctx.request('alice', { url: url(`${RW}objects/`, { next: '' }) });
  t.equal(empty.statusCode, 400, 'an empty next is malformed (T34)');
});

t.test('filters: match[type] and match[id] comma lists (OR), AND across fields and added_after (T44)', async (t) => {
  await walk(t, { path: `${RW}objects/`, kind: 'objects', params: { 'match[type]': 'indicator,malware' }, limit: 3, expected: select({ types: ['indicator', 'malware'] }) });
  await walk(t, { path: `${RW}manifest/`, kind: 'manifest', params: { 'match[type]': 'ipv4-addr,identity' }, limit: 3, expected: select({ types: ['ipv4-addr', 'identity'] }) });
  const ids = [idOf(i[1] as Obj), idOf(m[1] as Obj), idOf(ip[1] as Obj), idOf(mv)];
  await walk(t, { path: `${RW}objects/`, kind: 'objects', params: { 'match[id]': ids.join(',') }, limit: 3, expected: select({ ids }) });
  await walk(t, { path: `${RW}manifest/`, kind: 'manifest', params: { 'match[id]': ids.join(','), 'match[version]': 'all' }, limit: 4, expected: select({ ids, versions: 'all' }) });
  const none = await ctx.request('alice', { url: url(`${RW}objects/`, { 'match[type]': 'indicator', 'match[id]': idOf(m[1] as Obj) }) });
  t.equal(none.body, '{}', 'match[type] AND match[id]: nothing');
  const unknownId = await ctx.request('alice', { url: url(`${RW}objects/`, { 'match[id]': `indicator--${randomUUID()}` }) });
  t.equal(unknownId.body, '{}', 'an id not stored: {}');
  const X = (ROWS[10] as Row).dateAdded;
  await walk(t, {
    path: `${RW}objects/`,
    kind: 'objects',
    params: { 'match[type]': 'indicator,identity', added_after: formatMicros(X) },
    limit: 2,
    expected: select({ types: ['indicator', 'identity'], addedAfter: X }),
  });
  await walk(t, {
    path: `${RW}manifest/`,
    kind: 'manifest',
    params: { 'match[id]': ids.join(','), added_after: formatMicros(X), 'match[version]': 'all' },
    limit: 3,
    expected: select({ ids, addedAfter: X, versions: 'all' }),
  });
});

t.test('filters: match[version] first, last, first+last, several timestamps (T45, T46, TR9)', async (t) => {
  await walk(t, { path: `${RW}objects/`, kind: 'objects', params: { 'match[version]': 'first' }, limit: 7, expected: select({ versions: { first: true } }) });
  const firstLast = select({ versions: { first: true, last: true } });
  t.equal(firstLast.length, DISTINCT + 4, 'first and last of the 4 versioned-several-times objects, once each for the rest');
  await walk(t, { path: `${RW}objects/`, kind: 'objects', params: { 'match[version]': 'first,last' }, limit: 7, expected: firstLast });
  await walk(t, { path: `${RW}manifest/`, kind: 'manifest', params: { 'match[version]': 'last,first' }, limit: 3, expected: firstLast });
  const stamps = ['2024-01-03T00:00:00Z', '2024-01-05T00:00:00.000Z', '2024-02-01T00:00:00.000000Z', '2024-02-15T00:00:00.0Z'];
  const atStamps = select({ versions: { at: stamps } });
  t.same(
    atStamps.map((r) => r.version).sort(),
    ['2024-01-03T00:00:00.000Z', '2024-01-05T00:00:00.000000Z', '2024-02-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z', '2024-02-15T00:00:00.000Z'],
    'oracle: mv v3 and v5, i1 v2, m1 v2, i2 v2',
  );
  await walk(t, { path: `${RW}objects/`, kind: 'objects', params: { 'match[version]': stamps.join(',') }, limit: 2, expected: atStamps });
  await walk(t, { path: `${RW}manifest/`, kind: 'manifest', params: { 'match[version]': `first,${stamps.join(',')}` }, limit: 7, expected: select({ versions: { first: true, at: stamps } }) });
  const mvPath = `${RW}objects/${idOf(mv)}/`;
  const v5 = await ctx.request('alice', { url: url(mvPath, { 'match[version]': '2024-01-05T00:00:00Z' }) });
  t.same((v5.json() as { objects: Obj[] }).objects.map((o) => o['modified']), ['2024-01-05T00:00:00.000000Z'], 'TR9: instant, returned verbatim');
  const between = await ctx.request('alice', { url: url(mvPath, { 'match[version]': '2024-01-05T00:00:00.000001Z' }) });
  t.equal(between.body, '{}', 'a timestamp between versions selects nothing');
});

t.test('filters: added_after is applied before match[version] (§7.4 order of evaluation)', async (t) => {
  const mvRows = select({ ids: [idOf(mv)], versions: 'all' });
  const X = (mvRows[0] as Row).dateAdded;
  const expected = select({ ids: [idOf(mv)], addedAfter: X, versions: { first: true } });
  t.same(expected.map((r) => r.version), [mvModified[1]], 'oracle: the first among the versions added after X is v2');
  const res = await ctx.request('alice', { url: url(`${RW}objects/`, { 'match[id]': idOf(mv), 'match[version]': 'first', added_after: formatMicros(X) }) });
  t.equal(res.statusCode, 200);
  t.same(keysOf(itemsOf(t, { path: '', kind: 'objects', expected }, res.json() as Json, 'first after X')), keysOf(expected), 'first among versions added after X');

  // A version with an older `modified` posted after a newer one (bob's collection).
  const o = malware({ name: 'out of order' });
  const june = newVersion(o, '2024-06-01T00:00:00.000Z');
  const may = newVersion(o, '2024-05-01T00:00:00.000Z');
  t.equal((await ctx.post('bob', OTHER, [june])).statusCode, 202);
  t.equal((await ctx.post('bob', OTHER, [may])).statusCode, 202);
  const other = await loadRows(C_OTHER);
  const juneRow = other.find((r) => r.version === '2024-06-01T00:00:00.000Z') as Row;
  const lookup = { objKey: new Map(other.map((r) => [r.objKey, r])), manKey: new Map(other.map((r) => [r.manKey, r])) };
  const latestAfter = select({ ids: [idOf(o)], addedAfter: juneRow.dateAdded }, other);
  t.same(latestAfter.map((r) => r.version), ['2024-05-01T00:00:00.000Z'], 'oracle: the latest among the versions added after June was added is May');
  await walk(t, {
    path: `${OTHER}objects/`,
    kind: 'objects',
    partner: 'bob',
    params: { 'match[id]': idOf(o), added_after: formatMicros(juneRow.dateAdded) },
    limit: 5,
    expected: latestAfter,
    lookup,
  });
  await walk(t, { path: `${OTHER}objects/`, kind: 'objects', partner: 'bob', params: { 'match[id]': idOf(o) }, limit: 5, expected: select({ ids: [idOf(o)] }, other), lookup });
});

t.test('filters: match[spec_version] (T49, T50)', async (t) => {
  t.ok(ROWS.every((r) => r.specVersion === '2.1'), 'every stored object is 2.1 (TR11: an SCO without spec_version too)');
  t.ok(ROWS.some((r) => r.objectId === idOf(ipNoSpec)));
  for (const value of ['2.1', '2.0,2.1', '2.1,2.0']) {
    await walk(t, { path: `${RW}objects/`, kind: 'objects', params: { 'match[spec_version]': value }, limit: 7, expected: select({ specVersions: ['2.1'] }) });
  }
  await walk(t, { path: `${RW}manifest/`, kind: 'manifest', params: { 'match[spec_version]': '2.1', 'match[version]': 'all' }, limit: 10, expected: ROWS });
  for (const path of [`${RW}objects/`, `${RW}manifest/`, `${RW}objects/${idOf(mv)}/`]) {
    const res = await ctx.request('alice', { url: url(path, { 'match[spec_version]': '2.0' }) });
    t.equal(res.statusCode, 200, `${path}: 2.0 only`);
    t.equal(res.body, '{}', `${path}: no 2.0 objects stored, {}`);
    t.notOk(res.headers['x-taxii-date-added-first'], 'TR4');
  }
});

t.test('filters: a STIX type never stored is 200 {} (T41, T67, TR4)', async (t) => {
  for (const type of ['campaign', 'report', 'x509-certificate', 'x-acme-widget', 'campaign,grouping']) {
    for (const path of [`${RW}objects/`, `${RW}manifest/`]) {
      const res = await ctx.request('alice', { url: url(path, { 'match[type]': type, limit: '3' }) });
      t.equal(res.statusCode, 200, `${path} match[type]=${type}: 200`);
      t.equal(res.body, '{}', `${path} match[type]=${type}: {}`);
      t.notOk(res.headers['x-taxii-date-added-first'] ?? res.headers['x-taxii-date-added-last'], 'no date headers');
    }
  }
  await walk(t, { path: `${RW}objects/`, kind: 'objects', params: { 'match[type]': 'campaign,identity' }, limit: 2, expected: select({ types: ['identity'] }) });
});

t.test('paging headers are TAXII timestamps (T31)', async (t) => {
  const res = await ctx.request('alice', { url: `${RW}objects/?limit=3` });
  t.match(res.headers['x-taxii-date-added-first'], TIMESTAMP6);
  t.match(res.headers['x-taxii-date-added-last'], TIMESTAMP6);
  t.equal(timestampToMicros(String(res.headers['x-taxii-date-added-first'])), (select()[0] as Row).dateAdded);
});
