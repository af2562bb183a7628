/**
 * The protective pieces of issue 10 on their own: the authenticator's equal cost
 * for every refusal, strict Basic parsing, token buckets and the authentication
 * throttle, the rate limiter's sliding window (locally and shared), the body
 * budget, the supervisor's back-off and which database errors are transient.
 */
import t from 'tap';
import { parseKeyHash } from '../../src/config/api-keys.js';
import { createAuthenticator, DUMMY_KEY_HASH } from '../../src/auth/authenticator.js';
import { DEFAULT_RATE_LIMITS } from '../../src/config/limits.js';
import { DEFAULT_LIMITS } from '../../src/config/limits.js';
import { TaxiiError } from '../../src/errors.js';
import { createAuthThrottle } from '../../src/http/auth-throttle.js';
import { parseBasic } from '../../src/http/authentication.js';
import { createBodyAdmission } from '../../src/http/body-admission.js';
import { createRateLimiter } from '../../src/http/rate-limit.js';
import { createTokenBuckets } from '../../src/http/token-buckets.js';
import { effectiveRateLimits } from '../../src/policy/rate-limits.js';
import { transientFailure } from '../../src/store/db-errors.js';
import type { PartnerLookup, PartnerRecord } from '../../src/auth/partners.js';
import type { RateWindows, WindowCounts } from '../../src/store/rate-windows.js';
import { restartDelay } from '../../src/workers.js';

function partner(id: string, status: PartnerRecord['status'], hashes: string[]): PartnerRecord {
  return { id, name: id, status, apiKeyHashes: hashes, clearance: 2, communities: [], identity: null, certificates: [], requireCertificate: false, rateLimits: {}, groupRateLimits: [] };
}

function errorOf(fn: () => unknown): TaxiiError | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof TaxiiError) return err;
    throw err;
  }
  return undefined;
}

async function rejectionOf(promise: Promise<unknown>): Promise<TaxiiError | undefined> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TaxiiError) return err;
    throw err;
  }
  return undefined;
}

const silent = { warn: () => undefined, info: () => undefined } as unknown as Parameters<typeof createRateLimiter>[1];

t.test('issue 10 defect 6: every refused Basic attempt costs one key check, so partner ids cannot be told apart by time', async (t) => {
  const partners = new Map([
    ['alice', partner('alice', 'active', ['hash-a'])],
    ['carol', partner('carol', 'suspended', ['hash-c'])],
    ['gone', partner('gone', 'removed', [])],
  ]);
  const directory: PartnerLookup = { findPartner: async (id: string) => partners.get(id) };
  const checked: string[] = [];
  const auth = createAuthenticator(directory, {
    cacheSeconds: 60,
    defaultRateLimits: DEFAULT_RATE_LIMITS,
    verify: async (key, stored) => {
      checked.push(stored);
      return (key === 'right-a' && stored === 'hash-a') || (key === 'right-c' && stored === 'hash-c');
    },
  });
  let hashed = 0;
  const before = async () => {
    hashed += 1;
    return () => undefined;
  };
  const cases: [string, string, string, string][] = [
    ['unknown partner id', 'mallory', 'x', 'unknown partner'],
    ['wrong key', 'alice', 'x', 'wrong key'],
    ['suspended partner, right key', 'carol', 'right-c', 'partner not active'],
    ['suspended partner, wrong key', 'carol', 'x', 'wrong key'],
    ['removed partner (no keys left)', 'gone', 'x', 'wrong key'],
  ];
  for (const [what, id, key, reason] of cases) {
    checked.length = 0;
    hashed = 0;
    const result = await auth.basic(id, key, before);
    t.same(result, { refused: reason }, `${what}: refused`);
    t.equal(checked.length, 1, `${what}: exactly one key check`);
    t.equal(hashed, 1, `${what}: counted as a hashing attempt`);
    if (id === 'carol') t.same(checked, ['hash-c'], `${what}: checked against its own key`);
  }
  checked.length = 0;
  await auth.basic('mallory', 'x', before);
  t.same(checked, [DUMMY_KEY_HASH], 'an unknown id is checked against the dummy hash');
  t.ok(parseKeyHash(DUMMY_KEY_HASH), 'the dummy hash has the cost parameters of a real one (it is really computed)');

  hashed = 0;
  const first = await auth.basic('alice', 'right-a', before);
  t.ok('principal' in first, 'the right key authenticates');
  checked.length = 0;
  const again = await auth.basic('alice', 'right-a', async () => {
    throw new Error('a cached success must not be throttled or hashed');
  });
  t.ok('principal' in again, 'a recent success is answered from the cache');
  t.equal(checked.length, 0, 'without hashing');

  checked.length = 0;
  hashed = 0;
  const together = await Promise.all(Array.from({ length: 8 }, () => auth.basic('mallory', 'same-guess', before)));
  t.ok(together.every((r) => 'refused' in r), 'eight concurrent identical attempts are all refused');
  t.equal(checked.length, 1, 'by one shared key check');
  t.equal(hashed, 1, 'taking one throttle token');

  const refusedUnchecked = await auth.basic('bob', 'x', async () => {
    throw new TaxiiError({ code: 'T', status: 429, title: 'x' }, 'throttled');
  }).catch((err: unknown) => err);
  t.type(refusedUnchecked, TaxiiError, 'a throttled attempt is refused before any hashing');
});

t.test('issue 10 defect 6: Basic credentials are parsed strictly (RFC 7617)', async (t) => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  t.same(parseBasic(`Basic ${b64('alice:key:with:colons')}`), { partnerId: 'alice', apiKey: 'key:with:colons' });
  t.same(parseBasic(`basic   ${b64('alice:k')}`), { partnerId: 'alice', apiKey: 'k' }, 'scheme case-insensitive, several spaces');
  const refused: [string, string][] = [
    ['trailing garbage after the base64', `Basic ${b64('alice:k')}garbage!`],
    ['a second token', `Basic ${b64('alice:k')} ${b64('bob:k')}`],
    ['trailing space', `Basic ${b64('alice:k')} `],
    ['whitespace inside', `Basic ${b64('alice:key').slice(0, 4)} ${b64('alice:key').slice(4)}`],
    ['missing padding', `Basic ${b64('alice:k').replace(/=+$/, '')}`],
    ['non-canonical trailing bits', 'Basic YWxpY2U6a3=='],
    ['base64url alphabet', `Basic ${Buffer.from('alice:k??>').toString('base64url')}`],
    ['not UTF-8', `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`],
    ['no colon', `Basic ${b64('alice')}`],
    ['empty user id', `Basic ${b64(':key')}`],
    ['no token', 'Basic'],
    ['another scheme', `Token ${b64('alice:k')}`],
  ];
  for (const [what, header] of refused) t.equal(parseBasic(header), undefined, what);
});

t.test('token buckets: a burst of perMinute, refilled continuously, bounded in keys', async (t) => {
  let clock = 0;
  const buckets = createTokenBuckets(6, 3, () => clock);
  for (let i = 0; i < 6; i++) t.equal(buckets.take('a'), undefined, `token ${i + 1} of the burst`);
  const wait = buckets.take('a');
  t.ok(wait !== undefined && wait > 9 && wait <= 10, `then wait about 10 s for the next (${wait})`);
  t.equal(buckets.wait('a'), wait, 'wait() tells the same without taking');
  clock += 10_000;
  t.equal(buckets.take('a'), undefined, 'one token after 10 s');
  t.ok(buckets.take('a') !== undefined, 'and only one');
  buckets.refund('a');
  t.equal(buckets.take('a'), undefined, 'a refunded token can be taken again');
  for (const key of ['b', 'c', 'd', 'e']) buckets.take(key);
  t.equal(buckets.take('a'), undefined, 'the oldest keys are forgotten beyond maxKeys (a is full again)');
});

t.test('issue 10 defect 6: failed authentications are rationed per address and per partner id', async (t) => {
  let clock = 0;
  const throttle = createAuthThrottle({ ...DEFAULT_LIMITS, authFailuresPerAddressPerMinute: 4, authFailuresPerPartnerPerMinute: 2 }, () => clock);
  const fail = async (address: string, id: string) => (await throttle.attempt(address, id))(false);
  await fail('10.0.0.1', 'alice');
  await fail('10.0.0.2', 'alice');
  const perPartner = await rejectionOf(throttle.attempt('10.0.0.3', 'alice'));
  t.equal(perPartner?.status, 429, 'after two failures for one partner id, from two addresses, a third address gets 429');
  t.equal(perPartner?.kind.code, 'TAXII_ERR_AUTH_THROTTLED');
  t.ok((perPartner?.retryAfterSeconds ?? 0) > 0, 'with a Retry-After');
  t.equal(await rejectionOf(throttle.attempt('10.0.0.3', 'bob').then((report) => report(true))), undefined, 'another partner id from that address is not affected');
  for (const id of ['p1', 'p2', 'p3', 'p4']) await fail('10.0.0.9', id);
  t.equal((await rejectionOf(throttle.attempt('10.0.0.9', 'p5')))?.status, 429, 'one address naming many partner ids is stopped too');
  t.equal(errorOf(() => throttle.check('10.0.0.9'))?.status, 429, 'check() refuses a throttled address before any work');
  for (let i = 0; i < 10; i++) (await throttle.attempt('10.0.0.5', 'carol'))(true);
  t.equal(await rejectionOf(throttle.attempt('10.0.0.5', 'carol').then((report) => report(false))), undefined, 'successes cost nothing');
  clock += 60_000;
  t.equal(await rejectionOf(throttle.attempt('10.0.0.3', 'alice').then((report) => report(true))), undefined, 'after a minute the partner id may be tried again');
});

t.test('issue 10 defect 6: one address hashes two keys at a time; many logins behind one proxy queue, none is refused', async (t) => {
  const throttle = createAuthThrottle({ ...DEFAULT_LIMITS, authFailuresPerAddressPerMinute: 3 });
  let running = 0;
  let most = 0;
  const login = async (i: number) => {
    const report = await throttle.attempt('10.1.1.1', `partner-${i}`);
    running += 1;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, 5));
    running -= 1;
    report(true);
  };
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => rejectionOf(login(i))));
  t.ok(results.every((r) => r === undefined), '40 concurrent good logins from one address, with a budget of 3 failures: all pass');
  t.equal(most, 2, 'at most two hashed at once');
  const guesses = await Promise.all(Array.from({ length: 40 }, (_, i) =>
    rejectionOf(throttle.attempt('10.2.2.2', `guess-${i}`).then(async (report) => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      report(false);
    }))));
  const refused = guesses.filter((r) => r?.status === 429).length;
  t.ok(refused >= 40 - 3 - 2, `40 concurrent wrong guesses: only the budget (3) plus those already hashing get through (${40 - refused} did)`);
});

t.test('rate limits: partner over groups over the server default; the most generous group wins', async (t) => {
  const server = { readsPerMinute: 100, writesPerMinute: 10 };
  t.same(effectiveRateLimits({}, [], server), server, 'the server default');
  t.same(effectiveRateLimits({}, [{ readsPerMinute: 50 }, { readsPerMinute: 500 }, {}], server), { readsPerMinute: 500, writesPerMinute: 10 });
  t.same(effectiveRateLimits({}, [{ writesPerMinute: Infinity }, { writesPerMinute: 5 }], server).writesPerMinute, Infinity, 'unlimited is the most generous');
  t.same(effectiveRateLimits({ readsPerMinute: 7 }, [{ readsPerMinute: 500 }], server).readsPerMinute, 7, 'the partner\'s own wins');
});

t.test('rate limiter: a sliding minute, 429 with a Retry-After that lets the next request through', async (t) => {
  let clock = 30_000; // half-way through a window
  const limiter = createRateLimiter(undefined, silent, () => clock);
  for (let i = 0; i < 10; i++) await limiter.take('reads:alice', 10, 'reads');
  const over = await rejectionOf(limiter.take('reads:alice', 10, 'reads'));
  t.equal(over?.status, 429);
  t.equal(over?.kind.code, 'TAXII_ERR_REQUEST_RATE_LIMITED');
  t.match(over?.description, /10 reads per minute/);
  t.ok((over?.retryAfterSeconds ?? 0) >= 1 && (over?.retryAfterSeconds ?? 0) <= 60, `Retry-After ${over?.retryAfterSeconds}`);
  t.equal(await rejectionOf(limiter.take('writes:alice', 10, 'writes')), undefined, 'writes are counted apart');
  t.equal(await rejectionOf(limiter.take('reads:bob', 10, 'reads')), undefined, 'partners are counted apart');
  clock = 60_000 + 3_000; // next window: 10 in the previous one, 95% of it still overlapping the last minute
  t.equal((await rejectionOf(limiter.take('reads:alice', 10, 'reads')))?.status, 429, 'the previous window still counts as it overlaps');
  clock = 60_000 + 30_000; // half of it: 5 estimated
  for (let i = 0; i < 5; i++) t.equal(await rejectionOf(limiter.take('reads:alice', 10, 'reads')), undefined, `request ${i + 1} of 5 more`);
  t.equal((await rejectionOf(limiter.take('reads:alice', 10, 'reads')))?.status, 429, '5 + 5 + 1 would exceed 10 by the estimate');
  clock = 60_000 + 50_000;
  t.equal(await rejectionOf(limiter.take('reads:alice', 10, 'reads')), undefined, 'as the previous window fades, room comes back');
  for (let i = 0; i < 100; i++) await limiter.take('reads:carol', Infinity, 'reads');
  t.pass('unlimited is never refused');
  limiter.close();
});

t.test('rate limiter: on PostgreSQL the limit holds across processes through the shared windows', async (t) => {
  const shared = new Map<string, number>();
  const windows: RateWindows = {
    async add(windowStart, increments) {
      const out = new Map<string, WindowCounts>();
      for (const [key, n] of increments) {
        const k = `${key}@${windowStart}`;
        shared.set(k, (shared.get(k) ?? 0) + n);
        out.set(key, { current: shared.get(k) ?? 0, previous: shared.get(`${key}@${windowStart - 60_000}`) ?? 0 });
      }
      return out;
    },
    async purge() {},
  };
  const clock = 1_000;
  const a = createRateLimiter(windows, silent, () => clock);
  const b = createRateLimiter(windows, silent, () => clock);
  for (let i = 0; i < 6; i++) await a.take('reads:alice', 10, 'reads');
  await a.sync();
  t.equal(shared.get('reads:alice@0'), 6, 'A adds its counts to the shared window');
  for (let i = 0; i < 4; i++) await b.take('reads:alice', 10, 'reads');
  t.equal((await rejectionOf(b.take('reads:alice', 10, 'reads')))?.status, 429, 'B, seeing alice for the first time, starts from the shared count: her 11th read is refused');
  await b.sync();
  t.equal(shared.get('reads:alice@0'), 10, 'B\'s counts reach the shared window');
  await a.sync();
  t.equal((await rejectionOf(a.take('reads:alice', 10, 'reads')))?.status, 429, 'and A refuses too once it has synchronised');
  const failing: RateWindows = { add: async () => Promise.reject(new Error('database down')), purge: async () => undefined };
  const c = createRateLimiter(failing, silent, () => clock);
  for (let i = 0; i < 3; i++) await c.take('reads:alice', 3, 'reads');
  await c.sync();
  t.equal((await rejectionOf(c.take('reads:alice', 3, 'reads')))?.status, 429, 'with the database unreachable the local count still applies');
  for (const l of [a, b, c]) l.close();
});

t.test('issue 10 defect 2: request bodies are admitted against a process and a partner budget', async (t) => {
  const bodies = createBodyAdmission(100, 60);
  const a1 = bodies.admit('alice', 50);
  t.equal(errorOf(() => bodies.admit('alice', 20))?.status, 429, 'over the partner budget: 429');
  t.equal(errorOf(() => bodies.admit('alice', 20))?.retryAfterSeconds, 1);
  const b1 = bodies.admit('bob', 40);
  const over = errorOf(() => bodies.admit('carol', 20));
  t.equal(over?.status, 503, 'over the process budget: 503');
  t.ok((over?.retryAfterSeconds ?? 0) > 0, 'with Retry-After');
  a1();
  a1();
  t.equal(bodies.inFlight, 40, 'a release counts once');
  const big = errorOf(() => bodies.admit('carol', 500));
  t.equal(big?.status, 503, 'a body larger than the budget waits for an empty process');
  b1();
  const alone = bodies.admit('carol', 500);
  t.equal(bodies.inFlight, 500, 'and is then admitted alone');
  alone();
  t.equal(bodies.inFlight, 0);
});

t.test('issue 10 defect 3: a replacement worker is retried with exponential back-off, capped', async (t) => {
  t.same([1, 2, 3, 4, 5, 6, 7, 20].map(restartDelay), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

t.test('issue 10 defect 8: transient database failures are 503 with Retry-After, the rest is not', async (t) => {
  const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  const transient: [string, Error][] = [
    ['connection lost', new Error('Connection terminated unexpectedly')],
    ['pool timeout', new Error('timeout exceeded when trying to connect')],
    ['refused', coded('ECONNREFUSED')],
    ['out of file descriptors', coded('EMFILE')],
    ['backend terminated', coded('57P01')],
    ['too many connections', coded('53300')],
    ['connection exception class', coded('08006')],
    ['statement timeout', coded('57014')],
    ['lock timeout', coded('55P03')],
    ['deadlock', coded('40P01')],
  ];
  for (const [what, err] of transient) {
    const mapped = transientFailure(err);
    t.equal(mapped?.status, 503, `${what}: 503`);
    t.ok((mapped?.retryAfterSeconds ?? 0) > 0, `${what}: Retry-After`);
  }
  t.match(transientFailure(coded('57014'))?.description, /statement timeout/, 'a timeout says which');
  for (const [what, err] of [['unique violation', coded('23505')], ['syntax error', coded('42601')], ['a plain bug', new TypeError('x')]] as const) {
    t.equal(transientFailure(err), undefined, `${what}: not transient`);
  }
});
