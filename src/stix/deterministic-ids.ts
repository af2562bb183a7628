/**
 * The deterministic SCO id rule (S27/S28): UUIDv5 in the STIX namespace of the
 * JCS-canonical JSON of the object's ID contributing properties.
 */
import { v5 as uuidv5 } from 'uuid';
import { canonicalJson } from './canonical.js';

const STIX_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';

const CONTRIBUTING: Record<string, readonly string[]> = {
  artifact: ['hashes', 'payload_bin'],
  'autonomous-system': ['number'],
  directory: ['path'],
  'domain-name': ['value'],
  'email-addr': ['value'],
  'email-message': ['from_ref', 'subject', 'body'],
  file: ['hashes', 'name', 'extensions', 'parent_directory_ref'],
  'ipv4-addr': ['value'],
  'ipv6-addr': ['value'],
  'mac-addr': ['value'],
  mutex: ['name'],
  'network-traffic': ['start', 'end', 'src_ref', 'dst_ref', 'src_port', 'dst_port', 'protocols', 'extensions'],
  software: ['name', 'cpe', 'swid', 'vendor', 'version'],
  url: ['value'],
  'user-account': ['account_type', 'user_id', 'account_login'],
  'windows-registry-key': ['key', 'values'],
  'x509-certificate': ['hashes', 'serial_number'],
};

const HASH_PREFERENCE = ['MD5', 'SHA-1', 'SHA-256', 'SHA-512'];

/**
 * S28: an SCO type of the specification none of whose ID contributing properties is
 * present (a process has none at all) takes a random UUIDv4 id.
 */
export function needsRandomId(object: Record<string, unknown>, type: string): boolean {
  if (type === 'process') return true;
  return CONTRIBUTING[type] !== undefined && deterministicScoId(object, type) === undefined;
}

/** The expected id, or undefined when the rule does not apply (process, custom types, nothing contributing). */
export function deterministicScoId(object: Record<string, unknown>, type: string): string | undefined {
  const names = CONTRIBUTING[type];
  if (names === undefined) return undefined;
  const contributing: Record<string, unknown> = {};
  for (const name of names) {
    const value = object[name];
    if (value === undefined) continue;
    if (name === 'hashes' && value !== null && typeof value === 'object') {
      const hashes = value as Record<string, unknown>;
      const chosen = HASH_PREFERENCE.find((h) => h in hashes) ?? Object.keys(hashes)[0];
      if (chosen !== undefined) contributing[name] = { [chosen]: hashes[chosen] };
    } else {
      contributing[name] = value;
    }
  }
  if (Object.keys(contributing).length === 0) return undefined; // S28: UUIDv4 then
  return `${type}--${uuidv5(canonicalJson(contributing), STIX_NAMESPACE)}`;
}
