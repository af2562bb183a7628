/**
 * Checks of the envelope entry shape and the STIX 2.1 common properties
 * (stix-2.1.md §3–§8): type, id, spec_version, created/modified.
 */
import { parseTimestamp, versionKey } from './timestamps.js';
import type { AcceptedObject } from './object-validator.js';
import type { Category } from './schema-registry.js';

// S18/S19: lowercase letters, digits and single hyphens, starting with a letter, 3–250 characters.
const TYPE_NAME = /^[a-z](?:[a-z0-9]|-[a-z0-9])*$/;
// [SCH] identifier UUID part: RFC 4122 variant, versions 1–5.
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/;
// S32: created and modified carry at least millisecond precision.
const MILLIS_OR_FINER = /\.\d{3,}Z$/;


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

/** Thrown by a check; its message is the per-object failure. */
export class Rejection extends Error {}

export const MAX_NESTING = 64;

/**
 * Whether nesting stays within `limit` levels. Recursion stops at the limit, so
 * hostile input (JSON.parse accepts any depth) cannot exhaust the stack.
 */
export function nestsWithin(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (limit === 0) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!nestsWithin(item, limit - 1)) return false;
    return true;
  }
  for (const key in value) {
    if (!nestsWithin((value as Record<string, unknown>)[key], limit - 1)) return false;
  }
  return true;
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

/**
 * The envelope-entry and common-property checks; throws Rejection. `categoryOf`
 * is the schema registry's: undefined for custom types.
 */
export function checkCommon(object: unknown, categoryOf: (type: string) => Category | undefined): Omit<AcceptedObject, 'ok' | 'warnings'> {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw new Rejection(`must be a STIX object (a JSON object), got ${describe(object)}`);
  }
  if (!nestsWithin(object, MAX_NESTING)) throw new Rejection(`nests objects and lists deeper than ${MAX_NESTING} levels`);
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

  const category = categoryOf(type);
  // SDOs, SROs and meta objects other than marking-definition are versioned (S34).
  const versioned = category === 'sdo' || category === 'sro' || (category === 'meta' && type !== 'marking-definition');
  const specVersion = o['spec_version'];
  if (specVersion === undefined) {
    if (category !== 'sco' && (category !== undefined || o['created'] !== undefined)) {
      throw new Rejection(`${type}.spec_version: required property is missing (STIX 2.1 objects carry "spec_version": "2.1")`);
    }
  } else if (specVersion !== '2.1') {
    throw new Rejection(`${type}.spec_version: ${describe(specVersion)} is not supported; this server stores STIX 2.1 objects only (SR5)`);
  }

  const created = o['created'] === undefined ? undefined : checkTimestamp(type, 'created', o['created']);
  const modified = o['modified'] === undefined ? undefined : checkTimestamp(type, 'modified', o['modified']);
  if (versioned) {
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

export function placeholderId(object: unknown, index: number): string {
  const id = (object as Record<string, unknown> | null)?.['id'];
  return typeof id === 'string' && id !== '' ? id : `objects[${index}]`;
}

export function placeholderVersion(object: unknown): string {
  const o = object as Record<string, unknown> | null;
  const v = o?.['modified'] ?? o?.['created'];
  return typeof v === 'string' && v !== '' ? v : 'unknown';
}
