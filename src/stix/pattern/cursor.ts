/**
 * One-token look-ahead over the scanner, plus the nesting guard shared by both levels of the
 * recursive-descent parser (observation expressions and comparison expressions).
 */
import { clip, fail } from './errors.js';
import { KEYWORDS, Lexer, type Token } from './lexer.js';

/** Most parentheses/brackets open at once; deeper input is rejected, never a stack overflow. */
export const MAX_NESTING = 200;

export class Cursor {
  private readonly lexer: Lexer;
  private depth = 0;
  token: Token;
  /** End offset of the last token consumed by advance(). */
  lastEnd = 0;

  constructor(source: string) {
    this.lexer = new Lexer(source);
    this.token = this.lexer.next();
  }

  /** Returns the current token and moves to the next one. */
  advance(): Token {
    const current = this.token;
    this.lastEnd = current.end;
    this.token = this.lexer.next();
    return current;
  }

  isKeyword(word: string): boolean {
    return this.token.kind === 'keyword' && this.token.text === word;
  }

  /** Called on each '(' or '[' before descending. */
  enter(open: Token): void {
    this.depth++;
    if (this.depth > MAX_NESTING) {
      fail(open.start, `nested too deeply: more than ${MAX_NESTING} parentheses/brackets open at once`);
    }
  }

  leave(): void {
    this.depth--;
  }
}

/** How a token reads in "…, found X" messages. */
export function describe(token: Token): string {
  switch (token.kind) {
    case 'eof':
      return 'the end of the pattern';
    case 'keyword':
      return `keyword ${token.text}`;
    case 'bool':
      return `boolean ${token.text}`;
    case 'string':
      return `string ${clip(token.text)}`;
    case 'int':
      return `integer ${clip(token.text, 20)}`;
    case 'float':
      return `float ${clip(token.text, 20)}`;
    case 'binary':
      return `binary constant ${clip(token.text)}`;
    case 'hex':
      return `hex constant ${clip(token.text)}`;
    case 'timestamp':
      return `timestamp ${token.text}`;
    default:
      return `'${clip(token.text)}'`;
  }
}

/** " (keywords are upper case: AND)" when an identifier is a keyword written in the wrong case. */
export function caseHint(token: Token): string {
  if (token.kind !== 'ident') return '';
  const upper = token.text.toUpperCase();
  return KEYWORDS.has(upper) ? ` (keywords are case-sensitive: write ${upper})` : '';
}

/** "found X" with a case hint. */
export function found(token: Token): string {
  return `found ${describe(token)}${caseHint(token)}`;
}
