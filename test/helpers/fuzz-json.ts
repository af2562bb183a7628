/**
 * Arbitraries for request bodies, built as JSON *text* so that they can hold what
 * JSON.stringify never writes: duplicate keys, numbers no double can hold, every
 * character escaped, nesting deeper than any parser likes, invalid UTF-8.
 *
 * Vocabulary: an *element* is one item of an envelope's "objects" list (a valid
 * STIX object from test/helpers/stix.ts, one mutated from it, or any JSON value);
 * an *envelope body* is the whole POST body, well-formed or not.
 */
import fc from 'fast-check';
import { indicator, ipv4, malware } from './stix.js';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------- JSON text

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** String contents: printable, control characters, any code point, lone surrogates. */
export const stringContent: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 24 }),
  fc.string({ unit: 'binary-ascii', maxLength: 16 }),
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.array(fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 3 }), loneSurrogate), { maxLength: 5 }).map((p) => p.join('')),
);

export type LiteralStyle = 'plain' | 'escaped' | 'slash';

/** A string as a JSON literal: as JSON.stringify writes it, every UTF-16 unit \u-escaped, or with \/ for /. */
export function literal(value: string, style: LiteralStyle = 'plain'): string {
  if (style === 'escaped') {
    return `"${[...Array(value.length).keys()].map((i) => `\\u${value.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')}"`;
  }
  const plain = JSON.stringify(value);
  return style === 'slash' ? plain.replaceAll('/', '\\/') : plain;
}

const literalStyle = fc.constantFrom<LiteralStyle>('plain', 'plain', 'escaped', 'slash');

export const stringLiteral: fc.Arbitrary<string> = fc.tuple(stringContent, literalStyle).map(([s, style]) => literal(s, style));

/** Numbers as text, including ones no IEEE double holds exactly (or at all). */
export const numberText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0', '-0', '1e400', '-1e400', '1E-400', '5e-324', '1.7976931348623157e308', '9007199254740993', '-9007199254740993',
    '123456789012345678901234567890', '0.1e1', '1.000000000000000000001', '0e0', '1e+2', '100', '-1', '2.1',
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
);

/** Values nested `depth` levels deep (the validator refuses more than 64). */
export const deepValue: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(2, 63, 64, 65, 200, 1000, 10_000, 100_000), fc.constantFrom(['[', ']'], ['{"a":', '}'], ['[{"b":', '}]']))
  .map(([depth, [open, close]]) => `${open.repeat(depth)}1${close.repeat(depth)}`);

/** Long strings (up to about 400 KB of text). */
export const hugeString: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(1_000, 60_000, 200_000, 400_000), fc.constantFrom('a', 'é', '\\u0000', '😀', '\\\\', '\\ud800'))
  .map(([n, unit]) => `"${unit.repeat(Math.ceil(n / unit.length))}"`);

const PROPERTY_NAMES = [
  'type', 'id', 'spec_version', 'created', 'modified', 'name', 'description', 'pattern', 'pattern_type', 'valid_from',
  'valid_until', 'labels', 'confidence', 'lang', 'external_references', 'object_marking_refs', 'granular_markings',
  'extensions', 'created_by_ref', 'revoked', 'is_family', 'value', 'objects', 'x_custom', 'x_', 'x_a', 'X_UPPER',
  'x-dash', 'x_taxii_exchange_redacted', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '',
  `x_${'a'.repeat(300)}`,
];

/** A property name as a JSON literal: a STIX or hostile name, or any string. */
export const keyLiteral: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...PROPERTY_NAMES), literalStyle).map(([k, style]) => literal(k, style)) },
  { weight: 1, arbitrary: stringLiteral },
);

const scalarText: fc.Arbitrary<string> = fc.oneof(fc.constantFrom('true', 'false', 'null'), numberText, stringLiteral);

/** Any JSON value as text (duplicate keys included); now and then deep or huge. */
export const jsonValueText: fc.Arbitrary<string> = fc.oneof(
  { weight: 20, arbitrary: fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalarText, tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    object: fc.array(fc.tuple(keyLiteral, tie('value')), { maxLength: 4 }).map((m) => `{${m.map(([k, v]) => `${k}:${v}`).join(',')}}`),
  })).value },
  { weight: 1, arbitrary: deepValue },
  { weight: 1, arbitrary: hugeString },
);

const space = fc.constantFrom('', '', '', ' ', '\n', '\r\n\t ');

// ---------------------------------------------------------------- STIX objects

// Published TLP marking-definition ids (README "Sharing policy").
const TLP_CLEAR = 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487';
const TLP_GREEN = 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb';
const TLP1_AMBER = 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82';
const TLP_RED = 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1';
// The project's recipients marking (README "Recipients marking").
const RECIPIENTS_EXTENSION = 'extension-definition--b4f69bed-1fee-46d6-9ab7-274a05203997';

const TIMES = ['2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.001Z', '2024-03-01T10:00:00.123456Z', '2025-06-01T00:00:00.000Z'];

/** A few ids per type shared by every run, so versions, duplicates and conflicts happen. */
function pool(type: string): string[] {
  return [1, 2, 3, 4].map((i) => `${type}--a0b1c2d3-1111-4111-8111-${String(i).padStart(12, '0')}`);
}

export interface Ident {
  readonly id: string;
  /** Drawn fresh (not from the shared pool): no earlier post used it, barring a repeat draw. */
  readonly fresh: boolean;
}

function identOf(type: string): fc.Arbitrary<Ident> {
  return fc.oneof(
    fc.constantFrom(...pool(type)).map((id) => ({ id, fresh: false })),
    fc.uuid({ version: 4 }).map((u) => ({ id: `${type}--${u}`, fresh: true })),
  );
}

const times = fc
  .tuple(fc.nat(TIMES.length - 1), fc.nat(TIMES.length - 1))
  .map(([a, b]) => [TIMES[Math.min(a, b)] as string, TIMES[Math.max(a, b)] as string] as const);
const marking = fc.option(fc.constantFrom(TLP_CLEAR, TLP_GREEN, TLP1_AMBER), { nil: undefined });
const label = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 });
const marked = (m: string | undefined): Json => (m === undefined ? {} : { object_marking_refs: [m] });

export interface ValidObject {
  readonly ident: Ident;
  readonly object: Json;
}

/** A STIX 2.1 object every collection of the test configuration accepts (standard validation). */
export const validObject: fc.Arbitrary<ValidObject> = fc.oneof(
  fc.record({ ident: identOf('indicator'), times, name: label, marking }).map(({ ident, times: [created, modified], name, marking: m }) => ({
    ident,
    object: indicator({ id: ident.id, created, modified, valid_from: created, name, ...marked(m) }),
  })),
  fc.record({
    ident: identOf('malware'), times, name: label, family: fc.boolean(), marking,
  }).map(({ ident, times: [created, modified], name, family, marking: m }) => ({
    ident,
    object: malware({ id: ident.id, created, modified, name, is_family: family, ...marked(m) }),
  })),
  fc.record({ ident: identOf('ipv4-addr'), octet: fc.nat(255) }).map(({ ident, octet }) => ({ ident, object: { ...ipv4(`198.51.100.${octet}`), id: ident.id } })),
  fc.record({ ident: identOf('identity'), times, name: label }).map(({ ident, times: [created, modified], name }) => ({
    ident,
    object: { type: 'identity', spec_version: '2.1', id: ident.id, created, modified, name, identity_class: 'organization' },
  })),
  fc.record({ ident: identOf('marking-definition'), time: fc.constantFrom(...TIMES), statement: label }).map(({ ident, time, statement }) => ({
    ident,
    object: { type: 'marking-definition', spec_version: '2.1', id: ident.id, created: time, definition_type: 'statement', definition: { statement } },
  })),
  // Recipients markings under shared ids (a different list under the same id is a conflict), and
  // TLP:RED objects naming them: these depend on what was posted before, so never "fresh".
  fc.record({
    id: fc.constantFrom(...pool('marking-definition')),
    partners: fc.subarray(['alice', 'bob', 'carol'], { minLength: 1 }),
    communities: fc.subarray(['eu', 'nato']),
  }).map(({ id, partners, communities }) => ({
    ident: { id, fresh: false },
    object: {
      type: 'marking-definition', spec_version: '2.1', id, created: TIMES[0], name: 'Recipients',
      extensions: { [RECIPIENTS_EXTENSION]: { extension_type: 'property-extension', partners, ...(communities.length > 0 && { communities }) } },
    },
  })),
  fc.record({ id: fc.constantFrom(...pool('malware')), recipients: fc.constantFrom(...pool('marking-definition')), times }).map(
    ({ id, recipients, times: [created, modified] }) => ({
      ident: { id, fresh: false },
      object: malware({ id, created, modified, name: 'red', object_marking_refs: [TLP_RED, recipients] }),
    }),
  ),
  fc.record({ ident: identOf('relationship'), times, source: fc.constantFrom(...pool('indicator')), target: fc.constantFrom(...pool('malware')) }).map(
    ({ ident, times: [created, modified], source, target }) => ({
      ident,
      object: { type: 'relationship', spec_version: '2.1', id: ident.id, created, modified, relationship_type: 'indicates', source_ref: source, target_ref: target },
    }),
  ),
);

/** One member of an object as text: key literal and value text. */
export type Member = readonly [key: string, value: string];

export type Mutation =
  | { readonly op: 'drop'; readonly at: number }
  | { readonly op: 'add'; readonly at: number; readonly key: string; readonly value: string }
  | { readonly op: 'retype'; readonly at: number; readonly value: string }
  | { readonly op: 'duplicate'; readonly at: number; readonly value: string | null }
  | { readonly op: 'escape-key'; readonly at: number }
  | { readonly op: 'escape-value'; readonly at: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('add' as const), at: fc.nat(), key: keyLiteral, value: jsonValueText }),
  fc.record({ op: fc.constant('retype' as const), at: fc.nat(), value: jsonValueText }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), value: fc.option(jsonValueText, { nil: null }) }),
  fc.record({ op: fc.constant('escape-key' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('escape-value' as const), at: fc.nat() }),
);

const reEscape = (text: string): string => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' ? literal(value, 'escaped') : text;
  } catch {
    return text;
  }
};

export function applyMutation(members: readonly Member[], m: Mutation): Member[] {
  const list = [...members];
  if (list.length === 0) return m.op === 'add' ? [[m.key, m.value]] : list;
  const i = m.at % list.length;
  const [key, value] = list[i] as Member;
  switch (m.op) {
    case 'drop':
      list.splice(i, 1);
      break;
    case 'add':
      list.splice(i, 0, [m.key, m.value]);
      break;
    case 'retype':
      list[i] = [key, m.value];
      break;
    case 'duplicate':
      list.splice((i * 7 + 3) % (list.length + 1), 0, [key, m.value ?? value]);
      break;
    case 'escape-key':
      list[i] = [reEscape(key), value];
      break;
    case 'escape-value':
      list[i] = [key, reEscape(value)];
      break;
  }
  return list;
}

export function membersOf(object: Json): Member[] {
  return Object.entries(object).map(([k, v]) => [JSON.stringify(k), JSON.stringify(v)]);
}

export function objectText(members: readonly Member[], pad = ''): string {
  return `{${members.map(([k, v]) => `${k}:${pad}${v}`).join(`,${pad}`)}}`;
}

export interface Element {
  readonly kind: 'valid' | 'mutated' | 'value';
  /** Exactly the text sent; what the server must store for it, byte for byte. */
  readonly text: string;
  readonly ident?: Ident;
}

export const element: fc.Arbitrary<Element> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(validObject, space).map(([v, pad]) => ({ kind: 'valid' as const, text: objectText(membersOf(v.object), pad), ident: v.ident })) },
  {
    weight: 5,
    arbitrary: fc.tuple(validObject, fc.array(mutation, { minLength: 1, maxLength: 4 }), space).map(([v, ms, pad]) => ({
      kind: 'mutated' as const,
      text: objectText(ms.reduce(applyMutation, membersOf(v.object)), pad),
      ident: v.ident,
    })),
  },
  { weight: 1, arbitrary: jsonValueText.map((text) => ({ kind: 'value' as const, text })) },
);

// ---------------------------------------------------------------- envelope bodies

export interface EnvelopeBody {
  readonly kind: string;
  readonly body: string | Buffer;
  /** The elements of the effective "objects" list, when the body is a usable envelope. */
  readonly elements?: readonly Element[];
}

const elements = fc.array(element, { minLength: 1, maxLength: 6 });
const list = (els: readonly Element[], pad: string): string => `[${pad}${els.map((e) => e.text).join(`${pad},${pad}`)}${pad}]`;

const extraMembers = fc.array(
  fc.oneof(
    fc.constantFrom('"more":true', '"more":false', '"next":"x"', '"x_custom":1', '"spec_version":"2.1"'),
    fc.tuple(keyLiteral, jsonValueText).filter(([k]) => !/^"(objects|obj\\u0065cts)"$/.test(k)).map(([k, v]) => `${k}:${v}`),
  ),
  { maxLength: 2 },
);

const envelope = fc.tuple(elements, extraMembers, space, fc.boolean()).map(([els, extra, pad, before]) => {
  const members = before ? [...extra, `"objects":${list(els, pad)}`] : [`"objects":${list(els, pad)}`, ...extra];
  return { kind: 'envelope', body: `${pad}{${pad}${members.join(`,${pad}`)}${pad}}${pad}`, elements: els };
});

const bundle = fc.tuple(elements, fc.uuid({ version: 4 }), fc.constantFrom('', ',"spec_version":"2.0"', ',"spec_version":"2.1"')).map(([els, u, sv]) => ({
  kind: 'bundle',
  body: `{"type":"bundle","id":"bundle--${u}"${sv},"objects":${list(els, '')}}`,
  elements: els,
}));

/** "objects" written with escapes: the same key once decoded (the raw-text scanner must see it too). */
const escapedKey = elements.map((els) => ({ kind: 'escaped-key', body: `{"obj\\u0065cts":${list(els, '')}}`, elements: els }));

/** "objects" twice: the last one counts (as JSON.parse decides). */
const duplicateObjects = fc.tuple(elements, jsonValueText, fc.boolean()).map(([els, other, usableLast]) =>
  usableLast
    ? { kind: 'duplicate-objects', body: `{"objects":${other},"objects":${list(els, '')}}`, elements: els }
    : { kind: 'duplicate-objects-last-unusable', body: `{"objects":${list(els, '')},"objects":${/^\s*\[/.test(other) ? '"x"' : other}}` },
);

const notEnvelope = fc.oneof(
  jsonValueText.filter((text) => !/^\s*\{/.test(text)),
  fc.constantFrom('{}', '{"objects":[]}', '{"objects":{}}', '{"objects":null}', '{"objects":"indicator"}', '{"object":[{}]}', '[]'),
  validObject.map((v) => JSON.stringify(v.object)),
).map((body) => ({ kind: 'not-envelope', body }));

const validEnvelopeText = fc.tuple(elements, space).map(([els, pad]) => `{"objects":${list(els, pad)}}`);

const notJson = fc.oneof(
  fc.tuple(validEnvelopeText, fc.nat()).map(([text, at]) => text.slice(0, at % text.length)),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  validEnvelopeText.map((text) => `\ufeff${text}`),
  validEnvelopeText.map((text) => `${text} trailing`),
  validEnvelopeText.map((text) => `${text}${text}`),
  fc.constantFrom(
    '', ' ', "{'objects': []}", '{"objects": [NaN]}', '{"objects": [Infinity]}', '{"objects": [1,]}', '{"objects": [/* c */ 1]}', '{"objects": [01]}',
    '{"objects": ["\t"]}', '{"objects": ["\\x41"]}',
  ),
).map((body) => ({ kind: 'not-json', body }));

const INVALID_UTF8 = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80]];

/** A valid envelope with bytes that are not UTF-8 inside a string. */
const badUtf8 = fc.tuple(validObject, fc.constantFrom(...INVALID_UTF8)).map(([v, bytes]) => {
  const text = `{"objects":[${JSON.stringify({ ...v.object, name: 'BAD' })}]}`;
  const at = text.indexOf('BAD');
  return {
    kind: 'bad-utf8',
    body: Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at + 3))]),
  };
});

export const envelopeBody: fc.Arbitrary<EnvelopeBody> = fc.oneof(
  { weight: 12, arbitrary: envelope },
  { weight: 2, arbitrary: bundle },
  { weight: 1, arbitrary: escapedKey },
  { weight: 1, arbitrary: duplicateObjects },
  { weight: 2, arbitrary: notEnvelope },
  { weight: 2, arbitrary: notJson },
  { weight: 1, arbitrary: badUtf8 },
);
