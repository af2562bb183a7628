/**
 * Parses TAXII URL query parameters into an ObjectFilter (taxii-2.1.md §7).
 * Any malformed value is a 400 (T34) whose description says what to send instead.
 */
import { taxiiError } from '../errors.js';
import { isStixIdentifier, isTypeName } from '../stix/common-properties.js';
import { DEFAULT_VERSIONS, type ObjectFilter, type VersionSelector } from './query.js';
import { parseTimestamp, timestampToMicros, versionKey } from '../stix/timestamps.js';

export type RawQuery = Record<string, string | string[] | undefined>;

/** Which parameters an endpoint takes (§7.2, TR8); others are ignored (T42). */
export interface ParamSet {
  readonly addedAfter: boolean;
  readonly paging: boolean;
  readonly id: boolean;
  readonly type: boolean;
  readonly version: boolean;
  readonly specVersion: boolean;
}

export const PARAMS = {
  objects: { addedAfter: true, paging: true, id: true, type: true, version: true, specVersion: true },
  object: { addedAfter: true, paging: true, id: false, type: false, version: true, specVersion: true },
  versions: { addedAfter: true, paging: true, id: false, type: false, version: false, specVersion: true },
  delete: { addedAfter: false, paging: false, id: false, type: false, version: true, specVersion: true },
} as const satisfies Record<string, ParamSet>;

export interface ParsedQuery {
  readonly filter: ObjectFilter;
  /** True when no filter parameter was given at all (a bare `next` continues the cursor's filter). */
  readonly filterless: boolean;
  readonly limit: number | undefined;
  readonly next: string | undefined;
}

export interface QueryLimits {
  readonly maxMatchValues: number;
}

function bad(description: string): never {
  throw taxiiError('BAD_PARAMETER', description);
}

function single(query: RawQuery, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) bad(`${name} may be given only once (T35, T43)`);
  return value;
}

function list(query: RawQuery, name: string, limits: QueryLimits): string[] | undefined {
  const value = single(query, name);
  if (value === undefined) return undefined;
  const items = value.split(',');
  if (items.some((item) => item === '')) bad(`${name} has an empty value; separate values with single commas and no spaces (T44)`);
  if (items.length > limits.maxMatchValues) bad(`${name} lists ${items.length} values; at most ${limits.maxMatchValues} are allowed`);
  return items;
}

function parseVersions(values: string[] | undefined): VersionSelector {
  if (values === undefined) return DEFAULT_VERSIONS;
  if (values.includes('all')) {
    if (values.length > 1) bad('match[version]=all cannot be combined with other values (T46)');
    return { all: true };
  }
  const keys: string[] = [];
  let first = false;
  let last = false;
  for (const value of values) {
    if (value === 'first') first = true;
    else if (value === 'last') last = true;
    else {
      const key = versionKey(value);
      if (key === undefined) {
        bad(`match[version] value "${value}" is not first, last, all or a STIX timestamp such as 2016-01-01T01:01:01.000Z`);
      }
      keys.push(key);
    }
  }
  return { all: false, first, last, keys };
}

function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  // Any number of digits: a limit beyond the largest page is reduced to it (README), however large.
  if (!/^[0-9]+$/.test(text) || Number(text) < 1) bad(`limit must be a whole number greater than 0, got "${text.slice(0, 40)}" (T37)`);
  return Math.min(Number(text), Number.MAX_SAFE_INTEGER);
}

export function parseQuery(query: RawQuery, params: ParamSet, limits: QueryLimits): ParsedQuery {
  let filterless = true;
  const filter: { -readonly [K in keyof ObjectFilter]: ObjectFilter[K] } = { versions: DEFAULT_VERSIONS };

  if (params.addedAfter) {
    const text = single(query, 'added_after');
    if (text !== undefined) {
      filterless = false;
      if (parseTimestamp(text) === undefined) {
        bad(`added_after must be an RFC 3339 UTC timestamp such as 2024-01-31T12:00:00.000000Z, got "${text}"`);
      }
      filter.addedAfter = timestampToMicros(text) as number;
    }
  }
  if (params.id) {
    const ids = list(query, 'match[id]', limits);
    if (ids !== undefined) {
      filterless = false;
      const wrong = ids.find((id) => !isStixIdentifier(id));
      if (wrong !== undefined) bad(`match[id] value "${wrong}" is not a STIX identifier (type--UUID)`);
      filter.ids = ids;
    }
  }
  if (params.type) {
    const types = list(query, 'match[type]', limits);
    if (types !== undefined) {
      filterless = false;
      const wrong = types.find((t) => !isTypeName(t));
      if (wrong !== undefined) bad(`match[type] value "${wrong}" is not a STIX type name`);
      filter.types = types;
    }
  }
  if (params.version) {
    const versions = list(query, 'match[version]', limits);
    if (versions !== undefined) filterless = false;
    filter.versions = parseVersions(versions);
  }
  if (params.specVersion) {
    const specVersions = list(query, 'match[spec_version]', limits);
    if (specVersions !== undefined) {
      filterless = false;
      const wrong = specVersions.find((v) => !/^[0-9]{1,3}\.[0-9]{1,3}$/.test(v));
      if (wrong !== undefined) bad(`match[spec_version] value "${wrong}" is not a version such as 2.1`);
      filter.specVersions = specVersions;
    }
  }
  const limit = params.paging ? parseLimit(single(query, 'limit')) : undefined;
  const next = params.paging ? single(query, 'next') : undefined;
  if (next === '') bad('next is empty; omit it to start from the first page');
  return { filter, filterless, limit, next };
}
