/**
 * The structure of MATCHES' regular expression (STIX 2.1 §9.6.1: MATCHES takes a PCRE;
 * src/stix/pattern/pcre.ts): PCRE that JavaScript would refuse is accepted, what no PCRE
 * compiles is refused with its offset.
 */
import t from 'tap';
import { pcreProblem } from '../../src/stix/pattern/pcre.js';
import { parsePattern } from '../../src/stix/pattern/parser.js';

const VALID = [
  'abc', '^a.*b$', '(?i)foo', '(?:a|b)+', 'a++b', 'a*?', 'a{2,}+', '(?>atomic)', '(?P<name>x)(?P=name)', '\\Q(unclosed\\E', '\\Q(to the end',
  '[]a]', '[^]a-z]', '[[:alpha:]]+', 'x{2,3}', 'x{', '{', 'a{,5}', '\\d{1,3}(\\.\\d{1,3}){3}', '(*UTF8)abc', '(?#comment (x)', '^$',
  '[\\]]', '[a\\-z]', '[\\x41-\\x{5A}]', '\\x{41}', '(?<=a)b', '\\\\', 'a|', '()', '[-a]', '[a-]', '^.*\\.(exe|dll)$',
];

const INVALID: ReadonlyArray<readonly [string, number, RegExp]> = [
  ['(unclosed', 0, /group with '\(' that is never closed/],
  ['a(b(c)', 1, /never closed/],
  ['a)', 1, /closes a group/],
  ['[abc', 0, /character class '\[' that is never closed/],
  ['*a', 0, /quantifier '\*' with nothing to repeat/],
  ['a**', 2, /nothing to repeat/],
  ['(|+)', 2, /nothing to repeat/],
  ['x{3,2}', 1, /\{3,2\} whose numbers are out of order/],
  ['abc\\', 3, /lone backslash/],
  ['[z-a]', 1, /range out of order/],
  ['(?#x', 0, /comment/],
];

t.test('PCRE that JavaScript refuses, and ordinary expressions, are accepted', async (t) => {
  for (const re of VALID) t.equal(pcreProblem(re), undefined, re);
});

t.test('what no PCRE compiles is refused, with its offset', async (t) => {
  for (const [re, offset, message] of INVALID) {
    const problem = pcreProblem(re);
    t.equal(problem?.offset, offset, `${re}: offset`);
    t.match(problem?.message, message, `${re}: message`);
  }
});

t.test('a pattern whose MATCHES is not a PCRE does not parse (§9.6.1)', async (t) => {
  const bad = parsePattern("[file:name MATCHES '(unclosed']");
  t.notOk(bad.ok);
  if (!bad.ok) {
    t.equal(bad.error.position, 19, 'at the constant');
    t.match(bad.error.message, /^MATCHES needs a PCRE regular expression: this one opens a group/);
  }
  t.ok(parsePattern("[file:name MATCHES '^(?i)invoice_[0-9]{4}\\\\.exe$']").ok, 'a valid PCRE');
  t.ok(parsePattern("[file:name LIKE '(unclosed%']").ok, 'LIKE is not a regular expression');
});
