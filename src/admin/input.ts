/** How the admin services check what an operator typed: a refusal names the field and what it takes. */
import { NAME, NAME_RULE } from '../config/names.js';
import { taxiiError } from '../errors.js';
import { TLP_LEVELS, levelOf, type TlpLevel, type TlpName } from '../stix/tlp.js';

export function refuse(description: string): never {
  throw taxiiError('BAD_PARAMETER', description);
}

export function checkName(what: string, value: string): string {
  if (!NAME.test(value)) refuse(`${what} "${value}": ${NAME_RULE}`);
  return value;
}

/** A count typed as plain digits, from 1 to `max`; `fallback` when not given. */
export function wholeNumber(what: string, text: string | undefined, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  const digits = String(max).length;
  const value = new RegExp(`^[0-9]{1,${digits}}$`).test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1 && value <= max)) refuse(`${what} "${text}": a whole number from 1 to ${max}`);
  return value;
}

export function tlpOf(what: string, value: string): TlpLevel {
  if (!(TLP_LEVELS as readonly string[]).includes(value)) refuse(`${what} "${value}": one of ${TLP_LEVELS.join(', ')}`);
  return levelOf(value as TlpName);
}
