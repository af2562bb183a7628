/**
 * Splits a STIX file into the texts of its objects while it is read, so a file
 * is never held whole (issue 12, `import`). A file is a sequence of JSON values,
 * each one of:
 * - a bundle or envelope: an object with an "objects" list, whose items are the objects;
 * - a list of objects;
 * - one object (so JSON-lines of objects is a sequence of these).
 * Each object's text is passed on exactly as written; whether it is JSON, and
 * valid STIX, is for the reader to decide. What is checked here is only what
 * splitting needs: brackets that match, strings that end, and values that are
 * objects or lists at the top.
 */

export class MalformedFile extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedFile';
  }
}

export interface ObjectText {
  readonly text: string;
  /** Line of the file where the object starts (1-based). */
  readonly line: number;
}

const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_LIST = 0x5b; // [
const CLOSE_LIST = 0x5d; // ]
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const NEWLINE = 0x0a;

function isSpace(code: number): boolean {
  return code === 0x20 || code === NEWLINE || code === 0x0d || code === 0x09;
}

/**
 * Push text as it is read, take the objects completed so far; `end()` when the
 * file is done. Throws MalformedFile, naming the line.
 */
export class ObjectSplitter {
  /** Open brackets, innermost last. */
  private readonly stack: number[] = [];
  private inString = false;
  private escaped = false;
  private line = 1;
  private started = false;

  /** Depth of the list whose items are objects (a top-level list, or the "objects" of a container); 0 when none. */
  private itemsDepth = 0;
  private itemStarted = false;
  private afterComma = false;

  /** The top-level object: its key being read, the last key read, whether a value follows it. */
  private readingKey = false;
  private key = '';
  private lastKey: string | undefined;
  private expectKey = false;
  private valueNext = false;
  /** The top-level object holds an "objects" list: it is a container, not an object. */
  private container = false;

  /** The text being kept: its start in the current chunk and what came in earlier chunks. */
  private capturing = false;
  private captureStart = 0;
  private captureLine = 0;
  private pending = '';

  push(chunk: string): ObjectText[] {
    const found: ObjectText[] = [];
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.capturing) this.captureStart = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === NEWLINE) this.line++;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (code === BACKSLASH) this.escaped = true;
        else if (code === QUOTE) {
          this.inString = false;
          if (this.readingKey) {
            this.readingKey = false;
            this.lastKey = this.key;
          }
        } else if (this.readingKey) this.key += text[i];
        continue;
      }
      if (isSpace(code)) continue;
      const depth = this.stack.length;
      if (depth === 0) {
        if (code !== OPEN_OBJECT && code !== OPEN_LIST) {
          throw new MalformedFile(`line ${this.line}: expected a bundle, an envelope, a list of objects or an object, found ${JSON.stringify(text[i])}`);
        }
        this.stack.push(code);
        if (code === OPEN_LIST) this.openItems(1);
        else {
          this.container = false;
          this.expectKey = true;
          this.lastKey = undefined;
          this.startCapture(i);
        }
        continue;
      }
      if (depth === this.itemsDepth) {
        if (code === COMMA) {
          if (!this.itemStarted) throw new MalformedFile(`line ${this.line}: a list item is missing before ","`);
          found.push(this.endCapture(text, i));
          this.itemStarted = false;
          this.afterComma = true;
          continue;
        }
        if (code === CLOSE_LIST) {
          if (this.itemStarted) found.push(this.endCapture(text, i));
          else if (this.afterComma) throw new MalformedFile(`line ${this.line}: a list item is missing before "]"`);
          this.itemsDepth = 0;
          this.close(code);
          continue;
        }
        if (!this.itemStarted) {
          this.itemStarted = true;
          this.afterComma = false;
          this.startCapture(i);
        }
      } else if (depth === 1 && this.itemsDepth === 0) {
        // Inside a top-level object, between its members.
        if (this.expectKey && code === QUOTE) {
          this.expectKey = false;
          this.readingKey = true;
          this.key = '';
          this.inString = true;
          continue;
        }
        if (code === COLON) {
          this.valueNext = true;
          continue;
        }
        if (code === COMMA) {
          this.expectKey = true;
          continue;
        }
        if (this.valueNext) {
          this.valueNext = false;
          if (this.lastKey === 'objects' && code === OPEN_LIST) {
            if (this.container) throw new MalformedFile(`line ${this.line}: "objects" appears twice in the same bundle`);
            this.container = true;
            this.capturing = false;
            this.pending = '';
            this.stack.push(code);
            this.openItems(2);
            continue;
          }
        }
      }
      if (code === QUOTE) this.inString = true;
      else if (code === OPEN_OBJECT || code === OPEN_LIST) this.stack.push(code);
      else if (code === CLOSE_OBJECT || code === CLOSE_LIST) {
        this.close(code);
        if (this.stack.length === 0 && !this.container) found.push(this.endCapture(text, i + 1));
      }
    }
    if (this.capturing) {
      this.pending += text.slice(this.captureStart);
      this.captureStart = 0;
    }
    return found;
  }

  /** Throws when the file ends inside a value. */
  end(): void {
    if (this.inString || this.stack.length > 0) {
      throw new MalformedFile(`line ${this.line}: the file ends inside ${this.inString ? 'a string' : this.stack.at(-1) === OPEN_LIST ? 'a list' : 'an object'} (is it truncated?)`);
    }
  }

  private openItems(depth: number): void {
    this.itemsDepth = depth;
    this.itemStarted = false;
    this.afterComma = false;
  }

  private close(code: number): void {
    const open = this.stack.pop();
    if ((code === CLOSE_OBJECT && open !== OPEN_OBJECT) || (code === CLOSE_LIST && open !== OPEN_LIST)) {
      throw new MalformedFile(`line ${this.line}: ${JSON.stringify(String.fromCharCode(code))} does not close ${open === undefined ? 'anything' : `the ${open === OPEN_LIST ? 'list' : 'object'} before it`}`);
    }
  }

  private startCapture(index: number): void {
    this.capturing = true;
    this.captureStart = index;
    this.captureLine = this.line;
    this.pending = '';
  }

  private endCapture(text: string, end: number): ObjectText {
    const captured = (this.pending + text.slice(this.captureStart, end)).trimEnd();
    this.capturing = false;
    this.pending = '';
    return { text: captured, line: this.captureLine };
  }
}

/** The object texts of a file read as a stream of text chunks. */
export async function* splitObjects(chunks: AsyncIterable<string>): AsyncGenerator<ObjectText> {
  const splitter = new ObjectSplitter();
  for await (const chunk of chunks) yield* splitter.push(chunk);
  splitter.end();
}
