/**
 * The benchmark's load generator: a separate process (so its CPU is not the
 * server's) that talks HTTP/1.1 with keep-alive to the server under test.
 *
 *   node dist/bench/load.js TASK.json
 *
 * prints one JSON result on stdout. Tasks: ingest, sync, latency, poll, lookup.
 */
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export type LoadTask =
  | { kind: 'ingest'; url: string; as: Credentials; files: string[]; concurrency: number }
  | { kind: 'sync'; url: string; as: Credentials; limit: number; encoding?: 'gzip' | 'br' | undefined; depthMarks?: number[]; manifest?: boolean }
  | { kind: 'latency'; url: string; as: Credentials; requests: number }
  | { kind: 'poll'; url: string; pollers: { as: Credentials; after: string }[]; seconds: number; limit: number }
  | { kind: 'lookup'; url: string; as: Credentials; paths: string[]; seconds: number; concurrency: number };

interface Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

const ACCEPT = 'application/taxii+json;version=2.1';
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function authorization(as: Credentials): string {
  return `Basic ${Buffer.from(`${as.user}:${as.password}`).toString('base64')}`;
}

function send(url: string, as: Credentials, options: { method?: string; body?: Buffer; encoding?: string | undefined } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: ACCEPT, authorization: authorization(as) };
    if (options.body !== undefined) {
      headers['content-type'] = ACCEPT;
      headers['content-length'] = String(options.body.length);
    }
    if (options.encoding !== undefined) headers['accept-encoding'] = options.encoding;
    const req = request(url, { method: options.method ?? 'GET', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function latencySummary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((s, x) => s + x, 0) / Math.max(1, samples.length);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean };
}

const OBJECT_START = Buffer.from('{"type":"');
const RECORD_START = Buffer.from('{"id":"');
const NEXT = /"next":"([^"]+)"/;

/** Objects in an envelope body (every corpus object is serialised with "type" first), or manifest records. */
function countObjects(body: Buffer, marker = OBJECT_START): number {
  let n = 0;
  for (let i = body.indexOf(marker); i >= 0; i = body.indexOf(marker, i + 1)) n += 1;
  return n;
}

function decode(res: Response): Buffer {
  const encoding = res.headers['content-encoding'];
  if (encoding === 'gzip') return gunzipSync(res.body);
  if (encoding === 'br') return brotliDecompressSync(res.body);
  return res.body;
}

async function ingest(task: Extract<LoadTask, { kind: 'ingest' }>) {
  const bodies = task.files.map((f) => readFileSync(f));
  let nextIndex = 0;
  let objects = 0;
  let failures = 0;
  const errors: string[] = [];
  const latencies: number[] = [];
  const started = performance.now();
  const worker = async () => {
    for (let i = nextIndex++; i < bodies.length; i = nextIndex++) {
      const t0 = performance.now();
      const res = await send(task.url, task.as, { method: 'POST', body: bodies[i] as Buffer });
      latencies.push(performance.now() - t0);
      if (res.status !== 202) {
        errors.push(`HTTP ${res.status}: ${res.body.toString().slice(0, 300)}`);
        continue;
      }
      const status = JSON.parse(res.body.toString()) as { status: string; success_count: number; failure_count: number; failures?: unknown[] };
      if (status.status !== 'complete') errors.push(`status ${status.status}`);
      objects += status.success_count;
      failures += status.failure_count;
      if (status.failure_count > 0 && errors.length < 5) errors.push(JSON.stringify(status.failures?.slice(0, 2)));
    }
  };
  await Promise.all(Array.from({ length: task.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { objects, failures, errors, seconds, objectsPerSecond: objects / seconds, envelopeLatencyMs: latencySummary(latencies) };
}

/** Walks the whole collection with `next`; records date_added at the requested fractions of depth. */
async function sync(task: Extract<LoadTask, { kind: 'sync' }>) {
  const started = performance.now();
  let objects = 0;
  let pages = 0;
  let wireBytes = 0;
  let bytes = 0;
  const errors: string[] = [];
  const positions: { objects: number; dateAddedLast: string }[] = [];
  let next: string | undefined;
  for (;;) {
    const url = `${task.url}${task.url.includes('?') ? '&' : '?'}limit=${task.limit}${next === undefined ? '' : `&next=${encodeURIComponent(next)}`}`;
    const res = await send(url, task.as, { encoding: task.encoding });
    if (res.status !== 200) {
      errors.push(`HTTP ${res.status}: ${res.body.toString().slice(0, 300)}`);
      break;
    }
    const body = decode(res);
    wireBytes += res.body.length;
    bytes += body.length;
    pages += 1;
    objects += countObjects(body, task.manifest === true ? RECORD_START : OBJECT_START);
    const last = res.headers['x-taxii-date-added-last'];
    if (typeof last === 'string') positions.push({ objects, dateAddedLast: last });
    const head = body.subarray(0, 2048).toString();
    next = head.startsWith('{"more":true') ? NEXT.exec(head)?.[1] : undefined;
    if (next === undefined) break;
  }
  const seconds = (performance.now() - started) / 1000;
  // For each fraction, the date_added of the last object before that depth (an added_after point).
  const marks = (task.depthMarks ?? []).map((fraction) => {
    const target = fraction * objects;
    return positions.find((p) => p.objects >= target)?.dateAddedLast ?? null;
  });
  return { objects, pages, seconds, objectsPerSecond: objects / seconds, bytes, wireBytes, errors, marks };
}

async function latency(task: Extract<LoadTask, { kind: 'latency' }>) {
  const samples: number[] = [];
  const errors: string[] = [];
  for (let i = 0; i < task.requests; i += 1) {
    const t0 = performance.now();
    const res = await send(task.url, task.as);
    samples.push(performance.now() - t0);
    if (res.status !== 200 || countObjects(res.body) === 0) errors.push(`HTTP ${res.status}`);
  }
  return { requests: task.requests, errors: errors.length, ...latencySummary(samples) };
}

/** Partners polling concurrently, each following its own added_after. */
async function poll(task: Extract<LoadTask, { kind: 'poll' }>) {
  const samples: number[] = [];
  let errors = 0;
  let objects = 0;
  const errorSamples: string[] = [];
  const deadline = performance.now() + task.seconds * 1000;
  const started = performance.now();
  const poller = async (p: { as: Credentials; after: string }) => {
    let after = p.after;
    while (performance.now() < deadline) {
      const t0 = performance.now();
      let res: Response;
      try {
        res = await send(`${task.url}?limit=${task.limit}&added_after=${encodeURIComponent(after)}`, p.as);
      } catch (err) {
        errors += 1;
        if (errorSamples.length < 5) errorSamples.push(String(err));
        continue;
      }
      samples.push(performance.now() - t0);
      if (res.status !== 200) {
        errors += 1;
        if (errorSamples.length < 5) errorSamples.push(`HTTP ${res.status}: ${res.body.toString().slice(0, 200)}`);
        continue;
      }
      objects += countObjects(res.body);
      const last = res.headers['x-taxii-date-added-last'];
      // At the head of the collection, start over from the beginning, as a new partner would.
      after = typeof last === 'string' ? last : '1970-01-01T00:00:00.000000Z';
    }
  };
  await Promise.all(task.pollers.map(poller));
  const seconds = (performance.now() - started) / 1000;
  return { requests: samples.length, seconds, requestsPerSecond: samples.length / seconds, objects, errors, errorSamples, ...latencySummary(samples) };
}

async function lookup(task: Extract<LoadTask, { kind: 'lookup' }>) {
  const samples: number[] = [];
  let errors = 0;
  let i = 0;
  const deadline = performance.now() + task.seconds * 1000;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < deadline) {
      const path = task.paths[i++ % task.paths.length] as string;
      const t0 = performance.now();
      const res = await send(`${task.url}${path}`, task.as);
      samples.push(performance.now() - t0);
      if (res.status !== 200) errors += 1;
    }
  };
  await Promise.all(Array.from({ length: task.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { requests: samples.length, seconds, requestsPerSecond: samples.length / seconds, errors, ...latencySummary(samples) };
}

async function run(task: LoadTask): Promise<unknown> {
  switch (task.kind) {
    case 'ingest':
      return ingest(task);
    case 'sync':
      return sync(task);
    case 'latency':
      return latency(task);
    case 'poll':
      return poll(task);
    case 'lookup':
      return lookup(task);
  }
}

// The task comes as a file: a list of ids can exceed what one argument may hold.
const task = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as LoadTask;
run(task)
  .then((result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    agent.destroy();
  })
  .catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
