/**
 * Timestamps as strings and integer microseconds, never JS Dates: a Date keeps
 * milliseconds only and TAXII timestamps carry microseconds (taxii-2.1.md §3).
 */

// RFC 3339 in UTC with a literal Z, any number of fraction digits (RFC 3339 §5.6; A8: accepted on input).
const RFC3339_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$/;

export interface ParsedTimestamp {
  /** Whole seconds since the epoch; a leap second (23:59:60) counts as the next day's first. */
  readonly seconds: number;
  /** The fraction digits exactly as written ('' when absent). */
  readonly fraction: string;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] as number);
}

/** Days since 1970-01-01 of a proleptic Gregorian date, without Date (whose Date.UTC maps years 0-99 to 19xx). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function parseTimestamp(text: string): ParsedTimestamp | undefined {
  const m = RFC3339_UTC.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12) return undefined;
  if (day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  // A leap second is inserted at the end of a UTC day (RFC 3339 §5.7, Appendix D).
  if (second === 60 && (hour !== 23 || minute !== 59)) return undefined;
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  return { seconds, fraction: frac ?? '' };
}

/**
 * Microseconds since the epoch, truncating finer digits; undefined when malformed. A leap
 * second has no microsecond of its own here: 23:59:60.5 is read as the next day's 00:00:00.5.
 */
export function timestampToMicros(text: string): number | undefined {
  const parsed = parseTimestamp(text);
  if (parsed === undefined) return undefined;
  const micros = Number(parsed.fraction.slice(0, 6).padEnd(6, '0'));
  return parsed.seconds * 1_000_000 + micros;
}

/**
 * A text key that sorts and compares like the instant itself at any precision:
 * `…53.935Z` and `…53.935000Z` give the same key (TR9). Compare with COLLATE "C".
 * The accepted form has fixed-width fields, so its first 19 characters sort as the
 * instant, a leap second included: 23:59:60.5 sorts after 23:59:59.9 and before the
 * next day's 00:00:00.0, as it happens.
 */
export function versionKey(text: string): string | undefined {
  const parsed = parseTimestamp(text);
  if (parsed === undefined) return undefined;
  return `${text.slice(0, 19)}.${parsed.fraction.replace(/0+$/, '')}`;
}

/** TAXII timestamp with exactly six fraction digits (TR2, A8). */
export function formatMicros(micros: number): string {
  const millis = Math.floor(micros / 1000);
  const rest = micros - millis * 1000;
  const iso = new Date(millis).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(0, 23)}${String(rest).padStart(3, '0')}Z`;
}
