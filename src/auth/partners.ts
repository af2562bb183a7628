/** Partners as authentication sees them, and the lookup it needs (the store implements it). */
import type { RateLimitOverrides } from '../config/types.js';
import type { TlpLevel } from '../stix/tlp.js';

export interface PartnerRecord {
  readonly id: string;
  readonly name: string;
  readonly status: 'active' | 'suspended' | 'removed';
  readonly apiKeyHashes: readonly string[];
  readonly clearance: TlpLevel;
  readonly communities: readonly string[];
  readonly identity: string | null;
  /** Client certificates naming it (config/certificates.ts), and whether it must present one. */
  readonly certificates: readonly string[];
  readonly requireCertificate: boolean;
  /** The partner's own rate limits, and those of each group it belongs to. */
  readonly rateLimits: RateLimitOverrides;
  readonly groupRateLimits: readonly RateLimitOverrides[];
}

export interface PartnerLookup {
  /** The partner as stored now: read on every request, so a change applies to the next one. */
  findPartner(id: string): Promise<PartnerRecord | undefined>;
}
