/**
 * Raw HTTP/1.1 requests for the socket fuzzer: well-formed requests of the TAXII
 * API, the defects applied to them (header injection, bad chunked encoding, no
 * Host, absurd Content-Length, odd versions, methods and targets, huge or many
 * headers, bodies longer or shorter than declared), bytes that are not HTTP, and
 * what a connection must (not) do with them.
 */
import fc from 'fast-check';
import { C_RW, TAXII, basicAuth } from './app.js';
import { describeExchange, responseViolations } from './fuzz.js';
import type { Conversation } from './fuzz-raw.js';

const RW = `/main/collections/${C_RW}/`;

// ---------------------------------------------------------------- writing requests

export interface RawRequest {
  readonly method: string;
  readonly target: string | Buffer;
  readonly version: string;
  readonly headers: readonly (readonly [string | Buffer, string | Buffer])[];
  readonly body: Buffer;
}

export function requestBytes(r: RawRequest, eol = '\r\n'): Buffer {
  const parts: (string | Buffer)[] = [`${r.method} `, r.target, r.version === '' ? '' : ` ${r.version}`, eol];
  for (const [name, value] of r.headers) parts.push(name, ': ', value, eol);
  parts.push(eol, r.body);
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));
}

export function chunked(body: Buffer, sizes: readonly number[]): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= body.length) break;
    const piece = body.subarray(at, at + Math.max(1, size));
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
    at += piece.length;
  }
  if (at < body.length) parts.push(Buffer.from(`${(body.length - at).toString(16)}\r\n`), body.subarray(at), Buffer.from('\r\n'));
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** A well-formed request of the TAXII API, as alice, on a connection to be closed after it. */
export function baseRequest(kind: Base, rwPath: string, envelope: string): RawRequest {
  const common: [string, string][] = [['Host', '127.0.0.1'], ['Accept', TAXII], ['Authorization', basicAuth('alice')], ['Connection', 'close']];
  const body = Buffer.from(envelope);
  switch (kind) {
    case 'discovery':
      return { method: 'GET', target: '/taxii2/', version: 'HTTP/1.1', headers: common, body: Buffer.alloc(0) };
    case 'head':
      return { method: 'HEAD', target: '/taxii2/', version: 'HTTP/1.1', headers: common, body: Buffer.alloc(0) };
    case 'objects':
      return { method: 'GET', target: `${rwPath}objects/?limit=2`, version: 'HTTP/1.1', headers: common, body: Buffer.alloc(0) };
    case 'post':
      return {
        method: 'POST', target: `${rwPath}objects/`, version: 'HTTP/1.1',
        headers: [...common, ['Content-Type', TAXII], ['Content-Length', String(body.length)]], body,
      };
    case 'post-chunked':
      return {
        method: 'POST', target: `${rwPath}objects/`, version: 'HTTP/1.1',
        headers: [...common, ['Content-Type', TAXII], ['Transfer-Encoding', 'chunked']], body: chunked(body, [7, 50, 3]),
      };
  }
}

/** Raw bytes that are not an HTTP request at all. */
export const noise: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map((u) => Buffer.from(u)),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 100 }).map((s) => Buffer.from(s)),
  fc.constantFrom(
    Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00]), // a TLS ClientHello
    Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), // the HTTP/2 preface
    Buffer.from('\r\n\r\n\r\n'),
    Buffer.from('GET /taxii2/\r\n\r\n'), // HTTP/0.9
    Buffer.from('\u0000'.repeat(64)),
  ),
);

// ---------------------------------------------------------------- defects

export type Defect =
  | { readonly kind: 'header-injection'; readonly value: string }
  | { readonly kind: 'obs-fold' }
  | { readonly kind: 'bad-name'; readonly name: string }
  | { readonly kind: 'no-host' }
  | { readonly kind: 'two-hosts' }
  | { readonly kind: 'content-length'; readonly values: readonly string[] }
  | { readonly kind: 'transfer-encoding'; readonly value: string; readonly withLength: boolean }
  | { readonly kind: 'chunks'; readonly text: string }
  | { readonly kind: 'version'; readonly version: string }
  | { readonly kind: 'method'; readonly method: string }
  | { readonly kind: 'target'; readonly target: string }
  | { readonly kind: 'target-bytes'; readonly bytes: readonly number[] }
  | { readonly kind: 'expect'; readonly value: string }
  | { readonly kind: 'huge-header'; readonly size: number }
  | { readonly kind: 'many-headers'; readonly count: number }
  | { readonly kind: 'upgrade'; readonly value: string }
  | { readonly kind: 'body-longer'; readonly extra: string }
  | { readonly kind: 'body-shorter'; readonly missing: number };

export const defect: fc.Arbitrary<Defect> = fc.oneof(
  fc.record({
    kind: fc.constant('header-injection' as const),
    value: fc.constantFrom(
      'x\r\nX-Injected: 1', 'x\nX-Injected: 1', 'x\rX-Injected: 1', 'a\u0000b', 'a\u007fb', '\r\n\r\nGET /taxii2/ HTTP/1.1',
      'x\r\n Content-Length: 5',
    ),
  }),
  fc.constant({ kind: 'obs-fold' as const }),
  fc.record({ kind: fc.constant('bad-name' as const), name: fc.constantFrom('Bad Name', 'X:Y', '', '(x)', 'é', 'X\u0000', ' Accept', 'Accept ') }),
  fc.constant({ kind: 'no-host' as const }),
  fc.constant({ kind: 'two-hosts' as const }),
  fc.record({
    kind: fc.constant('content-length' as const),
    values: fc.array(
      fc.constantFrom('abc', '-1', '1e3', '0x10', '+5', ' 5', '5,5', '5, 6', '99999999999999999999', '1'.repeat(400), '', '0', '1048577', '00000000000000000000005'),
      { minLength: 1, maxLength: 2 },
    ),
  }),
  fc.record({
    kind: fc.constant('transfer-encoding' as const),
    value: fc.constantFrom('chunked', 'chunked, gzip', 'gzip, chunked', 'CHUNKED', ' chunked', 'identity', 'chunked\u000b', 'xchunked', 'chunked, chunked', 'gzip'),
    withLength: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('chunks' as const),
    text: fc.constantFrom(
      'zz\r\nabc\r\n0\r\n\r\n', '-1\r\nabc\r\n0\r\n\r\n', 'ffffffffffffffffff\r\nabc\r\n0\r\n\r\n', '3\r\nabcdef\r\n0\r\n\r\n',
      '3\r\nab\r\n0\r\n\r\n', '3;a=b\r\n{"o\r\n0\r\n\r\n', '3;\u0000\r\nabc\r\n0\r\n\r\n', '2\r\n{}\r\n0\r\nX-Trailer: 1\r\n\r\n',
      '2\r\n{}\r\n0\r\n\r\nGARBAGE', '2\n{}\n0\n\n', '2\r\n{}\r\n',
    ),
  }),
  fc.record({
    kind: fc.constant('version' as const),
    version: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'http/1.1', 'HTTP/1', '', 'HTTP/1.1 x', 'HTTP/9.9', 'HTTP/1.1\u0000'),
  }),
  fc.record({
    kind: fc.constant('method' as const),
    method: fc.constantFrom('get', 'GeT', 'FOO', 'CONNECT', 'TRACE', 'PRI', 'M'.repeat(5000), 'GE T', '', 'OPTIONS', 'PROPFIND', 'DELETE'),
  }),
  fc.record({
    kind: fc.constant('target' as const),
    target: fc.constantFrom(
      'http://evil.example/taxii2/', '*', '/taxii2/ extra', 'taxii2/', '//taxii2/', '/taxii2/#frag', '/%00/',
      `${RW}objects/?match[id]=${'x'.repeat(100_000)}`, `/${'a'.repeat(10_000)}/`, '/taxii2/?a=\u00e9', '', '/\\taxii2\\',
    ),
  }),
  fc.record({ kind: fc.constant('target-bytes' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('expect' as const), value: fc.constantFrom('100-continue', 'teapot', '100-continue, x', '') }),
  fc.record({ kind: fc.constant('huge-header' as const), size: fc.constantFrom(10_000, 20_000, 100_000) }),
  fc.record({ kind: fc.constant('many-headers' as const), count: fc.constantFrom(100, 2100, 5000) }),
  fc.record({ kind: fc.constant('upgrade' as const), value: fc.constantFrom('websocket', 'h2c', 'HTTP/2.0', 'garbage') }),
  fc.record({ kind: fc.constant('body-longer' as const), extra: fc.constantFrom('x', 'GET /taxii2/ HTTP/1.1\r\n\r\n', '\r\n', '{"objects":[]}') }),
  fc.record({ kind: fc.constant('body-shorter' as const), missing: fc.constantFrom(1, 100) }),
);

type Headers = RawRequest['headers'];
const named = (h: Headers, name: string) => h.filter(([n]) => typeof n !== 'string' || n.toLowerCase() !== name.toLowerCase());
const at = (h: Headers, i: number, header: readonly [string, string]): Headers => [...h.slice(0, i), header, ...h.slice(i)];

export function applyDefect(r: RawRequest, d: Defect): RawRequest {
  switch (d.kind) {
    case 'header-injection':
      return { ...r, headers: at(r.headers, 1, ['X-Note', d.value]) };
    case 'obs-fold':
      return { ...r, headers: at(r.headers, 1, ['X-Note', 'a\r\n  folded']) };
    case 'bad-name':
      return { ...r, headers: at(r.headers, 1, [d.name, 'x']) };
    case 'no-host':
      return { ...r, headers: named(r.headers, 'host') };
    case 'two-hosts':
      return { ...r, headers: [...r.headers, ['Host', 'evil.example']] };
    case 'content-length':
      return { ...r, headers: [...named(r.headers, 'content-length'), ...d.values.map((v) => ['Content-Length', v] as const)] };
    case 'transfer-encoding':
      return {
        ...r,
        headers: [
          ...named(r.headers, 'transfer-encoding'), ['Transfer-Encoding', d.value],
          ...(d.withLength ? [['Content-Length', String(r.body.length)] as const] : []),
        ],
      };
    case 'chunks':
      return {
        ...r, method: 'POST', target: `${RW}objects/`,
        headers: [...named(named(r.headers, 'content-length'), 'transfer-encoding'), ['Content-Type', TAXII], ['Transfer-Encoding', 'chunked']],
        body: Buffer.from(d.text),
      };
    case 'version':
      return { ...r, version: d.version };
    case 'method':
      return { ...r, method: d.method };
    case 'target':
      return { ...r, target: d.target };
    case 'target-bytes':
      return { ...r, target: Buffer.concat([Buffer.from('/taxii2/'), Buffer.from(d.bytes)]) };
    case 'expect':
      return { ...r, headers: [...r.headers, ['Expect', d.value]] };
    case 'huge-header':
      return { ...r, headers: at(r.headers, 1, ['X-Big', 'b'.repeat(d.size)]) };
    case 'many-headers':
      return { ...r, headers: [...r.headers, ...Array.from({ length: d.count }, (_, i) => [`X-H${i}`, 'v'] as const)] };
    case 'upgrade':
      return { ...r, headers: [...named(r.headers, 'connection'), ['Connection', 'Upgrade'], ['Upgrade', d.value]] };
    case 'body-longer':
      return { ...r, body: Buffer.concat([r.body, Buffer.from(d.extra)]) };
    case 'body-shorter':
      return { ...r, body: r.body.subarray(0, Math.max(0, r.body.length - d.missing)) };
  }
}

// ---------------------------------------------------------------- conversations

export type Base = 'discovery' | 'objects' | 'head' | 'post' | 'post-chunked';

export interface PipelinedRequest {
  readonly base: Base;
  readonly defects: readonly Defect[];
}

export type Scenario =
  | { readonly kind: 'requests'; readonly requests: readonly PipelinedRequest[]; readonly eol: string; readonly pieces: number; readonly pauseMs: number }
  | { readonly kind: 'noise'; readonly bytes: Buffer }
  | { readonly kind: 'stall'; readonly base: Base; readonly cut: number };

const base = fc.constantFrom<Base>('discovery', 'objects', 'head', 'post', 'post', 'post-chunked');
export const scenario: fc.Arbitrary<Scenario> = fc.oneof(
  {
    weight: 80,
    arbitrary: fc.record({
      kind: fc.constant('requests' as const),
      requests: fc.array(fc.record({ base, defects: fc.array(defect, { maxLength: 3 }) }), { minLength: 1, maxLength: 3 }),
      eol: fc.oneof({ weight: 12, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constantFrom('\n', '\r', '\n\r') }),
      pieces: fc.integer({ min: 1, max: 4 }),
      pauseMs: fc.constantFrom(0, 0, 5, 30),
    }),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('noise' as const), bytes: noise }) },
  // Slow (the server's timeouts end them): rare.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stall' as const), base, cut: fc.nat() }) },
);

export interface Plan {
  readonly bytes: Buffer;
  readonly methods: readonly string[];
  readonly pieces: number;
  readonly pauseMs: number;
  /** Every request well-formed: this many answers are due, and the connection may stay open. */
  readonly expectAnswers?: number;
}

/** The bytes of a scenario and what to expect of them; `envelope()` is a fresh valid body each call. */
export function planOf(s: Scenario, envelope: () => string): Plan {
  if (s.kind === 'noise') return { bytes: s.bytes, methods: [], pieces: 1, pauseMs: 0 };
  if (s.kind === 'stall') {
    const whole = requestBytes(baseRequest(s.base, RW, envelope()));
    const headEnd = whole.indexOf('\r\n\r\n');
    return { bytes: whole.subarray(0, s.cut % headEnd), methods: [], pieces: 1, pauseMs: 0 };
  }
  const requests = s.requests.map((e, i) => {
    let r = baseRequest(e.base, RW, envelope());
    // All but the last keep the connection open, so that a pipeline is answered in full.
    if (i < s.requests.length - 1) r = { ...r, headers: [...named(r.headers, 'connection'), ['Connection', 'keep-alive']] };
    return e.defects.reduce(applyDefect, r);
  });
  const bytes = Buffer.concat(requests.map((r) => requestBytes(r, s.eol)));
  const wellFormed = s.eol === '\r\n' && s.requests.every((e) => e.defects.every((d) => d.kind === 'expect' && d.value === '100-continue'));
  return { bytes, methods: requests.map((r) => r.method), pieces: s.pieces, pauseMs: s.pauseMs, ...(wellFormed && { expectAnswers: requests.length }) };
}

export function split(bytes: Buffer, pieces: number): Buffer[] {
  const size = Math.max(1, Math.ceil(bytes.length / pieces));
  return Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
}

/** What is wrong with how a conversation went (empty when nothing is). */
export function conversationViolations(s: Scenario, p: Plan, c: Conversation, hangMs: number): string[] {
  const problems: string[] = [];
  if (c.ending === 'hang') problems.push(`no answer and no close within ${hangMs} ms (a hang)`);
  const finals = c.responses.filter((r) => r.status >= 200);
  // Every connection, noise, half a request, CONNECT or nothing at all included, gets an
  // answer (400, 404, 408, 431 …, a TAXII error resource) before the close.
  if (finals.length === 0 && c.ending !== 'hang') problems.push(`the connection was ${c.ending} without any answer`);
  let answered = 0;
  for (const [i, r] of c.responses.entries()) {
    if (!r.complete) problems.push(`answer ${i + 1} (${r.status}) was cut short`);
    if (r.status < 200) continue;
    // Answer k answers request k as long as no request before it had a defect (which may
    // have made two requests of one, or none).
    const mapped = s.kind === 'requests' && s.eol === '\r\n' && s.requests.slice(0, answered + 1).every((e) => e.defects.length === 0);
    answered++;
    if (mapped && /TAXII_ERR_REQUEST_MALFORMED/.test(r.body.toString('latin1'))) {
      problems.push(
        `answer ${i + 1} says "could not be parsed", but request ${answered} was well-formed: a later request's error was ` +
          'answered ahead of it (HTTP/1.1 answers in order, RFC 9112 §9.3.2)',
      );
    }
    const method = r.method;
    const found = responseViolations(r, { head: method === 'HEAD', allow503: method === 'POST' });
    if (found.length > 0) problems.push(`answer ${i + 1}: ${found.join('; ')}\n${describeExchange(r)}`);
  }
  if (c.leftover.length > 0 && c.responses.every((r) => r.complete)) {
    problems.push(`bytes that are no HTTP answer follow: ${JSON.stringify(c.leftover.toString('latin1').slice(0, 200))}`);
  }
  return problems;
}

export function describePlan(p: Plan): string {
  const text = p.bytes.toString('latin1');
  return `sent (${p.bytes.length} bytes in ${p.pieces} piece(s)): ${JSON.stringify(text.length > 1500 ? `${text.slice(0, 1500)}…` : text)}`;
}
