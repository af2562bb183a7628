/**
 * Arbitraries for the parts of a request other than its body: query parameters
 * (taxii-2.1.md §7), path segments, and the Accept, Content-Type, Authorization
 * and Accept-Encoding headers. Values come in three classes: valid, near-valid
 * (one detail wrong) and garbage; each is then written in one of several
 * encodings, some broken on purpose.
 */
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { JWT_SECRET, KEYS, TAXII, basicAuth } from './app.js';

// ---------------------------------------------------------------- encodings

export type Encoding = 'component' | 'raw' | 'plus' | 'double' | 'broken';

function component(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value; // a lone surrogate: sent as is
  }
}

/** Writes a value for a URL in the given encoding (`broken` adds an invalid %-escape). */
export function encode(value: string, encoding: Encoding, salt = 0): string {
  switch (encoding) {
    case 'component':
      return component(value);
    case 'raw':
      return value;
    case 'plus':
      return component(value).replaceAll('%20', '+');
    case 'double':
      return component(component(value));
    case 'broken': {
      const text = component(value);
      const at = salt % (text.length + 1);
      return `${text.slice(0, at)}${['%', '%zz', '%E0%A4%A', '%0', '%%'][salt % 5]}${text.slice(at)}`;
    }
  }
}

export const encoding: fc.Arbitrary<Encoding> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Encoding>('component') },
  { weight: 2, arbitrary: fc.constantFrom<Encoding>('raw', 'plus') },
  { weight: 1, arbitrary: fc.constantFrom<Encoding>('double', 'broken') },
);

export const garbage: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary-ascii', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
  fc.constantFrom('', '\u0000', 'a'.repeat(5000), ',', ',,', '%', '&', '=', '#', '[]', 'null', 'undefined', '__proto__'),
);

// ---------------------------------------------------------------- query parameters

export const CANONICAL_PARAMS = ['limit', 'next', 'added_after', 'match[id]', 'match[type]', 'match[version]', 'match[spec_version]'] as const;
export type CanonicalParam = (typeof CANONICAL_PARAMS)[number];

export type ValueClass = 'valid' | 'invalid' | 'near' | 'garbage';

export interface QueryParam {
  /** The name as written in the URL. */
  readonly name: string;
  /** The parameter the server must take it for, when the name is a spelling of one. */
  readonly canonical?: CanonicalParam;
  readonly value: string | null;
  readonly valueClass: ValueClass;
  readonly encoding: Encoding;
  readonly salt: number;
}

/** What a parameter's values may be; `invalid` are malformed for certain (T34 ⇒ 400). */
export interface ValuePools {
  readonly valid: readonly string[];
  readonly invalid: readonly string[];
  readonly near: readonly string[];
}

const TS = ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000000Z', '1970-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999999Z', '2024-03-01T10:00:00.123456Z'];

/** Value pools per parameter; `ids`, `tokens` come from the test's own seeded data. */
export function valuePools(ids: readonly string[], tokens: readonly string[]): Record<CanonicalParam, ValuePools> {
  const [a = 'indicator--a', b = a] = ids;
  return {
    limit: {
      valid: ['1', '2', '3', '10', '1000', '1001', '999999999'], invalid: ['0', '-1', 'abc', '1.5', '', '1e3'],
      near: ['01', '1.0', ' 1', '+1', '0x10', '9'.repeat(20), '1,2', '١'],
    },
    added_after: {
      valid: TS,
      invalid: ['yesterday', '2024-01-01', '2024-02-30T00:00:00Z', ''],
      near: ['2024-01-01T00:00:00', '2024-01-01T00:00:00+00:00', '2024-01-01T24:00:00Z', '2024-01-01T00:00:60Z', '2024-01-01t00:00:00z',
        '0000-01-01T00:00:00Z', '2024-01-01T00:00:00.1234567890123Z', '+002024-01-01T00:00:00Z', '2024-1-1T0:0:0Z', '2024-01-01T00:00:00.Z'],
    },
    'match[id]': {
      valid: [...ids, `${a},${b}`], invalid: ['not-an-id', '', 'indicator--1234', `${a},,${b}`, `${a},`],
      near: [a.toUpperCase(), a.replace('--', '-'), `${a} `, `${a},%20${b}`, a.slice(0, -1), `x${a}`],
    },
    'match[type]': {
      valid: ['indicator', 'malware', 'ipv4-addr', 'indicator,malware', 'x-custom-type', 'bundle', 'relationship'],
      invalid: ['Not_A_Type', '', 'indicator,,malware'],
      near: ['Indicator', 'a', 'x', 'a'.repeat(300), 'indicator ', '-indicator', 'indicator-', 'ind--icator'],
    },
    'match[version]': {
      valid: ['first', 'last', 'all', 'first,last', ...TS.slice(0, 2), `first,${TS[4] ?? ''}`], invalid: ['all,last', 'nonsense', ''],
      near: ['ALL', 'first,first', 'last,all', '2024-01-01', '2024-03-01T10:00:00.1234560Z', 'First'],
    },
    'match[spec_version]': {
      valid: ['2.1', '2.0', '2.1,2.0', '2.0,2.1'], invalid: ['x', '', '2.1,,2.0'], near: ['2', '2.1.0', '21', ' 2.1', '99.99', '1000.1', '2.1,'],
    },
    next: {
      valid: tokens, invalid: ['garbage', ''],
      near: tokens.flatMap((tk) => [tk.slice(0, -1), `${tk}A`, tk.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), tk.toUpperCase()]),
    },
  };
}

const ODD_NAMES = [
  'MATCH[ID]', 'Limit', 'match[ id]', 'match[id][]', 'match[]', 'match[', 'match', 'match[foo]', 'foo', '', '%00', 'match%00[id]',
  'limit%20', 'match[type', 'match]type[', '__proto__', 'constructor', 'hasOwnProperty', 'match[__proto__]', 'added_after[]', 'next[]',
];

function bracketsEncoded(name: string, lower: boolean): string {
  const [open, close] = lower ? ['%5b', '%5d'] : ['%5B', '%5D'];
  return name.replace('[', open).replace(']', close);
}

/** One parameter: a known name (mostly as written by clients) with a value of some class, or an odd name. */
export function queryParam(pools: Record<CanonicalParam, ValuePools>): fc.Arbitrary<QueryParam> {
  const known = fc.constantFrom(...CANONICAL_PARAMS).chain((canonical) => {
    const p = pools[canonical];
    const classes: fc.Arbitrary<[ValueClass, string]>[] = [
      ...(p.valid.length > 0 ? [fc.constantFrom(...p.valid).map((v): [ValueClass, string] => ['valid', v])] : []),
      fc.constantFrom(...p.invalid).map((v): [ValueClass, string] => ['invalid', v]),
      ...(p.near.length > 0 ? [fc.constantFrom(...p.near).map((v): [ValueClass, string] => ['near', v])] : []),
      garbage.map((v): [ValueClass, string] => ['garbage', v]),
    ];
    return fc.record({
      name: fc.oneof(
        { weight: 8, arbitrary: fc.constant(canonical) },
        { weight: 1, arbitrary: fc.boolean().map((lower) => bracketsEncoded(canonical, lower)) },
      ),
      canonical: fc.constant(canonical),
      value: fc.oneof(...classes),
      encoding,
      salt: fc.nat(),
    }).map(({ value: [valueClass, value], ...rest }) => ({ ...rest, value, valueClass }));
  });
  const odd = fc.record({
    name: fc.oneof(fc.constantFrom(...ODD_NAMES), garbage.map(component)),
    value: fc.option(garbage, { nil: null }),
    valueClass: fc.constant<ValueClass>('garbage'),
    encoding,
    salt: fc.nat(),
  });
  return fc.oneof({ weight: 6, arbitrary: known }, { weight: 1, arbitrary: odd });
}

export interface Query {
  readonly params: readonly QueryParam[];
  readonly separator: string;
}

export function query(pools: Record<CanonicalParam, ValuePools>): fc.Arbitrary<Query> {
  return fc.record({
    params: fc.array(queryParam(pools), { maxLength: 5 }),
    separator: fc.oneof({ weight: 10, arbitrary: fc.constant('&') }, { weight: 1, arbitrary: fc.constantFrom('&&', ';', '&amp;') }),
  });
}

export function queryString(q: Query): string {
  if (q.params.length === 0) return '';
  return `?${q.params.map((p) => (p.value === null ? p.name : `${p.name}=${encode(p.value, p.encoding, p.salt)}`)).join(q.separator)}`;
}

// ---------------------------------------------------------------- path segments

const LONG = [599, 600, 601, 1000, 5000, 20_000];

/** A path segment (already written for the URL): valid ones given, or hostile. */
export function pathSegment(valid: readonly string[]): fc.Arbitrary<string> {
  const bytes = fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => [...b].map((x) => `%${x.toString(16).padStart(2, '0').toUpperCase()}`).join(''));
  const hostile = fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).map(component),
    bytes,
    fc.constantFrom(
      '%00', 'a%00b', '.', '..', '%2e', '%2e%2e', '.%2E', '%2F', '%2f', '', '%', '%zz', '%E0%A4%A', '+', ';x=y', '~', '*', '%5C', '\\', '%20', ' ',
      '%0d%0a', '%FF', '%C0%AF',
    ),
    fc.tuple(fc.constantFrom(...LONG), fc.constantFrom('a', '%41', 'é')).map(([n, unit]) => unit.repeat(n)),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
    fc.uuid().map((u) => `indicator--${u}`),
    fc.constantFrom(...valid).chain((v) => fc.constantFrom(
      `${v}%00`, v.toUpperCase(), `${v}.json`, `${v};v=1`, `%${v}`, component(component(v)), `${v}/..`, `./${v}`,
    )),
  );
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...valid) }, { weight: 4, arbitrary: hostile });
}

// ---------------------------------------------------------------- headers

const MEDIA_TYPES = [
  'application/taxii+json', 'application/stix+json', 'application/vnd.oasis.taxii+json', 'application/json', 'application/*', '*/*', 'text/html',
  '*/json', 'application', '', 'APPLICATION/TAXII+JSON',
];
const MEDIA_PARAMS = [
  '', ';version=2.1', ';version=2.0', ';version=3.0', ';version="2.1"', '; version=2.1', ';q=0', ';q=0.5', ';q=1', ';q=abc', ';q=-1',
  ';charset=utf-8', ';version=2.1;q=0', ';version', ';=', ';;', ';version=2.1,',
];

const mediaRange = fc.tuple(
  fc.constantFrom(...MEDIA_TYPES), fc.array(fc.constantFrom(...MEDIA_PARAMS), { maxLength: 2 }),
).map(([type, params]) => `${type}${params.join('')}`);

/** Header values must be ISO-8859-1 text without CR, LF or NUL for Node to send them. */
export const headerText: fc.Arbitrary<string> = fc.string({
  unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 40,
});

export const acceptHeader: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(TAXII) },
  { weight: 6, arbitrary: fc.array(mediaRange, { minLength: 1, maxLength: 4 }).chain((ranges) => fc.constantFrom(',', ', ', ' ,').map((sep) => ranges.join(sep))) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: headerText },
  { weight: 1, arbitrary: fc.constantFrom(`${TAXII},`.repeat(2000), ','.repeat(100), `${'a'.repeat(20000)}/${'b'.repeat(100)}`) },
);

export const contentTypeHeader: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(TAXII) },
  { weight: 4, arbitrary: mediaRange },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: headerText },
);

const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');
const b64url = (text: string): string => Buffer.from(text).toString('base64url');

/** A JWT signed with the test secret (or not), with any header and claims. */
function jwt(header: unknown, claims: unknown, signing: 'right' | 'wrong' | 'none' | 'garbage'): string {
  const head = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = {
    right: () => createHmac('sha256', JWT_SECRET).update(head).digest('base64url'),
    wrong: () => createHmac('sha256', 'not-the-secret').update(head).digest('base64url'),
    none: () => '',
    garbage: () => 'a.b',
  }[signing]();
  return `${head}.${signature}`;
}

const now = Math.floor(Date.now() / 1000);

/** An Authorization value and whether it must, must not, or may authenticate a partner. */
export interface Credentials {
  readonly value: string | undefined;
  readonly authenticates: 'yes' | 'no' | 'maybe';
}

const jwtCredentials: fc.Arbitrary<Credentials> = fc.record({
  alg: fc.constantFrom('HS256', 'HS256', 'none', 'RS256', 'HS512', ''),
  kid: fc.option(fc.constantFrom('../../etc/passwd', '1', ''), { nil: undefined }),
  sub: fc.oneof(fc.constantFrom('alice', 'bob', 'carol', 'dave', 'mallory', '', 'ALICE'), fc.constantFrom(1, null, true, ['alice'], { id: 'alice' })),
  exp: fc.oneof(fc.constant(now + 3600), fc.constantFrom(now - 3600, 0, -1, 1e20, Number.MAX_SAFE_INTEGER, '9999999999', null)),
  iss: fc.constantFrom('https://idp.test', 'https://idp.test', 'https://evil.test', undefined),
  aud: fc.constantFrom('taxii-exchange', ['taxii-exchange'], 'other', undefined),
  nbf: fc.option(fc.constantFrom(now + 3600, now - 10, 'x'), { nil: undefined }),
  signing: fc.constantFrom<'right' | 'wrong' | 'none' | 'garbage'>('right', 'right', 'wrong', 'none', 'garbage'),
  scheme: fc.constantFrom('Bearer ', 'bearer ', 'Bearer  '),
}).map(({ alg, kid, signing, scheme, ...claims }) => {
  // The app verifies HS256 only, and requires sub, exp, iss and aud (test/helpers/app.ts).
  const refused = signing !== 'right' || alg !== 'HS256' || !['alice', 'bob', 'dave'].includes(claims.sub as string) ||
    (typeof claims.exp === 'number' && claims.exp < now) || claims.exp === null || claims.iss !== 'https://idp.test' ||
    (claims.aud !== 'taxii-exchange' && !Array.isArray(claims.aud));
  return {
    value: `${scheme}${jwt({ alg, typ: 'JWT', ...(kid !== undefined && { kid }) }, claims, signing)}`,
    authenticates: refused ? 'no' as const : 'maybe' as const,
  };
});

const no = (value: string): Credentials => ({ value, authenticates: 'no' });

/** A token the test app accepts for `sub` (HS256 with its secret, issuer and audience). */
export function validJwt(sub: string): string {
  return jwt({ alg: 'HS256', typ: 'JWT' }, { sub, exp: now + 3600, iss: 'https://idp.test', aud: 'taxii-exchange' }, 'right');
}

export const credentials: fc.Arbitrary<Credentials> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ value: basicAuth('alice'), authenticates: 'yes' as const }) },
  { weight: 1, arbitrary: fc.constantFrom('alice', 'bob').map((p) => ({ value: `Bearer ${validJwt(p)}`, authenticates: 'yes' as const })) },
  { weight: 1, arbitrary: fc.constant({ value: undefined, authenticates: 'no' as const }) },
  { weight: 1, arbitrary: fc.constantFrom('bob', 'dave').map((p) => ({ value: basicAuth(p, KEYS[p]), authenticates: 'yes' as const })) },
  { weight: 1, arbitrary: fc.constantFrom('carol', 'mallory').map((p) => no(basicAuth(p, KEYS[p] ?? 'wrong'))) },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.constantFrom('Basic ', 'basic ', 'Basic'),
      fc.oneof(headerText, fc.string({ unit: 'binary', maxLength: 40 }).map(b64), fc.uint8Array({ maxLength: 64 }).map((u) => b64(Buffer.from(u)))),
    ).map(([s, v]) => no(`${s}${v}`)),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'alice', 'alice:', ':', '', 'alice:alice-secret-key-0001:x', `alice:${'k'.repeat(5000)}`, 'álice:alice-secret-key-0001',
      'alice\u0000:alice-secret-key-0001', ':alice-secret-key-0001', 'alice:alice-secret-key-0002',
    )
      .map((cred) => no(`Basic ${b64(cred)}`)),
  },
  { weight: 3, arbitrary: jwtCredentials },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom('Bearer ', 'Bearer'), fc.oneof(headerText, fc.constantFrom('a.b.c', '...', '', 'e30.e30.'))).map(([s, v]) => no(`${s}${v}`)),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(headerText, fc.constantFrom('Digest username="alice"', 'Negotiate abc', 'Token abc', ' ', `Basic ${'A'.repeat(20000)}`)).map(no),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      `${basicAuth('alice')}, Bearer x`, `BASIC  ${basicAuth('alice').slice(6)}`, `${basicAuth('alice')} `,
    ).map((value) => ({ value, authenticates: 'maybe' as const })),
  },
);

const CODINGS = ['gzip', 'br', 'deflate', 'identity', '*', 'x-gzip', 'zstd', 'compress', 'GZIP', 'Br', '', 'gzip;', 'br, gzip'];
const Q = ['', ';q=0', ';q=1', ';q=0.5', ';q=1.0000', ';q=-1', ';q=abc', ';q=2', ';q=0.001', ';q=', ' ; q=0.9', ';level=9'];

export const acceptEncodingHeader: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  {
    weight: 5,
    arbitrary: fc.array(
      fc.tuple(fc.constantFrom(...CODINGS), fc.constantFrom(...Q)).map(([c, q]) => `${c}${q}`), { minLength: 1, maxLength: 4 },
    ).map((l) => l.join(', ')),
  },
  { weight: 1, arbitrary: headerText },
);
