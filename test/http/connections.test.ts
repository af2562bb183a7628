/**
 * Connections, timeouts and bodies over real sockets (issue 10, defects 2, 5 and 8):
 * what inject() cannot show. The app listens on 127.0.0.1 with short limits; each
 * test opens raw TCP connections and checks what the server answers and when it
 * closes. Every wait is bounded.
 */
import { connect, type Socket } from 'node:net';
import t from 'tap';
import { closeGracefully } from '../../src/http/shutdown.js';
import { C_RW, TAXII, TEST_ENV, basicAuth, createAppWithConfig, testConfigJson } from '../helpers/app.js';
import { indicator } from '../helpers/stix.js';

type Json = Record<string, unknown>;

const MiB = 1024 * 1024;
const json = testConfigJson() as Json & { server: Json };
json.server['limits'] = {
  ...(json.server['limits'] as Json),
  request_timeout_seconds: 3,
  headers_timeout_seconds: 2,
  idle_timeout_seconds: 4,
  keep_alive_timeout_seconds: 1,
  max_connections_per_address: 8,
  body_bytes_in_flight: MiB,
  partner_body_bytes_in_flight: MiB,
  shutdown_grace_seconds: 1,
};
const ctx = await createAppWithConfig(json, TEST_ENV);
await ctx.app.listen({ host: '127.0.0.1', port: 0 });
const address = ctx.app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : 0;
t.teardown(() => ctx.close());

const POST_PATH = `/main/collections/${C_RW}/objects/`;

interface Exchange {
  readonly socket: Socket;
  /** Everything the server sent. */
  text(): string;
  /** Resolves with the milliseconds from connect to close (or the bound, if still open). */
  closed(boundMs: number): Promise<number>;
}

function open(initial = ''): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const started = Date.now();
    let closedAfter: number | undefined;
    const waiters: (() => void)[] = [];
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closedAfter = Date.now() - started;
      for (const w of waiters) w();
    });
    socket.once('connect', () => {
      if (initial !== '') socket.write(initial);
      resolve({
        socket,
        text: () => received,
        closed: (boundMs) =>
          new Promise((done) => {
            if (closedAfter !== undefined) return done(closedAfter);
            const timer = setTimeout(() => done(boundMs), boundMs);
            waiters.push(() => {
              clearTimeout(timer);
              done(closedAfter ?? boundMs);
            });
          }),
      });
    });
    socket.once('error', reject);
  });
}

/** The status and TAXII error body of a raw HTTP response. */
function parse(text: string): { status: number; headers: string; body: Json | undefined } {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  let parsed: Json | undefined;
  try {
    parsed = JSON.parse(body) as Json;
  } catch {
    parsed = undefined;
  }
  return { status, headers: head.toLowerCase(), body: parsed };
}

const postHead = (length: number, authorization?: string) =>
  `POST ${POST_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ${TAXII}\r\nContent-Type: ${TAXII}\r\n` +
  `${authorization === undefined ? '' : `Authorization: ${authorization}\r\n`}Content-Length: ${length}\r\n\r\n`;

function trickle(ex: Exchange, everyMs: number): () => void {
  const timer = setInterval(() => ex.socket.writable && ex.socket.write(' '), everyMs);
  ex.socket.once('close', () => clearInterval(timer));
  return () => clearInterval(timer);
}

t.test('issue 10 defect 5: a request refused before its body arrived is answered and disconnected', async (t) => {
  const ex = await open(`${postHead(100_000)}{"objects": [`);
  trickle(ex, 200);
  const after = await ex.closed(3_000);
  t.ok(after < 1_500, `closed ${after} ms after connecting, not held while the body trickles`);
  const res = parse(ex.text());
  t.equal(res.status, 401, '401');
  t.match(res.headers, /connection: close/, 'Connection: close');
  t.equal(res.body?.['error_code'], 'TAXII_ERR_AUTH_UNAUTHENTICATED', 'a TAXII error resource');
});

// The three slow cases run side by side: each waits for a timeout of its own.
const slowHeaders = watch(open(`GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ${TAXII}\r\n`), 8_000);
const slowBody = watch(open(`${postHead(100_000, basicAuth('alice'))}{"objects": [`), 10_000, 300);
const silent = watch(open(), 8_000);

/** Opens, optionally trickles, and waits for the server to close (bounded). */
async function watch(opening: Promise<Exchange>, boundMs: number, trickleMs?: number): Promise<{ after: number; text: string }> {
  const ex = await opening;
  if (trickleMs !== undefined) trickle(ex, trickleMs);
  const after = await ex.closed(boundMs);
  return { after, text: ex.text() };
}

t.test('issue 10 defects 5 and 8: headers that never finish get 408 as a TAXII error, then the connection closes', async (t) => {
  const { after, text } = await slowHeaders;
  t.ok(after < 6_000, `closed after ${after} ms (headers timeout 2 s)`);
  const res = parse(text);
  t.equal(res.status, 408, '408, not a parse error');
  t.match(res.headers, new RegExp(`content-type: ${TAXII.replace(/[+.]/g, '\\$&')}`), 'TAXII Content-Type');
  t.equal(res.body?.['error_code'], 'TAXII_ERR_REQUEST_TIMEOUT');
  t.equal(res.body?.['http_status'], '408');
});

t.test('issue 10 defect 5: an authenticated body trickled slower than the request timeout is cut off with 408', async (t) => {
  const { after, text } = await slowBody;
  t.ok(after < 8_000, `closed after ${after} ms (request timeout 3 s)`);
  const res = parse(text);
  t.equal(res.status, 408, '408');
  t.equal(res.body?.['error_code'], 'TAXII_ERR_REQUEST_TIMEOUT');
});

t.test('issue 10 defect 5: a connection that sends nothing is closed', async (t) => {
  const { after } = await silent;
  t.ok(after < 6_000, `closed after ${after} ms`);
});

t.test('issue 10 defect 5: one address may hold only so many connections', async (t) => {
  const held = await Promise.all(Array.from({ length: 8 }, () => open()));
  const extra = await open();
  const after = await extra.closed(2_000);
  t.ok(after < 1_000, `the 9th connection from one address is closed at once (${after} ms)`);
  for (const ex of held) ex.socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const again = await open(`GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ${TAXII}\r\nAuthorization: ${basicAuth('alice')}\r\nConnection: close\r\n\r\n`);
  await again.closed(3_000);
  t.equal(parse(again.text()).status, 200, 'once they are gone, the address is served again');
});

t.test('issue 10 defect 8: a request without Host and a request that is not HTTP get TAXII errors', async (t) => {
  const noHost = await open(`GET /taxii2/ HTTP/1.1\r\nAccept: ${TAXII}\r\nAuthorization: ${basicAuth('alice')}\r\nConnection: close\r\n\r\n`);
  await noHost.closed(3_000);
  const res = parse(noHost.text());
  t.equal(res.status, 400, 'no Host: 400');
  t.equal(res.body?.['error_code'], 'TAXII_ERR_REQUEST_MALFORMED', 'as a TAXII error resource');
  t.match(String(res.body?.['description']), /Host/, 'that says why');
  const garbage = await open('HELLO THERE\r\n\r\n');
  await garbage.closed(3_000);
  const bad = parse(garbage.text());
  t.equal(bad.status, 400, 'not HTTP: 400');
  t.equal(bad.body?.['error_code'], 'TAXII_ERR_REQUEST_MALFORMED');
});

t.test('a body that is not UTF-8 is refused, not stored with replacement characters', async (t) => {
  const object = JSON.stringify({ objects: [indicator({ name: 'latin-1 \u00e9' })] });
  const latin1 = Buffer.from(object, 'latin1');
  const res = await ctx.request('alice', { method: 'POST', url: POST_PATH, headers: { 'content-type': TAXII }, payload: latin1 });
  t.equal(res.statusCode, 400);
  t.match(res.json<Json>()['description'], /UTF-8/);
});

t.test('issue 10 defect 2: bodies held at once are bounded per partner (429) and per process (503), before they are read', async (t) => {
  const size = 600_000;
  const first = await open(`${postHead(size, basicAuth('alice'))}{"objects": [`);
  const stopFirst = trickle(first, 200);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const second = await ctx.request('alice', {
    method: 'POST', url: POST_PATH, headers: { 'content-type': TAXII, 'content-length': String(size) }, payload: ' '.repeat(size),
  });
  t.equal(second.statusCode, 429, 'a second large body of the same partner: 429');
  t.match(second.headers['retry-after'], /^[1-9]\d*$/, 'with Retry-After');
  t.equal(second.json<Json>()['error_code'], 'TAXII_ERR_REQUEST_RATE_LIMITED');
  const other = await ctx.request('bob', {
    method: 'POST', url: `/other/collections/55555555-5555-4555-8555-555555555555/objects/`,
    headers: { 'content-type': TAXII, 'content-length': String(size) }, payload: ' '.repeat(size),
  });
  t.equal(other.statusCode, 503, 'another partner\'s large body while the process holds the first: 503');
  t.match(other.headers['retry-after'], /^[1-9]\d*$/, 'with Retry-After');
  const small = await ctx.post('bob', '/other/collections/55555555-5555-4555-8555-555555555555/', [indicator({ name: 'small one' })]);
  t.equal(small.statusCode, 202, 'a small body still fits');
  stopFirst();
  first.socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const later = await ctx.request('bob', {
    method: 'POST', url: `/other/collections/55555555-5555-4555-8555-555555555555/objects/`,
    headers: { 'content-type': TAXII }, payload: JSON.stringify({ objects: [indicator({ name: 'x'.repeat(size) })] }),
  });
  t.equal(later.statusCode, 202, `once the first connection is gone, its share is given back (${later.body.slice(0, 300)})`);
});

t.test('issue 10 defect 5: shutdown finishes within the grace period although a client trickles a body', async (t) => {
  const other = await createAppWithConfig(json, TEST_ENV, { testDb: ctx.testDb, apply: async () => undefined });
  await other.app.listen({ host: '127.0.0.1', port: 0 });
  const otherAddress = other.app.server.address();
  const otherPort = typeof otherAddress === 'object' && otherAddress !== null ? otherAddress.port : 0;
  const socket = connect(otherPort, '127.0.0.1');
  socket.on('error', () => undefined);
  const disconnected = new Promise<boolean>((resolve) => {
    socket.once('close', () => resolve(true));
    setTimeout(() => resolve(false), 5_000);
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(`${postHead(100_000, basicAuth('alice'))}{"objects": [`);
  const timer = setInterval(() => socket.writable && socket.write(' '), 100);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const started = Date.now();
  await closeGracefully(other.app, 1_000);
  clearInterval(timer);
  const took = Date.now() - started;
  t.ok(took < 3_000, `closed in ${took} ms with a grace of 1 s`);
  t.ok(await disconnected, 'the trickling connection was closed by the server');
});
