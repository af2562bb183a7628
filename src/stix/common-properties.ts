/**
 * Checks of the envelope entry shape and the STIX 2.1 common properties
 * (stix-2.1.md §3–§8): type, id, spec_version, created/modified.
 */
import { parseTimestamp, versionKey } from '../taxii/timestamps.js';
import type { ObjectValidator, Verdict } from './object-validator.js';

// S18/S19: lowercase letters, digits and single hyphens, starting with a letter, 3–250 characters.
const TYPE_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
// [SCH] identifier UUID part: RFC 4122 variant, versions 1–5.
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/;
// S32: created and modified carry at least millisecond precision.
const MILLIS_OR_FINER = /\.\d{3,}Z$/;

export const SCO_TYPES: ReadonlySet<string> = new Set([
  'artifact', 'autonomous-system', 'directory', 'domain-name', 'email-addr', 'email-message', 'file',
  'ipv4-addr', 'ipv6-addr', 'mac-addr', 'mutex', 'network-traffic', 'process', 'software', 'url',
  'user-account', 'windows-registry-key', 'x509-certificate',
]);

const VERSIONED_TYPES: ReadonlySet<string> = new Set([
  'attack-pattern', 'campaign', 'course-of-action', 'grouping', 'identity', 'incident', 'indicator',
  'infrastructure', 'intrusion-set', 'location', 'malware', 'malware-analysis', 'note', 'observed-data',
  'opinion', 'report', 'threat-actor', 'tool', 'vulnerability', 'relationship', 'sighting',
  'language-content', 'extension-definition',
]);

export function isStixIdentifier(value: string): boolean {
  const sep = value.indexOf('--');
  if (sep < 3) return false;
  return isTypeName(value.slice(0, sep)) && UUID.test(value.slice(sep + 2));
}

export function isTypeName(value: string): boolean {
  return value.length >= 3 && value.length <= 250 && TYPE_NAME.test(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return value.length > 60 ? `"${value.slice(0, 60)}…"` : JSON.stringify(value);
  return typeof value === 'object' ? 'an object' : String(value);
}

class Rejection extends Error {}

export const MAX_NESTING = 64;

/** Depth of nested objects and lists, counted without recursion (hostile input may nest deeply). */
export function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth > deepest) deepest = depth;
    if (deepest > MAX_NESTING) return deepest;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return deepest;
}

function checkTimestamp(type: string, name: string, value: unknown): string {
  if (typeof value !== 'string') throw new Rejection(`${type}.${name}: must be a timestamp string, got ${describe(value)}`);
  if (parseTimestamp(value) === undefined) {
    throw new Rejection(`${type}.${name}: ${describe(value)} is not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS.sssZ)`);
  }
  if (!MILLIS_OR_FINER.test(value)) {
    throw new Rejection(`${type}.${name}: ${describe(value)} must have at least millisecond precision (S32)`);
  }
  return value;
}

function checkObject(object: unknown): Omit<Extract<Verdict, { ok: true }>, 'ok'> {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw new Rejection(`must be a STIX object (a JSON object), got ${describe(object)}`);
  }
  if (nestingDepth(object) > MAX_NESTING) throw new Rejection(`nests objects and lists deeper than ${MAX_NESTING} levels`);
  const o = object as Record<string, unknown>;
  const type = o['type'];
  if (typeof type !== 'string') throw new Rejection(`type: required string property is ${o['type'] === undefined ? 'missing' : describe(type)}`);
  if (type === 'bundle') throw new Rejection('bundle: a bundle is not a STIX object; post the objects it contains');
  if (!isTypeName(type)) {
    throw new Rejection(`type: ${describe(type)} is not a STIX type name (3–250 lowercase letters, digits and hyphens, starting with a letter)`);
  }
  const id = o['id'];
  if (typeof id !== 'string') throw new Rejection(`${type}.id: required string property is ${id === undefined ? 'missing' : describe(id)}`);
  if (!id.startsWith(`${type}--`)) throw new Rejection(`${type}.id: ${describe(id)} must start with "${type}--" (S24)`);
  if (!UUID.test(id.slice(type.length + 2))) throw new Rejection(`${type}.id: ${describe(id)} does not end in an RFC 4122 UUID (S24)`);

  const isSco = SCO_TYPES.has(type);
  const specVersion = o['spec_version'];
  if (specVersion === undefined) {
    if (!isSco && (VERSIONED_TYPES.has(type) || type === 'marking-definition' || o['created'] !== undefined)) {
      throw new Rejection(`${type}.spec_version: required property is missing (STIX 2.1 objects carry "spec_version": "2.1")`);
    }
  } else if (specVersion !== '2.1') {
    throw new Rejection(`${type}.spec_version: ${describe(specVersion)} is not supported; this server stores STIX 2.1 objects only (SR5)`);
  }

  const created = o['created'] === undefined ? undefined : checkTimestamp(type, 'created', o['created']);
  const modified = o['modified'] === undefined ? undefined : checkTimestamp(type, 'modified', o['modified']);
  if (VERSIONED_TYPES.has(type)) {
    if (created === undefined) throw new Rejection(`${type}.created: required property is missing`);
    if (modified === undefined) throw new Rejection(`${type}.modified: required property is missing`);
  }
  if (type === 'marking-definition') {
    if (created === undefined) throw new Rejection(`${type}.created: required property is missing`);
    if (modified !== undefined) throw new Rejection(`${type}.modified: marking definitions are not versioned and must not have modified (S34)`);
  }
  if (modified !== undefined && created === undefined) {
    throw new Rejection(`${type}.modified: present without created`);
  }
  if (created !== undefined && modified !== undefined && (versionKey(modified) as string) < (versionKey(created) as string)) {
    throw new Rejection(`${type}.modified: ${modified} must not be earlier than created ${created} (S38)`);
  }
  return { id, type, version: modified ?? created, specVersion: '2.1' };
}

function placeholderId(object: unknown, index: number): string {
  const id = (object as Record<string, unknown> | null)?.['id'];
  return typeof id === 'string' && id !== '' ? id : `objects[${index}]`;
}

function placeholderVersion(object: unknown): string {
  const o = object as Record<string, unknown> | null;
  const v = o?.['modified'] ?? o?.['created'];
  return typeof v === 'string' && v !== '' ? v : 'unknown';
}

export function createCommonPropertiesValidator(): ObjectValidator {
  return {
    validate(object, index) {
      try {
        return { ok: true, ...checkObject(object) };
      } catch (err) {
        if (!(err instanceof Rejection)) throw err;
        return { ok: false, id: placeholderId(object, index), version: placeholderVersion(object), message: err.message };
      }
    },
  };
}
