/**
 * Authentication and visibility (taxii-2.1.md T6–T8, §12, TR18, TR19): Basic with
 * partner id + API key, Bearer JWT (HS256, issuer and audience pinned), suspension
 * and reconfiguration taking effect on the very next request, private statuses.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { hashApiKey } from '../../src/config/api-keys.js';
import { parseConfig } from '../../src/config/load-config.js';
import { applyConfig } from '../../src/store/config-sync.js';
import {
  C_OTHER, C_RO, C_RW, JWT_SECRET, KEYS, TAXII, TEST_ENV, basicAuth, createTestApp, testConfigJson, type TestApp, type TestConfigOptions,
} from '../helpers/app.js';
import { indicator } from '../helpers/stix.js';

type Json = Record<string, unknown>;

const ctx = await createTestApp();
// The JWT-enabled app shares the database: only the auth section of its configuration differs.
const jwtApp = await createTestApp({ jwt: true }, ctx.testDb);
t.teardown(async () => {
  await jwtApp.close();
  await ctx.close();
});
const RW = `/main/collections/${C_RW}/`;
const RO = `/main/collections/${C_RO}/`;

function send(app: TestApp, authorization: string | undefined, options: InjectOptions = { url: '/taxii2/' }): Promise<LightMyRequestResponse> {
  return app.app.inject({ ...options, headers: { accept: TAXII, ...(authorization !== undefined && { authorization }) } });
}

function body(res: LightMyRequestResponse): Json {
  return res.json<Json>();
}

/**
 * 401 as T8 wants it: a WWW-Authenticate challenge for each enabled scheme (Basic always
 * here; Bearer when JWT is configured), and a TAXII error resource (TR18).
 */
function is401(t: Test, res: LightMyRequestResponse, what: string, bearerEnabled = false): Json {
  t.equal(res.statusCode, 401, `${what}: 401`);
  if (res.statusCode < 400) return {}; // a success where an error was due: the status assertion says it all
  t.equal(res.headers['content-type'], TAXII, `${what}: Content-Type exactly ${TAXII}`);
  const challenge = String(res.headers['www-authenticate'] ?? '');
  t.match(challenge, /\bBasic realm="[^"]+"/, `${what}: WWW-Authenticate offers Basic (T8)`);
  if (bearerEnabled) t.match(challenge, /\bBearer realm="[^"]+"/, `${what}: WWW-Authenticate offers Bearer when JWT is enabled (T8)`);
  else t.notMatch(challenge, /Bearer/, `${what}: no Bearer challenge when JWT is not configured`);
  let err: Json = {};
  try {
    err = body(res);
  } catch {
    t.fail(`${what}: body is not JSON`);
    return err;
  }
  t.ok(typeof err['title'] === 'string' && err['title'] !== '', `${what}: title`);
  t.equal(err['http_status'], '401', `${what}: http_status "401"`);
  t.type(err['error_code'], 'string', `${what}: error_code`);
  t.type(err['error_id'], 'string', `${what}: error_id`);
  t.ok(typeof err['description'] === 'string' && err['description'].length >= 15, `${what}: description`);
  return err;
}

/** The same error apart from the per-request error_id: nothing tells one failure from another. */
function withoutId(err: Json): Json {
  const { error_id: _ignored, ...rest } = err;
  return rest;
}

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** A compact JWS signed with HMAC (HS256 by default); alg "none" gives an unsigned token. */
function jwt(payload: Json, options: { alg?: 'HS256' | 'HS384' | 'HS512' | 'none'; secret?: string; header?: Json } = {}): string {
  const alg = options.alg ?? 'HS256';
  const input = `${b64url(JSON.stringify({ alg, typ: 'JWT', ...options.header }))}.${b64url(JSON.stringify(payload))}`;
  if (alg === 'none') return `${input}.`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
  return `${input}.${createHmac(hash, options.secret ?? JWT_SECRET).update(input).digest('base64url')}`;
}

const now = (): number => Math.floor(Date.now() / 1000);
function claims(overrides: Json = {}): Json {
  return { sub: 'alice', iss: 'https://idp.test', aud: 'taxii-exchange', iat: now() - 10, exp: now() + 300, ...overrides };
}
const bearer = (token: string): string => `Bearer ${token}`;

/** Applies a hand-edited variant of the test configuration, as `apply-config` would. */
async function applyEdited(edit: (json: Json) => void, options: TestConfigOptions = {}): Promise<void> {
  const json = testConfigJson(options);
  edit(json);
  await applyConfig(ctx.testDb.db, await parseConfig(JSON.stringify(json), 'edited-config.json', TEST_ENV));
}

t.test('no credentials: 401 with Basic and Bearer challenges on every endpoint and method (T8)', async (t) => {
  const id = `indicator--${randomUUID()}`;
  const requests: [string, InjectOptions][] = [
    ['discovery', { url: '/taxii2/' }],
    ['API root', { url: '/main/' }],
    ['collections', { url: '/main/collections/' }],
    ['collection', { url: RW }],
    ['manifest', { url: `${RW}manifest/` }],
    ['objects', { url: `${RW}objects/` }],
    ['object', { url: `${RW}objects/${id}/` }],
    ['versions', { url: `${RW}objects/${id}/versions/` }],
    ['status', { url: `/main/status/${randomUUID()}/` }],
    ['unknown path', { url: '/nope/' }],
    ['delete', { method: 'DELETE', url: `${RW}objects/${id}/` }],
  ];
  for (const [what, options] of requests) is401(t, await send(ctx, undefined, options), `no Authorization: ${what}`);
  const post = await ctx.app.inject({
    method: 'POST',
    url: `${RW}objects/`,
    headers: { accept: TAXII, 'content-type': TAXII },
    payload: JSON.stringify({ objects: [indicator()] }),
  });
  is401(t, post, 'no Authorization: add objects');
  const err = is401(t, await send(ctx, undefined), 'no Authorization');
  t.match(err['description'], /Basic|Bearer|credentials/, 'the description says what to send');
  is401(t, await send(jwtApp, undefined), 'no Authorization (JWT app)', true);
  t.equal((await send(ctx, basicAuth('alice'))).statusCode, 200, 'the same request with credentials works');
});

t.test('rejected Basic credentials: 401, and the answer does not reveal whether the partner exists (T8, TR18)', async (t) => {
  const encode = (text: string): string => `Basic ${Buffer.from(text).toString('base64')}`;
  const cases: [string, string][] = [
    ['wrong key', basicAuth('alice', 'not-the-key')],
    ["another partner's key", basicAuth('alice', KEYS['bob'])],
    ['empty key', basicAuth('alice', '')],
    ['key with extra suffix', basicAuth('alice', `${KEYS['alice'] ?? ''}x`)],
    ['key prefix', basicAuth('alice', (KEYS['alice'] ?? '').slice(0, -1))],
    ['unknown partner', basicAuth('mallory', 'whatever')],
    ['unknown partner with a real key', basicAuth('mallory', KEYS['alice'])],
    ['partner id in other case', basicAuth('ALICE', KEYS['alice'])],
    ['empty partner id', encode(`:${KEYS['alice'] ?? ''}`)],
    ['no colon', encode('alice')],
    ['not base64', 'Basic !!!not*base64!!!'],
    ['Basic without value', 'Basic'],
    ['Basic with empty value', 'Basic '],
    ['key sent raw, not base64', `Basic alice:${KEYS['alice'] ?? ''}`],
    ['unknown scheme', `Digest username="alice", response="${KEYS['alice'] ?? ''}"`],
    ['scheme only', 'alice'],
    ['API key as a token', `Token ${KEYS['alice'] ?? ''}`],
    ['suspended partner (carol) with her key', basicAuth('carol')],
    ['very long key', basicAuth('alice', 'k'.repeat(100_000))],
    ['NUL in the partner id', encode(`alice\u0000:${KEYS['alice'] ?? ''}`)],
    ['NUL in the key', basicAuth('alice', `${KEYS['alice'] ?? ''}\u0000`)],
  ];
  const bodies = new Map<string, Json>();
  for (const [what, authorization] of cases) bodies.set(what, is401(t, await send(ctx, authorization), what));
  const unknown = withoutId(bodies.get('unknown partner') ?? {});
  t.same(withoutId(bodies.get('wrong key') ?? {}), unknown, 'wrong key and unknown partner get the identical error');
  t.same(withoutId(bodies.get('suspended partner (carol) with her key') ?? {}), unknown, 'a suspended partner is not told so either');
  t.same(withoutId(bodies.get('unknown scheme') ?? {}), unknown, 'an unknown scheme gets the same error');
  const wrong = await send(ctx, basicAuth('alice', 'nope'), { url: `${RW}objects/` });
  const unknownOnResource = await send(ctx, basicAuth('mallory', 'nope'), { url: `${RW}objects/` });
  t.same(withoutId(body(wrong)), withoutId(body(unknownOnResource)), 'same on a collection resource');
  t.equal((await send(ctx, basicAuth('alice'))).statusCode, 200, 'alice still works after all those failures');
  t.equal((await send(ctx, `basic ${Buffer.from(`alice:${KEYS['alice'] ?? ''}`).toString('base64')}`)).statusCode, 200, 'the scheme name is case-insensitive (RFC 7235)');
});

t.test('suspension and reactivation take effect on the very next request', async (t) => {
  is401(t, await send(ctx, basicAuth('carol')), 'carol is suspended');
  await ctx.reconfigure({ carolStatus: 'active' });
  t.equal((await send(ctx, basicAuth('carol'))).statusCode, 200, 'carol works on her very next request after reactivation');
  t.equal((await send(ctx, basicAuth('carol'))).statusCode, 200, 'and again (key check now cached)');
  is401(t, await send(ctx, basicAuth('carol', 'wrong')), 'an active carol still needs her key');
  await ctx.reconfigure({ carolStatus: 'suspended' });
  is401(t, await send(ctx, basicAuth('carol')), 'suspended again: refused on the next request');

  // Keep the stored key hash identical across reconfigurations, so the cached key check
  // would still match: only the partner status can refuse her.
  const carolHash = await hashApiKey(KEYS['carol'] ?? '');
  const pinCarolKey = (json: Json): void => {
    const partners = json['partners'] as Json[];
    const carol = partners.find((p) => p['id'] === 'carol');
    if (carol !== undefined) carol['api_keys'] = [{ hash: carolHash }];
  };
  await applyEdited(pinCarolKey, { carolStatus: 'active' });
  t.equal((await send(ctx, basicAuth('carol'))).statusCode, 200, 'active with a fixed key hash');
  t.equal((await send(ctx, basicAuth('carol'))).statusCode, 200, 'cached');
  await applyEdited(pinCarolKey, { carolStatus: 'suspended' });
  is401(t, await send(ctx, basicAuth('carol')), 'suspension wins over a cached key check');
  is401(t, await send(jwtApp, bearer(jwt(claims({ sub: 'carol' })))), 'and over a valid token for carol', true);
  await applyEdited(pinCarolKey, { carolStatus: 'active' });
  t.equal((await send(ctx, basicAuth('carol'))).statusCode, 200, 'reactivated: next request works');
  await ctx.reconfigure({});
  is401(t, await send(ctx, basicAuth('carol')), 'back to the default configuration: suspended');
});

t.test('removing a partner or a grant by reconfiguration takes effect immediately', async (t) => {
  t.equal((await send(ctx, basicAuth('alice'), { url: RO })).statusCode, 200, 'alice reads RO');
  t.equal((await send(ctx, basicAuth('alice'), { url: `${RO}objects/` })).statusCode, 200);
  t.equal((await send(ctx, basicAuth('bob'), { url: `${RW}objects/` })).statusCode, 200, 'bob reads RW through group "readers"');
  await applyEdited((json) => {
    const roots = json['api_roots'] as { collections: { id: string; grants: Json[] }[] }[];
    for (const c of roots[0]?.collections ?? []) {
      if (c.id === C_RO) c.grants = c.grants.filter((g) => g['partner'] !== 'alice');
      if (c.id === C_RW) c.grants = c.grants.filter((g) => g['group'] !== 'readers');
    }
  });
  t.equal((await send(ctx, basicAuth('alice'), { url: RO })).statusCode, 404, 'grant removed: RO is gone for alice on the next request');
  t.equal((await send(ctx, basicAuth('alice'), { url: `${RO}objects/` })).statusCode, 404, 'and its objects');
  const list = body(await send(ctx, basicAuth('alice'), { url: '/main/collections/' }))['collections'] as Json[];
  t.notOk(list.some((c) => c['id'] === C_RO), 'and it is no longer listed');
  t.equal((await send(ctx, basicAuth('bob'), { url: `${RW}objects/` })).statusCode, 404, 'group grant removed: bob loses RW');
  t.equal((await send(ctx, basicAuth('bob'), { url: `${RO}objects/` })).statusCode, 200, 'bob keeps his own grant');
  t.equal((await send(jwtApp, bearer(jwt(claims())), { url: RO })).statusCode, 404, 'the JWT app sees the same change');

  await applyEdited((json) => {
    json['partners'] = (json['partners'] as Json[]).filter((p) => p['id'] !== 'bob');
    json['groups'] = [];
    const roots = json['api_roots'] as { collections: { grants: Json[] }[] }[];
    for (const root of roots) for (const c of root.collections) c.grants = c.grants.filter((g) => g['partner'] !== 'bob' && g['group'] === undefined);
  });
  is401(t, await send(ctx, basicAuth('bob')), 'a partner removed from the configuration is refused on the next request');
  is401(t, await send(jwtApp, bearer(jwt(claims({ sub: 'bob' })))), 'also with a token', true);

  await ctx.reconfigure({});
  t.equal((await send(ctx, basicAuth('alice'), { url: RO })).statusCode, 200, 'restored');
  t.equal((await send(ctx, basicAuth('bob'), { url: `${RW}objects/` })).statusCode, 200, 'bob restored');
  t.equal((await send(ctx, basicAuth('dave'), { url: '/main/collections/' })).statusCode, 404, 'dave (no grants) sees no collections');
  t.equal((await send(ctx, basicAuth('dave'), { url: `${RW}objects/` })).statusCode, 404, 'nor objects');
  t.same(body(await send(ctx, basicAuth('dave'))), { title: 'test server' }, 'dave is authenticated, with no API roots');
});

t.test('Bearer JWT: a valid token authenticates its subject (T7)', async (t) => {
  const res = await send(jwtApp, bearer(jwt(claims())), { url: '/main/collections/' });
  t.equal(res.statusCode, 200, 'valid HS256 token, right iss/aud, exp in the future');
  const ids = (body(res)['collections'] as Json[]).filter((c) => c['alias'] !== 'stix-definitions').map((c) => c['id']);
  t.same(ids, [C_RW, C_RO, '33333333-3333-4333-8333-333333333333'], "alice's view (besides the root's STIX definitions)");
  const bob = await send(jwtApp, bearer(jwt(claims({ sub: 'bob' }))), { url: '/taxii2/' });
  t.same(body(bob)['api_roots'], ['/main/', '/other/'], "bob's view");
  t.equal((await send(jwtApp, bearer(jwt(claims({ aud: ['other-service', 'taxii-exchange'] }))))).statusCode, 200, 'aud as a list containing the audience');
  t.equal((await send(jwtApp, `bearer ${jwt(claims())}`)).statusCode, 200, 'scheme name case-insensitive');
  t.equal((await send(jwtApp, basicAuth('alice'))).statusCode, 200, 'Basic still works next to JWT');

  const post = await jwtApp.app.inject({
    method: 'POST',
    url: `${RW}objects/`,
    headers: { accept: TAXII, 'content-type': TAXII, authorization: bearer(jwt(claims())) },
    payload: JSON.stringify({ objects: [indicator()] }),
  });
  t.equal(post.statusCode, 202, 'a token holder can write where the partner can');
  const statusUrl = `/main/status/${String(body(post)['id'])}/`;
  t.equal((await send(ctx, basicAuth('alice'), { url: statusUrl })).statusCode, 200, 'the status belongs to alice, however she authenticated');
});

t.test('Bearer JWT: every invalid token is 401 (T8)', async (t) => {
  const good = jwt(claims());
  const [h, p, s] = good.split('.') as [string, string, string];
  const flipped = `${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
  const cases: [string, string][] = [
    ['wrong signature', `${h}.${p}.${flipped}`],
    ['signed with another secret', jwt(claims(), { secret: 'some-other-secret-that-is-long-enough-0000000' })],
    ['payload altered after signing', `${h}.${b64url(JSON.stringify(claims({ sub: 'bob' })))}.${s}`],
    ['no signature', `${h}.${p}.`],
    ['two parts only', `${h}.${p}`],
    ['garbage', 'not.a.token'],
    ['empty token', ''],
    ['expired', jwt(claims({ iat: now() - 3600, exp: now() - 600 }))],
    ['no exp', jwt((({ exp: _exp, ...rest }) => rest)(claims()))],
    ['exp not a number', jwt(claims({ exp: 'tomorrow' }))],
    ['not yet valid (nbf)', jwt(claims({ nbf: now() + 600 }))],
    ['wrong iss', jwt(claims({ iss: 'https://evil.test' }))],
    ['no iss', jwt((({ iss: _iss, ...rest }) => rest)(claims()))],
    ['wrong aud', jwt(claims({ aud: 'another-service' }))],
    ['no aud', jwt((({ aud: _aud, ...rest }) => rest)(claims()))],
    ['missing sub', jwt((({ sub: _sub, ...rest }) => rest)(claims()))],
    ['sub not a string', jwt(claims({ sub: 42 }))],
    ['empty sub', jwt(claims({ sub: '' }))],
    ['sub of a suspended partner', jwt(claims({ sub: 'carol' }))],
    ['sub of an unknown partner', jwt(claims({ sub: 'mallory' }))],
    ['alg none', jwt(claims(), { alg: 'none' })],
    ['alg none, signature kept', `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${p}.${s}`],
    ['HS512 with the right secret (alg pinned to HS256)', jwt(claims(), { alg: 'HS512' })],
    ['HS384 with the right secret', jwt(claims(), { alg: 'HS384' })],
    ['header says HS512, signed HS256', (() => {
      const input = `${b64url(JSON.stringify({ alg: 'HS512', typ: 'JWT' }))}.${p}`;
      return `${input}.${createHmac('sha256', JWT_SECRET).update(input).digest('base64url')}`;
    })()],
  ];
  const bodies = new Map<string, Json>();
  for (const [what, token] of cases) bodies.set(what, is401(t, await send(jwtApp, bearer(token)), `JWT ${what}`, true));
  t.same(withoutId(bodies.get('sub of an unknown partner') ?? {}), withoutId(bodies.get('wrong signature') ?? {}), 'an unknown subject is indistinguishable from a bad token');
  t.same(withoutId(bodies.get('sub of a suspended partner') ?? {}), withoutId(bodies.get('expired') ?? {}), 'a suspended subject is indistinguishable from an expired token');
  is401(t, await send(jwtApp, 'Bearer'), 'Bearer without a token', true);
  is401(t, await send(jwtApp, `Bearer ${good} extra`), 'token followed by junk', true);
  const onResource = await send(jwtApp, bearer(jwt(claims({ exp: now() - 1 }))), { url: `${RW}objects/` });
  is401(t, onResource, 'expired token on a collection resource', true);
  t.equal((await send(jwtApp, bearer(good))).statusCode, 200, 'the untouched token still works');
});

t.test('Bearer JWT is refused when JWT is not configured (T7)', async (t) => {
  const token = jwt(claims());
  is401(t, await send(ctx, bearer(token)), 'a perfectly valid token on the Basic-only app');
  is401(t, await send(ctx, bearer(token), { url: `${RW}objects/` }), 'also on a collection');
  t.equal((await send(jwtApp, bearer(token))).statusCode, 200, 'while the JWT app takes it');
});

t.test('status resources are private to the submitter (TR19); malformed ids are 404 (T60)', async (t) => {
  const post = await ctx.post('alice', RW, [indicator()]);
  t.equal(post.statusCode, 202);
  const id = String(body(post)['id']);
  const url = `/main/status/${id}/`;
  t.equal((await ctx.request('alice', { url })).statusCode, 200, 'the submitter reads it');
  t.equal((await ctx.request('alice', { url: url.toUpperCase().replace('/MAIN/STATUS/', '/main/status/') })).statusCode, 200, 'status ids are case-insensitive UUIDs');
  const bob = await ctx.request('bob', { url });
  t.equal(bob.statusCode, 404, 'bob (who can read the root) gets 404');
  t.equal(bob.headers['content-type'], TAXII);
  const unknown = await ctx.request('bob', { url: `/main/status/${randomUUID()}/` });
  const bobBody = body(bob);
  const unknownBody = body(unknown);
  t.equal(bobBody['http_status'], '404');
  t.equal(
    String(bobBody['description']).replace(id, 'X'),
    String(unknownBody['description']).replace(/[0-9a-f-]{36}/, 'X'),
    "another partner's status looks exactly like a missing one",
  );
  t.equal((await ctx.request('dave', { url })).statusCode, 404, 'dave (no grants) gets 404');
  t.equal((await ctx.request('bob', { url: `/other/status/${id}/` })).statusCode, 404, 'not visible through another API root');
  t.equal((await ctx.request('alice', { url: `/other/status/${id}/` })).statusCode, 404, 'not even to alice through a root it was not posted to');
  is401(t, await send(ctx, basicAuth('bob', 'wrong'), { url }), 'a bad key on a status URL is 401, not 404');

  const bobPost = await ctx.post('bob', `/other/collections/${C_OTHER}/`, [indicator()]);
  t.equal(bobPost.statusCode, 202);
  const bobUrl = `/other/status/${String(body(bobPost)['id'])}/`;
  t.equal((await ctx.request('bob', { url: bobUrl })).statusCode, 200, "bob reads his own");
  t.equal((await ctx.request('alice', { url: bobUrl })).statusCode, 404, "alice cannot read bob's");
  const viaJwt = await send(jwtApp, bearer(jwt(claims())), { url });
  t.equal(viaJwt.statusCode, 200, 'alice through a token reads her status');
  const bobViaJwt = await send(jwtApp, bearer(jwt(claims({ sub: 'bob' }))), { url });
  t.equal(bobViaJwt.statusCode, 404, 'bob through a token does not');

  for (const bad of ['not-a-uuid', '12345', `${id}x`, id.slice(0, -1), `${id.slice(0, 8)}${id.slice(9)}`, `{${id}}`, '%20', 'null', '..%2F..%2Ftaxii2']) {
    const res = await ctx.request('alice', { url: `/main/status/${bad}/` });
    t.equal(res.statusCode, 404, `malformed status id ${bad}: 404`);
    t.equal(res.headers['content-type'], TAXII);
    t.equal(body(res)['http_status'], '404', `${bad}: TAXII error resource`);
  }
});
