/**
 * Failed authentications are rationed per client address and per partner id named
 * (issue 10, defect 6): each failed Basic attempt that cost a key hash takes a token
 * from both buckets, and an attempt finding either empty is answered 429 with
 * Retry-After before any hashing, whatever the partner id (known or not: the answer
 * must not tell). One address hashes at most a few keys at a time, the rest waiting
 * their turn, so a crowd of concurrent guesses cannot fill the thread pool with
 * scrypt work nor run past the budget, while many partners behind one proxy that
 * log in at once are only queued, never refused. Credentials that succeeded recently
 * are answered from the authenticator's cache and never reach this throttle.
 */
import type { ServerLimits } from '../config/types.js';
import { taxiiError } from '../errors.js';
import { createTokenBuckets } from './token-buckets.js';

/** Reports how a hashed attempt ended; a failure is counted. */
export type AttemptOutcome = (succeeded: boolean) => void;

export interface AuthThrottle {
  /**
   * Before hashing a key: waits for one of the address's hashing slots, then throws
   * 429 when the address or the partner id has no failures left; else returns how to
   * report the outcome (which also frees the slot).
   */
  attempt(address: string, partnerId: string): Promise<AttemptOutcome>;
  /** A failure that cost no hashing (a bad token): counted against the address only. */
  failedWithoutHashing(address: string): void;
  /** Throws 429 when the address has no failures left (checked before any other work). */
  check(address: string): void;
}

/** Keys hashed at once for one address; libuv runs four threads. */
const HASHING_SLOTS_PER_ADDRESS = 2;
/** Attempts of one address waiting for a slot; more are refused at once. */
const MAX_WAITING_PER_ADDRESS = 200;

function throttled(seconds: number): never {
  throw taxiiError(
    'AUTH_THROTTLED',
    'Too many failed authentications from this address or for this partner id; wait before trying again.',
    undefined,
    seconds,
  );
}

interface Slots {
  running: number;
  waiting: (() => void)[];
}

export function createAuthThrottle(limits: ServerLimits, now: () => number = Date.now): AuthThrottle {
  const byAddress = createTokenBuckets(limits.authFailuresPerAddressPerMinute, 10_000, now);
  const byPartner = createTokenBuckets(limits.authFailuresPerPartnerPerMinute, 10_000, now);
  const slots = new Map<string, Slots>();

  const enter = async (address: string): Promise<void> => {
    let s = slots.get(address);
    if (s === undefined) {
      s = { running: 0, waiting: [] };
      slots.set(address, s);
    }
    if (s.running < HASHING_SLOTS_PER_ADDRESS) {
      s.running += 1;
      return;
    }
    if (s.waiting.length >= MAX_WAITING_PER_ADDRESS) throttled(1);
    const queue = s.waiting;
    await new Promise<void>((resolve) => queue.push(resolve));
  };
  const leave = (address: string) => {
    const s = slots.get(address);
    if (s === undefined) return;
    const next = s.waiting.shift();
    if (next !== undefined) next();
    else if (--s.running === 0) slots.delete(address);
  };

  return {
    async attempt(address, partnerId) {
      await enter(address);
      const wait = byAddress.wait(address) ?? byPartner.wait(partnerId);
      if (wait !== undefined) {
        leave(address);
        throttled(wait);
      }
      let reported = false;
      return (succeeded) => {
        if (reported) return;
        reported = true;
        if (!succeeded) {
          byAddress.take(address);
          byPartner.take(partnerId);
        }
        leave(address);
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
