/**
 * The soak (`npm run soak`): the production server, started from its own entry
 * point on a throwaway PostgreSQL database, held under steady partner traffic for
 * a bounded time by a load process of its own (bench/soak-load.ts): pollers
 * following their collection with added_after = the last X-TAXII-Date-Added-Last
 * (and `next`), pushers posting envelopes of realistic objects (bench/corpus.ts).
 * Memory is sampled throughout; at the end every version a status acknowledged
 * must have reached every poller that may see it exactly once. It prints a report
 * and writes the figures to bench/results/soak-<date>.json.
 *
 *   npm run soak -- [--seconds 120] [--workers N] [--poll-interval 1] [--push-interval 2]
 *                   [--envelope 100] [--limit 100] [--pollers 100] [--pushers 5]
 *                   [--sample-every 5] [--drain 60] [--timeout 30] [--seed 1]
 *                   [--unlimited-rates] [--credential-cache S]
 *                   [--database-url postgres://postgres@127.0.0.1:5432/postgres]
 *
 * --seconds         how long the pushers post (at most 3600); the pollers then drain
 * --workers N       TAXII_WORKERS of the server (default: unset, one process)
 * --poll-interval   seconds between the starts of one poller's polls
 * --push-interval   seconds between one pusher's envelopes; --envelope objects in each
 * --limit           page size the pollers ask for
 * --sample-every    seconds between VmRSS samples of the server's process tree and the load process
 * --drain           longest wait, after the last push, for every poller to finish a clean poll
 * --timeout         seconds before a request counts as timed out
 * --credential-cache  server.credential_cache_seconds (default: the server's, 60): how long a
 *                   verified key is remembered before the next request hashes it again
 * --database-url    a PostgreSQL server and database to run CREATE DATABASE from (default
 *                   $TAXII_SOAK_DATABASE_URL, else the local server); the soak works in a
 *                   database of its own and drops it, also on failure and on Ctrl-C
 *
 * Partners (bench/soak-config.ts): every poller and every pusher is a partner of its own
 * with a random key, given to the server as {"env": "TAXII_SOAK_KEY_…"}. Per-partner rate
 * limits thus keep their defaults (3,000 reads and 300 writes a minute, far above one
 * partner's traffic at the default intervals; a 429 is reported, not failed);
 * --unlimited-rates sets server.rate_limits to "unlimited" for faster intervals. All
 * partners connect from 127.0.0.1, so the limits meant for one partner's address,
 * server.limits max_connections_per_address and auth_failures_per_address_per_minute,
 * are raised to 1000. Pollers alternate between two collections and between clearances
 * RED (named by the corpus' recipients marking: sees everything), AMBER and GREEN; they
 * ask for every version (match[version]=all). Pushers alternate between the collections.
 *
 * Exits 1 when a version was lost, duplicated or leaked, a poller did not drain, an
 * object was rejected, on any error other than 429 (every 5xx, connection error and
 * timeout among them), or when a server process exited during the soak.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PROJECT_ROOT } from '../src/paths.js';
import { admin } from '../test/helpers/database.js';
import { createPartners, keyEnvironment, ROOT, soakConfig, taskPartners } from './soak-config.js';
import { serverCommand } from './server-command.js';
import type { SoakLoadResult, SoakTask } from './soak-load.js';
import {
  loadRssWhileRunning, memorySummary, processTree, renderReport, rssOf, serverLogSummary, type MemorySample,
} from './soak-report.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

function positive(name: string, fallback: string, max = Number.POSITIVE_INFINITY): number {
  const value = Number(arg(name, fallback));
  if (!Number.isFinite(value) || value <= 0 || value > max) throw new Error(`--${name} must be a number above 0${max < Infinity ? ` and at most ${max}` : ''}`);
  return value;
}

const options = {
  seconds: positive('seconds', '120', 3600),
  workers: arg('workers', ''),
  pollInterval: positive('poll-interval', '1'),
  pushInterval: positive('push-interval', '2'),
  envelope: Math.round(positive('envelope', '100', 10_000)),
  limit: Math.round(positive('limit', '100', 1000)),
  pollers: Math.round(positive('pollers', '100', 1000)),
  pushers: Math.round(positive('pushers', '5', 100)),
  sampleEvery: positive('sample-every', '5'),
  drain: positive('drain', '60'),
  timeout: positive('timeout', '30'),
  seed: Math.round(positive('seed', '1')),
  unlimitedRates: process.argv.includes('--unlimited-rates'),
  credentialCacheSeconds: process.argv.includes('--credential-cache') ? Math.round(positive('credential-cache', '60', 3600)) : undefined,
  databaseUrl: arg('database-url', process.env['TAXII_SOAK_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres'),
};

const dist = join(PROJECT_ROOT, 'dist');
const log = (message: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

class Interrupted extends Error {}

/** Rejects on the first SIGINT or SIGTERM, so that whatever is awaited stops and the clean-up runs. */
function interruption(): Promise<never> {
  const interrupted = new Promise<never>((_, reject) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        log(`${signal}: stopping and dropping the database (again to leave it)`);
        reject(new Interrupted(signal));
      });
    }
  });
  interrupted.catch(() => undefined);
  return interrupted;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
async function stop(child: ChildProcess, graceMs: number): Promise<void> {
  if (!running(child)) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

interface Server {
  readonly process: ChildProcess;
  readonly port: number;
  readonly logPath: string;
  /** How it ended, once it has. */
  exit(): string | undefined;
}

/** The command line of `npm start` (package.json), with its bounded memory; its log goes to a file. */
async function startServer(work: string, env: Record<string, string>, interrupted: Promise<never>): Promise<Server> {
  const port = await freePort();
  const logPath = join(work, 'server.log');
  const logFd = openSync(logPath, 'a');
  const command = serverCommand();
  const child = spawn(process.execPath, [...command.nodeFlags, join(PROJECT_ROOT, command.entry)], {
    env: { ...process.env, ...command.env, LOG_LEVEL: 'warn', TAXII_HOST: '127.0.0.1', TAXII_PORT: String(port), ...env },
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  let exit: string | undefined;
  child.once('exit', (code, signal) => (exit = `exited (code ${code}, signal ${signal})`));
  log(`server starting on 127.0.0.1:${port}${env['TAXII_WORKERS'] === undefined ? '' : `, TAXII_WORKERS=${env['TAXII_WORKERS']}`}`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exit !== undefined) throw new Error(`the server ${exit} while starting; its log: ${serverLogSummary(logPath).logSamples.join(' | ')}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/taxii2/`, { headers: { accept: 'application/taxii+json;version=2.1' } });
      if (res.status === 401 || res.status === 200) return { process: child, port, logPath, exit: () => exit };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the server did not start within 2 minutes');
    await Promise.race([new Promise((r) => setTimeout(r, 200)), interrupted]);
  }
}

interface Observed {
  readonly load: SoakLoadResult;
  readonly samples: MemorySample[];
  /** Every process id seen in the server's tree: more than it starts with means a worker was replaced. */
  readonly serverPids: ReadonlySet<number>;
}

/** Runs the load process on the task while sampling VmRSS of it and of the server's process tree. */
async function observeLoad(work: string, task: SoakTask, server: Server, interrupted: Promise<never>, children: ChildProcess[]): Promise<Observed> {
  const taskPath = join(work, 'task.json');
  writeFileSync(taskPath, JSON.stringify(task), { mode: 0o600 });
  const child = spawn(process.execPath, [join(dist, 'bench/soak-load.js'), taskPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let stdout = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

  const t0 = performance.now();
  const samples: MemorySample[] = [];
  const serverPids = new Set<number>();
  const sample = () => {
    const tree = server.exit() === undefined && server.process.pid !== undefined ? processTree(server.process.pid) : [];
    for (const pid of tree) serverPids.add(pid);
    const byProcess = tree.map(rssOf);
    samples.push({
      t: (performance.now() - t0) / 1000,
      serverRss: byProcess.reduce((sum, rss) => sum + rss, 0),
      serverProcesses: tree.length,
      serverRssByProcess: byProcess,
      loadRss: child.pid === undefined ? 0 : rssOf(child.pid),
    });
  };
  sample();
  const sampler = setInterval(sample, options.sampleEvery * 1000);
  try {
    const code = await Promise.race([exited, interrupted]);
    sample();
    if (code !== 0) throw new Error(`the load process failed (exit ${code})`);
  } finally {
    clearInterval(sampler);
  }
  return { load: JSON.parse(stdout) as SoakLoadResult, samples, serverPids };
}

function git(...args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function failuresOf(load: SoakLoadResult, serverProblem: string | undefined): string[] {
  const c = load.check;
  const failures: string[] = [];
  if (c.lost > 0) failures.push(`${c.lost} (poller, version) pairs lost`);
  if (c.duplicated > 0) failures.push(`${c.duplicated} duplicate deliveries`);
  if (c.leaked > 0) failures.push(`${c.leaked} deliveries to pollers that may not see the version`);
  if (c.foreign > 0) failures.push(`${c.foreign} versions received that were never posted`);
  if (!load.drained) failures.push('pollers still behind when --drain ran out');
  if (load.pushes.rejected > 0) failures.push(`${load.pushes.rejected} posted objects rejected`);
  const errors = Object.entries(load.errors).filter(([kind]) => kind !== 'HTTP 429');
  if (errors.length > 0) failures.push(`errors: ${errors.map(([k, v]) => `${k} × ${v}`).join(', ')}`);
  if (serverProblem !== undefined) failures.push(`the server ${serverProblem}`);
  return failures;
}

async function main(): Promise<number> {
  const startedAt = new Date();
  // Other work on the machine moves every figure; the load averages say how much there was.
  const loadAverageAtStart = loadavg();
  const interrupted = interruption();
  const work = mkdtempSync(join(tmpdir(), 'taxii-soak-'));
  const dbName = `taxii_soak_${Date.now()}_${process.pid}`;
  const dbUrl = new URL(options.databaseUrl);
  dbUrl.pathname = `/${dbName}`;
  const children: ChildProcess[] = [];
  let created = false;
  try {
    const partners = createPartners(options.pushers, options.pollers);
    const configPath = join(work, 'config.json');
    writeFileSync(configPath, JSON.stringify(soakConfig(partners, options), null, 2));
    await admin(options.databaseUrl, `CREATE DATABASE ${dbName}`);
    created = true;
    log(`database ${dbName} created`);
    const server = await startServer(work, {
      DATABASE_URL: dbUrl.toString(), TAXII_CONFIG: configPath, ...keyEnvironment(partners),
      ...(options.workers !== '' && { TAXII_WORKERS: options.workers }),
    }, interrupted);
    children.push(server.process);

    log(`${options.pollers} pollers every ${options.pollInterval}s, ${options.pushers} pushers of ${options.envelope} objects every ` +
      `${options.pushInterval}s, for ${options.seconds}s`);
    const { load, samples, serverPids } = await observeLoad(work, {
      collectionsUrl: `http://127.0.0.1:${server.port}/${ROOT}/collections/`,
      ...taskPartners(partners),
      seconds: options.seconds,
      pollIntervalMs: options.pollInterval * 1000,
      pushIntervalMs: options.pushInterval * 1000,
      envelope: options.envelope,
      limit: options.limit,
      timeoutMs: options.timeout * 1000,
      drainSeconds: options.drain,
      seed: options.seed,
    }, server, interrupted, children);

    const startingProcesses = options.workers === '' || options.workers === '1' ? 1 : Number(options.workers) + 1;
    const replaced = Number.isFinite(startingProcesses) && serverPids.size > startingProcesses
      ? `had ${serverPids.size - startingProcesses} process(es) replaced during the soak` : undefined;
    const serverProblem = server.exit() ?? replaced;
    await stop(server.process, 30_000);
    const logSummary = serverLogSummary(server.logPath);
    const failures = failuresOf(load, serverProblem);

    const resultsDir = join(PROJECT_ROOT, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    const resultPath = join(resultsDir, `soak-${startedAt.toISOString().replace(/:/g, '').replace(/\.\d+Z$/, 'Z')}.json`);
    writeFileSync(resultPath, `${JSON.stringify({
      startedAt: startedAt.toISOString(),
      commit: git('rev-parse', '--short', 'HEAD'),
      // The server ran from the working tree, uncommitted changes included.
      uncommittedChanges: git('status', '--porcelain', '--untracked-files=no')?.split('\n').filter((l) => l !== '') ?? [],
      machine: {
        cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryBytes: totalmem(), node: process.version,
        loadAverageAtStart, loadAverageAtEnd: loadavg(),
      },
      options: { ...options, databaseUrl: undefined },
      pass: failures.length === 0,
      failures,
      load,
      memory: {
        server: memorySummary(samples.map((s) => s.serverRss)),
        load: memorySummary(loadRssWhileRunning(samples)),
        serverProcessesSeen: serverPids.size,
        samples,
      },
      serverLog: logSummary,
    }, null, 2)}\n`);

    const processes = options.workers === '' ? '1 server process' : `TAXII_WORKERS=${options.workers}`;
    process.stdout.write(`\n${renderReport({
      heading: `taxii-exchange soak: ${options.seconds}s of pushes + ${load.drainSeconds.toFixed(1)}s drain, ${processes}; ` +
        `${options.pollers} pollers every ${options.pollInterval}s (limit ${options.limit}), ${options.pushers} pushers × ` +
        `${options.envelope} objects every ${options.pushInterval}s\n` +
        `machine: ${cpus().length} cores, load average ${loadAverageAtStart[0]?.toFixed(1)} at the start, ${loadavg()[0]?.toFixed(1)} at the end`,
      load,
      samples,
      server: { processesSeen: serverPids.size, problem: serverProblem, ...logSummary },
      failures,
      out: relative(process.cwd(), resultPath),
    })}\n`);
    return failures.length === 0 ? 0 : 1;
  } finally {
    // The load process first, so that the server's end is not reported as errors; the server (the first child) may take its grace period.
    for (const child of [...children].reverse()) await stop(child, child === children[0] ? 30_000 : 5_000);
    if (created) {
      await admin(options.databaseUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      log(`database ${dbName} dropped`);
    }
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof Interrupted) process.exit(130);
    console.error(err);
    process.exit(1);
  },
);
