/**
 * Hand-written scanner for STIX 2.1 patterns (§9.2 constants, §9.4 whitespace, §9.7 paths).
 * One charCodeAt pass, no regular expressions: every character is looked at a bounded number
 * of times, so scanning is linear in the input length. Lexical errors throw PatternSyntaxError.
 */
import { describeChar, isDigit, isIdentifierPart, isIdentifierStart, isWhitespace } from './chars.js';
import { clip, fail } from './errors.js';
import { checkBase64, checkHex, checkTimestamp } from './literals.js';

export type TokenKind =
  | 'eof'
  | 'ident' // object type or property name; may contain '-' (only valid for object types)
  | 'keyword' // AND, OR, NOT, ... (upper case, case-sensitive)
  | 'bool' // true / false
  | 'string'
  | 'int'
  | 'float'
  | 'binary'
  | 'hex'
  | 'timestamp'
  | 'op' // = != < <= > >=
  | '['
  | ']'
  | '('
  | ')'
  | ','
  | ':'
  | '.'
  | '*';

export interface Token {
  readonly kind: TokenKind;
  /** Offset of the first character. */
  readonly start: number;
  /** Offset just past the last character. */
  readonly end: number;
  /** The source text of the token. */
  readonly text: string;
  /** Decoded value: string contents without quotes/escapes, the content of b'', h'', t''; else the text. */
  readonly value: string;
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  'AND',
  'OR',
  'NOT',
  'FOLLOWEDBY',
  'LIKE',
  'MATCHES',
  'ISSUBSET',
  'ISSUPERSET',
  'EXISTS',
  'IN',
  'START',
  'STOP',
  'SECONDS',
  'TIMES',
  'WITHIN',
  'REPEATS',
]);

const COMPARISON_OPS: ReadonlySet<string> = new Set(['=', '!=', '<', '<=', '>', '>=']);

const OP_HINTS: Readonly<Record<string, string>> = {
  '==': " (use '=')",
  '<>': " (use '!=')",
  '=<': " (use '<=')",
  '=>': " (use '>=')",
  '!': " (use '!=' or NOT before an operator)",
  '=!': " (use '!=')",
};

const PUNCTUATION: Readonly<Record<number, TokenKind>> = {
  0x5b: '[',
  0x5d: ']',
  0x28: '(',
  0x29: ')',
  0x2c: ',',
  0x3a: ':',
  0x2e: '.',
  0x2a: '*',
};

function isOpChar(c: number): boolean {
  return c === 0x3d || c === 0x21 || c === 0x3c || c === 0x3e; // = ! < >
}

function token(kind: TokenKind, start: number, end: number, text: string, value = text): Token {
  return { kind, start, end, text, value };
}

export class Lexer {
  private pos = 0;

  constructor(private readonly src: string) {}

  /** Scans the next token; returns an 'eof' token at the end (repeatedly). */
  next(): Token {
    const src = this.src;
    const len = src.length;
    let i = this.pos;
    while (i < len && isWhitespace(src.charCodeAt(i))) i++;
    if (i >= len) {
      this.pos = len;
      return token('eof', len, len, '');
    }
    const c = src.charCodeAt(i);
    let t: Token;
    if (c === 0x27) t = this.string(i);
    else if (isOpChar(c)) t = this.operator(i);
    else if (isDigit(c)) t = this.number(i);
    else if (c === 0x2d && this.startsNumber(i + 1)) t = this.number(i);
    else if (c === 0x2b && this.startsNumber(i + 1)) fail(i, "positive numbers are written without '+' (§9.2)");
    else if (c === 0x2e && isDigit(src.charCodeAt(i + 1))) t = this.number(i);
    else if (isIdentifierStart(c)) t = this.word(i);
    else {
      const kind = PUNCTUATION[c];
      if (kind === undefined) this.unexpected(i);
      t = token(kind, i, i + 1, src[i] ?? '');
    }
    this.pos = t.end;
    return t;
  }

  private unexpected(i: number): never {
    const c = this.src.charCodeAt(i);
    let hint = '';
    if (c === 0x22) hint = " (string constants use single quotes: 'like this')";
    else if (c === 0x26 || c === 0x7c) hint = ' (use AND / OR)';
    else if (c === 0x2d) hint = " (a '-' sign must be followed by digits)";
    fail(i, `unexpected character ${describeChar(this.src, i)}${hint}`);
  }

  private startsNumber(i: number): boolean {
    const c = this.src.charCodeAt(i);
    return isDigit(c) || (c === 0x2e && isDigit(this.src.charCodeAt(i + 1)));
  }

  /** '…' with the escapes \' and \\ only (§9.2 "string"). */
  private string(start: number): Token {
    const src = this.src;
    const len = src.length;
    let i = start + 1;
    let value = '';
    let chunk = i;
    for (;;) {
      if (i >= len) fail(start, 'string literal not terminated (missing closing \')');
      const c = src.charCodeAt(i);
      if (c === 0x27) break;
      if (c === 0x5c) {
        const e = src.charCodeAt(i + 1);
        if (e !== 0x27 && e !== 0x5c) {
          if (i + 1 >= len) fail(start, 'string literal not terminated (missing closing \')');
          const next = describeChar(src, i + 1);
          const shown = next.startsWith("'") ? `\\${next.slice(1, -1)}` : `\\ followed by ${next}`;
          fail(i, `invalid escape sequence ${shown} in string literal (only \\' and \\\\ are allowed; write a backslash as \\\\)`);
        }
        value += src.slice(chunk, i) + String.fromCharCode(e);
        i += 2;
        chunk = i;
        continue;
      }
      i++;
    }
    value += src.slice(chunk, i);
    return token('string', start, i + 1, src.slice(start, i + 1), value);
  }

  private operator(start: number): Token {
    const src = this.src;
    let i = start;
    while (i < src.length && isOpChar(src.charCodeAt(i))) i++;
    const text = src.slice(start, i);
    if (!COMPARISON_OPS.has(text)) fail(start, `unknown comparison operator '${clip(text, 10)}'${OP_HINTS[text] ?? ''}`);
    return token('op', start, i, text);
  }

  /**
   * Integers: optional '-', no leading zeros, within ±(2^53 − 1). Floats: optional '-', [digits] '.' digits,
   * no exponent. A '+' sign is rejected: §9.2 says positive numbers MUST omit it.
   */
  private number(start: number): Token {
    const src = this.src;
    let i = start;
    let c = src.charCodeAt(i);
    if (c === 0x2d) c = src.charCodeAt(++i);
    const digitsStart = i;
    while (isDigit(src.charCodeAt(i))) i++;
    const intDigits = i - digitsStart;
    let kind: TokenKind = 'int';
    if (src.charCodeAt(i) === 0x2e) {
      if (!isDigit(src.charCodeAt(i + 1))) fail(i, "a number cannot end with '.'; write digits after the decimal point (e.g. 7.0)");
      i++;
      while (isDigit(src.charCodeAt(i))) i++;
      kind = 'float';
    } else if (intDigits > 1 && src.charCodeAt(digitsStart) === 0x30) {
      fail(start, `integer ${clip(src.slice(start, i), 20)} has a leading zero`);
    }
    const after = src.charCodeAt(i);
    if (isIdentifierPart(after) || after === 0x2e) {
      const hint = after === 0x65 || after === 0x45 ? ' (exponents are not supported)' : '';
      fail(i, `unexpected character ${describeChar(src, i)} after number ${clip(src.slice(start, i), 20)}${hint}`);
    }
    const text = src.slice(start, i);
    const value = Number(text);
    if (kind === 'int' && !Number.isSafeInteger(value)) {
      fail(start, `integer ${clip(text, 30)} is out of range: STIX integers lie within ±(2^53 − 1) (S10)`);
    }
    if (!Number.isFinite(value)) fail(start, `float ${clip(text, 30)} is out of range (S6)`);
    return token(kind, start, i, text);
  }

  /** Identifiers, keywords, booleans, and the prefixed constants b'…', h'…', t'…'. */
  private word(start: number): Token {
    const src = this.src;
    if (src.charCodeAt(start + 1) === 0x27) return this.prefixed(start);
    let i = start + 1;
    for (;;) {
      const c = src.charCodeAt(i);
      if (isIdentifierPart(c) || c === 0x2d) i++;
      else break;
    }
    const text = src.slice(start, i);
    if (KEYWORDS.has(text)) return token('keyword', start, i, text);
    if (text === 'true' || text === 'false') return token('bool', start, i, text);
    return token('ident', start, i, text);
  }

  private prefixed(start: number): Token {
    const src = this.src;
    const prefix = src[start] ?? '';
    const names: Readonly<Record<string, TokenKind>> = { b: 'binary', h: 'hex', t: 'timestamp' };
    const kind = names[prefix];
    if (kind === undefined) {
      fail(start, `unknown constant prefix '${prefix}' (constants are '…' strings, b'…' binary, h'…' hex or t'…' timestamps)`);
    }
    const close = src.indexOf("'", start + 2);
    if (close < 0) fail(start, `${kind} constant not terminated (missing closing ')`);
    const content = src.slice(start + 2, close);
    const problem = kind === 'binary' ? checkBase64(content) : kind === 'hex' ? checkHex(content) : checkTimestamp(content);
    if (problem !== undefined) {
      const position = problem.offset === undefined ? start : start + 2 + problem.offset;
      fail(position, `${problem.message}: ${clip(src.slice(start, close + 1), 60)}`);
    }
    const value = kind === 'binary' ? content.replace(/[\r\n]/g, '') : content;
    return token(kind, start, close + 1, src.slice(start, close + 1), value);
  }
}
