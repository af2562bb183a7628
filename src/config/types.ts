/**
 * The validated, resolved configuration. Glossary:
 * - API root: a TAXII API root served at `/{id}/`.
 * - Collection: a TAXII collection inside one API root, addressed by UUID or alias.
 * - Partner: an alliance member (e.g. a national CSIRT) that authenticates.
 * - Group: a named set of partners, so a grant can name many partners at once.
 * - Grant: read and/or write on one collection, to a partner or a group.
 */

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
  readonly grants: readonly GrantConfig[];
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
  /** scrypt hashes; keys given by environment reference are hashed at load time. */
  readonly apiKeyHashes: readonly string[];
}

export interface GroupConfig {
  readonly id: string;
  readonly members: readonly string[];
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
  readonly cursorTtlSeconds: number;
  readonly credentialCacheSeconds: number;
}

export interface Config {
  readonly server: ServerSettings;
  readonly auth: { readonly basic: boolean; readonly jwt?: JwtConfig };
  readonly apiRoots: readonly ApiRootConfig[];
  readonly groups: readonly GroupConfig[];
  readonly partners: readonly PartnerConfig[];
}
