/**
 * The soak's load process (started by bench/soak.ts, never by hand): pushers
 * posting envelopes at a fixed rate and pollers following their collection with
 * added_after = the last X-TAXII-Date-Added-Last, for a bounded time; then the
 * pushers stop, every poller finishes one complete poll begun after the last
 * acknowledgement, and the ledger checks delivery.
 *
 *   node dist/bench/soak-load.js TASK.json
 *
 * prints one JSON result (SoakLoadResult) on stdout; progress goes to stderr.
 */
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Reader } from '../src/policy/read-scope.js';
import type { TlpLevel } from '../src/stix/tlp.js';
import { createEnvelopeSource } from './soak-envelopes.js';
import { Ledger, type DeliveryCheck } from './soak-ledger.js';

export interface SoakPartner {
  readonly partner: string;
  readonly key: string;
  /** Index into SoakTask.collections. */
  readonly collection: number;
}

export interface SoakTask {
  /** http://127.0.0.1:PORT/ROOT/collections/ */
  readonly collectionsUrl: string;
  readonly collections: readonly string[];
  readonly pushers: readonly SoakPartner[];
  readonly pollers: readonly (SoakPartner & { readonly reader: Reader })[];
  readonly policy: { readonly defaultTlp: TlpLevel; readonly granular: 'withhold' | 'redact'; readonly hideDangling: boolean };
  readonly seconds: number;
  readonly pollIntervalMs: number;
  readonly pushIntervalMs: number;
  readonly envelope: number;
  readonly limit: number;
  readonly timeoutMs: number;
  readonly drainSeconds: number;
  readonly seed: number;
}

export interface Latency {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface LatencyWindow extends Latency {
  /** Seconds since the start of the load at which the window begins. */
  readonly from: number;
}

export interface SoakLoadResult {
  readonly pushSeconds: number;
  readonly drainSeconds: number;
  /** Every poller finished a clean poll begun after the last acknowledgement, within --drain. */
  readonly drained: boolean;
  readonly polls: {
    readonly requests: number; readonly cycles: number; readonly objects: number; readonly latencyMs: Latency; readonly windows: LatencyWindow[];
  };
  readonly pushes: {
    readonly requests: number;
    /** Envelopes not posted because the pusher's previous post outlasted the interval. */
    readonly missedSlots: number;
    readonly objectsPosted: number;
    readonly successes: number;
    readonly alreadyPresent: number;
    readonly rejected: number;
    readonly rejectedSamples: string[];
    /** Distinct versions acknowledged (stored, or already present from another pusher). */
    readonly versionsAcknowledged: number;
    readonly latencyMs: Latency;
    readonly windows: LatencyWindow[];
  };
  /** "HTTP 503", "connection ECONNRESET", "timeout", …: requests that got no usable answer. */
  readonly errors: Record<string, number>;
  /** Seconds since the load process started of the first and the last error of each kind. */
  readonly errorSpans: Record<string, [number, number]>;
  readonly errorSamples: string[];
  readonly check: DeliveryCheck;
}

const ACCEPT = 'application/taxii+json;version=2.1';
const EPOCH = performance.now();
// One connection per simulated partner, kept alive between its requests, as a real client's
// would be. (A shared pool would leave some sockets idle until the server's keep-alive timeout.)
const agents = new Map<string, Agent>();
const agentOf = (partner: string): Agent => {
  let agent = agents.get(partner);
  if (agent === undefined) agents.set(partner, (agent = new Agent({ keepAlive: true, maxSockets: 1 })));
  return agent;
};
/** When each socket last finished a response: how long it had been idle when a request on it failed. */
const lastAnswered = new WeakMap<Socket, number>();

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

class Failure extends Error {}

const errors: Record<string, number> = {};
const errorSpans: Record<string, [number, number]> = {};
const errorSamples: string[] = [];
function failed(kind: string, detail: string): void {
  const t = Math.round((performance.now() - EPOCH) / 100) / 10;
  errors[kind] = (errors[kind] ?? 0) + 1;
  errorSpans[kind] = [errorSpans[kind]?.[0] ?? t, t];
  if (errorSamples.length < 20) errorSamples.push(`${t.toFixed(1)}s ${kind}: ${detail.slice(0, 300)}`);
}

/** One request; a timeout, a connection error or a status other than `expected` is recorded and thrown. */
function send(url: string, who: SoakPartner, timeoutMs: number, expected: number, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      accept: ACCEPT,
      authorization: `Basic ${Buffer.from(`${who.partner}:${who.key}`).toString('base64')}`,
    };
    if (body !== undefined) {
      headers['content-type'] = ACCEPT;
      headers['content-length'] = String(body.length);
    }
    let timedOut = false;
    const sent = performance.now();
    const req = request(url, { method: body === undefined ? 'GET' : 'POST', agent: agentOf(who.partner), headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        if (used !== undefined) lastAnswered.set(used, performance.now());
        const answer = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
        if (answer.status === expected) return resolve(answer);
        failed(`HTTP ${answer.status}`, `${req.method} ${url.replace(/^http:\/\/[^/]+/, '')} ${answer.body.toString().slice(0, 200)}`);
        reject(new Failure());
      });
      res.on('error', () => undefined);
    });
    let idleBefore: number | undefined;
    let used: Socket | undefined;
    req.on('socket', (socket: Socket) => {
      used = socket;
      const last = lastAnswered.get(socket);
      if (last !== undefined) idleBefore = performance.now() - last;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (timedOut) failed('timeout', `${req.method} ${url.replace(/^http:\/\/[^/]+/, '')} after ${timeoutMs} ms`);
      else {
        // A kept-alive socket the server closed as it was reused is a known HTTP/1.1 race (RFC 9112 §9.3.1);
        // how long the socket had been idle tells it apart from a connection dropped mid-request.
        const how = `${idleBefore === undefined ? 'new connection' : `kept-alive connection idle for ${Math.round(idleBefore)} ms`}, ` +
          `failed ${Math.round(performance.now() - sent)} ms after sending`;
        failed(`connection ${err.code ?? err.message}`, `${req.method} ${url.replace(/^http:\/\/[^/]+/, '')} (${how})`);
      }
      reject(new Failure());
    });
    req.end(body);
  });
}

function summary(samples: readonly number[]): Latency {
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) => (sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number));
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.length === 0 ? 0 : (sorted[sorted.length - 1] as number) };
}

/** Request latencies with their start times, for the whole run and window by window (drift shows there). */
class LatencyLog {
  private readonly starts: number[] = [];
  private readonly durations: number[] = [];

  record(start: number): void {
    this.starts.push(start);
    this.durations.push(performance.now() - start);
  }

  summary(): Latency {
    return summary(this.durations);
  }

  windows(origin: number, windowMs: number): LatencyWindow[] {
    const buckets: number[][] = [];
    this.starts.forEach((start, i) => (buckets[Math.floor((start - origin) / windowMs)] ??= []).push(this.durations[i] as number));
    return Array.from(buckets, (b, w) => ({ from: (w * windowMs) / 1000, ...summary(b ?? []) }));
  }
}

const sleepUntil = (t: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, t - performance.now())));

async function run(task: SoakTask): Promise<SoakLoadResult> {
  const ledger = new Ledger(task.pollers, task.policy);
  const started = performance.now();
  const pushDeadline = started + task.seconds * 1000;
  let pushesEnded: number | undefined;
  let drainDeadline = Number.POSITIVE_INFINITY;
  const objectsUrl = (collection: number) => `${task.collectionsUrl}${task.collections[collection]}/objects/`;

  const push = { requests: 0, missedSlots: 0, objectsPosted: 0, successes: 0, alreadyPresent: 0, rejected: 0, rejectedSamples: [] as string[] };
  const pushLatency = new LatencyLog();
  const pusher = async (p: SoakPartner, index: number) => {
    const next = createEnvelopeSource(task.seed, index, task.envelope);
    // Staggered, so the pushers do not post in step.
    let at = started + (task.pushIntervalMs * index) / task.pushers.length;
    for (;;) {
      await sleepUntil(at);
      const now = performance.now();
      if (now >= pushDeadline) return;
      // A post slower than the interval delays the next one; slots that pass meanwhile are not made up.
      const missed = Math.max(0, Math.floor((now - at) / task.pushIntervalMs));
      push.missedSlots += missed;
      at = missed > 0 ? now + task.pushIntervalMs : at + task.pushIntervalMs;
      const envelope = next();
      ledger.posted(p.collection, p.partner, envelope.objects);
      push.requests += 1;
      push.objectsPosted += envelope.objects.length;
      const t0 = performance.now();
      let answer: Answer;
      try {
        answer = await send(objectsUrl(p.collection), p, task.timeoutMs, 202, envelope.body);
      } catch (err) {
        if (err instanceof Failure) continue;
        throw err;
      } finally {
        pushLatency.record(t0);
      }
      const status = JSON.parse(answer.body.toString()) as {
        status: string; successes?: { id: string; version: string; message?: string }[]; failures?: { id: string; message: string }[];
      };
      if (status.status !== 'complete') failed(`status ${status.status}`, answer.body.toString());
      const unversioned = new Set(envelope.objects.filter((o) => o['modified'] === undefined && o['created'] === undefined).map((o) => o['id']));
      for (const s of status.successes ?? []) {
        ledger.acknowledged(p.collection, s.id, s.version, unversioned.has(s.id));
        push.successes += 1;
        if (s.message?.startsWith('already present') === true) push.alreadyPresent += 1;
      }
      for (const f of status.failures ?? []) {
        push.rejected += 1;
        if (push.rejectedSamples.length < 5) push.rejectedSamples.push(`${f.id}: ${f.message}`);
      }
    }
  };

  const poll = { requests: 0, cycles: 0, objects: 0 };
  const pollLatency = new LatencyLog();
  let undrained = 0;
  const poller = async (p: SoakPartner, index: number) => {
    const base = objectsUrl(p.collection);
    let after: string | undefined;
    /** One poll: pages from `after`, following next; true when it reached the end without an error. */
    const cycle = async (): Promise<boolean> => {
      // Every version, not the default last one: two versions added between two polls must both arrive.
      const filter = `?match[version]=all&limit=${task.limit}${after === undefined ? '' : `&added_after=${encodeURIComponent(after)}`}`;
      let next: string | undefined;
      for (;;) {
        const t0 = performance.now();
        let answer: Answer;
        try {
          poll.requests += 1;
          answer = await send(`${base}${filter}${next === undefined ? '' : `&next=${encodeURIComponent(next)}`}`, p, task.timeoutMs, 200);
        } catch (err) {
          if (err instanceof Failure) return false;
          throw err;
        } finally {
          pollLatency.record(t0);
        }
        const page = JSON.parse(answer.body.toString()) as { more?: boolean; next?: string; objects?: Record<string, unknown>[] };
        for (const o of page.objects ?? []) ledger.received(index, o);
        poll.objects += page.objects?.length ?? 0;
        // Every page ends at a point the poller may resume from, should a later page fail (T41: exclusive).
        const last = answer.headers['x-taxii-date-added-last'];
        if (typeof last === 'string') after = last;
        if (page.more !== true) return true;
        if (typeof page.next !== 'string') {
          failed('more without next', base);
          return false;
        }
        next = page.next;
      }
    };
    let at = started + (task.pollIntervalMs * index) / task.pollers.length;
    for (;;) {
      await sleepUntil(at);
      at = Math.max(performance.now(), at + task.pollIntervalMs);
      const afterPushes = pushesEnded !== undefined;
      const clean = await cycle();
      poll.cycles += 1;
      if (afterPushes && clean) return;
      if (performance.now() > drainDeadline) {
        undrained += 1;
        return;
      }
    }
  };

  const progress = setInterval(() => {
    const t = Math.round((performance.now() - started) / 1000);
    const errorCount = Object.values(errors).reduce((s, n) => s + n, 0);
    process.stderr.write(`[soak-load ${t}s] posted ${push.objectsPosted} objects in ${push.requests} envelopes; ${poll.requests} poll requests, ` +
      `${poll.objects} objects received; errors ${errorCount}\n`);
  }, 10_000);
  const pollers = task.pollers.map(poller);
  await Promise.all(task.pushers.map(pusher));
  pushesEnded = performance.now();
  drainDeadline = pushesEnded + task.drainSeconds * 1000;
  process.stderr.write(`[soak-load] pushers stopped; pollers draining (at most ${task.drainSeconds}s)\n`);
  await Promise.all(pollers);
  clearInterval(progress);
  const drained = performance.now();
  // About a dozen windows over the run, none shorter than 10 s.
  const windowMs = Math.max(10_000, Math.ceil(task.seconds / 12 / 10) * 10_000);
  process.stderr.write(`[soak-load] checking delivery of ${ledger.versionCount} versions to ${task.pollers.length} pollers\n`);
  return {
    pushSeconds: (pushesEnded - started) / 1000,
    drainSeconds: (drained - pushesEnded) / 1000,
    drained: undrained === 0,
    polls: { ...poll, latencyMs: pollLatency.summary(), windows: pollLatency.windows(started, windowMs) },
    pushes: { ...push, versionsAcknowledged: ledger.acknowledgedCount, latencyMs: pushLatency.summary(), windows: pushLatency.windows(started, windowMs) },
    errors,
    errorSpans,
    errorSamples,
    check: ledger.check(),
  };
}

// Ctrl-C reaches the whole process group; bench/soak.ts decides and ends this process.
process.on('SIGINT', () => undefined);
const task = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as SoakTask;
run(task)
  .then((result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    for (const agent of agents.values()) agent.destroy();
  })
  .catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
