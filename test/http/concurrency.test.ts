/**
 * Lossless incremental sync under concurrent writers (TR7, TR15, TR28;
 * research/peer-servers.md §5 item 1): while several partners POST at once, a reader
 * that pages with `next` (then falls back to `added_after` = X-TAXII-Date-Added-Last,
 * T53) and a reader that only ever polls by `added_after` both receive every stored
 * version exactly once, in strictly increasing date_added order.
 *
 * On PGlite the single connection serialises the requests (the interleaving of
 * reads and writes is still real); on PostgreSQL (TAXII_TEST_DATABASE_URL) the
 * writers and readers run on separate pool connections and really race.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { C_RW, TAXII, createTestApp, type Status } from '../helpers/app.js';
import { testDatabaseUrl } from '../helpers/database.js';
import { mulberry32 } from '../helpers/random.js';

const WRITERS = 4;
const ENVELOPES_PER_WRITER = 15;
const MAX_OBJECTS_PER_ENVELOPE = 20;
const TIME_BUDGET_MS = 50_000;
const SEED = Number(process.env['TAXII_TEST_SEED'] ?? 20240601);

const ctx = await createTestApp({ pageSize: { default: 100, max: 1000 } });
t.teardown(() => ctx.close());
const RW = `/main/collections/${C_RW}/`;

// ---------------------------------------------------------------- helpers


/** A TAXII timestamp (exactly six fraction digits, TR2) as integer microseconds. */
function micros(ts: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})Z$/.exec(ts);
  if (m === null || m[1] === undefined || m[2] === undefined) throw new Error(`not a TAXII timestamp: ${ts}`);
  return Date.parse(`${m[1]}Z`) * 1000 + Number(m[2]);
}

function header(res: LightMyRequestResponse, name: string): string | undefined {
  const v = res.headers[name];
  return typeof v === 'string' ? v : undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type StixObject = Record<string, unknown>;

/** Identity of a stored version: id + modified for versioned objects, the id alone for SCOs (S35, TR10). */
function keyOf(o: { id: string; modified?: unknown }): string {
  return typeof o.modified === 'string' ? `${o.id}|${o.modified}` : o.id;
}


interface Page {
  readonly first: string;
  readonly last: string;
  readonly keys: readonly string[];
}

interface ReaderLog {
  readonly pages: Page[];
  readonly texts: Map<string, string[]>;
  requests: number;
  pagesBeforeWritersDone: number;
  errors: string[];
}

// ---------------------------------------------------------------- writers

interface PoolEntry {
  readonly object: StixObject;
  readonly text: string;
  readonly sco: boolean;
}

/** Text first sent for each version key; a key is never sent with two different texts. */
const sentText = new Map<string, string>();
/** Objects whose POST has returned (so they are committed): the pool for duplicates and new versions. */
const committed: PoolEntry[] = [];
const statuses: { writer: number; envelope: number; sent: string[]; status: Status; code: number }[] = [];
let versionCounter = 0;
let writersDone = false;

function newSdo(rand: () => number, w: number, e: number, i: number): StixObject {
  const ts = '2024-01-01T00:00:00.000Z';
  const common = { spec_version: '2.1', created: ts, modified: ts };
  return rand() < 0.5
    ? { type: 'indicator', ...common, id: `indicator--${randomUUID()}`, name: `w${w} e${e} i${i}`,
        pattern: `[ipv4-addr:value = '198.51.${w}.${i}']`, pattern_type: 'stix', valid_from: ts }
    : { type: 'malware', ...common, id: `malware--${randomUUID()}`, name: `w${w} e${e} i${i}`, is_family: true };
}

function nextVersion(base: StixObject): StixObject {
  versionCounter += 1;
  // Unique modified per new version (≥ created, S38), so the same id+modified never has two contents (S41).
  const modified = new Date(Date.UTC(2024, 5, 1) + versionCounter * 1000).toISOString();
  return { ...base, modified, name: `version ${versionCounter}` };
}

function pick<T>(rand: () => number, list: readonly T[]): T | undefined {
  return list.length === 0 ? undefined : list[Math.floor(rand() * list.length)];
}

async function writer(w: number): Promise<void> {
  const rand = mulberry32(SEED + w);
  for (let e = 0; e < ENVELOPES_PER_WRITER; e++) {
    const n = 1 + Math.floor(rand() * MAX_OBJECTS_PER_ENVELOPE);
    const batch: PoolEntry[] = [];
    for (let i = 0; i < n; i++) {
      const r = rand();
      let entry: PoolEntry | undefined;
      if (r < 0.2) {
        entry = pick(rand, committed); // T71: re-post of a stored version
      } else if (r < 0.4) {
        const base = pick(rand, committed.filter((c) => !c.sco));
        if (base !== undefined) {
          const object = nextVersion(base.object);
          entry = { object, text: JSON.stringify(object), sco: false };
        }
      } else if (r < 0.45) {
        entry = pick(rand, batch); // duplicate inside one envelope
      } else if (r < 0.6) {
        const object = { type: 'ipv4-addr', spec_version: '2.1', id: `ipv4-addr--${randomUUID()}`, value: `10.${w}.${e}.${i}` };
        entry = { object, text: JSON.stringify(object), sco: true };
      }
      if (entry === undefined) {
        const object = newSdo(rand, w, e, i);
        entry = { object, text: JSON.stringify(object), sco: false };
      }
      const key = keyOf(entry.object as { id: string; modified?: unknown });
      if (!sentText.has(key)) sentText.set(key, entry.text);
      batch.push(entry);
    }
    const res = await ctx.request('alice', {
      method: 'POST',
      url: `${RW}objects/`,
      headers: { 'content-type': TAXII },
      payload: `{"objects":[${batch.map((b) => b.text).join(',')}]}`,
    });
    statuses.push({
      writer: w,
      envelope: e,
      sent: batch.map((b) => keyOf(b.object as { id: string; modified?: unknown })),
      status: res.json() as Status,
      code: res.statusCode,
    });
    for (const b of batch) if (!committed.includes(b)) committed.push(b);
    if (rand() < 0.5) await sleep(Math.floor(rand() * 3));
  }
}

// ---------------------------------------------------------------- readers

function newLog(): ReaderLog {
  return { pages: [], texts: new Map(), requests: 0, pagesBeforeWritersDone: 0, errors: [] };
}

/** Records one non-empty page; returns its X-TAXII-Date-Added-Last. */
function record(log: ReaderLog, res: LightMyRequestResponse, objects: StixObject[], doneBefore: boolean): string {
  const first = header(res, 'x-taxii-date-added-first');
  const last = header(res, 'x-taxii-date-added-last');
  if (first === undefined || last === undefined) {
    log.errors.push(`T31: page of ${objects.length} objects without X-TAXII-Date-Added headers`);
    throw new Error('missing X-TAXII-Date-Added headers');
  }
  const keys = objects.map((o) => keyOf(o as { id: string; modified?: unknown }));
  objects.forEach((o, i) => {
    const k = keys[i] as string;
    log.texts.set(k, [...(log.texts.get(k) ?? []), JSON.stringify(o)]);
  });
  log.pages.push({ first, last, keys });
  if (!doneBefore) log.pagesBeforeWritersDone++;
  return last;
}

async function get(log: ReaderLog, partner: string, query: URLSearchParams): Promise<{ res: LightMyRequestResponse; body: { more?: boolean; next?: string; objects?: StixObject[] } }> {
  log.requests++;
  const res = await ctx.request(partner, { url: `${RW}objects/?${query.toString()}` });
  if (res.statusCode !== 200) {
    log.errors.push(`GET ${query.toString()} answered ${res.statusCode}: ${res.body}`);
    throw new Error(`reader got ${res.statusCode}`);
  }
  return { res, body: res.json() };
}

/**
 * Reader A (T53 first branch, TR13): walks with `next` while `more`; when a walk ends it
 * starts a new one with added_after = the last X-TAXII-Date-Added-Last it saw.
 */
async function readerA(log: ReaderLog, deadline: number): Promise<void> {
  let addedAfter: string | undefined;
  let next: string | undefined;
  for (;;) {
    if (Date.now() > deadline) throw new Error('reader A did not finish in time');
    const doneBefore = writersDone;
    const q = new URLSearchParams({ 'match[version]': 'all', limit: '7' });
    if (addedAfter !== undefined) q.set('added_after', addedAfter);
    if (next !== undefined) q.set('next', next); // the original query repeated unchanged, plus next
    const { res, body } = await get(log, 'alice', q);
    const objects = body.objects ?? [];
    if (objects.length > 0) {
      const last = record(log, res, objects, doneBefore);
      if (body.more !== true) addedAfter = last;
    }
    if (body.more === true) {
      if (typeof body.next !== 'string' || body.next === '') {
        log.errors.push('TR13: more is true without next');
        throw new Error('more without next');
      }
      next = body.next;
      continue;
    }
    next = undefined;
    if (doneBefore) return; // this walk started after every write had committed: drained
    if (objects.length === 0) await sleep(1);
  }
}

/** Reader B (T53 second branch, TR15): never uses next, only added_after = X-TAXII-Date-Added-Last. */
async function readerB(log: ReaderLog, deadline: number): Promise<void> {
  let addedAfter: string | undefined;
  for (;;) {
    if (Date.now() > deadline) throw new Error('reader B did not finish in time');
    const doneBefore = writersDone;
    const q = new URLSearchParams({ 'match[version]': 'all', limit: '5' });
    if (addedAfter !== undefined) q.set('added_after', addedAfter);
    const { res, body } = await get(log, 'bob', q);
    const objects = body.objects ?? [];
    if (objects.length > 0) addedAfter = record(log, res, objects, doneBefore);
    if (body.more === true) continue;
    if (doneBefore) return;
    if (objects.length === 0) await sleep(1);
  }
}

// ---------------------------------------------------------------- the run

interface ManifestRecord {
  id: string;
  version: string;
  date_added: string;
}

async function readManifest(): Promise<ManifestRecord[]> {
  const records: ManifestRecord[] = [];
  let next: string | undefined;
  for (let i = 0; i < 100; i++) {
    const q = new URLSearchParams({ 'match[version]': 'all', limit: '1000' });
    if (next !== undefined) q.set('next', next);
    const res = await ctx.request('alice', { url: `${RW}manifest/?${q.toString()}` });
    if (res.statusCode !== 200) throw new Error(`manifest answered ${res.statusCode}: ${res.body}`);
    const body = res.json() as { more?: boolean; next?: string; objects?: ManifestRecord[] };
    records.push(...(body.objects ?? []));
    if (body.more !== true) return records;
    next = body.next;
  }
  throw new Error('manifest paging did not end');
}

t.test('concurrent writers, a next-walker and an added_after poller: nothing lost, nothing repeated (TR7, TR15, TR28)', async (t) => {
  const started = Date.now();
  const deadline = started + TIME_BUDGET_MS;
  const logA = newLog();
  const logB = newLog();
  t.comment(`seed ${SEED} (TAXII_TEST_SEED), database: ${testDatabaseUrl === undefined ? 'PGlite' : 'PostgreSQL'}`);

  const writing = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w))).finally(() => {
    writersDone = true;
  });
  const results = await Promise.allSettled([writing, readerA(logA, deadline), readerB(logB, deadline)]);
  const elapsed = Date.now() - started;
  results.forEach((r, i) => {
    t.equal(r.status, 'fulfilled', `${['writers', 'reader A', 'reader B'][i]} ran to the end`, {
      error: r.status === 'rejected' ? String(r.reason) : undefined,
    });
  });
  t.same(logA.errors, [], 'reader A: every request answered 200 with well-formed paging');
  t.same(logB.errors, [], 'reader B: every request answered 200 with well-formed paging');
  t.ok(elapsed < 60_000, `bounded in time (${elapsed} ms)`);
  t.comment(`${statuses.length} envelopes, ${sentText.size} distinct versions sent, ${elapsed} ms; ` +
    `reader A ${logA.requests} requests / ${logA.pages.length} pages (${logA.pagesBeforeWritersDone} while writing); ` +
    `reader B ${logB.requests} requests / ${logB.pages.length} pages (${logB.pagesBeforeWritersDone} while writing)`);

  // ---- writers: every status complete and consistent (TR17), each version added exactly once (T71, TR28)
  const addedBy = new Map<string, { version: string; count: number }>();
  const duplicateVersions = new Map<string, string[]>();
  const statusProblems: string[] = [];
  for (const { writer: w, envelope: e, sent, status, code } of statuses) {
    const where = `writer ${w} envelope ${e}`;
    if (code !== 202) {
      statusProblems.push(`${where}: HTTP ${code}`);
      continue;
    }
    const successes = status.successes ?? [];
    const failures = status.failures ?? [];
    if (status.status !== 'complete' || status.pending_count !== 0) statusProblems.push(`${where}: not complete`);
    if (status.total_count !== sent.length) statusProblems.push(`${where}: total_count ${status.total_count} ≠ ${sent.length}`);
    if (status.success_count + status.failure_count + status.pending_count !== status.total_count) {
      statusProblems.push(`${where}: counts do not add up (TR17)`);
    }
    if (successes.length !== status.success_count || failures.length !== status.failure_count) {
      statusProblems.push(`${where}: list lengths differ from counts (TR17)`);
    }
    if (failures.length > 0) statusProblems.push(`${where}: unexpected failures ${JSON.stringify(failures)}`);
    for (const s of successes) {
      const sco = s.id.startsWith('ipv4-addr--');
      const key = sco ? s.id : `${s.id}|${s.version}`;
      // A success is a duplicate when it says so (T71); an added SCO may carry a warning (S27).
      if (s.message === undefined || !/already present/.test(s.message)) {
        const prev = addedBy.get(key);
        addedBy.set(key, { version: s.version, count: (prev?.count ?? 0) + 1 });
      } else {
        duplicateVersions.set(key, [...(duplicateVersions.get(key) ?? []), s.version]);
      }
    }
  }
  t.same(statusProblems, [], 'every POST: 202, complete, counts add up, no failures (TR17, T71)');
  const addedTwice = [...addedBy].filter(([, v]) => v.count !== 1).map(([k]) => k);
  t.same(addedTwice, [], 'no version is reported as newly added twice');
  t.same([...addedBy.keys()].sort(), [...sentText.keys()].sort(), 'every distinct version sent was added exactly once');
  const neverAdded = [...duplicateVersions.keys()].filter((k) => !addedBy.has(k));
  t.same(neverAdded, [], 'a duplicate is only reported for a version that was added');
  const movedScoVersions = [...duplicateVersions]
    .filter(([k]) => !k.includes('|'))
    .filter(([k, versions]) => versions.some((v) => v !== addedBy.get(k)?.version));
  t.same(movedScoVersions, [], 'TR10/TR28: a re-posted SCO keeps the version (date_added) of its first store');

  // ---- the manifest: one record per version, date_added unique and strictly increasing (TR7, TR15)
  const manifest = await readManifest();
  const manifestKeys = manifest.map((r) => (r.id.startsWith('ipv4-addr--') ? r.id : `${r.id}|${r.version}`));
  t.equal(new Set(manifestKeys).size, manifestKeys.length, 'manifest: each version listed once');
  t.same([...manifestKeys].sort(), [...sentText.keys()].sort(), 'manifest: exactly the versions sent');
  const notIncreasing: string[] = [];
  manifest.forEach((r, i) => {
    const prev = manifest[i - 1];
    if (prev !== undefined && !(micros(r.date_added) > micros(prev.date_added))) {
      notIncreasing.push(`${prev.date_added} then ${r.date_added}`);
    }
  });
  t.same(notIncreasing, [], 'manifest: date_added unique and strictly increasing per collection (TR15)');
  const versionMismatch = manifest.filter((r, i) => {
    const added = addedBy.get(manifestKeys[i] as string);
    if (r.id.startsWith('ipv4-addr--') && r.version !== r.date_added) return true; // TR10
    return added === undefined || added.version !== r.version;
  });
  t.same(versionMismatch, [], 'manifest versions match the statuses; an SCO version is its date_added (TR10)');

  // ---- each reader: every version exactly once, in manifest (date_added) order, headers matching
  const dateAddedOf = new Map(manifest.map((r, i) => [manifestKeys[i] as string, r.date_added]));
  for (const [name, log] of [['reader A (next, then added_after)', logA], ['reader B (added_after only)', logB]] as const) {
    const seen = log.pages.flatMap((p) => p.keys);
    const repeated = [...log.texts].filter(([, texts]) => texts.length > 1).map(([k]) => k);
    t.same(repeated, [], `${name}: no version delivered twice`);
    const missing = manifestKeys.filter((k) => !log.texts.has(k));
    t.same(missing, [], `${name}: no version skipped`);
    t.same(seen, manifestKeys, `${name}: every version once, in date_added order (TR7)`);
    const wrongText = [...log.texts].filter(([k, texts]) => texts.some((x) => x !== sentText.get(k))).map(([k]) => k);
    t.same(wrongText, [], `${name}: each object is the version that was sent (S41)`);

    const headerProblems: string[] = [];
    let previousLast = -1;
    for (const p of log.pages) {
      const first = micros(p.first);
      const last = micros(p.last);
      if (!(first > previousLast)) headerProblems.push(`page starting ${p.first} does not start after ${previousLast}`);
      if (p.keys.length === 1 ? first !== last : !(first < last)) headerProblems.push(`page ${p.first}..${p.last} of ${p.keys.length}`);
      if (dateAddedOf.get(p.keys[0] as string) !== p.first) headerProblems.push(`X-TAXII-Date-Added-First ${p.first} ≠ date_added of its first object`);
      if (dateAddedOf.get(p.keys[p.keys.length - 1] as string) !== p.last) headerProblems.push(`X-TAXII-Date-Added-Last ${p.last} ≠ date_added of its last object`);
      previousLast = last;
    }
    t.same(headerProblems, [], `${name}: X-TAXII-Date-Added values strictly increasing across everything seen and matching the manifest (T31)`);
  }
});
