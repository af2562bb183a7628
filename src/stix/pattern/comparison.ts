/**
 * Comparison expressions, the inside of `[ … ]` (STIX 2.1 §9.6):
 *
 *   comparisonOr   := comparisonAnd ( OR comparisonAnd )*
 *   comparisonAnd  := comparisonTest ( AND comparisonTest )*
 *   comparisonTest := '(' comparisonOr ')'
 *                   | EXISTS objectPath
 *                   | objectPath [NOT] operator constant
 *
 * AND binds tighter than OR (§9.5 "As AND has higher precedence than OR", §9.5.3); both are
 * left-associative.
 */
import type { BooleanExpression, ComparisonExpression, ComparisonOperator } from './ast.js';
import { parseOperand } from './constants.js';
import { type Cursor, found } from './cursor.js';
import { fail } from './errors.js';
import type { Token } from './lexer.js';
import { parseObjectPath } from './object-path.js';

const KEYWORD_OPERATORS: ReadonlySet<string> = new Set(['IN', 'LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET']);

const OPERATOR_LIST = '=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET or ISSUPERSET';

function chain(
  c: Cursor,
  operator: 'AND' | 'OR',
  operand: (c: Cursor) => ComparisonExpression,
): ComparisonExpression {
  const first = operand(c);
  if (!c.isKeyword(operator)) return first;
  const operands: ComparisonExpression[] = [first];
  while (c.isKeyword(operator)) {
    c.advance();
    operands.push(operand(c));
  }
  const node: BooleanExpression = { kind: 'boolean', operator, operands, start: first.start, end: c.lastEnd };
  return node;
}

/** The comparison expression inside an observation expression; stops before ']' or ')'. */
export function parseComparisonOr(c: Cursor): ComparisonExpression {
  return chain(c, 'OR', parseComparisonAnd);
}

function parseComparisonAnd(c: Cursor): ComparisonExpression {
  return chain(c, 'AND', parseComparisonTest);
}

function parseGroup(c: Cursor, open: Token): ComparisonExpression {
  c.enter(open);
  c.advance();
  const inner = parseComparisonOr(c);
  if (c.token.kind !== ')') {
    fail(c.token.start, `expected ')' to close the parenthesis opened at ${open.start} (or AND, OR), ${found(c.token)}`);
  }
  c.advance();
  c.leave();
  return inner;
}

function comparisonOperator(c: Cursor, pathText: string): { operator: ComparisonOperator; token: Token } {
  const t = c.token;
  if (t.kind === 'op' || (t.kind === 'keyword' && KEYWORD_OPERATORS.has(t.text))) {
    c.advance();
    return { operator: t.text as ComparisonOperator, token: t };
  }
  if (t.kind === 'keyword' && t.text === 'EXISTS') {
    fail(t.start, `EXISTS goes before the object path: EXISTS ${pathText}`);
  }
  if (t.kind === 'keyword' && t.text === 'NOT') fail(t.start, 'NOT may appear only once before an operator');
  fail(t.start, `expected a comparison operator (${OPERATOR_LIST}) after ${pathText}, ${found(t)}`);
}

function parseComparisonTest(c: Cursor): ComparisonExpression {
  const t = c.token;
  if (t.kind === '(') return parseGroup(c, t);
  if (t.kind === 'keyword' && t.text === 'EXISTS') {
    c.advance();
    if (c.isKeyword('NOT')) fail(c.token.start, 'NOT cannot be combined with EXISTS');
    const path = parseObjectPath(c);
    return { kind: 'exists', path, start: t.start, end: path.end };
  }
  if (t.kind === 'keyword' && t.text === 'NOT') {
    fail(t.start, "NOT goes between the object path and the operator, e.g. file:name NOT = 'x'");
  }
  if (t.kind !== 'ident') {
    fail(t.start, `expected a comparison expression (an object path such as file:name, EXISTS or '('), ${found(t)}`);
  }
  const path = parseObjectPath(c);
  let negated = false;
  if (c.isKeyword('NOT')) {
    negated = true;
    c.advance();
  }
  const { operator, token } = comparisonOperator(c, path.text);
  const value = parseOperand(c, operator, token);
  return { kind: 'comparison', path, operator, negated, value, start: path.start, end: value.end };
}
