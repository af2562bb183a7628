/**
 * Load on a server under faults: writers POST envelopes in a loop, pollers sync the
 * collection with next and added_after, readers ask for discovery and the
 * collection; every answer is recorded with its time. Partner cert-fr of the demo
 * configuration reads and writes shared-indicators (README "Demo partners").
 */
import { request } from 'node:http';
import { indicator } from '../helpers/stix.js';
import { sleep } from './harness.js';

export const TAXII = 'application/taxii+json;version=2.1';
export const SHARED_ID = 'bc5bbb44-03d6-4308-8f9d-9b9b903cfc4b';
export const SHARED = `/alliance/collections/${SHARED_ID}/`;
const AUTH = `Basic ${Buffer.from('cert-fr:demo-key-cert-fr-0001').toString('base64')}`;
/** No request may take longer than this: a longer one is a hang. */
export const REQUEST_TIMEOUT_MS = 25_000;

export interface Outcome {
  readonly method: string;
  readonly path: string;
  /** 0: no answer (connection refused or reset, or the client timeout). */
  readonly status: number;
  readonly error?: string;
  readonly startedAt: number;
  readonly ms: number;
  readonly retryAfter?: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** One request on a connection of its own (so node:cluster hands each to the next worker), with a client timeout. */
export function send(
  port: number, method: 'GET' | 'POST', path: string, body?: string, timeoutMs = REQUEST_TIMEOUT_MS, authorization = AUTH,
): Promise<Outcome> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: Omit<Outcome, 'method' | 'path' | 'startedAt' | 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ method, path, startedAt, ms: Date.now() - startedAt, ...outcome });
    };
    const req = request(
      {
        host: '127.0.0.1', port, path, method, agent: false,
        headers: { accept: TAXII, authorization, ...(body !== undefined && { 'content-type': TAXII }) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          done({ status: res.statusCode ?? 0, headers: res.headers, text, ...(retryAfter !== undefined && { retryAfter }) });
        });
        res.on('error', (err) => done({ status: 0, error: err.message, headers: {}, text }));
      },
    );
    req.setTimeout(timeoutMs, () => {
      done({ status: 0, error: `no answer within ${timeoutMs} ms (a hang)`, headers: {}, text: '' });
      req.destroy();
    });
    req.on('error', (err) => done({ status: 0, error: err.message, headers: {}, text: '' }));
    req.end(body);
  });
}

export function describe(o: Outcome): string {
  return `${o.method} ${o.path.slice(0, 80)} -> ${o.status === 0 ? o.error : o.status} after ${o.ms} ms ${o.text.slice(0, 300)}`;
}

/** A 202 answer: the status resource says these versions are stored. */
export interface Accepted {
  readonly statusId: string;
  readonly successes: readonly { id: string; version: string }[];
}

export function envelope(size: number): string {
  return JSON.stringify({ objects: Array.from({ length: size }, () => indicator()) });
}

/**
 * A TAXII client syncing the collection: pages with `next` while `more`, then polls
 * with added_after = the last X-TAXII-Date-Added-Last. It checks as it goes that
 * no object comes twice and that date_added only moves forward.
 */
export interface Poller {
  readonly seen: Set<string>;
  readonly repeated: string[];
  readonly backwards: string[];
  /** One request; true when the answer was a page with no more after it. */
  step(port: number): Promise<{ outcome: Outcome; caughtUp: boolean }>;
}

export function createPoller(limit = 500): Poller {
  let addedAfter: string | undefined;
  let next: string | undefined;
  let last = '';
  let busy = false;
  const seen = new Set<string>();
  const repeated: string[] = [];
  const backwards: string[] = [];

  const stepOnce = async (port: number): Promise<{ outcome: Outcome; caughtUp: boolean }> => {
    const query = next !== undefined ? `&next=${encodeURIComponent(next)}` : addedAfter !== undefined ? `&added_after=${addedAfter}` : '';
    const outcome = await send(port, 'GET', `${SHARED}objects/?limit=${limit}${query}`);
    if (outcome.status !== 200) return { outcome, caughtUp: false };
    const page = JSON.parse(outcome.text) as { more?: boolean; next?: string; objects?: { id: string }[] };
    const first = outcome.headers['x-taxii-date-added-first'];
    const lastHere = outcome.headers['x-taxii-date-added-last'];
    if (typeof first === 'string' && typeof lastHere === 'string') {
      if (!(first > last)) backwards.push(`page starting ${first} after one ending ${last}`);
      last = lastHere;
    }
    for (const o of page.objects ?? []) {
      if (seen.has(o.id)) repeated.push(o.id);
      seen.add(o.id);
    }
    if (page.more === true && page.next !== undefined) {
      next = page.next;
      return { outcome, caughtUp: false };
    }
    next = undefined;
    if (typeof lastHere === 'string') addedAfter = lastHere;
    return { outcome, caughtUp: true };
  };

  return {
    seen,
    repeated,
    backwards,
    async step(port) {
      // Two loops stepping one poller would mix their positions and report repeats that are not the server's.
      if (busy) throw new Error('a poller takes one step at a time');
      busy = true;
      try {
        return await stepOnce(port);
      } finally {
        busy = false;
      }
    },
  };
}

export interface LoadOptions {
  /** Requests go to these ports in turn (several server processes). */
  readonly ports: readonly number[];
  readonly writers: number;
  readonly envelopeSize: number;
  /**
   * Pollers to run: a number of new ones, or pollers of an earlier load, which go on
   * from where they stopped (so a catch-up does not read the whole collection again).
   */
  readonly pollers?: number | readonly Poller[];
  /** Loops requesting discovery and the collection. */
  readonly readers?: number;
  /** Pause after an answer that is not 2xx, as a client honouring Retry-After a little would. */
  readonly backoffMs?: number;
}

export interface Load {
  readonly outcomes: Outcome[];
  readonly accepted: Accepted[];
  readonly pollers: Poller[];
  stop(): Promise<void>;
}

export function startLoad(options: LoadOptions): Load {
  const outcomes: Outcome[] = [];
  const accepted: Accepted[] = [];
  const pollers = typeof options.pollers === 'object' ? [...options.pollers] : Array.from({ length: options.pollers ?? 1 }, () => createPoller());
  let stopped = false;
  let turn = 0;
  const port = () => options.ports[turn++ % options.ports.length] as number;
  const pause = (o: Outcome) => (o.status >= 200 && o.status < 300 ? undefined : sleep(options.backoffMs ?? 200));

  const writer = async () => {
    while (!stopped) {
      const o = await send(port(), 'POST', `${SHARED}objects/`, envelope(options.envelopeSize));
      outcomes.push(o);
      if (o.status === 202) {
        const status = JSON.parse(o.text) as { id: string; successes?: { id: string; version: string }[] };
        accepted.push({ statusId: status.id, successes: status.successes ?? [] });
      }
      await pause(o);
    }
  };
  const poll = async (poller: Poller) => {
    while (!stopped) {
      const { outcome, caughtUp } = await poller.step(port());
      outcomes.push(outcome);
      await (pause(outcome) ?? (caughtUp ? sleep(100) : undefined));
    }
  };
  const read = async () => {
    const paths = ['/taxii2/', '/alliance/', `${SHARED}`, `${SHARED}manifest/?limit=50`];
    for (let i = 0; !stopped; i++) {
      const o = await send(port(), 'GET', paths[i % paths.length] as string);
      outcomes.push(o);
      await (pause(o) ?? sleep(50));
    }
  };
  const loops = [
    ...Array.from({ length: options.writers }, writer),
    ...pollers.map(poll),
    ...Array.from({ length: options.readers ?? 1 }, read),
  ];
  return {
    outcomes,
    accepted,
    pollers,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** Counts by status, e.g. { 200: 40, 202: 12, 503: 7 }, for messages. */
export function tally(outcomes: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.status === 0 ? 'no answer' : o.status] = (counts[o.status === 0 ? 'no answer' : o.status] ?? 0) + 1;
  return counts;
}
