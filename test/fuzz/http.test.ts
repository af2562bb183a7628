/**
 * Fuzz: request headers through inject(), and malformed HTTP/1.1 over real TCP
 * sockets to the listening app (127.0.0.1, port 0) for what inject() cannot
 * express. One app for both: JWT enabled, and 1 s header / 2 s request / 1 s
 * keep-alive timeouts so that no connection can legitimately stay open long.
 *
 * Headers (test/helpers/fuzz-requests.ts): Accept (media-range lists with
 * version, q and odd parameters, garbage, 20 KB values), Content-Type and
 * Content-Encoding on POST, Authorization (alice's Basic credentials, other
 * partners', Basic with garbage or near-miss user:key pairs, Bearer JWTs with
 * each claim and header wrong in turn, signed with the right key, another or
 * none, Bearer garbage, other schemes), Accept-Encoding (codings with valid and
 * invalid q-values); on discovery (GET and HEAD), objects, manifest, an object,
 * and Add Objects with a small valid envelope. Invariants: those of every
 * response (test/helpers/fuzz.ts; 503 with Retry-After only for POST);
 * credentials that must not authenticate (wrong key or signature, alg none,
 * unknown or suspended partner, missing or wrong claims, expired) never get a
 * 2xx; no Accept is 406, before authentication; TAXII Accept and valid
 * credentials get discovery; a POST with a Content-Encoding other than identity
 * is 415; a response is compressed only with a coding the Accept-Encoding names.
 *
 * Raw sockets (test/helpers/fuzz-raw*.ts): one to three concurrent connections
 * per run, each with one to three pipelined requests (discovery, HEAD, Get
 * Objects, Add Objects with Content-Length or chunked) carrying defects — header
 * values with CR, LF, NUL or DEL (injection), obs-fold, bad header names, no Host
 * or two, absurd, duplicate or non-numeric Content-Length, Transfer-Encoding
 * variants (with Content-Length: smuggling), malformed chunks, LF or CR line
 * endings, odd versions, methods and targets (absolute form, `*`, raw spaces,
 * bytes that are not UTF-8, 100 KB), Expect, Upgrade, 10–100 KB headers,
 * thousands of headers, bodies longer or shorter than declared — or bytes that
 * are not HTTP, or half a request and silence; written in pieces with pauses.
 * Invariants per connection: no hang (an answer or a close within HANG_MS); each
 * complete answer meets the invariants of every response; none is cut short or
 * followed by stray bytes; a well-formed request is not answered by another's
 * parse error (answers in order); every connection gets an answer — noise, half
 * a request, silence and CONNECT included (400, 404, 408, 417, 431: TAXII error
 * resources; see src/http/node-defaults.ts). After every run
 * discovery answers 200 over a new connection and a valid envelope is accepted
 * (nothing was left holding a budget).
 *
 * Longer: TAXII_FUZZ_RUNS=5000 npx tap --timeout 3600 test/fuzz/http.test.ts
 * (or `npm run fuzz`); replay a failure with the TAXII_FUZZ_SEED it prints.
 */
import fc from 'fast-check';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { C_RW, TAXII, TEST_ENV, basicAuth, createAppWithConfig, testConfigJson } from '../helpers/app.js';
import {
  InvariantViolation, announce, checkProperty, checkedInject, describeExchange, ensure, inject, requireAlive, responseViolations, tally,
} from '../helpers/fuzz.js';
import { converse } from '../helpers/fuzz-raw.js';
import { conversationViolations, describePlan, planOf, scenario, split, type Plan, type Scenario } from '../helpers/fuzz-raw-requests.js';
import { acceptEncodingHeader, acceptHeader, contentTypeHeader, credentials, headerText, type Credentials } from '../helpers/fuzz-requests.js';
import { indicator } from '../helpers/stix.js';

const config = testConfigJson({ jwt: true });
const server = config['server'] as Record<string, unknown>;
server['limits'] = {
  ...(server['limits'] as Record<string, unknown>),
  headers_timeout_seconds: 1,
  request_timeout_seconds: 2,
  idle_timeout_seconds: 3,
  keep_alive_timeout_seconds: 1,
};
const ctx = await createAppWithConfig(config, TEST_ENV);
t.teardown(() => ctx.close());
announce(t);
await ctx.app.listen({ host: '127.0.0.1', port: 0 });
const { port } = ctx.app.server.address() as AddressInfo;

/** Request timeout (2 s) + Node's 1 s check interval + keep-alive (1 s) + a loaded machine. */
const HANG_MS = 8000;
const RW = `/main/collections/${C_RW}/`;
let posts = 0;
const envelope = () => JSON.stringify({ objects: [indicator({ id: `indicator--0a1b2c3d-5555-4555-8555-${String(++posts).padStart(12, '0')}` })] });

const OBJECT = indicator({ id: 'indicator--0a1b2c3d-4444-4444-8444-000000000001' });
// Enough objects that a page is over the 1 KB compression threshold.
const seeded = await ctx.post(
  'alice', RW, [OBJECT, ...Array.from({ length: 5 }, (_, i) => indicator({ id: `indicator--0a1b2c3d-4444-4444-8444-00000000010${i}` }))],
);
if (seeded.statusCode !== 202) throw new Error(`seeding failed: ${seeded.body}`);

// ---------------------------------------------------------------- headers, through inject()

const TARGETS = [
  { method: 'GET', url: '/taxii2/' },
  { method: 'HEAD', url: '/taxii2/' },
  { method: 'GET', url: `${RW}objects/` },
  { method: 'GET', url: `${RW}manifest/?match[version]=all` },
  { method: 'GET', url: `${RW}objects/${String(OBJECT['id'])}/` },
  { method: 'POST', url: `${RW}objects/` },
] as const;

interface HeaderCase {
  readonly target: (typeof TARGETS)[number];
  readonly accept: string | undefined;
  readonly credentials: Credentials;
  readonly acceptEncoding: string | undefined;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  readonly uuid: string;
}

const ALICE: Credentials = { value: basicAuth('alice'), authenticates: 'yes' };

const headerCase: fc.Arbitrary<HeaderCase> = fc.record({
  target: fc.constantFrom(...TARGETS),
  accept: fc.oneof(fc.constant(TAXII), acceptHeader),
  credentials: fc.oneof(fc.constant(ALICE), credentials),
  acceptEncoding: acceptEncodingHeader,
  contentType: contentTypeHeader,
  contentEncoding: fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('identity', 'gzip', 'br', 'IDENTITY', ' identity ', 'identity, gzip', '') },
    { weight: 1, arbitrary: headerText },
  ),
  uuid: fc.uuid({ version: 4 }),
});

/** Codings the request's Accept-Encoding names (lower case), `*` included. */
function namedCodings(header: string | undefined): Set<string> {
  const names = (header ?? '').split(',').map((m) => (m.split(';')[0] ?? '').trim().toLowerCase());
  return new Set(names.map((n) => (n === 'x-gzip' ? 'gzip' : n)));
}

await checkProperty(t, 'headers: Accept, Content-Type, Authorization, Accept-Encoding, Content-Encoding', 300, headerCase, async (c) => {
  const post = c.target.method === 'POST';
  const headers = {
    accept: c.accept,
    authorization: c.credentials.value,
    'accept-encoding': c.acceptEncoding,
    ...(post && { 'content-type': c.contentType, 'content-encoding': c.contentEncoding }),
  };
  const payload = post ? JSON.stringify({ objects: [indicator({ id: `indicator--${c.uuid}` })] }) : undefined;
  const ex = await checkedInject(ctx.app, { method: c.target.method, url: c.target.url, headers, ...(payload !== undefined && { payload }) }, { allow503: post });
  if (c.credentials.authenticates === 'no') ensure(ex.status >= 400, 'credentials that must not authenticate got a success', ex);
  if (c.accept === undefined) ensure(ex.status === 406, 'no Accept is 406, before authentication (README, TR1)', ex);
  if (c.accept === TAXII && c.credentials.authenticates === 'yes' && c.target.url === '/taxii2/') {
    ensure(ex.status === 200, 'discovery with TAXII Accept and valid credentials is 200', ex);
  }
  const coded = c.contentEncoding !== undefined && !['identity', ''].includes(c.contentEncoding.trim().toLowerCase());
  if (post && c.credentials === ALICE && c.accept === TAXII && c.contentType === TAXII && coded) {
    ensure(ex.status === 415, 'a POST body with a Content-Encoding other than identity is 415 (README)', ex);
  }
  const coding = ex.headers['content-encoding'];
  if (coding !== undefined && coding !== 'identity') {
    const named = namedCodings(c.acceptEncoding);
    ensure(named.has(String(coding)) || named.has('*'), `compressed with ${String(coding)}, which the Accept-Encoding does not name`, ex);
  }
  await requireAlive(ctx.app);
});

// ---------------------------------------------------------------- raw HTTP over sockets

/** GET /taxii2/ over a new connection: the listening server still answers. */
function discoveryOverSocket(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/taxii2/', headers: { accept: TAXII, authorization: basicAuth('alice') }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(HANG_MS, () => req.destroy(new Error('discovery did not answer')));
    req.on('error', reject);
    req.end();
  });
}

await checkProperty(t, 'malformed HTTP over real sockets', 100, fc.array(scenario, { minLength: 1, maxLength: 3 }), async (scenarios) => {
  const plans = scenarios.map((s) => planOf(s, envelope));
  const conversations = await Promise.all(
    plans.map((p) => converse(
      split(p.bytes, p.pieces),
      { port, methods: p.methods, pauseMs: p.pauseMs, hangMs: HANG_MS, ...(p.expectAnswers !== undefined && { expectAnswers: p.expectAnswers }) },
    )),
  );
  const problems: string[] = [];
  conversations.forEach((c, i) => {
    const finals = c.responses.filter((r) => r.status >= 200);
    if (finals.length === 0) tally(c.ending);
    for (const r of finals) tally(r.status);
    const found = conversationViolations(scenarios[i] as Scenario, plans[i] as Plan, c, HANG_MS);
    if (found.length > 0) problems.push(`connection ${i + 1} (${c.ending} after ${c.ms} ms): ${found.join('\n')}\n${describePlan(plans[i] as Plan)}`);
  });
  if (problems.length > 0) throw new InvariantViolation(problems.join('\n\n'));
  const alive = await discoveryOverSocket();
  if (alive !== 200) throw new InvariantViolation(`GET /taxii2/ over a new connection answers ${alive} after: ${plans.map(describePlan).join('\n')}`);
  await requireAlive(ctx.app);
  const post = await inject(
    ctx.app,
    { method: 'POST', url: `${RW}objects/`, headers: { accept: TAXII, authorization: basicAuth('alice'), 'content-type': TAXII }, payload: envelope() },
    false,
  );
  if (post.status !== 202) {
    throw new InvariantViolation(`a valid POST answers ${post.status} after: ${plans.map(describePlan).join('\n')}\n${describeExchange(post)}`);
  }
});

// Minimal reproductions of what this fuzzer found, so that each shows on its own (a property
// stops at its first failure).
const discovery = (extra: string, connection: string) =>
  `GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ${TAXII}\r\nAuthorization: ${basicAuth('alice')}\r\nConnection: ${connection}\r\n${extra}\r\n`;

t.test('an Expect other than 100-continue is answered with a TAXII error resource (or served)', async (t) => {
  for (const expect of ['teapot', '', '100-continue, x']) {
    const c = await converse([Buffer.from(discovery(`Expect: ${expect}\r\n`, 'close'))], { port, methods: ['GET'], hangMs: HANG_MS });
    const answer = c.responses.find((r) => r.status >= 200);
    t.ok(answer !== undefined, `Expect: ${JSON.stringify(expect)}: answered`);
    if (answer !== undefined) t.same(responseViolations(answer), [], `Expect: ${JSON.stringify(expect)}: the ${answer.status} meets every response invariant`);
  }
});

t.test('a parse error in a pipelined request does not replace the answer to the request before it (RFC 9112 §9.3.2)', async (t) => {
  for (const second of ['get /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 'GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Name: x\r\n\r\n']) {
    const c = await converse([Buffer.from(`${discovery('', 'keep-alive')}${second}`)], { port, methods: ['GET', 'GET'], hangMs: HANG_MS });
    const answers = c.responses.filter((r) => r.status >= 200);
    t.equal(
      answers[0]?.status, 200,
      `the valid first request gets its own answer first (then ${JSON.stringify(second.split('\r\n')[0])}); ` +
        `got ${answers.map((r) => r.status).join(', ') || 'nothing'}`,
    );
  }
});
