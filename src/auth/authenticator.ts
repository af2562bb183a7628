/**
 * Turns verified credentials into a Principal. HTTP Basic carries the partner id
 * and an API key; the key is checked against the partner's scrypt hashes, with a
 * short cache of successful checks so polling is not CPU-bound. The partner row
 * is read on every request, so a suspension applies to the very next request.
 */
import { createHash } from 'node:crypto';
import type { Reader } from '../policy/visibility.js';
import type { Directory, PartnerRecord } from '../store/directory.js';
import { verifyApiKey } from './api-keys.js';

/** The authenticated caller, as read from the database on this request. */
export interface Principal extends Reader {
  readonly name: string;
  /** STIX identity id of the partner's organization, when configured. */
  readonly identity: string | null;
}

function principalOf(partner: PartnerRecord): Principal {
  return {
    partnerId: partner.id,
    name: partner.name,
    clearance: partner.clearance,
    communities: partner.communities,
    identity: partner.identity,
  };
}

export interface Authenticator {
  /** Undefined when the id is unknown, the key wrong, or the partner not active. */
  basic(partnerId: string, apiKey: string): Promise<Principal | undefined>;
  /** For an already verified token subject. */
  subject(partnerId: string): Promise<Principal | undefined>;
}

const CACHE_LIMIT = 10_000;
// RFC 7617: user ids and passwords contain no control characters.
const CONTROL = /[\u0000-\u001f\u007f]/;

export function createAuthenticator(directory: Directory, cacheSeconds: number, now: () => number = Date.now): Authenticator {
  // Key: digest of (partner, key, stored hash); a rotated hash misses the cache by construction.
  const verified = new Map<string, number>();

  async function keyMatches(partner: PartnerRecord, apiKey: string): Promise<boolean> {
    for (const stored of partner.apiKeyHashes) {
      const cacheKey = createHash('sha256').update(`${partner.id}\u0000${apiKey}\u0000${stored}`).digest('base64');
      const until = verified.get(cacheKey);
      if (until !== undefined && until > now()) return true;
      if (await verifyApiKey(apiKey, stored)) {
        if (verified.size >= CACHE_LIMIT) verified.clear();
        if (cacheSeconds > 0) verified.set(cacheKey, now() + cacheSeconds * 1000);
        return true;
      }
    }
    return false;
  }

  const active = async (partnerId: string): Promise<PartnerRecord | undefined> => {
    if (CONTROL.test(partnerId) || partnerId.length > 128) return undefined;
    const partner = await directory.findPartner(partnerId);
    return partner?.status === 'active' ? partner : undefined;
  };

  return {
    async basic(partnerId, apiKey) {
      if (CONTROL.test(apiKey) || apiKey.length > 1024) return undefined;
      const partner = await active(partnerId);
      if (partner === undefined || !(await keyMatches(partner, apiKey))) return undefined;
      return principalOf(partner);
    },
    async subject(partnerId) {
      const partner = await active(partnerId);
      return partner && principalOf(partner);
    },
  };
}
