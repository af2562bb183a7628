/**
 * Checks of the contents of the prefixed constants of STIX 2.1 §9.2: b'…' (base64),
 * h'…' (hex) and t'…' (timestamp, §2.16 / digest S31). Each returns undefined when the
 * content is valid, else the offset (into the content) and a reason.
 */
import { isBase64Char, isDigit, isHexDigit } from './chars.js';

export interface LiteralProblem {
  /** Offset into the content of the offending character; undefined when the whole constant is at fault. */
  readonly offset: number | undefined;
  readonly message: string;
}

/** Base64 per RFC 4648; line feeds and carriage returns are ignored (§9.2 "binary"). */
export function checkBase64(text: string): LiteralProblem | undefined {
  let count = 0;
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) continue;
    if (c === 0x3d) {
      padding++;
      if (padding > 2) return { offset: i, message: "too much '=' padding in binary constant" };
    } else if (isBase64Char(c)) {
      if (padding > 0) return { offset: i, message: "'=' padding may only end a binary constant" };
    } else {
      return { offset: i, message: 'invalid base64 character in binary constant' };
    }
    count++;
  }
  if (count % 4 !== 0) {
    return { offset: undefined, message: `binary constant has ${count} base64 characters; base64 comes in groups of 4 (pad with '=')` };
  }
  return undefined;
}

/** An even number of lowercase hex digits (§9.2 "hex": '0'-'9', 'a'-'f'; S8). */
export function checkHex(text: string): LiteralProblem | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isHexDigit(c)) return { offset: i, message: 'invalid hex digit in hex constant (0-9, a-f)' };
    if (c < 0x61 && c > 0x39) return { offset: i, message: 'hex digits must be lowercase (0-9, a-f; §9.2, S8)' };
  }
  if (text.length % 2 !== 0) {
    return { offset: undefined, message: `hex constant has an odd number of digits (${text.length}); each octet needs two` };
  }
  return undefined;
}

function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) return -1;
    value = value * 10 + (c - 0x30);
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const TIMESTAMP_SHAPE = 'a timestamp is YYYY-MM-DDTHH:MM:SS[.fraction]Z in UTC';

/** RFC 3339 in UTC with a literal Z and an optional fraction of one or more digits (§2.16, S31). */
export function checkTimestamp(text: string): LiteralProblem | undefined {
  const shape = (): LiteralProblem => ({ offset: undefined, message: `invalid timestamp: ${TIMESTAMP_SHAPE}` });
  if (text.length < 20) return shape();
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return shape();
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':') return shape();
  let i = 19;
  if (text.charCodeAt(i) === 0x2e) {
    i++;
    const fractionStart = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    if (i === fractionStart) return { offset: i, message: "invalid timestamp: a '.' must be followed by fraction digits" };
  }
  if (i !== text.length - 1 || text.charCodeAt(i) !== 0x5a) {
    return { offset: Math.min(i, text.length - 1), message: "invalid timestamp: must end with 'Z' (UTC; offsets like +00:00 are not allowed)" };
  }
  if (month < 1 || month > 12) return { offset: 5, message: `invalid timestamp: month ${text.slice(5, 7)} does not exist` };
  if (day < 1 || day > daysInMonth(year, month)) {
    return { offset: 8, message: `invalid timestamp: day ${text.slice(8, 10)} does not exist in ${text.slice(0, 7)}` };
  }
  if (hour > 23) return { offset: 11, message: 'invalid timestamp: hour must be 00-23' };
  if (minute > 59) return { offset: 14, message: 'invalid timestamp: minute must be 00-59' };
  if (second > 60) return { offset: 17, message: 'invalid timestamp: second must be 00-60 (60 only for a leap second)' };
  if (second === 60 && (hour !== 23 || minute !== 59)) {
    return { offset: 17, message: 'invalid timestamp: a leap second (60) comes only at 23:59:60, the end of a UTC day (RFC 3339 §5.7)' };
  }
  return undefined;
}
