/**
 * The real application on a fresh database, with a small test configuration:
 *
 *   API root "main": collection C_RW  (alias "rw")   alice read+write, group "readers" read
 *                    collection C_RO  (alias "ro")   alice read, bob read
 *                    collection C_WO  (alias "wo")   alice write only
 *                    collection C_HIDDEN             nobody
 *   API root "other": collection C_OTHER             bob read+write
 *   partners: alice, bob (member of "readers"), carol (suspended), dave (no grants)
 *
 * Requests go through `inject()`; `headersFor(partner)` gives Basic credentials
 * and the TAXII Accept header.
 */
import type { FastifyBaseLogger, FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/types.js';
import { applyConfig } from '../../src/store/config-sync.js';
import { createStore, type Store } from '../../src/store/index.js';
import type { MetricsSource } from '../../src/http/metrics.js';
import { getOrCreateSecret } from '../../src/store/secrets.js';
import { openTestDb, type TestDb } from './database.js';
import { holdToContract } from './openapi-contract.js';

export const TAXII = 'application/taxii+json;version=2.1';

export const C_RW = '11111111-1111-4111-8111-111111111111';
export const C_RO = '22222222-2222-4222-8222-222222222222';
export const C_WO = '33333333-3333-4333-8333-333333333333';
export const C_HIDDEN = '44444444-4444-4444-8444-444444444444';
export const C_OTHER = '55555555-5555-4555-8555-555555555555';

export const KEYS: Record<string, string> = {
  alice: 'alice-secret-key-0001',
  bob: 'bob-secret-key-0002',
  carol: 'carol-secret-key-0003',
  dave: 'dave-secret-key-0004',
};

export const JWT_SECRET = 'test-jwt-secret-that-is-long-enough-0123456789';

export interface TestConfigOptions {
  readonly pageSize?: { default: number; max: number };
  readonly maxContentLength?: number;
  readonly jwt?: boolean;
  readonly carolStatus?: 'active' | 'suspended';
  readonly maxMatchValues?: number;
  /** Validation level of the read-write collection (default: the server default, standard). */
  readonly rwValidation?: 'strict' | 'standard' | 'permissive';
}

/**
 * For the `server` section of a test configuration: tests make thousands of requests a
 * second through inject(), all from 127.0.0.1, and suspended partners fail on purpose; the
 * limits have tests of their own (attacks.test.ts, hardening.test.ts), which set them.
 */
export const TEST_SERVER_LIMITS = {
  rate_limits: { reads_per_minute: 'unlimited', writes_per_minute: 'unlimited' },
  limits: { auth_failures_per_address_per_minute: 100000, auth_failures_per_partner_per_minute: 100000 },
};

export function testConfigJson(options: TestConfigOptions = {}): Record<string, unknown> {
  return {
    server: {
      title: 'test server',
      default_api_root: 'main',
      page_size: options.pageSize ?? { default: 100, max: 1000 },
      ...(options.maxMatchValues !== undefined && { max_match_values: options.maxMatchValues }),
      credential_cache_seconds: 60,
      ...TEST_SERVER_LIMITS,
    },
    auth: {
      basic: true,
      ...(options.jwt === true && {
        jwt: { algorithm: 'HS256', key: { env: 'TEST_JWT_SECRET' }, issuer: 'https://idp.test', audience: 'taxii-exchange' },
      }),
    },
    api_roots: [
      {
        id: 'main',
        title: 'Main root',
        description: 'for tests',
        max_content_length: options.maxContentLength ?? 1048576,
        collections: [
          { id: C_RW, alias: 'rw', title: 'Read-write', ...(options.rwValidation !== undefined && { validation: options.rwValidation }), grants: [{ partner: 'alice', read: true, write: true }, { group: 'readers', read: true, write: false }] },
          { id: C_RO, alias: 'ro', title: 'Read-only', grants: [{ partner: 'alice', read: true, write: false }, { partner: 'bob', read: true, write: false }] },
          { id: C_WO, alias: 'wo', title: 'Write-only', grants: [{ partner: 'alice', read: false, write: true }] },
          { id: C_HIDDEN, title: 'Hidden', grants: [] },
        ],
      },
      {
        id: 'other',
        title: 'Other root',
        max_content_length: 1048576,
        collections: [{ id: C_OTHER, title: 'Other', grants: [{ partner: 'bob', read: true, write: true }] }],
      },
    ],
    groups: [{ id: 'readers', members: ['bob'] }],
    partners: [
      { id: 'alice', name: 'Alice CSIRT', api_keys: [{ env: 'TEST_KEY_ALICE' }] },
      { id: 'bob', name: 'Bob CERT', api_keys: [{ env: 'TEST_KEY_BOB' }] },
      { id: 'carol', name: 'Carol', status: options.carolStatus ?? 'suspended', api_keys: [{ env: 'TEST_KEY_CAROL' }] },
      { id: 'dave', name: 'Dave', api_keys: [{ env: 'TEST_KEY_DAVE' }] },
    ],
  };
}

export const TEST_ENV: NodeJS.ProcessEnv = {
  TEST_KEY_ALICE: KEYS['alice'],
  TEST_KEY_BOB: KEYS['bob'],
  TEST_KEY_CAROL: KEYS['carol'],
  TEST_KEY_DAVE: KEYS['dave'],
  TEST_JWT_SECRET: JWT_SECRET,
};

export function testConfig(options: TestConfigOptions = {}): Promise<Config> {
  return parseConfig(JSON.stringify(testConfigJson(options)), 'test-config.json', TEST_ENV);
}

export interface TestApp {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly config: Config;
  readonly testDb: TestDb;
  /** inject() with the given partner's credentials and the TAXII Accept header. */
  request(partner: string | undefined, options: InjectOptions): Promise<LightMyRequestResponse>;
  /** POST an envelope to a collection as a partner; returns the response. */
  post(partner: string, collectionPath: string, objects: unknown[]): Promise<LightMyRequestResponse>;
  /** Re-applies a changed configuration to the same database (as `taxii-exchange apply-config`). */
  reconfigure(options: TestConfigOptions): Promise<void>;
  close(): Promise<void>;
}

export function basicAuth(partner: string, key = KEYS[partner] ?? 'none'): string {
  return `Basic ${Buffer.from(`${partner}:${key}`).toString('base64')}`;
}

export function headersFor(partner: string | undefined): Record<string, string> {
  return { accept: TAXII, ...(partner !== undefined && { authorization: basicAuth(partner) }) };
}

export async function createTestApp(options: TestConfigOptions = {}, testDb?: TestDb): Promise<TestApp> {
  return createAppWithConfig(testConfigJson(options), TEST_ENV, {
    ...(testDb !== undefined && { testDb }),
    apply: async (db) => applyConfig(db, await testConfig(options)),
  });
}

/**
 * Every response the app gives through `inject` is checked against openapi.yaml
 * (test/helpers/openapi-contract.ts); a response that breaks it fails the test
 * that received it.
 */
function injectWithinContract(app: FastifyInstance): void {
  const inject = app.inject.bind(app) as (options: InjectOptions | string) => Promise<LightMyRequestResponse>;
  const checked = async (options: InjectOptions | string): Promise<LightMyRequestResponse> => {
    const response = await inject(options);
    const { method = 'GET', url = '/' } = typeof options === 'string' ? { url: options } : options;
    // The path as the server routed it: inject() resolves dot segments (`/taxii2/.` is `/taxii2/`).
    const path = typeof url === 'string' ? new URL(url, 'http://localhost').pathname : url.pathname ?? '/';
    holdToContract(String(method), path, response);
    return response;
  };
  Object.assign(app, { inject: (options?: InjectOptions | string) => (options === undefined ? inject(options as unknown as string) : checked(options)) });
}

export interface AppWithConfigOptions {
  /** A database shared with another app of the same test; a fresh one otherwise. */
  readonly testDb?: TestDb;
  /** How the configuration reaches the database (applyConfig of it by default). */
  readonly apply?: (db: TestDb['db']) => Promise<void>;
  /** Credentials for `request(partner, …)`: partner id → API key. */
  readonly keys?: Record<string, string>;
  readonly logger?: FastifyBaseLogger;
  /** What /metrics serves, in place of the app's own registry (as a cluster worker's app is given). */
  readonly metricsSource?: MetricsSource;
}

/**
 * The real application with a configuration of the test's own (JSON as in the
 * configuration file; `env` resolves its `env` secret references).
 */
export async function createAppWithConfig(
  configJson: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  options: AppWithConfigOptions = {},
): Promise<TestApp> {
  const { testDb, apply, keys = KEYS } = options;
  const database = testDb ?? (await openTestDb());
  const parse = () => parseConfig(JSON.stringify(configJson), 'test-config.json', env);
  const config = await parse();
  await (apply ?? (async (db) => applyConfig(db, config)))(database.db);
  const store = createStore(database.db);
  const cursorSecret = await getOrCreateSecret(database.db, 'cursor-hmac');
  const app = await buildApp({
    config, store, cursorSecret,
    ...(options.logger !== undefined && { logger: options.logger }),
    ...(options.metricsSource !== undefined && { metricsSource: options.metricsSource }),
  });
  await app.ready();
  injectWithinContract(app);
  const request: TestApp['request'] = (partner, opts) =>
    app.inject({
      ...opts,
      headers: {
        accept: TAXII,
        ...(partner !== undefined && { authorization: basicAuth(partner, keys[partner] ?? 'none') }),
        ...(opts.headers as Record<string, string> | undefined),
      },
    });
  return {
    app,
    store,
    config,
    testDb: database,
    request,
    post: (partner, collectionPath, objects) =>
      request(partner, {
        method: 'POST',
        url: `${collectionPath}objects/`,
        headers: { 'content-type': TAXII },
        payload: JSON.stringify({ objects }),
      }),
    async reconfigure(next) {
      await applyConfig(database.db, await testConfig(next));
    },
    async close() {
      await app.close();
      if (testDb === undefined) await database.close();
    },
  };
}

/** The admin user `ops` of the admin tests, and its key (given through TEST_ADMIN_KEY). */
export const ADMIN_KEY = 'admin-secret-key-0000001';

/** The test configuration with the admin API on (admin user `ops`), and optionally the web console. */
export function createAdminTestApp(options: { readonly console?: Record<string, unknown> } = {}): Promise<TestApp> {
  const config = testConfigJson();
  config['admin_api'] = { users: [{ id: 'ops', api_keys: [{ env: 'TEST_ADMIN_KEY' }] }], ...(options.console !== undefined && { console: options.console }) };
  return createAppWithConfig(config, { ...TEST_ENV, TEST_ADMIN_KEY: ADMIN_KEY });
}

/** The status resource as tests read it (taxii-2.1.md §9.3). */
export interface StatusDetail {
  id: string;
  version: string;
  message?: string;
}
export interface Status {
  status: string;
  total_count: number;
  success_count: number;
  failure_count: number;
  pending_count: number;
  successes?: StatusDetail[];
  failures?: StatusDetail[];
  pendings?: StatusDetail[];
}
