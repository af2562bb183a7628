/**
 * Is the right side of MATCHES a regular expression PCRE would compile (STIX 2.1 §9.6.1:
 * MATCHES takes a PCRE)? JavaScript's RegExp is not PCRE: it refuses possessive
 * quantifiers, atomic groups, `(?P<name>…)`, inline flags and `\Q…\E`, all valid PCRE. So
 * the structure is checked here instead, in one pass: every group is closed, every
 * character class is closed and its ranges are in order, a quantifier has something to
 * repeat and `{n,m}` has n ≤ m, and the expression does not end in a lone backslash. What
 * PCRE compiles beyond that structure (which escapes and group kinds exist) is not checked.
 */

export interface PcreProblem {
  /** 0-based offset into the regular expression. */
  readonly offset: number;
  readonly message: string;
}

const QUANTIFIERS = new Set(['*', '+', '?']);

/** `{n}`, `{n,}` or `{n,m}` at `i`: its end and bounds, or undefined when `{` is a literal there. */
function braceQuantifier(re: string, i: number): { end: number; min: number; max: number } | undefined {
  const m = /^\{(\d+)(,?)(\d*)\}/.exec(re.slice(i, i + 24));
  if (m === null) return undefined;
  const [whole, low = '', comma = '', high = ''] = m;
  const min = Number(low);
  const max = comma === '' ? min : high === '' ? Infinity : Number(high);
  return { end: i + whole.length, min, max };
}

/** Reads one escape at `i` (the backslash); returns the index after it, and the character it stands for when single. */
function escapeAt(re: string, i: number): { next: number; char?: number } {
  const c = re[i + 1];
  if (c === undefined) return { next: i + 1 };
  if (c === 'x' && re[i + 2] === '{') {
    const close = re.indexOf('}', i + 3);
    const hex = close < 0 ? '' : re.slice(i + 3, close);
    return /^[0-9a-fA-F]{1,8}$/.test(hex) ? { next: close + 1, char: Number.parseInt(hex, 16) } : { next: i + 2 };
  }
  if (c === 'x') {
    const hex = /^[0-9a-fA-F]{1,2}/.exec(re.slice(i + 2, i + 4))?.[0] ?? '';
    return { next: i + 2 + hex.length, char: hex === '' ? 0 : Number.parseInt(hex, 16) };
  }
  const simple: Readonly<Record<string, number>> = { n: 10, r: 13, t: 9, f: 12, e: 27, a: 7 };
  if (c in simple) return { next: i + 2, char: simple[c] };
  if (/[a-zA-Z0-9]/.test(c)) return { next: i + 2 }; // a class (\d, \w, …) or another escape: no single character
  return { next: i + 2, char: c.codePointAt(0) };
}

/** A character class starting at `i` (the `[`); returns the index after its `]`. */
function characterClass(re: string, open: number): number | PcreProblem {
  let i = open + 1;
  if (re[i] === '^') i += 1;
  if (re[i] === ']') i += 1; // a ']' first in the class is a literal
  while (i < re.length) {
    const c = re[i];
    if (c === ']') return i + 1;
    let char: number | undefined;
    if (c === '[' && re[i + 1] === ':') {
      const close = re.indexOf(':]', i + 2);
      if (close >= 0) {
        i = close + 2;
        continue;
      }
    }
    if (c === '\\') {
      if (re[i + 1] === undefined) return { offset: i, message: 'ends in a lone backslash' };
      const escape = escapeAt(re, i);
      char = escape.char;
      i = escape.next;
    } else {
      char = re.codePointAt(i);
      i += char !== undefined && char > 0xffff ? 2 : 1;
    }
    if (re[i] === '-' && re[i + 1] !== ']' && re[i + 1] !== undefined && char !== undefined) {
      const rangeStart = i - 1;
      let end: number | undefined;
      if (re[i + 1] === '\\') {
        const escape = escapeAt(re, i + 1);
        end = escape.char;
        i = escape.next;
      } else {
        end = re.codePointAt(i + 1);
        i += end !== undefined && end > 0xffff ? 3 : 2;
      }
      if (end !== undefined && end < char) return { offset: rangeStart, message: 'has a character range out of order in a class (like z-a)' };
    }
  }
  return { offset: open, message: "opens a character class '[' that is never closed" };
}

export function pcreProblem(re: string): PcreProblem | undefined {
  const groups: number[] = [];
  /** Whether the last item can take a quantifier, and whether it already has one. */
  let repeatable = false;
  let quantified = false;
  let i = 0;
  while (i < re.length) {
    const c = re[i] as string;
    if (c === '\\') {
      if (re[i + 1] === undefined) return { offset: i, message: 'ends in a lone backslash' };
      if (re[i + 1] === 'Q') {
        const end = re.indexOf('\\E', i + 2);
        i = end < 0 ? re.length : end + 2;
      } else {
        i = escapeAt(re, i).next;
      }
      repeatable = true;
      quantified = false;
      continue;
    }
    if (c === '[') {
      const after = characterClass(re, i);
      if (typeof after !== 'number') return after;
      i = after;
      repeatable = true;
      quantified = false;
      continue;
    }
    if (c === '(') {
      if (re.startsWith('(?#', i)) {
        const close = re.indexOf(')', i);
        if (close < 0) return { offset: i, message: "opens a comment '(?#' that is never closed" };
        i = close + 1;
        continue;
      }
      groups.push(i);
      // (?:…, (?=…, (?<name>…, (?i) and PCRE's (*VERB) spell their kind after '(': not quantifiers
      i += re[i + 1] === '?' || re[i + 1] === '*' ? 2 : 1;
      repeatable = false;
      quantified = false;
      continue;
    }
    if (c === ')') {
      if (groups.pop() === undefined) return { offset: i, message: "closes a group with ')' that was never opened" };
      i += 1;
      repeatable = true;
      quantified = false;
      continue;
    }
    if (c === '|') {
      i += 1;
      repeatable = false;
      quantified = false;
      continue;
    }
    const brace = c === '{' ? braceQuantifier(re, i) : undefined;
    if (QUANTIFIERS.has(c) || brace !== undefined) {
      if (quantified && (c === '?' || c === '+')) {
        // lazy (a*?) or possessive (a*+) form of the quantifier before it
        quantified = false;
        repeatable = false;
        i += 1;
        continue;
      }
      if (!repeatable) return { offset: i, message: `has a quantifier '${brace === undefined ? c : re.slice(i, brace.end)}' with nothing to repeat` };
      if (brace !== undefined && brace.min > brace.max) return { offset: i, message: `has a quantifier ${re.slice(i, brace.end)} whose numbers are out of order` };
      i = brace?.end ?? i + 1;
      quantified = true;
      repeatable = false;
      continue;
    }
    // ^ and $ are assertions; repeating them is legal in PCRE, if useless.
    i += 1;
    repeatable = true;
    quantified = false;
  }
  const open = groups.pop();
  if (open !== undefined) return { offset: open, message: "opens a group with '(' that is never closed" };
  return undefined;
}
