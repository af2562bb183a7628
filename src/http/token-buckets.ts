/**
 * Token buckets by key, in process memory: each key may spend `perMinute` tokens a
 * minute, refilled continuously, with a burst of the same size. Keys whose bucket
 * is full again are forgotten, and at most `maxKeys` are kept (the oldest go
 * first), so a client inventing keys cannot grow memory without bound.
 */
export interface TokenBuckets {
  /** Takes one token; undefined when taken, else the seconds until one is available. */
  take(key: string): number | undefined;
  /** Gives back a token taken earlier (up to the bucket's size). */
  refund(key: string): void;
  /** Without taking: undefined when a token is available, else the seconds until one is. */
  wait(key: string): number | undefined;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createTokenBuckets(perMinute: number, maxKeys = 10_000, now: () => number = Date.now): TokenBuckets {
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, Bucket>();

  const current = (key: string): Bucket => {
    const t = now();
    const bucket = buckets.get(key);
    if (bucket === undefined) return { tokens: perMinute, at: t };
    return { tokens: Math.min(perMinute, bucket.tokens + (t - bucket.at) * perMs), at: t };
  };
  const store = (key: string, bucket: Bucket) => {
    buckets.delete(key);
    if (bucket.tokens >= perMinute) return;
    if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value as string);
    buckets.set(key, bucket);
  };

  return {
    take(key) {
      const bucket = current(key);
      if (bucket.tokens < 1) {
        store(key, bucket);
        return (1 - bucket.tokens) / perMs / 1000;
      }
      store(key, { tokens: bucket.tokens - 1, at: bucket.at });
      return undefined;
    },
    wait(key) {
      const bucket = current(key);
      return bucket.tokens < 1 ? (1 - bucket.tokens) / perMs / 1000 : undefined;
    },
    refund(key) {
      const bucket = current(key);
      store(key, { tokens: Math.min(perMinute, bucket.tokens + 1), at: bucket.at });
    },
  };
}
