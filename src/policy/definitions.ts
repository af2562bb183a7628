/**
 * The STIX definitions this server relies on, served read-only in a collection
 * of their own in every API root: the TLP 1.0 and 2.0 marking definitions
 * (tlp.md §2, §3), the TLP 2.0 extension-definition, and the project's
 * recipients extension-definition with the identity that created it.
 */
import { createHash } from 'node:crypto';
import { PROJECT_IDENTITY, RECIPIENTS_EXTENSION_DEFINITION } from './recipients.js';
import { TLP2_EXTENSION_ID, TLP_MARKINGS, tlpMarking } from '../stix/tlp.js';

export const DEFINITIONS_ALIAS = 'stix-definitions';
export const DEFINITIONS_SUBMITTER = 'taxii-exchange';

/** A stable UUIDv4-shaped id for the definitions collection of an API root. */
export function definitionsCollectionId(rootId: string): string {
  const h = createHash('sha256').update(`taxii-exchange definitions ${rootId}`).digest('hex');
  const variant = ((parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const TLP2_EXTENSION_DEFINITION = {
  id: TLP2_EXTENSION_ID,
  type: 'extension-definition',
  spec_version: '2.1',
  name: 'TLP 2.0',
  description: 'This defines TLP 2.0 as a STIX extension',
  created: '2022-10-01T00:00:00.000Z',
  modified: '2022-10-01T00:00:00.000Z',
  created_by_ref: 'identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01',
  schema: 'https://github.com/oasis-open/cti-stix-common-objects/tree/master/extension-definition-specifications/tlp-2.0',
  version: '1.0.0',
  extension_types: ['property-extension'],
};

export function definitionObjects(): Record<string, unknown>[] {
  return [
    ...[...TLP_MARKINGS.keys()].map(tlpMarking),
    TLP2_EXTENSION_DEFINITION,
    PROJECT_IDENTITY,
    RECIPIENTS_EXTENSION_DEFINITION,
  ];
}
