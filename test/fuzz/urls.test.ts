/**
 * Fuzz: URLs — query parameters and path segments — on every endpoint of the
 * real app (one app, one database: the query properties run first).
 *
 * Query parameters (taxii-2.1.md §7, §8; test/helpers/fuzz-requests.ts): up to
 * five per request of `limit`, `next`, `added_after`,
 * `match[id|type|version|spec_version]` with valid, near-valid, certainly
 * malformed and garbage values (real `next` tokens of this collection, of other
 * endpoints, filters and partners, and tampered ones), names with %-encoded
 * brackets, odd and unknown names (`__proto__` too), repeated parameters, values
 * written raw, %-encoded, doubly encoded or with broken escapes; on discovery,
 * API root, collections, collection, status, manifest, objects, object, versions
 * and DELETE, as the partner with access and as others. Invariants: those of
 * every response (test/helpers/fuzz.ts; no 5xx at all here); a certainly
 * malformed value of a parameter the endpoint takes, or one it takes given twice,
 * is 400 (T34, T35, T43); valid values of known parameters, each once, on a
 * readable collection, are 200; a page is a JSON object whose lists are never
 * empty, with `next` whenever `more` (TR13), at most `limit` items (T38), and
 * X-TAXII-Date-Added-First/Last exactly when it has items (T31, TR4); a refused
 * DELETE deletes nothing and no DELETE touches another object.
 *
 * Path segments (test/helpers/fuzz-requests.ts): on each route shape (discovery,
 * API root, status, collections, collection, manifest, objects, object,
 * versions), segments valid (ids, aliases, real object and status ids) or
 * hostile: any code point %-encoded, arbitrary %-encoded bytes (invalid UTF-8
 * too), NUL, dot segments plain and encoded, encoded slashes and backslashes,
 * empty segments, broken escapes, raw unicode, 599 to 20,000 characters, valid
 * ids with a suffix or case changed; with or without the trailing slash, a
 * doubled slash, a query or a fragment; with GET, HEAD, DELETE, POST (a valid
 * envelope), PUT, PATCH, OPTIONS; each through inject() (when it is a URL
 * inject() accepts: it resolves dot segments) and again over a real socket, byte
 * for byte as written. Invariants: those of every response (503 with Retry-After
 * only for POST); an answer, complete, over the socket too; a path that names
 * nothing (dot segments resolved, segments decoded) never gets a 2xx.
 *
 * Discovery answers 200 after every request.
 *
 * Longer: TAXII_FUZZ_RUNS=5000 npx tap --timeout 3600 test/fuzz/urls.test.ts
 * (or `npm run fuzz`); replay a failure with the TAXII_FUZZ_SEED it prints.
 */
import fc from 'fast-check';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { C_HIDDEN, C_OTHER, C_RO, C_RW, C_WO, KEYS, TAXII, basicAuth, createTestApp } from '../helpers/app.js';
import {
  InvariantViolation, announce, checkProperty, checkedInject, describeExchange, ensure, jsonBody, requireAlive, responseViolations, tally,
  type Exchange,
} from '../helpers/fuzz.js';
import { converse } from '../helpers/fuzz-raw.js';
import { requestBytes } from '../helpers/fuzz-raw-requests.js';
import { pathSegment, query, queryString, valuePools, type CanonicalParam, type Query } from '../helpers/fuzz-requests.js';
import { indicator, ipv4, malware, newVersion } from '../helpers/stix.js';

type Json = Record<string, unknown>;

const ctx = await createTestApp();
t.teardown(() => ctx.close());
announce(t);
await ctx.app.listen({ host: '127.0.0.1', port: 0 });
const { port } = ctx.app.server.address() as AddressInfo;
const RW = `/main/collections/${C_RW}/`;

// ---------------------------------------------------------------- seeded data

const id = (type: string, n: number): string => `${type}--0f1e2d3c-2222-4222-8222-${String(n).padStart(12, '0')}`;
const T = ['2024-01-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z', '2024-03-01T10:00:00.123456Z'];
const indicators = [1, 2, 3, 4].flatMap((n) => {
  const first = indicator({ id: id('indicator', n), created: T[0] });
  return [first, newVersion(first, T[1] as string), newVersion(first, T[2] as string)];
});
const stable = [...indicators, ...[1, 2, 3].map((n) => malware({ id: id('malware', n) })), { ...ipv4('198.51.100.7'), id: id('ipv4-addr', 1) }];
const victims = [1, 2].flatMap((n) => {
  const first = malware({ id: id('malware', 100 + n), name: `victim ${n}` });
  return [first, newVersion(first, T[1] as string)];
});
const VICTIM_IDS = [id('malware', 101), id('malware', 102)];
const STABLE_IDS = [...new Set(stable.map((o) => String(o['id'])))];

async function post(objects: Json[]): Promise<Json> {
  const res = await ctx.post('alice', RW, objects);
  if (res.statusCode !== 202) throw new Error(`seeding failed: ${res.statusCode} ${res.body}`);
  return res.json<Json>();
}
const seeded = await post([...stable, ...victims]);
const STATUS_ID = String(seeded['id']);

/** `next` tokens of every paged endpoint, for other filters and for another partner. */
async function tokenOf(partner: string, url: string): Promise<string> {
  const res = await ctx.request(partner, { url });
  const next = res.json<Json>()['next'];
  if (typeof next !== 'string') throw new Error(`no next token from ${url}: ${res.body}`);
  return next;
}
const TOKENS = [
  await tokenOf('alice', `${RW}objects/?limit=1`),
  await tokenOf('alice', `${RW}objects/?limit=2&match[type]=indicator&match[version]=all`),
  await tokenOf('alice', `${RW}manifest/?limit=1`),
  await tokenOf('alice', `${RW}manifest/?limit=1&match[version]=first,last`),
  await tokenOf('alice', `${RW}objects/${id('indicator', 1)}/?limit=1&match[version]=all`),
  await tokenOf('alice', `${RW}objects/${id('indicator', 1)}/versions/?limit=1`),
  await tokenOf('bob', `${RW}objects/?limit=1`),
];
const POOLS = valuePools([...STABLE_IDS, ...VICTIM_IDS, `indicator--${'9'.repeat(8)}-9999-4999-8999-${'9'.repeat(12)}`], TOKENS);

// ---------------------------------------------------------------- requests

/** Which parameters each endpoint takes (§7.2, TR8); the others are ignored (T42). */
const TAKES: Record<string, readonly CanonicalParam[]> = {
  manifest: ['added_after', 'limit', 'next', 'match[id]', 'match[type]', 'match[version]', 'match[spec_version]'],
  objects: ['added_after', 'limit', 'next', 'match[id]', 'match[type]', 'match[version]', 'match[spec_version]'],
  object: ['added_after', 'limit', 'next', 'match[version]', 'match[spec_version]'],
  versions: ['added_after', 'limit', 'next', 'match[spec_version]'],
  delete: ['match[version]', 'match[spec_version]'],
};
const PAGED = new Set(['manifest', 'objects', 'object', 'versions']);

interface Endpoint {
  readonly name: string;
  readonly method: 'GET' | 'DELETE';
  readonly path: (collection: string, object: string) => string;
}
const ENDPOINTS: readonly Endpoint[] = [
  { name: 'discovery', method: 'GET', path: () => '/taxii2/' },
  { name: 'api-root', method: 'GET', path: () => '/main/' },
  { name: 'collections', method: 'GET', path: () => '/main/collections/' },
  { name: 'collection', method: 'GET', path: (c) => `/main/collections/${c}/` },
  { name: 'status', method: 'GET', path: () => `/main/status/${STATUS_ID}/` },
  { name: 'manifest', method: 'GET', path: (c) => `/main/collections/${c}/manifest/` },
  { name: 'objects', method: 'GET', path: (c) => `/main/collections/${c}/objects/` },
  { name: 'object', method: 'GET', path: (c, o) => `/main/collections/${c}/objects/${o}/` },
  { name: 'versions', method: 'GET', path: (c, o) => `/main/collections/${c}/objects/${o}/versions/` },
  { name: 'delete', method: 'DELETE', path: (c, o) => `/main/collections/${c}/objects/${o}/` },
];

interface Case {
  readonly endpoint: Endpoint;
  readonly collection: string;
  readonly object: string;
  readonly partner: string | undefined;
  readonly query: Query;
}

const queryCase: fc.Arbitrary<Case> = fc.record({
  endpoint: fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(...ENDPOINTS.slice(0, 5)) },
    { weight: 6, arbitrary: fc.constantFrom(...ENDPOINTS.slice(5)) },
  ),
  collection: fc.oneof({ weight: 12, arbitrary: fc.constant(C_RW) }, { weight: 1, arbitrary: fc.constantFrom('rw', C_RO, C_WO, C_HIDDEN) }),
  object: fc.constantFrom(...STABLE_IDS.slice(0, 3), ...STABLE_IDS.slice(-2), ...POOLS['match[id]'].valid.slice(-2, -1)),
  partner: fc.oneof({ weight: 12, arbitrary: fc.constant('alice') }, { weight: 1, arbitrary: fc.constantFrom('bob', 'dave', 'carol', undefined) }),
  query: query(POOLS),
}).map((c) => (c.endpoint.name === 'delete' ? { ...c, object: VICTIM_IDS[c.object.length % 2] as string } : c));

/** The params that must (or certainly need not) give 400, and the limit that applies. */
function expectations(c: Case): { malformed: boolean; allValid: boolean; limit: number | undefined } {
  const takes = new Set(TAKES[c.endpoint.name] ?? []);
  const taken = c.query.params.filter((p) => p.canonical !== undefined && takes.has(p.canonical));
  const counts = new Map<string, number>();
  for (const p of taken) counts.set(p.canonical as string, (counts.get(p.canonical as string) ?? 0) + 1);
  const clean = c.query.separator === '&' && c.query.params.every((p) => p.encoding === 'component');
  const malformed = clean && (taken.some((p) => p.valueClass === 'invalid') || [...counts.values()].some((n) => n > 1));
  const allValid = clean && [...counts.values()].every((n) => n === 1) &&
    c.query.params.every((p) => p.canonical !== undefined && p.canonical !== 'next' && p.valueClass === 'valid');
  const limits = taken.filter((p) => p.canonical === 'limit');
  const only = limits.length === 1 ? limits[0]?.value : undefined;
  const limit = clean && only !== undefined && only !== null && /^[1-9][0-9]{0,14}$/.test(only) ? Math.min(Number(only), 1000) : undefined;
  return { malformed, allValid, limit };
}

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** A page of manifest, objects, object or versions (§9.6–9.8, T31, TR4, TR13, T38). */
function checkPage(ex: Exchange, listName: string, limit: number | undefined): void {
  const page = jsonBody(ex);
  const items = page[listName];
  ensure(items === undefined || (Array.isArray(items) && items.length > 0), `"${listName}" is absent or a non-empty list`, ex);
  const count = Array.isArray(items) ? items.length : 0;
  ensure(page['more'] === undefined || typeof page['more'] === 'boolean', '"more" is a boolean', ex);
  if (page['more'] === true) ensure(typeof page['next'] === 'string' && page['next'] !== '', 'more: true comes with a next token (TR13)', ex);
  if (limit !== undefined) ensure(count <= limit, `${count} items for limit=${limit} (T38)`, ex);
  const first = ex.headers['x-taxii-date-added-first'];
  const last = ex.headers['x-taxii-date-added-last'];
  if (count === 0) {
    ensure(first === undefined && last === undefined, 'an empty page has no X-TAXII-Date-Added headers (TR4)', ex);
  } else {
    const stamped = TIMESTAMP.test(String(first)) && TIMESTAMP.test(String(last)) && String(first) <= String(last);
    ensure(stamped, 'X-TAXII-Date-Added-First/Last are TAXII timestamps, first ≤ last (T31)', ex);
  }
}

async function victimRows(): Promise<number> {
  const rows = await ctx.testDb.db.query<{ n: string | number }>(
    'SELECT count(*) AS n FROM object_versions WHERE collection_id = $1 AND object_id = ANY($2)', [C_RW, VICTIM_IDS],
  );
  return Number(rows[0]?.n);
}
async function stableRows(): Promise<number> {
  const rows = await ctx.testDb.db.query<{ n: string | number }>(
    'SELECT count(*) AS n FROM object_versions WHERE collection_id = $1 AND object_id = ANY($2)', [C_RW, STABLE_IDS],
  );
  return Number(rows[0]?.n);
}
const STABLE_ROWS = await stableRows();
const VICTIM_ROWS = await victimRows();

await checkProperty(t, 'query parameters on every endpoint', 300, queryCase, async (c) => {
  const url = `${c.endpoint.path(c.collection, c.object)}${queryString(c.query)}`;
  const before = c.endpoint.name === 'delete' ? await victimRows() : undefined;
  const authorization = c.partner === undefined ? undefined : basicAuth(c.partner, KEYS[c.partner]);
  const ex = await checkedInject(ctx.app, { method: c.endpoint.method, url, headers: { accept: TAXII, authorization } });
  const { malformed, allValid, limit } = expectations(c);
  const readable = c.partner === 'alice' && (c.collection === C_RW || c.collection === 'rw');
  if (readable && malformed) ensure(ex.status === 400, 'a malformed or repeated parameter the endpoint takes is 400 (T34, T35, T43)', ex);
  const exists = !['object', 'versions'].includes(c.endpoint.name) || STABLE_IDS.includes(c.object);
  if (readable && allValid && exists && c.endpoint.method === 'GET') ensure(ex.status === 200, 'valid parameters, each once, on a readable collection: 200', ex);
  if (ex.status === 200 && PAGED.has(c.endpoint.name)) {
    checkPage(ex, c.endpoint.name === 'manifest' || c.endpoint.name === 'objects' || c.endpoint.name === 'object' ? 'objects' : 'versions', limit);
  }
  if (c.endpoint.name === 'delete') {
    if (ex.status === 200) {
      ensure(readable, 'DELETE succeeded for a partner without read and write (T75)', ex);
      await post(victims);
    } else {
      ensure((await victimRows()) === before, 'a refused DELETE deleted nothing', ex);
    }
    ensure((await stableRows()) === STABLE_ROWS, 'DELETE of one object removed versions of another', ex);
    ensure((await victimRows()) === VICTIM_ROWS, 'the deleted object was re-posted in full', ex);
  }
  await requireAlive(ctx.app);
});

await t.test('afterwards: every seeded version is still there', async (t) => {
  t.equal(await stableRows(), STABLE_ROWS);
  const res = await ctx.request('alice', { url: `${RW}manifest/?match[version]=all&match[id]=${STABLE_IDS.join(',')}` });
  t.equal((res.json<Json>()['objects'] as unknown[]).length, STABLE_ROWS, 'and readable');
});

// ---------------------------------------------------------------- path segments

const ROOTS = ['main', 'other', 'taxii2'];
const COLLECTIONS = [C_RW, 'rw', C_RO, 'ro', C_WO, C_HIDDEN, C_OTHER];
// Path segments name objects seeded above; a DELETE may remove them, after the query checks.
const OBJECTS = [STABLE_IDS[0] as string, STABLE_IDS[4] as string];

type Slot = 'root' | 'collection' | 'object' | 'status';
const SHAPES: readonly (readonly (Slot | string)[])[] = [
  ['taxii2'],
  ['root'],
  ['root', 'status', 'status'],
  ['root', 'collections'],
  ['root', 'collections', 'collection'],
  ['root', 'collections', 'collection', 'manifest'],
  ['root', 'collections', 'collection', 'objects'],
  ['root', 'collections', 'collection', 'objects', 'object'],
  ['root', 'collections', 'collection', 'objects', 'object', 'versions'],
];
// Literal segments are fuzzed too, now and then.
const segmentFor: Record<string, fc.Arbitrary<string>> = {
  root: pathSegment(ROOTS),
  collection: pathSegment(COLLECTIONS),
  object: pathSegment(OBJECTS),
  status: pathSegment([STATUS_ID]),
};
const literal = (word: string): fc.Arbitrary<string> => fc.oneof({ weight: 8, arbitrary: fc.constant(word) }, { weight: 1, arbitrary: pathSegment([word]) });

interface PathCase {
  readonly segments: readonly string[];
  readonly suffix: string;
  readonly method: 'GET' | 'HEAD' | 'DELETE' | 'POST' | 'PUT' | 'PATCH' | 'OPTIONS';
  readonly partner: string | undefined;
}

const pathCase: fc.Arbitrary<PathCase> = fc.record({
  segments: fc.constantFrom(...SHAPES).chain((shape) =>
    fc.tuple(...shape.map((part, i) => (part === 'status' && i === 2 ? segmentFor['status'] as fc.Arbitrary<string> : segmentFor[part] ?? literal(part)))),
  ),
  suffix: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('/', '') },
    { weight: 1, arbitrary: fc.constantFrom('//', '/?limit=1', '?', '/.', '/..', '/%2e%2e/', '#x', '/;') },
  ),
  method: fc.oneof(
    { weight: 8, arbitrary: fc.constant('GET' as const) },
    { weight: 1, arbitrary: fc.constantFrom('HEAD' as const, 'DELETE' as const, 'POST' as const, 'PUT' as const, 'PATCH' as const, 'OPTIONS' as const) },
  ),
  partner: fc.oneof({ weight: 8, arbitrary: fc.constant('alice') }, { weight: 1, arbitrary: fc.constantFrom('bob', 'dave', undefined) }),
});

/**
 * Whether this URL names a resource that exists (otherwise no 2xx may answer it).
 * Dot segments are resolved as inject() (like every HTTP client, RFC 3986 §5.2.4)
 * resolves them; segments are compared decoded, as the router decodes them.
 */
function names(url: string): boolean {
  if (!URL.canParse(url, 'http://localhost')) return false;
  const parts = new URL(url, 'http://localhost').pathname.split('/').slice(1);
  if (parts.at(-1) === '') parts.pop();
  let segments: string[];
  try {
    segments = parts.map((p) => decodeURIComponent(p));
  } catch {
    return false;
  }
  const [root, ...rest] = segments;
  if (root === 'taxii2') return rest.length === 0;
  if (root !== 'main' && root !== 'other') return false;
  if (rest.length === 0) return true;
  if (rest[0] === 'status') return rest.length === 2 && rest[1] === STATUS_ID;
  if (rest[0] !== 'collections') return false;
  if (rest.length === 1) return true;
  // Collection ids (UUIDs, RFC 4122 §3) and aliases are matched without regard to case.
  if (!COLLECTIONS.includes((rest[1] as string).toLowerCase())) return false;
  if (rest.length === 2) return true;
  if (rest[2] === 'manifest') return rest.length === 3;
  if (rest[2] !== 'objects') return false;
  if (rest.length === 3) return true;
  return OBJECTS.includes(rest[3] as string) && (rest.length === 4 || (rest.length === 5 && rest[4] === 'versions'));
}

const pathEnvelope = JSON.stringify({ objects: [indicator({ id: 'indicator--0a1b2c3d-3333-4333-8333-000000000009' })] });

/** The request exactly as written (inject() resolves dot segments and refuses what is not a WHATWG URL). */
function rawRequest(c: PathCase, url: string): Buffer {
  const body = ['POST', 'PUT', 'PATCH'].includes(c.method) ? Buffer.from(pathEnvelope) : Buffer.alloc(0);
  return requestBytes({
    method: c.method,
    target: Buffer.from(url),
    version: 'HTTP/1.1',
    headers: [
      ['Host', '127.0.0.1'],
      ['Accept', TAXII],
      ...(c.partner === undefined ? [] : [['Authorization', basicAuth(c.partner, KEYS[c.partner])] as const]),
      ...(body.length > 0 ? [['Content-Type', TAXII] as const, ['Content-Length', String(body.length)] as const] : []),
      ['Connection', 'close'],
    ],
    body,
  });
}

const HANG_MS = 8000;

await checkProperty(t, 'arbitrary path segments on every route shape (inject and raw socket)', 300, pathCase, async (c) => {
  const url = `/${c.segments.join('/')}${c.suffix}`;
  const authorization = c.partner === undefined ? undefined : basicAuth(c.partner, KEYS[c.partner]);
  const body = c.method === 'POST' || c.method === 'PUT' || c.method === 'PATCH';
  if (URL.canParse(url, 'http://localhost')) {
    const ex = await checkedInject(
      ctx.app,
      { method: c.method, url, headers: { accept: TAXII, authorization, ...(body && { 'content-type': TAXII }) }, ...(body && { payload: pathEnvelope }) },
      { allow503: c.method === 'POST' },
    );
    if (ex.status < 300) ensure(names(url), `${ex.status} for a path that names nothing`, ex);
  }
  const sent = rawRequest(c, url);
  const conversation = await converse([sent], { port, methods: [c.method], expectAnswers: 1, hangMs: HANG_MS });
  const answer = conversation.responses.find((r) => r.status >= 200);
  const what = `over a socket: ${JSON.stringify(sent.toString('latin1').slice(0, 400))}`;
  if (answer === undefined) throw new InvariantViolation(`no answer (${conversation.ending} after ${conversation.ms} ms) ${what}`);
  tally(answer.status);
  const problems = [
    ...responseViolations(answer, { head: answer.method === 'HEAD', allow503: c.method === 'POST' }),
    ...(answer.complete ? [] : ['the answer was cut short']),
    ...(answer.status < 300 && !names(url) ? [`${answer.status} for a path that names nothing`] : []),
  ];
  if (problems.length > 0) throw new InvariantViolation(`${problems.join('; ')} ${what}\n${describeExchange(answer)}`);
  await requireAlive(ctx.app);
});
