/**
 * The project's recipients marking: a property extension on marking-definition
 * that names the partners and/or communities an object is for. An object that
 * references such a marking is visible only to those recipients, on top of TLP.
 */
import { NAME } from '../config/names.js';

export const RECIPIENTS_EXTENSION_ID = 'extension-definition--b4f69bed-1fee-46d6-9ab7-274a05203997';
export const PROJECT_IDENTITY_ID = 'identity--0c8a3f52-7a5e-4c1f-9a59-5f4e0d3b6a21';

/** The extension-definition, served in every collection (and in the README). */
export const RECIPIENTS_EXTENSION_DEFINITION = {
  type: 'extension-definition',
  spec_version: '2.1',
  id: RECIPIENTS_EXTENSION_ID,
  created: '2026-11-22T00:00:00.000Z',
  modified: '2026-11-22T00:00:00.000Z',
  created_by_ref: PROJECT_IDENTITY_ID,
  name: 'taxii-exchange recipients marking',
  description:
    'Names the recipients of marked content: "partners" (partner ids of the exchange) and/or "communities" (community names). Content whose object_marking_refs include such a marking is shared only with those recipients, in addition to its TLP level.',
  schema: 'https://github.com/taxii-exchange/taxii-exchange/blob/main/README.md#recipients-marking',
  version: '1.0.0',
  extension_types: ['property-extension'],
} as const;

export const PROJECT_IDENTITY = {
  type: 'identity',
  spec_version: '2.1',
  id: PROJECT_IDENTITY_ID,
  created: '2026-11-22T00:00:00.000Z',
  modified: '2026-11-22T00:00:00.000Z',
  name: 'taxii-exchange',
  identity_class: 'system',
} as const;

export interface Recipients {
  readonly partners: readonly string[];
  readonly communities: readonly string[];
}


/**
 * The recipients a marking-definition names; undefined when it is not a recipients
 * marking; a string (the problem) when it is one but malformed.
 */
export function recipientsOf(marking: Record<string, unknown>): Recipients | string | undefined {
  const extensions = marking['extensions'];
  if (extensions === null || typeof extensions !== 'object') return undefined;
  const entry = (extensions as Record<string, unknown>)[RECIPIENTS_EXTENSION_ID];
  if (entry === undefined) return undefined;
  const at = `marking-definition.extensions.${RECIPIENTS_EXTENSION_ID}`;
  if (entry === null || typeof entry !== 'object') return `${at}: must be an object`;
  const e = entry as Record<string, unknown>;
  if (e['extension_type'] !== 'property-extension') return `${at}.extension_type: must be "property-extension"`;
  const lists: Record<'partners' | 'communities', string[]> = { partners: [], communities: [] };
  for (const key of ['partners', 'communities'] as const) {
    const value = e[key];
    if (value === undefined) continue;
    if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && NAME.test(v))) {
      return `${at}.${key}: must be a non-empty list of names (letters, digits, _ . -)`;
    }
    lists[key] = value as string[];
  }
  if (lists.partners.length === 0 && lists.communities.length === 0) return `${at}: name at least one partner or community`;
  const unknown = Object.keys(e).filter((k) => !['extension_type', 'partners', 'communities'].includes(k));
  if (unknown.length > 0) return `${at}: unknown property "${unknown[0]}"`;
  return lists;
}
