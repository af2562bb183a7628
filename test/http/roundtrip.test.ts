/**
 * Round trip of the real, third-party STIX 2.1 data in shared/data (PROVENANCE.md):
 * each file is posted as a TAXII envelope built from its own bytes (a bundle as-is,
 * TR23), into a collection of its own, and read back with match[version]=all. What
 * was stored must come back byte for byte (S41, S44); every object is accounted for
 * in the status (TR17); each rejection must be either an object of
 * test/helpers/expected-rejections.ts (the real STIX 2.1 violations in the data, with
 * the message the 'standard' validator gives) or a conflict with an earlier object of
 * the same file (S41, TR24), and every object of that list must be rejected.
 */
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load-config.js';
import { applyConfig } from '../../src/store/config-sync.js';
import { createStore } from '../../src/store/index.js';
import { getOrCreateSecret } from '../../src/store/secrets.js';
import { TAXII, TEST_SERVER_LIMITS, type Status } from '../helpers/app.js';
import { openTestDb } from '../helpers/database.js';
import { EXPECTED_REJECTIONS, expectedRejection } from '../helpers/expected-rejections.js';
import { listJsonFiles } from '../helpers/expected-rejections.js';
import { RED, TLP_MARKINGS } from '../../src/stix/tlp.js';

const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data');
const PARTNER = 'loader';
const PARTNER_KEY = 'roundtrip-loader-key-0001';
const COLLECTIONS = 160;

// ---------------------------------------------------------------- the data

interface DataFile {
  readonly rel: string;
  readonly text: string;
}


function loadData(): DataFile[] {
  if (!existsSync(DATA)) return [];
  // INDEX.json (at the top) is an index, not STIX; markings/ is real STIX content too.
  return ['bundles', 'objects', 'markings']
    .map((sub) => path.join(DATA, sub))
    .filter((dir) => existsSync(dir))
    .flatMap((dir) => listJsonFiles(dir))
    .map((full) => ({ rel: path.relative(DATA, full), text: readFileSync(full, 'utf8') }));
}

// ---------------------------------------------------------------- an independent JSON span scanner

/** Walks JSON text (already known to parse) and returns the exact text spans of array elements. */
class SpanScanner {
  constructor(private readonly s: string) {}

  private ws(i: number): number {
    while (i < this.s.length && ' \t\n\r'.includes(this.s.charAt(i))) i++;
    return i;
  }

  private expect(i: number, ch: string): void {
    if (this.s.charAt(i) !== ch) throw new Error(`scanner: expected ${ch} at ${i}`);
  }

  private str(i: number): number {
    this.expect(i, '"');
    for (let j = i + 1; j < this.s.length; ) {
      const c = this.s.charAt(j);
      if (c === '\\') j += 2;
      else if (c === '"') return j + 1;
      else j++;
    }
    throw new Error('scanner: unterminated string');
  }

  /** End of the value starting at i (after whitespace). */
  value(i: number): number {
    i = this.ws(i);
    const c = this.s.charAt(i);
    if (c === '"') return this.str(i);
    if (c === '{') {
      i = this.ws(i + 1);
      if (this.s.charAt(i) === '}') return i + 1;
      for (;;) {
        i = this.ws(this.str(this.ws(i)));
        this.expect(i, ':');
        i = this.ws(this.value(i + 1));
        if (this.s.charAt(i) === ',') i++;
        else {
          this.expect(i, '}');
          return i + 1;
        }
      }
    }
    if (c === '[') return this.elements(i).end;
    const literal = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
    literal.lastIndex = i;
    const m = literal.exec(this.s);
    if (m === null) throw new Error(`scanner: unexpected ${c} at ${i}`);
    return i + m[0].length;
  }

  /** The array at i: its element texts and where it ends. */
  elements(i: number): { items: string[]; end: number } {
    this.expect(i, '[');
    const items: string[] = [];
    i = this.ws(i + 1);
    if (this.s.charAt(i) === ']') return { items, end: i + 1 };
    for (;;) {
      const start = this.ws(i);
      const end = this.value(start);
      items.push(this.s.slice(start, end));
      i = this.ws(end);
      if (this.s.charAt(i) === ',') i++;
      else {
        this.expect(i, ']');
        return { items, end: i + 1 };
      }
    }
  }

  /**
   * Raw texts of the STIX objects in a file or envelope: the elements of a top-level
   * `objects` list (last one wins, as JSON.parse), of a top-level array, or the whole
   * text when it is one bare object.
   */
  topLevelObjects(): string[] {
    const i = this.ws(0);
    if (this.s.charAt(i) === '[') return this.elements(i).items;
    let found: string[] | undefined;
    let j = this.ws(i + 1);
    while (this.s.charAt(j) === '"') {
      const keyEnd = this.str(j);
      const key = JSON.parse(this.s.slice(j, keyEnd)) as string;
      j = this.ws(keyEnd);
      this.expect(j, ':');
      const valueStart = this.ws(j + 1);
      if (key === 'objects' && this.s.charAt(valueStart) === '[') {
        const { items, end } = this.elements(valueStart);
        found = items;
        j = end;
      } else {
        if (key === 'objects') found = undefined;
        j = this.value(valueStart);
      }
      j = this.ws(j);
      if (this.s.charAt(j) === ',') j = this.ws(j + 1);
    }
    return found ?? [this.s.slice(i, this.value(i))];
  }
}

// ---------------------------------------------------------------- STIX facts used as the oracle

type StixObject = Record<string, unknown>;

/** Same instant ⇒ same key, whatever the number of fraction digits (TR9). */
function instantKey(ts: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(ts);
  if (m === null || m[1] === undefined) return `?${ts}`;
  return `${m[1]}.${(m[2] ?? '').replace(/0+$/, '')}`;
}

function versionOf(o: StixObject): string | undefined {
  const v = o['modified'] ?? o['created'];
  return typeof v === 'string' ? v : undefined;
}

/** Identity of a stored version (S35; SCOs and other unversioned objects by id, T71). */
function versionKeyOf(o: StixObject): string {
  const v = versionOf(o);
  return v === undefined ? String(o['id']) : `${String(o['id'])}\u0000${instantKey(v)}`;
}

/**
 * Why the server's rejection of object `id` of `file` is not acceptable, or undefined when
 * the object is in the expected list with a matching message (the collection validates
 * in 'standard' mode, the default).
 */
function disputeRejection(file: string, id: string, message: string, o: StixObject): string | undefined {
  if (policyRejection(o, message)) return undefined;
  const expected = expectedRejection(file, id);
  if (expected === undefined) return 'not in test/helpers/expected-rejections.ts';
  return expected.message.test(message) ? undefined : `expected a message matching ${String(expected.message)}`;
}

const CONFLICT = /already stored with different content/;

/**
 * Sharing-policy refusals (issue 4) that the object really earns: TLP:RED without a
 * recipients marking. (A published TLP marking id redefined is the validator's since
 * issue 14, so in expected-rejections.ts.)
 */
function policyRejection(o: StixObject, message: string): boolean {
  const refs = Array.isArray(o['object_marking_refs']) ? (o['object_marking_refs'] as unknown[]) : [];
  if (/TLP:RED content needs a recipients marking/.test(message)) {
    return refs.some((r) => typeof r === 'string' && TLP_MARKINGS.get(r) === RED);
  }
  return false;
}

// ---------------------------------------------------------------- the app


const files = loadData();
if (files.length === 0) {
  t.fail(`no STIX data found at ${DATA} (shared/data beside the repository); cannot run the round trip`);
}

const collectionId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const testDb = await openTestDb();
const config = await parseConfig(
  JSON.stringify({
    server: { title: 'round trip', page_size: { default: 1000, max: 1000 }, ...TEST_SERVER_LIMITS },
    auth: { basic: true },
    api_roots: [
      {
        id: 'data',
        title: 'shared data',
        max_content_length: 16 * 1024 * 1024, // the ATT&CK bundles are 3.5–4 MB
        collections: Array.from({ length: Math.max(COLLECTIONS, files.length + 1) }, (_, i) => ({
          id: collectionId(i),
          title: files[i]?.rel ?? `spare ${i}`,
          grants: [{ partner: PARTNER, read: true, write: true }],
        })),
      },
    ],
    partners: [{ id: PARTNER, name: 'Round-trip loader', api_keys: [{ env: 'ROUNDTRIP_KEY' }] }],
  }),
  'roundtrip-config.json',
  { ROUNDTRIP_KEY: PARTNER_KEY },
);
await applyConfig(testDb.db, config);
const app: FastifyInstance = await buildApp({
  config,
  store: createStore(testDb.db),
  cursorSecret: await getOrCreateSecret(testDb.db, 'cursor-hmac'),
});
await app.ready();
t.teardown(async () => {
  await app.close();
  await testDb.close();
});

const auth = `Basic ${Buffer.from(`${PARTNER}:${PARTNER_KEY}`).toString('base64')}`;
const request = (url: string, method: 'GET' | 'POST' = 'GET', payload?: string): Promise<LightMyRequestResponse> =>
  app.inject({
    method,
    url,
    headers: { accept: TAXII, authorization: auth, ...(payload !== undefined && { 'content-type': TAXII }) },
    ...(payload !== undefined && { payload }),
  });

/** All versions in a collection, following next (TR12, TR13); raw texts cut from the response bytes. */
async function readBack(base: string): Promise<{ raws: string[]; problems: string[] }> {
  const raws: string[] = [];
  const problems: string[] = [];
  let next: string | undefined;
  for (let page = 0; page < 100; page++) {
    const q = new URLSearchParams({ 'match[version]': 'all', limit: '1000' });
    if (next !== undefined) q.set('next', next);
    const res = await request(`${base}objects/?${q.toString()}`);
    if (res.statusCode !== 200) {
      problems.push(`GET objects answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
      return { raws, problems };
    }
    const body = JSON.parse(res.body) as { more?: boolean; next?: string; objects?: unknown[] };
    const items = body.objects === undefined ? [] : new SpanScanner(res.body).topLevelObjects();
    if (items.length !== (body.objects?.length ?? 0)) problems.push('scanner and JSON.parse disagree on the response');
    raws.push(...items);
    if (body.more !== true) return { raws, problems };
    if (typeof body.next !== 'string') {
      problems.push('more without next (TR13)');
      return { raws, problems };
    }
    next = body.next;
  }
  problems.push('paging did not end');
  return { raws, problems };
}

// ---------------------------------------------------------------- the test

const summary = { files: 0, objects: 0, added: 0, duplicates: 0, rejected: 0, expectedRejected: 0, policyRejected: 0, warned: 0 };
const reasons = new Map<string, string[]>();

function tally(message: string, where: string): void {
  // Group by rule: drop quoted values and object-specific versions from the message.
  const reason = message.replace(/"[^"]*"/g, '"…"').replace(/version \S+ is/, 'version … is');
  reasons.set(reason, [...(reasons.get(reason) ?? []), where]);
}

files.forEach((file, index) => {
  t.test(file.rel, async (t) => {
    const base = `/data/collections/${collectionId(index)}/`;
    const parsed = JSON.parse(file.text) as unknown;
    const objects: StixObject[] = Array.isArray(parsed)
      ? (parsed as StixObject[])
      : Array.isArray((parsed as { objects?: unknown }).objects)
        ? ((parsed as { objects: StixObject[] }).objects)
        : [parsed as StixObject];
    const raws = new SpanScanner(file.text).topLevelObjects();
    const scanOk = raws.length === objects.length && raws.every((r, i) => isDeepStrictEqual(JSON.parse(r), objects[i]));
    t.ok(scanOk, `the test's scanner finds the ${objects.length} objects' texts in the file`);

    // A bundle (or bundle-like object) is posted byte for byte (TR23); an array or a bare object is wrapped.
    const body = Array.isArray(parsed)
      ? `{"objects":${file.text}}`
      : Array.isArray((parsed as { objects?: unknown }).objects)
        ? file.text
        : `{"objects":[${file.text}]}`;
    const res = await request(`${base}objects/`, 'POST', body);
    t.equal(res.statusCode, 202, 'E8: 202 Accepted', { body: res.statusCode === 202 ? undefined : res.body.slice(0, 500) });
    if (res.statusCode !== 202) return;
    const status = res.json() as Status;
    const successes = status.successes ?? [];
    const failures = status.failures ?? [];

    // TR17: every object is a success or a failure; counts add up; lists match counts.
    t.match(status, { status: 'complete', total_count: objects.length, pending_count: 0 }, 'status complete, total = objects in file');
    t.equal(status.success_count + status.failure_count + status.pending_count, status.total_count, 'TR17: counts add up');
    t.same([successes.length, failures.length], [status.success_count, status.failure_count], 'TR17: list lengths equal counts');
    t.same(failures.filter((f) => typeof f.message !== 'string' || f.message === ''), [], 'every failure carries a message');

    // Expected outcome of every object, worked out here in file order.
    const pendingRejections = failures.filter((f) => !CONFLICT.test(f.message ?? ''));
    const disputes: string[] = [];
    const rejectedIds = new Set<string>();
    const stored = new Map<string, { object: StixObject; raw: string }>();
    const expectedAdded: string[] = [];
    const expectedConflictIds: string[] = [];
    let expectedDuplicates = 0;
    objects.forEach((o, i) => {
      const id = typeof o['id'] === 'string' ? o['id'] : `objects[${i}]`;
      const rejection = pendingRejections.findIndex((f) => f.id === id && f.version === (versionOf(o) ?? 'unknown'));
      if (rejection >= 0) {
        const [f] = pendingRejections.splice(rejection, 1);
        const message = f?.message ?? '';
        const dispute = disputeRejection(file.rel, id, message, o);
        if (dispute !== undefined) disputes.push(`${id}: "${message}" — ${dispute}`);
        if (policyRejection(o, message)) summary.policyRejected++;
        else rejectedIds.add(id);
        tally(message, `${file.rel} ${id}`);
        return;
      }
      const key = versionKeyOf(o);
      const known = stored.get(key);
      if (known === undefined) {
        stored.set(key, { object: o, raw: raws[i] ?? '' });
        expectedAdded.push(`${id}|${versionOf(o) ?? '*'}`);
      } else if (isDeepStrictEqual(known.object, o)) {
        expectedDuplicates++; // duplicated within the file: counts once (T71)
      } else {
        expectedConflictIds.push(id); // same version, different content (S41, TR24)
      }
    });
    t.same(pendingRejections, [], 'every rejection names an object of the file');
    t.same(disputes, [], 'every rejection is an expected one (a real STIX 2.1 violation, expected-rejections.ts) with its message');
    const notRejected = objects
      .map((o, i) => (typeof o['id'] === 'string' ? o['id'] : `objects[${i}]`))
      .filter((id) => expectedRejection(file.rel, id) !== undefined && !rejectedIds.has(id));
    t.same(notRejected, [], 'every object the expected list names for this file is rejected');

    // A new version is a success without message, or with "stored with warnings: …" (e.g. a
    // non-deterministic SCO id, S27); a repeat within the file says "already present" (T71).
    const added = successes.filter((s) => s.message === undefined || /^stored with warnings: /.test(s.message));
    const duplicates = successes.filter((s) => s.message !== undefined && /already present/.test(s.message));
    const conflicts = failures.filter((f) => CONFLICT.test(f.message ?? ''));
    const unversionedOk = added.every((s) => stored.has(s.id) === false || /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(s.version));
    t.ok(unversionedOk, 'an unversioned object gets its date_added as version (TR10)');
    t.same(
      added.map((s) => `${s.id}|${stored.has(s.id) ? '*' : s.version}`).sort(),
      [...expectedAdded].sort(),
      'the new versions reported are the distinct valid objects of the file',
    );
    t.equal(duplicates.length, expectedDuplicates, 'repeats within the file are successes "already present" (T71)');
    t.same(
      successes.filter((s) => !added.includes(s) && !duplicates.includes(s)),
      [],
      'success messages only say "stored with warnings: …" or "already present"',
    );
    t.same(conflicts.map((c) => c.id).sort(), [...expectedConflictIds].sort(), 'same version with other content is a failure (S41, TR24)');
    for (const c of conflicts) tally(c.message ?? '', `${file.rel} ${c.id}`);

    // Read everything back: exactly the stored texts, byte for byte (S41, S44).
    const back = await readBack(base);
    t.same(back.problems, [], 'read-back pages answered 200 with well-formed paging');
    const expectedRaws = [...stored.values()].map((s) => s.raw).sort();
    const returned = [...back.raws].sort();
    t.equal(new Set(returned).size, returned.length, 'no object text returned twice');
    t.same(returned.filter((r) => !expectedRaws.includes(r)).map((r) => r.slice(0, 200)), [], 'nothing returned that was not stored as sent');
    t.same(expectedRaws.filter((r) => !returned.includes(r)).map((r) => r.slice(0, 200)), [], 'every stored object returned byte for byte');
    const notVerbatim = back.raws.filter((r) => {
      const o = JSON.parse(r) as StixObject;
      const sent = stored.get(versionKeyOf(o));
      return !file.text.includes(r) || sent === undefined || !isDeepStrictEqual(o, sent.object);
    });
    t.same(notVerbatim.map((r) => r.slice(0, 200)), [], 'each returned text occurs verbatim in the file and parses to the object sent');

    summary.files++;
    summary.objects += objects.length;
    summary.added += added.length;
    summary.warned += added.filter((s) => s.message !== undefined).length;
    summary.duplicates += duplicates.length;
    summary.rejected += failures.length;
    summary.expectedRejected += rejectedIds.size;
  });
});

t.test('the text stored is the text of the object that was validated, even with an escaped "objects" key (S41, S44)', async (t) => {
  // JSON.parse reads "obj\u0065cts" as "objects" and keeps the last one; the stored text must follow the same object.
  const base = `/data/collections/${collectionId(files.length)}/`;
  const shadowed = '{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--11111111-1111-4111-8111-111111111111","value":"10.0.0.1"}';
  const used = '{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--22222222-2222-4222-8222-222222222222","value":"10.0.0.2"}';
  const res = await request(`${base}objects/`, 'POST', `{"objects":[${shadowed}],"obj\\u0065cts":[${used}]}`);
  if (res.statusCode !== 202) {
    t.ok([400, 422].includes(res.statusCode), 'refusing the ambiguous envelope as a whole is also correct (TR22)');
    return;
  }
  const accepted = ((res.json() as Status).successes ?? []).map((s) => s.id);
  t.same(accepted, ['ipv4-addr--22222222-2222-4222-8222-222222222222'], 'the object JSON.parse sees is the one accepted');
  const back = await readBack(base);
  t.same(back.raws, [used], 'and it is returned with its own text, not the text of the shadowed list');
});

t.test('summary of the shared data round trip', async (t) => {
  t.equal(summary.files, files.length, 'every file was posted and read back');
  t.equal(summary.expectedRejected, EXPECTED_REJECTIONS.length, 'the rejections other than conflicts are exactly the expected list');
  t.comment(`${summary.files} files, ${summary.objects} objects: ${summary.added} stored (${summary.warned} with warnings), ` +
    `${summary.duplicates} repeats within a file, ${summary.rejected} rejected ` +
    `(${summary.expectedRejected} expected violations, ${summary.policyRejected} refused by the sharing policy, ` +
    `${summary.rejected - summary.expectedRejected - summary.policyRejected} conflicts)`);
  for (const [reason, where] of [...reasons].sort((a, b) => b[1].length - a[1].length)) {
    t.comment(`${where.length}× ${reason}`);
    for (const w of where) t.comment(`    ${w}`);
  }
});
