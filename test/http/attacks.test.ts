/**
 * Attacks, one test per class (issue 10; SECURITY.md maps each threat to its test):
 * key guessing and scrypt flooding (throttled per address and per partner id, 429
 * with Retry-After), partner-id enumeration, lax Basic parsing, failed logins in
 * the log, JWT algorithm confusion, a partner replaying another's status id or
 * `next` token, a write-only partner probing through POST answers, and request
 * floods (per-partner rate limits, also across processes on PostgreSQL).
 * The JWT attacks on an HS256 configuration (alg none, expired, not yet valid,
 * wrong issuer or audience, tampered, unknown or suspended sub) are in auth.test.ts.
 */
import { createHmac, createSign, generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { C_RO, C_RW, C_WO, KEYS, TAXII, TEST_ENV, basicAuth, createAppWithConfig, testConfigJson, type TestApp } from '../helpers/app.js';
import { openTestDb, testDatabaseUrl } from '../helpers/database.js';
import { indicator } from '../helpers/stix.js';

type Json = Record<string, unknown>;

const ADDRESS_FAILURES = 6;
const PARTNER_FAILURES = 4;

/** The test configuration with small limits: frank may make 5 reads a minute, the readers group (bob) 3 writes. */
function attackConfig(): Json {
  const json = testConfigJson() as Json & { server: Json; partners: Json[]; groups: Json[] };
  json.server['limits'] = { auth_failures_per_address_per_minute: ADDRESS_FAILURES, auth_failures_per_partner_per_minute: PARTNER_FAILURES };
  json.server['rate_limits'] = { reads_per_minute: 1000, writes_per_minute: 'unlimited' };
  json.partners.push({ id: 'frank', name: 'Frank', api_keys: [{ env: 'TEST_KEY_FRANK' }], rate_limits: { reads_per_minute: 5 } });
  // Erin is only ever guessed at, so throttling her id leaves the other tests alone.
  json.partners.push({ id: 'erin', name: 'Erin', api_keys: [{ env: 'TEST_KEY_ERIN' }] });
  json.groups = json.groups.map((g) => ({ ...g, rate_limits: { writes_per_minute: 3, reads_per_minute: 'unlimited' } }));
  return json;
}

const logLines: Json[] = [];
const logger = pino(
  { level: 'warn' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') logLines.push(JSON.parse(line) as Json);
      done();
    },
  }),
);

const shared = await openTestDb();
const ENV = { ...TEST_ENV, TEST_KEY_ERIN: 'erin-secret-key-0005', TEST_KEY_FRANK: 'frank-secret-key-0006' };
const ctx = await createAppWithConfig(attackConfig(), ENV, { testDb: shared, logger, keys: { ...KEYS, frank: 'frank-secret-key-0006' } });
t.teardown(async () => {
  await ctx.close();
  await shared.close();
});

let nextAddress = 1;
/** A fresh client address per test, so throttling in one test does not leak into the next. */
const freshAddress = () => `192.0.2.${nextAddress++}`;

function get(app: TestApp, authorization: string | undefined, address: string, url = '/taxii2/'): Promise<LightMyRequestResponse> {
  return app.app.inject({
    method: 'GET',
    url,
    remoteAddress: address,
    headers: { accept: TAXII, ...(authorization !== undefined && { authorization }) },
  });
}

function isTaxiiError(t: Test, res: LightMyRequestResponse, status: number, code: string, what: string): void {
  t.equal(res.statusCode, status, `${what}: ${status}`);
  t.equal(res.headers['content-type'], TAXII, `${what}: TAXII Content-Type`);
  const body = res.json<Json>();
  t.equal(body['http_status'], String(status), `${what}: TAXII error resource`);
  t.equal(body['error_code'], code, `${what}: ${code}`);
  if (status === 429 || status === 503) t.match(res.headers['retry-after'], /^[1-9][0-9]*$/, `${what}: Retry-After in whole seconds`);
}

t.test('issue 10 defect 6: guessing keys from one address is throttled (429, Retry-After) after the configured failures', async (t) => {
  const address = freshAddress();
  const statuses: number[] = [];
  for (let i = 0; i < ADDRESS_FAILURES; i++) {
    statuses.push((await get(ctx, basicAuth(`guess-${i}`, `wrong-${i}`), address)).statusCode);
  }
  t.same(statuses, Array(ADDRESS_FAILURES).fill(401), `the first ${ADDRESS_FAILURES} failures are 401`);
  isTaxiiError(t, await get(ctx, basicAuth('alice', 'still-wrong'), address), 429, 'TAXII_ERR_AUTH_THROTTLED', 'the next attempt');
  t.equal((await get(ctx, basicAuth('alice', 'still-wrong'), freshAddress())).statusCode, 401, 'another address is not affected');
  t.equal((await get(ctx, basicAuth('bob'), freshAddress())).statusCode, 200, 'and partners elsewhere keep working');
});

t.test('issue 10 defect 6: guessing one partner\'s key from many addresses is throttled per partner id, and unknown ids alike', async (t) => {
  for (const id of ['erin', 'no-such-partner']) {
    const answers: number[] = [];
    for (let i = 0; i < PARTNER_FAILURES; i++) answers.push((await get(ctx, basicAuth(id, `wrong-${i}`), freshAddress())).statusCode);
    t.same(answers, Array(PARTNER_FAILURES).fill(401), `${id}: ${PARTNER_FAILURES} failures from ${PARTNER_FAILURES} addresses are 401`);
    isTaxiiError(t, await get(ctx, basicAuth(id, 'wrong'), freshAddress()), 429, 'TAXII_ERR_AUTH_THROTTLED', `${id}: the next one, from yet another address`);
  }
  t.pass('a known and an unknown partner id are throttled alike: the 429 does not tell which exist');
});

t.test('issue 10 defect 6: credentials that succeeded recently are never throttled', async (t) => {
  const address = freshAddress();
  t.equal((await get(ctx, basicAuth('bob'), address)).statusCode, 200, 'bob logs in');
  for (let i = 0; i < ADDRESS_FAILURES + 2; i++) await get(ctx, basicAuth('mallory', `x${i}`), address);
  t.equal((await get(ctx, basicAuth('mallory', 'y'), address)).statusCode, 429, 'the address is throttled');
  t.equal((await get(ctx, basicAuth('bob'), address)).statusCode, 200, 'bob, answered from the cache of recent successes, still gets in');
});

t.test('issue 10 defect 6: a refusal answers the same for an unknown partner, a wrong key and a suspended partner', async (t) => {
  const bodies = await Promise.all(
    [basicAuth('nobody-here', 'k'), basicAuth('bob', 'wrong-key'), basicAuth('carol')].map(async (auth) => {
      const res = await get(ctx, auth, freshAddress());
      const { error_id: _id, ...rest } = res.json<Json>();
      return { status: res.statusCode, challenge: res.headers['www-authenticate'], rest };
    }),
  );
  t.same(bodies[0], bodies[1], 'unknown partner id = wrong key');
  t.same(bodies[1], bodies[2], 'wrong key = suspended partner');
  t.equal(bodies[0]?.status, 401);
});

t.test('issue 10 defect 6: Basic credentials with trailing garbage or a lax encoding are refused', async (t) => {
  const good = Buffer.from(`alice:${KEYS['alice']}`).toString('base64');
  t.equal((await get(ctx, `Basic ${good}`, freshAddress())).statusCode, 200, 'the exact credential works');
  for (const [what, header] of [
    ['garbage after the base64', `Basic ${good}!!garbage`],
    ['a second credential after it', `Basic ${good} ${good}`],
    ['a tab inside the base64', `Basic ${good.slice(0, 8)}\t${good.slice(8)}`],
    ['padding removed', `Basic ${good.replace(/=+$/, '')}x`],
  ] as const) {
    t.equal((await get(ctx, header, freshAddress())).statusCode, 401, what);
  }
});

t.test('issue 10 defect 6: failed logins are logged with the partner id named and the address, never the key', async (t) => {
  logLines.length = 0;
  const address = freshAddress();
  await get(ctx, basicAuth('alice', 'the-wrong-key-0042'), address);
  await get(ctx, basicAuth('ghost\u0007id', 'another-secret-0043'), address);
  const failures = logLines.filter((l) => l['msg'] === 'authentication failed').map((l) => l['authentication'] as Json);
  t.same(failures.map((f) => [f['partnerId'], f['address'], f['reason']]), [
    ['alice', address, 'wrong key'],
    ['ghost?id', address, 'malformed credentials'],
  ], 'partner id (control characters neutralised), address and reason');
  const text = JSON.stringify(logLines);
  t.notMatch(text, /the-wrong-key-0042|another-secret-0043/, 'no key appears in any log line');
  t.notMatch(text, new RegExp(Buffer.from('alice:the-wrong-key-0042').toString('base64')), 'nor the Authorization header');
});

t.test('JWT algorithm confusion: an HS256 token signed with the RS256 public key is refused', async (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const json = testConfigJson() as Json & { auth: Json };
  json.auth = { basic: true, jwt: { algorithm: 'RS256', key: { env: 'TEST_RSA_PUBLIC' } } };
  const rsa = await createAppWithConfig(json, { ...TEST_ENV, TEST_RSA_PUBLIC: publicPem }, { testDb: ctx.testDb, apply: async () => undefined });
  t.teardown(() => rsa.close());
  const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const claims = { sub: 'alice', exp: Math.floor(Date.now() / 1000) + 300 };
  const signed = (alg: string, sign: (input: string) => string) => {
    const input = `${b64url({ alg, typ: 'JWT' })}.${b64url(claims)}`;
    return `Bearer ${input}.${sign(input)}`;
  };
  const rs256 = signed('RS256', (input) => createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url'));
  t.equal((await get(rsa, rs256, freshAddress())).statusCode, 200, 'a genuine RS256 token works');
  const confused = signed('HS256', (input) => createHmac('sha256', publicPem).update(input).digest('base64url'));
  t.equal((await get(rsa, confused, freshAddress())).statusCode, 401, 'HS256 keyed with the public key: 401');
  t.equal((await get(rsa, signed('none', () => ''), freshAddress())).statusCode, 401, 'alg none: 401');
});

t.test('a partner cannot use another partner\'s status id or next token', async (t) => {
  const posted = await ctx.post('alice', `/main/collections/${C_RW}/`, [indicator({ name: 'replay 1' }), indicator({ name: 'replay 2' })]);
  const statusId = posted.json<Json>()['id'] as string;
  const own = await ctx.request('alice', { url: `/main/status/${statusId}/` });
  t.equal(own.statusCode, 200, 'the submitter reads its status');
  isTaxiiError(t, await ctx.request('bob', { url: `/main/status/${statusId}/` }), 404, 'TAXII_ERR_RESOURCE_NOT_FOUND', 'bob asking for alice\'s status');
  const page = await ctx.request('bob', { url: `/main/collections/${C_RO}/objects/?limit=1` });
  t.equal(page.statusCode, 200);
  await ctx.store.objects.add(C_RO, 'seed', [1, 2].map((i) => {
    const o = indicator({ name: `ro ${i}` });
    return { id: o.id as string, type: 'indicator', version: o.modified as string, specVersion: '2.1', raw: JSON.stringify(o), facts: { tlpLevel: null, granularLevel: null, granularRequiredLevel: null, recipientPartners: null, recipientCommunities: null, refs: null } };
  }));
  const bobs = await ctx.request('bob', { url: `/main/collections/${C_RO}/objects/?limit=1` });
  const next = bobs.json<Json>()['next'] as string;
  t.type(next, 'string', 'bob has a next token');
  isTaxiiError(t, await ctx.request('alice', { url: `/main/collections/${C_RO}/objects/?limit=1&next=${next}` }), 400, 'TAXII_ERR_REQUEST_BAD_CURSOR', 'alice replaying bob\'s next token');
});

t.test('a write-only partner learns nothing of what the collection holds from POST answers', async (t) => {
  const held = [indicator({ name: 'held by someone else' }), indicator({ name: 'also held by someone else' })];
  await ctx.store.objects.add(C_WO, 'someone-else', held.map((o) => ({
    id: o.id as string, type: 'indicator', version: o.modified as string, specVersion: '2.1', raw: JSON.stringify(o),
    facts: { tlpLevel: null, granularLevel: null, granularRequiredLevel: null, recipientPartners: null, recipientCommunities: null, refs: null },
  })));
  isTaxiiError(t, await ctx.request('alice', { url: `/main/collections/${C_WO}/objects/` }), 403, 'TAXII_ERR_AUTH_FORBIDDEN', 'alice may not read it');
  const same = await ctx.post('alice', `/main/collections/${C_WO}/`, [held[0]]);
  const changed = await ctx.post('alice', `/main/collections/${C_WO}/`, [{ ...held[1], name: 'other content, same version' }]);
  for (const [what, res] of [['the identical object', same], ['other content under the same version', changed]] as const) {
    const status = res.json<Json>();
    t.equal(status['success_count'], 1, `${what}: stored as alice's own copy`);
    t.notMatch(JSON.stringify(status), /already present|already stored/, `${what}: no "already present", no conflict`);
  }
});

t.test('rate limits: a partner\'s own read limit, 429 with Retry-After, writes counted apart', async (t) => {
  const first = await Promise.all(Array.from({ length: 5 }, () => ctx.request('frank', { url: '/taxii2/' })));
  t.same(first.map((r) => r.statusCode), [200, 200, 200, 200, 200], 'frank\'s 5 reads a minute');
  isTaxiiError(t, await ctx.request('frank', { url: '/taxii2/' }), 429, 'TAXII_ERR_REQUEST_RATE_LIMITED', 'his 6th read');
  const write = await ctx.post('frank', `/main/collections/${C_RW}/`, [indicator({ name: 'writes apart' })]);
  t.equal(write.statusCode, 404, 'his writes are counted apart (this one is refused for want of a grant, not for the rate)');
  t.equal((await ctx.request('bob', { url: `/main/collections/${C_RO}/manifest/` })).statusCode, 200, 'bob is not affected');
});

t.test('rate limits: a group\'s write limit applies to its members', async (t) => {
  const url = `/other/collections/55555555-5555-4555-8555-555555555555/`;
  const answers: number[] = [];
  for (let i = 0; i < 4; i++) answers.push((await ctx.post('bob', url, [indicator({ name: `bob write ${i}` })])).statusCode);
  t.same(answers, [202, 202, 202, 429], 'bob (group readers: 3 writes a minute) gets 429 on the 4th');
});

t.test('rate limits hold across two server processes on one PostgreSQL database', { skip: testDatabaseUrl === undefined && 'needs PostgreSQL (TAXII_TEST_DATABASE_URL): an embedded database lives in one process' }, async (t) => {
  const json = attackConfig() as Json & { partners: Json[] };
  json.partners = json.partners.map((p) => (p['id'] === 'dave' ? { ...p, rate_limits: { reads_per_minute: 6 } } : p));
  const a = await createAppWithConfig(json, ENV, { testDb: ctx.testDb });
  const b = await createAppWithConfig(json, ENV, { testDb: ctx.testDb, apply: async () => undefined });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  for (let i = 0; i < 4; i++) t.equal((await a.request('dave', { url: '/taxii2/' })).statusCode, 200, `read ${i + 1} through A`);
  // Each process shares its counts every second.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  t.equal((await b.request('dave', { url: '/taxii2/' })).statusCode, 200, 'read 5 through B');
  t.equal((await b.request('dave', { url: '/taxii2/' })).statusCode, 200, 'read 6 through B');
  isTaxiiError(t, await b.request('dave', { url: '/taxii2/' }), 429, 'TAXII_ERR_REQUEST_RATE_LIMITED', 'read 7 through B: A\'s reads counted');
});
