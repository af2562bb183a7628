/**
 * Character classes of the STIX pattern scanner (STIX 2.1 §9.4, §9.7), as charCodeAt tests:
 * no regular expressions, so scanning stays linear for any input.
 */

/** Unicode White_Space (WSpace=Y) code points; §9.4 says whitespace delimits the parts of a pattern. */
export function isWhitespace(c: number): boolean {
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return true;
  if (c < 0x85) return false;
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** First character of an object type or property name: a letter or '_'. */
export function isIdentifierStart(c: number): boolean {
  return isLetter(c) || c === 0x5f;
}

/** Later characters of a property name: letters, digits, '_'. */
export function isIdentifierPart(c: number): boolean {
  return isLetter(c) || isDigit(c) || c === 0x5f;
}

export function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** RFC 4648 base64 alphabet (without the '=' padding). */
export function isBase64Char(c: number): boolean {
  return isLetter(c) || isDigit(c) || c === 0x2b || c === 0x2f;
}

/** A character for an error message: printable ASCII as itself, anything else as U+XXXX. */
export function describeChar(text: string, index: number): string {
  const cp = text.codePointAt(index) ?? 0;
  if (cp > 0x20 && cp < 0x7f) return `'${String.fromCharCode(cp)}'`;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}
