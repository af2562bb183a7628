/** Syntax errors of the STIX pattern parser: a 0-based offset into the pattern and a human message. */

export interface PatternError {
  /** 0-based offset (UTF-16 code units) into the pattern string. */
  readonly position: number;
  readonly message: string;
}

/** Thrown inside the scanner/parser only; parsePattern turns it into a PatternResult. */
export class PatternSyntaxError extends Error implements PatternError {
  constructor(
    readonly position: number,
    message: string,
  ) {
    super(message);
    this.name = 'PatternSyntaxError';
  }
}

export function fail(position: number, message: string): never {
  throw new PatternSyntaxError(position, message);
}

/** Shortens user text quoted in a message. */
export function clip(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
