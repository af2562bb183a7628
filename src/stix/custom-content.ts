/**
 * Custom types and properties under each strictness level (stix-2.1.md §16, §17):
 * - strict: only through the extension mechanism (an extension-definition of
 *   type new-sdo/new-sco/new-sro for a custom type, toplevel-property-extension
 *   for custom top-level properties);
 * - standard: also the legacy `x-` types and `x_` properties (§11, deprecated);
 * - permissive: unknown properties and types are not failures.
 */
import type { Strictness } from './object-validator.js';
import { declaredExtensionTypes } from './semantic-rules.js';

// T81/S19, §3.1: custom property names start with a letter, then a-z, 0-9, _ ; 3-250 characters.
const PROPERTY_NAME = /^[a-z][a-z0-9_]{2,249}$/;

export function customTypeFailure(o: Record<string, unknown>, type: string, strictness: Strictness, known: boolean): string | undefined {
  if (known || strictness === 'permissive') return undefined;
  const kinds = declaredExtensionTypes(o);
  if (kinds.has('new-sdo') || kinds.has('new-sco') || kinds.has('new-sro')) return undefined;
  if (strictness === 'standard' && type.startsWith('x-')) return undefined;
  return strictness === 'strict'
    ? `type: "${type}" is not a STIX 2.1 type; custom objects need an extension-definition (extension_type new-sdo, new-sco or new-sro) in strict mode`
    : `type: "${type}" is not a STIX 2.1 type; custom types start with "x-" or are declared by an extension-definition`;
}

/**
 * Properties the object's schema does not know. A custom type defines its own
 * properties (§11, §7.3): of those only the names are checked.
 */
export function customPropertyFailure(
  o: Record<string, unknown>,
  type: string,
  strictness: Strictness,
  known: ReadonlySet<string>,
  customType: boolean,
): string | undefined {
  if (strictness === 'permissive') return undefined;
  const unknown = Object.keys(o).filter((name) => !known.has(name));
  if (unknown.length === 0) return undefined;
  const toplevel = declaredExtensionTypes(o).has('toplevel-property-extension');
  for (const name of unknown) {
    if (!PROPERTY_NAME.test(name)) {
      return `${type}.${name}: custom property names start with a letter and use only a-z, 0-9 and _, 3 to 250 characters (S19, §3.1)`;
    }
    if (customType || toplevel) continue;
    if (strictness === 'standard' && name.startsWith('x_')) continue;
    return strictness === 'strict'
      ? `${type}.${name}: unknown property; in strict mode custom properties need a toplevel-property-extension`
      : `${type}.${name}: unknown property; custom properties start with "x_" or are declared by a toplevel-property-extension`;
  }
  return undefined;
}
