/**
 * The benchmark (`npm run bench`): the production server, started from its own
 * entry point, measured over HTTP by a load generator in another process, next
 * to raw PostgreSQL doing the same work in the same run. It prints a table and
 * writes the figures as JSON. A measurement, not a test: nothing here fails on a
 * slow machine.
 *
 *   npm run bench -- [--objects 100000] [--pglite-objects 20000] [--seconds 10]
 *                    [--database-url postgres://postgres@127.0.0.1:5432/postgres]
 *                    [--workers 1] [--seed 1] [--policy-pairs 5] [--audit-pairs 3] [--out bench-results.json]
 *                    [--keep-database]
 *
 * --database-url names a server and a database to connect to for CREATE
 * DATABASE; the benchmark works in a throwaway database of its own and drops it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { hashApiKey } from '../src/config/api-keys.js';
import { PROJECT_ROOT } from '../src/paths.js';
import { levelOf } from '../src/stix/tlp.js';
import { admin } from '../test/helpers/database.js';
import { buildCorpus, SEE_ALL_PARTNER, type Corpus } from './corpus.js';
import type { Credentials, LoadTask } from './load.js';
import type { PolicyWalksResult, PolicyWalksTask } from './policy-walks.js';
import { serverCommand } from './server-command.js';
import { median } from './statistics.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const options = {
  objects: Number(arg('objects', '100000')),
  pgliteObjects: Number(arg('pglite-objects', '20000')),
  seconds: Number(arg('seconds', '10')),
  databaseUrl: arg('database-url', process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres'),
  workers: arg('workers', '1'),
  seed: Number(arg('seed', '1')),
  out: resolve(arg('out', 'bench-results.json')),
  envelope: Number(arg('envelope', '1000')),
  /** Back-to-back walks of the half-seeing and the all-seeing reader for the policy cost. */
  policyPairs: Math.max(1, Number(arg('policy-pairs', '5'))),
  /** Back-to-back runs with the audit trail on and off (PostgreSQL) for its cost. */
  auditPairs: Math.max(0, Number(arg('audit-pairs', '3'))),
  /** Keep the PostgreSQL database afterwards (for profiling queries); its name is printed. */
  keepDatabase: process.argv.includes('--keep-database'),
};

const COLLECTION = '3f9c2b7e-5a14-4c6b-8e2d-7f1a9b0c4d3e';
const POLLERS = 32;
/** Posts the corpus; readers are other partners, so every read goes through the policy. */
const WRITER = 'bench-writer';
const PAGE = 1000;
const dist = join(PROJECT_ROOT, 'dist');
const work = mkdtempSync(join(tmpdir(), 'taxii-bench-'));

const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

// ---------------------------------------------------------------------------
// Set-up: partners, configuration, corpus on disk

function keyOf(partner: string): string {
  return `bench-key-${partner}-0001`;
}

const as = (user: string): Credentials => ({ user, password: keyOf(user) });
const pollerIds = Array.from({ length: POLLERS }, (_, i) => `poller-${String(i + 1).padStart(2, '0')}`);

/** The benchmark's configuration; `audit: false` turns the audit trail off, for its cost. */
async function writeConfig(audit = true): Promise<string> {
  const partner = async (id: string, clearance: string, communities: string[] = []) => ({
    id, name: id, clearance, communities, api_keys: [{ hash: await hashApiKey(keyOf(id)) }],
  });
  const config = {
    // The benchmark measures the server, not its rate limiter.
    server: {
      title: 'taxii-exchange benchmark', default_api_root: 'bench', page_size: { default: 100, max: PAGE },
      rate_limits: { reads_per_minute: 'unlimited', writes_per_minute: 'unlimited' },
      audit: { enabled: audit },
    },
    auth: { basic: true },
    api_roots: [{
      id: 'bench', title: 'Benchmark', max_content_length: 32 * 1024 * 1024,
      collections: [{
        id: COLLECTION, alias: 'intel', title: 'Benchmark collection', default_tlp: 'amber', max_tlp: 'red', validation: 'standard',
        grants: [{ partner: WRITER, read: true, write: true }, { partner: SEE_ALL_PARTNER, read: true, write: false },
          { partner: 'bench-half', read: true, write: false },
          { group: 'pollers', read: true, write: false }],
      }],
    }],
    groups: [{ id: 'pollers', members: pollerIds }],
    partners: [
      await partner(WRITER, 'red', ['bench-red']),
      // Not the submitter (a submitter sees its own objects without any check), yet sees everything: RED clearance and named in the corpus' recipients marking.
      await partner(SEE_ALL_PARTNER, 'red', ['bench-red']),
      // Sees CLEAR and GREEN only: about half of the corpus.
      await partner('bench-half', 'green'),
      ...(await Promise.all(pollerIds.map((id) => partner(id, 'amber')))),
    ],
  };
  const path = join(work, audit ? 'config.json' : 'config-without-audit.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

function writeEnvelopes(corpus: Corpus): string[] {
  return corpus.envelopes.map((body, i) => {
    const path = join(work, `envelope-${String(i).padStart(5, '0')}.json`);
    writeFileSync(path, body);
    return path;
  });
}

// ---------------------------------------------------------------------------
// Processes: the server under test and the load generator

interface Server {
  readonly process: ChildProcess;
  readonly base: string;
  /** Highest resident set size seen, in bytes, over the server process and its workers. */
  peakRss(): number;
  stop(): Promise<void>;
}

function childPids(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text === '' ? [] : text.split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

/** VmHWM (peak) and VmRSS (now) of one process, in bytes. */
function memoryOf(pid: number): { peak: number; now: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { peak: kb('VmHWM'), now: kb('VmRSS') };
  } catch {
    return { peak: 0, now: 0 };
  }
}

/** Samples the highest resident set size of a process and its children (cluster workers, helpers), in bytes. */
function trackPeakRss(child: ChildProcess): { peak(): number; stop(): void } {
  let peak = 0;
  const sample = () => {
    const pid = child.pid;
    if (pid === undefined) return;
    for (const p of [pid, ...childPids(pid)]) peak = Math.max(peak, memoryOf(p).peak);
  };
  const timer = setInterval(sample, 250);
  return {
    peak: () => (sample(), peak),
    stop: () => (sample(), clearInterval(timer)),
  };
}

async function startServer(port: number, env: Record<string, string>): Promise<Server> {
  // The command line of `npm start` (package.json), with its bounded memory.
  const command = serverCommand();
  const child = spawn(process.execPath, [...command.nodeFlags, join(PROJECT_ROOT, command.entry)], {
    env: { ...process.env, ...command.env, LOG_LEVEL: 'warn', TAXII_HOST: '127.0.0.1', TAXII_PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const rss = trackPeakRss(child);
  const base = `http://127.0.0.1:${port}/bench/collections/${COLLECTION}/`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/taxii2/`, { headers: { accept: 'application/taxii+json;version=2.1' } });
      if (res.status === 401 || res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the server did not start within 2 minutes');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    process: child,
    base,
    peakRss: () => rss.peak(),
    async stop() {
      rss.stop();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Creates the embedded database with `taxii-exchange migrate`, as an operator would
 * before the first start, so that the server's own peak is that of a server opening
 * its database; returns the peak of the creation (which runs initdb in a child).
 */
async function createEmbeddedDatabase(configPath: string, dataDir: string): Promise<number> {
  log('PGlite: creating the embedded database (taxii-exchange migrate)');
  const child = spawn(process.execPath, [join(dist, 'src/bin/cli.js'), 'migrate'], {
    env: { ...process.env, TAXII_CONFIG: configPath, TAXII_DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const rss = trackPeakRss(child);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  rss.stop();
  if (code !== 0) throw new Error(`taxii-exchange migrate failed (exit ${code})`);
  return rss.peak();
}

let taskNumber = 0;
/** Runs one of the benchmark's scripts in a process of its own on a task file; returns the JSON it prints. */
async function inChild<R>(script: string, task: object, what: string): Promise<R> {
  const file = join(work, `task-${taskNumber++}.json`);
  writeFileSync(file, JSON.stringify(task));
  const child = spawn(process.execPath, [join(dist, script), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`${what} failed (exit ${code})`);
  return JSON.parse(out) as R;
}

function load<R>(task: LoadTask): Promise<R> {
  return inChild<R>('bench/load.js', task, `load generator on ${task.kind}`);
}

// ---------------------------------------------------------------------------
// Raw PostgreSQL baseline: the same JSON texts, a plain table, no server

interface RawBaseline {
  insertRowsPerSecond: number;
  /** Best of three walks, each run between the server's own full-sync walks (same cache state). */
  readRowsPerSecond: number;
}

/** Runs fn on a connection of its own (the raw baseline talks to PostgreSQL without the server's code). */
async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Inserts the corpus into a plain table; returns rows per second. */
function rawInsert(url: string, corpus: Corpus): Promise<number> {
  return withClient(url, async (client) => {
    await client.query('CREATE TABLE raw_baseline (seq bigint PRIMARY KEY, id text NOT NULL, raw text NOT NULL)');
    const batches = corpus.envelopes.map((e) => (JSON.parse(e) as { objects: Record<string, unknown>[] }).objects);
    let seq = 0;
    const started = performance.now();
    for (const batch of batches) {
      const seqs = batch.map(() => String(++seq));
      await client.query('INSERT INTO raw_baseline (seq, id, raw) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])', [
        seqs, batch.map((o) => o['id'] as string), batch.map((o) => JSON.stringify(o)),
      ]);
    }
    const seconds = (performance.now() - started) / 1000;
    await client.query('VACUUM ANALYZE raw_baseline');
    return seq / seconds;
  });
}

/** Reads the plain table back in keyset pages of 1,000, each joined into one string by PostgreSQL; rows per second. */
function rawRead(url: string): Promise<number> {
  return withClient(url, async (client) => {
    const started = performance.now();
    let after = 0;
    let rows = 0;
    for (;;) {
      const res = await client.query<{ last: string | null; n: string; page: string | null }>(
        `SELECT max(seq) AS last, count(*) AS n, string_agg(raw, ',' ORDER BY seq) AS page
         FROM (SELECT seq, raw FROM raw_baseline WHERE seq > $1 ORDER BY seq LIMIT ${PAGE}) p`,
        [after],
      );
      const row = res.rows[0];
      if (row === undefined || row.last === null) break;
      rows += Number(row.n);
      after = Number(row.last);
    }
    return rows / ((performance.now() - started) / 1000);
  });
}

// ---------------------------------------------------------------------------
// One run against one database

interface SyncResult {
  objects: number;
  pages: number;
  seconds: number;
  objectsPerSecond: number;
  bytes: number;
  wireBytes: number;
  errors: string[];
  marks: (string | null)[];
}
interface IngestResult {
  objects: number;
  failures: number;
  errors: string[];
  seconds: number;
  objectsPerSecond: number;
}
interface LatencyResult {
  requests: number;
  errors: number;
  p50: number;
  p99: number;
  mean: number;
}
interface RateResult {
  requests: number;
  requestsPerSecond: number;
  seconds: number;
  errors: number;
  p50: number;
  p99: number;
  objects?: number;
  errorSamples?: string[];
}

/**
 * `settle` runs between the writes and the reads: on PostgreSQL, what autovacuum
 * does shortly after a bulk load (VACUUM ANALYZE), so that its timing does not
 * land on one read phase and not another.
 */
async function measure(
  server: Server, corpus: Corpus, files: string[], seconds: number, settle: () => Promise<void>, rawReadWalk?: () => Promise<number>,
) {
  const objectsUrl = `${server.base}objects/`;
  const all = as(SEE_ALL_PARTNER);
  const writer = as(WRITER);
  // A full sync reads every version: the same rows the raw baseline reads back.
  const everyVersion = `${objectsUrl}?match[version]=all`;
  const syncOf = (who: Credentials, extra: Partial<Extract<LoadTask, { kind: 'sync' }>> = {}) =>
    load<SyncResult>({ kind: 'sync', url: everyVersion, as: who, limit: PAGE, ...extra });

  const split = Math.max(1, Math.round(files.length * 0.2));
  log(`ingest: ${split} envelopes at concurrency 1`);
  const ingest1 = await load<IngestResult>({ kind: 'ingest', url: objectsUrl, as: writer, files: files.slice(0, split), concurrency: 1 });
  log(`ingest: ${files.length - split} envelopes at concurrency 4`);
  const ingest4 = await load<IngestResult>({ kind: 'ingest', url: objectsUrl, as: writer, files: files.slice(split), concurrency: 4 });

  await settle();
  log('full sync (every version, pages of 1,000): a partner that sees everything, one that sees about half, the raw read, alternately');
  const marks = [0.9, ...pollerIds.map((_, i) => i / POLLERS)];
  const syncAll = await syncOf(all, { depthMarks: marks });
  // The policy cost is measured in pairs: the two readers walk back to back, in alternating
  // order, and each pair gives one ratio. The median of the pairs stands; the spread shows how
  // much the machine's background noise moves one walk (as much as the effect, on 2 cores).
  const allWalks = [syncAll];
  const halfWalks: SyncResult[] = [];
  const rawWalks: number[] = [];
  const pairs: number[] = [];
  for (let round = 0; round < options.policyPairs; round += 1) {
    const first = round % 2 === 0 ? as('bench-half') : all;
    const one = await syncOf(first);
    const other = await syncOf(first === all ? as('bench-half') : all);
    const [half, seesAll] = first === all ? [other, one] : [one, other];
    halfWalks.push(half);
    allWalks.push(seesAll);
    pairs.push(1 - half.objectsPerSecond / seesAll.objectsPerSecond);
    if (rawReadWalk !== undefined && round < 3) rawWalks.push(await rawReadWalk());
  }
  // The workload the memory target names (issue 13): everything ingested, then fully synced.
  const peakRssAfterSyncBytes = server.peakRss();
  log('full sync with gzip and with br');
  const syncGzip = await syncOf(all, { encoding: 'gzip' });
  const syncBr = await syncOf(all, { encoding: 'br' });
  log('manifest walk');
  const manifest = await load<SyncResult>({ kind: 'sync', url: `${server.base}manifest/?match[version]=all`, as: all, limit: PAGE, manifest: true });

  log('page latency, limit=100, at the start and at 90% depth');
  const deepMark = syncAll.marks[0] ?? null;
  const requests = 300;
  const shallow = await load<LatencyResult>({ kind: 'latency', url: `${objectsUrl}?limit=100`, as: all, requests });
  const deep = await load<LatencyResult>({
    kind: 'latency', url: `${objectsUrl}?limit=100&added_after=${encodeURIComponent(deepMark ?? '')}`, as: all, requests,
  });

  log(`match[id] lookups for ${seconds}s`);
  const lookups = await load<RateResult>({
    kind: 'lookup', url: objectsUrl, as: all, seconds, concurrency: 4,
    paths: corpus.sampleIds.map((id) => `?match[id]=${encodeURIComponent(id)}`),
  });

  log(`${POLLERS} partners polling added_after with limit=100 for ${seconds}s`);
  const pollingTask = {
    kind: 'poll' as const, url: objectsUrl, seconds, limit: 100,
    pollers: pollerIds.map((id, i) => ({ as: as(id), after: syncAll.marks[i + 1] ?? '1970-01-01T00:00:00Z' })),
  };
  const polling = await load<RateResult>(pollingTask);

  const best = (walks: SyncResult[]) => walks.reduce((a, b) => (a.objectsPerSecond >= b.objectsPerSecond ? a : b));
  const fullAll = best(allWalks);
  const fullHalf = best(halfWalks);
  return {
    corpus: { objects: corpus.objectCount, meanObjectBytes: corpus.meanObjectBytes, envelopes: files.length },
    ingest: { concurrency1: ingest1, concurrency4: ingest4 },
    sync: { all: fullAll, half: fullHalf, gzip: syncGzip, br: syncBr, manifest },
    latency: { shallow, deep, ratio: deep.p50 / shallow.p50 },
    lookups,
    polling,
    policyCost: median(pairs),
    policyCostPairs: pairs,
    rawReadRowsPerSecond: rawWalks.length === 0 ? undefined : Math.max(...rawWalks),
    peakRssAfterSyncBytes,
    peakRssBytes: server.peakRss(),
    pollingTask,
  };
}

type Measured = Awaited<ReturnType<typeof measure>>;

interface AuditCost {
  /** 1 - (with the audit) / (without), median of pairs, for 32 partners polling (requests/s). */
  polling: number;
  pollingPairs: number[];
  /** The same for a full sync (objects/s), every page recording 1,000 versions. */
  sync: number;
  syncPairs: number[];
  auditEvents: number;
}

/**
 * What the audit trail costs: the same polling and the same full sync against two
 * servers on the same database, one recording (audited) and one not. Each round
 * runs on-off-off-on or off-on-on-off (half the polling time each), so neither
 * server always goes first or last (whichever runs later in a row was slower,
 * whatever its setting); each round gives one ratio of the summed rates, and the
 * median stands.
 */
async function auditCost(audited: Server, unaudited: Server, polling: Extract<LoadTask, { kind: 'poll' }>, seconds: number, url: string): Promise<AuditCost> {
  const syncOn = (server: Server) =>
    load<SyncResult>({ kind: 'sync', url: `${server.base}objects/?match[version]=all`, as: as(SEE_ALL_PARTNER), limit: PAGE });
  const pollingPairs: number[] = [];
  const syncPairs: number[] = [];
  // Both verify every poller's key and compile their hot paths before anything counts.
  for (const server of [audited, unaudited]) await load<RateResult>({ ...polling, seconds: 2, url: `${server.base}objects/` });
  for (let round = 0; round < options.auditPairs; round += 1) {
    const order = round % 2 === 0 ? [audited, unaudited, unaudited, audited] : [unaudited, audited, audited, unaudited];
    log(`audit cost, round ${round + 1} of ${options.auditPairs}: polling ${seconds}s and two full syncs each, ${round % 2 === 0 ? 'on-off-off-on' : 'off-on-on-off'}`);
    const requests = new Map<Server, { count: number; seconds: number }>();
    for (const server of order) {
      const r = await load<RateResult>({ ...polling, seconds: seconds / 2, url: `${server.base}objects/` });
      const sum = requests.get(server) ?? { count: 0, seconds: 0 };
      requests.set(server, { count: sum.count + r.requests, seconds: sum.seconds + r.seconds });
    }
    const synced = new Map<Server, { objects: number; seconds: number }>();
    for (const server of order) {
      const r = await syncOn(server);
      const sum = synced.get(server) ?? { objects: 0, seconds: 0 };
      synced.set(server, { objects: sum.objects + r.objects, seconds: sum.seconds + r.seconds });
    }
    const rate = (sum: { seconds: number } | undefined, count: number | undefined) => (sum === undefined ? 0 : (count ?? 0) / sum.seconds);
    pollingPairs.push(1 - rate(requests.get(audited), requests.get(audited)?.count) / rate(requests.get(unaudited), requests.get(unaudited)?.count));
    syncPairs.push(1 - rate(synced.get(audited), synced.get(audited)?.objects) / rate(synced.get(unaudited), synced.get(unaudited)?.objects));
  }
  const auditEvents = await withClient(url, async (c) => Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM audit_events')).rows[0]?.n ?? 0));
  return { polling: median(pollingPairs), pollingPairs, sync: median(syncPairs), syncPairs, auditEvents };
}

// ---------------------------------------------------------------------------
// Report

type PgRun = Measured & { raw: RawBaseline; policyWalks?: PolicyWalksResult; auditCost?: AuditCost };

type LiteRun = Measured & { creationPeakRssBytes: number };

function table(pgRun: PgRun | undefined, liteRun: LiteRun | undefined): string {
  const n = (x: number | undefined, digits = 0) => (x === undefined ? '' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
  const pct = (x: number | undefined) => (x === undefined ? '' : `${(x * 100).toFixed(1)}%`);
  const mb = (x: number | undefined) => (x === undefined ? '' : `${(x / 1024 / 1024).toFixed(0)} MB`);
  const rows: [string, string, string, string][] = [];
  const row = (label: string, f: (m: Measured) => string, target = '') =>
    rows.push([label, pgRun === undefined ? '' : f(pgRun), liteRun === undefined ? '' : f(liteRun), target]);
  row('objects in the collection', (m) => n(m.corpus.objects));
  row('mean object size (bytes)', (m) => n(m.corpus.meanObjectBytes));
  row('ingest objects/s, concurrency 1', (m) => n(m.ingest.concurrency1.objectsPerSecond));
  row('ingest objects/s, concurrency 4', (m) => n(m.ingest.concurrency4.objectsPerSecond));
  row('  rejected objects / errors', (m) => `${m.ingest.concurrency1.failures + m.ingest.concurrency4.failures} / ${m.ingest.concurrency1.errors.length + m.ingest.concurrency4.errors.length}`);
  row('full sync objects/s (sees all)', (m) => n(m.sync.all.objectsPerSecond));
  row('full sync objects/s (sees half)', (m) => n(m.sync.half.objectsPerSecond));
  row(`policy cost (half vs all), median of pairs`, (m) => pct(m.policyCost), '<= 10%');
  row('  each pair', (m) => m.policyCostPairs.map((x) => pct(x)).join(' '));
  row('full sync objects/s, gzip', (m) => `${n(m.sync.gzip.objectsPerSecond)} (${(m.sync.gzip.bytes / Math.max(1, m.sync.gzip.wireBytes)).toFixed(1)}x)`);
  row('full sync objects/s, br', (m) => `${n(m.sync.br.objectsPerSecond)} (${(m.sync.br.bytes / Math.max(1, m.sync.br.wireBytes)).toFixed(1)}x)`);
  row('manifest pages/s (1,000 records)', (m) => n(m.sync.manifest.pages / m.sync.manifest.seconds, 1));
  row('page limit=100 p50/p99 ms, start', (m) => `${n(m.latency.shallow.p50, 1)} / ${n(m.latency.shallow.p99, 1)}`);
  row('page limit=100 p50/p99 ms, 90% deep', (m) => `${n(m.latency.deep.p50, 1)} / ${n(m.latency.deep.p99, 1)}`);
  row('deep/shallow p50 ratio', (m) => n(m.latency.ratio, 2), '<= 1.2');
  row('match[id] lookups/s (c=4)', (m) => n(m.lookups.requestsPerSecond));
  row(`polling, ${POLLERS} partners: requests/s`, (m) => n(m.polling.requestsPerSecond));
  row('polling p99 ms / errors', (m) => `${n(m.polling.p99, 1)} / ${m.polling.errors}`, '0 errors');
  row('server peak RSS (largest process), ingest + full sync', (m) => mb(m.peakRssAfterSyncBytes), '<= 256 MB');
  row('server peak RSS (largest process), whole run', (m) => mb(m.peakRssBytes));
  if (liteRun !== undefined) rows.push(['creating the embedded database: peak RSS', '', mb(liteRun.creationPeakRssBytes), '']);
  if (pgRun !== undefined) {
    const raw = pgRun.raw;
    rows.push(['raw PG insert rows/s (unnest)', n(raw.insertRowsPerSecond), '', '']);
    rows.push(['raw PG keyset read rows/s (string_agg)', n(raw.readRowsPerSecond), '', '']);
    rows.push(['ingest c=4 / raw insert', pct(pgRun.ingest.concurrency4.objectsPerSecond / raw.insertRowsPerSecond), '', '>= 50%']);
    rows.push(['full sync / raw read', pct(pgRun.sync.all.objectsPerSecond / raw.readRowsPerSecond), '', '>= 50%']);
    const audit = pgRun.auditCost;
    if (audit !== undefined) {
      rows.push(['audit trail cost over HTTP, polling (32 partners), median of rounds', pct(audit.polling), '', '']);
      rows.push(['  each round', audit.pollingPairs.map((x) => pct(x)).join(' '), '', '']);
      rows.push(['audit trail cost over HTTP, full sync, median of rounds', pct(audit.sync), '', '']);
      rows.push(['  each round', audit.syncPairs.map((x) => pct(x)).join(' '), '', '']);
      rows.push(['  audit events recorded in the run', n(audit.auditEvents), '', '']);
    }
    const walks = pgRun.policyWalks;
    if (walks !== undefined) {
      for (const [label, r] of [['at the store', walks.store], ['in the application (inject)', walks.application]] as const) {
        rows.push([`policy cost ${label}, median of pairs`, pct(r.median), '', '<= 10%']);
        rows.push(['  each pair', r.pairs.map((x) => pct(x)).join(' '), '', '']);
        rows.push(['  ms per 1,000 objects served, all / half', `${n(r.msPer1000.all, 2)} / ${n(r.msPer1000.half, 2)}`, '', '']);
      }
      for (const [label, r] of [['pages of 100 (polling)', walks.audit.page100], ['pages of 1,000 (full sync)', walks.audit.page1000]] as const) {
        rows.push([`audit trail cost in the application, ${label}, median of interleaved walks`, pct(r.median), '', label.includes('polling') ? '<= 10%' : '']);
        rows.push(['  each walk', r.pairs.map((x) => pct(x)).join(' '), '', '']);
        rows.push(['  ms per 1,000 objects served, off / on', `${n(r.msPer1000.off, 2)} / ${n(r.msPer1000.on, 2)}`, '', '']);
      }
    }
  }
  const header: [string, string, string, string] = ['measure', 'PostgreSQL', 'PGlite', 'target (PG)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (r: readonly string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------


/**
 * The policy cost without the harness (bench/policy-walks.ts, in a process of its own): the
 * server's page query straight on the database, and the real application through inject().
 * It takes the load generator, the sockets and the 2-core scheduling of three processes out
 * of the comparison, which make each HTTP walk scatter by ±15% here.
 */
async function policyWalks(databaseUrl: string, configPath: string, pairs: number): Promise<PolicyWalksResult> {
  const policy = { reach: 'shared', defaultTlp: levelOf('amber'), granular: 'withhold', hideDangling: true, copies: 'earliest' } as const;
  const task: PolicyWalksTask = {
    databaseUrl, configPath, apiRoot: 'bench', collectionId: COLLECTION, page: PAGE, pairs,
    readers: {
      all: { credentials: as(SEE_ALL_PARTNER), scope: { reader: { partnerId: SEE_ALL_PARTNER, clearance: levelOf('red'), communities: ['bench-red'] }, ...policy } },
      half: { credentials: as('bench-half'), scope: { reader: { partnerId: 'bench-half', clearance: levelOf('green'), communities: [] }, ...policy } },
    },
  };
  return inChild<PolicyWalksResult>('bench/policy-walks.js', task, 'policy walks');
}

function commitOf(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function databaseSettings(url: string): Promise<Record<string, string>> {
  return withClient(url, async (client) => {
    const settings: Record<string, string> = {};
    for (const name of ['server_version', 'shared_buffers', 'work_mem', 'synchronous_commit', 'max_connections']) {
      const res = await client.query<Record<string, string>>(`SHOW ${name}`);
      settings[name] = Object.values(res.rows[0] ?? {})[0] ?? '';
    }
    return settings;
  });
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const configPath = await writeConfig();
  let pgRun: PgRun | undefined;
  let liteRun: LiteRun | undefined;

  if (options.objects > 0) {
    log(`corpus: ${options.objects.toLocaleString()} objects, seed ${options.seed}`);
    const corpus = buildCorpus(options.objects, options.envelope, options.seed);
    const files = writeEnvelopes(corpus);
    const dbName = `taxii_bench_${Date.now()}`;
    await admin(options.databaseUrl, `CREATE DATABASE ${dbName}`);
    const url = new URL(options.databaseUrl);
    url.pathname = `/${dbName}`;
    try {
      log('raw PostgreSQL baseline: insert');
      const insertRowsPerSecond = await rawInsert(url.toString(), corpus);
      const server = await startServer(18_400, { DATABASE_URL: url.toString(), TAXII_CONFIG: configPath, TAXII_WORKERS: options.workers });
      try {
        const settle = async () => {
          log('VACUUM ANALYZE object_versions');
          await admin(url.toString(), 'VACUUM ANALYZE object_versions');
        };
        const measured = await measure(server, corpus, files, options.seconds, settle, () => rawRead(url.toString()));
        pgRun = { ...measured, raw: { insertRowsPerSecond, readRowsPerSecond: measured.rawReadRowsPerSecond ?? 0 } };
        if (options.auditPairs > 0) {
          // Two new processes, alike but for the audit trail (the one measured above has a longer past).
          const environment = { DATABASE_URL: url.toString(), TAXII_WORKERS: options.workers };
          const audited = await startServer(18_402, { ...environment, TAXII_CONFIG: configPath });
          const unaudited = await startServer(18_403, { ...environment, TAXII_CONFIG: await writeConfig(false) });
          try {
            pgRun = { ...pgRun, auditCost: await auditCost(audited, unaudited, measured.pollingTask, options.seconds, url.toString()) };
          } finally {
            await audited.stop();
            await unaudited.stop();
          }
        }
      } finally {
        await server.stop();
      }
      log('policy cost without the harness: at the store and in the application (inject), in pairs');
      pgRun = { ...pgRun, policyWalks: await policyWalks(url.toString(), configPath, options.policyPairs) };
    } finally {
      if (options.keepDatabase) log(`kept database ${url.toString()}`);
      else await admin(options.databaseUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      for (const f of files) rmSync(f);
    }
  }

  if (options.pgliteObjects > 0) {
    log(`PGlite: corpus of ${options.pgliteObjects.toLocaleString()} objects`);
    const corpus = buildCorpus(options.pgliteObjects, options.envelope, options.seed);
    const files = writeEnvelopes(corpus);
    const dataDir = join(work, 'pglite');
    const creationPeakRssBytes = await createEmbeddedDatabase(configPath, dataDir);
    const server = await startServer(18_401, { TAXII_CONFIG: configPath, TAXII_DATA_DIR: dataDir });
    try {
      // PGlite has no autovacuum; the server analyses the table itself as it grows.
      liteRun = { ...(await measure(server, corpus, files, Math.max(3, Math.round(options.seconds / 2)), async () => undefined)), creationPeakRssBytes };
    } finally {
      await server.stop();
    }
  }

  const report = {
    startedAt: startedAt.toISOString(),
    commit: commitOf(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryBytes: totalmem(), node: process.version },
    database: options.objects > 0 ? await databaseSettings(options.databaseUrl) : undefined,
    options: { ...options, out: undefined },
    postgres: pgRun,
    pglite: liteRun,
  };
  writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${table(pgRun, liteRun)}\n\nserver processes on PostgreSQL: TAXII_WORKERS=${options.workers}; figures: ${options.out}\n`);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => rmSync(work, { recursive: true, force: true }));
