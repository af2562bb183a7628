/**
 * The validated, resolved configuration. Glossary:
 * - API root: a TAXII API root served at `/{id}/`.
 * - Collection: a TAXII collection inside one API root, addressed by UUID or alias.
 * - Partner: an alliance member (e.g. a national CSIRT) that authenticates.
 * - Group: a named set of partners, so a grant can name many partners at once.
 * - Grant: read and/or write on one collection, to a partner or a group.
 * - Clearance: the highest TLP level a partner may receive.
 * - Community: a named circle of partners (e.g. nato, eu) a recipients marking can name.
 * - Rate limit: requests per minute a partner may make, reads (GET) and writes (POST, DELETE) apart.
 */
import type { TlpLevel } from '../stix/tlp.js';

export interface GrantConfig {
  readonly partner?: string;
  readonly group?: string;
  readonly read: boolean;
  readonly write: boolean;
}

export interface CollectionConfig {
  readonly id: string;
  readonly alias?: string;
  readonly title: string;
  readonly description?: string;
  /** How strictly posted objects are checked (see src/stix/custom-content.ts). */
  readonly validation: 'strict' | 'standard' | 'permissive';
  readonly policy: CollectionPolicy;
  readonly grants: readonly GrantConfig[];
}

/** Sharing policy of a collection (see src/policy/). */
export interface CollectionPolicy {
  readonly defaultTlp: TlpLevel;
  readonly maxTlp: TlpLevel;
  readonly requireMarking: boolean;
  readonly requireCreatorIdentity: boolean;
  readonly granular: 'withhold' | 'redact';
  readonly hideDanglingRelationships: boolean;
}

export interface ApiRootConfig {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly maxContentLength: number;
  readonly collections: readonly CollectionConfig[];
}

export interface PartnerConfig {
  readonly id: string;
  readonly name: string;
  readonly status: 'active' | 'suspended';
  readonly clearance: TlpLevel;
  readonly communities: readonly string[];
  /** STIX identity id of the partner's organization. */
  readonly identity?: string;
  /** scrypt hashes; keys given by environment reference are hashed at load time. */
  readonly apiKeyHashes: readonly string[];
  /** Client certificates naming this partner, as canonical texts (config/certificates.ts). */
  readonly certificates: readonly string[];
  /** It must present one of them, whatever its key or token. */
  readonly requireCertificate: boolean;
  /** The partner's own limits; they win over its groups' and the server default. */
  readonly rateLimits: RateLimitOverrides;
}

export interface GroupConfig {
  readonly id: string;
  readonly members: readonly string[];
  /** Limits of the members that set none of their own (the most generous group wins). */
  readonly rateLimits: RateLimitOverrides;
}

/** Requests per minute; Infinity is unlimited. */
export interface RateLimits {
  readonly readsPerMinute: number;
  readonly writesPerMinute: number;
}

/** Rate limits set by a partner or group; an absent one is inherited. */
export type RateLimitOverrides = Partial<RateLimits>;

/** Protective limits of each server process (README "Limits and timeouts"). */
export interface ServerLimits {
  readonly requestTimeoutSeconds: number;
  readonly headersTimeoutSeconds: number;
  readonly idleTimeoutSeconds: number;
  readonly keepAliveTimeoutSeconds: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly shutdownGraceSeconds: number;
  readonly bodyBytesInFlight: number;
  readonly partnerBodyBytesInFlight: number;
  readonly databaseStatementTimeoutSeconds: number;
  readonly databaseLockTimeoutSeconds: number;
  readonly databaseAcquireTimeoutSeconds: number;
  readonly authFailuresPerAddressPerMinute: number;
  readonly authFailuresPerPartnerPerMinute: number;
}

export interface JwtConfig {
  readonly algorithm: string;
  readonly key: string;
  readonly issuer?: string;
  readonly audience?: string;
}

export interface ServerSettings {
  readonly title: string;
  readonly description?: string;
  readonly contact?: string;
  readonly defaultApiRoot?: string;
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
  readonly maxMatchValues: number;
  readonly statusRetentionHours: number;
  /**
   * The audit trail (issue 12): on unless turned off (for measuring its cost), how
   * long it keeps what it recorded, and whether a read waits until its record is
   * flushed to disk (else it is written before the answer, flushed within a second).
   */
  readonly audit: { readonly enabled: boolean; readonly retentionDays: number; readonly flushReads: boolean };
  readonly cursorTtlSeconds: number;
  readonly credentialCacheSeconds: number;
  readonly limits: ServerLimits;
  /** Every partner's rate limits unless it or one of its groups sets others. */
  readonly rateLimits: RateLimits;
  /** Reverse proxies whose X-Forwarded-For names the client; absent, the header is ignored. */
  readonly trustedProxies?: readonly string[];
  /** TLS terminated by the server itself. */
  readonly tls?: TlsSettings;
}

/** The server's certificate and key, and the CA of the client certificates it takes (PEM files). */
export interface TlsSettings {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile?: string;
  /** `request`: a certificate is asked for and, if sent, must be the CA's; `require`: no connection without one. */
  readonly clientCertificates?: 'request' | 'require';
}

/** A user of the admin API: not a partner, and never accepted as one. */
export interface AdminApiConfig {
  readonly users: readonly AdminUser[];
  /** The web console for the admin users; absent, it is off. */
  readonly console?: { readonly sessionSeconds: number };
}

export interface AdminUser {
  readonly id: string;
  /** scrypt hashes, as partners' keys. */
  readonly apiKeyHashes: readonly string[];
}

/** Where Prometheus reads the metrics (README, "Metrics"). */
export interface MetricsConfig {
  /** A listener of its own, serving /metrics without credentials. */
  readonly listen?: { readonly port: number; readonly host: string };
  /** scrypt hashes of the bearer tokens that may read /metrics on the TAXII port; none, it is not served there. */
  readonly tokenHashes: readonly string[];
  /** Partners named in labels; the others are counted as `other`. */
  readonly partnerLabels: number;
}

export interface Config {
  /** A demonstration configuration, whose keys are published: served on loopback only unless TAXII_DEMO=1. */
  readonly demo: boolean;
  readonly server: ServerSettings;
  readonly auth: { readonly basic: boolean; readonly jwt?: JwtConfig };
  /** The admin API; absent, it is off. */
  readonly adminApi?: AdminApiConfig;
  /** Prometheus metrics; absent, they are off. */
  readonly metrics?: MetricsConfig;
  readonly apiRoots: readonly ApiRootConfig[];
  readonly groups: readonly GroupConfig[];
  readonly partners: readonly PartnerConfig[];
}
