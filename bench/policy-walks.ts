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

export interface PolicyWalksResult {
  readonly store: PairResult;
  readonly application: PairResult;
}

/** Walks in pairs; `walk` returns milliseconds per object served. */
async function inPairs(pairs: number, walk: (reader: 'all' | 'half') => Promise<number>): Promise<PairResult> {
  await walk('all');
  await walk('half');
  const costs: number[] = [];
  const ms = { all: [] as number[], half: [] as number[] };
  for (let round = 0; round < pairs; round += 1) {
    const order: ('all' | 'half')[] = round % 2 === 0 ? ['half', 'all'] : ['all', 'half'];
    for (const reader of order) ms[reader].push(await walk(reader));
    costs.push(1 - (ms.all[round] as number) / (ms.half[round] as number));
  }
  return { pairs: costs, median: median(costs), msPer1000: { all: median(ms.all) * 1000, half: median(ms.half) * 1000 } };
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
    const app = await buildApp({ config, store, cursorSecret: await getOrCreateSecret(db, 'cursor-hmac') });
    try {
      const base = `/${task.apiRoot}/collections/${task.collectionId}/objects/?match[version]=all&limit=${task.page}`;
      const applicationResult = await inPairs(task.pairs, async (reader) => {
        const { user, password } = task.readers[reader].credentials;
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
      });
      return { store: storeResult, application: applicationResult };
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
  }
}

const task = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as PolicyWalksTask;
process.stdout.write(`${JSON.stringify(await main(task))}\n`);
