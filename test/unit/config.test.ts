/** parseConfig: schema, cross references, secrets and freezing (src/config/load-config.ts). */
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { verifyApiKey } from '../../src/config/api-keys.js';
import { DEFAULT_LIMITS, DEFAULT_RATE_LIMITS } from '../../src/config/limits.js';
import { ConfigError, parseConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/types.js';
import { DEMO_CONFIG } from '../../src/paths.js';
import { C_OTHER, C_RW, KEYS, TEST_ENV, testConfigJson } from '../helpers/app.js';

type Json = Record<string, unknown>;

/** A deep copy of the test configuration to break. */
function base(): Json {
  return structuredClone(testConfigJson()) as Json;
}

function at(json: Json, ...path: (string | number)[]): Json {
  let node: unknown = json;
  for (const key of path) node = (node as Record<string | number, unknown>)[key];
  return node as Json;
}

function roots(json: Json): Json[] {
  return json['api_roots'] as Json[];
}

function collections(json: Json, root = 0): Json[] {
  return at(json, 'api_roots', root)['collections'] as Json[];
}

async function expectConfigError(t: Test, text: string, field: string, problem: RegExp, message: string, env = TEST_ENV): Promise<void> {
  try {
    await parseConfig(text, 'broken.json', env);
  } catch (err) {
    if (!(err instanceof ConfigError)) {
      t.fail(`${message}: threw ${String(err)} instead of a ConfigError`);
      return;
    }
    t.equal(err.name, 'ConfigError', `${message}: ConfigError`);
    t.ok(err.message.startsWith('configuration broken.json: '), `${message}: names the file`);
    t.ok(err.message.includes(`: ${field}: `), `${message}: names the field ${field} (${err.message})`);
    t.match(err.message, problem, `${message}: says what is wrong`);
    return;
  }
  t.fail(`${message}: was accepted`);
}

function broken(t: Test, mutate: (json: Json) => void, field: string, problem: RegExp, message: string, env = TEST_ENV): Promise<void> {
  const json = base();
  mutate(json);
  return expectConfigError(t, JSON.stringify(json), field, problem, message, env);
}

function allFrozen(value: unknown, path: string, notFrozen: string[]): void {
  if (value === null || typeof value !== 'object') return;
  if (!Object.isFrozen(value)) notFrozen.push(path);
  for (const [k, v] of Object.entries(value)) allFrozen(v, `${path}.${k}`, notFrozen);
}

t.test('the demo configuration loads', async (t) => {
  const config = await parseConfig(readFileSync(DEMO_CONFIG, 'utf8'), DEMO_CONFIG, {});
  t.equal(config.server.title, 'taxii-exchange demo');
  t.equal(config.server.defaultApiRoot, 'alliance');
  t.equal(config.server.defaultPageSize, 100);
  t.equal(config.server.maxPageSize, 1000);
  t.equal(config.server.statusRetentionHours, 48);
  t.equal(config.server.cursorTtlSeconds, 86400, 'default cursor ttl');
  t.same(config.apiRoots.map((r) => [r.id, r.collections.length, r.maxContentLength]), [['alliance', 3, 10485760], ['sandbox', 1, 1048576]]);
  t.same(config.partners.map((p) => [p.id, p.status, p.apiKeyHashes.length]), [
    ['cert-eu', 'active', 1],
    ['cert-fr', 'active', 1],
    ['soc-bot', 'active', 1],
    ['cert-xx', 'suspended', 1],
  ]);
  t.same(config.groups, [{ id: 'members', members: ['cert-eu', 'cert-fr', 'cert-xx'], rateLimits: {} }]);
  t.ok(config.partners.every((p) => p.apiKeyHashes.every((h) => h.startsWith('scrypt$'))), 'hashes kept as given');
  t.same(config.auth, { basic: true });
});

t.test('the test configuration loads with defaults filled in', async (t) => {
  const config = await parseConfig(JSON.stringify(testConfigJson({ pageSize: { default: 5, max: 10 } })), 'ok.json', TEST_ENV);
  t.equal(config.server.defaultPageSize, 5);
  t.equal(config.server.maxPageSize, 10);
  t.equal(config.server.maxMatchValues, 1000);
  t.equal(config.apiRoots[0]?.collections[0]?.id, C_RW);
  t.equal(config.apiRoots[1]?.collections[0]?.id, C_OTHER);
  const minimal = await parseConfig(
    JSON.stringify({ server: { title: 'x' }, api_roots: [{ id: 'r', title: 'R', collections: [] }], partners: [] }),
    'minimal.json',
    {},
  );
  t.equal(minimal.server.defaultPageSize, 100);
  t.equal(minimal.server.maxPageSize, 1000);
  t.equal(minimal.server.cursorTtlSeconds, 86400);
  t.equal(minimal.apiRoots[0]?.maxContentLength, 10 * 1024 * 1024);
  t.equal(minimal.auth.basic, true);
  const smallMax = await parseConfig(
    JSON.stringify({ server: { title: 'x', page_size: { max: 50 } }, api_roots: [{ id: 'r', title: 'R', collections: [] }], partners: [] }),
    'small.json',
    {},
  );
  t.equal(smallMax.server.defaultPageSize, 50, 'default page size never exceeds max');
});

t.test('schema errors name the field', async (t) => {
  await broken(t, (j) => { at(j, 'server')['colour'] = 'blue'; }, 'server', /unknown property "colour"/, 'unknown property in server');
  await broken(t, (j) => { j['extra'] = 1; }, '(top level)', /unknown property "extra"/, 'unknown top-level property');
  await broken(t, (j) => { (collections(j)[0] as Json)['owner'] = 'x'; }, 'api_roots.0.collections.0', /unknown property "owner"/, 'unknown property in a collection');
  await broken(t, (j) => { delete at(j, 'server')['title']; }, 'server', /missing required property "title"/, 'missing title');
  await broken(t, (j) => { at(j, 'server')['title'] = ''; }, 'server.title', /fewer than 1/, 'empty title');
  await broken(t, (j) => { delete j['partners']; }, '(top level)', /missing required property "partners"/, 'missing partners');
  await broken(t, (j) => { (collections(j)[0] as Json)['id'] = '11111111-1111-1111-8111-111111111111'; }, 'api_roots.0.collections.0.id', /pattern/, 'collection id is a UUIDv1');
  await broken(t, (j) => { (collections(j)[0] as Json)['id'] = '11111111-1111-4111-8111-11111111111'; }, 'api_roots.0.collections.0.id', /pattern/, 'collection id too short');
  await broken(t, (j) => { (collections(j)[0] as Json)['id'] = 'A1111111-1111-4111-8111-11111111111B'; }, 'api_roots.0.collections.0.id', /pattern/, 'collection id upper case');
  await broken(t, (j) => { (collections(j)[0] as Json)['id'] = 'rw'; }, 'api_roots.0.collections.0.id', /pattern/, 'collection id not a UUID');
  await broken(
    t,
    (j) => {
      delete at(j, 'server')['default_api_root'];
      (roots(j)[1] as Json)['id'] = 'taxii2';
    },
    'api_roots.1.id',
    /must NOT be valid/,
    'API root "taxii2" would shadow discovery',
  );
  for (const reserved of ['healthz', 'readyz', 'metrics', 'admin']) {
    await broken(t, (j) => { (roots(j)[0] as Json)['id'] = reserved; }, 'api_roots.0.id', /must NOT be valid/, `API root "${reserved}" would shadow a path of the server's own (issue 13)`);
  }
  await broken(t, (j) => { (roots(j)[0] as Json)['id'] = 'Main'; }, 'api_roots.0.id', /pattern/, 'API root id upper case');
  await broken(t, (j) => { at(j, 'server')['page_size'] = { default: 0, max: 10 }; }, 'server.page_size.default', />= 1/, 'page size 0');
  await broken(t, (j) => { at(j, 'server')['cursor_ttl_seconds'] = 30; }, 'server.cursor_ttl_seconds', />= 60/, 'cursor ttl below 60 s');
  await broken(t, (j) => { (roots(j)[0] as Json)['max_content_length'] = 10; }, 'api_roots.0.max_content_length', />= 1024/, 'max_content_length too small');
  await broken(t, (j) => { at(j, 'partners', 0)['status'] = 'gone'; }, 'partners.0.status', /allowed values/, 'unknown partner status');
  await broken(t, (j) => { at(j, 'server')['page_size'] = { default: '5' }; }, 'server.page_size.default', /integer/, 'page size as a string');
});

t.test('cross-reference errors name the field', async (t) => {
  await broken(t, (j) => { (collections(j, 1)[0] as Json)['id'] = C_RW; }, 'api_roots.1.collections.0.id', /duplicate collection id/, 'duplicate collection id across roots');
  await broken(t, (j) => { (collections(j)[1] as Json)['id'] = C_RW; }, 'api_roots.0.collections.1.id', /duplicate collection id/, 'duplicate collection id in one root');
  await broken(t, (j) => { (collections(j)[1] as Json)['alias'] = 'rw'; }, 'api_roots.0.collections.1.alias', /duplicate alias "rw"/, 'duplicate alias in one root');
  const sameAliasOtherRoot = base();
  (collections(sameAliasOtherRoot, 1)[0] as Json)['alias'] = 'rw';
  t.ok(await parseConfig(JSON.stringify(sameAliasOtherRoot), 'ok.json', TEST_ENV), 'the same alias in another root is fine');
  await broken(
    t,
    (j) => { (collections(j)[1] as Json)['grants'] = [{ partner: 'mallory', read: true, write: false }]; },
    'api_roots.0.collections.1.grants.0.partner',
    /unknown partner "mallory"/,
    'grant to an unknown partner',
  );
  await broken(
    t,
    (j) => { (collections(j)[0] as Json)['grants'] = [{ partner: 'alice', read: true, write: true }, { group: 'writers', read: true, write: true }]; },
    'api_roots.0.collections.0.grants.1.group',
    /unknown group "writers"/,
    'grant to an unknown group',
  );
  await broken(
    t,
    (j) => { (collections(j)[0] as Json)['grants'] = [{ partner: 'alice', group: 'readers', read: true, write: true }]; },
    'api_roots.0.collections.0.grants.0',
    /oneOf/,
    'a grant names a partner or a group, not both',
  );
  await broken(t, (j) => { j['groups'] = [{ id: 'readers', members: ['bob', 'mallory'] }]; }, 'groups.0.members.1', /unknown partner "mallory"/, 'unknown group member');
  await broken(t, (j) => { j['groups'] = [{ id: 'g', members: [] }, { id: 'g', members: [] }]; }, 'groups.1.id', /duplicate group id/, 'duplicate group');
  await broken(t, (j) => { at(j, 'partners', 1)['id'] = 'alice'; }, 'partners.1.id', /duplicate partner id "alice"/, 'duplicate partner');
  await broken(t, (j) => { (roots(j)[1] as Json)['id'] = 'main'; }, 'api_roots.1.id', /duplicate API root id "main"/, 'duplicate API root');
  await broken(t, (j) => { at(j, 'server')['default_api_root'] = 'nowhere'; }, 'server.default_api_root', /no API root with id "nowhere"/, 'default_api_root unknown');
  await broken(t, (j) => { at(j, 'server')['page_size'] = { default: 11, max: 10 }; }, 'server.page_size.default', /must not exceed server.page_size.max/, 'default page size above max');
});

t.test('secrets: env references, plaintext refused', async (t) => {
  const env = { ...TEST_ENV };
  delete env['TEST_KEY_BOB'];
  await broken(t, () => undefined, 'partners.1.api_keys.0', /environment variable TEST_KEY_BOB is not set/, 'api key env var not set', env);
  await broken(t, () => undefined, 'partners.1.api_keys.0', /TEST_KEY_BOB is not set/, 'api key env var empty', { ...TEST_ENV, TEST_KEY_BOB: '' });
  await broken(t, (j) => { at(j, 'partners', 0)['api_keys'] = [{ key: 'abc' }]; }, 'partners.0.api_keys.0', /hash|env|file|unknown property "key"/, 'plaintext key {"key": "abc"}');
  await broken(t, (j) => { at(j, 'partners', 0)['api_keys'] = ['abc']; }, 'partners.0.api_keys.0', /give a secret as .*never in plain text/, 'plaintext key as a bare string');
  await broken(t, (j) => { at(j, 'partners', 0)['api_keys'] = [{ hash: 'abc' }]; }, 'partners.0.api_keys.0.hash', /give a secret as .*never in plain text/, 'plaintext in the hash field');
  await broken(t, (j) => { at(j, 'partners', 0)['api_keys'] = [{ env: 'TEST_KEY_ALICE', hash: 'scrypt$1' }]; }, 'partners.0.api_keys.0', /give a secret as/, 'env and hash together');
  await broken(t, (j) => { at(j, 'partners', 0)['api_keys'] = [{ file: '/nonexistent/taxii-key' }]; }, 'partners.0.api_keys.0', /cannot read secret file/, 'unreadable key file');
  await broken(
    t,
    (j) => { at(j, 'auth')['jwt'] = { algorithm: 'HS256', key: { env: 'NO_SUCH_JWT_KEY' } }; },
    'auth.jwt.key',
    /NO_SUCH_JWT_KEY is not set/,
    'jwt key env var not set',
  );
  await broken(t, (j) => { at(j, 'auth')['jwt'] = { algorithm: 'none', key: { env: 'TEST_JWT_SECRET' } }; }, 'auth.jwt.algorithm', /allowed values/, 'jwt algorithm none');
});

t.test('not JSON at all', async (t) => {
  await expectConfigError(t, 'server: {title: x}', '(file)', /not valid JSON/, 'YAML-ish text');
  await expectConfigError(t, '', '(file)', /not valid JSON/, 'empty file');
  await expectConfigError(t, '{"server": {"title": "x"},}', '(file)', /not valid JSON/, 'trailing comma');
  await expectConfigError(t, '[]', '(top level)', /object/, 'a JSON array');
});

t.test('env-referenced keys are hashed; the result is frozen', async (t) => {
  const config: Config = await parseConfig(JSON.stringify(testConfigJson()), 'ok.json', TEST_ENV);
  const alice = config.partners.find((p) => p.id === 'alice');
  const hash = alice?.apiKeyHashes[0] ?? '';
  t.ok(hash.startsWith('scrypt$'), 'stored as an scrypt hash');
  t.notOk(JSON.stringify(config).includes(KEYS['alice'] as string), 'the plaintext key appears nowhere in the config');
  t.equal(await verifyApiKey(KEYS['alice'] as string, hash), true, 'the key verifies');
  t.equal(await verifyApiKey(KEYS['bob'] as string, hash), false, "another partner's key does not");
  t.equal(await verifyApiKey(`${KEYS['alice'] as string}x`, hash), false, 'a longer key does not');
  const again = await parseConfig(JSON.stringify(testConfigJson()), 'ok.json', TEST_ENV);
  t.not(again.partners[0]?.apiKeyHashes[0], hash, 'salted: hashing twice gives different hashes');

  const notFrozen: string[] = [];
  allFrozen(config, 'config', notFrozen);
  t.same(notFrozen, [], 'every object and array in the result is frozen');
  t.throws(() => {
    (config.server as { title: string }).title = 'changed';
  }, TypeError, 'assignment fails in strict mode');
  t.throws(() => {
    (config.apiRoots[0]?.collections as unknown[]).push({});
  }, TypeError);
  t.throws(() => {
    (config.partners[0]?.apiKeyHashes as string[])[0] = 'x';
  }, TypeError);
  t.equal(config.server.title, 'test server');
});

t.test('limits and rate limits: defaults, overrides, "unlimited", and refusals that name the field (issue 10)', async (t) => {
  const minimal = JSON.stringify({ server: { title: 'x' }, api_roots: [{ id: 'r', title: 'R', collections: [] }], partners: [] });
  const defaults = await parseConfig(minimal, 'minimal.json', {});
  t.same(defaults.server.limits, DEFAULT_LIMITS, 'every limit has its default');
  t.same(defaults.server.rateLimits, DEFAULT_RATE_LIMITS, 'and so do the rate limits');

  const json = base();
  const server = json['server'] as Json;
  server['limits'] = { request_timeout_seconds: 60, database_lock_timeout_seconds: 2 };
  server['rate_limits'] = { reads_per_minute: 'unlimited' };
  (json['partners'] as Json[])[0] = { ...(json['partners'] as Json[])[0], rate_limits: { writes_per_minute: 7 } };
  (json['groups'] as Json[])[0] = { ...(json['groups'] as Json[])[0], rate_limits: { reads_per_minute: 'unlimited', writes_per_minute: 20 } };
  const config = await parseConfig(JSON.stringify(json), 'limits.json', TEST_ENV);
  t.equal(config.server.limits.requestTimeoutSeconds, 60, 'a limit set in the file');
  t.equal(config.server.limits.databaseLockTimeoutSeconds, 2);
  t.equal(config.server.limits.headersTimeoutSeconds, DEFAULT_LIMITS.headersTimeoutSeconds, 'the others keep their defaults');
  t.same(config.server.rateLimits, { readsPerMinute: Infinity, writesPerMinute: DEFAULT_RATE_LIMITS.writesPerMinute }, '"unlimited" is Infinity');
  t.same(config.partners[0]?.rateLimits, { writesPerMinute: 7 }, 'a partner sets only what it names');
  t.same(config.groups[0]?.rateLimits, { readsPerMinute: Infinity, writesPerMinute: 20 });

  await broken(t, (j) => ((j['server'] as Json)['limits'] = { request_timout_seconds: 5 }), 'server.limits', /unknown property "request_timout_seconds"/, 'a misspelt limit');
  await broken(t, (j) => ((j['server'] as Json)['limits'] = { max_connections: 0 }), 'server.limits.max_connections', /must be >= 1/, 'a limit of 0');
  await broken(t, (j) => ((j['server'] as Json)['rate_limits'] = { reads_per_minute: 0 }), 'server.rate_limits.reads_per_minute', /.+/, 'a rate of 0 (say "unlimited" or a positive number)');
  await broken(t, (j) => ((j['partners'] as Json[])[0] = { ...(j['partners'] as Json[])[0], rate_limits: { reads_per_minute: 'lots' } }), 'partners.0.rate_limits.reads_per_minute', /.+/, 'a rate that is not a number');
});
