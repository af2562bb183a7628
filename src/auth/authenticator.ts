/**
 * Turns verified credentials into a Principal. HTTP Basic carries the partner id
 * and an API key; the key is checked against the partner's scrypt hashes, with a
 * short cache of successful checks so polling is not CPU-bound. The partner row
 * is read on every request, so a suspension applies to the very next request.
 *
 * A failed check costs what a successful one costs: an unknown, suspended or
 * keyless partner id is checked against a dummy hash, so neither the time nor the
 * answer tells which partner ids exist (issue 10, defect 6).
 */
import { createHash } from 'node:crypto';
import type { RateLimits } from '../config/types.js';
import { effectiveRateLimits } from '../policy/rate-limits.js';
import type { Reader } from '../policy/read-scope.js';
import type { PartnerLookup, PartnerRecord } from './partners.js';
import { verifyApiKey } from '../config/api-keys.js';

/** The authenticated caller, as read from the database on this request. */
export interface Principal extends Reader {
  readonly name: string;
  /** STIX identity id of the partner's organization, when configured. */
  readonly identity: string | null;
  readonly rateLimits: RateLimits;
  /** Client certificates naming the partner, and whether it must present one (http/authentication.ts). */
  readonly certificates: readonly string[];
  readonly requireCertificate: boolean;
}

/** Why credentials were refused: for the operator's log, never for the client. */
export type RefusalReason = 'unknown partner' | 'wrong key' | 'partner not active' | 'malformed credentials';

export type Authentication =
  | { readonly principal: Principal }
  | { readonly refused: RefusalReason };

export interface Authenticator {
  /**
   * Checks a partner id and API key. `beforeHashing` runs before a key is hashed
   * (not when the check is answered from the cache of recent successes): it throws
   * to refuse the attempt unchecked, and returns what to call with the outcome.
   */
  basic(partnerId: string, apiKey: string, beforeHashing: () => Promise<(succeeded: boolean) => void>): Promise<Authentication>;
  /** For an already verified token subject. */
  subject(partnerId: string): Promise<Authentication>;
}

export interface AuthenticatorOptions {
  readonly cacheSeconds: number;
  /** Applies to partners that set no rate limits of their own or through a group. */
  readonly defaultRateLimits: RateLimits;
  readonly now?: () => number;
  /** How a key is checked against a stored hash (tests count the calls). */
  readonly verify?: (apiKey: string, stored: string) => Promise<boolean>;
}

/**
 * The hash of a random key nobody knows (generated once and thrown away), with the
 * cost parameters of api-keys.ts: checking a key against it costs what checking a
 * real partner's key costs, and never succeeds.
 */
export const DUMMY_KEY_HASH = 'scrypt$16384$8$1$E+sUqBy/Ksvvzfjl4Dx1Pg==$dAr07RpS+zohs6g5ZjApU0VqeW2qIty577wUszP0JPU=';

const CACHE_LIMIT = 10_000;
// RFC 7617: user ids and passwords contain no control characters.
const CONTROL = /[\u0000-\u001f\u007f]/;

export function createAuthenticator(directory: PartnerLookup, options: AuthenticatorOptions): Authenticator {
  const now = options.now ?? Date.now;
  const verify = options.verify ?? verifyApiKey;
  // Key: digest of (partner, key, stored hash); a rotated hash misses the cache by construction.
  const verified = new Map<string, number>();
  const checking = new Map<string, Promise<boolean>>();

  const principalOf = (partner: PartnerRecord): Principal => ({
    partnerId: partner.id,
    name: partner.name,
    clearance: partner.clearance,
    communities: partner.communities,
    identity: partner.identity,
    rateLimits: effectiveRateLimits(partner.rateLimits, partner.groupRateLimits, options.defaultRateLimits),
    certificates: partner.certificates,
    requireCertificate: partner.requireCertificate,
  });

  const cacheKey = (partnerId: string, apiKey: string, stored: string) =>
    createHash('sha256').update(`${partnerId}\u0000${apiKey}\u0000${stored}`).digest('base64');

  /**
   * Whether this key succeeded within the last cacheSeconds; each use extends it, so a
   * partner that keeps polling never pays for a hash again (all of them expiring at
   * once made every cache period a burst of scrypt work). Rotating or removing the key,
   * or suspending the partner, still applies at once: the stored hash is part of the
   * cache key, and the partner row is read on every request.
   */
  const cached = (partner: PartnerRecord, apiKey: string) =>
    partner.apiKeyHashes.some((stored) => {
      const key = cacheKey(partner.id, apiKey, stored);
      if ((verified.get(key) ?? 0) <= now()) return false;
      verified.set(key, now() + options.cacheSeconds * 1000);
      return true;
    });

  /** One scrypt per stored key, and one against a dummy hash when there is none to try. */
  async function keyMatches(partnerId: string, hashes: readonly string[], apiKey: string): Promise<boolean> {
    if (hashes.length === 0) {
      await verify(apiKey, DUMMY_KEY_HASH);
      return false;
    }
    for (const stored of hashes) {
      if (await verify(apiKey, stored)) {
        if (verified.size >= CACHE_LIMIT) verified.clear();
        if (options.cacheSeconds > 0) verified.set(cacheKey(partnerId, apiKey, stored), now() + options.cacheSeconds * 1000);
        return true;
      }
    }
    return false;
  }

  const wellFormed = (partnerId: string) => !CONTROL.test(partnerId) && partnerId.length > 0 && partnerId.length <= 128;

  return {
    async basic(partnerId, apiKey, beforeHashing) {
      if (!wellFormed(partnerId) || CONTROL.test(apiKey) || apiKey.length > 1024) return { refused: 'malformed credentials' };
      const partner = await directory.findPartner(partnerId);
      const active = partner?.status === 'active';
      if (active && cached(partner, apiKey)) return { principal: principalOf(partner) };
      const hashes = partner?.apiKeyHashes ?? [];
      // Concurrent requests with the same credentials (a client opening several connections at
      // once) share one check: one hashing, one throttle token.
      const checkKey = cacheKey(partnerId, apiKey, hashes.join(','));
      let check = checking.get(checkKey);
      if (check === undefined) {
        check = (async () => {
          const report = await beforeHashing();
          let matches = false;
          try {
            matches = await keyMatches(partnerId, hashes, apiKey);
            return matches;
          } finally {
            report(matches && active);
          }
        })().finally(() => checking.delete(checkKey));
        checking.set(checkKey, check);
      }
      const matches = await check;
      if (partner === undefined) return { refused: 'unknown partner' };
      if (!matches) return { refused: 'wrong key' };
      if (!active) return { refused: 'partner not active' };
      return { principal: principalOf(partner) };
    },
    async subject(partnerId) {
      if (!wellFormed(partnerId)) return { refused: 'malformed credentials' };
      const partner = await directory.findPartner(partnerId);
      if (partner === undefined) return { refused: 'unknown partner' };
      if (partner.status !== 'active') return { refused: 'partner not active' };
      return { principal: principalOf(partner) };
    },
  };
}
