/**
 * Real TAXII clients paging while partners write (taxii-2.1.md §17, §8; TR7, TR13, TR14, TR15, TR28).
 *
 * Each client is emulated request for request as its code builds them: headers, URL building,
 * parameter order and encoding, and what it does with `more`, `next` and X-TAXII-Date-Added-Last.
 *   taxii2-client 2.3.0  discovery, collections, as_pages(get_objects) and as_pages(get_manifest);
 *                        the writers use its add_objects and status URL ([CLI] v21/__init__.py, common.py)
 *   Cortex XSOAR         TAXII 2.0 Accept first, 406, then 2.1 and one as_pages sync (TAXII2ApiModule.init_roots)
 *   OpenCTI              one request per tick, `next` inside a run, X-TAXII-Date-Added-Last as the next
 *                        run's added_after (opencti-graphql manager/ingestionManager.ts)
 *   Elastic              filters on a run's first request, then `next` and `limit` only (ti_custom CEL program, TR14)
 *   Microsoft Sentinel   API root + collection id, no discovery; scheduled added_after polls
 * Two writers post new objects, new versions (some TLP:AMBER+STRICT, which bob may not see) and
 * re-posts while the clients page; alice may see everything, bob everything but AMBER+STRICT.
 *
 * What "every object received exactly once" means for a client that reads only the latest
 * versions (match[version] absent, T45): it may legitimately receive two versions of one
 * object — v1 in an early page and v2, posted after v1 was delivered, further on, because v2
 * gets a later date_added (TR28) and the keyset walk over (date_added, TR7) reaches it. After
 * the writers stop and the client has drained, the invariant is:
 *   1. every version that is then the latest of its object (among those the partner may see,
 *      within the client's filter) was received: a version becomes visible only after every
 *      smaller date_added (TR7, TR15), and a latest version stays the latest;
 *   2. no (id, version) was received twice: date_added is given once per version and never
 *      changes on a re-post (TR28, T71);
 *   3. nothing was received that the partner may not see or the filter excludes.
 * A client reading match[version]=all must receive exactly every version it may see, once.
 *
 * Clients that walk one `as_pages` sync pause after a few pages until the writers are done
 * (a slow consumer): their first pages race the writers, and the walk ends after the last write.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { C_RW, TAXII, basicAuth, createTestApp } from '../helpers/app.js';
import { testDatabaseUrl } from '../helpers/database.js';
import { mulberry32 } from '../helpers/random.js';
import { TLP_IDS } from '../../src/stix/tlp.js';

const SEED = Number(process.env['TAXII_TEST_SEED'] ?? 20241202);
const BASE_OBJECTS = 50;
const WRITERS = 2;
const ENVELOPES_PER_WRITER = 15;
const PAUSE_AFTER_PAGES = 3;
/** Between two runs of a scheduled client (its polling interval, shortened). */
const RUN_INTERVAL_MS = 25;
const TIME_BUDGET_MS = 45_000;

const ctx = await createTestApp({ pageSize: { default: 5, max: 8 } });
t.teardown(() => ctx.close());

const ORIGIN = 'https://taxii.test';
const DISCOVERY = `${ORIGIN}/taxii2/`;
const TAXII20 = 'application/vnd.oasis.taxii+json; version=2.0';
const CLIENT_UA = 'taxii2-client/2.3.0';

type Stix = Record<string, unknown>;
interface Envelope {
  more?: boolean;
  next?: string;
  objects?: Stix[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function header(res: LightMyRequestResponse, name: string): string | undefined {
  const v = res.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** A TAXII timestamp (microseconds) or a shorter RFC 3339 one, as integer microseconds. */
function micros(ts: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z$/.exec(ts);
  if (m === null || m[1] === undefined) throw new Error(`not a timestamp: ${ts}`);
  return Date.parse(`${m[1]}Z`) * 1000 + Number((m[2] ?? '').padEnd(6, '0'));
}

const isSco = (id: string) => id.startsWith('ipv4-addr--');
/** A stored version: id + modified; an SCO is its id alone (TR10). */
const versionKey = (id: string, version: string) => (isSco(id) ? id : `${id}|${version}`);
const keyOfObject = (o: Stix) => versionKey(o['id'] as string, (o['modified'] as string | undefined) ?? '');

// ---------------------------------------------------------------- client logs

interface ClientLog {
  readonly name: string;
  readonly partner: 'alice' | 'bob';
  /** match[type] the client asks for; undefined = every type. */
  readonly types?: readonly string[];
  requests: number;
  readonly problems: string[];
  /** Keys received, per run (a run = one sync from a starting point to `more` false). */
  readonly runs: string[][];
  /** The text of each received object (the first one). */
  readonly texts: Map<string, string>;
}

function newLog(name: string, partner: 'alice' | 'bob', types?: readonly string[]): ClientLog {
  return { name, partner, ...(types !== undefined && { types }), requests: 0, problems: [], runs: [], texts: new Map() };
}

function fail(log: ClientLog, problem: string): never {
  log.problems.push(problem);
  throw new Error(`${log.name}: ${problem}`);
}

/** Books a page: objects by (id, modified), manifest records by (id, version). */
function receive(log: ClientLog, items: readonly Stix[], manifest = false): void {
  const run = log.runs[log.runs.length - 1];
  if (run === undefined) throw new Error('receive outside a run');
  for (const o of items) {
    const key = manifest ? versionKey(o['id'] as string, o['version'] as string) : keyOfObject(o);
    run.push(key);
    if (!manifest && !log.texts.has(key)) log.texts.set(key, JSON.stringify(o));
  }
}

async function send(log: ClientLog, method: 'GET' | 'POST', url: string, headers: Record<string, string>, payload?: string) {
  log.requests++;
  const u = new URL(url);
  return ctx.app.inject({
    method,
    url: `${u.pathname}${u.search}`,
    headers: { authorization: basicAuth(log.partner), ...headers },
    ...(payload !== undefined && { payload }),
  });
}

/** A 200 envelope (or manifest); `more` without `next` would make [CLI] re-request page one forever (TR13). */
function envelopeOf(log: ClientLog, res: LightMyRequestResponse, url: string): Envelope {
  if (res.statusCode !== 200) fail(log, `GET ${url} answered ${res.statusCode}: ${res.body}`);
  const body = res.json() as Envelope;
  if (body.more === true && (typeof body.next !== 'string' || body.next === '')) fail(log, `TR13: more without next at ${url}`);
  if ((body.objects?.length ?? 0) > 0 && header(res, 'x-taxii-date-added-last') === undefined) fail(log, `T31: no X-TAXII-Date-Added-Last at ${url}`);
  return body;
}

let writersDone = false;
let signalWritersDone: () => void = () => undefined;
const writersFinished = new Promise<void>((resolve) => {
  signalWritersDone = resolve;
});
let deadline = Number.POSITIVE_INFINITY;

/** Scheduled runs until one that started after the last write has ended. */
async function untilDrained(log: ClientLog, run: () => Promise<void>): Promise<void> {
  for (;;) {
    if (Date.now() > deadline) fail(log, 'did not drain within the time budget');
    const startedAfterWrites = writersDone;
    log.runs.push([]);
    await run();
    if (startedAfterWrites) return;
    await sleep(RUN_INTERVAL_MS);
  }
}

// ---------------------------------------------------------------- taxii2-client 2.3.0 ([CLI])

class HttpError extends Error {
  constructor(readonly res: LightMyRequestResponse, url: string) {
    // requests' raise_for_status(); XSOAR looks for "406 Client Error" in this text.
    super(`${res.statusCode} ${res.statusCode < 500 ? 'Client' : 'Server'} Error: ${res.statusMessage} for url: ${url}`);
  }
}

/** _HTTPConnection.valid_content_type (v21): every ;-token of the Accept, first token the TAXII type. */
function validContentType(contentType: string, accept: string): boolean {
  const want = accept.replaceAll(' ', '').split(';');
  const got = contentType.replaceAll(' ', '').split(';');
  return want.every((token) => got.includes(token)) && got[0] === 'application/taxii+json';
}

/** _HTTPConnection.get: User-Agent, Accept, raise_for_status, then the Content-Type check. */
async function clientGet(log: ClientLog, url: string, params: [string, string][] = [], accept = TAXII): Promise<LightMyRequestResponse> {
  const query = new URLSearchParams(params).toString(); // requests' urlencode: [ ] , : percent-encoded
  const full = query === '' ? url : `${url}?${query}`;
  const res = await send(log, 'GET', full, { accept, 'user-agent': CLIENT_UA });
  if (res.statusCode >= 400) throw new HttpError(res, full);
  const contentType = header(res, 'content-type') ?? '';
  if (!validContentType(contentType, accept)) fail(log, `TR2: Content-Type "${contentType}" for Accept "${accept}"`);
  return res;
}

type KwargValue = string | number | readonly string[] | undefined;
type Kwargs = readonly (readonly [string, KwargValue])[];

/** _filter_kwargs_to_query_params: falsy values dropped, keywords become match[...] except these four. */
function queryParams(kwargs: Kwargs): [string, string][] {
  const out: [string, string][] = [];
  for (const [kw, value] of kwargs) {
    if (value === undefined || value === '' || value === 0 || (typeof value === 'object' && value.length === 0)) continue;
    const list = typeof value === 'object' ? value : [String(value)];
    if (kw === 'version') out.push(['match[version]', list.join(',')]);
    else if (kw === 'added_after' || kw === 'next') out.push([kw, list.join(',')]);
    else if (kw === 'limit') out.push(['limit', String(Math.trunc(Number(list[0])))]);
    else out.push([`match[${kw}]`, list.join(',')]);
  }
  return out;
}

/** v21.as_pages: limit=N first; adopt the server's page size if it differs; loop while more, sending next. */
async function* asPages(func: (kwargs: Kwargs) => Promise<Envelope>, perRequest: number, kwargs: Kwargs): AsyncGenerator<Envelope> {
  let envelope = await func([['limit', perRequest], ...kwargs]);
  yield envelope;
  const total = envelope.objects?.length ?? 0;
  if (envelope.more === true && total !== perRequest) perRequest = total;
  while (envelope.more === true) {
    if (Date.now() > deadline) throw new Error('as_pages did not end within the time budget');
    envelope = await func([['limit', perRequest], ['next', envelope.next ?? ''], ...kwargs]);
    yield envelope;
  }
}

/** _format_datetime: seconds, then the microseconds without trailing zeros, then Z. */
function formatDatetime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, (_, f: string) => (f === '000' ? 'Z' : `.${f.replace(/0+$/, '')}Z`));
}

interface ClientCollection {
  readonly url: string;
  readonly info: { id: string; title: string; can_read: boolean; can_write: boolean };
}

/** Server(url).default → ApiRoot.collections → the collection with this title (URLs resolved with urljoin). */
async function discoverCollection(log: ClientLog, title: string, accept = TAXII): Promise<ClientCollection> {
  const discovery = (await clientGet(log, DISCOVERY, [], accept)).json() as { title?: string; default?: string; api_roots?: string[] };
  if (discovery.title === undefined) fail(log, 'discovery without title');
  const raw = discovery.api_roots ?? [];
  // `default` is matched by string equality against api_roots.
  const index = discovery.default === undefined ? -1 : raw.indexOf(discovery.default);
  if (index < 0) fail(log, `default ${String(discovery.default)} is not one of api_roots ${JSON.stringify(raw)}`);
  let root = new URL(raw[index] as string, DISCOVERY).href;
  if (!root.endsWith('/')) root += '/';
  const listing = (await clientGet(log, `${root}collections/`, [], accept)).json() as { collections?: ClientCollection['info'][] };
  const info = listing.collections?.find((c) => c.title === title);
  if (info === undefined) fail(log, `no collection titled ${title}`);
  const url = `${root}collections/${info.id}/`;
  // _validate_collection
  if (typeof info.can_read !== 'boolean' || typeof info.can_write !== 'boolean' || !url.includes(info.id)) fail(log, `invalid collection ${JSON.stringify(info)}`);
  return { url, info };
}

/** Collection.get_objects / get_manifest: refused locally without can_read, else a GET with the filters. */
function reader(log: ClientLog, col: ClientCollection, endpoint: 'objects/' | 'manifest/'): (kwargs: Kwargs) => Promise<Envelope> {
  return async (kwargs) => {
    if (!col.info.can_read) fail(log, 'AccessError: collection does not allow reading');
    const url = `${col.url}${endpoint}`;
    return envelopeOf(log, await clientGet(log, url, queryParams(kwargs)), url);
  };
}

/** One as_pages sync; the consumer turns slow after a few pages (see the header comment). */
async function consume(log: ClientLog, pages: AsyncGenerator<Envelope>, options: { manifest?: boolean; stopOnEmpty?: boolean } = {}): Promise<void> {
  log.runs.push([]);
  let count = 0;
  for await (const page of pages) {
    const items = page.objects ?? [];
    if (options.stopOnEmpty === true && items.length === 0) break;
    receive(log, items, options.manifest);
    if (++count === PAUSE_AFTER_PAGES) await writersFinished;
  }
}

interface Status {
  id: string;
  status: string;
  total_count: number;
  success_count: number;
  failure_count: number;
  pending_count: number;
  successes?: { id: string; version: string; message?: string }[];
  failures?: unknown[];
  pendings?: unknown[];
}

/** Status._validate_status (TR17). */
function validStatus(log: ClientLog, s: Status): Status {
  const counts = [s.total_count, s.success_count, s.failure_count, s.pending_count];
  if (!s.id || !s.status || counts.some((c) => typeof c !== 'number')) fail(log, `invalid status ${JSON.stringify(s)}`);
  if ((s.successes !== undefined && s.successes.length !== s.success_count) || (s.failures !== undefined && s.failures.length !== s.failure_count) ||
    (s.pendings !== undefined && s.pendings.length !== s.pending_count) || s.success_count + s.failure_count + s.pending_count !== s.total_count) {
    fail(log, `TR17: status counts and lists disagree ${JSON.stringify(s)}`);
  }
  return s;
}

const statusChecks = { fetched: 0 };

/** Collection.add_objects(envelope): POST, then the status at urljoin(collection, '../../status/{id}') + '/'. */
async function addObjects(log: ClientLog, col: ClientCollection, envelope: string): Promise<Status> {
  if (!col.info.can_write) fail(log, 'AccessError: collection does not allow writing');
  const res = await send(log, 'POST', `${col.url}objects/`, { accept: TAXII, 'content-type': TAXII, 'user-agent': CLIENT_UA }, envelope);
  if (res.statusCode !== 202) fail(log, `POST answered ${res.statusCode}: ${res.body}`);
  let status = validStatus(log, res.json() as Status);
  const statusUrl = `${new URL(`../../status/${status.id}`, col.url).href}/`;
  for (let polls = 0; status.status !== 'complete'; polls++) {
    // wait_until_final (poll_interval shortened from 1 s)
    if (polls >= 60) fail(log, `status ${status.id} not complete after 60 polls`);
    await sleep(5);
    status = validStatus(log, (await clientGet(log, statusUrl)).json() as Status);
  }
  // The same GET once more (Status.refresh): a final status stays readable and unchanged (T59).
  const again = validStatus(log, (await clientGet(log, statusUrl)).json() as Status);
  statusChecks.fetched++;
  if (JSON.stringify(again) !== JSON.stringify(status)) fail(log, `status changed after complete: ${JSON.stringify(status)} then ${JSON.stringify(again)}`);
  return status;
}

// ---------------------------------------------------------------- writers

interface SentVersion {
  readonly key: string;
  readonly id: string;
  readonly type: string;
  /** modified; '' for an SCO (its version is its date_added, TR10). */
  readonly version: string;
  readonly strict: boolean;
  readonly text: string;
}

/** Every version sent (its first text), and those the server reported as added (not "already present"). */
const sent = new Map<string, SentVersion>();
const added = new Set<string>();
/** Committed SDO versions (bases for new versions) and committed texts (for re-posts). */
const sdoPool: Stix[] = [];
const committedTexts: string[] = [];
let versionCounter = 0;

const isStrict = (o: Stix) => Array.isArray(o['object_marking_refs']) && (o['object_marking_refs'] as string[]).includes(TLP_IDS.amberStrict);

function withMarking(o: Stix, strict: boolean): Stix {
  const { object_marking_refs: _, ...rest } = o;
  return strict ? { ...rest, object_marking_refs: [TLP_IDS.amberStrict] } : rest;
}

function newSdo(type: 'indicator' | 'malware', name: string, strict: boolean): Stix {
  const ts = '2024-01-01T00:00:00.000Z';
  const common = { spec_version: '2.1', id: `${type}--${randomUUID()}`, created: ts, modified: ts, name };
  const body = type === 'indicator'
    ? { type, ...common, pattern: "[ipv4-addr:value = '198.51.100.7']", pattern_type: 'stix', valid_from: ts }
    : { type, ...common, is_family: false };
  return withMarking(body, strict);
}

function newVersionOf(base: Stix, flipMarking: boolean): Stix {
  versionCounter += 1;
  // A unique modified per new version: the same id+modified never has two contents (S41).
  const modified = new Date(Date.UTC(2024, 5, 1) + versionCounter * 1000).toISOString();
  return withMarking({ ...base, modified, name: `version ${versionCounter}` }, flipMarking ? !isStrict(base) : isStrict(base));
}

function pick<T>(rand: () => number, list: readonly T[]): T | undefined {
  return list.length === 0 ? undefined : list[Math.floor(rand() * list.length)];
}

/** Posts one envelope (python-stix2's sink posts a Bundle, TR23) and books what the status says. */
async function postEnvelope(log: ClientLog, col: ClientCollection, objects: readonly Stix[], asBundle: boolean): Promise<void> {
  const texts = objects.map((o) => JSON.stringify(o));
  objects.forEach((o, i) => {
    const key = keyOfObject(o);
    if (!sent.has(key)) {
      const id = o['id'] as string;
      sent.set(key, { key, id, type: o['type'] as string, version: isSco(id) ? '' : (o['modified'] as string), strict: isStrict(o), text: texts[i] as string });
    }
  });
  const list = texts.join(',');
  const body = asBundle ? `{"type":"bundle","id":"bundle--${randomUUID()}","objects":[${list}]}` : `{"objects":[${list}]}`;
  const status = await addObjects(log, col, body);
  if (status.total_count !== objects.length || status.failure_count !== 0 || status.successes === undefined) {
    fail(log, `unexpected status ${JSON.stringify(status)}`);
  }
  for (const s of status.successes) {
    const key = versionKey(s.id, s.version);
    if (!sent.has(key)) fail(log, `status names a version never sent: ${key}`);
    if (/already present/.test(s.message ?? '')) continue; // T71
    if (added.has(key)) fail(log, `${key} reported as added twice`);
    added.add(key);
  }
  objects.forEach((o, i) => {
    if (!isSco(o['id'] as string)) sdoPool.push(o);
    committedTexts.push(texts[i] as string);
  });
}

async function writer(w: number, col: ClientCollection, log: ClientLog): Promise<void> {
  const rand = mulberry32(SEED + w);
  for (let e = 0; e < ENVELOPES_PER_WRITER; e++) {
    const objects: Stix[] = [];
    for (let i = 0, n = 1 + Math.floor(rand() * 4); i < n; i++) {
      const r = rand();
      const base = pick(rand, sdoPool);
      const repost = pick(rand, committedTexts);
      if (r < 0.35 && base !== undefined) objects.push(newVersionOf(base, rand() < 0.3));
      else if (r < 0.45 && repost !== undefined) objects.push(JSON.parse(repost) as Stix);
      else if (r < 0.55) objects.push({ type: 'ipv4-addr', spec_version: '2.1', id: `ipv4-addr--${randomUUID()}`, value: `10.${w}.${e}.${i}` });
      else objects.push(newSdo(rand() < 0.5 ? 'indicator' : 'malware', `w${w} e${e} i${i}`, rand() < 0.2));
    }
    await postEnvelope(log, col, objects, w === 1);
    await sleep(Math.floor(rand() * 4));
  }
}

// ---------------------------------------------------------------- the readers

/** taxii2-client: discovery, then as_pages(get_objects, per_request=10); the server caps pages at 8. */
async function taxii2ClientObjects(log: ClientLog): Promise<void> {
  const col = await discoverCollection(log, 'Read-write');
  await consume(log, asPages(reader(log, col, 'objects/'), 10, []));
}

/** taxii2-client: as_pages(get_manifest, per_request=3, version='all'): one record per version. */
async function taxii2ClientManifest(log: ClientLog): Promise<void> {
  const col = await discoverCollection(log, 'Read-write');
  await consume(log, asPages(reader(log, col, 'manifest/'), 3, [['version', 'all']]), { manifest: true });
}

/**
 * Cortex XSOAR (TAXII2ApiModule): init_roots tries TAXII 2.0 first; on "406 Client Error" it
 * switches to v21 classes, takes the server's default API root, finds the collection by title
 * and fetches with as_pages(get_objects, per_request=limit_per_request, added_after=…, type=[…]),
 * adding `relationship` when it fetches several types; an empty page ends the fetch.
 */
const xsoar406: { status?: number; contentType?: string; body?: Record<string, unknown> } = {};

async function cortexXsoar(log: ClientLog): Promise<void> {
  try {
    await discoverCollection(log, 'Read-write', TAXII20);
    fail(log, 'a TAXII 2.0 Accept was served');
  } catch (err) {
    if (!(err instanceof HttpError) || !err.message.includes('406 Client Error')) throw err;
    xsoar406.status = err.res.statusCode;
    xsoar406.contentType = header(err.res, 'content-type');
    xsoar406.body = err.res.json() as Record<string, unknown>;
  }
  const col = await discoverCollection(log, 'Read-write');
  const kwargs: Kwargs = [['added_after', formatDatetime(Date.now() - 24 * 3600_000)], ['type', [...(log.types ?? []), 'relationship']]];
  await consume(log, asPages(reader(log, col, 'objects/'), 6, kwargs), { stopOnEmpty: true });
}

/** Per OpenCTI run: the X-TAXII-Date-Added-Last (microseconds) its added_after was cut from. */
const openCtiCutFrom: (number | undefined)[] = [];

/** axios' params serialiser: undefined dropped; : $ , [ ] and spaces (+) left readable. */
function axiosQuery(params: readonly (readonly [string, string | undefined])[]): string {
  const encode = (s: string) =>
    encodeURIComponent(s).replace(/%3A/gi, ':').replace(/%24/g, '$').replace(/%2C/gi, ',').replace(/%20/g, '+').replace(/%5B/gi, '[').replace(/%5D/gi, ']');
  const parts = params.filter((p): p is readonly [string, string] => p[1] !== undefined).map(([k, v]) => `${encode(k)}=${encode(v)}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/**
 * OpenCTI's TAXII ingester: one GET per tick with params { next, added_after }. With objects:
 * `more` and `next` → keep the cursor; otherwise reset it and store X-TAXII-Date-Added-Last as
 * added_after_start through utcDate(…).toISOString(), i.e. cut to milliseconds. An empty page
 * resets the cursor only.
 */
async function openCti(log: ClientLog): Promise<void> {
  const uri = `${ORIGIN}/main`; // the ingestion's "TAXII server URL": the API root
  const url = `${uri.endsWith('/') ? uri : `${uri}/`}collections/${C_RW}/objects/`;
  let cursor: string | undefined;
  let addedAfterStart: string | undefined;
  let cutFrom: number | undefined;
  await untilDrained(log, async () => {
    openCtiCutFrom.push(cutFrom);
    for (;;) {
      const full = url + axiosQuery([['next', cursor], ['added_after', addedAfterStart]]);
      const res = await send(log, 'GET', full, { accept: TAXII });
      const body = envelopeOf(log, res, full);
      const objects = body.objects ?? [];
      if (objects.length === 0) {
        cursor = undefined;
        return;
      }
      receive(log, objects);
      if (body.more === true && typeof body.next === 'string' && body.next !== '') {
        cursor = body.next;
        continue;
      }
      cursor = undefined;
      const last = header(res, 'x-taxii-date-added-last') as string;
      addedAfterStart = new Date(last).toISOString();
      cutFrom = micros(last);
      return;
    }
  });
}

/**
 * Elastic's TAXII input (ti_custom CEL program): a run's first request carries added_after (the
 * cursor, else now - initial_interval as RFC 3339 seconds) and limit — here also the match[type]
 * filter (TR14) — as a Go url.Values query (keys sorted); while the response has `next`, the next
 * request is the collection URL with only `next` and `limit`. The cursor is the last
 * X-TAXII-Date-Added-Last seen. (The stock program replaces its cursor with an empty one after a
 * response without that header — an empty page, TR4 — and then starts again from
 * initial_interval; kept here, so a poll that finds nothing new costs nothing.)
 */
async function elastic(log: ClientLog): Promise<void> {
  const url = `${ORIGIN}/main/collections/${C_RW}/objects/`;
  const goQuery = (values: Record<string, string>) => new URLSearchParams(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : 1))).toString();
  const initial = new Date(Date.now() - 24 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  let cursor: string | undefined;
  await untilDrained(log, async () => {
    let next: string | undefined;
    for (let first = true; first || next !== undefined; first = false) {
      const query = first
        ? goQuery({ added_after: cursor ?? initial, limit: '4', 'match[type]': (log.types ?? []).join(',') })
        : goQuery({ limit: '4', next: next as string });
      const full = `${url.replace(/\/+$/, '')}/?${query}`;
      const res = await send(log, 'GET', full, { accept: TAXII, 'user-agent': 'Go-http-client/1.1' });
      const body = envelopeOf(log, res, full);
      receive(log, body.objects ?? []);
      cursor = header(res, 'x-taxii-date-added-last') ?? cursor;
      next = typeof body.next === 'string' && body.next !== '' ? body.next : undefined;
    }
  });
}

/**
 * Microsoft Sentinel's TAXII connector: configured with the API root URL and the collection id
 * (no discovery, no collection lookup); each scheduled poll asks for objects added after the
 * last X-TAXII-Date-Added-Last and, while `more`, continues with added_after (T53, TR15).
 */
async function sentinel(log: ClientLog): Promise<void> {
  const apiRoot = `${ORIGIN}/main/`;
  const url = `${apiRoot}collections/${C_RW}/objects/`;
  let addedAfter = new Date(Date.now() - 24 * 3600_000).toISOString(); // "at most one day old"
  await untilDrained(log, async () => {
    for (;;) {
      const full = `${url}?added_after=${encodeURIComponent(addedAfter)}`;
      const res = await send(log, 'GET', full, { accept: TAXII });
      const body = envelopeOf(log, res, full);
      const objects = body.objects ?? [];
      receive(log, objects);
      if (objects.length > 0) addedAfter = header(res, 'x-taxii-date-added-last') as string;
      if (body.more !== true) return;
    }
  });
}

// ---------------------------------------------------------------- what the collection holds

/** Every version the partner may see, with its date_added: a full manifest walk after the writers stop. */
async function storedFor(partner: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let next: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const q = new URLSearchParams({ 'match[version]': 'all', limit: '8' });
    if (next !== undefined) q.set('next', next);
    const res = await ctx.request(partner, { url: `/main/collections/${C_RW}/manifest/?${q.toString()}` });
    if (res.statusCode !== 200) throw new Error(`manifest answered ${res.statusCode}: ${res.body}`);
    const body = res.json() as { more?: boolean; next?: string; objects?: { id: string; version: string; date_added: string }[] };
    for (const r of body.objects ?? []) out.set(versionKey(r.id, r.version), micros(r.date_added));
    if (body.more !== true) return out;
    next = body.next;
  }
  throw new Error('manifest walk did not end');
}

/** Of each object, the version with the greatest modified among `keys`, within the type filter. */
function latestOf(keys: Iterable<string>, types?: readonly string[]): Set<string> {
  const best = new Map<string, SentVersion>();
  for (const key of keys) {
    const v = sent.get(key);
    if (v === undefined || (types !== undefined && !types.includes(v.type))) continue;
    const b = best.get(v.id);
    if (b === undefined || v.version > b.version) best.set(v.id, v);
  }
  return new Set([...best.values()].map((v) => v.key));
}

const sorted = (keys: Iterable<string>) => [...keys].sort();

// ---------------------------------------------------------------- the run

t.test('five real clients page while two partners write: every visible object once (TR7, TR15, TR28, §17)', async (t) => {
  const started = Date.now();
  deadline = started + TIME_BUDGET_MS;
  t.comment(`seed ${SEED} (TAXII_TEST_SEED), database: ${testDatabaseUrl === undefined ? 'PGlite' : 'PostgreSQL'}`);

  const writerLogs = Array.from({ length: WRITERS }, (_, w) => newLog(`taxii2-client add_objects (writer ${w})`, 'alice'));
  const setupLog = writerLogs[0] as ClientLog;
  const writeCollection = await discoverCollection(setupLog, 'Read-write');
  const base = Array.from({ length: BASE_OBJECTS }, (_, i) =>
    i % 5 === 4
      ? { type: 'ipv4-addr', spec_version: '2.1', id: `ipv4-addr--${randomUUID()}`, value: `192.0.2.${i}` }
      : newSdo(i % 5 < 2 ? 'indicator' : 'malware', `base ${i}`, i % 7 === 3),
  );
  for (let i = 0; i < base.length; i += 20) await postEnvelope(setupLog, writeCollection, base.slice(i, i + 20), false);

  const clients = {
    objects: newLog('taxii2-client as_pages(get_objects)', 'alice'),
    manifest: newLog('taxii2-client as_pages(get_manifest, version=all)', 'alice'),
    xsoar: newLog('Cortex XSOAR', 'alice', ['indicator', 'malware']),
    openCti: newLog('OpenCTI ingester', 'bob'),
    elastic: newLog('Elastic TAXII input', 'alice', ['indicator', 'ipv4-addr']),
    sentinel: newLog('Microsoft Sentinel', 'bob'),
  };
  const writing = Promise.allSettled(writerLogs.map((log, w) => writer(w, writeCollection, log))).then((r) => {
    writersDone = true;
    signalWritersDone();
    return r;
  });
  const reading = Promise.allSettled([
    taxii2ClientObjects(clients.objects),
    taxii2ClientManifest(clients.manifest),
    cortexXsoar(clients.xsoar),
    openCti(clients.openCti),
    elastic(clients.elastic),
    sentinel(clients.sentinel),
  ]);
  const [written, read] = await Promise.all([writing, reading]);
  const elapsed = Date.now() - started;
  const all = [...writerLogs, ...Object.values(clients)];
  [...written, ...read].forEach((r, i) => {
    const log = all[i] as ClientLog;
    t.equal(r.status, 'fulfilled', `${log.name} ran to the end`, { error: r.status === 'rejected' ? String(r.reason) : undefined });
  });
  for (const log of all) t.same(log.problems, [], `${log.name}: every response as the client expects`);
  t.comment(`${elapsed} ms; ${sent.size} versions sent, ${added.size} added; requests: ${all.map((l) => `${l.name} ${l.requests}`).join(', ')}`);
  t.comment(`runs: OpenCTI ${clients.openCti.runs.length}, Elastic ${clients.elastic.runs.length}, Sentinel ${clients.sentinel.runs.length}`);

  // ---- the writers: statuses at the URL [CLI] derives (E3, T59); the end state as each partner sees it
  t.ok(statusChecks.fetched >= WRITERS * ENVELOPES_PER_WRITER, `status read back at {api-root}status/{id}/ after every POST (${statusChecks.fetched})`);
  const stored = { alice: await storedFor('alice'), bob: await storedFor('bob') };
  t.same(sorted(stored.alice.keys()), sorted(added), 'alice (submitter) sees every version added, once each');
  const notStrict = [...added].filter((k) => sent.get(k)?.strict === false);
  t.ok(notStrict.length < added.size, 'some versions are TLP:AMBER+STRICT');
  t.same(sorted(stored.bob.keys()), sorted(notStrict), 'bob (clearance AMBER) sees exactly the versions not marked AMBER+STRICT');

  // ---- XSOAR's fallback: the 406 is a TAXII error resource in the 2.1 media type (TR1, TR18)
  t.equal(xsoar406.status, 406, 'XSOAR: the TAXII 2.0 Accept is refused with 406');
  t.equal(xsoar406.contentType, TAXII, 'XSOAR: the 406 carries Content-Type application/taxii+json;version=2.1');
  t.match(xsoar406.body, { title: String, http_status: '406' }, 'XSOAR: the 406 body is the error resource');

  // ---- every client: the invariant of the header comment
  /** Versions received that a newer one replaced before the end (legitimate, see the header comment). */
  const superseded: string[] = [];
  const check = (log: ClientLog, expected: Set<string>, repeatAllowed: (key: string, run: number) => boolean = () => false) => {
    const visible = stored[log.partner];
    const seenIn = new Map<string, number>();
    const repeated: string[] = [];
    log.runs.forEach((run, r) => {
      for (const key of run) {
        if (seenIn.has(key) && !(seenIn.get(key) !== r && repeatAllowed(key, r))) repeated.push(`${key} (run ${r})`);
        if (!seenIn.has(key)) seenIn.set(key, r);
      }
    });
    t.same(repeated, [], `${log.name}: no (id, version) received twice`);
    t.same(sorted([...expected].filter((k) => !seenIn.has(k))), [], `${log.name}: nothing missed (${expected.size} expected)`);
    const outside = [...seenIn.keys()].filter((k) => !visible.has(k) || (log.types !== undefined && !log.types.includes(sent.get(k)?.type ?? '')));
    t.same(outside, [], `${log.name}: nothing the partner may not see or the filter excludes`);
    const wrongText = [...log.texts].filter(([k, text]) => text !== sent.get(k)?.text).map(([k]) => k);
    t.same(wrongText, [], `${log.name}: each object exactly as posted`);
    superseded.push(`${log.name} ${[...seenIn.keys()].filter((k) => !expected.has(k)).length}`);
  };
  const latest = (log: ClientLog) => latestOf(stored[log.partner].keys(), log.types);
  check(clients.objects, latest(clients.objects));
  check(clients.manifest, new Set(stored.alice.keys()));
  check(clients.xsoar, latest(clients.xsoar));
  check(clients.elastic, latest(clients.elastic));
  check(clients.sentinel, latest(clients.sentinel));
  // OpenCTI cuts X-TAXII-Date-Added-Last to milliseconds: a new run re-reads the versions added
  // after the cut and up to the header (it upserts them). Only those may come again.
  let reread = 0;
  check(clients.openCti, latest(clients.openCti), (key, run) => {
    const header = openCtiCutFrom[run];
    const dateAdded = stored.bob.get(key);
    const inCut = header !== undefined && dateAdded !== undefined && dateAdded > Math.floor(header / 1000) * 1000 && dateAdded <= header;
    if (inCut) reread++;
    return inCut;
  });
  t.comment(`OpenCTI re-read ${reread} version(s) from the millisecond its added_after cut off`);
  t.comment(`received, then superseded: ${superseded.join(', ')}`);
  t.ok(clients.openCti.runs.length > 2 && clients.elastic.runs.length > 2 && clients.sentinel.runs.length > 2, 'the scheduled clients ran several times while the writers wrote');
  t.ok(elapsed < TIME_BUDGET_MS, `bounded in time (${elapsed} ms)`);
});
