/**
 * Randomised leak test for the TLP sharing policy (issue 4, "Evidence").
 *
 * Each round builds a random world on a fresh database: partners with random
 * communities and clearances, random read/write grants (some through groups) on
 * three collections with random default_tlp, and objects (indicators, malware,
 * identities, relationships between them, recipients markings) with random TLP
 * 1.0/2.0 markings, recipients markings, granular markings on `description` and
 * 1–3 versions each, posted in a random order. Then every partner walks every
 * read endpoint with every filter and several page sizes, and each answer is
 * compared with the answer of a server that holds only what that partner may see:
 *   (a) every returned version is visible to the partner (oracle below);
 *   (b) every visible version is reachable;
 *   (c) same id/version sequence, same `more`, X-TAXII-Date-Added-First/Last of the
 *       first/last item (absent on empty pages), 404 exactly when no version is
 *       visible, 403/404 for collections without a read grant; no body ever names
 *       an id the partner may not see (other than one its own request named).
 *
 * The oracle is written from the model in the issue, independently of
 * src/policy/visibility.ts and src/store/visibility-sql.ts.
 *
 * TAXII_LEAK_SEED (default fixed) and TAXII_LEAK_ROUNDS (default 1): round r uses
 * seed TAXII_LEAK_SEED + r, so a failing round replays alone with
 * TAXII_LEAK_SEED=<its seed> TAXII_LEAK_ROUNDS=1. scripts/leak-test.sh runs many.
 */
import t, { type Test } from 'tap';
import { isDeepStrictEqual } from 'node:util';
import type { LightMyRequestResponse } from 'fastify';
import { createAppWithConfig, TEST_SERVER_LIMITS, type TestApp } from '../helpers/app.js';
import { formatMicros } from '../../src/stix/timestamps.js';
import { definitionsCollectionId } from '../../src/policy/definitions.js';
import { Rng } from '../helpers/random.js';

const BASE_SEED = Number(process.env['TAXII_LEAK_SEED'] ?? 79);
const ROUNDS = Number(process.env['TAXII_LEAK_ROUNDS'] ?? 1);
/** Failures reported in detail per round; the rest are only counted. */
const MAX_REPORTED = 40;
const DEFAULT_PAGE = 4;
const ROOT = 'alliance';

// ------------------------------------------------------------------ model

type Level = 0 | 1 | 2 | 3 | 4;
const LEVEL_NAMES = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;
const RED: Level = 4;

/** tlp.md §5: the nine TLP marking-definition ids (1.0 and 2.0) and their levels. */
const TLP_IDS: readonly (readonly [string, Level])[] = [
  ['marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9', 0],
  ['marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487', 0],
  ['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da', 1],
  ['marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb', 1],
  ['marking-definition--f88d31f6-486f-44da-b317-01333bde0b82', 2],
  ['marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421', 2],
  ['marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003', 3],
  ['marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed', 4],
  ['marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1', 4],
];
const RECIPIENTS_EXT = 'extension-definition--b4f69bed-1fee-46d6-9ab7-274a05203997';
const COMMUNITIES = ['nato', 'eu', 'nordics'] as const;

type Obj = Record<string, unknown>;

interface Partner {
  readonly id: string;
  readonly key: string;
  readonly clearance: Level;
  readonly communities: readonly string[];
  readonly status: 'active' | 'suspended';
}

interface Recipients {
  readonly partners: readonly string[];
  readonly communities: readonly string[];
}

interface Collection {
  readonly id: string;
  readonly path: string;
  readonly defaultTlp: Level;
  readonly grants: readonly Obj[];
  readonly readers: ReadonlySet<string>;
  readonly writers: ReadonlySet<string>;
}

/** What the oracle knows of one posted version. */
interface Version {
  readonly collection: string;
  readonly objectId: string;
  readonly type: string;
  /** modified, else created. */
  readonly version: string;
  readonly submittedBy: string;
  readonly tlp: Level | null;
  readonly recipients: Recipients | null;
  readonly granular: Level | null;
  readonly refs: readonly string[] | null;
  readonly body: Obj;
  /** For a recipients marking-definition: whom it names. */
  readonly defines?: Recipients;
}

interface Row extends Version {
  readonly dateAdded: number;
  readonly key: string;
}

function keyOf(id: string, version: string): string {
  return `${id} ${version}`;
}

/** The model of the issue: may `reader` read `row` of collection `c`? `rowsOf` gives the versions of an id in c. */
function mayRead(reader: Partner, c: Collection, row: Version, rowsOf: (id: string) => readonly Version[], depth = 0): boolean {
  if (row.submittedBy === reader.id) return true;
  if (row.type === 'marking-definition') return true;
  const level = row.tlp ?? c.defaultTlp;
  if (level > reader.clearance) return false;
  if (row.recipients !== null || level === RED) {
    const named =
      row.recipients !== null &&
      (row.recipients.partners.includes(reader.id) || row.recipients.communities.some((x) => reader.communities.includes(x)));
    if (!named) return false;
  }
  if (row.granular !== null && row.granular > reader.clearance) return false;
  if (row.refs !== null && depth === 0) {
    for (const ref of row.refs) {
      const versions = rowsOf(ref);
      if (versions.length > 0 && !versions.some((v) => mayRead(reader, c, v, rowsOf, depth + 1))) return false;
    }
  }
  return true;
}

// ------------------------------------------------------------------ randomness



// ------------------------------------------------------------------ the world

interface Post {
  readonly collection: Collection;
  readonly partner: string;
  readonly version: Version;
}

interface World {
  readonly seed: number;
  readonly partners: readonly Partner[];
  readonly collections: readonly Collection[];
  readonly config: Obj;
  readonly env: NodeJS.ProcessEnv;
  readonly keys: Record<string, string>;
  /** Recipients markings, in posting order (posted before everything else). */
  readonly markingPosts: readonly Post[];
  readonly objectPosts: readonly Post[];
  readonly description: string;
}

function generateWorld(seed: number): World {
  const rng = new Rng(seed);
  const active: Partner[] = Array.from({ length: 6 }, (_, i) => ({
    id: `p${i}`,
    key: `leak-key-p${i}-${seed}`,
    clearance: rng.int(5) as Level,
    communities: rng.subset(COMMUNITIES, 0.45),
    status: 'active' as const,
  }));
  const noGrants: Partner = { id: 'nogrants', key: `leak-key-nogrants-${seed}`, clearance: 4, communities: [...COMMUNITIES], status: 'active' };
  const suspended: Partner = { id: 'suspended', key: `leak-key-suspended-${seed}`, clearance: 4, communities: [...COMMUNITIES], status: 'suspended' };
  const partners = [...active, noGrants, suspended];
  const groups = ['g-alpha', 'g-beta'].map((id) => ({ id, members: rng.subset(active, 0.4).map((p) => p.id) }));
  groups[0]?.members.push('suspended');
  const groupMembers = new Map(groups.map((g) => [g.id, g.members]));

  type Right = { read: boolean; write: boolean };
  const RIGHTS: readonly (Right | null)[] = [null, null, { read: true, write: false }, { read: false, write: true }, { read: true, write: true }, { read: true, write: true }];
  const collections: Collection[] = [];
  const count = 2 + rng.int(2);
  for (let i = 0; i < count; i++) {
    const id = `c0a1ea00-0000-4000-8000-${String(seed % 1e6).padStart(6, '0')}${String(i).padStart(6, '0')}`;
    const grants: Obj[] = [];
    const read = new Set<string>();
    const write = new Set<string>();
    const grant = (who: { partner: string } | { group: string }, r: Right) => {
      grants.push({ ...who, ...r });
      const members = 'partner' in who ? [who.partner] : (groupMembers.get(who.group) ?? []);
      for (const m of members) {
        if (r.read) read.add(m);
        if (r.write) write.add(m);
      }
    };
    for (const g of groups) {
      const r = rng.pick(RIGHTS);
      if (r !== null) grant({ group: g.id }, r);
    }
    for (const p of active) {
      const r = rng.pick(RIGHTS);
      if (r !== null) grant({ partner: p.id }, r);
    }
    grant({ partner: 'suspended' }, { read: true, write: false });
    for (const p of rng.shuffle(active)) {
      if ([...write].filter((w) => w !== 'suspended').length >= 2) break;
      if (!write.has(p.id)) grant({ partner: p.id }, { read: rng.chance(0.5), write: true });
    }
    collections.push({ id, path: `/${ROOT}/collections/${id}/`, defaultTlp: rng.int(5) as Level, grants, readers: read, writers: write });
  }

  const writersOf = (c: Collection) => active.filter((p) => c.writers.has(p.id)).map((p) => p.id);
  const timestamp = (ms: number) => new Date(Date.UTC(2025, 0, 1) + ms).toISOString();

  // Recipients markings: each writer defines one or two in every collection it writes to; an
  // object references those of its collection (a definition elsewhere decides nothing).
  const markingPosts: Post[] = [];
  const markingsOf = new Map<string, { id: string; recipients: Recipients }[]>();
  for (const c of collections) {
    for (const w of writersOf(c)) {
      for (let k = 1 + rng.int(2); k > 0; k--) {
        const names = [...partners.map((p) => p.id), 'ghost'];
        let recipients: Recipients = { partners: rng.subset(names, 0.3), communities: rng.subset([...COMMUNITIES, 'five-eyes'], 0.3) };
        if (recipients.partners.length + recipients.communities.length === 0) recipients = { partners: [rng.pick(names)], communities: [] };
        const id = `marking-definition--${rng.uuid()}`;
        const created = timestamp(rng.int(1e9));
        const ext: Obj = { extension_type: 'property-extension' };
        if (recipients.partners.length > 0) ext['partners'] = recipients.partners;
        if (recipients.communities.length > 0) ext['communities'] = recipients.communities;
        const body: Obj = { type: 'marking-definition', spec_version: '2.1', id, created, name: `recipients of ${w}`, extensions: { [RECIPIENTS_EXT]: ext } };
        // A marking definition may itself be marked (L2), even RED: it stays readable by every reader (LR6).
        const marked = rng.chance(0.4) ? rng.pick(TLP_IDS) : undefined;
        if (marked !== undefined) body['object_marking_refs'] = [marked[0]];
        markingPosts.push({
          collection: c,
          partner: w,
          version: {
            collection: c.id, objectId: id, type: 'marking-definition', version: created, submittedBy: w, tlp: marked?.[1] ?? null,
            recipients: null, granular: null, refs: null, body, defines: recipients,
          },
        });
        markingsOf.set(`${w} ${c.id}`, [...(markingsOf.get(`${w} ${c.id}`) ?? []), { id, recipients }]);
      }
    }
  }

  /** Random markings for one version submitted by `who` into `c`. */
  const markings = (who: string, c: Collection) => {
    const refs: string[] = [];
    let tlp: Level | null = null;
    for (let n = rng.pick([0, 0, 1, 1, 1, 2]); n > 0; n--) {
      const [id, level] = rng.pick(TLP_IDS);
      if (!refs.includes(id)) refs.push(id);
      if (tlp === null || level > tlp) tlp = level;
    }
    let recipients: Recipients | null = null;
    const own = markingsOf.get(`${who} ${c.id}`) ?? [];
    if (own.length > 0 && ((tlp ?? c.defaultTlp) === RED || rng.chance(0.2))) {
      const m = rng.pick(own);
      refs.splice(rng.int(refs.length + 1), 0, m.id);
      recipients = m.recipients;
    }
    const granular = rng.chance(0.3) ? rng.pick(TLP_IDS) : undefined;
    return { refs, tlp, recipients, granular };
  };

  interface Draft {
    readonly collection: Collection;
    readonly id: string;
    readonly type: string;
    readonly owner: string;
    readonly versions: Post[];
  }
  const drafts: Draft[] = [];
  const build = (c: Collection, owner: string, type: string, id: string, base: (created: string) => Obj, refs: readonly string[] | null) => {
    const created = timestamp(rng.int(1e9));
    let modified = Date.parse(created);
    const versions: Post[] = [];
    for (let v = 1 + rng.int(3); v > 0; v--) {
      const submitter = rng.chance(0.12) ? rng.pick(writersOf(c)) : owner;
      const m = markings(submitter, c);
      const version = new Date(modified).toISOString();
      modified += 1 + rng.int(1e8);
      const body: Obj = { ...base(created), type, spec_version: '2.1', id, created, modified: version, description: `${type} ${versions.length + 1} of ${owner}` };
      if (m.refs.length > 0) body['object_marking_refs'] = m.refs;
      if (m.granular !== undefined) body['granular_markings'] = [{ selectors: ['description'], marking_ref: m.granular[0] }];
      versions.push({
        collection: c,
        partner: submitter,
        version: {
          collection: c.id, objectId: id, type, version, submittedBy: submitter, tlp: m.tlp, recipients: m.recipients,
          granular: m.granular?.[1] ?? null, refs, body,
        },
      });
    }
    drafts.push({ collection: c, id, type, owner, versions });
  };
  for (const c of collections) {
    for (const w of writersOf(c)) {
      for (let k = 2 + rng.int(3); k > 0; k--) {
        const type = rng.pick(['indicator', 'malware', 'identity']);
        const id = `${type}--${rng.uuid()}`;
        build(c, w, type, id, (created) =>
          type === 'indicator'
            ? { name: `ind ${id.slice(-4)}`, pattern: `[ipv4-addr:value = '198.51.100.${rng.int(250)}']`, pattern_type: 'stix', valid_from: created }
            : type === 'malware'
              ? { name: `mal ${id.slice(-4)}`, is_family: rng.chance(0.5) }
              : { name: `org ${id.slice(-4)}`, identity_class: 'organization' },
        null);
      }
    }
  }
  const sdos = drafts.map((d) => ({ id: d.id, collection: d.collection.id }));
  for (const c of collections) {
    const writers = writersOf(c);
    const here = sdos.filter((s) => s.collection === c.id).map((s) => s.id);
    const elsewhere = sdos.filter((s) => s.collection !== c.id).map((s) => s.id);
    const target = () =>
      rng.chance(0.8) || elsewhere.length === 0 ? rng.pick(here) : rng.chance(0.7) ? rng.pick(elsewhere) : `malware--${rng.uuid()}`;
    for (let k = 3 + rng.int(4); k > 0; k--) {
      const owner = rng.pick(writers);
      const source = target();
      const tgt = target();
      const id = `relationship--${rng.uuid()}`;
      build(c, owner, 'relationship', id, () => ({ relationship_type: rng.chance(0.5) ? 'related-to' : 'uses', source_ref: source, target_ref: tgt }), [source, tgt]);
    }
  }

  // Posting order: shuffled; versions of most objects keep modified order, the others not.
  const slots = rng.shuffle(drafts.flatMap((d) => d.versions.map((_, i) => ({ d, i }))));
  const inOrder = new Map(drafts.map((d) => [d.id, rng.chance(0.7)]));
  const positions = new Map<string, number[]>();
  slots.forEach((s, n) => positions.set(s.d.id, [...(positions.get(s.d.id) ?? []), n]));
  const firstPosts: Post[] = new Array<Post>(slots.length);
  for (const d of drafts) {
    const at = positions.get(d.id) ?? [];
    const order = inOrder.get(d.id) === true ? d.versions : rng.shuffle(d.versions);
    at.forEach((p, k) => {
      firstPosts[p] = order[k] as Post;
    });
  }
  // Re-posts: a writer posts a version already posted (same id and modified) later on, as it
  // is or with other content, sometimes under other markings. Whether it is a duplicate, a
  // conflict or a copy of its own depends on what that writer may see at the time.
  const placed = firstPosts.map((post, i) => ({ post, at: i }));
  firstPosts.forEach((original, i) => {
    if (!rng.chance(0.15)) return;
    const c = original.collection;
    const by = rng.pick(writersOf(c));
    const v = original.version;
    let version: Version = { ...v, submittedBy: by };
    if (rng.chance(0.4)) {
      const body: Obj = { ...v.body, description: `${String(v.body['description'])}, as ${by} tells it` };
      version = { ...version, body };
      if (rng.chance(0.5)) {
        const m = markings(by, c);
        delete body['object_marking_refs'];
        delete body['granular_markings'];
        if (m.refs.length > 0) body['object_marking_refs'] = m.refs;
        if (m.granular !== undefined) body['granular_markings'] = [{ selectors: ['description'], marking_ref: m.granular[0] }];
        version = { ...version, tlp: m.tlp, recipients: m.recipients, granular: m.granular?.[1] ?? null };
      }
    }
    placed.push({ post: { collection: c, partner: by, version }, at: i + 0.5 + rng.next() * (firstPosts.length - i) });
  });
  const objectPosts = placed.sort((a, b) => a.at - b.at).map((p) => p.post);

  const config: Obj = {
    server: { title: 'leak test', default_api_root: ROOT, page_size: { default: DEFAULT_PAGE, max: 50 }, credential_cache_seconds: 60, ...TEST_SERVER_LIMITS },
    auth: { basic: true },
    api_roots: [
      {
        id: ROOT,
        title: 'Alliance',
        max_content_length: 10485760,
        collections: collections.map((c, i) => ({ id: c.id, title: `collection ${i}`, default_tlp: LEVEL_NAMES[c.defaultTlp], grants: c.grants })),
      },
    ],
    groups: groups.map((g) => ({ id: g.id, members: g.members })),
    partners: partners.map((p) => ({
      id: p.id,
      name: `Partner ${p.id}`,
      status: p.status,
      clearance: LEVEL_NAMES[p.clearance],
      communities: p.communities,
      api_keys: [{ env: `LEAK_KEY_${p.id.toUpperCase()}` }],
    })),
  };
  const env: NodeJS.ProcessEnv = Object.fromEntries(partners.map((p) => [`LEAK_KEY_${p.id.toUpperCase()}`, p.key]));
  const keys = Object.fromEntries(partners.map((p) => [p.id, p.key]));
  const description = [
    ...partners.map((p) => `${p.id}: ${p.status}, clearance ${LEVEL_NAMES[p.clearance]}, communities [${p.communities.join(',')}]`),
    ...groups.map((g) => `${g.id}: [${g.members.join(',')}]`),
    ...collections.map(
      (c) => `${c.id}: default_tlp ${LEVEL_NAMES[c.defaultTlp]}, readers [${[...c.readers].sort().join(',')}], writers [${[...c.writers].sort().join(',')}]`,
    ),
  ].join('\n');
  return { seed, partners, collections, config, env, keys, markingPosts, objectPosts, description };
}

// ------------------------------------------------------------------ checking

class Findings {
  count = 0;
  checks = 0;
  constructor(
    private readonly t: Test,
    private readonly seed: number,
  ) {}
  ok(condition: boolean, message: () => string): void {
    this.checks++;
    if (condition) return;
    this.count++;
    if (this.count <= MAX_REPORTED) this.t.fail(`seed ${this.seed}: ${message()}`);
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

interface Selection {
  readonly ids?: readonly string[];
  readonly types?: readonly string[];
  readonly addedAfter?: number;
  /** default: last */
  readonly versions?: 'all' | { readonly first?: boolean; readonly last?: boolean; readonly at?: readonly string[] };
}

/** TAXII §7.4 over the rows a partner may see: what a server holding only those rows returns. */
function select(rows: readonly Row[], s: Selection): Row[] {
  const pool = rows.filter(
    (r) =>
      (s.ids === undefined || s.ids.includes(r.objectId)) &&
      (s.types === undefined || s.types.includes(r.type)) &&
      (s.addedAfter === undefined || r.dateAdded > s.addedAfter),
  );
  const sel = s.versions ?? { last: true };
  if (sel === 'all') return [...pool].sort((a, b) => a.dateAdded - b.dateAdded);
  const groups = new Map<string, Row[]>();
  for (const r of pool) groups.set(r.objectId, [...(groups.get(r.objectId) ?? []), r]);
  const picked: Row[] = [];
  for (const group of groups.values()) {
    const sorted = [...group].sort((a, b) => Date.parse(a.version) - Date.parse(b.version));
    sorted.forEach((r, i) => {
      if ((sel.first === true && i === 0) || (sel.last === true && i === sorted.length - 1) || (sel.at ?? []).includes(r.version)) picked.push(r);
    });
  }
  return picked.sort((a, b) => a.dateAdded - b.dateAdded);
}

/** An error body without its per-response error_id, for comparing two answers. */
function comparable(body: string): string {
  try {
    const parsed = JSON.parse(body) as Obj;
    delete parsed['error_id'];
    return JSON.stringify(parsed);
  } catch {
    return body;
  }
}

function url(path: string, params: Record<string, string>): string {
  const qs = new URLSearchParams(params).toString();
  return qs === '' ? path : `${path}?${qs}`;
}

function header(res: LightMyRequestResponse, name: string): string | undefined {
  const v = res.headers[name];
  return typeof v === 'string' ? v : undefined;
}

async function runRound(t: Test, seed: number): Promise<void> {
  const world = generateWorld(seed);
  const rng = new Rng(seed ^ 0x5eed);
  t.comment(`leak test round, seed ${seed} (replay: TAXII_LEAK_SEED=${seed} TAXII_LEAK_ROUNDS=1)`);
  const ctx: TestApp = await createAppWithConfig(world.config, world.env, { keys: world.keys });
  t.teardown(() => ctx.close());
  const findings = new Findings(t, seed);
  const started = Date.now();
  let requests = 0;

  // ---- posting, with what each post must answer: a server holding only what the poster may
  // see (its own posts, and, with a read grant, what its clearance allows) answers "added" for
  // a version not there, "already present" for a repeat, and a failure for other content.
  type Outcome = 'added' | 'duplicate' | 'conflict' | 'refused-red';
  const partnerById = new Map(world.partners.map((p) => [p.id, p]));
  const storedSoFar = new Map<string, Version[]>(world.collections.map((c) => [c.id, []]));
  const tally: Record<Outcome, number> = { added: 0, duplicate: 0, conflict: 0, 'refused-red': 0 };
  const expectOutcomes = (batch: readonly Post[]): Outcome[] => {
    const head = batch[0] as Post;
    const c = head.collection;
    const poster = partnerById.get(head.partner) as Partner;
    const before = [...(storedSoFar.get(c.id) ?? [])];
    const rowsOf = (id: string) => before.filter((v) => v.objectId === id);
    const seesBefore = (v: Version) => v.submittedBy === poster.id || (c.readers.has(poster.id) && mayRead(poster, c, v, rowsOf));
    const added: Version[] = [];
    // Recipients markings resolve to the definition in this collection the poster may see
    // (the earliest), else one defined earlier in the same envelope.
    const definitionOf = (id: string) =>
      (before.find((x) => x.objectId === id && seesBefore(x)) ?? batch.map((b) => b.version).find((x) => x.objectId === id))?.defines;
    const outcomes = batch.map((p): Outcome => {
      const posted = p.version;
      const refs = Array.isArray(posted.body['object_marking_refs']) ? (posted.body['object_marking_refs'] as string[]) : [];
      const recipients = refs.map(definitionOf).find((r) => r !== undefined) ?? null;
      if (posted.type !== 'marking-definition' && (posted.tlp ?? c.defaultTlp) === RED && recipients === null) return 'refused-red';
      const v: Version = { ...posted, recipients };
      const same = (x: Version) => x.objectId === v.objectId && Date.parse(x.version) === Date.parse(v.version);
      const first = before.find((x) => same(x) && seesBefore(x)) ?? added.find(same);
      if (first !== undefined) return isDeepStrictEqual(first.body, v.body) ? 'duplicate' : 'conflict';
      added.push(v);
      storedSoFar.get(c.id)?.push(v);
      return 'added';
    });
    for (const o of outcomes) tally[o]++;
    return outcomes;
  };
  const postAll = async (posts: readonly Post[]) => {
    let n = 0;
    while (n < posts.length) {
      const head = posts[n] as Post;
      let end = n + 1;
      const size = 1 + rng.int(4);
      while (end < posts.length && end - n < size && posts[end]?.collection === head.collection && posts[end]?.partner === head.partner) end++;
      const batch = posts.slice(n, end);
      const expected = expectOutcomes(batch);
      const res = await ctx.post(head.partner, head.collection.path, batch.map((p) => p.version.body));
      if (res.statusCode !== 202) throw new Error(`seed ${seed}: setup POST by ${head.partner} to ${head.collection.id} failed: ${res.statusCode} ${res.body}`);
      type Detail = { id: string; version: string; message?: string };
      const status = res.json() as { successes?: Detail[]; failures?: Detail[] };
      const told = (d: Detail, ok: boolean): string =>
        `${d.id} ${d.version} ${ok ? (/already present/.test(d.message ?? '') ? 'duplicate' : 'added') : /already stored with different content/.test(d.message ?? '') ? 'conflict' : /needs a recipients marking/.test(d.message ?? '') ? 'refused-red' : `refused: ${d.message ?? ''}`}`;
      const got = [...(status.successes ?? []).map((d) => told(d, true)), ...(status.failures ?? []).map((d) => told(d, false))].sort();
      const want = batch.map((p, i) => `${p.version.objectId} ${p.version.version} ${expected[i] as Outcome}`).sort();
      findings.ok(same(got, want), () => `POST by ${head.partner} to ${head.collection.id}: status\n    got  ${got.join('\n         ')}\n    want ${want.join('\n         ')}`);
      n = end;
    }
  };
  await postAll(world.markingPosts);
  await postAll(world.objectPosts);
  const keysPosted = new Set(world.objectPosts.map((p) => `${p.collection.id} ${keyOf(p.version.objectId, p.version.version)}`)).size;
  const reposts = `${world.objectPosts.length - keysPosted} re-posts: ${tally.duplicate} duplicates, ${tally.conflict} conflicts, ` +
    `${tally.added - world.markingPosts.length - keysPosted} stored as the poster's own copy, ` +
    `${tally['refused-red']} RED refused (no recipients marking the poster may see)`;

  // ---- the stored rows (every copy), with date_added, read from the table: they must be the posts answered "added", in order
  const rowsByCollection = new Map<string, Row[]>();
  for (const c of world.collections) {
    const tableRows = await ctx.testDb.db.query<{ object_id: string; version: string; submitted_by: string; date_added: unknown; raw: string }>(
      'SELECT object_id, version, submitted_by, date_added, raw FROM object_versions WHERE collection_id = $1::uuid ORDER BY date_added',
      [c.id],
    );
    const expected = storedSoFar.get(c.id) ?? [];
    const rows: Row[] = tableRows.map((m, i) => {
      const f = expected[i];
      if (f === undefined || f.objectId !== m.object_id || f.version !== m.version || f.submittedBy !== m.submitted_by || !isDeepStrictEqual(JSON.parse(m.raw), f.body)) {
        throw new Error(`seed ${seed}: stored row ${i} of ${c.id} is ${m.object_id} ${m.version} by ${m.submitted_by}; expected ${f === undefined ? 'none' : `${f.objectId} ${f.version} by ${f.submittedBy}`}`);
      }
      return { ...f, dateAdded: Number(m.date_added), key: keyOf(m.object_id, m.version) };
    });
    if (rows.length !== expected.length) throw new Error(`seed ${seed}: ${c.id} holds ${rows.length} versions, ${expected.length} were added`);
    rowsByCollection.set(c.id, rows);
  }
  // The read-only STIX definitions collection every API root serves to whoever holds a grant in it.
  const definitions: Collection = {
    id: definitionsCollectionId(ROOT),
    path: `/${ROOT}/collections/${definitionsCollectionId(ROOT)}/`,
    defaultTlp: 0,
    grants: [],
    readers: new Set(world.partners.filter((p) => world.collections.some((c) => c.readers.has(p.id) || c.writers.has(p.id))).map((p) => p.id)),
    writers: new Set(),
  };
  const stored = await ctx.store.objects.listObjects(definitions.id, { filter: { versions: { all: true } }, limit: 100000 }, null);
  rowsByCollection.set(
    definitions.id,
    stored.items.map((item) => {
      const body = JSON.parse(item.raw) as Obj;
      const refs = Array.isArray(body['object_marking_refs']) ? (body['object_marking_refs'] as unknown[]) : [];
      const levels = TLP_IDS.filter(([id]) => refs.includes(id)).map(([, level]) => level);
      const version = String(body['modified'] ?? body['created']);
      const objectId = String(body['id']);
      return {
        collection: definitions.id, objectId, type: String(body['type']), version, submittedBy: item.submittedBy,
        tlp: levels.length === 0 ? null : (Math.max(...levels) as Level), recipients: null, granular: null, refs: null, body,
        dateAdded: item.dateAdded, key: keyOf(objectId, version),
      };
    }),
  );
  findings.ok(stored.items.length > 0, () => `the definitions collection ${definitions.id} is empty`);
  const collections = [...world.collections, definitions];

  t.comment(`seed ${seed}: world\n${world.description}\nstored versions per collection: ${world.collections.map((c) => rowsByCollection.get(c.id)?.length ?? 0).join(', ')}; ${reposts}`);

  const describeRow = (r: Version, c: Collection) =>
    `${r.objectId} v${r.version} (${r.type}, by ${r.submittedBy}, tlp ${r.tlp === null ? `unmarked→${LEVEL_NAMES[c.defaultTlp]}` : LEVEL_NAMES[r.tlp]}, ` +
    `recipients ${r.recipients === null ? 'none' : JSON.stringify(r.recipients)}, granular ${r.granular === null ? 'none' : LEVEL_NAMES[r.granular]}, ` +
    `refs ${r.refs === null ? 'none' : r.refs.join(',')})`;
  const describeReader = (p: Partner) => `${p.id} (clearance ${LEVEL_NAMES[p.clearance]}, communities [${p.communities.join(',')}])`;

  const unknownId = `indicator--${rng.uuid()}`;

  for (const reader of world.partners) {
    // The collections list names exactly the collections the partner holds a grant on, with its rights.
    const granted = collections
      .filter((c) => c.readers.has(reader.id) || c.writers.has(reader.id))
      .map((c) => ({ id: c.id, can_read: c.readers.has(reader.id), can_write: c.writers.has(reader.id) }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const listing = await ctx.request(reader.id, { url: `/${ROOT}/collections/` });
    requests++;
    const expectedStatus = reader.status === 'suspended' ? 401 : granted.length === 0 ? 404 : 200;
    const listed = listing.statusCode === 200 ? ((listing.json() as { collections?: Obj[] }).collections ?? []) : [];
    findings.ok(
      listing.statusCode === expectedStatus &&
        same(listed.map((c) => ({ id: c['id'], can_read: c['can_read'], can_write: c['can_write'] })).sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1)), expectedStatus === 200 ? granted : []),
      () => `${describeReader(reader)}: GET /${ROOT}/collections/ answered ${listing.statusCode} ${listing.body.slice(0, 400)}; expected ${expectedStatus} with ${JSON.stringify(granted)}`,
    );
    for (const c of collections) {
      const rows = rowsByCollection.get(c.id) ?? [];
      const byId = new Map<string, Row[]>();
      for (const r of rows) byId.set(r.objectId, [...(byId.get(r.objectId) ?? []), r]);
      const rowsOf = (id: string) => byId.get(id) ?? [];
      const allIds = [...byId.keys()];
      const canRead = reader.status === 'active' && c.readers.has(reader.id);
      // A version stored more than once (re-posted by a partner that could not see it) is served
      // once, as the earliest copy the reader may see: what a server that had received only
      // those copies would hold.
      const visible: Row[] = [];
      const byKey = new Map<string, Row>();
      for (const r of canRead ? rows.filter((r) => mayRead(reader, c, r, rowsOf)) : []) {
        if (byKey.has(r.key)) continue;
        byKey.set(r.key, r);
        visible.push(r);
      }
      for (const r of rows) if (!byKey.has(r.key)) byKey.set(r.key, r);
      const visibleKeys = new Set(visible.map((r) => r.key));
      const visibleIds = new Set(visible.map((r) => r.objectId));
      const hiddenIds = allIds.filter((id) => !visibleIds.has(id));
      // A partner's own relationship may name an object hidden from it: that id is in content it may see.
      const mentioned = new Set(hiddenIds.filter((id) => visible.some((r) => JSON.stringify(r.body).includes(id))));
      const where = `${describeReader(reader)} on ${c.id} (default_tlp ${LEVEL_NAMES[c.defaultTlp]})`;

      /** (c) no id the reader may not see, unless the request named it. */
      const noLeak = (res: LightMyRequestResponse, requestUrl: string) => {
        for (const id of hiddenIds) {
          if (requestUrl.includes(id) || mentioned.has(id)) continue;
          findings.ok(!res.body.includes(id), () => `${where}: GET ${requestUrl} answered ${res.statusCode} naming hidden ${id}: ${res.body.slice(0, 300)}\n  hidden: ${rowsOf(id).map((r) => describeRow(r, c)).join('\n  hidden: ')}`);
        }
      };
      const get = async (requestUrl: string) => {
        requests++;
        const res = await ctx.request(reader.id, { url: requestUrl });
        noLeak(res, requestUrl);
        return res;
      };

      if (!canRead) {
        const expected = reader.status === 'suspended' ? 401 : c.writers.has(reader.id) ? 403 : 404;
        const some = [...rng.subset(allIds, 0.2), unknownId];
        const paths = [`${c.path}objects/`, `${c.path}manifest/`, ...some.flatMap((id) => [`${c.path}objects/${id}/`, `${c.path}objects/${id}/versions/`])];
        for (const p of paths) {
          const res = await get(p);
          findings.ok(res.statusCode === expected, () => `${where}: GET ${p} is ${res.statusCode}, expected ${expected} (no read grant / ${reader.status}): ${res.body.slice(0, 200)}`);
        }
        continue;
      }

      type Kind = 'objects' | 'manifest' | 'object' | 'versions';
      /** Walks one query with `next`; compares every page with the expected rows. Returns the rows received. */
      const walk = async (kind: Kind, path: string, params: Record<string, string>, limit: number | undefined, expected: readonly Row[], objectId?: string): Promise<Row[]> => {
        const pageSize = limit ?? DEFAULT_PAGE;
        const bareNext = rng.chance(0.3);
        const name = `${where}: ${kind} ${url(path, params)} limit=${String(limit)}`;
        const received: Row[] = [];
        let next: string | undefined;
        for (let pageNo = 1; ; pageNo++) {
          const query = { ...(next === undefined || !bareNext ? params : {}), ...(limit !== undefined && { limit: String(limit) }), ...(next !== undefined && { next }) };
          const requestUrl = url(path, query);
          const res = await get(requestUrl);
          const label = `${name} page ${pageNo}`;
          if (res.statusCode !== 200) {
            findings.ok(false, () => `${label}: status ${res.statusCode}, expected 200: ${res.body.slice(0, 300)}`);
            return received;
          }
          const body = res.json() as Obj;
          const items: Row[] = [];
          const took = (key: string, what: string, check?: (r: Row) => void) => {
            const row = byKey.get(key);
            findings.ok(row !== undefined, () => `${label}: ${what} ${key} is not a stored version`);
            if (row === undefined) return;
            findings.ok(visibleKeys.has(key), () => `${label}: LEAK (a): returned ${describeRow(row, c)}, which ${reader.id} may not see`);
            check?.(row);
            items.push(row);
          };
          if (kind === 'objects' || kind === 'object') {
            for (const o of (body['objects'] as Obj[] | undefined) ?? []) {
              const id = String(o['id']);
              const version = String(o['modified'] ?? o['created']);
              took(keyOf(id, version), 'object', (row) =>
                findings.ok(isDeepStrictEqual(o, row.body), () => `${label}: ${row.key} differs from what was posted: ${JSON.stringify(o)}`),
              );
            }
          } else if (kind === 'manifest') {
            for (const m of (body['objects'] as Obj[] | undefined) ?? []) {
              took(keyOf(String(m['id']), String(m['version'])), 'manifest record', (row) =>
                findings.ok(m['date_added'] === formatMicros(row.dateAdded), () => `${label}: manifest ${row.key} date_added ${String(m['date_added'])}, stored ${formatMicros(row.dateAdded)}`),
              );
            }
          } else {
            for (const v of (body['versions'] as string[] | undefined) ?? []) took(keyOf(objectId ?? '', v), 'version');
          }
          const want = expected.slice(received.length, received.length + pageSize);
          findings.ok(same(items.map((r) => r.key), want.map((r) => r.key)), () =>
            `${label}: items\n    got  [${items.map((r) => r.key).join(', ')}]\n    want [${want.map((r) => r.key).join(', ')}]\n  ` +
            `rows of the object(s): ${[...new Set([...items, ...want].map((r) => r.objectId))].flatMap((id) => rowsOf(id).map((r) => `\n    ${visibleKeys.has(r.key) ? 'visible' : 'hidden '} ${describeRow(r, c)} added ${formatMicros(r.dateAdded)}`)).join('')}`,
          );
          const first = items[0];
          const last = items[items.length - 1];
          const headers = [header(res, 'x-taxii-date-added-first'), header(res, 'x-taxii-date-added-last')];
          if (first !== undefined && last !== undefined) {
            findings.ok(same(headers, [formatMicros(first.dateAdded), formatMicros(last.dateAdded)]), () => `${label}: X-TAXII-Date-Added-First/Last ${headers.join(' / ')}, items added ${formatMicros(first.dateAdded)} … ${formatMicros(last.dateAdded)}`);
          } else {
            findings.ok(headers[0] === undefined && headers[1] === undefined, () => `${label}: empty page with date headers ${headers.join(' / ')}`);
            findings.ok(res.body === '{}', () => `${label}: empty page is not {}: ${res.body.slice(0, 200)}`);
          }
          received.push(...items);
          const moreWanted = expected.length > received.length;
          findings.ok((body['more'] === true) === moreWanted, () => `${label}: more=${String(body['more'])}, expected ${String(moreWanted)} (${received.length} of ${expected.length} received)`);
          if (body['more'] !== true) {
            findings.ok(!('more' in body) && !('next' in body), () => `${label}: last page carries more/next: ${res.body.slice(0, 200)}`);
            break;
          }
          if (typeof body['next'] !== 'string' || pageNo > expected.length + 1) {
            findings.ok(false, () => `${label}: more without next, or too many pages`);
            break;
          }
          next = body['next'];
        }
        findings.ok(same(received.map((r) => r.key), expected.map((r) => r.key)), () => `${name}: the walk returned ${received.length} items, expected ${expected.length}`);
        return received;
      };

      // Unfiltered walks: pages of 5 and the default on both endpoints, 1 on one and 2 on the other;
      // filtered walks: one random page size each (time budget).
      const sizes = (all: boolean, kind: 'objects' | 'manifest', small: 1 | 2): (number | undefined)[] =>
        all ? [kind === 'objects' ? small : small === 1 ? 2 : 1, 5, undefined] : [rng.pick([1, 2, 5, undefined])];

      // ---- objects and manifest with every filter
      const sorted = [...rows].sort((a, b) => a.dateAdded - b.dateAdded);
      const middle = (sorted[Math.floor(sorted.length / 2)] as Row).dateAdded;
      const idMix = rng.shuffle([...rng.subset([...visibleIds], 0.4), ...rng.subset(hiddenIds, 0.6), unknownId]).slice(0, 12);
      const types = rng.subset(['indicator', 'malware', 'identity', 'relationship', 'marking-definition'], 0.5);
      if (types.length === 0) types.push('relationship');
      const stamps = rng.shuffle([...rng.subset(rows.filter((r) => visibleKeys.has(r.key)), 0.2), ...rng.subset(rows.filter((r) => !visibleKeys.has(r.key)), 0.4)]).slice(0, 10).map((r) => r.version);
      const queries: { params: Record<string, string>; sel: Selection; all?: boolean }[] = [
        { params: {}, sel: {}, all: true },
        { params: { 'match[version]': 'all' }, sel: { versions: 'all' }, all: true },
        { params: { 'match[version]': 'first' }, sel: { versions: { first: true } } },
        { params: { 'match[version]': 'last' }, sel: { versions: { last: true } } },
        { params: { 'match[version]': 'first,last' }, sel: { versions: { first: true, last: true } } },
        { params: { 'match[type]': types.join(',') }, sel: { types } },
        { params: { 'match[type]': types.join(','), 'match[version]': 'all' }, sel: { types, versions: 'all' } },
        { params: { 'match[id]': idMix.join(',') }, sel: { ids: idMix } },
        { params: { 'match[id]': idMix.join(','), 'match[version]': 'all' }, sel: { ids: idMix, versions: 'all' } },
        { params: { 'match[id]': idMix.join(','), 'match[version]': 'first' }, sel: { ids: idMix, versions: { first: true } } },
        { params: { added_after: formatMicros(middle) }, sel: { addedAfter: middle } },
        { params: { added_after: formatMicros(middle), 'match[version]': 'first' }, sel: { addedAfter: middle, versions: { first: true } } },
        { params: { added_after: formatMicros(middle), 'match[version]': 'all' }, sel: { addedAfter: middle, versions: 'all' } },
        { params: { added_after: formatMicros(middle), 'match[type]': types.join(','), 'match[version]': 'last' }, sel: { addedAfter: middle, types, versions: { last: true } } },
      ];
      if (stamps.length > 0) {
        queries.push({ params: { 'match[version]': stamps.join(',') }, sel: { versions: { at: stamps } } });
        queries.push({ params: { 'match[version]': `first,${stamps.join(',')}` }, sel: { versions: { first: true, at: stamps } } });
      }
      const reached = new Set<string>();
      for (const q of queries) {
        const expected = select(visible, q.sel);
        const small = rng.pick([1, 2] as const);
        for (const kind of ['objects', 'manifest'] as const) {
          for (const limit of sizes(q.all === true, kind, small)) {
            const got = await walk(kind, `${c.path}${kind}/`, q.params, limit, expected);
            if (q.sel.versions === 'all' && q.sel.ids === undefined && q.sel.types === undefined && q.sel.addedAfter === undefined) {
              for (const r of got) reached.add(r.key);
            }
          }
        }
      }
      // (b) every visible version is reachable.
      const unreached = visible.filter((r) => !reached.has(r.key));
      findings.ok(unreached.length === 0 && reached.size === visible.length, () =>
        `${where}: (b) ${unreached.length} visible versions never returned by match[version]=all, e.g. ${unreached.slice(0, 3).map((r) => describeRow(r, c)).join('; ')}; ${reached.size} reached, ${visible.length} visible`,
      );

      // ---- get-an-object and versions for every id, visible or not, and one never stored
      const lastAdded = (sorted[sorted.length - 1] as Row).dateAdded;
      const notFound = await get(`${c.path}objects/${unknownId}/`);
      const notFoundVersions = await get(`${c.path}objects/${unknownId}/versions/`);
      findings.ok(notFound.statusCode === 404 && notFoundVersions.statusCode === 404, () => `${where}: unknown id answered ${notFound.statusCode}/${notFoundVersions.statusCode}`);
      // The definitions collection is the same for every reader: a few of its ids suffice.
      const ids = c === definitions ? rng.shuffle(allIds).slice(0, 3) : allIds;
      for (const id of [...ids, unknownId]) {
        const objectPath = `${c.path}objects/${id}/`;
        if (!visibleIds.has(id)) {
          for (const [p, reference] of [
            [objectPath, notFound],
            [`${objectPath}versions/`, notFoundVersions],
            [url(objectPath, { 'match[version]': 'all', limit: '1' }), notFound],
          ] as const) {
            const res = await get(p);
            const alike = comparable(res.body.split(id).join(unknownId));
            findings.ok(res.statusCode === 404 && alike === comparable(reference.body), () =>
              `${where}: GET ${p} of an object with no visible version answered ${res.statusCode} ${res.body.slice(0, 300)}; ` +
              `a never-stored id answers ${reference.statusCode} ${reference.body.slice(0, 300)}\n  rows: ${rowsOf(id).map((r) => describeRow(r, c)).join('\n  rows: ')}`,
            );
          }
          continue;
        }
        const limit = rng.pick([1, 2, 5, undefined]);
        await walk('object', objectPath, {}, limit, select(visible, { ids: [id] }));
        await walk('object', objectPath, { 'match[version]': 'all' }, rng.pick([1, 2, 5]), select(visible, { ids: [id], versions: 'all' }));
        if (rng.chance(0.3)) await walk('object', objectPath, { 'match[version]': 'first' }, limit, select(visible, { ids: [id], versions: { first: true } }));
        if (rng.chance(0.3)) await walk('object', objectPath, { added_after: formatMicros(middle), 'match[version]': 'first' }, limit, select(visible, { ids: [id], addedAfter: middle, versions: { first: true } }));
        // Visible versions exist but none is selected: 200 {}, not 404.
        if (rng.chance(0.3)) await walk('object', objectPath, { added_after: formatMicros(lastAdded) }, undefined, []);
        await walk('versions', `${objectPath}versions/`, {}, rng.pick([1, 2, 5, undefined]), select(visible, { ids: [id], versions: 'all' }), id);
      }
      if (rng.chance(0.5)) t.comment(`seed ${seed}: ${where}: ${visible.length}/${rows.length} versions visible, ${hiddenIds.length} ids hidden`);
    }
  }
  t.comment(`seed ${seed}: ${findings.checks} checks, ${requests} requests in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.equal(findings.count, 0, `seed ${seed}: every answer equals that of a server holding only the visible data (${findings.checks} checks)`);
}

for (let r = 0; r < ROUNDS; r++) {
  const seed = BASE_SEED + r;
  await t.test(`leak test, seed ${seed}`, async (t) => runRound(t, seed));
}
