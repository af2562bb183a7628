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

export function tlpOf(what: string, value: string): TlpLevel {
  if (!(TLP_LEVELS as readonly string[]).includes(value)) refuse(`${what} "${value}": one of ${TLP_LEVELS.join(', ')}`);
  return levelOf(value as TlpName);
}
