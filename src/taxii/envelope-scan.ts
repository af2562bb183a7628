/**
 * Finds the exact JSON text of each element of the top-level "objects" array in
 * a request body, so every object is stored byte for byte as received. The text
 * must already have passed JSON.parse; this only walks its structure.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

class Walker {
  pos = 0;
  constructor(readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && isSpace(this.text.charCodeAt(this.pos))) this.pos++;
  }

  /** At an opening quote; returns the string's raw content (escapes untouched). */
  readString(): string {
    const start = ++this.pos;
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c === BACKSLASH) this.pos += 2;
      else if (c === QUOTE) break;
      else this.pos++;
    }
    return this.text.slice(start, this.pos++);
  }

  skipValue(): void {
    const c = this.text.charCodeAt(this.pos);
    if (c === QUOTE) {
      this.readString();
      return;
    }
    if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
      while (this.pos < this.text.length) {
        const d = this.text.charCodeAt(this.pos);
        if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isSpace(d)) break;
        this.pos++;
      }
      return;
    }
    let depth = 0;
    do {
      const d = this.text.charCodeAt(this.pos);
      if (d === QUOTE) {
        this.readString();
        continue;
      }
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) depth--;
      this.pos++;
    } while (depth > 0);
  }

  /** At '['; returns the raw text of each element. */
  readArrayElements(): string[] {
    const elements: string[] = [];
    this.pos++;
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === CLOSE_BRACKET) {
      this.pos++;
      return elements;
    }
    for (;;) {
      this.skipSpace();
      const start = this.pos;
      this.skipValue();
      elements.push(this.text.slice(start, this.pos));
      this.skipSpace();
      const c = this.text.charCodeAt(this.pos++);
      if (c !== COMMA) return elements;
    }
  }
}

/**
 * Raw texts of the elements of `objects` in a top-level JSON object; the last
 * occurrence wins when the key repeats, as with JSON.parse. Undefined when the
 * top level is not an object or has no array-valued "objects".
 */
export function scanEnvelopeObjects(text: string): string[] | undefined {
  const w = new Walker(text);
  w.skipSpace();
  if (text.charCodeAt(w.pos) !== OPEN_BRACE) return undefined;
  w.pos++;
  let found: string[] | undefined;
  for (;;) {
    w.skipSpace();
    if (text.charCodeAt(w.pos) !== QUOTE) return found;
    const key = w.readString();
    w.skipSpace();
    if (text.charCodeAt(w.pos) !== COLON) return found;
    w.pos++;
    w.skipSpace();
    // Compare the decoded key, as JSON.parse does: "obj\u0065cts" is "objects" too.
    if ((key.includes('\\') ? (JSON.parse(`"${key}"`) as string) : key) === 'objects') {
      found = text.charCodeAt(w.pos) === OPEN_BRACKET ? w.readArrayElements() : undefined;
    } else {
      w.skipValue();
    }
    w.skipSpace();
    if (text.charCodeAt(w.pos++) !== COMMA) return found;
  }
}
