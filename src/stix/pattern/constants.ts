/**
 * Constants on the right of a comparison operator (STIX 2.1 §9.2, §9.6.1): which constant types
 * each operator takes, and the set constant of IN.
 */
import type { ComparisonOperator, Constant, ConstantKind, ConstantSet } from './ast.js';
import { type Cursor, describe, found } from './cursor.js';
import { fail } from './errors.js';
import type { Token } from './lexer.js';
import { pcreProblem } from './pcre.js';

/** The current token as a constant, or undefined when it is not one (the token is not consumed). */
function constantOf(t: Token): Constant | undefined {
  const { start, end } = t;
  switch (t.kind) {
    case 'string':
      return { start, end, kind: 'string', value: t.value };
    case 'int':
      return { start, end, kind: 'integer', value: Number(t.text), text: t.text };
    case 'float':
      return { start, end, kind: 'float', value: Number(t.text), text: t.text };
    case 'bool':
      return { start, end, kind: 'boolean', value: t.text === 'true' };
    case 'binary':
      return { start, end, kind: 'binary', value: t.value };
    case 'hex':
      return { start, end, kind: 'hex', value: t.value };
    case 'timestamp':
      return { start, end, kind: 'timestamp', value: t.value };
    default:
      return undefined;
  }
}

const TYPE_NAMES: Readonly<Record<ConstantKind, string>> = {
  string: 'a string',
  integer: 'an integer',
  float: 'a float',
  boolean: 'a boolean',
  binary: 'a binary',
  hex: 'a hex',
  timestamp: 'a timestamp',
};

/** Set members must be of one type; integers and floats are both numbers. */
function family(kind: ConstantKind): string {
  return kind === 'integer' || kind === 'float' ? 'number' : kind;
}

function parseSet(c: Cursor): ConstantSet {
  const open = c.token;
  if (open.kind !== '(') {
    fail(open.start, `IN needs a parenthesized set of constants like ('a', 'b'), ${found(open)}`);
  }
  c.advance();
  const values: Constant[] = [];
  if (c.token.kind !== ')') {
    for (;;) {
      const t = c.token;
      const value = constantOf(t);
      if (value === undefined) fail(t.start, `expected a constant in the set opened at ${open.start}, ${found(t)}`);
      const first = values[0];
      if (first !== undefined && family(first.kind) !== family(value.kind)) {
        fail(t.start, `set constants must all have the same type: ${describe(t)} after ${TYPE_NAMES[first.kind]} (§9.6.1 IN)`);
      }
      values.push(value);
      c.advance();
      const separator = c.token;
      if (separator.kind === ')') break;
      if (separator.kind !== ',') {
        fail(separator.start, `expected ',' or ')' to close the set opened at ${open.start}, ${found(separator)}`);
      }
      c.advance();
    }
  }
  c.advance();
  return { kind: 'set', start: open.start, end: c.lastEnd, values };
}

/** Reads the constant (or set) an operator compares with and checks its type against the operator. */
export function parseOperand(c: Cursor, operator: ComparisonOperator, opToken: Token): Constant | ConstantSet {
  if (operator === 'IN') return parseSet(c);
  const t = c.token;
  const value = constantOf(t);
  if (value === undefined) {
    const hint = t.kind === 'ident' ? " (string constants are quoted: 'like this')" : '';
    fail(t.start, `expected a constant after ${opToken.text} at ${opToken.start}, ${found(t)}${hint}`);
  }
  switch (operator) {
    case '=':
    case '!=':
      break;
    case '<':
    case '<=':
    case '>':
    case '>=':
      if (value.kind === 'boolean') fail(t.start, `'${operator}' cannot order booleans; use = or !=`);
      break;
    default:
      if (value.kind !== 'string') fail(t.start, `${operator} needs a string constant, ${found(t)}`);
      if (operator === 'MATCHES') {
        const problem = pcreProblem(value.value);
        // The offset is into the regular expression as decoded; the constant's quote comes first.
        if (problem !== undefined) fail(t.start, `MATCHES needs a PCRE regular expression: this one ${problem.message} (at offset ${problem.offset} of the expression; §9.6.1)`);
      }
  }
  c.advance();
  return value;
}
