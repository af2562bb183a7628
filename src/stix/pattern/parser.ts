/**
 * Recursive-descent parser for STIX 2.1 patterns (spec section 9 "STIX Patterning"; digest §19,
 * SR9). Grammar implemented (keywords are upper case and case-sensitive):
 *
 *   pattern       := followedBy EOF
 *   followedBy    := obsOr ( FOLLOWEDBY obsOr )*
 *   obsOr         := obsAnd ( OR obsAnd )*
 *   obsAnd        := qualified ( AND qualified )*
 *   qualified     := primary qualifier*            -- at most one of each kind (§9.5.1)
 *   primary       := '[' comparisonOr ']' | '(' followedBy ')'
 *   qualifier     := WITHIN <positive int|float> SECONDS
 *                  | REPEATS <positive int> TIMES
 *                  | START t'…' STOP t'…'
 *   (comparisonOr: see comparison.ts; object paths: object-path.ts; constants: constants.ts)
 *
 * Precedence (§9.5.3 "Operator Precedence", highest first): parentheses, AND, OR, FOLLOWEDBY;
 * all left-associative. Between observation expressions AND binds tighter than OR, which binds
 * tighter than FOLLOWEDBY; inside brackets AND binds tighter than OR (§9.5). Qualifiers are not
 * greedy: they apply to the single observation expression or parenthesized group just before
 * them (§9.5.2: `[b] FOLLOWEDBY [c] REPEATS 5 TIMES` repeats only c).
 *
 * Linear time: a charCodeAt scanner and one token of look-ahead, no backtracking. Nesting of
 * '(' and '[' is capped at MAX_NESTING and the input at MAX_PATTERN_LENGTH; parsePattern never
 * throws.
 */
import type { ObservationNode, PatternNode, Qualifier, QualifiedObservation } from './ast.js';
import { parseComparisonOr } from './comparison.js';
import { Cursor, found } from './cursor.js';
import { type PatternError, PatternSyntaxError, fail } from './errors.js';
import type { Token } from './lexer.js';

export type * from './ast.js';
export type { PatternError } from './errors.js';
export { objectPaths } from './paths.js';
export { MAX_NESTING } from './cursor.js';

/** Patterns of this many UTF-16 code units or more are rejected unparsed. */
export const MAX_PATTERN_LENGTH = 1024 * 1024;

export type PatternResult = { readonly ok: true; readonly ast: PatternNode } | { readonly ok: false; readonly error: PatternError };

const QUALIFIER_BITS: Readonly<Record<string, number>> = { WITHIN: 1, REPEATS: 2, START: 4 };

function chain(c: Cursor, operator: 'AND' | 'OR' | 'FOLLOWEDBY', operand: (c: Cursor) => ObservationNode): ObservationNode {
  const first = operand(c);
  if (!c.isKeyword(operator)) return first;
  const operands: ObservationNode[] = [first];
  while (c.isKeyword(operator)) {
    c.advance();
    operands.push(operand(c));
  }
  return { kind: 'observation-operation', operator, operands, start: first.start, end: c.lastEnd };
}

function parseFollowedBy(c: Cursor): ObservationNode {
  return chain(c, 'FOLLOWEDBY', parseObservationOr);
}

function parseObservationOr(c: Cursor): ObservationNode {
  return chain(c, 'OR', parseObservationAnd);
}

function parseObservationAnd(c: Cursor): ObservationNode {
  return chain(c, 'AND', parseQualified);
}

function parsePrimary(c: Cursor): ObservationNode {
  const open = c.token;
  if (open.kind === '[') {
    c.enter(open);
    c.advance();
    const first = c.token;
    if (first.kind === ']') fail(first.start, "empty observation expression: expected a comparison expression such as file:name = 'x'");
    const comparison = parseComparisonOr(c);
    if (c.token.kind !== ']') {
      fail(c.token.start, `expected ']' to close the observation expression opened at ${open.start} (or AND, OR), ${found(c.token)}`);
    }
    c.advance();
    c.leave();
    return { kind: 'observation', comparison, start: open.start, end: c.lastEnd };
  }
  if (open.kind === '(') {
    c.enter(open);
    c.advance();
    const inner = parseFollowedBy(c);
    if (c.token.kind !== ')') {
      fail(
        c.token.start,
        `expected ')' to close the parenthesis opened at ${open.start} (or AND, OR, FOLLOWEDBY, a qualifier), ${found(c.token)}`,
      );
    }
    c.advance();
    c.leave();
    return inner;
  }
  const hint = open.kind === 'ident' ? ' (comparison expressions must be enclosed in square brackets)' : '';
  fail(open.start, `expected '[' to start an observation expression (or '(' to group), ${found(open)}${hint}`);
}

function positiveNumber(t: Token, integerOnly: boolean): number | undefined {
  if (t.kind !== 'int' && (integerOnly || t.kind !== 'float')) return undefined;
  const value = Number(t.text);
  return value > 0 && Number.isFinite(value) ? value : undefined;
}

function expectKeyword(c: Cursor, word: string, after: string): void {
  if (!c.isKeyword(word)) {
    const hint = word === 'SECONDS' && c.token.kind === 'ident' ? ' (only SECONDS is supported)' : '';
    fail(c.token.start, `expected ${word} after ${after}, ${found(c.token)}${hint}`);
  }
  c.advance();
}

function parseQualifier(c: Cursor, keyword: Token): Qualifier {
  c.advance();
  const t = c.token;
  if (keyword.text === 'WITHIN') {
    const seconds = positiveNumber(t, false);
    if (seconds === undefined) fail(t.start, `WITHIN needs a positive number of seconds, ${found(t)}`);
    c.advance();
    expectKeyword(c, 'SECONDS', `WITHIN ${t.text}`);
    return { kind: 'within', seconds, text: t.text };
  }
  if (keyword.text === 'REPEATS') {
    const times = positiveNumber(t, true);
    if (times === undefined) fail(t.start, `REPEATS needs a positive integer, ${found(t)}`);
    c.advance();
    expectKeyword(c, 'TIMES', `REPEATS ${t.text}`);
    return { kind: 'repeats', times };
  }
  if (t.kind !== 'timestamp') fail(t.start, `START needs a timestamp constant like t'2016-01-01T00:00:00Z', ${found(t)}`);
  c.advance();
  expectKeyword(c, 'STOP', `START ${t.text}`);
  const stop = c.token;
  if (stop.kind !== 'timestamp') fail(stop.start, `STOP needs a timestamp constant like t'2016-01-01T00:00:00Z', ${found(stop)}`);
  c.advance();
  return { kind: 'start-stop', startTime: t.value, stopTime: stop.value };
}

function parseQualified(c: Cursor): ObservationNode {
  const start = c.token.start;
  let node = parsePrimary(c);
  let seen = 0;
  for (;;) {
    const keyword = c.token;
    const bit = keyword.kind === 'keyword' ? QUALIFIER_BITS[keyword.text] : undefined;
    if (bit === undefined) return node;
    if ((seen & bit) !== 0) {
      const name = keyword.text === 'START' ? 'START/STOP' : keyword.text;
      fail(keyword.start, `an observation expression may have only one ${name} qualifier (§9.5.1); group with ( ) to apply another`);
    }
    seen |= bit;
    const qualifier = parseQualifier(c, keyword);
    const qualified: QualifiedObservation = { kind: 'qualified', expression: node, qualifier, start, end: c.lastEnd };
    node = qualified;
  }
}

function parseRoot(pattern: string): PatternNode {
  const c = new Cursor(pattern);
  if (c.token.kind === 'eof') fail(0, 'pattern is empty');
  const ast = parseFollowedBy(c);
  const t = c.token;
  if (t.kind === 'eof') return ast;
  if (t.kind === ')') fail(t.start, "unexpected ')': no parenthesis is open");
  if (t.kind === ']') fail(t.start, "unexpected ']': no observation expression is open");
  if (t.kind === 'keyword' && t.text === 'STOP') fail(t.start, "STOP must follow START t'…'");
  fail(t.start, `expected AND, OR, FOLLOWEDBY, a qualifier (WITHIN, REPEATS, START) or the end of the pattern, ${found(t)}`);
}

/** Parses a STIX 2.1 pattern; never throws. */
export function parsePattern(pattern: string): PatternResult {
  if (typeof pattern !== 'string') return { ok: false, error: { position: 0, message: 'pattern must be a string' } };
  if (pattern.length >= MAX_PATTERN_LENGTH) {
    const message = `pattern is too long: ${pattern.length} characters (patterns must be shorter than ${MAX_PATTERN_LENGTH})`;
    return { ok: false, error: { position: MAX_PATTERN_LENGTH - 1, message } };
  }
  try {
    return { ok: true, ast: parseRoot(pattern) };
  } catch (err) {
    if (err instanceof PatternSyntaxError) return { ok: false, error: { position: err.position, message: err.message } };
    // Not expected: the nesting cap prevents stack overflows. Still a result, never a throw.
    return { ok: false, error: { position: 0, message: `internal error while parsing the pattern: ${String(err)}` } };
  }
}
