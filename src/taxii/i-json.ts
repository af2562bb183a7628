/**
 * T5: TAXII resources are I-JSON (RFC 7493). One pass over a request body that
 * JSON.parse has accepted finds the exact text of each element of the top-level
 * "objects" array (objects are stored and served byte for byte) and where that
 * text is not I-JSON: a member name given twice (§2.3), a number beyond the range
 * of an IEEE 754 double (§2.2), a lone surrogate (§2.1). Such text reads
 * differently in different parsers (JSON.parse keeps the last of two equal names,
 * others the first; it reads 1e400 as Infinity, which it writes back as null), so
 * checking the parsed value would police one reading while partners receive the
 * other.
 *
 * Iterative, with an explicit stack, since JSON.parse accepts any nesting depth;
 * strings are skipped with indexOf, so a 10 MiB body scans in tens of milliseconds.
 */

export type IJsonRule = 'duplicate-name' | 'number-overflow' | 'number-underflow' | 'lone-surrogate';

export interface IJsonProblem {
  readonly rule: IJsonRule;
  /** From the element (or the envelope): `external_references[2].url`; '' for the element itself. */
  readonly path: string;
  /** The repeated name, the number as written, or the surrogate as an escape (`\uD800`). */
  readonly token: string;
  /** A lone surrogate in a member name rather than in a string value. */
  readonly inName: boolean;
}

export interface EnvelopeScan {
  /**
   * Raw text of each element of the top-level "objects" array; the last member of
   * that name counts, as with JSON.parse. Undefined when there is none or it is not an array.
   */
  readonly raws: string[] | undefined;
  /** Per element of `raws`, the first problem inside it. */
  readonly problems: (IJsonProblem | undefined)[];
  /** The first problem outside the elements (a repeated "objects" member is one). */
  readonly envelopeProblem: IJsonProblem | undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const LOWER_U = 0x75;

/** A name that reads unambiguously in a dotted path; any other is written as ["name"]. */
const PLAIN_NAME = /^[\w$-]+$/;
const NONZERO_MANTISSA = /^[^eE]*[1-9]/;
const LONE_SURROGATE = /\p{Cs}/u;
/** Up to this many names, a linear search beats hashing. */
const SHORT_OBJECT = 16;

/** ES2024, present in Node 20 but not in the ES2023 library this project compiles against. */
function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

function hex4(text: string, at: number): number {
  let value = 0;
  for (let i = at; i < at + 4; i++) {
    const c = text.charCodeAt(i);
    value = value * 16 + (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);
  }
  return value;
}

function escapeOf(codeUnit: number): string {
  return `\\u${codeUnit.toString(16).toUpperCase()}`;
}

class Scanner {
  private pos = 0;
  /** Open containers; frame d (0 = the root) is described by the arrays below. */
  private depth = 0;
  private readonly isObject: boolean[] = [];
  /** The current member name of an object frame. */
  private readonly keys: string[] = [];
  /** The current index of an array frame. */
  private readonly indexes: number[] = [];
  /**
   * Names seen so far in an object frame: a list, reused across frames of one depth,
   * while short (most objects are small; a set per object would be garbage), then a set.
   */
  private readonly names: string[][] = [];
  private readonly nameSets: (Set<string> | undefined)[] = [];
  // Cached positions of the next quote and backslash: both only move forward, so
  // finding them costs one pass over the text however the strings are spread.
  private nextQuote = -1;
  private nextBackslash = -1;
  /** Set by string(): whether it holds an escape, and its first lone surrogate. */
  private escaped = false;
  private lone: string | undefined;
  /** Unescaped surrogates in the text (never from a UTF-8 body): strings are then decoded to check them. */
  private readonly rawSurrogates: boolean;

  /** Depth of the frame whose elements are collected (the envelope's "objects" array), or -1. */
  private collectDepth = -1;
  private inElement = false;
  private elementStart = 0;
  private elementProblem: IJsonProblem | undefined;
  raws: string[] | undefined;
  problems: (IJsonProblem | undefined)[] = [];
  envelopeProblem: IJsonProblem | undefined;

  constructor(private readonly text: string) {
    this.rawSurrogates = !isWellFormed(text);
  }

  run(): void {
    const { text } = this;
    this.skipSpace();
    let expectValue = true;
    for (;;) {
      if (expectValue) {
        if (this.depth === this.collectDepth) this.beginElement();
        const c = text.charCodeAt(this.pos);
        if (c === OPEN_BRACE) {
          this.push(true);
          this.pos++;
          this.skipSpace();
          if (text.charCodeAt(this.pos) !== CLOSE_BRACE) this.member();
          else {
            this.pos++;
            this.pop();
            expectValue = false;
          }
        } else if (c === OPEN_BRACKET) {
          const collect = this.depth === 1 && this.isObject[0] === true && this.keys[0] === 'objects';
          this.push(false);
          if (collect) {
            this.raws = [];
            this.problems = [];
            this.collectDepth = this.depth;
          }
          this.pos++;
          this.skipSpace();
          if (text.charCodeAt(this.pos) === CLOSE_BRACKET) {
            this.pos++;
            this.pop();
            expectValue = false;
          }
        } else {
          if (c === QUOTE) this.stringValue();
          else if (c === 0x74 || c === 0x6e) this.pos += 4; // true, null
          else if (c === 0x66) this.pos += 5; // false
          else this.number();
          expectValue = false;
        }
        continue;
      }
      if (this.depth === this.collectDepth) this.endElement();
      if (this.depth === 0) return;
      this.skipSpace();
      const c = text.charCodeAt(this.pos++);
      if (c === COMMA) {
        this.skipSpace();
        const top = this.depth - 1;
        if (this.isObject[top] === true) this.member();
        else this.indexes[top] = (this.indexes[top] ?? 0) + 1;
        expectValue = true;
      } else {
        this.pop(); // '}' or ']'
      }
    }
  }

  private push(isObject: boolean): void {
    const d = this.depth++;
    this.isObject[d] = isObject;
    if (!isObject) this.indexes[d] = 0;
    else {
      const names = this.names[d];
      if (names === undefined) this.names[d] = [];
      else names.length = 0;
      this.nameSets[d] = undefined;
    }
  }

  /** Whether object frame `d` has had this name already; records it. */
  private seen(d: number, name: string): boolean {
    const set = this.nameSets[d];
    if (set !== undefined) {
      if (set.has(name)) return true;
      set.add(name);
      return false;
    }
    const names = this.names[d] as string[];
    if (names.includes(name)) return true;
    names.push(name);
    if (names.length > SHORT_OBJECT) this.nameSets[d] = new Set(names);
    return false;
  }

  private pop(): void {
    this.depth--;
    if (this.depth < this.collectDepth) this.collectDepth = -1;
  }

  private beginElement(): void {
    this.inElement = true;
    this.elementStart = this.pos;
    this.elementProblem = undefined;
  }

  private endElement(): void {
    this.inElement = false;
    this.raws?.push(this.text.slice(this.elementStart, this.pos));
    this.problems.push(this.elementProblem);
  }

  /** At a member name's opening quote: reads it and the colon; stops at the value. */
  private member(): void {
    const d = this.depth - 1;
    const start = this.pos;
    this.string();
    // §2.3 compares names as decoded: "a" and "\u0061" are one name.
    const name = this.escaped ? (JSON.parse(this.text.slice(start, this.pos)) as string) : this.text.slice(start + 1, this.pos - 1);
    this.keys[d] = name;
    if (this.lone !== undefined) this.problem('lone-surrogate', this.lone, true);
    if (this.seen(d, name)) this.problem('duplicate-name', name, false);
    if (d === 0 && name === 'objects') {
      this.raws = undefined;
      this.problems = [];
    }
    this.skipSpace();
    this.pos++; // ':'
    this.skipSpace();
  }

  private stringValue(): void {
    this.string();
    if (this.lone !== undefined) this.problem('lone-surrogate', this.lone, false);
  }

  /** At an opening quote: moves past the closing one, setting `escaped` and `lone`. */
  private string(): void {
    const { text } = this;
    const start = this.pos;
    let i = start + 1;
    this.escaped = false;
    this.lone = undefined;
    for (;;) {
      if (this.nextQuote < i) this.nextQuote = text.indexOf('"', i);
      if (this.nextQuote < 0) this.nextQuote = text.length; // not JSON; ends the scan
      if (this.nextBackslash < i) {
        const next = text.indexOf('\\', i);
        this.nextBackslash = next < 0 ? text.length : next;
      }
      if (this.nextBackslash > this.nextQuote) break;
      this.escaped = true;
      const at = this.nextBackslash;
      i = text.charCodeAt(at + 1) === LOWER_U ? this.unicodeEscape(at) : at + 2;
    }
    this.pos = this.nextQuote + 1;
    if (this.rawSurrogates) {
      // Escapes and unescaped surrogates may pair with each other: judge the decoded string.
      const match = LONE_SURROGATE.exec(JSON.parse(text.slice(start, this.pos)) as string);
      this.lone = match === null ? undefined : escapeOf(match[0].charCodeAt(0));
    }
  }

  /** At the backslash of \uXXXX: returns the position after it (after both halves of a pair). */
  private unicodeEscape(at: number): number {
    const { text } = this;
    const unit = hex4(text, at + 2);
    if (unit < 0xd800 || unit > 0xdfff) return at + 6;
    if (unit <= 0xdbff && text.charCodeAt(at + 6) === BACKSLASH && text.charCodeAt(at + 7) === LOWER_U) {
      const low = hex4(text, at + 8);
      if (low >= 0xdc00 && low <= 0xdfff) return at + 12;
    }
    this.lone ??= text.slice(at, at + 6);
    return at + 6;
  }

  private number(): void {
    const { text } = this;
    const start = this.pos;
    let i = start;
    let exponent = false;
    for (;;) {
      const c = text.charCodeAt(i);
      if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x2b) i++;
      else if (c === 0x65 || c === 0x45) {
        exponent = true;
        i++;
      } else break;
    }
    this.pos = i;
    // Without an exponent, 300 characters can neither reach 1e309 nor go below 5e-324.
    if (!exponent && i - start <= 300) return;
    const literal = text.slice(start, i);
    const value = Number(literal);
    if (!Number.isFinite(value)) this.problem('number-overflow', literal, false);
    // 0e999 and -0.0E-5 are zero as written; 1e-400 is not, but becomes 0.
    else if (value === 0 && NONZERO_MANTISSA.test(literal)) this.problem('number-underflow', literal, false);
  }

  private skipSpace(): void {
    const { text } = this;
    let i = this.pos;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.pos = i;
  }

  private problem(rule: IJsonRule, token: string, inName: boolean): void {
    if (this.inElement) this.elementProblem ??= { rule, token, inName, path: this.path(this.collectDepth) };
    else this.envelopeProblem ??= { rule, token, inName, path: this.path(0) };
  }

  /** Path of the current member or element, from frame `from` down. */
  private path(from: number): string {
    let path = '';
    for (let d = from; d < this.depth; d++) {
      if (this.isObject[d] !== true) path += `[${this.indexes[d] ?? 0}]`;
      else {
        const name = this.keys[d] ?? '';
        if (!PLAIN_NAME.test(name)) path += `[${JSON.stringify(name)}]`;
        else path += path === '' ? name : `.${name}`;
      }
    }
    return path;
  }
}

/**
 * Scans `text`, which must already have passed JSON.parse (on other text the result
 * means nothing, but the scan still ends).
 */
export function scanEnvelope(text: string): EnvelopeScan {
  const scanner = new Scanner(text);
  scanner.run();
  return { raws: scanner.raws, problems: scanner.problems, envelopeProblem: scanner.envelopeProblem };
}

const SECTIONS: Record<IJsonRule, string> = {
  'duplicate-name': '§2.3',
  'number-overflow': '§2.2',
  'number-underflow': '§2.2',
  'lone-surrogate': '§2.1',
};

function shorten(literal: string): string {
  return literal.length <= 40 ? literal : `${literal.slice(0, 24)}…${literal.slice(-8)}`;
}

/** The rule broken, as a phrase for messages: "member name appears twice in one object". */
export function ruleBroken(problem: IJsonProblem): string {
  const { token } = problem;
  switch (problem.rule) {
    case 'duplicate-name':
      return 'member name appears twice in one object';
    case 'number-overflow':
      return `number ${shorten(token)} is beyond the range of an IEEE 754 double (it would read as ${token.startsWith('-') ? '-' : ''}Infinity)`;
    case 'number-underflow':
      return `number ${shorten(token)} is too small for an IEEE 754 double (it would read as 0)`;
    case 'lone-surrogate':
      return `${problem.inName ? 'member name' : 'string'} holds a lone surrogate ${token}, which is not a Unicode character`;
  }
}

/** "I-JSON, RFC 7493 §2.3" */
export function citationOf(problem: IJsonProblem): string {
  return `I-JSON, RFC 7493 ${SECTIONS[problem.rule]}`;
}
