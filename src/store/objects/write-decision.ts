/**
 * What a post does to each object it carries, decided without the database: from
 * the versions already stored (with whether the submitter may see each) and the
 * next date_added, each incoming object is stored, already present (a duplicate,
 * T71), a conflict (same version, other content: S41, TR24), or stored as a copy
 * of its own, when the same version is stored but hidden from the submitter (a
 * re-post must not reveal it; reads serve each reader the earliest copy it may see).
 */
import { contentHash } from '../../stix/canonical.js';
import { formatMicros, versionKey } from '../../stix/timestamps.js';
import type { IncomingObject, WriteOutcome } from './types.js';

/** A stored version of an object the post names. */
export interface ExistingVersion {
  readonly objectId: string;
  readonly versionKey: string;
  readonly version: string;
  readonly isFirst: boolean;
  readonly isLast: boolean;
  /**
   * For the versions an incoming object could repeat: the stored text and whether the
   * submitter may see it; undefined for the others (only their keys matter).
   */
  readonly stored?: { readonly raw: string; readonly visible: boolean };
}

/** A version to insert. */
export interface NewVersion {
  readonly object: IncomingObject;
  readonly version: string;
  readonly versionKey: string;
  readonly dateAdded: number;
  readonly isFirst: boolean;
  readonly isLast: boolean;
  /** Another copy of this version is stored, hidden from the submitter. */
  readonly twin: boolean;
}

/** A stored version whose first/last flag changes because new versions sort before or after it. */
export interface FlagChange {
  readonly objectId: string;
  readonly versionKey: string;
  readonly isFirst: boolean;
  readonly isLast: boolean;
}

export interface WriteDecision {
  /** One per incoming object, in order. */
  readonly outcomes: readonly WriteOutcome[];
  readonly inserts: readonly NewVersion[];
  readonly flagChanges: readonly FlagChange[];
  /** The last date_added handed out (unchanged when nothing is inserted). */
  readonly lastDateAdded: number;
}

/**
 * Whether two texts of one version hold the same object (T71: a re-post is no
 * error): equal texts, or equal canonical JSON. Computed only for the rare
 * re-post, not stored for every version.
 */
export function sameContent(a: string, b: string): boolean {
  return a === b || contentHash(JSON.parse(a)) === contentHash(JSON.parse(b));
}

/**
 * `existing` in date_added order; `firstDateAdded` the date_added of the first insert.
 * Versioned objects are known by id and version key, unversioned ones (an SCO, whose
 * id anyone can compute) by id alone: a re-post of those with other content is a
 * conflict, and one hidden from the submitter becomes a version of its own.
 */
export function decideWrites(existing: readonly ExistingVersion[], objects: readonly IncomingObject[], firstDateAdded: number): WriteDecision {
  // The earliest copy the submitter may see, by id + version key and by id alone.
  const known = new Map<string, { raw: string; version: string }>();
  const hidden = new Set<string>();
  // Version-key range per object over stored and new versions: the is_first/is_last flags.
  const range = new Map<string, { min: string; max: string }>();
  const widen = (id: string, key: string) => {
    const r = range.get(id);
    if (r === undefined) range.set(id, { min: key, max: key });
    else if (key < r.min) r.min = key;
    else if (key > r.max) r.max = key;
  };
  for (const row of existing) {
    widen(row.objectId, row.versionKey);
    if (row.stored === undefined) continue;
    const copyKey = `${row.objectId}\u0000${row.versionKey}`;
    if (!row.stored.visible) {
      hidden.add(copyKey);
      continue;
    }
    if (!known.has(copyKey)) known.set(copyKey, { raw: row.stored.raw, version: row.version });
    if (!known.has(row.objectId)) known.set(row.objectId, { raw: row.stored.raw, version: row.version });
  }

  let next = firstDateAdded;
  const outcomes: WriteOutcome[] = [];
  const added: Omit<NewVersion, 'isFirst' | 'isLast'>[] = [];
  for (const o of objects) {
    const key = o.version === undefined ? o.id : `${o.id}\u0000${versionKey(o.version) as string}`;
    const seen = known.get(key);
    if (seen !== undefined) {
      outcomes.push(
        sameContent(seen.raw, o.raw)
          ? { kind: 'duplicate', id: o.id, version: seen.version }
          : {
              kind: 'conflict',
              id: o.id,
              version: seen.version,
              message: o.version === undefined
                ? `${o.type}: an object without modified cannot change, and this id is already stored with different content (S41)`
                : `${o.type}.modified: version ${o.version} is already stored with different content; a changed object needs a new modified (S41, TR24)`,
            },
      );
      continue;
    }
    const dateAdded = next++;
    const version = o.version ?? formatMicros(dateAdded);
    const vKey = versionKey(version) as string;
    known.set(key, { raw: o.raw, version });
    outcomes.push({ kind: 'added', id: o.id, version, dateAdded });
    widen(o.id, vKey);
    added.push({ object: o, version, versionKey: vKey, dateAdded, twin: hidden.has(key) });
  }
  const inserts = added.map((row) => {
    const r = range.get(row.object.id);
    return { ...row, isFirst: r?.min === row.versionKey, isLast: r?.max === row.versionKey };
  });
  const flagChanges = existing.flatMap((row) => {
    const r = range.get(row.objectId);
    if (r === undefined) return [];
    const isFirst = row.versionKey === r.min;
    const isLast = row.versionKey === r.max;
    return row.isFirst === isFirst && row.isLast === isLast ? [] : [{ objectId: row.objectId, versionKey: row.versionKey, isFirst, isLast }];
  });
  return { outcomes, inserts, flagChanges, lastDateAdded: next - 1 };
}
