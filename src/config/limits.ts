/**
 * Defaults of the protective limits (README "Limits and timeouts" lists each one),
 * and how the configuration file's snake_case limits become ServerLimits.
 */
import type { RateLimitOverrides, RateLimits, ServerLimits } from './types.js';

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: ServerLimits = Object.freeze({
  // A 10 MiB envelope over a 1 Mbit/s link takes about 80 s.
  requestTimeoutSeconds: 120,
  headersTimeoutSeconds: 20,
  idleTimeoutSeconds: 30,
  keepAliveTimeoutSeconds: 5,
  // Below the usual 1,024 file descriptors of a process once the pool and files are counted.
  maxConnections: 900,
  maxConnectionsPerAddress: 100,
  // Inside the 30 s container runtimes usually leave between SIGTERM and SIGKILL.
  shutdownGraceSeconds: 15,
  // Bodies are held as text while they wait; with one envelope parsed at a time this keeps the
  // heap well inside the 160 MB the server runs with.
  bodyBytesInFlight: 32 * MiB,
  partnerBodyBytesInFlight: 12 * MiB,
  databaseStatementTimeoutSeconds: 30,
  databaseLockTimeoutSeconds: 5,
  databaseAcquireTimeoutSeconds: 10,
  authFailuresPerAddressPerMinute: 30,
  authFailuresPerPartnerPerMinute: 10,
});

// A full sync of a million objects is 1,000 pages: well under a minute's reads.
export const DEFAULT_RATE_LIMITS: RateLimits = Object.freeze({ readsPerMinute: 3000, writesPerMinute: 300 });

export type RawPerMinute = number | 'unlimited';
export interface RawRateLimits {
  reads_per_minute?: RawPerMinute;
  writes_per_minute?: RawPerMinute;
}

const perMinute = (raw: RawPerMinute): number => (raw === 'unlimited' ? Number.POSITIVE_INFINITY : raw);

export function rateLimitOverrides(raw: RawRateLimits | undefined): RateLimitOverrides {
  return {
    ...(raw?.reads_per_minute !== undefined && { readsPerMinute: perMinute(raw.reads_per_minute) }),
    ...(raw?.writes_per_minute !== undefined && { writesPerMinute: perMinute(raw.writes_per_minute) }),
  };
}

export function serverRateLimits(raw: RawRateLimits | undefined): RateLimits {
  return { ...DEFAULT_RATE_LIMITS, ...rateLimitOverrides(raw) };
}

/** snake_case keys of the file, each the camelCase field with its unit spelled out. */
export type RawLimits = Partial<Record<string, number>>;

const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function serverLimits(raw: RawLimits | undefined): ServerLimits {
  const resolved: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const name of Object.keys(DEFAULT_LIMITS)) {
    const value = raw?.[snake(name)];
    if (value !== undefined) resolved[name] = value;
  }
  return resolved as unknown as ServerLimits;
}
