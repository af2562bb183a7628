/**
 * The I-JSON scan (src/taxii/i-json.ts): T5, all TAXII resources are I-JSON
 * (RFC 7493). Each rule (§2.1 lone surrogates, §2.2 numbers beyond an IEEE 754
 * double, §2.3 duplicate member names), the path it reports, what is fine, where
 * a problem is attributed (an element or the envelope), and agreement with
 * JSON.parse on the element texts.
 */
import fc from 'fast-check';
import t from 'tap';
import { citationOf, ruleBroken, scanEnvelope, type EnvelopeScan, type IJsonProblem } from '../../src/taxii/i-json.js';

/** Scans `{"objects":[element]}` after checking JSON.parse accepts it, as ingest does. */
function scanOne(element: string): EnvelopeScan {
  const text = `{"objects":[${element}]}`;
  JSON.parse(text);
  return scanEnvelope(text);
}

function problemOf(element: string): IJsonProblem | undefined {
  const scan = scanOne(element);
  if (scan.envelopeProblem !== undefined) throw new Error(`unexpected envelope problem for ${element}`);
  if (scan.raws?.[0] !== element) throw new Error(`raw text differs for ${element}`);
  return scan.problems[0];
}

const zeros = (n: number) => '0'.repeat(n);

t.test('T5 I-JSON, RFC 7493 §2.3: a member name given twice in one object', async (t) => {
  const cases: [string, string, string, string][] = [
    ['{"type":"indicator","object_marking_refs":["red"],"object_marking_refs":["white"]}', 'object_marking_refs', 'object_marking_refs', 'top level of the object'],
    ['{"extensions":{"x":{"y":1,"z":2,"y":3}}}', 'extensions.x.y', 'y', 'nested objects'],
    ['{"external_references":[{"url":"a"},{},{"source_name":"s","url":"b","url":"c"}]}', 'external_references[2].url', 'url', 'an object in a list'],
    ['{"a":[[{"b":1}],[{"c":1,"c":1}]]}', 'a[1][0].c', 'c', 'lists of lists; equal values count too'],
    [String.raw`{"a":1,"\u0061":2}`, 'a', 'a', 'a name spelled with an escape is the same name (the token is the decoded name)'],
    [String.raw`{"\/":1,"/":2}`, '["/"]', '/', '\\/ is /'],
    [String.raw`{"x\u0022y":1,"x\"y":2}`, String.raw`["x\"y"]`, 'x"y', 'an escaped quote in the name'],
    ['{"a.b":1,"a.b":2}', '["a.b"]', 'a.b', 'a name that is not a plain path segment is quoted'],
    ['{"":1,"":2}', '[""]', '', 'the empty name'],
  ];
  for (const [element, path, token, what] of cases) {
    t.same(problemOf(element), { rule: 'duplicate-name', path, token, inName: false }, `${what}: at ${path}`);
  }

  const many = Array.from({ length: 30 }, (_, i) => `"k${i}":${i}`).join(',');
  t.equal(problemOf(`{${many},"k4":0}`)?.path, 'k4', 'in an object of many names');
  t.equal(problemOf(`{"k4":0,${many}}`)?.path, 'k4', 'in an object of many names, the repeat among them');
  t.equal(problemOf(`[{${many}},{${many}},{"o":{${many}}}]`), undefined, 'equal names in sibling and nested objects of many names are fine');

  const depth = 60;
  const deep = `${'{"n":'.repeat(depth)}{"k":1,"k":2}${'}'.repeat(depth)}`;
  t.equal(problemOf(deep)?.path, `${Array(depth).fill('n').join('.')}.k`, `found ${depth} levels down`);

  for (const fine of [
    '{"a":{"a":1},"b":{"a":2}}',
    '[{"a":1},{"a":2}]',
    '{"a":1,"A":2,"a ":3}',
    '{"l":[{"x":1,"y":{"x":2}},{"x":3}],"x":4}',
    String.raw`{"\u00e9":1,"e\u0301":2}`,
  ]) {
    t.equal(problemOf(fine), undefined, `fine: ${fine}`);
  }
});

t.test('T5 I-JSON, RFC 7493 §2.2: numbers beyond the range of an IEEE 754 double', async (t) => {
  const cases: [string, IJsonProblem['rule'], string][] = [
    ['1e400', 'number-overflow', '1e400'],
    ['-1e999', 'number-overflow', '-1e999'],
    ['1E+309', 'number-overflow', '1E+309'],
    ['1.8e308', 'number-overflow', '1.8e308'],
    [`1${zeros(309)}`, 'number-overflow', 'an integer of 310 digits'],
    ['1e-400', 'number-underflow', '1e-400'],
    ['-2.5e-999', 'number-underflow', '-2.5e-999'],
    ['2e-324', 'number-underflow', 'below half the smallest subnormal'],
    [`0.${zeros(400)}1`, 'number-underflow', 'a long fraction without exponent'],
    ['0.0001e-330', 'number-underflow', 'a non-zero digit after the point'],
  ];
  for (const [literal, rule, what] of cases) {
    const problem = problemOf(`{"x_score":[1,${literal}]}`);
    t.same(problem, { rule, path: 'x_score[1]', token: literal, inName: false }, `${what}: ${rule} at x_score[1]`);
  }
  for (const fine of ['1e308', '-1e308', '1.7976931348623157e308', '-0', '5e-324', '4.9e-324', '0e999', '-0.0E-999', '0e-999', '1.0', '0', '2.2250738585072014e-308', `1${zeros(308)}`, '123456789012345678901234567890', '1E+2', '-12.5e-3']) {
    t.equal(problemOf(`{"n":${fine}}`), undefined, `fine: ${fine.length > 40 ? `${fine.slice(0, 12)}… (${fine.length} chars)` : fine}`);
  }
  t.equal(problemOf('1e400')?.path, '', 'the element itself: empty path');
});

t.test('T5 I-JSON, RFC 7493 §2.1: lone surrogates, in strings and in member names', async (t) => {
  const lone: [string, string, string][] = [
    [String.raw`"\uD800"`, String.raw`\uD800`, 'a high surrogate alone'],
    [String.raw`"a\ud83dx"`, String.raw`\ud83d`, 'a high surrogate followed by a character'],
    [String.raw`"\uD83D\u0041"`, String.raw`\uD83D`, 'a high surrogate followed by another escape'],
    [String.raw`"\uDBFF\uDBFF\uDC00"`, String.raw`\uDBFF`, 'two high surrogates: the first is lone'],
    [String.raw`"\uDC00"`, String.raw`\uDC00`, 'a low surrogate alone'],
    [String.raw`"\uDE00\uD83D"`, String.raw`\uDE00`, 'low before high'],
    [String.raw`"x\\\uDFFF"`, String.raw`\uDFFF`, 'after an escaped backslash'],
    [String.raw`"ab\uD83D"`, String.raw`\uD83D`, 'at the end of the string'],
  ];
  for (const [value, token, what] of lone) {
    t.same(problemOf(`{"name":${value}}`), { rule: 'lone-surrogate', path: 'name', token, inName: false }, `${what}: ${value}`);
  }
  t.same(
    problemOf(String.raw`{"hashes":{"ok":"1","k\uDC00":"v"}}`),
    { rule: 'lone-surrogate', path: String.raw`hashes["k\udc00"]`, token: String.raw`\uDC00`, inName: true },
    'in a member name: the path quotes the name, with the surrogate escaped',
  );
  t.same(problemOf(String.raw`{"l":["a","\uD800"]}`)?.path, 'l[1]', 'in a list');
  for (const fine of [
    String.raw`"\uD83D\uDE00"`,
    String.raw`"\ud83d\ude00 and \uDBFF\uDFFF"`,
    '"😀 café"',
    String.raw`"\\uD800"`,
    String.raw`"\\\\uDC00"`,
    String.raw`"\u0041\uFFFF\uE000\uD7FF"`,
    String.raw`"\"\\\/\b\f\n\r\t"`,
  ]) {
    t.equal(problemOf(`{"s":${fine},${fine}:1}`), undefined, `fine: ${fine}`);
  }
});

t.test('T5 I-JSON, RFC 7493 §2.1: unescaped lone surrogates (text not decoded from UTF-8)', async (t) => {
  t.same(problemOf('{"s":"a\uD800b"}'), { rule: 'lone-surrogate', path: 's', token: String.raw`\uD800`, inName: false }, 'an unescaped lone surrogate');
  t.equal(problemOf(String.raw`{"s":"\uD83D` + '\uDE00"}'), undefined, 'an escaped high surrogate with an unescaped low one decodes to a pair');
  t.equal(problemOf('{"s":"😀","t":"\uDC00"}')?.path, 't', 'the lone one among pairs');
});

t.test('T5 I-JSON, RFC 7493: each element gets its first problem; the envelope its own', async (t) => {
  const text = [
    '{"objects":[',
    '{"id":"a","v":1e400,"v":2},',
    '{"id":"b"},',
    String.raw`{"id":"c","n":{"s":"\uDC00"}},`,
    '"plain",',
    '[1,2,1e-999]',
    '],"more":false}',
  ].join('');
  JSON.parse(text);
  const scan = scanEnvelope(text);
  t.equal(scan.envelopeProblem, undefined, 'no problem outside the elements');
  t.same(scan.raws, ['{"id":"a","v":1e400,"v":2}', '{"id":"b"}', String.raw`{"id":"c","n":{"s":"\uDC00"}}`, '"plain"', '[1,2,1e-999]'], 'element texts');
  t.same(
    scan.problems.map((p) => p && `${p.rule} ${p.path}`),
    ['number-overflow v', undefined, 'lone-surrogate n.s', undefined, 'number-underflow [2]'],
    'the first problem of each element, with its path from the element',
  );
});

t.test('T5 I-JSON, RFC 7493: problems outside the elements are the envelope\'s', async (t) => {
  const cases: [string, string, IJsonProblem['rule'], string][] = [
    ['{"objects":[{"a":1}],"objects":[{"b":2}]}', 'objects', 'duplicate-name', '"objects" twice'],
    [String.raw`{"objects":[{"a":1}],"obj\u0065cts":[{"b":2}]}`, 'objects', 'duplicate-name', '"objects" twice, once spelled with an escape'],
    ['{"more":true,"objects":[{"a":1}],"more":false}', 'more', 'duplicate-name', 'another envelope member twice'],
    ['{"x":{"k":1,"k":2},"objects":[{"a":1}]}', 'x.k', 'duplicate-name', 'in an object outside "objects"'],
    ['{"objects":[{"a":1}],"next":1e400}', 'next', 'number-overflow', 'a number after "objects"'],
    ['{"x":[0,-1e-500],"objects":[{"a":1}]}', 'x[1]', 'number-underflow', 'a number before "objects"'],
    [String.raw`{"\uD800":1,"objects":[{"a":1}]}`, String.raw`["\ud800"]`, 'lone-surrogate', 'an envelope member name'],
  ];
  for (const [text, path, rule, what] of cases) {
    JSON.parse(text);
    const scan = scanEnvelope(text);
    t.same(scan.envelopeProblem && [scan.envelopeProblem.rule, scan.envelopeProblem.path], [rule, path], `${what}: ${rule} at ${path}`);
    t.same(scan.problems, scan.raws?.map(() => undefined), `${what}: no element problem`);
  }
  const twice = scanEnvelope('{"objects":[{"a":1e400}],"objects":[{"b":2},{"c":3}]}');
  t.same(twice.raws, ['{"b":2}', '{"c":3}'], 'objects twice: the last array counts, as with JSON.parse');
  t.same(twice.problems, [undefined, undefined], 'objects twice: problems of the discarded array are dropped');
  t.equal(scanEnvelope('{"objects":[1],"objects":5}').raws, undefined, 'the last "objects" not a list: no elements');
  t.same(scanEnvelope('{"x":{"objects":[1]},"objects":[]}').raws, [], 'only the top-level "objects" is collected');
});

t.test('T5 I-JSON: deep nesting does not exhaust the stack', async (t) => {
  const depth = 100_000;
  const text = `{"objects":[${'['.repeat(depth)}1e400${']'.repeat(depth)}]}`;
  JSON.parse(text);
  const scan = scanEnvelope(text);
  t.equal(scan.problems[0]?.rule, 'number-overflow', `found ${depth} lists down`);
  t.equal(scan.problems[0]?.path.length, depth * 3, 'with the whole path');
});

t.test('T5 I-JSON: element texts agree with JSON.parse; JSON.stringify output has no problem', async (t) => {
  const element = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' });
  fc.assert(
    fc.property(fc.array(element, { minLength: 0, maxLength: 5 }), fc.constantFrom(undefined, 2, '\t'), (objects, indent) => {
      const text = JSON.stringify({ more: false, objects, next: 'x' }, null, indent);
      const scan = scanEnvelope(text);
      const ok =
        scan.envelopeProblem === undefined &&
        scan.raws?.length === objects.length &&
        scan.raws.every((raw, i) => text.includes(raw) && JSON.stringify(JSON.parse(raw)) === JSON.stringify(objects[i])) &&
        scan.problems.every((p) => p === undefined);
      if (!ok) throw new Error(`disagrees on ${text}`);
    }),
    { numRuns: 300 },
  );
  t.pass('300 random envelopes');
});

t.test('T5 I-JSON: the rules as message phrases, citing RFC 7493', async (t) => {
  const of = (element: string) => problemOf(element) as IJsonProblem;
  const cases: [IJsonProblem, string, string][] = [
    [of('{"a":1,"a":2}'), 'member name appears twice in one object', '§2.3'],
    [of('{"a":-1e400}'), 'number -1e400 is beyond the range of an IEEE 754 double (it would read as -Infinity)', '§2.2'],
    [of('{"a":1e-400}'), 'number 1e-400 is too small for an IEEE 754 double (it would read as 0)', '§2.2'],
    [of(String.raw`{"a":"\uD800"}`), String.raw`string holds a lone surrogate \uD800, which is not a Unicode character`, '§2.1'],
    [of(String.raw`{"\uD800":1}`), String.raw`member name holds a lone surrogate \uD800, which is not a Unicode character`, '§2.1'],
  ];
  for (const [problem, phrase, section] of cases) {
    t.equal(ruleBroken(problem), phrase, phrase);
    t.equal(citationOf(problem), `I-JSON, RFC 7493 ${section}`, `cites ${section}`);
  }
  t.match(ruleBroken(of(`{"a":1${zeros(500)}}`)), /^number 10{23}…0{8} is beyond/, 'a long number is shortened');
});
