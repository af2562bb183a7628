/**
 * Object paths (STIX 2.1 §9.7): `<object-type>:<property>` followed by `.<property>` steps and
 * list indexes `[n]` / `[*]`. Property names containing '-' or '.' must be quoted ('SHA-256').
 */
import type { ObjectPath, PathStep } from './ast.js';
import { isIdentifierPart, isIdentifierStart } from './chars.js';
import { type Cursor, found } from './cursor.js';
import { clip, fail } from './errors.js';
import { KEYWORDS, type Token } from './lexer.js';

/** A name that can be written without quotes: an identifier that is not a keyword or boolean. */
function isBareName(name: string): boolean {
  if (name.length === 0 || !isIdentifierStart(name.charCodeAt(0))) return false;
  for (let i = 1; i < name.length; i++) if (!isIdentifierPart(name.charCodeAt(i))) return false;
  return !KEYWORDS.has(name) && name !== 'true' && name !== 'false';
}

function quoteName(name: string): string {
  if (isBareName(name)) return name;
  let out = "'";
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    out += ch === "'" || ch === '\\' ? `\\${ch}` : ch;
  }
  return `${out}'`;
}

/** Reads one property name (bare or quoted) after ':' or '.'. */
function propertyName(c: Cursor, after: string): string {
  const t = c.token;
  if (t.kind === 'ident') {
    if (t.text.includes('-')) {
      fail(t.start, `property name '${clip(t.text)}' contains '-': quote it as '${clip(t.text)}' (§9.7)`);
    }
    c.advance();
    return t.text;
  }
  if (t.kind === 'string') {
    if (t.value.length === 0) fail(t.start, 'empty property name');
    c.advance();
    return t.value;
  }
  if (t.kind === 'keyword' || t.kind === 'bool') {
    fail(t.start, `property name '${t.text}' is a reserved word: quote it as '${t.text}'`);
  }
  fail(t.start, `expected a property name after ${after}, ${found(t)}`);
}

function listIndex(c: Cursor, open: Token): number | '*' {
  const t = c.token;
  let index: number | '*';
  if (t.kind === '*') index = '*';
  else if (t.kind === 'int') index = Number(t.text);
  else fail(t.start, `expected a list index (an integer or *) after '[' at ${open.start}, ${found(t)}`);
  c.advance();
  if (c.token.kind !== ']') fail(c.token.start, `expected ']' to close the list index opened at ${open.start}, ${found(c.token)}`);
  c.advance();
  return index;
}

/** Parses an object path starting at the current token. */
export function parseObjectPath(c: Cursor): ObjectPath {
  const typeToken = c.token;
  if (typeToken.kind !== 'ident') {
    fail(typeToken.start, `expected an object path such as file:name, ${found(typeToken)}`);
  }
  c.advance();
  if (c.token.kind !== ':') {
    fail(c.token.start, `expected ':' after object type '${clip(typeToken.text)}' (object paths look like file:name), ${found(c.token)}`);
  }
  c.advance();
  const steps: PathStep[] = [];
  const first = propertyName(c, `'${clip(typeToken.text)}:'`);
  steps.push({ kind: 'property', name: first });
  let text = `${typeToken.text}:${quoteName(first)}`;
  for (;;) {
    const t = c.token;
    if (t.kind === '.') {
      c.advance();
      const name = propertyName(c, "'.'");
      steps.push({ kind: 'property', name });
      text += `.${quoteName(name)}`;
    } else if (t.kind === '[') {
      c.advance();
      const index = listIndex(c, t);
      steps.push({ kind: 'index', index });
      text += `[${index}]`;
    } else {
      break;
    }
  }
  return { start: typeToken.start, end: c.lastEnd, objectType: typeToken.text, steps, text };
}
