/**
 * Which request rate limits apply to a partner (issue 10): its own when it sets
 * them, else the most generous among its groups', else the server default; reads
 * and writes each on their own. Infinity is unlimited.
 */
import type { RateLimitOverrides, RateLimits } from '../config/types.js';

function mostGenerous(values: readonly (number | undefined)[]): number | undefined {
  const set = values.filter((v): v is number => v !== undefined);
  return set.length === 0 ? undefined : Math.max(...set);
}

export function effectiveRateLimits(
  own: RateLimitOverrides,
  groups: readonly RateLimitOverrides[],
  serverDefault: RateLimits,
): RateLimits {
  return {
    readsPerMinute: own.readsPerMinute ?? mostGenerous(groups.map((g) => g.readsPerMinute)) ?? serverDefault.readsPerMinute,
    writesPerMinute: own.writesPerMinute ?? mostGenerous(groups.map((g) => g.writesPerMinute)) ?? serverDefault.writesPerMinute,
  };
}
