/**
 * Offline validation of STIX files with the same validator the server uses:
 * a bundle or envelope ({"objects": [...]}), a JSON list of objects, or one object.
 */
import { readFileSync } from 'node:fs';
import type { ObjectValidator } from './object-validator.js';

export interface FileReport {
  readonly file: string;
  readonly objects: number;
  /** One line per rejected object. */
  readonly failures: readonly string[];
  /** Why the file could not be read as STIX at all (then it has no objects and no failures). */
  readonly unreadable?: string;
}

function objectsOf(parsed: unknown): unknown[] | undefined {
  if (Array.isArray(parsed)) return parsed;
  if (parsed !== null && typeof parsed === 'object') {
    const objects = (parsed as Record<string, unknown>)['objects'];
    if (Array.isArray(objects)) return objects;
    if (typeof (parsed as Record<string, unknown>)['type'] === 'string') return [parsed];
  }
  return undefined;
}

export function validateFile(file: string, validator: ObjectValidator): FileReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return { file, objects: 0, failures: [], unreadable: `${file}: cannot read as JSON: ${(err as Error).message}` };
  }
  const objects = objectsOf(parsed);
  if (objects === undefined) return { file, objects: 0, failures: [], unreadable: `${file}: not a bundle, envelope, list of objects or STIX object` };
  const failures: string[] = [];
  objects.forEach((object, index) => {
    const verdict = validator.validate(object, index);
    if (!verdict.ok) failures.push(`${file}: objects[${index}] ${verdict.id}: ${verdict.message}`);
  });
  return { file, objects: objects.length, failures };
}
