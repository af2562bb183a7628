/**
 * Per-partner request rate limits (issue 10): reads (GET, HEAD) and writes (POST,
 * DELETE) per minute, as configured for the partner, its groups or the server
 * (policy/rate-limits.ts). Over the limit: 429 with Retry-After and a TAXII error.
 *
 * Counting is a sliding window estimated from two fixed one-minute windows (the
 * previous window's count weighted by how much of it still overlaps the last
 * minute, plus the current window's). Each process counts locally and, on
 * PostgreSQL, adds its counts to the shared windows every second and learns the
 * other processes' (store/rate-windows.ts): the limit holds across TAXII_WORKERS
 * and machines, overshooting at most by what the others admitted within a second.
 * Should the database be unreachable, counting goes on locally.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { taxiiError } from '../errors.js';
import { WINDOW_MS, type RateWindows } from '../store/rate-windows.js';
import { principalOf } from './lookups.js';
import { surfaceOf } from './surfaces.js';

const SYNC_INTERVAL_MS = 1_000;

interface KeyState {
  window: number;
  /** Shared count of the current window as of the last sync, or the local count alone. */
  current: number;
  /** Counted here, not yet added to the shared window. */
  pending: number;
  previous: number;
  lastUsed: number;
}

export interface RateLimiter {
  /**
   * Counts one request; throws 429 when it would exceed `perMinute` over the last minute.
   * The first request of a key this process has not seen lately waits for the other
   * processes' counts; later ones are decided without waiting.
   */
  take(key: string, perMinute: number, what: string): Promise<void>;
  /** Adds local counts to the shared windows and refreshes the totals. */
  sync(): Promise<void>;
  close(): void;
}

const windowOf = (t: number) => Math.floor(t / WINDOW_MS) * WINDOW_MS;

function roll(state: KeyState, window: number): void {
  if (state.window === window) return;
  state.previous = state.window === window - WINDOW_MS ? state.current + state.pending : 0;
  state.current = 0;
  state.pending = 0;
  state.window = window;
}

export function createRateLimiter(windows: RateWindows | undefined, logger: FastifyBaseLogger, now: () => number = Date.now): RateLimiter {
  const keys = new Map<string, KeyState>();
  let syncing: Promise<void> | undefined;
  let lastPurge = 0;
  // Logged once per outage, not every second of it.
  let sharing = true;
  const cannotShare = (err: unknown, what: string) => {
    if (sharing) logger.warn({ err }, `rate limit counts could not be ${what}; counting locally until the database answers`);
    sharing = false;
  };

  const sync = async () => {
    if (windows === undefined) return;
    const t = now();
    const window = windowOf(t);
    const flushed = new Map<string, number>();
    for (const [key, state] of keys) {
      roll(state, window);
      if (t - state.lastUsed > 2 * WINDOW_MS) keys.delete(key);
      else flushed.set(key, state.pending);
    }
    if (flushed.size === 0) return;
    for (const key of flushed.keys()) (keys.get(key) as KeyState).pending = 0;
    try {
      const totals = await windows.add(window, flushed);
      for (const [key, counts] of totals) {
        const state = keys.get(key);
        if (state?.window !== window) continue;
        state.current = counts.current;
        state.previous = Math.max(state.previous, counts.previous);
      }
      if (t - lastPurge > WINDOW_MS) {
        lastPurge = t;
        await windows.purge(window - 2 * WINDOW_MS);
      }
      if (!sharing) logger.info('rate limit counts are shared again');
      sharing = true;
    } catch (err) {
      // Counted again at the next sync; meanwhile the local counts still apply.
      for (const [key, count] of flushed) {
        const state = keys.get(key);
        if (state?.window === window) {
          state.pending += count;
        }
      }
      cannotShare(err, 'shared');
    }
  };

  const timer = windows === undefined ? undefined : setInterval(() => {
    syncing ??= sync().finally(() => (syncing = undefined));
  }, SYNC_INTERVAL_MS);
  timer?.unref();

  /** The shared counts of a key this process has not counted lately (0 added). */
  const firstSight = async (key: string, window: number, t: number): Promise<KeyState> => {
    const state: KeyState = { window, current: 0, pending: 0, previous: 0, lastUsed: t };
    if (windows !== undefined) {
      try {
        const counts = (await windows.add(window, new Map([[key, 0]]))).get(key);
        if (counts !== undefined) {
          state.current = counts.current;
          state.previous = counts.previous;
        }
      } catch (err) {
        cannotShare(err, 'read');
      }
    }
    // Another request of the same key may have got here first.
    const existing = keys.get(key);
    if (existing !== undefined) return existing;
    keys.set(key, state);
    return state;
  };

  const decide = (state: KeyState, perMinute: number, what: string, t: number) => {
    roll(state, windowOf(t));
    state.lastUsed = t;
    const elapsed = (t - state.window) / WINDOW_MS;
    const inLastMinute = state.previous * (1 - elapsed) + state.current + state.pending;
    if (inLastMinute + 1 > perMinute) {
      // The previous window's share fades as time passes; a full current window waits for the next one.
      const room = perMinute - 1 - state.current - state.pending;
      const fadeAt = room >= 0 && state.previous > 0 ? state.window + (1 - room / state.previous) * WINDOW_MS : state.window + WINDOW_MS;
      throw taxiiError(
        'RATE_LIMITED',
        `You may make ${perMinute} ${what} per minute; retry after the Retry-After delay.`,
        undefined,
        Math.max(1, (fadeAt - t) / 1000),
      );
    }
    state.pending += 1;
  };

  return {
    async take(key, perMinute, what) {
      if (!Number.isFinite(perMinute)) return;
      const t = now();
      const state = keys.get(key) ?? (await firstSight(key, windowOf(t), t));
      decide(state, perMinute, what, now());
    },
    sync: () => (syncing ??= sync().finally(() => (syncing = undefined))),
    close() {
      if (timer !== undefined) clearInterval(timer);
    },
  };
}

const READS = new Set(['GET', 'HEAD']);

/** After authentication: every request of a partner counts against its read or write limit. */
export function registerRateLimits(app: FastifyInstance, limiter: RateLimiter): void {
  app.addHook('onRequest', async (request) => {
    if (surfaceOf(request) !== 'taxii') return;
    const principal = principalOf(request);
    const { readsPerMinute, writesPerMinute } = principal.rateLimits;
    if (READS.has(request.method)) await limiter.take(`reads:${principal.partnerId}`, readsPerMinute, 'reads (GET requests)');
    else await limiter.take(`writes:${principal.partnerId}`, writesPerMinute, 'writes (POST and DELETE requests)');
  });
  app.addHook('onClose', async () => {
    limiter.close();
    await limiter.sync();
  });
}
