/**
 * The policy cost without the benchmark's harness: a process of its own walks
 * the collection as the all-seeing and the half-seeing reader, in back-to-back
 * pairs whose order alternates, at two levels:
 *
 * - store: the server's page query (`listObjectsJoined`), straight on the database;
 * - application: the real application (`buildApp`, the server's configuration,
 *   authentication, routing, cursors, envelopes) through `inject()`, without
 *   sockets or a second process.
 *
 * It measures the audit trail's cost with two applications on the same database,
 * one recording every page it serves and one with `server.audit.enabled: false`:
 * the all-seeing reader walks the collection with each page served by the other
 * application than the one before (the `next` token is good for both), so the two
 * share every moment's cache, checkpoints and neighbours' load; the walks alternate
 * which one serves the first page. Pages of 1,000 (a full sync) and of 100 (polling).
 *
 *   node dist/bench/policy-walks.js TASK.json
 *
 * prints one JSON result on stdout. Run by bench/run.ts after the HTTP phases,
 * with the server under test stopped.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/load-config.js';
import { openDb } from '../src/store/db.js';
import { createStore } from '../src/store/index.js';
import { getOrCreateSecret } from '../src/store/secrets.js';
import type { ReadScope } from '../src/policy/read-scope.js';
import type { Credentials } from './load.js';
import { median } from './statistics.js';

export interface PolicyWalksTask {
  readonly databaseUrl: string;
  readonly configPath: string;
  readonly apiRoot: string;
  readonly collectionId: string;
  readonly page: number;
  readonly pairs: number;
  readonly readers: { readonly all: Reader; readonly half: Reader };
}

interface Reader {
  readonly credentials: Credentials;
  readonly scope: ReadScope;
}

export interface PairResult {
  /** 1 − (half-seeing objects/s ÷ all-seeing objects/s), one per pair. */
  readonly pairs: number[];
  readonly median: number;
  /** Median milliseconds per 1,000 objects served, per reader. */
  readonly msPer1000: { readonly all: number; readonly half: number };
}

export interface AuditPairResult {
  /** 1 − (ms per object without the audit ÷ with it), one per interleaved walk. */
  readonly pairs: number[];
  readonly median: number;
  readonly msPer1000: { readonly on: number; readonly off: number };
}

export interface PolicyWalksResult {
  readonly store: PairResult;
  readonly application: PairResult;
  readonly audit: { readonly page1000: AuditPairResult; readonly page100: AuditPairResult };
}

/**
 * Walks in pairs whose order alternates, after one warm-up walk of each; `walk`
 * returns milliseconds per object served. Cost: 1 − cheap/dear, per pair.
 */
async function pairsOf<K extends string>(pairs: number, [cheap, dear]: readonly [K, K], walk: (variant: K) => Promise<number>) {
  await walk(cheap);
  await walk(dear);
  const costs: number[] = [];
  const ms = { [cheap]: [] as number[], [dear]: [] as number[] } as Record<K, number[]>;
  for (let round = 0; round < pairs; round += 1) {
    const order = round % 2 === 0 ? [dear, cheap] : [cheap, dear];
    for (const variant of order) ms[variant].push(await walk(variant));
    costs.push(1 - (ms[cheap][round] as number) / (ms[dear][round] as number));
  }
  return { pairs: costs, median: median(costs), ms: { cheap: median(ms[cheap]) * 1000, dear: median(ms[dear]) * 1000 } };
}

async function inPairs(pairs: number, walk: (reader: 'all' | 'half') => Promise<number>): Promise<PairResult> {
  const r = await pairsOf(pairs, ['all', 'half'] as const, walk);
  return { pairs: r.pairs, median: r.median, msPer1000: { all: r.ms.cheap, half: r.ms.dear } };
}

type App = Awaited<ReturnType<typeof buildApp>>;

/**
 * One walk whose pages are served in turn by `on` and `off` (`first` serves the
 * first page); returns milliseconds per object served by each.
 */
async function interleavedWalk(apps: { on: App; off: App }, first: 'on' | 'off', base: string, credentials: Credentials) {
  const { user, password } = credentials;
  const headers = { accept: 'application/taxii+json;version=2.1', authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
  const spent = { on: { ms: 0, objects: 0 }, off: { ms: 0, objects: 0 } };
  let variant = first;
  let next: string | undefined;
  for (;;) {
    const started = performance.now();
    const res = await apps[variant].inject({ url: next === undefined ? base : `${base}&next=${encodeURIComponent(next)}`, headers });
    spent[variant].ms += performance.now() - started;
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${res.body.slice(0, 300)}`);
    const body = res.json() as { objects?: unknown[]; more?: boolean; next?: string };
    spent[variant].objects += body.objects?.length ?? 0;
    if (body.more !== true) break;
    next = body.next;
    variant = variant === 'on' ? 'off' : 'on';
  }
  return { on: spent.on.ms / spent.on.objects, off: spent.off.ms / spent.off.objects };
}

/** Interleaved walks (after one to warm up), alternating which application serves first. */
async function auditWalks(walks: number, apps: { on: App; off: App }, base: string, credentials: Credentials): Promise<AuditPairResult> {
  await interleavedWalk(apps, 'on', base, credentials);
  const results = [];
  for (let walk = 0; walk < walks; walk += 1) results.push(await interleavedWalk(apps, walk % 2 === 0 ? 'on' : 'off', base, credentials));
  const costs = results.map((r) => 1 - r.off / r.on);
  return {
    pairs: costs,
    median: median(costs),
    msPer1000: { on: median(results.map((r) => r.on)) * 1000, off: median(results.map((r) => r.off)) * 1000 },
  };
}

/** Walks every page through `inject()`; returns milliseconds per object served. */
async function injectWalk(app: App, base: string, credentials: Credentials): Promise<number> {
  const { user, password } = credentials;
  const headers = { accept: 'application/taxii+json;version=2.1', authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
  const started = performance.now();
  let served = 0;
  let next: string | undefined;
  for (;;) {
    const res = await app.inject({ url: next === undefined ? base : `${base}&next=${encodeURIComponent(next)}`, headers });
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${res.body.slice(0, 300)}`);
    const body = res.json() as { objects?: unknown[]; more?: boolean; next?: string };
    served += body.objects?.length ?? 0;
    if (body.more !== true) break;
    next = body.next;
  }
  return (performance.now() - started) / served;
}

async function main(task: PolicyWalksTask): Promise<PolicyWalksResult> {
  const db = await openDb({ databaseUrl: task.databaseUrl, poolSize: 4 });
  try {
    const store = createStore(db);
    const storeResult = await inPairs(task.pairs, async (reader) => {
      const started = performance.now();
      let served = 0;
      let after: number | undefined;
      for (;;) {
        const page = await store.objects.listObjectsJoined(
          task.collectionId,
          { filter: { versions: { all: true } }, limit: task.page, ...(after !== undefined && { after }) },
          task.readers[reader].scope,
        );
        if (page === undefined) throw new Error('a benchmark page needed redaction');
        served += page.count;
        if (!page.more) break;
        after = page.last;
      }
      return (performance.now() - started) / served;
    });

    const config = await loadConfig(task.configPath);
    const cursorSecret = await getOrCreateSecret(db, 'cursor-hmac');
    const app = await buildApp({ config, store, cursorSecret });
    const unaudited = await buildApp({
      config: { ...config, server: { ...config.server, audit: { ...config.server.audit, enabled: false } } }, store, cursorSecret,
    });
    try {
      const objects = `/${task.apiRoot}/collections/${task.collectionId}/objects/?match[version]=all`;
      const applicationResult = await inPairs(task.pairs, (reader) => injectWalk(app, `${objects}&limit=${task.page}`, task.readers[reader].credentials));
      const audited = (limit: number) => auditWalks(task.pairs, { on: app, off: unaudited }, `${objects}&limit=${limit}`, task.readers.all.credentials);
      return { store: storeResult, application: applicationResult, audit: { page1000: await audited(1000), page100: await audited(100) } };
    } finally {
      await app.close();
      await unaudited.close();
    }
  } finally {
    await db.close();
  }
}

const task = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as PolicyWalksTask;
process.stdout.write(`${JSON.stringify(await main(task))}\n`);
