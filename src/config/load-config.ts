/**
 * loadConfig: read the declarative configuration file, validate it against
 * schemas/config.schema.json, check cross references, resolve secret references,
 * and return a frozen Config. Any problem is a ConfigError naming the field.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { hashApiKey } from './api-keys.js';
import { certificateRefText, type CertificateRef } from './certificates.js';
import { schemaPath } from '../paths.js';
import { levelOf, type TlpName } from '../stix/tlp.js';
import { rateLimitOverrides, serverLimits, serverRateLimits, type RawLimits, type RawRateLimits } from './limits.js';
import type { AdminUser, Config, PartnerConfig, TlsSettings } from './types.js';

export class ConfigError extends Error {
  constructor(file: string, field: string, problem: string) {
    super(`configuration ${file}: ${field}: ${problem}`);
    this.name = 'ConfigError';
  }
}

interface RawSecretRef {
  hash?: string;
  env?: string;
  file?: string;
}

interface RawConfig {
  server: {
    title: string;
    description?: string;
    contact?: string;
    default_api_root?: string;
    page_size?: { default?: number; max?: number };
    max_match_values?: number;
    status_retention_hours?: number;
    audit?: { enabled?: boolean; retention_days?: number; flush_reads?: boolean };
    cursor_ttl_seconds?: number;
    credential_cache_seconds?: number;
    limits?: RawLimits;
    rate_limits?: RawRateLimits;
    trusted_proxies?: string[];
    tls?: { cert: string; key: string; client_ca?: string; client_certificates?: 'request' | 'require' };
  };
  auth?: {
    basic?: boolean;
    jwt?: { algorithm: string; key: RawSecretRef; issuer?: string; audience?: string };
  };
  admin_api?: { users: { id: string; api_keys: RawSecretRef[] }[]; console?: { session_hours?: number } };
  demo?: boolean;
  metrics?: { port?: number; host?: string; tokens?: RawSecretRef[]; partner_labels?: number };
  api_roots: {
    id: string;
    title: string;
    description?: string;
    max_content_length?: number;
    collections: {
      id: string;
      alias?: string;
      title: string;
      description?: string;
      validation?: 'strict' | 'standard' | 'permissive';
      default_tlp?: TlpName;
      max_tlp?: TlpName;
      require_marking?: boolean;
      require_creator_identity?: boolean;
      granular_markings?: 'withhold' | 'redact';
      hide_dangling_relationships?: boolean;
      grants?: { partner?: string; group?: string; read: boolean; write: boolean }[];
    }[];
  }[];
  groups?: { id: string; members: string[]; rate_limits?: RawRateLimits }[];
  partners: {
    id: string;
    name: string;
    status?: 'active' | 'suspended';
    clearance?: TlpName;
    communities?: string[];
    identity?: string;
    api_keys?: RawSecretRef[];
    certificates?: CertificateRef[];
    require_certificate?: boolean;
    rate_limits?: RawRateLimits;
  }[];
}

let validator: ReturnType<Ajv2020['compile']> | undefined;

function validate(raw: unknown): ErrorObject[] {
  if (validator === undefined) {
    const ajv = new Ajv2020({ allErrors: false, strict: true, strictRequired: false });
    validator = ajv.compile(JSON.parse(readFileSync(schemaPath('config.schema.json'), 'utf8')));
  }
  return validator(raw) ? [] : [...(validator.errors ?? [])];
}

function describeSchemaError(error: ErrorObject): { field: string; problem: string } {
  const field = error.instancePath === '' ? '(top level)' : error.instancePath.slice(1).replaceAll('/', '.');
  const params = error.params as Record<string, unknown>;
  if (error.schemaPath.includes('secretRef')) {
    return { field, problem: 'give a secret as {"hash": "scrypt$..."}, {"env": "VARIABLE"} or {"file": "/path"}; never in plain text' };
  }
  if (error.keyword === 'additionalProperties') {
    return { field, problem: `unknown property "${String(params['additionalProperty'])}"` };
  }
  if (error.keyword === 'required') {
    return { field, problem: `missing required property "${String(params['missingProperty'])}"` };
  }
  return { field, problem: error.message ?? error.keyword };
}

function readSecret(file: string, field: string, ref: RawSecretRef, env: NodeJS.ProcessEnv): string {
  if (ref.env !== undefined) {
    const value = env[ref.env];
    if (value === undefined || value === '') {
      throw new ConfigError(file, field, `environment variable ${ref.env} is not set`);
    }
    return value;
  }
  if (ref.file !== undefined) {
    try {
      return readFileSync(ref.file, 'utf8').trim();
    } catch {
      throw new ConfigError(file, field, `cannot read secret file ${ref.file}`);
    }
  }
  throw new ConfigError(file, field, 'a hash is not usable here; give env or file');
}

function checkReferences(file: string, raw: RawConfig): void {
  const partnerIds = new Set<string>();
  raw.partners.forEach((p, i) => {
    if (partnerIds.has(p.id)) throw new ConfigError(file, `partners.${i}.id`, `duplicate partner id "${p.id}"`);
    partnerIds.add(p.id);
  });
  const groupIds = new Set<string>();
  (raw.groups ?? []).forEach((g, i) => {
    if (groupIds.has(g.id)) throw new ConfigError(file, `groups.${i}.id`, `duplicate group id "${g.id}"`);
    groupIds.add(g.id);
    g.members.forEach((m, j) => {
      if (!partnerIds.has(m)) throw new ConfigError(file, `groups.${i}.members.${j}`, `unknown partner "${m}"`);
    });
  });
  const rootIds = new Set<string>();
  const collectionIds = new Set<string>();
  raw.api_roots.forEach((root, i) => {
    if (rootIds.has(root.id)) throw new ConfigError(file, `api_roots.${i}.id`, `duplicate API root id "${root.id}"`);
    rootIds.add(root.id);
    const aliases = new Set<string>();
    root.collections.forEach((c, j) => {
      const at = `api_roots.${i}.collections.${j}`;
      if (collectionIds.has(c.id)) throw new ConfigError(file, `${at}.id`, `duplicate collection id "${c.id}"`);
      collectionIds.add(c.id);
      if (c.alias !== undefined) {
        if (aliases.has(c.alias)) throw new ConfigError(file, `${at}.alias`, `duplicate alias "${c.alias}" in this API root`);
        aliases.add(c.alias);
      }
      (c.grants ?? []).forEach((g, k) => {
        if (g.partner !== undefined && !partnerIds.has(g.partner)) {
          throw new ConfigError(file, `${at}.grants.${k}.partner`, `unknown partner "${g.partner}"`);
        }
        if (g.group !== undefined && !groupIds.has(g.group)) {
          throw new ConfigError(file, `${at}.grants.${k}.group`, `unknown group "${g.group}"`);
        }
      });
    });
  });
  const defaultRoot = raw.server.default_api_root;
  if (defaultRoot !== undefined && !rootIds.has(defaultRoot)) {
    throw new ConfigError(file, 'server.default_api_root', `no API root with id "${defaultRoot}"`);
  }
  if (raw.auth?.basic === false && raw.auth.jwt === undefined) {
    throw new ConfigError(file, 'auth', 'no way to authenticate: enable basic or configure jwt');
  }
  const pageSize = raw.server.page_size;
  if (pageSize?.default !== undefined && pageSize.max !== undefined && pageSize.default > pageSize.max) {
    throw new ConfigError(file, 'server.page_size.default', 'must not exceed server.page_size.max');
  }
}

/** Keys as scrypt hashes: given as hashes, or read (env, file) and hashed now. */
/** TLS files, relative to the configuration file's directory unless absolute; read when the server starts and on SIGHUP. */
function tlsSettings(file: string, raw: NonNullable<RawConfig['server']['tls']>): TlsSettings {
  const at = (path: string) => resolvePath(dirname(file), path);
  return {
    certFile: at(raw.cert),
    keyFile: at(raw.key),
    ...(raw.client_ca !== undefined && { clientCaFile: at(raw.client_ca), clientCertificates: raw.client_certificates ?? 'require' }),
  };
}

async function keyHashes(file: string, field: string, refs: readonly RawSecretRef[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const hashes: string[] = [];
  for (const [k, ref] of refs.entries()) {
    if (ref.hash !== undefined) hashes.push(ref.hash);
    else hashes.push(await hashApiKey(readSecret(file, `${field}.${k}`, ref, env)));
  }
  return hashes;
}

async function resolvePartner(
  file: string,
  raw: RawConfig['partners'][number],
  index: number,
  env: NodeJS.ProcessEnv,
): Promise<PartnerConfig> {
  const hashes = await keyHashes(file, `partners.${index}.api_keys`, raw.api_keys ?? [], env);
  return {
    id: raw.id,
    name: raw.name,
    status: raw.status ?? 'active',
    clearance: levelOf(raw.clearance ?? 'amber'),
    communities: [...(raw.communities ?? [])],
    ...(raw.identity !== undefined && { identity: raw.identity }),
    apiKeyHashes: hashes,
    certificates: (raw.certificates ?? []).map((ref, k) => {
      const text = certificateRefText(ref);
      if (text === undefined) throw new ConfigError(file, `partners.${index}.certificates.${k}`, 'names no certificate (sha256: 32 hex bytes; subject: attribute=value, …; san: dns:, email:, uri: or ip:)');
      return text;
    }),
    requireCertificate: raw.require_certificate ?? false,
    rateLimits: rateLimitOverrides(raw.rate_limits),
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export async function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv): Promise<Config> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, '(file)', `not valid JSON: ${(err as Error).message}`);
  }
  const errors = validate(raw);
  const first = errors[0];
  if (first !== undefined) {
    const { field, problem } = describeSchemaError(first);
    throw new ConfigError(file, field, problem);
  }
  const cfg = raw as RawConfig;
  checkReferences(file, cfg);

  const jwtRaw = cfg.auth?.jwt;
  const partners: PartnerConfig[] = [];
  for (const [i, p] of cfg.partners.entries()) partners.push(await resolvePartner(file, p, i, env));

  const adminUsers: AdminUser[] = [];
  for (const [i, u] of (cfg.admin_api?.users ?? []).entries()) {
    if (adminUsers.some((a) => a.id === u.id)) throw new ConfigError(file, `admin_api.users.${i}.id`, `admin user ${u.id} appears twice`);
    adminUsers.push({ id: u.id, apiKeyHashes: await keyHashes(file, `admin_api.users.${i}.api_keys`, u.api_keys, env) });
  }

  const metricsRaw = cfg.metrics;
  if (metricsRaw !== undefined && metricsRaw.port === undefined && (metricsRaw.tokens ?? []).length === 0) {
    throw new ConfigError(file, 'metrics', 'give a port of its own, or tokens for /metrics on the TAXII port (or both)');
  }

  const config: Config = {
    demo: cfg.demo ?? false,
    ...(adminUsers.length > 0 && {
      adminApi: {
        users: adminUsers,
        ...(cfg.admin_api?.console !== undefined && { console: { sessionSeconds: (cfg.admin_api.console.session_hours ?? 8) * 3600 } }),
      },
    }),
    ...(metricsRaw !== undefined && {
      metrics: {
        ...(metricsRaw.port !== undefined && { listen: { port: metricsRaw.port, host: metricsRaw.host ?? '127.0.0.1' } }),
        tokenHashes: await keyHashes(file, 'metrics.tokens', metricsRaw.tokens ?? [], env),
        partnerLabels: metricsRaw.partner_labels ?? 50,
      },
    }),
    server: {
      title: cfg.server.title,
      ...(cfg.server.description !== undefined && { description: cfg.server.description }),
      ...(cfg.server.contact !== undefined && { contact: cfg.server.contact }),
      ...(cfg.server.default_api_root !== undefined && { defaultApiRoot: cfg.server.default_api_root }),
      defaultPageSize: cfg.server.page_size?.default ?? Math.min(100, cfg.server.page_size?.max ?? 100),
      maxPageSize: cfg.server.page_size?.max ?? 1000,
      maxMatchValues: cfg.server.max_match_values ?? 1000,
      statusRetentionHours: cfg.server.status_retention_hours ?? 48,
      audit: {
        enabled: cfg.server.audit?.enabled ?? true,
        retentionDays: cfg.server.audit?.retention_days ?? 400,
        flushReads: cfg.server.audit?.flush_reads ?? false,
      },
      cursorTtlSeconds: cfg.server.cursor_ttl_seconds ?? 24 * 3600,
      credentialCacheSeconds: cfg.server.credential_cache_seconds ?? 60,
      limits: serverLimits(cfg.server.limits),
      rateLimits: serverRateLimits(cfg.server.rate_limits),
      ...(cfg.server.trusted_proxies !== undefined && { trustedProxies: cfg.server.trusted_proxies }),
      ...(cfg.server.tls !== undefined && { tls: tlsSettings(file, cfg.server.tls) }),
    },
    auth: {
      basic: cfg.auth?.basic ?? true,
      ...(jwtRaw !== undefined && {
        jwt: {
          algorithm: jwtRaw.algorithm,
          key: readSecret(file, 'auth.jwt.key', jwtRaw.key, env),
          ...(jwtRaw.issuer !== undefined && { issuer: jwtRaw.issuer }),
          ...(jwtRaw.audience !== undefined && { audience: jwtRaw.audience }),
        },
      }),
    },
    apiRoots: cfg.api_roots.map((root) => ({
      id: root.id,
      title: root.title,
      ...(root.description !== undefined && { description: root.description }),
      maxContentLength: root.max_content_length ?? 10 * 1024 * 1024,
      collections: root.collections.map((c) => ({
        id: c.id,
        title: c.title,
        ...(c.alias !== undefined && { alias: c.alias }),
        ...(c.description !== undefined && { description: c.description }),
        validation: c.validation ?? 'standard',
        policy: {
          defaultTlp: levelOf(c.default_tlp ?? 'amber'),
          maxTlp: levelOf(c.max_tlp ?? 'red'),
          requireMarking: c.require_marking ?? false,
          requireCreatorIdentity: c.require_creator_identity ?? false,
          granular: c.granular_markings ?? 'withhold',
          hideDanglingRelationships: c.hide_dangling_relationships ?? true,
        },
        grants: (c.grants ?? []).map((g) => ({ ...g })),
      })),
    })),
    groups: (cfg.groups ?? []).map((g) => ({ id: g.id, members: [...g.members], rateLimits: rateLimitOverrides(g.rate_limits) })),
    partners,
  };
  return deepFreeze(config);
}

export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, '(file)', `cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return parseConfig(text, file, env);
}
