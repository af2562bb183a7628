/**
 * Pure units of the TAXII layer: timestamps (taxii-2.1.md §3, TR9, A8), media types (TR1),
 * the envelope scanner (byte-for-byte storage), `next` cursors (TR14, T55), query
 * parameters (§7, T34–T50) and canonical JSON.
 */
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { TaxiiError } from '../../src/errors.js';
import { canonicalJson, contentHash } from '../../src/stix/canonical.js';
import { createCursorCodec, type CursorScope } from '../../src/taxii/cursor.js';
import { scanEnvelope } from '../../src/taxii/i-json.js';
import { acceptsTaxii21, isTaxii21ContentType } from '../../src/taxii/media-types.js';
import { DEFAULT_VERSIONS, type ObjectFilter } from '../../src/taxii/query.js';
import { PARAMS, parseQuery, type ParamSet, type ParsedQuery, type RawQuery } from '../../src/taxii/query-params.js';
import { formatMicros, parseTimestamp, timestampToMicros, versionKey } from '../../src/stix/timestamps.js';

const scanEnvelopeObjects = (text: string) => scanEnvelope(text).raws;

/** Runs fn and returns the TaxiiError it throws (fails the test when it throws nothing or something else). */
function taxiiErrorOf(t: Test, fn: () => unknown, message: string): TaxiiError | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof TaxiiError) return err;
    t.fail(`${message}: threw ${String(err)} instead of a TaxiiError`);
    return undefined;
  }
  t.fail(`${message}: did not throw`);
  return undefined;
}

function expect400(t: Test, fn: () => unknown, code: string, message: string, description?: RegExp): void {
  const err = taxiiErrorOf(t, fn, message);
  if (err === undefined) return;
  t.equal(err.status, 400, `${message}: status 400`);
  t.equal(err.kind.code, code, `${message}: ${code}`);
  if (description !== undefined) t.match(err.description, description, `${message}: description`);
}

t.test('timestamps: calendar validation (A8, §3 timestamp)', async (t) => {
  t.same(parseTimestamp('2024-02-29T12:34:56Z'), { seconds: Date.UTC(2024, 1, 29, 12, 34, 56) / 1000, fraction: '' }, 'leap day 2024');
  t.ok(parseTimestamp('2000-02-29T00:00:00Z'), '2000 is a leap year (divisible by 400)');
  t.equal(parseTimestamp('1900-02-29T00:00:00Z'), undefined, '1900 is not a leap year');
  t.equal(parseTimestamp('2023-02-29T00:00:00Z'), undefined, '2023-02-29 does not exist');
  t.equal(parseTimestamp('2023-04-31T00:00:00Z'), undefined, 'April has 30 days');
  t.equal(parseTimestamp('2023-13-01T00:00:00Z'), undefined, 'month 13');
  t.equal(parseTimestamp('2023-00-01T00:00:00Z'), undefined, 'month 0');
  t.equal(parseTimestamp('2023-01-00T00:00:00Z'), undefined, 'day 0');
  t.equal(parseTimestamp('2023-01-32T00:00:00Z'), undefined, 'day 32');
  t.equal(parseTimestamp('2023-01-01T24:00:00Z'), undefined, '24:00 is not accepted');
  t.equal(parseTimestamp('2023-01-01T23:60:00Z'), undefined, 'minute 60');
  t.equal(parseTimestamp('2023-01-01T23:59:61Z'), undefined, 'second 61');
  t.equal(
    timestampToMicros('2016-12-31T23:59:60Z'),
    timestampToMicros('2017-01-01T00:00:00Z'),
    'a leap second is accepted; in microseconds it is read as the next second',
  );
  t.equal(parseTimestamp('2016-12-31T12:30:60Z'), undefined, 'a leap second ends a UTC day (RFC 3339 §5.7): 12:30:60 is not one');
  t.ok(parseTimestamp(`2016-12-31T23:59:60.${'9'.repeat(34)}Z`), 'RFC 3339 does not limit fraction digits: 34 are accepted');
  t.equal(timestampToMicros('2016-12-31T23:59:59.999999Z'), (Date.UTC(2016, 11, 31, 23, 59, 59) * 1000) + 999_999);
});

t.test('timestamps: only UTC with a literal Z (§3 timestamp)', async (t) => {
  for (const text of [
    '2024-01-01T00:00:00+00:00',
    '2024-01-01T00:00:00-05:00',
    '2024-01-01T00:00:00.000+01:00',
    '2024-01-01T00:00:00',
    '2024-01-01 00:00:00Z',
    '2024-01-01',
    '2024-1-01T00:00:00Z',
    '24-01-01T00:00:00Z',
    '2024-01-01T00:00:00.Z',
    '2024-01-01T00:00:00,5Z',
    ' 2024-01-01T00:00:00Z',
    '2024-01-01T00:00:00Z ',
    '',
  ]) {
    t.equal(parseTimestamp(text), undefined, `rejected: ${JSON.stringify(text)}`);
    t.equal(timestampToMicros(text), undefined, `no micros for ${JSON.stringify(text)}`);
    t.equal(versionKey(text), undefined, `no version key for ${JSON.stringify(text)}`);
  }
});

t.test('timestamps: 0 to 9+ fraction digits (A8), microseconds truncate', async (t) => {
  const base = Date.UTC(2016, 0, 1, 1, 1, 53) * 1000;
  const cases: [string, string, number][] = [
    ['', '', 0],
    ['.5', '5', 500_000],
    ['.93', '93', 930_000],
    ['.935', '935', 935_000],
    ['.9351', '9351', 935_100],
    ['.93512', '93512', 935_120],
    ['.935123', '935123', 935_123],
    ['.9351234', '9351234', 935_123],
    ['.93512349', '93512349', 935_123],
    ['.935123499', '935123499', 935_123],
    ['.935123999999', '935123999999', 935_123],
    ['.000001', '000001', 1],
  ];
  for (const [suffix, fraction, micros] of cases) {
    const text = `2016-01-01T01:01:53${suffix}Z`;
    t.equal(parseTimestamp(text)?.fraction, fraction, `${text}: fraction kept as written`);
    t.equal(timestampToMicros(text), base + micros, `${text}: micros`);
  }
});

t.test('timestamps: years before 100 are not shifted into the 1900s', async (t) => {
  const year50 = new Date(0);
  year50.setUTCFullYear(50, 0, 1);
  t.equal(timestampToMicros('0050-01-01T00:00:00Z'), year50.getTime() * 1000, 'year 0050 is year 50, not 1950');
  t.not(versionKey('0050-01-01T00:00:00Z'), versionKey('1950-01-01T00:00:00Z'), 'year 50 and 1950 are different versions (TR9)');
  t.ok(parseTimestamp('0400-02-29T00:00:00Z'), '0400 is a leap year');
});

t.test('versionKey: a leap second sorts after 23:59:59 and before the next day (RFC 3339 §5.7)', async (t) => {
  const order = ['2016-12-31T23:59:59.999Z', '2016-12-31T23:59:60Z', '2016-12-31T23:59:60.500Z', '2017-01-01T00:00:00.000Z'];
  const keys = order.map((text) => versionKey(text) as string);
  t.same([...keys].sort(), keys, 'keys in instant order');
  t.equal(new Set(keys).size, keys.length, 'each instant has its own key');
});

t.test('versionKey: equal instants, equal keys; keys sort like instants (TR9)', async (t) => {
  t.equal(versionKey('2016-01-01T01:01:53.935Z'), versionKey('2016-01-01T01:01:53.935000Z'));
  t.equal(versionKey('2016-01-01T01:01:53.935Z'), versionKey('2016-01-01T01:01:53.935000000000Z'));
  t.equal(versionKey('2016-01-01T01:01:01Z'), versionKey('2016-01-01T01:01:01.000Z'), 'TR9 example');
  t.equal(versionKey('2016-01-01T01:01:01Z'), versionKey('2016-01-01T01:01:01.0Z'));
  t.not(versionKey('2016-01-01T01:01:53.935Z'), versionKey('2016-01-01T01:01:53.9350001Z'), 'sub-microsecond difference is kept (TR9)');
  t.not(versionKey('2016-01-01T01:01:53.935Z'), versionKey('2016-01-01T01:01:53.0935Z'));

  const ascending = [
    '1999-12-31T23:59:59.999999999Z',
    '2016-01-01T01:01:53Z',
    '2016-01-01T01:01:53.0000001Z',
    '2016-01-01T01:01:53.000001Z',
    '2016-01-01T01:01:53.0001Z',
    '2016-01-01T01:01:53.09Z',
    '2016-01-01T01:01:53.1Z',
    '2016-01-01T01:01:53.10001Z',
    '2016-01-01T01:01:53.935Z',
    '2016-01-01T01:01:53.9350001Z',
    '2016-01-01T01:01:53.99Z',
    '2016-01-01T01:01:54Z',
    '2016-01-01T01:02:00.5Z',
    '2016-12-31T23:59:59.999Z',
    '2017-01-01T00:00:00.001Z',
    '2024-02-29T00:00:00Z',
  ];
  const keys = ascending.map((text) => versionKey(text) as string);
  for (let i = 1; i < keys.length; i++) {
    t.ok((keys[i - 1] as string) < (keys[i] as string), `${ascending[i - 1]} < ${ascending[i]} by key (C collation)`);
  }
  const shuffled = [...keys].reverse().sort();
  t.same(shuffled, keys, 'sorting keys sorts the instants');
  const mixed = ['2016-01-01T01:01:53.935000Z', '2016-01-01T01:01:53.9Z', '2016-01-01T01:01:53.94Z', '2016-01-01T01:01:53.935Z'];
  const order = mixed.map((m) => ({ m, k: versionKey(m) as string })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  t.same(order.map((o) => o.k), [versionKey('2016-01-01T01:01:53.9Z'), versionKey('2016-01-01T01:01:53.935Z'), versionKey('2016-01-01T01:01:53.935Z'), versionKey('2016-01-01T01:01:53.94Z')]);
});

t.test('formatMicros: always six fraction digits and Z (TR2, A8)', async (t) => {
  t.equal(formatMicros(0), '1970-01-01T00:00:00.000000Z');
  t.equal(formatMicros(1), '1970-01-01T00:00:00.000001Z');
  t.equal(formatMicros(999), '1970-01-01T00:00:00.000999Z');
  t.equal(formatMicros(1000), '1970-01-01T00:00:00.001000Z');
  t.equal(formatMicros(1_700_000_000_123_456), '2023-11-14T22:13:20.123456Z');
  t.equal(formatMicros(-1), '1969-12-31T23:59:59.999999Z');
  for (const text of ['2024-02-29T23:59:59.999999Z', '2016-01-01T01:01:53.000100Z', '2038-01-19T03:14:08.000000Z', '2099-12-31T00:00:00.050505Z']) {
    t.equal(formatMicros(timestampToMicros(text) as number), text, `round trip ${text}`);
  }
  t.equal(formatMicros(timestampToMicros('2016-01-01T01:01:53.935Z') as number), '2016-01-01T01:01:53.935000Z');
  t.equal(formatMicros(timestampToMicros('2016-01-01T01:01:53Z') as number), '2016-01-01T01:01:53.000000Z');
  for (let i = 0; i < 200; i++) {
    const micros = Math.floor(Math.random() * 4_102_444_800_000_000);
    const text = formatMicros(micros);
    t.ok(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(text), `${micros} formats with 6 digits`);
    if (timestampToMicros(text) !== micros) t.fail(`${micros} does not round-trip through ${text}`);
  }
});

t.test('acceptsTaxii21: TR1 negotiation', async (t) => {
  const yes = [
    'application/taxii+json;version=2.1',
    'application/taxii+json',
    'application/taxii+json; version=2.1',
    'application/taxii+json ; version = 2.1',
    'APPLICATION/TAXII+JSON;VERSION=2.1',
    'Application/Taxii+Json;Version=2.1',
    'application/taxii+json;version="2.1"',
    'application/taxii+json;version=2.1;charset=utf-8',
    'application/taxii+json;q=0.5;version=2.1',
    'application/taxii+json;version=2.1;q=0.1',
    'text/html, application/taxii+json;version=2.1',
    'application/taxii+json;version=2.0, application/taxii+json;version=2.1',
    ' application/taxii+json ;version=2.1 , text/plain',
    '*/*',
    'application/*',
    'text/html, */*;q=0.8',
    'application/json, application/*;q=0.2',
  ];
  for (const accept of yes) t.equal(acceptsTaxii21(accept), true, `acceptable: ${accept}`);
  const no = [
    undefined,
    '',
    '   ',
    'application/taxii+json;version=2.0',
    'application/taxii+json;version=3.0',
    'application/taxii+json;version=21',
    'application/vnd.oasis.taxii+json; version=2.0',
    'application/vnd.oasis.taxii+json',
    'application/json',
    'text/*',
    'application/stix+json;version=2.1',
    'application/taxii+json;version=2.1;q=0',
    'application/taxii+json;q=0',
    '*/*;q=0',
    'application/*;q=0',
    'application/taxii+json;version=2.1;q=0.0',
    'application/taxii+json;version=2.1;q=0.000',
    'garbage',
  ];
  for (const accept of no) t.equal(acceptsTaxii21(accept), false, `not acceptable: ${String(accept)} (q=0 means "not acceptable", RFC 9110 §12.4.2)`);
  t.equal(acceptsTaxii21('application/stix+json;version=2.1', true), true, 'A10: manifest also accepts the STIX type');
  t.equal(acceptsTaxii21('application/stix+json', true), true);
  t.equal(acceptsTaxii21('application/stix+json;version=2.0', true), false);
  t.equal(acceptsTaxii21('application/taxii+json;version=2.1,application/stix+json;version=2.1', true), true, '§5.3 example');
});

t.test('isTaxii21ContentType: TR1 for POST bodies', async (t) => {
  for (const type of [
    'application/taxii+json;version=2.1',
    'application/taxii+json',
    'application/taxii+json; version=2.1',
    'application/taxii+json;charset=utf-8',
    'application/taxii+json; charset=UTF-8; version=2.1',
    'APPLICATION/TAXII+JSON; VERSION=2.1',
    'application/taxii+json;version="2.1"',
  ]) {
    t.equal(isTaxii21ContentType(type), true, `accepted: ${type}`);
  }
  for (const type of [
    undefined,
    '',
    'application/json',
    'application/taxii+json;version=2.0',
    'application/vnd.oasis.taxii+json; version=2.0',
    'application/stix+json;version=2.1',
    '*/*',
    'application/*',
    'text/plain',
    'application/taxii+json,application/json',
  ]) {
    t.equal(isTaxii21ContentType(type), false, `refused: ${String(type)}`);
  }
});

interface Envelope {
  objects: unknown[];
}

/** scanEnvelopeObjects agrees with JSON.parse and returns the exact substrings. */
function checkScan(t: Test, text: string, expected: string[], message: string): void {
  const parsed = JSON.parse(text) as Envelope;
  const raws = scanEnvelopeObjects(text);
  if (raws === undefined) {
    t.fail(`${message}: scan returned undefined`);
    return;
  }
  t.same(raws, expected, `${message}: exact raw texts`);
  t.equal(raws.length, parsed.objects.length, `${message}: one raw text per element`);
  raws.forEach((raw, i) => {
    t.same(JSON.parse(raw), parsed.objects[i], `${message}: element ${i} parses to the parsed element`);
    t.ok(text.includes(raw), `${message}: element ${i} is a substring of the body`);
  });
}

t.test('scanEnvelopeObjects: exact raw element texts', async (t) => {
  checkScan(t, '{"objects":[{"a":1},{"b":2}]}', ['{"a":1}', '{"b":2}'], 'plain');
  checkScan(t, '{"objects":[{"s":"]}[{,"},{"t":"}","u":"[[["}]}', ['{"s":"]}[{,"}', '{"t":"}","u":"[[["}'], 'brackets and braces in strings');
  checkScan(
    t,
    String.raw`{"objects":[{"s":"a\"b\\"},{"u":"\\\""},{"v":"\\","w":"x\\\\"}]}`,
    [String.raw`{"s":"a\"b\\"}`, String.raw`{"u":"\\\""}`, String.raw`{"v":"\\","w":"x\\\\"}`],
    'escaped quotes and backslashes',
  );
  checkScan(
    t,
    String.raw`{"objects":[{"s":"\u005d\u0022\u005c\u007b"},"\ud83d\ude00",{"k\u0022":"\/"}]}`,
    [String.raw`{"s":"\u005d\u0022\u005c\u007b"}`, String.raw`"\ud83d\ude00"`, String.raw`{"k\u0022":"\/"}`],
    'unicode escapes',
  );
  checkScan(t, '{"objects":[{"name":"café 😀 ]}"},"日本"]}', ['{"name":"café 😀 ]}"}', '"日本"'], 'literal non-ASCII');
  checkScan(t, '{"objects":[[1,[2,[3]]],{"a":[[],{}],"b":[{"c":[]}]},[]]}', ['[1,[2,[3]]]', '{"a":[[],{}],"b":[{"c":[]}]}', '[]'], 'nested arrays');
  checkScan(
    t,
    '\n {\n\t"objects" :\r\n [ \n {"a" : 1 } ,\n\t{ "b":[ 1 , 2 ] }\n ] \n}\n',
    ['{"a" : 1 }', '{ "b":[ 1 , 2 ] }'],
    'whitespace and newlines',
  );
  checkScan(t, '{"objects":[1, -2.5e3 ,true,false,null,"s",0.0]}', ['1', '-2.5e3', 'true', 'false', 'null', '"s"', '0.0'], 'primitives');
  checkScan(t, '{"objects":[{"a":1}],"x":2,"objects":[{"c":3},{"d":4}]}', ['{"c":3}', '{"d":4}'], 'objects twice: last wins');
  checkScan(
    t,
    '{"more":true,"next":"a,b]\\"}","x":{"objects":[9]},"objects":[{"a":"b"}],"y":[1,{"z":"]"}],"n":null,"m":-1e-3}',
    ['{"a":"b"}'],
    'other keys before and after, a nested "objects" key ignored',
  );
  checkScan(t, '{"type":"bundle","id":"bundle--1","objects":[{"type":"x"}],"spec_version":"2.0"}', ['{"type":"x"}'], 'bundle keys');
  checkScan(t, '{"objects":[]}', [], 'empty array');
  checkScan(t, '{"objects":[ \n ]}', [], 'empty array with whitespace');
  checkScan(t, '{"objects":[{"a":"\\\\"}]}', ['{"a":"\\\\"}'], 'string ending in an escaped backslash');
});

t.test('scanEnvelopeObjects: not an envelope', async (t) => {
  for (const text of ['[{"objects":[1]}]', '"objects"', 'null', '42', '{}', '{"x":1}', '{"objects":{}}', '{"objects":"[1]"}', '{"objects":null}', '{"objects":[1],"objects":5}']) {
    t.equal(scanEnvelopeObjects(text), undefined, `undefined for ${text}`);
  }
});

t.test('scanEnvelopeObjects: a key spelled with escapes is the same key for JSON.parse', async (t) => {
  // JSON.parse reads "obj\u0065cts" as "objects", and the last occurrence wins. The scanner must
  // either agree or give up (undefined, so the caller falls back); it must never hand back the
  // text of a different array than the one JSON.parse produced.
  for (const text of [String.raw`{"objects":[{"a":1}],"obj\u0065cts":[{"b":2}]}`, String.raw`{"\u006fbjects":[{"b":2}]}`]) {
    const parsed = (JSON.parse(text) as Envelope).objects;
    const raws = scanEnvelopeObjects(text);
    if (raws === undefined) t.pass(`${text}: scanner gave up`);
    else t.same(raws.map((r) => JSON.parse(r) as unknown), parsed, `${text}: raw texts match JSON.parse`);
  }
});

const SECRET = Buffer.alloc(32, 7);
const SCOPE: CursorScope = { scope: 'objects 11111111-1111-4111-8111-111111111111', partnerId: 'alice' };
const FILTER: ObjectFilter = { types: ['malware', 'indicator'], versions: DEFAULT_VERSIONS, addedAfter: 1_700_000_000_000_000 };
const BAD_CURSOR = 'TAXII_ERR_REQUEST_BAD_CURSOR';

t.test('cursor: round trip (TR14)', async (t) => {
  const codec = createCursorCodec(SECRET, 3600, () => 1_700_000_000_000);
  const token = codec.encode(SCOPE, FILTER, 1_700_000_000_123_456);
  t.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'URL-safe, opaque');
  t.same(codec.decode(token, SCOPE, FILTER), { filter: FILTER, after: 1_700_000_000_123_456 }, 'same filter repeated');
  t.same(
    codec.decode(token, SCOPE, { ...FILTER, types: ['indicator', 'malware', 'indicator'] }),
    { filter: { ...FILTER, types: ['indicator', 'malware', 'indicator'] }, after: 1_700_000_000_123_456 },
    'comma lists are sets: order and repetition do not matter (T44)',
  );
  const bare = codec.decode(token, SCOPE, undefined);
  t.equal(bare.after, 1_700_000_000_123_456, 'bare next: position');
  t.same(bare.filter, { types: ['indicator', 'malware'], versions: DEFAULT_VERSIONS, addedAfter: 1_700_000_000_000_000 }, 'bare next: the filter bound in the token');
  const other = createCursorCodec(SECRET, 3600, () => 1_700_000_000_000);
  t.equal(other.decode(token, SCOPE, FILTER).after, 1_700_000_000_123_456, 'another process with the same secret accepts it');
  const all: ObjectFilter = { ids: ['indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f'], versions: { all: true }, specVersions: ['2.1'] };
  t.same(codec.decode(codec.encode(SCOPE, all, 5), SCOPE, undefined), { filter: all, after: 5 });
});

t.test('cursor: expiry with an injected clock', async (t) => {
  const start = 1_700_000_000_000;
  let clock = start;
  const codec = createCursorCodec(SECRET, 60, () => clock);
  const token = codec.encode(SCOPE, FILTER, 42);
  clock = start + 59_000;
  t.equal(codec.decode(token, SCOPE, FILTER).after, 42, 'valid before the ttl');
  clock = start + 61_000;
  expect400(t, () => codec.decode(token, SCOPE, FILTER), BAD_CURSOR, 'expired', /expired/);
  expect400(t, () => codec.decode(token, SCOPE, undefined), BAD_CURSOR, 'expired, bare', /expired/);
  clock = start + 3600_000;
  expect400(t, () => codec.decode(token, SCOPE, FILTER), BAD_CURSOR, 'long expired', /expired/);
});

function flip(text: string, index: number): string {
  const c = text[index] as string;
  const replacement = c === 'A' ? 'B' : 'A';
  return `${text.slice(0, index)}${replacement}${text.slice(index + 1)}`;
}

t.test('cursor: tampering and forgery (T55)', async (t) => {
  const codec = createCursorCodec(SECRET, 3600);
  const token = codec.encode(SCOPE, FILTER, 42);
  const dot = token.indexOf('.');
  const body = token.slice(0, dot);
  const mac = token.slice(dot + 1);
  for (const i of [0, 5, Math.floor(body.length / 2), body.length - 1]) {
    expect400(t, () => codec.decode(`${flip(body, i)}.${mac}`, SCOPE, FILTER), BAD_CURSOR, `payload char ${i} flipped`);
  }
  for (const i of [0, 10, 20]) {
    expect400(t, () => codec.decode(`${body}.${flip(mac, i)}`, SCOPE, FILTER), BAD_CURSOR, `signature char ${i} flipped`);
  }
  // A payload of our choosing (other position, other partner) with the old signature.
  const forged = Buffer.from(Buffer.from(body, 'base64url').toString('utf8').replace('"a":42', '"a":0')).toString('base64url');
  t.not(forged, body);
  expect400(t, () => codec.decode(`${forged}.${mac}`, SCOPE, FILTER), BAD_CURSOR, 'rewritten payload');
  expect400(t, () => codec.decode(body, SCOPE, FILTER), BAD_CURSOR, 'signature removed');
  expect400(t, () => codec.decode(`${body}.`, SCOPE, FILTER), BAD_CURSOR, 'empty signature');
  expect400(t, () => codec.decode(`.${mac}`, SCOPE, FILTER), BAD_CURSOR, 'empty payload');
  expect400(t, () => codec.decode('garbage', SCOPE, FILTER), BAD_CURSOR, 'garbage');
  expect400(t, () => codec.decode('x'.repeat(9000) + '.y', SCOPE, FILTER), BAD_CURSOR, 'oversized');
  const foreign = createCursorCodec(Buffer.alloc(32, 8), 3600).encode(SCOPE, FILTER, 42);
  expect400(t, () => codec.decode(foreign, SCOPE, FILTER), BAD_CURSOR, 'signed with another secret', /not issued by this server/);
  t.equal(codec.decode(token, SCOPE, FILTER).after, 42, 'the original still works');
});

t.test('cursor: bound to scope and partner (TR14)', async (t) => {
  const codec = createCursorCodec(SECRET, 3600);
  const token = codec.encode(SCOPE, FILTER, 42);
  expect400(t, () => codec.decode(token, { ...SCOPE, scope: 'manifest 11111111-1111-4111-8111-111111111111' }, FILTER), BAD_CURSOR, 'other endpoint');
  expect400(t, () => codec.decode(token, { ...SCOPE, scope: 'objects 22222222-2222-4222-8222-222222222222' }, FILTER), BAD_CURSOR, 'other collection');
  expect400(t, () => codec.decode(token, { ...SCOPE, partnerId: 'bob' }, FILTER), BAD_CURSOR, 'other partner', /another collection, object or caller/);
  expect400(t, () => codec.decode(token, { ...SCOPE, partnerId: 'bob' }, undefined), BAD_CURSOR, 'other partner, bare next');
});

t.test('cursor: filters must be repeated unchanged or omitted (TR14)', async (t) => {
  const codec = createCursorCodec(SECRET, 3600);
  const token = codec.encode(SCOPE, FILTER, 42);
  const changed: [string, ObjectFilter][] = [
    ['fewer types', { ...FILTER, types: ['malware'] }],
    ['more types', { ...FILTER, types: ['malware', 'indicator', 'tool'] }],
    ['types dropped', { versions: DEFAULT_VERSIONS, addedAfter: FILTER.addedAfter as number }],
    ['added_after dropped', { types: ['malware', 'indicator'], versions: DEFAULT_VERSIONS }],
    ['added_after moved', { ...FILTER, addedAfter: (FILTER.addedAfter as number) + 1 }],
    ['versions all', { ...FILTER, versions: { all: true } }],
    ['versions first', { ...FILTER, versions: { all: false, first: true, last: false, keys: [] } }],
    ['spec_version added', { ...FILTER, specVersions: ['2.1'] }],
    ['ids added', { ...FILTER, ids: ['malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f'] }],
  ];
  for (const [name, filter] of changed) {
    expect400(t, () => codec.decode(token, SCOPE, filter), BAD_CURSOR, name, /differ/);
  }
});

t.test('cursor: a filter too large to embed needs repeating (TR14)', async (t) => {
  const codec = createCursorCodec(SECRET, 3600);
  const ids = Array.from({ length: 100 }, (_, i) => `indicator--00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  const big: ObjectFilter = { ids, versions: DEFAULT_VERSIONS };
  const token = codec.encode(SCOPE, big, 42);
  t.ok(token.length < 1000, 'the filter is not embedded');
  expect400(t, () => codec.decode(token, SCOPE, undefined), BAD_CURSOR, 'bare next', /repeat them/);
  t.equal(codec.decode(token, SCOPE, big).after, 42, 'repeated filter works');
  t.equal(codec.decode(token, SCOPE, { ids: [...ids].reverse(), versions: DEFAULT_VERSIONS }).after, 42, 'in any order');
  expect400(t, () => codec.decode(token, SCOPE, { ids: ids.slice(1), versions: DEFAULT_VERSIONS }), BAD_CURSOR, 'one id fewer');
});

const LIMITS = { maxMatchValues: 5 };
const BAD_PARAMETER = 'TAXII_ERR_REQUEST_BAD_PARAMETER';

function parse(query: RawQuery, params: ParamSet = PARAMS.objects): ParsedQuery {
  return parseQuery(query, params, LIMITS);
}

t.test('parseQuery: no parameters', async (t) => {
  t.same(parse({}), { filter: { versions: DEFAULT_VERSIONS }, filterless: true, limit: undefined, next: undefined }, 'T45: default last');
  t.same(DEFAULT_VERSIONS, { all: false, first: false, last: true, keys: [] });
  t.same(parse({ limit: '5', next: 'abc.def' }), { filter: { versions: DEFAULT_VERSIONS }, filterless: true, limit: 5, next: 'abc.def' }, 'limit and next are not filters (TR14)');
});

t.test('parseQuery: added_after (T35, A8)', async (t) => {
  const q = parse({ added_after: '2024-01-31T12:00:00.123456Z' });
  t.equal(q.filter.addedAfter, Date.UTC(2024, 0, 31, 12) * 1000 + 123_456);
  t.equal(q.filterless, false);
  t.equal(parse({ added_after: '2024-01-31T12:00:00Z' }).filter.addedAfter, Date.UTC(2024, 0, 31, 12) * 1000, 'no fraction accepted (A8)');
  t.equal(parse({ added_after: '2024-01-31T12:00:00.1234567Z' }).filter.addedAfter, Date.UTC(2024, 0, 31, 12) * 1000 + 123_456, 'finer digits truncated');
  for (const bad of ['yesterday', '2024-01-31', '2024-01-31T12:00:00+01:00', '2023-02-29T00:00:00Z', '']) {
    expect400(t, () => parse({ added_after: bad }), BAD_PARAMETER, `T34: added_after=${bad}`);
  }
  expect400(t, () => parse({ added_after: ['2024-01-31T12:00:00Z', '2024-02-01T12:00:00Z'] }), BAD_PARAMETER, 'T35: twice', /only once/);
  t.same(parse({ added_after: 'junk' }, PARAMS.delete).filter, { versions: DEFAULT_VERSIONS }, 'TR8: not a parameter of delete, ignored');
});

t.test('parseQuery: limit (T37)', async (t) => {
  t.equal(parse({ limit: '1' }).limit, 1);
  t.equal(parse({ limit: '10' }).limit, 10);
  t.equal(parse({ limit: '0010' }).limit, 10);
  t.equal(parse({ limit: '999999999999999' }).limit, 999_999_999_999_999, 'large values are clamped later, not refused (T40)');
  // Issue 13: the README says large limits are reduced; 20 or more digits were refused.
  t.equal(parse({ limit: '99999999999999999999999' }).limit, Number.MAX_SAFE_INTEGER, 'any number of digits is a (very) large limit');
  t.equal(parse({ limit: '9999999999999999' }).limit, Number.MAX_SAFE_INTEGER);
  for (const bad of ['0', '-1', 'abc', '1.5', '', ' 5', '5 ', '+5', '1e3', '0x10', '0000', '000000000000000000000']) {
    expect400(t, () => parse({ limit: bad }), BAD_PARAMETER, `T37: limit=${JSON.stringify(bad)}`);
  }
  expect400(t, () => parse({ limit: ['1', '2'] }), BAD_PARAMETER, 'limit twice');
  t.equal(parse({ limit: 'abc' }, PARAMS.delete).limit, undefined, 'TR8: no paging on delete');
  t.equal(parse({ limit: '3' }, PARAMS.object).limit, 3, 'TR8: E9 takes limit');
  t.equal(parse({ limit: '3' }, PARAMS.versions).limit, 3, 'TR8: E11 takes limit');
});

t.test('parseQuery: next', async (t) => {
  expect400(t, () => parse({ next: '' }), BAD_PARAMETER, 'empty next');
  expect400(t, () => parse({ next: ['a.b', 'c.d'] }), BAD_PARAMETER, 'next twice');
  t.equal(parse({ next: 'a.b' }, PARAMS.versions).next, 'a.b');
  t.equal(parse({ next: 'a.b' }, PARAMS.delete).next, undefined, 'TR8: not on delete');
});

t.test('parseQuery: match[id] (T44)', async (t) => {
  const a = 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f';
  const b = 'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b';
  t.same(parse({ 'match[id]': a }).filter.ids, [a]);
  t.same(parse({ 'match[id]': `${a},${b}` }).filter.ids, [a, b], 'comma list');
  t.equal(parse({ 'match[id]': a }).filterless, false);
  for (const bad of [`${a},`, `,${a}`, `${a},,${b}`, `${a}, ${b}`, 'indicator', 'indicator--not-a-uuid', `Indicator--${a.slice(11)}`, '']) {
    expect400(t, () => parse({ 'match[id]': bad }), BAD_PARAMETER, `match[id]=${bad}`);
  }
  expect400(t, () => parse({ 'match[id]': [a, b] }), BAD_PARAMETER, 'T43: twice');
  const six = Array.from({ length: 6 }, (_, i) => `indicator--00000000-0000-4000-8000-00000000000${i}`).join(',');
  expect400(t, () => parse({ 'match[id]': six }), BAD_PARAMETER, 'more values than max_match_values', /at most 5/);
  t.equal(parse({ 'match[id]': six.split(',').slice(0, 5).join(',') }).filter.ids?.length, 5, 'exactly max_match_values');
  const ignored = parse({ 'match[id]': 'garbage' }, PARAMS.object);
  t.equal(ignored.filter.ids, undefined, 'TR8/T42: match[id] is not a parameter of E9');
  t.equal(ignored.filterless, true);
  t.equal(parse({ 'match[id]': 'garbage' }, PARAMS.versions).filter.ids, undefined, 'nor of E11');
});

t.test('parseQuery: match[type] (T41, T44)', async (t) => {
  t.same(parse({ 'match[type]': 'indicator,malware' }).filter.types, ['indicator', 'malware'], 'OR list');
  t.same(parse({ 'match[type]': 'x-acme-widget' }).filter.types, ['x-acme-widget'], 'custom types are valid names');
  t.same(parse({ 'match[type]': 'campaign' }).filter.types, ['campaign'], 'T41: a STIX type is never refused');
  t.same(parse({ 'match[type]': 'ipv4-addr,x509-certificate' }).filter.types, ['ipv4-addr', 'x509-certificate']);
  for (const bad of ['Indicator', 'ab', 'indicator,', 'indicator, malware', 'x_acme', 'in dicator', '-indicator', 'indicator--', '1abc', '']) {
    expect400(t, () => parse({ 'match[type]': bad }), BAD_PARAMETER, `match[type]=${bad}`);
  }
  expect400(t, () => parse({ 'match[type]': ['indicator', 'malware'] }), BAD_PARAMETER, 'T43: twice');
  t.equal(parse({ 'match[type]': 'BAD' }, PARAMS.object).filter.types, undefined, 'TR8: ignored on E9');
});

t.test('parseQuery: match[version] (T45, T46, TR9)', async (t) => {
  t.same(parse({ 'match[version]': 'all' }).filter.versions, { all: true });
  t.same(parse({ 'match[version]': 'last' }).filter.versions, DEFAULT_VERSIONS);
  t.same(parse({ 'match[version]': 'first' }).filter.versions, { all: false, first: true, last: false, keys: [] });
  t.same(parse({ 'match[version]': 'first,last' }).filter.versions, { all: false, first: true, last: true, keys: [] });
  const mixed = parse({ 'match[version]': 'first,2018-03-02T01:01:01.123Z,last,2018-03-02T01:01:02Z' }).filter.versions;
  t.same(mixed, { all: false, first: true, last: true, keys: [versionKey('2018-03-02T01:01:01.123000Z'), versionKey('2018-03-02T01:01:02.000Z')] }, 'T46 example; keys are instants');
  t.equal(parse({ 'match[version]': 'last' }).filterless, false, 'an explicit match[version] is a filter parameter');
  for (const bad of ['all,last', 'first,all', 'all,2018-03-02T01:01:01.123Z', 'latest', 'First', '2018-03-02', '2018-03-02T01:01:01+00:00', 'last,', '']) {
    expect400(t, () => parse({ 'match[version]': bad }), BAD_PARAMETER, `match[version]=${bad}`);
  }
  expect400(t, () => parse({ 'match[version]': ['first', 'last'] }), BAD_PARAMETER, 'T43: twice');
  t.same(parse({ 'match[version]': 'first' }, PARAMS.object).filter.versions, { all: false, first: true, last: false, keys: [] }, 'E9 takes match[version]');
  t.same(parse({ 'match[version]': 'first' }, PARAMS.delete).filter.versions, { all: false, first: true, last: false, keys: [] }, 'E10 takes match[version]');
  t.same(parse({ 'match[version]': 'garbage' }, PARAMS.versions).filter.versions, DEFAULT_VERSIONS, 'TR8: ignored on E11');
});

t.test('parseQuery: match[spec_version] (T49)', async (t) => {
  t.same(parse({ 'match[spec_version]': '2.1' }).filter.specVersions, ['2.1']);
  t.same(parse({ 'match[spec_version]': '2.0,2.1' }).filter.specVersions, ['2.0', '2.1']);
  for (const bad of ['2', 'v2.1', '2.1.0', '2.1,', '2.0, 2.1', 'latest', '']) {
    expect400(t, () => parse({ 'match[spec_version]': bad }), BAD_PARAMETER, `match[spec_version]=${bad}`);
  }
  for (const params of [PARAMS.object, PARAMS.versions, PARAMS.delete]) {
    t.same(parse({ 'match[spec_version]': '2.1' }, params).filter.specVersions, ['2.1'], 'TR8: every object endpoint takes it');
  }
});

t.test('parseQuery: unknown parameters are ignored (T42)', async (t) => {
  const q = parse({ 'match[foo]': 'bar', 'match[created_by_ref]': 'x', other: '1' });
  t.same(q, { filter: { versions: DEFAULT_VERSIONS }, filterless: true, limit: undefined, next: undefined });
});

t.test('parseQuery: everything together (T44: AND across fields)', async (t) => {
  const q = parse({
    added_after: '2024-01-01T00:00:00Z',
    'match[type]': 'indicator,malware',
    'match[id]': 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
    'match[version]': 'all',
    'match[spec_version]': '2.1',
    limit: '7',
    next: 'a.b',
  });
  t.same(q, {
    filter: {
      addedAfter: Date.UTC(2024, 0, 1) * 1000,
      ids: ['indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f'],
      types: ['indicator', 'malware'],
      versions: { all: true },
      specVersions: ['2.1'],
    },
    filterless: false,
    limit: 7,
    next: 'a.b',
  });
});

t.test('canonicalJson: key order does not matter, array order does', async (t) => {
  const a = { b: 1, a: { d: [{ y: 1, x: 2 }, 'q"'], c: null }, e: 'é\n' };
  const b = { e: 'é\n', a: { c: null, d: [{ x: 2, y: 1 }, 'q"'] }, b: 1 };
  t.equal(canonicalJson(a), canonicalJson(b));
  t.equal(canonicalJson(a), '{"a":{"c":null,"d":[{"x":2,"y":1},"q\\""]},"b":1,"e":"é\\n"}', 'sorted keys, no whitespace');
  t.same(JSON.parse(canonicalJson(a)), a, 'still the same JSON value');
  t.not(canonicalJson({ l: [1, 2] }), canonicalJson({ l: [2, 1] }), 'array order is significant');
  t.not(canonicalJson({ a: '1' }), canonicalJson({ a: 1 }));
  t.equal(contentHash(a), contentHash(b), 'same content hash');
  t.equal(contentHash(a), createHash('sha256').update(canonicalJson(a)).digest('hex'));
  t.equal(contentHash(JSON.parse('{"x":1.50,"y":[true]}')), contentHash(JSON.parse('{ "y" : [ true ], "x" : 1.5 }')), 'whitespace and number spelling do not matter');
  t.equal(canonicalJson([]), '[]');
  t.equal(canonicalJson({}), '{}');
  t.equal(canonicalJson('s'), '"s"');
});
