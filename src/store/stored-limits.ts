/** Rate limits in partners and partner_groups (migration 0007): NULL inherits, 0 is unlimited. */
import type { RateLimitOverrides } from '../config/types.js';

export function toStoredLimit(perMinute: number | undefined): number | null {
  if (perMinute === undefined) return null;
  return Number.isFinite(perMinute) ? perMinute : 0;
}

export function fromStoredLimits(reads: number | null, writes: number | null): RateLimitOverrides {
  const value = (stored: number) => (stored === 0 ? Number.POSITIVE_INFINITY : stored);
  return {
    ...(reads !== null && { readsPerMinute: value(Number(reads)) }),
    ...(writes !== null && { writesPerMinute: value(Number(writes)) }),
  };
}
