/**
 * Splitting STIX files into object texts as they are read (issue 12, import):
 * every shape a file may have, split at every possible chunk boundary, and the
 * structural faults that refuse a file before anything is stored.
 */
import t from 'tap';
import { MalformedFile, ObjectSplitter, type ObjectText } from '../../src/stix/object-stream.js';

function split(chunks: readonly string[]): ObjectText[] {
  const splitter = new ObjectSplitter();
  const found = chunks.flatMap((c) => splitter.push(c));
  splitter.end();
  return found;
}

const texts = (file: string) => split([file]).map((o) => o.text);

const A = '{"type":"indicator","id":"indicator--1","name":"a, [b] {c} \\"d\\""}';
const B = '{"type":"observed-data","id":"observed-data--2","objects":{"0":{"type":"file"}}}';
const C = '{"type":"note","content":"line one\\nline two ]}"}';

const SHAPES: Record<string, string> = {
  bundle: `{"type":"bundle","id":"bundle--1","objects":[\n  ${A},\n  ${B},\n  ${C}\n]}`,
  'bundle, objects first and keys after': `{"objects": [${A},${B},${C}], "type": "bundle", "id": "bundle--1"}`,
  envelope: `{"more":false,"objects":[${A},${B},${C}]}`,
  list: `[${A}, ${B}, ${C}]`,
  'JSON lines': `${A}\n${B}\n${C}\n`,
  'JSON lines, CRLF and a byte order mark': `\ufeff${A}\r\n${B}\r\n${C}\r\n`,
  'two bundles in one file': `{"objects":[${A}]}\n{"objects":[${B},${C}]}`,
};

t.test('every shape gives the objects, their text exactly as written', async (t) => {
  for (const [shape, file] of Object.entries(SHAPES)) t.same(texts(file), [A, B, C], shape);
  t.same(texts(`{"type":"bundle","objects":[]}`), [], 'an empty bundle holds nothing');
  t.same(texts(''), [], 'nor does an empty file');
  t.same(texts(B), [B], 'an object whose "objects" is not a list is an object, not a bundle');
});

t.test('the same objects whatever the chunk boundaries', async (t) => {
  for (const [shape, file] of Object.entries(SHAPES)) {
    for (let cut = 0; cut <= file.length; cut++) {
      const found = split([file.slice(0, cut), file.slice(cut)]).map((o) => o.text);
      if (found.join('|') !== [A, B, C].join('|')) {
        t.fail(`${shape}: cut at ${cut}`, { found });
        return;
      }
    }
    const oneByOne = split([...file]).map((o) => o.text);
    t.same(oneByOne, [A, B, C], `${shape}: one character at a time`);
  }
});

t.test('each object knows the line it starts on', async (t) => {
  t.same(split([SHAPES['bundle'] as string]).map((o) => o.line), [2, 3, 4]);
  t.same(split([SHAPES['JSON lines'] as string]).map((o) => o.line), [1, 2, 3]);
});

t.test('items that are not objects are passed on for the validator to refuse', async (t) => {
  t.same(texts('[1, "two", null, {"x": [3]}]'), ['1', '"two"', 'null', '{"x": [3]}']);
  t.same(texts('{"objects":[ {"a":1} 2 ]}'), ['{"a":1} 2'], 'text that is not one value stays one item, and does not parse');
});

t.test('faults that refuse the file, naming the line', async (t) => {
  const faults: Record<string, [string, RegExp]> = {
    truncated: [`{"objects":[${A},\n${B}`, /line 2: the file ends inside a list \(is it truncated\?\)/],
    'ends in a string': ['{"objects":[{"a":"b', /the file ends inside a string/],
    'brackets that do not match': ['{"objects":[{"a":1]]}', /line 1: "\]" does not close the object before it/],
    'a stray closing bracket': ['}', /line 1: expected a bundle/],
    'text at the top': ['hello', /line 1: expected a bundle, an envelope, a list of objects or an object, found "h"/],
    'a number at the top': [`${A}\n42`, /line 2: expected a bundle/],
    'a trailing comma': [`[${A},]`, /a list item is missing before "\]"/],
    'two commas': [`[${A},,${B}]`, /a list item is missing before ","/],
    'a leading comma': [`[,${A}]`, /a list item is missing before ","/],
    'objects twice': [`{"objects":[${A}],\n"objects":[${B}]}`, /line 2: "objects" appears twice in the same bundle/],
  };
  for (const [fault, [file, message]] of Object.entries(faults)) {
    t.throws(() => split([file]), { name: 'MalformedFile', message }, fault);
  }
  t.type(new MalformedFile('x'), Error);
});
