/**
 * Failed authentications are rationed per client address and per partner id named
 * (issue 10, defect 6). Every Basic attempt that needs a key hashed first takes a
 * token from both buckets, and a success gives them back: so guessing keys, or
 * flooding the server with scrypt work, is limited to the configured failures per
 * minute, answered 429 with Retry-After beyond that, whatever the partner id (known
 * or not: the answer must not tell). Credentials that succeeded recently are
 * answered from a cache and never throttled.
 */
import type { ServerLimits } from '../config/types.js';
import { taxiiError } from '../errors.js';
import { createTokenBuckets } from './token-buckets.js';

export interface AuthThrottle {
  /** Before hashing a key: throws 429, or returns what to call when the attempt succeeded. */
  attempt(address: string, partnerId: string): () => void;
  /** A failure that cost no hashing (a bad token): counted against the address only. */
  failedWithoutHashing(address: string): void;
  /** Throws 429 when the address has no failures left (checked before any other work). */
  check(address: string): void;
}

function throttled(seconds: number): never {
  throw taxiiError(
    'AUTH_THROTTLED',
    'Too many failed authentications from this address or for this partner id; wait before trying again.',
    undefined,
    seconds,
  );
}

export function createAuthThrottle(limits: ServerLimits, now: () => number = Date.now): AuthThrottle {
  const byAddress = createTokenBuckets(limits.authFailuresPerAddressPerMinute, 10_000, now);
  const byPartner = createTokenBuckets(limits.authFailuresPerPartnerPerMinute, 10_000, now);
  return {
    attempt(address, partnerId) {
      const addressWait = byAddress.take(address);
      if (addressWait !== undefined) throttled(addressWait);
      const partnerWait = byPartner.take(partnerId);
      if (partnerWait !== undefined) {
        byAddress.refund(address);
        throttled(partnerWait);
      }
      return () => {
        byAddress.refund(address);
        byPartner.refund(partnerId);
      };
    },
    failedWithoutHashing(address) {
      byAddress.take(address);
    },
    check(address) {
      const wait = byAddress.wait(address);
      if (wait !== undefined) throttled(wait);
    },
  };
}
