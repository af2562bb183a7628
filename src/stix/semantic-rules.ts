/**
 * Rules a JSON Schema cannot express (stix-2.1.md §20 C13): time order, calendar
 * validity of timestamps, granular-marking selectors, extension keys, reserved
 * names, `_enc` companions. Each returns a message or undefined.
 */
import { IANA_CHARSET_NAMES } from './charset-names.js';
import { versionKey } from './timestamps.js';

type Obj = Record<string, unknown>;

/** [type ('*' = any), earlier, later, strictly later?] */
const TIME_ORDER: readonly [string, string, string, boolean][] = [
  ['indicator', 'valid_from', 'valid_until', true],
  ['relationship', 'start_time', 'stop_time', true],
  ['observed-data', 'first_observed', 'last_observed', false],
  ['network-traffic', 'start', 'end', false],
  ['x509-certificate', 'validity_not_before', 'validity_not_after', false],
  ['malware-analysis', 'analysis_started', 'analysis_ended', false],
  ['*', 'first_seen', 'last_seen', false],
];

// S22, C5
const RESERVED = ['severity', 'username', 'phone_number', 'phone_numbers', 'action'];

/**
 * Time order. Whether each timestamp is a real date is the schemas' (the stix-timestamp
 * format, S31); a property of a custom type that is not a timestamp has no order.
 */
export function timeFailure(o: Obj, type: string): string | undefined {
  for (const [on, earlier, later, strict] of TIME_ORDER) {
    if (on !== '*' && on !== type) continue;
    const a = o[earlier];
    const b = o[later];
    if (typeof a !== 'string' || typeof b !== 'string') continue;
    const ka = versionKey(a);
    const kb = versionKey(b);
    if (ka === undefined || kb === undefined) continue;
    if (strict ? kb <= ka : kb < ka) {
      return `${type}.${later}: must be ${strict ? 'later than' : 'the same as or later than'} ${earlier} (${b} vs ${a})`;
    }
  }
  return undefined;
}

/** SR6: every selector resolves to content present in the object (S78). */
export function selectorFailure(o: Obj, type: string): string | undefined {
  const markings = o['granular_markings'];
  if (!Array.isArray(markings)) return undefined;
  for (const [i, marking] of markings.entries()) {
    const selectors = (marking as Obj | null)?.['selectors'];
    if (!Array.isArray(selectors)) continue;
    for (const selector of selectors) {
      if (typeof selector !== 'string') continue;
      let current: unknown = o;
      for (const part of selector.split('.')) {
        const index = /^\[(\d+)\]$/.exec(part);
        if (index !== null) current = Array.isArray(current) ? current[Number(index[1])] : undefined;
        else current = current !== null && typeof current === 'object' && !Array.isArray(current) ? (current as Obj)[part] : undefined;
        if (current === undefined) {
          return `${type}.granular_markings[${i}].selectors: "${selector}" does not resolve to a property of this object (S78)`;
        }
      }
    }
  }
  return undefined;
}

const EXTENSION_DEFINITION_ID = /^extension-definition--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/;
const EXTENSION_TYPES = new Set(['new-sdo', 'new-sco', 'new-sro', 'property-extension', 'toplevel-property-extension']);

export function extensionFailure(o: Obj, type: string): string | undefined {
  const extensions = o['extensions'];
  if (extensions === null || typeof extensions !== 'object' || Array.isArray(extensions)) return undefined;
  for (const [key, value] of Object.entries(extensions as Obj)) {
    if (EXTENSION_DEFINITION_ID.test(key)) {
      const kind = (value as Obj | null)?.['extension_type'];
      if (kind === undefined) {
        return `${type}.extensions.${key}.extension_type: required for an extension defined by an extension-definition (§7.3)`;
      }
      if (typeof kind !== 'string' || !EXTENSION_TYPES.has(kind)) {
        return `${type}.extensions.${key}.extension_type: must be one of ${[...EXTENSION_TYPES].join(', ')}`;
      }
    } else if (!/^[a-z0-9][a-z0-9-]{0,246}-ext$/.test(key)) {
      return `${type}.extensions: key "${key}" must be an extension-definition id or a predefined extension name ending in -ext`;
    }
  }
  return undefined;
}

const GRANDFATHERED = new Set([
  'en-gb-oed', 'i-ami', 'i-bnn', 'i-default', 'i-enochian', 'i-hak', 'i-klingon', 'i-lux', 'i-mingo', 'i-navajo', 'i-pwn', 'i-tao', 'i-tay',
  'i-tsu', 'sgn-be-fr', 'sgn-be-nl', 'sgn-ch-de', 'art-lojban', 'cel-gaulish', 'no-bok', 'no-nyn', 'zh-guoyu', 'zh-hakka', 'zh-min',
  'zh-min-nan', 'zh-xiang',
]);

/**
 * An RFC 5646 language tag, well-formed (RFC 5646 §2.1: language with up to three
 * extended subtags, script, region, variants, extensions, private use; or a
 * grandfathered tag). Whether its subtags are registered is not checked. Read subtag
 * by subtag rather than with one pattern, so that no input can make it backtrack.
 */
export function isLanguageTag(value: string): boolean {
  if (value.length > 100) return false;
  const lower = value.toLowerCase();
  if (GRANDFATHERED.has(lower)) return true;
  const subtags = lower.split('-');
  let i = 0;
  const next = (form: RegExp): boolean => i < subtags.length && form.test(subtags[i] as string) && ++i > 0;
  const many = (form: RegExp, most = Infinity): number => {
    let n = 0;
    while (n < most && next(form)) n += 1;
    return n;
  };
  const privateUse = (): boolean => i < subtags.length && subtags.slice(i).every((s) => /^[a-z\d]{1,8}$/.test(s));
  if (next(/^x$/)) return privateUse();
  if (next(/^[a-z]{2,3}$/)) many(/^[a-z]{3}$/, 3); // extended language subtags
  else if (!next(/^[a-z]{4,8}$/)) return false;
  next(/^[a-z]{4}$/); // script
  next(/^(?:[a-z]{2}|\d{3})$/); // region
  many(/^(?:[a-z\d]{5,8}|\d[a-z\d]{3})$/); // variants
  // extensions: a singleton (any letter or digit but x), then subtags of 2 to 8
  while (next(/^[a-wyz\d]$/)) if (many(/^[a-z\d]{2,8}$/) === 0) return false;
  if (next(/^x$/)) return privateUse();
  return i === subtags.length;
}

const TRANSLATED_PROPERTY = /^[a-z][a-z0-9_]{2,249}$/;

/** Where STIX wants RFC 5646 tags (§3.2 lang, §7.2.3 granular markings, language-content, software), and what a translation names. */
export function languageFailure(o: Obj, type: string): string | undefined {
  const bad = (where: string, value: unknown): string | undefined =>
    typeof value === 'string' && !isLanguageTag(value) ? `${type}.${where}: ${JSON.stringify(value.slice(0, 60))} is not an RFC 5646 language tag (e.g. en, de-CH, zh-Hant)` : undefined;
  const checks: (string | undefined)[] = [bad('lang', o['lang'])];
  const markings = o['granular_markings'];
  if (Array.isArray(markings)) markings.forEach((m, i) => checks.push(bad(`granular_markings[${i}].lang`, (m as Obj | null)?.['lang'])));
  const contents = o['contents'];
  if (type === 'language-content' && contents !== null && typeof contents === 'object' && !Array.isArray(contents)) {
    for (const [key, translation] of Object.entries(contents)) {
      checks.push(isLanguageTag(key) ? undefined : `${type}.contents: key ${JSON.stringify(key.slice(0, 60))} is not an RFC 5646 language tag`);
      // The keys of a translation name properties of the object translated (§3.1, S19).
      const names = translation !== null && typeof translation === 'object' ? Object.keys(translation) : [];
      const bad = names.find((name) => !TRANSLATED_PROPERTY.test(name));
      if (bad !== undefined) checks.push(`${type}.contents.${key}: key ${JSON.stringify(bad.slice(0, 60))} is not a property name (a-z, 0-9 and _, 3 to 250 characters, starting with a letter; S19)`);
    }
  }
  const languages = o['languages'];
  if (type === 'software' && Array.isArray(languages)) languages.forEach((l, i) => checks.push(bad(`languages[${i}]`, l)));
  return checks.find((c) => c !== undefined);
}

/** What one walk over an object's `_bin` and `_hex` properties found (extensions and nested structures too). */
export interface EncodingFindings {
  /**
   * S1: binary values are base64 (RFC 4648 §4), in groups of four characters with the
   * last one padded (padding is required unless the referring specification says
   * otherwise, §3.2; STIX does not). The schemas check the characters; the length is
   * checked here, since a pattern for it would nest quantifiers.
   */
  binary?: string;
  /**
   * S8: hex is lower case. OASIS's own examples and tools write `magic_number_hex` in
   * upper case (python-stix2, the STIX slider), so upper case is a warning, and a
   * failure only in strict mode (the schemas accept both cases).
   */
  upperCaseHex?: string;
}

/** The first failure of each kind, in one pass over the object. */
export function encodingFindings(o: Obj, type: string): EncodingFindings {
  const found: EncodingFindings = {};
  const walk = (value: unknown, at: string): void => {
    if (value === null || typeof value !== 'object' || found.binary !== undefined) return;
    const list = Array.isArray(value);
    for (const [key, item] of Object.entries(value)) {
      const where = list ? `${at}[${key}]` : `${at}.${key}`;
      if (!list && typeof item === 'string') {
        if (key.endsWith('_bin') && item.length % 4 !== 0) {
          found.binary = `${where}: is not base64 in whole groups of four characters, padded with = (S1, RFC 4648)`;
          return;
        }
        if (key.endsWith('_hex') && found.upperCaseHex === undefined && /[A-F]/.test(item)) found.upperCaseHex = `${where}: hex is written in lower case (S8)`;
      }
      walk(item, where);
    }
  };
  walk(o, type);
  return found;
}

/** S5: the identifier forms of the sources the specification names. */
const EXTERNAL_IDS: Readonly<Record<string, { readonly form: RegExp; readonly written: string }>> = {
  capec: { form: /^CAPEC-\d+$/, written: 'CAPEC-<digits>' },
  cve: { form: /^CVE-\d{4}-\d{4,}$/, written: 'the exact CVE identifier, CVE-<year>-<at least 4 digits>' },
};

export function externalReferenceFailure(o: Obj, type: string): string | undefined {
  const references = o['external_references'];
  if (!Array.isArray(references)) return undefined;
  for (const [i, reference] of references.entries()) {
    const { source_name: source, external_id: id } = (reference ?? {}) as Obj;
    const named = typeof source === 'string' ? source.toLowerCase() : undefined;
    if (named !== undefined && named !== source && EXTERNAL_IDS[named] !== undefined) {
      return `${type}.external_references[${i}].source_name: a reference to ${named.toUpperCase()} names its source "${named}", in lower case (S5)`;
    }
    const expected = typeof source === 'string' ? EXTERNAL_IDS[source] : undefined;
    if (expected !== undefined && typeof id === 'string' && !expected.form.test(id)) {
      return `${type}.external_references[${i}].external_id: ${JSON.stringify(id)} is not how a ${String(source)} reference is written: ${expected.written} (S5)`;
    }
  }
  return undefined;
}

const CHARSET_NAMES: ReadonlySet<string> = new Set(IANA_CHARSET_NAMES.map((name) => name.toLowerCase()));

export function namingFailure(o: Obj, type: string): string | undefined {
  for (const name of RESERVED) {
    if (name in o) return `${type}.${name}: is a reserved property name and must not be used (S22)`;
  }
  for (const name of Object.keys(o)) {
    if (!name.endsWith('_enc')) continue;
    if (!(name.slice(0, -4) in o)) return `${type}.${name}: must not be present without ${name.slice(0, -4)} (S20)`;
    const value = o[name];
    if (typeof value === 'string' && !CHARSET_NAMES.has(value.toLowerCase())) {
      return `${type}.${name}: ${JSON.stringify(value.slice(0, 60))} is not a character set name of the IANA registry (e.g. UTF-8, windows-1252, ISO-8859-1, latin1; S20)`;
    }
  }
  return undefined;
}

/** Extension types (new-sdo, new-sco, …) the object declares through extension-definitions. */
export function declaredExtensionTypes(o: Obj): Set<string> {
  const kinds = new Set<string>();
  const extensions = o['extensions'];
  if (extensions !== null && typeof extensions === 'object' && !Array.isArray(extensions)) {
    for (const [key, value] of Object.entries(extensions as Obj)) {
      const kind = (value as Obj | null)?.['extension_type'];
      if (EXTENSION_DEFINITION_ID.test(key) && typeof kind === 'string') kinds.add(kind);
    }
  }
  return kinds;
}
