/**
 * STIX 2.1 pattern parser (spec §9 "STIX Patterning"; digest §19, SR9): valid patterns from the
 * spec and from the shared data, invalid patterns with error positions and messages, precedence,
 * hostile input and fuzzing (parsePattern never throws).
 */
import t, { type Test } from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MAX_NESTING,
  MAX_PATTERN_LENGTH,
  objectPaths,
  parsePattern,
  type ComparisonExpression,
  type Constant,
  type ConstantSet,
  type ObservationNode,
  type PatternNode,
} from '../../src/stix/pattern/parser.js';

const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data');

/** Parses and fails the test with the error when the pattern is rejected. */
function parseOk(t: Test, pattern: string): PatternNode | undefined {
  const result = parsePattern(pattern);
  if (result.ok) return result.ast;
  t.fail(`rejected ${JSON.stringify(pattern)}: at ${result.error.position}: ${result.error.message}`);
  return undefined;
}

// ---- a compact rendering of the AST, to assert structure and precedence ----

function renderConstant(value: Constant | ConstantSet): string {
  switch (value.kind) {
    case 'set':
      return `(${value.values.map(renderConstant).join(', ')})`;
    case 'string':
      return JSON.stringify(value.value);
    case 'integer':
    case 'float':
      return `${value.kind}:${value.value}`;
    case 'boolean':
      return String(value.value);
    case 'binary':
      return `b:${value.value}`;
    case 'hex':
      return `h:${value.value}`;
    case 'timestamp':
      return `t:${value.value}`;
  }
}

function renderComparison(node: ComparisonExpression): string {
  switch (node.kind) {
    case 'boolean':
      return `(${node.operands.map(renderComparison).join(` ${node.operator} `)})`;
    case 'exists':
      return `EXISTS ${node.path.text}`;
    case 'comparison':
      return `${node.path.text} ${node.negated ? 'NOT ' : ''}${node.operator} ${renderConstant(node.value)}`;
  }
}

function render(node: ObservationNode): string {
  switch (node.kind) {
    case 'observation':
      return `[${renderComparison(node.comparison)}]`;
    case 'observation-operation':
      return `(${node.operands.map(render).join(` ${node.operator} `)})`;
    case 'qualified': {
      const q = node.qualifier;
      const text =
        q.kind === 'within' ? `WITHIN ${q.seconds}` : q.kind === 'repeats' ? `REPEATS ${q.times}` : `START ${q.startTime} STOP ${q.stopTime}`;
      return `{${render(node.expression)} ${text}}`;
    }
  }
}

function shape(t: Test, pattern: string): string | undefined {
  const ast = parseOk(t, pattern);
  return ast === undefined ? undefined : render(ast);
}

// ---- valid patterns ----

const SHA256 = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f';

/** [pattern, what it covers]; String.raw keeps pattern backslashes as written in the spec. */
const VALID: ReadonlyArray<readonly [string, string]> = [
  // §9.8 examples
  [`[file:hashes.'SHA-256' = '${SHA256}']`, 'quoted path component'],
  [String.raw`[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`, 'MATCHES, [*], _ref dereference, \\\\ escapes'],
  [`[file:hashes.'SHA-256' = '${SHA256}' AND file:mime_type = 'application/x-pdf']`, 'AND inside brackets'],
  [`[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']\nAND [file:hashes.'SHA-256' = '${SHA256}']`, 'observation AND across a line feed'],
  [String.raw`([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) WITHIN 300 SECONDS`, 'FOLLOWEDBY, WITHIN on a group'],
  ["[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1009' AND user-account:account_login = 'Mary']", 'three observations'],
  [String.raw`[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\xd4\\xc3\\xb2\\xa1\\x02\\x00\\x04\\x00']`, 'binary property MATCHES'],
  [String.raw`[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\Windows\\System32']`, 'escaped backslashes'],
  ["[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]", 'extension path, float, >'],
  ["[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']", 'hex constant'],
  ["[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33/32']", 'dereference'],
  ["[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS", 'two qualifiers'],
  ["[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']", 'list of refs'],
  ["[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']", 'OR inside brackets'],
  ["[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']", 'type name with digits'],
  ["[(file:name = 'pdf.exe' OR file:size = 371712) AND file:created = t'2014-01-13T07:03:17Z']", 'parentheses, integer, timestamp'],
  ["[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = 'Conference Info']", 'email'],
  ["[x-usb-device:usbdrive.serial_number = '575833314133343231313937']", 'custom object type'],
  ["[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES'^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS", 'no space between MATCHES and the string'],
  ["[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']", 'ISSUBSET'],
  [String.raw`([file:name = 'foo.dll'] AND [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) OR [process:image_ref.name = 'fooproc' OR process:image_ref.name = 'procfoo']`, 'group OR observation'],
  // §9.3 / §9.5 / §9.6.1 examples
  ["[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] REPEATS 5 TIMES", 'REPEATS'],
  ["([ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32'] FOLLOWEDBY [domain-name:value = 'example.com']) WITHIN 600 SECONDS", 'grouped FOLLOWEDBY'],
  ["[file:name = 'foo.dll'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'", 'START/STOP'],
  ["([ipv4-addr:value = '198.51.100.5' ] AND [ipv4-addr:value = '198.51.100.10']) WITHIN 300 SECONDS", 'spaces inside brackets'],
  ['[file:size = 25536]', 'basic'],
  ['[file:size != 4112]', '!='],
  ['[file:size < 1024]', '<'],
  ['[file:size <= 25145]', '<='],
  ['[file:size >= 33312]', '>='],
  ["[process:name IN ('proccy', 'proximus', 'badproc')]", 'IN'],
  [String.raw`[directory:path LIKE 'C:\\Windows\\%\\foo']`, 'LIKE'],
  [String.raw`[directory:path MATCHES '^C:\\\\Windows\\w+$']`, 'MATCHES with four backslashes'],
  ["[ipv4-addr:value ISSUPERSET '198.51.100.0/24']", 'ISSUPERSET'],
  ['[EXISTS windows-registry-key:values]', 'EXISTS'],
  ["[file:hashes.ssdeep = '768:mvAFYk0IOqi7RKW1RD1ZCrm82+AnbaAOdoOKL70ehP:cDIOqctz2rBmbZoa71hP']", 'dictionary key'],
  ["[network-traffic:protocols[0] = 'tcp']", 'list index [0]'],
  // NOT before each kind of operator
  ["[file:name NOT = 'a.exe']", 'NOT ='],
  ["[file:name NOT IN ('a.exe', 'b.exe')]", 'NOT IN'],
  ["[file:name NOT LIKE '%.exe']", 'NOT LIKE'],
  ["[file:name NOT MATCHES '^x']", 'NOT MATCHES'],
  ["[ipv4-addr:value NOT ISSUBSET '10.0.0.0/8']", 'NOT ISSUBSET'],
  ['[file:size NOT < 10 AND file:size NOT >= 100 AND file:size NOT != 5]', 'NOT with order operators'],
  // constants
  ["[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']", 'binary'],
  ["[artifact:payload_bin = b'AB\nI=']", 'binary with a line feed (ignored, §9.2)'],
  ["[artifact:payload_bin = b'ABCD' OR artifact:payload_bin = b'AA==' OR artifact:payload_bin = h'']", 'padding, empty hex'],
  ['[x-foo:flag = true] OR [x-foo:flag = false]', 'booleans'],
  ['[x-foo:n = -1 OR x-foo:n = 0 OR x-foo:f = -1.5 OR x-foo:f = .5 OR x-foo:f = -.25 OR x-foo:f = 0.0]', 'signed integers and floats'],
  [String.raw`[file:name = 'it\'s a \\ and a "quote"']`, "escapes \\' and \\\\"],
  ["[file:created = t'2016-12-31T23:59:60.123456Z' OR file:created = t'2000-02-29T00:00:00.1Z']", 'leap second, fraction, leap day'],
  ['[x-foo:n IN (1, 2.5, -3)] AND [x-foo:s IN ()]', 'numeric set mixes integers and floats; empty set'],
  ["[file:'name' = 'x' AND file:hashes.'a.b' = 'y' AND file:'it\\'s'.b = 'z']", 'quoted components, escaped quote in a name'],
  ["[process:environment_variables[*].PROXY = '1' AND process:child_refs[*].pid = 4567]", 'upper-case dictionary key'],
  ['((([a:b = 1])))', 'nested observation parentheses'],
  ['[((a:b = 1) AND ((a:c = 2)))]', 'nested comparison parentheses'],
  ['[a:b = 1]AND[c:d = 2]OR[e:f = 3]FOLLOWEDBY[g:h = 4]', 'no whitespace around keywords'],
  ['\t[a:b\u00a0=\u30001]\r\n  WITHIN\u2003 0.5 SECONDS  ', 'Unicode whitespace (WSpace=Y), fractional WITHIN'],
  ['([a:b = 1] WITHIN 5 SECONDS) WITHIN 10 SECONDS', 'the same qualifier again on an enclosing group'],
  ["[a:b = 1] START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z' REPEATS 2 TIMES WITHIN 3 SECONDS", 'all three qualifiers'],
];

t.test(`valid patterns parse: every construct of §9 (SR9, digest §19), ${VALID.length} patterns`, async (t) => {
  t.ok(VALID.length >= 40, 'at least 40 valid patterns');
  for (const [pattern, note] of VALID) {
    const result = parsePattern(pattern);
    t.ok(result.ok, `${note}: ${pattern}`);
    if (!result.ok) t.comment(`at ${result.error.position}: ${result.error.message}`);
  }
});

// ---- structure and precedence (§9.5, §9.5.2, §9.5.3) ----

t.test('precedence between observations: AND > OR > FOLLOWEDBY, left to right (§9.5.3, SR9)', async (t) => {
  t.equal(shape(t, '[a:x = 1] OR [b:x = 2] AND [c:x = 3]'), '([a:x = integer:1] OR ([b:x = integer:2] AND [c:x = integer:3]))');
  t.equal(shape(t, '[a:x = 1] AND [b:x = 2] OR [c:x = 3]'), '(([a:x = integer:1] AND [b:x = integer:2]) OR [c:x = integer:3])');
  t.equal(
    shape(t, '[a:x = 1] FOLLOWEDBY [b:x = 2] OR [c:x = 3] AND [d:x = 4]'),
    '([a:x = integer:1] FOLLOWEDBY ([b:x = integer:2] OR ([c:x = integer:3] AND [d:x = integer:4])))',
  );
  t.equal(shape(t, '[a:x = 1] AND [b:x = 2] FOLLOWEDBY [c:x = 3]'), '(([a:x = integer:1] AND [b:x = integer:2]) FOLLOWEDBY [c:x = integer:3])');
  t.equal(shape(t, '[a:x = 1] FOLLOWEDBY [b:x = 2] FOLLOWEDBY [c:x = 3]'), '([a:x = integer:1] FOLLOWEDBY [b:x = integer:2] FOLLOWEDBY [c:x = integer:3])');
  t.equal(shape(t, '([a:x = 1] FOLLOWEDBY [b:x = 2]) OR [c:x = 3]'), '(([a:x = integer:1] FOLLOWEDBY [b:x = integer:2]) OR [c:x = integer:3])');
});

t.test('precedence inside brackets: AND binds tighter than OR; parentheses override (§9.5, §9.6)', async (t) => {
  t.equal(shape(t, '[a:j = 1 AND a:k = 2 OR a:l = 3]'), '[((a:j = integer:1 AND a:k = integer:2) OR a:l = integer:3)]');
  t.equal(shape(t, '[a:j = 1 OR a:k = 2 AND a:l = 3]'), '[(a:j = integer:1 OR (a:k = integer:2 AND a:l = integer:3))]');
  t.equal(shape(t, '[a:j = 1 AND (a:k = 2 OR a:l = 3)]'), '[(a:j = integer:1 AND (a:k = integer:2 OR a:l = integer:3))]');
  t.equal(shape(t, '[a:j = 1 AND a:k = 2 AND a:l = 3]'), '[(a:j = integer:1 AND a:k = integer:2 AND a:l = integer:3)]');
});

t.test('qualifiers apply to the expression just before them, not greedily (§9.5.1, §9.5.2)', async (t) => {
  t.equal(shape(t, "[a:b = 'b'] FOLLOWEDBY [c:d = 'd'] REPEATS 5 TIMES"), '([a:b = "b"] FOLLOWEDBY {[c:d = "d"] REPEATS 5})');
  t.equal(shape(t, "([a:b = 'b'] FOLLOWEDBY [c:d = 'd']) REPEATS 5 TIMES"), '{([a:b = "b"] FOLLOWEDBY [c:d = "d"]) REPEATS 5}');
  t.equal(shape(t, '[a:b = 1] REPEATS 5 TIMES WITHIN 1800 SECONDS'), '{{[a:b = integer:1] REPEATS 5} WITHIN 1800}');
  t.equal(
    shape(t, "[a:b = 1] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00.5Z'"),
    '{[a:b = integer:1] START 2016-06-01T00:00:00Z STOP 2016-07-01T00:00:00.5Z}',
  );
  t.equal(shape(t, '[a:b = 1] WITHIN 2.5 SECONDS'), '{[a:b = integer:1] WITHIN 2.5}');
});

t.test('constants are decoded (§9.2)', async (t) => {
  t.equal(shape(t, String.raw`[a:b = 'it\'s \\ here']`), String.raw`[a:b = "it's \\ here"]`, 'string escapes');
  t.equal(shape(t, "[a:b = b'AB\nI=']"), '[a:b = b:ABI=]', 'line feeds in base64 dropped');
  t.equal(shape(t, "[a:b NOT IN ('x', 'y')]"), '[a:b NOT IN ("x", "y")]', 'NOT and a set');
  t.equal(shape(t, "[a:b = h'0a1f' OR a:c = -7 OR a:d = -0.5 OR a:e = false]"), '[(a:b = h:0a1f OR a:c = integer:-7 OR a:d = float:-0.5 OR a:e = false)]');
  t.equal(shape(t, '[a:b = 9007199254740991 OR a:b = -9007199254740991]'), '[(a:b = integer:9007199254740991 OR a:b = integer:-9007199254740991)]', 'S10 bounds');
  const ast = parseOk(t, "[file:name = 'x']");
  if (ast?.kind === 'observation' && ast.comparison.kind === 'comparison') {
    t.same({ start: ast.start, end: ast.end }, { start: 0, end: 17 }, 'observation span');
    t.same({ start: ast.comparison.value.start, end: ast.comparison.value.end }, { start: 13, end: 16 }, 'constant span');
    t.same(ast.comparison.path.steps, [{ kind: 'property', name: 'name' }]);
  } else {
    t.fail('unexpected AST shape');
  }
});

t.test('objectPaths: canonical text, each path once, in order (§9.7)', async (t) => {
  const ast = parseOk(
    t,
    "[file:hashes.'SHA-256' = 'x' OR file:hashes.'MD5' = 'y'] AND [ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY " +
      "([file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0 OR EXISTS x-foo:a[0].'b.c'.'AND'] " +
      "WITHIN 5 SECONDS) OR [file:hashes . MD5 = 'z' OR x-foo:'it\\'s' = 1]",
  );
  if (ast === undefined) return;
  t.same(objectPaths(ast), [
    "file:hashes.'SHA-256'",
    'file:hashes.MD5',
    'ipv4-addr:value',
    "file:extensions.'windows-pebinary-ext'.sections[*].entropy",
    "x-foo:a[0].'b.c'.'AND'",
    "x-foo:'it\\'s'",
  ]);
});

// ---- the shared data: every STIX indicator pattern ----

interface FoundPattern {
  readonly file: string;
  readonly pattern: string;
}

function collectIndicators(value: unknown, file: string, out: FoundPattern[]): void {
  if (Array.isArray(value)) {
    for (const item of value) collectIndicators(item, file, out);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const record = value as Record<string, unknown>;
  if (record.type === 'indicator' && record.pattern_type === 'stix' && typeof record.pattern === 'string') {
    out.push({ file, pattern: record.pattern });
  }
  for (const child of Object.values(record)) collectIndicators(child, file, out);
}

function jsonFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...jsonFiles(full));
    else if (entry.name.endsWith('.json')) files.push(full);
  }
  return files.sort();
}

/**
 * Patterns in shared/data that are really invalid, with the reason. None: all 107 indicator
 * patterns (88 distinct) of the bundles and objects parse, and none joins different root object
 * types with AND inside one observation expression (§9.5).
 */
const KNOWN_INVALID: ReadonlyMap<string, string> = new Map();

t.test('every indicator pattern (pattern_type stix) in shared/data parses (SR9, digest §19)', async (t) => {
  const found: FoundPattern[] = [];
  for (const sub of ['bundles', 'objects']) {
    const dir = path.join(DATA, sub);
    if (!existsSync(dir)) continue;
    for (const file of jsonFiles(dir)) {
      collectIndicators(JSON.parse(readFileSync(file, 'utf8')), path.relative(DATA, file), found);
    }
  }
  if (found.length === 0) {
    t.fail(`no STIX indicators found under ${DATA} (shared/data beside the repository)`);
    return;
  }
  t.ok(found.length >= 100, `${found.length} indicator patterns found`);
  for (const { file, pattern } of found) {
    const result = parsePattern(pattern);
    const reason = KNOWN_INVALID.get(pattern);
    if (reason !== undefined) {
      t.notOk(result.ok, `${file}: known invalid (${reason})`);
      continue;
    }
    t.ok(result.ok, `${file}: ${pattern.slice(0, 100)}`);
    if (!result.ok) t.comment(`at ${result.error.position}: ${result.error.message}`);
    else t.ok(objectPaths(result.ast).length > 0, `${file}: object paths listed`);
  }
});

// ---- invalid patterns: position and message ----

/** [pattern, expected 0-based error position, message regexp]. */
const INVALID: ReadonlyArray<readonly [string, number, RegExp]> = [
  ['', 0, /pattern is empty/],
  ["[file:created = t'2016-12-31T12:00:60Z']", 35, /a leap second \(60\) comes only at 23:59:60, the end of a UTC day \(RFC 3339 §5\.7\)/],
  ["[file:name MATCHES 'a**']", 19, /^MATCHES needs a PCRE regular expression: this one has a quantifier '\*' with nothing to repeat \(at offset 2/],
  ["ipv4-addr:value = '1.2.3.4'", 0, /expected '\[' to start an observation expression.*square brackets/],
  ["[ipv4-addr:value = '1.2.3.4'", 28, /expected '\]' to close the observation expression opened at 0.*found the end of the pattern/],
  ["[ipv4-addr:value == '1.2.3.4']", 17, /unknown comparison operator '=='/],
  ['[file:size <> 5]', 11, /unknown comparison operator '<>' \(use '!='\)/],
  ["[ipv4-addr:value = '1.2.3.4]", 19, /string literal not terminated/],
  [String.raw`[file:name = 'a\nb']`, 15, /invalid escape sequence \\n in string literal/],
  ["[file:name = 'a' and file:size = 5]", 17, /expected '\]' to close the observation expression opened at 0 \(or AND, OR\), found 'and' \(keywords are case-sensitive: write AND\)/],
  ["[file:name = 'a'] followedby [file:size = 5]", 18, /found 'followedby' \(keywords are case-sensitive: write FOLLOWEDBY\)/],
  ['[]', 1, /empty observation expression/],
  ['[file:name]', 10, /expected a comparison operator \(=, !=.*\) after file:name, found '\]'/],
  ["[file: = 'a']", 7, /expected a property name after 'file:'/],
  ["[file.name = 'a']", 5, /expected ':' after object type 'file'/],
  ["[file:hashes.SHA-256 = 'a']", 13, /property name 'SHA-256' contains '-': quote it/],
  ['[a:AND = 1]', 3, /property name 'AND' is a reserved word/],
  ['[file:size = 007]', 13, /leading zero/],
  ['[file:size = 1.5e3]', 16, /exponents are not supported/],
  ['[file:size = 5.]', 14, /cannot end with '\.'/],
  ['[file:size = +5]', 13, /without '\+'/],
  ['[file:size = 9007199254740992]', 13, /out of range.*S10/],
  ['[file:name = "a"]', 13, /unexpected character '"' \(string constants use single quotes/],
  ["[file:x = h'abc']", 10, /odd number of digits/],
  ["[file:x = h'0g']", 13, /invalid hex digit/],
  ["[file:x = h'FFD8']", 12, /lowercase/],
  ["[file:x = b'abc']", 10, /groups of 4/],
  ["[file:x = b'ab=c']", 15, /'=' padding may only end/],
  ["[file:x = b'a*==']", 13, /invalid base64 character/],
  ["[file:x = t'2016-13-01T00:00:00Z']", 17, /month 13 does not exist/],
  ["[file:x = t'2015-02-29T00:00:00Z']", 20, /day 29 does not exist in 2015-02/],
  ["[file:x = t'2016-01-01T00:00:00+00:00']", 31, /must end with 'Z'/],
  ["[file:x = t'2016-01-01T24:00:00Z']", 23, /hour must be 00-23/],
  ["[file:x = t'2016-01-01T00:00:00.Z']", 32, /'\.' must be followed by fraction digits/],
  ["[file:x = t'2016-01-01']", 10, /YYYY-MM-DDTHH:MM:SS/],
  ['[file:name LIKE 5]', 16, /LIKE needs a string constant, found integer 5/],
  ["[file:name MATCHES h'00']", 19, /MATCHES needs a string constant/],
  ['[file:size > true]', 13, /cannot order booleans/],
  ["[file:name IN 'a']", 14, /IN needs a parenthesized set/],
  ["[file:name IN ('a', 1)]", 20, /same type: integer 1 after a string/],
  ["[file:name IN ('a' 'b')]", 19, /expected ',' or '\)' to close the set opened at 14/],
  ["[file:name IN ('a',)]", 19, /expected a constant in the set opened at 14/],
  ['[a:b = x]', 7, /expected a constant after = at 5, found 'x' \(string constants are quoted/],
  ["[a:b = x'00']", 7, /unknown constant prefix 'x'/],
  ['[a:b = 1] WITHIN 0 SECONDS', 17, /WITHIN needs a positive number of seconds, found integer 0/],
  ['[a:b = 1] WITHIN -5 SECONDS', 17, /WITHIN needs a positive number/],
  ['[a:b = 1] WITHIN 5 MINUTES', 19, /expected SECONDS after WITHIN 5.*only SECONDS/],
  ['[a:b = 1] REPEATS 2.5 TIMES', 18, /REPEATS needs a positive integer, found float 2\.5/],
  ['[a:b = 1] REPEATS 0 TIMES', 18, /REPEATS needs a positive integer/],
  ['[a:b = 1] REPEATS 5', 19, /expected TIMES after REPEATS 5, found the end of the pattern/],
  ["[a:b = 1] START '2016' STOP t'2017-01-01T00:00:00Z'", 16, /START needs a timestamp constant/],
  ["[a:b = 1] START t'2016-01-01T00:00:00Z'", 39, /expected STOP after START/],
  ["[a:b = 1] START t'2016-01-01T00:00:00Z' STOP 5", 45, /STOP needs a timestamp constant/],
  ["[a:b = 1] STOP t'2017-01-01T00:00:00Z'", 10, /STOP must follow START/],
  ['[a:b = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS', 27, /only one WITHIN qualifier/],
  ['[a:b = 1] REPEATS 2 TIMES WITHIN 1 SECONDS REPEATS 3 TIMES', 43, /only one REPEATS qualifier/],
  ['([a:b = 1]', 10, /expected '\)' to close the parenthesis opened at 0/],
  ['[a:b = 1])', 9, /unexpected '\)': no parenthesis is open/],
  ['[a:b = 1]]', 9, /unexpected '\]'/],
  ['[a:b = 1] [c:d = 2]', 10, /expected AND, OR, FOLLOWEDBY, a qualifier .* found '\['/],
  ['[a:b = 1] FOLLOWEDBY', 20, /expected '\[' to start an observation expression.*found the end of the pattern/],
  ['[a:b = 1] AND ([c:d = 2] OR [e:f = 3]', 37, /expected '\)' to close the parenthesis opened at 14/],
  ['[(a:b = 1]', 9, /expected '\)' to close the parenthesis opened at 1/],
  ['[a:b = 1)]', 8, /expected '\]' to close the observation expression opened at 0/],
  ["[a:b = 'x' OR]", 13, /expected a comparison expression .* found '\]'/],
  ['[a:b EXISTS]', 5, /EXISTS goes before the object path: EXISTS a:b/],
  ['[EXISTS NOT a:b]', 8, /NOT cannot be combined with EXISTS/],
  ['[NOT a:b = 1]', 1, /NOT goes between the object path and the operator/],
  ['[a:b NOT NOT = 1]', 9, /NOT may appear only once/],
  ['[a:b[x] = 1]', 5, /expected a list index \(an integer or \*\)/],
  ['[a:b[0 = 1]', 7, /expected '\]' to close the list index opened at 4/],
  ["[a:'' = 1]", 3, /empty property name/],
  ['[a:b = 1 && a:c = 2]', 9, /unexpected character '&' \(use AND \/ OR\)/],
  ['[a:b = - 5]', 7, /unexpected character '-'/],
  ["[a:b = 'a\\", 7, /string literal not terminated/],
  ["[a:b = b'YWJj", 7, /binary constant not terminated/],
];

t.test(`invalid patterns: error position and message (SR9: reject unparsable patterns), ${INVALID.length} patterns`, async (t) => {
  t.ok(INVALID.length >= 30, 'at least 30 invalid patterns');
  for (const [pattern, position, message] of INVALID) {
    const result = parsePattern(pattern);
    if (result.ok) {
      t.fail(`accepted: ${pattern}`);
      continue;
    }
    t.equal(result.error.position, position, `position for ${pattern}`);
    t.match(result.error.message, message, `message for ${pattern}`);
  }
});

// ---- hostile input ----

function timed<T>(fn: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = fn();
  return { value, ms: performance.now() - started };
}

t.test('hostile input: deep nesting and huge strings give an error result quickly (SR9)', async (t) => {
  const cases: ReadonlyArray<readonly [string, string, number, RegExp]> = [
    ['10,000 open parentheses', '('.repeat(10_000), MAX_NESTING, /nested too deeply/],
    ['10,000 balanced parentheses around an observation', `${'('.repeat(10_000)}[a:b = 1]${')'.repeat(10_000)}`, MAX_NESTING, /nested too deeply/],
    ['10,000 nested comparison parentheses', `[${'('.repeat(10_000)}a:b = 1${')'.repeat(10_000)}]`, MAX_NESTING, /nested too deeply/],
    ['10,000 open brackets', '['.repeat(10_000), 1, /expected a comparison expression/],
    ['a 1 MiB string', 'x'.repeat(1024 * 1024), MAX_PATTERN_LENGTH - 1, /too long/],
    ['a 1 MiB pattern', `${'[a:b = 1] OR '.repeat(80_000)}[a:b = 1]`.padEnd(1024 * 1024, ' '), MAX_PATTERN_LENGTH - 1, /too long/],
    ['an unterminated string of almost 1 MiB', `[a:b = '${'x'.repeat(MAX_PATTERN_LENGTH - 100)}`, 7, /not terminated/],
    ['almost 1 MiB of quotes', "'".repeat(MAX_PATTERN_LENGTH - 1), 0, /expected '\['/],
  ];
  for (const [name, input, position, message] of cases) {
    let outcome: { value: ReturnType<typeof parsePattern>; ms: number } | undefined;
    try {
      outcome = timed(() => parsePattern(input));
    } catch (err) {
      t.fail(`${name}: threw ${String(err)}`);
      continue;
    }
    const { value, ms } = outcome;
    t.notOk(value.ok, `${name}: rejected`);
    if (!value.ok) {
      t.equal(value.error.position, position, `${name}: position`);
      t.match(value.error.message, message, `${name}: message`);
    }
    t.ok(ms < 1000, `${name}: ${ms.toFixed(1)} ms`);
  }
  t.equal(parsePattern(`${'('.repeat(MAX_NESTING - 1)}[a:b = 1]${')'.repeat(MAX_NESTING - 1)}`).ok, true, `${MAX_NESTING} levels are allowed`);
  const long = `${'[a:b = 1] OR '.repeat(70_000)}[a:b = 1]`;
  const { value, ms } = timed(() => parsePattern(long));
  t.ok(value.ok, `a ${long.length}-character pattern of 70,001 observations parses`);
  t.ok(ms < 2000, `in ${ms.toFixed(1)} ms`);
  if (value.ok) t.same(objectPaths(value.ast), ['a:b'], 'objectPaths on a long chain');
});

// ---- fuzzing ----

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  '[', ']', '(', ')', ',', '.', ':', '*', '[*]', '[0]', '=', '!=', '<', '<=', '>', '>=', '==', '!', '<>', 'AND', 'OR', 'NOT',
  'FOLLOWEDBY', 'IN', 'LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET', 'EXISTS', 'WITHIN', 'SECONDS', 'REPEATS', 'TIMES', 'START',
  'STOP', 'and', 'true', 'false', 'file:name', 'ipv4-addr:value', "file:hashes.'SHA-256'", 'x-foo:a.b[1]', 'file', 'hashes',
  "'abc'", "'it\\'s'", "'", '\\', "'\\x'", '5', '-1', '0', '007', '1.5', '-.5', '5.', '1e5', '+3', "h'0a'", "h'abc'", "b'AA=='",
  "b'A'", "t'2016-01-01T00:00:00Z'", "t'2016-13-01T00:00:00Z'", "t'", "x'", '"', '&&', '-', '\u00a0', '\n', '\ud800', '😀', '#',
];

function randomPattern(next: () => number): string {
  const count = 1 + Math.floor(next() * 30);
  let out = '';
  for (let i = 0; i < count; i++) {
    out += PIECES[Math.floor(next() * PIECES.length)] ?? '';
    if (next() < 0.6) out += ' ';
  }
  return out;
}

/** A random valid pattern, built from the grammar; a qualifier is only added after parentheses. */
function validPattern(next: () => number, depth = 0): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const comparison = (d: number): string => {
    const r = next();
    if (d < 3 && r < 0.15) return `(${comparison(d + 1)} ${pick(['AND', 'OR'])} ${comparison(d + 1)})`;
    if (d < 3 && r < 0.25) return `${comparison(d + 1)} ${pick(['AND', 'OR'])} ${comparison(d + 1)}`;
    if (r < 0.3) return `EXISTS ${pick(['file:name', 'file:a[*].b'])}`;
    const path = pick(['file:name', 'file:size', "file:hashes.'SHA-256'", "file:extensions.'windows-pebinary-ext'.sections[*].entropy"]);
    const not = next() < 0.2 ? 'NOT ' : '';
    const test = pick(["= 'a'", '!= 5', '< 1.5', ">= t'2016-01-01T00:00:00Z'", "IN ('a', 'b')", "LIKE 'a%'", "MATCHES '^a'", "ISSUBSET '10.0.0.0/8'", "= h'0a'", "= b'AA=='", '= true']);
    return `${path} ${not}${test}`;
  };
  const r = next();
  let expression: string;
  if (depth < 3 && r < 0.3) expression = `(${validPattern(next, depth + 1)})`;
  else if (depth < 3 && r < 0.5) expression = `${validPattern(next, depth + 1)} ${pick(['AND', 'OR', 'FOLLOWEDBY'])} ${validPattern(next, depth + 1)}`;
  else expression = `[${comparison(0)}]`;
  if (next() >= 0.2) return expression;
  return `(${expression})${pick([' WITHIN 5 SECONDS', ' REPEATS 2 TIMES', " START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'"])}`;
}

t.test('fuzz: 2,000 random token strings never throw; results are well formed (SR9)', async (t) => {
  const next = prng(0x5712);
  let accepted = 0;
  let problems = 0;
  for (let i = 0; i < 2000; i++) {
    const input = randomPattern(next);
    try {
      const result = parsePattern(input);
      if (result.ok) {
        accepted++;
        objectPaths(result.ast);
      } else {
        const { position, message } = result.error;
        if (!Number.isInteger(position) || position < 0 || position > input.length || message === '' || message.startsWith('internal')) {
          problems++;
          t.fail(`bad error for ${JSON.stringify(input)}: ${position}: ${message}`);
        }
      }
    } catch (err) {
      problems++;
      t.fail(`threw for ${JSON.stringify(input)}: ${String(err)}`);
    }
  }
  t.equal(problems, 0, `no throws or malformed errors (${accepted} random strings happened to parse)`);
});

t.test('fuzz: 1,000 grammar-generated patterns parse; truncations and deletions never throw (SR9)', async (t) => {
  const next = prng(0xc0ffee);
  let failures = 0;
  for (let i = 0; i < 1000; i++) {
    const pattern = validPattern(next);
    const result = parsePattern(pattern);
    if (!result.ok) {
      failures++;
      t.fail(`rejected ${pattern}: ${result.error.position}: ${result.error.message}`);
    }
    const cut = Math.floor(next() * pattern.length);
    for (const mutated of [pattern.slice(0, cut), pattern.slice(0, cut) + pattern.slice(cut + 1)]) {
      try {
        const r = parsePattern(mutated);
        if (!r.ok && (r.error.position > mutated.length || r.error.message.startsWith('internal'))) {
          failures++;
          t.fail(`bad error for ${JSON.stringify(mutated)}: ${r.error.position}: ${r.error.message}`);
        }
      } catch (err) {
        failures++;
        t.fail(`threw for ${JSON.stringify(mutated)}: ${String(err)}`);
      }
    }
  }
  t.equal(failures, 0, 'all generated patterns parse; no mutation throws');
});

t.test('non-string input returns an error result (never throws)', async (t) => {
  for (const input of [undefined, null, 5, {}, ['[a:b = 1]']]) {
    const result = parsePattern(input as unknown as string);
    t.notOk(result.ok, `${JSON.stringify(input)} rejected`);
  }
});
