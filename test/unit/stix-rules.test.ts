/**
 * The rules a schema cannot express, table-driven: each with a valid and an
 * invalid object, through the validator the POST path uses (stix-2.1.md §4–§20).
 */
import t from 'tap';
import type { Strictness } from '../../src/stix/object-validator.js';
import { isLanguageTag } from '../../src/stix/semantic-rules.js';
import { createValidators } from '../../src/stix/validators.js';

const validators = createValidators();
type Obj = Record<string, unknown>;

const T = '2024-01-01T00:00:00.000Z';
const IDENTITY = 'identity--0b5b7e2e-3f5a-4b8c-9f4f-7d1c2f6a9e10';
const MARKING = 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da';
const EXT_DEF = 'extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e';

const indicator = (extra: Obj = {}): Obj => ({
  type: 'indicator', spec_version: '2.1', id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', created: T, modified: T,
  pattern: "[ipv4-addr:value = '198.51.100.1']", pattern_type: 'stix', valid_from: T, ...extra,
});
const relationship = (extra: Obj = {}): Obj => ({
  type: 'relationship', spec_version: '2.1', id: 'relationship--2f9d6c7a-9f3e-4a7b-8b1e-0c2d3e4f5a6b', created: T, modified: T,
  relationship_type: 'indicates', source_ref: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
  target_ref: 'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b', ...extra,
});
const sighting = (extra: Obj = {}): Obj => ({
  type: 'sighting', spec_version: '2.1', id: 'sighting--ee20065d-2555-424f-ad9e-0f8428623c75', created: T, modified: T,
  sighting_of_ref: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', ...extra,
});
const ipv4 = (extra: Obj = {}): Obj => ({
  type: 'ipv4-addr', spec_version: '2.1', id: 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4', value: '198.51.100.3', ...extra,
});
const networkTraffic = (extra: Obj = {}): Obj => ({
  type: 'network-traffic', spec_version: '2.1', id: 'network-traffic--f8ae967a-3dc3-5cdf-8f94-8505abff00c2',
  src_ref: 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4', protocols: ['tcp'], ...extra,
});

const IPV4 = 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4';
const observedData = (refs: string[]): Obj => ({
  type: 'observed-data', spec_version: '2.1', id: 'observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf', created: T, modified: T,
  first_observed: T, last_observed: T, number_observed: 1, object_refs: refs,
});
const container = (objects: Obj): Obj => ({
  type: 'observed-data', spec_version: '2.1', id: 'observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf', created: T, modified: T,
  first_observed: T, last_observed: T, number_observed: 1, objects,
});
const languageContent = (contents: Obj): Obj => ({
  type: 'language-content', spec_version: '2.1', id: 'language-content--b86bd89f-98bb-4fa9-8cb2-9ad421da981d', created: T, modified: T,
  object_ref: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', object_modified: T, contents,
});
const artifact = (payload: string): Obj => ({
  type: 'artifact', spec_version: '2.1', id: 'artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641', mime_type: 'text/plain', payload_bin: payload,
});
const customObject = (extra: Obj = {}): Obj => ({
  type: 'x-acme-widget', spec_version: '2.1', id: 'x-acme-widget--2f9d6c7a-9f3e-4a7b-8b1e-0c2d3e4f5a6b', created: T, modified: T, ...extra,
});

interface Case {
  readonly rule: string;
  readonly valid: Obj;
  readonly invalid: Obj;
  readonly message: RegExp;
  readonly strictness?: Strictness;
}

const pebinary = (stamp: string): Obj => ({
  type: 'file', spec_version: '2.1', id: 'file--6a0a7d5e-0f7b-5c7e-9d1c-3a7b8c9d0e1f', name: 'a.exe',
  extensions: { 'windows-pebinary-ext': { pe_type: 'exe', time_date_stamp: stamp } },
});
const certificate = (notBefore: string): Obj => ({
  type: 'x509-certificate', spec_version: '2.1', id: 'x509-certificate--463d7b2a-8516-5a50-a3d7-6f801465d5de', serial_number: '01',
  x509_v3_extensions: { private_key_usage_period_not_before: notBefore, private_key_usage_period_not_after: '2025-01-01T00:00:00Z' },
});

const cases: Case[] = [
  {
    rule: '§9.7 a pattern compares a property its SCO type has',
    valid: indicator({ pattern: "[file:name = 'x' AND file:x_acme_score > 3 AND file:hashes.'SHA-256' = 'ab' AND file:parent_directory_ref.path = 'C:']" }),
    invalid: indicator({ pattern: "[file:name = 'a'] AND [file:nme = 'x']" }),
    message: /^indicator\.pattern: file has no property 'nme' \(custom properties in a pattern start with x_; §9\.7\) \(at position 23\)$/,
  },
  {
    rule: '§9.7 a pattern names an SCO type (a custom one has a well-formed type name)',
    valid: indicator({ pattern: "[x-acme-sensor:reading = 'x'] OR [acme-sensor:anything = 1]" }),
    invalid: indicator({ pattern: "[f:name = 'x']" }),
    message: /^indicator\.pattern: 'f' is not an SCO type: STIX types are 3 to 250 lowercase letters/,
  },
  {
    rule: '§9.7 a pattern does not compare SDO properties',
    valid: indicator({ pattern: "[domain-name:value = 'example.com']" }),
    invalid: indicator({ pattern: "[indicator:name = 'x']" }),
    message: /^indicator\.pattern: 'indicator' is not an SCO type: patterns compare properties of cyber-observable objects/,
  },
  {
    rule: '§9.5 comparisons of different SCO types in one observation expression are joined by OR, not AND',
    valid: indicator({ pattern: "[ipv4-addr:value = '1.2.3.4' OR file:name = 'a'] AND [ipv4-addr:value = '1.2.3.5' AND ipv4-addr:x_seen = true]" }),
    invalid: indicator({ pattern: "[ipv4-addr:value = '1.2.3.4' AND file:name = 'a']" }),
    message: /^indicator\.pattern: comparisons joined by AND in one observation expression must be about one SCO type, here ipv4-addr and file: .* \(at position 33\)$/,
  },
  {
    rule: '§9.5 AND over a group that mixes types is refused too',
    valid: indicator({ pattern: "[(file:name = 'a' OR file:size = 3) AND file:mime_type = 'x']" }),
    invalid: indicator({ pattern: "[(file:name = 'a' OR directory:path = 'b') AND file:size = 3]" }),
    message: /here file and directory/,
  },
  {
    rule: '§9.6.1 MATCHES takes a PCRE',
    valid: indicator({ pattern: "[file:name MATCHES '^(?i)report[0-9]++\\\\.exe$']" }),
    invalid: indicator({ pattern: "[file:name MATCHES '(unclosed']" }),
    message: /^indicator\.pattern: MATCHES needs a PCRE regular expression: this one opens a group with '\(' that is never closed/,
  },
  {
    rule: 'permissive: a pattern may compare any property; types still are SCO types',
    strictness: 'permissive',
    valid: indicator({ pattern: "[file:acme_rating = 3]" }),
    invalid: indicator({ pattern: "[ipv4-addr:value = '1.2.3.4' AND file:name = 'a']" }),
    message: /must be about one SCO type/,
  },
  {
    rule: '§3 a marking definition does not mark itself (object_marking_refs)',
    valid: { type: 'marking-definition', spec_version: '2.1', id: 'marking-definition--6a9a4a8e-3cc0-4d3d-8e0f-0a2a6c7b8d9e', created: T, definition_type: 'statement', definition: { statement: 'x' }, object_marking_refs: [MARKING] },
    invalid: { type: 'marking-definition', spec_version: '2.1', id: 'marking-definition--6a9a4a8e-3cc0-4d3d-8e0f-0a2a6c7b8d9e', created: T, definition_type: 'statement', definition: { statement: 'x' }, object_marking_refs: ['marking-definition--6a9a4a8e-3cc0-4d3d-8e0f-0a2a6c7b8d9e'] },
    message: /^marking-definition\.object_marking_refs: a marking definition must not mark itself/,
  },
  {
    rule: '§3 a marking definition does not mark itself (granular_markings)',
    valid: { type: 'marking-definition', spec_version: '2.1', id: 'marking-definition--6a9a4a8e-3cc0-4d3d-8e0f-0a2a6c7b8d9e', created: T, definition_type: 'statement', definition: { statement: 'x' }, granular_markings: [{ selectors: ['definition'], marking_ref: MARKING }] },
    invalid: { type: 'marking-definition', spec_version: '2.1', id: 'marking-definition--6a9a4a8e-3cc0-4d3d-8e0f-0a2a6c7b8d9e', created: T, definition_type: 'statement', definition: { statement: 'x' }, granular_markings: [{ selectors: ['definition'], marking_ref: 'marking-definition--6a9a4a8e-3cc0-4d3d-8e0f-0a2a6c7b8d9e' }] },
    message: /^marking-definition\.granular_markings\[0\]\.marking_ref: a marking definition must not mark itself/,
  },
  {
    rule: 'tlp.md §5.3 a published TLP id carries its published body (L11, L12)',
    valid: { type: 'marking-definition', spec_version: '2.1', id: MARKING, created: '2017-01-20T00:00:00.000Z', definition_type: 'tlp', name: 'TLP:GREEN', definition: { tlp: 'green' } },
    invalid: { type: 'marking-definition', spec_version: '2.1', id: MARKING, created: '2017-01-20T00:00:00.000Z', definition_type: 'tlp', name: 'TLP:GREEN', definition: { tlp: 'amber' } },
    message: /is the published TLP:GREEN marking and must define exactly that level/,
  },
  {
    rule: 'S16 the objects of the deprecated container are held to their own types\' rules',
    valid: container({ 0: { type: 'ipv4-addr', value: '198.51.100.3' }, 1: { type: 'network-traffic', src_ref: '0', protocols: ['tcp'] } }),
    invalid: container({ 0: { type: 'ipv4-addr', value: '198.51.100.3' }, 1: { type: 'network-traffic', protocols: ['tcp'] } }),
    message: /^observed-data\.objects\.1: network-traffic(\.src_ref)?: needs at least one of src_ref or dst_ref/,
  },
  {
    rule: 'S16 references inside the container point to keys of it, of the types the reference allows',
    valid: container({ 0: { type: 'file', name: 'a.txt', parent_directory_ref: '1' }, 1: { type: 'directory', path: 'C:\\' } }),
    invalid: container({ 0: { type: 'file', name: 'a.txt', parent_directory_ref: '1' }, 1: { type: 'file', name: 'b.txt' } }),
    message: /^observed-data\.objects\.0: file\.parent_directory_ref: .*directory/,
  },
  {
    rule: 'S16 a reference to no key of the container',
    valid: container({ 0: { type: 'domain-name', value: 'example.com' } }),
    invalid: container({ 0: { type: 'domain-name', value: 'example.com', resolves_to_refs: ['5'] } }),
    message: /^observed-data\.objects\.0\.resolves_to_refs\[0\]: "5" is not a key of observed-data\.objects/,
  },
  {
    rule: 'S16 the container holds SCOs',
    valid: container({ 0: { type: 'x-acme-sensor', reading: 3 } }),
    invalid: container({ 0: { type: 'malware', name: 'x', is_family: true } }),
    message: /^observed-data\.objects\.0\.type: "malware" is not an SCO type; the container holds cyber-observable objects \(S16\)$/,
  },
  {
    rule: 'S20 an _enc property holds a character set name of the IANA registry (any case, aliases too)',
    valid: { type: 'file', spec_version: '2.1', id: 'file--6a0a7d5e-0f7b-5c7e-9d1c-3a7b8c9d0e1f', name: 'r\u00e9sum\u00e9.txt', name_enc: 'LATIN1' },
    invalid: { type: 'file', spec_version: '2.1', id: 'file--6a0a7d5e-0f7b-5c7e-9d1c-3a7b8c9d0e1f', name: 'a.txt', name_enc: 'utf8' },
    message: /^file\.name_enc: "utf8" is not a character set name of the IANA registry \(e\.g\. UTF-8/,
  },
  {
    rule: 'S20 directory.path_enc too; registry names longer than RFC 2978\'s 40 characters are names all the same',
    valid: { type: 'directory', spec_version: '2.1', id: 'directory--93c0a9b0-520d-545d-9094-1a08ddf46b05', path: 'C:\\a', path_enc: 'Extended_UNIX_Code_Packed_Format_for_Japanese' },
    invalid: { type: 'directory', spec_version: '2.1', id: 'directory--93c0a9b0-520d-545d-9094-1a08ddf46b05', path: 'C:\\a', path_enc: 'cp-1252' },
    message: /^directory\.path_enc: "cp-1252" is not a character set name/,
  },
  {
    rule: 'S28 a process has no ID contributing properties: its id is a random UUIDv4',
    valid: { type: 'process', spec_version: '2.1', id: 'process--07bc30ad-4808-4b55-9d7d-3a6fc8f4ecb3', pid: 1221 },
    invalid: { type: 'process', spec_version: '2.1', id: 'process--ff1e0780-358c-5808-a8c7-d0fca4ef6ef4', pid: 1221 },
    message: /^process\.id: a process has no ID contributing properties, so its id is a random UUIDv4 \(S28\), not a version 5 UUID$/,
  },
  {
    rule: 'S28 an SCO none of whose ID contributing properties is present has a random UUIDv4 id',
    valid: { type: 'user-account', spec_version: '2.1', id: 'user-account--0d5b424b-93b8-4fdb-8b8d-2f2e2b8b1c5a', display_name: 'Jane' },
    invalid: { type: 'user-account', spec_version: '2.1', id: 'user-account--0d5b424b-93b8-5fdb-8b8d-2f2e2b8b1c5a', display_name: 'Jane' },
    message: /^user-account\.id: none of its ID contributing properties is present, so its id is a random UUIDv4 \(S28\), not a version 5 UUID$/,
  },
  {
    rule: 'S5 a reference to CVE names its source "cve", in lower case',
    valid: indicator({ external_references: [{ source_name: 'cve', external_id: 'CVE-2016-1234' }] }),
    invalid: indicator({ external_references: [{ source_name: 'CVE', external_id: 'CVE-2016-1234' }] }),
    message: /^indicator\.external_references\[0\]\.source_name: a reference to CVE names its source "cve", in lower case \(S5\)$/,
  },
  {
    rule: 'S19 the keys of a translation name properties of the object translated',
    valid: languageContent({ es: { name: 'el nombre', x_acme_note: 'nota' } }),
    invalid: languageContent({ es: { a: 'boo' } }),
    message: /^language-content\.contents\.es: key "a" is not a property name/,
  },
  {
    rule: 'S31 a timestamp inside an extension is a real date',
    valid: pebinary('2024-02-29T10:00:00Z'),
    invalid: pebinary('2023-02-29T10:00:00Z'),
    message: /^file\.extensions\.windows-pebinary-ext\.time_date_stamp: is not a valid timestamp: a real date and time .*\(S31\)$/,
  },
  {
    rule: 'S31 a timestamp nested in an SCO property is a real date',
    valid: certificate('2024-01-31T00:00:00Z'),
    invalid: certificate('2024-04-31T00:00:00Z'),
    message: /^x509-certificate\.x509_v3_extensions\.private_key_usage_period_not_before: is not a valid timestamp: a real date/,
  },
  {
    rule: 'RFC 3339 §5.7 a leap second is ordered before the day rolls over (stop_time after start_time)',
    valid: relationship({ start_time: '2016-12-31T23:59:60.000Z', stop_time: '2017-01-01T00:00:00.000Z' }),
    invalid: relationship({ start_time: '2017-01-01T00:00:00.000Z', stop_time: '2016-12-31T23:59:60.000Z' }),
    message: /^relationship\.stop_time: must be later than start_time/,
  },
  {
    rule: 'RFC 3339 §5.7 modified half a second into a leap second is before the next day\'s created (S38)',
    valid: indicator({ created: '2016-12-31T23:59:60.500Z', modified: '2017-01-01T00:00:00.000Z' }),
    invalid: indicator({ created: '2017-01-01T00:00:00.000Z', modified: '2016-12-31T23:59:60.500Z' }),
    message: /^indicator\.modified: .* must not be earlier than created/,
  },
  {
    rule: 'RFC 3339 §5.6 fraction digits are unlimited; a leap second ends a UTC day',
    valid: indicator({ valid_from: `2024-01-01T00:00:00.${'1'.repeat(34)}Z` }),
    invalid: indicator({ valid_from: '2024-01-01T12:00:60Z' }),
    message: /^indicator\.valid_from: is not a valid timestamp: a real date and time/,
  },
  {
    rule: 'S5 a capec reference is CAPEC-<digits>',
    valid: indicator({ external_references: [{ source_name: 'capec', external_id: 'CAPEC-163' }] }),
    invalid: indicator({ external_references: [{ source_name: 'capec', external_id: '163' }] }),
    message: /^indicator\.external_references\[0\]\.external_id: "163" is not how a capec reference is written: CAPEC-<digits> \(S5\)$/,
  },
  {
    rule: 'S5 a cve reference is the exact CVE identifier',
    valid: indicator({ external_references: [{ source_name: 'url', url: 'https://example.org/' }, { source_name: 'cve', external_id: 'CVE-2021-44228' }] }),
    invalid: indicator({ external_references: [{ source_name: 'cve', external_id: 'cve-2021-44228' }] }),
    message: /^indicator\.external_references\[0\]\.external_id: "cve-2021-44228" is not how a cve reference is written: the exact CVE identifier/,
  },
  { rule: '§3.2 lang is an RFC 5646 tag', valid: indicator({ lang: 'zh-Hant-TW' }), invalid: indicator({ lang: 'en_US' }), message: /^indicator\.lang: "en_US" is not an RFC 5646 language tag/ },
  {
    rule: '§7.2.3 a granular marking\'s lang is an RFC 5646 tag',
    valid: indicator({ granular_markings: [{ selectors: ['pattern'], lang: 'de-CH' }] }),
    invalid: indicator({ granular_markings: [{ selectors: ['pattern'], lang: 'deutsch schweiz' }] }),
    message: /^indicator\.granular_markings\[0\]\.lang: "deutsch schweiz" is not an RFC 5646 language tag/,
  },
  {
    rule: '§7.1 language-content keys are RFC 5646 tags',
    valid: languageContent({ 'sr-Latn': { name: 'x' } }),
    invalid: languageContent({ fr_FR: { name: 'x' } }),
    message: /^language-content\.contents: key "fr_FR" is not an RFC 5646 language tag/,
  },
  { rule: 'RFC 5646: no empty subtag', valid: languageContent({ 'de-AT': { name: 'x' } }), invalid: languageContent({ 'de--at': { name: 'x' } }), message: /key "de--at" is not an RFC 5646/ },
  {
    rule: '§6 software languages are RFC 5646 tags',
    valid: { type: 'software', spec_version: '2.1', id: 'software--a1827f6d-ca53-5605-9e93-4316cd22a00a', name: 'Word', languages: ['en', 'es-419'] },
    invalid: { type: 'software', spec_version: '2.1', id: 'software--a1827f6d-ca53-5605-9e93-4316cd22a00a', name: 'Word', languages: ['en', 'english (US)'] },
    message: /^software\.languages\[1\]: "english \(US\)" is not an RFC 5646 language tag/,
  },
  { rule: 'S1 binary is padded base64', valid: artifact('YWJj'), invalid: artifact('abc'), message: /^artifact\.payload_bin: is not base64 in whole groups of four characters, padded with = \(S1, RFC 4648\)$/ },
  { rule: 'S1 binary is padded base64: no unpadded end', valid: artifact('YWI='), invalid: artifact('YWI'), message: /^artifact\.payload_bin: is not base64/ },
  {
    rule: 'S1 binary is padded base64, in a custom property nested in an extension too',
    valid: indicator({ extensions: { [EXT_DEF]: { extension_type: 'property-extension', sample: { x_blob_bin: 'YWJjZA==' } } } }),
    invalid: indicator({ extensions: { [EXT_DEF]: { extension_type: 'property-extension', sample: { x_blob_bin: 'YWJjZA=' } } } }),
    message: new RegExp(`^indicator\\.extensions\\.${EXT_DEF}\\.sample\\.x_blob_bin: is not base64`),
  },
  { rule: 'S24 id prefix equals type', valid: indicator(), invalid: indicator({ id: 'malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f' }), message: /^indicator\.id: .* must start with "indicator--"/ },
  { rule: 'S24 id ends in an RFC 4122 UUID', valid: indicator(), invalid: indicator({ id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3' }), message: /^indicator\.id: .*RFC 4122 UUID/ },
  { rule: 'S38 modified not before created', valid: indicator({ modified: '2024-02-01T00:00:00.000Z' }), invalid: indicator({ modified: '2023-12-31T23:59:59.999Z' }), message: /^indicator\.modified: .*must not be earlier than created/ },
  { rule: 'S31 timestamps use Z', valid: indicator(), invalid: indicator({ valid_from: '2024-01-01T00:00:00+00:00' }), message: /^indicator\.valid_from: is not a valid timestamp/ },
  { rule: 'S31 timestamps are real dates', valid: indicator({ valid_from: '2024-02-29T00:00:00Z' }), invalid: indicator({ valid_from: '2023-02-29T00:00:00Z' }), message: /^indicator\.valid_from: is not a valid timestamp: a real date/ },
  { rule: 'S32 created has millisecond precision', valid: indicator(), invalid: indicator({ created: '2024-01-01T00:00:00Z', modified: '2024-01-01T00:00:00Z' }), message: /^indicator\.created: .*millisecond/ },
  { rule: 'indicator valid_until later than valid_from', valid: indicator({ valid_until: '2024-01-01T00:00:00.001Z' }), invalid: indicator({ valid_until: T }), message: /^indicator\.valid_until: must be later than valid_from/ },
  { rule: 'relationship stop_time later than start_time', valid: relationship({ start_time: T, stop_time: '2024-01-02T00:00:00Z' }), invalid: relationship({ start_time: T, stop_time: T }), message: /^relationship\.stop_time: must be later than start_time/ },
  { rule: 'last_seen not before first_seen', valid: sighting({ first_seen: T, last_seen: T }), invalid: sighting({ first_seen: T, last_seen: '2023-01-01T00:00:00Z' }), message: /^sighting\.last_seen: must be the same as or later than first_seen/ },
  { rule: 'network-traffic end not before start', valid: networkTraffic({ start: T, end: T }), invalid: networkTraffic({ start: T, end: '2023-01-01T00:00:00Z' }), message: /^network-traffic\.end: must be the same as or later than start/ },
  { rule: 'S45 created_by_ref → identity', valid: indicator({ created_by_ref: IDENTITY }), invalid: indicator({ created_by_ref: 'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b' }), message: /^indicator\.created_by_ref: refers to a malware object; it must refer to identity/ },
  { rule: 'S46 object_marking_refs → marking-definition', valid: indicator({ object_marking_refs: [MARKING] }), invalid: indicator({ object_marking_refs: [IDENTITY] }), message: /^indicator\.object_marking_refs\[0\]: refers to a identity object/ },
  { rule: 'S46 granular marking_ref → marking-definition', valid: indicator({ granular_markings: [{ selectors: ['pattern'], marking_ref: MARKING }] }), invalid: indicator({ granular_markings: [{ selectors: ['pattern'], marking_ref: IDENTITY }] }), message: /^indicator\.granular_markings\[0\]\.marking_ref: refers to a identity/ },
  { rule: '§8 a bundle is not an object: no sighting_of_ref to one', valid: sighting(), invalid: sighting({ sighting_of_ref: 'bundle--2f9d6c7a-9f3e-4a7b-8b1e-0c2d3e4f5a6b' }), message: /^sighting\.sighting_of_ref: refers to a bundle object; it must refer to an SDO/ },
  {
    rule: '§8 a bundle is not an object: no observed-data object_refs to one',
    valid: observedData([IPV4]),
    invalid: observedData([IPV4, 'bundle--2f9d6c7a-9f3e-4a7b-8b1e-0c2d3e4f5a6b']),
    message: /^observed-data\.object_refs\[1\]: refers to a bundle object; it must refer to an SCO or SRO/,
  },
  { rule: 'S47 relationship target is not an SRO or meta object', valid: relationship(), invalid: relationship({ target_ref: MARKING }), message: /^relationship\.target_ref: refers to a marking-definition object; it must refer to an SDO or SCO/ },
  { rule: 'S47 relationship source is not an SRO', valid: relationship({ source_ref: 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4' }), invalid: relationship({ source_ref: 'sighting--ee20065d-2555-424f-ad9e-0f8428623c75' }), message: /^relationship\.source_ref: refers to a sighting/ },
  { rule: 'S48 sighting_of_ref → SDO', valid: sighting(), invalid: sighting({ sighting_of_ref: 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4' }), message: /^sighting\.sighting_of_ref: refers to a ipv4-addr object; it must refer to an SDO/ },
  { rule: 'S50 where_sighted_refs → identity or location', valid: sighting({ where_sighted_refs: [IDENTITY] }), invalid: sighting({ where_sighted_refs: ['malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b'] }), message: /^sighting\.where_sighted_refs\[0\]: .*identity or location/ },
  { rule: 'S70 network-traffic src_ref → address or domain', valid: networkTraffic(), invalid: networkTraffic({ src_ref: 'file--5e2f2d2b-17d4-4cbf-938f-98ee46b3cd3f' }), message: /^network-traffic\.src_ref: refers to a file object/ },
  { rule: 'S68 ipv4 resolves_to_refs → mac-addr', valid: ipv4({ resolves_to_refs: ['mac-addr--65cfcf98-8a6e-5a1b-8f61-379ac4f92d00'] }), invalid: ipv4({ resolves_to_refs: ['domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5'] }), message: /^ipv4-addr\.resolves_to_refs\[0\]: refers to a domain-name/ },
  { rule: 'S78 granular selectors resolve', valid: indicator({ granular_markings: [{ selectors: ['pattern', 'valid_from'], marking_ref: MARKING }] }), invalid: indicator({ granular_markings: [{ selectors: ['description'], marking_ref: MARKING }] }), message: /^indicator\.granular_markings\[0\]\.selectors: "description" does not resolve/ },
  { rule: 'S78 selector list index in range', valid: indicator({ labels: ['a'], granular_markings: [{ selectors: ['labels.[0]'], marking_ref: MARKING }] }), invalid: indicator({ labels: ['a'], granular_markings: [{ selectors: ['labels.[1]'], marking_ref: MARKING }] }), message: /"labels\.\[1\]" does not resolve/ },
  { rule: 'extension keys are -ext names or extension-definition ids', valid: indicator({ extensions: { [EXT_DEF]: { extension_type: 'property-extension', rank: 1 } } }), invalid: indicator({ extensions: { 'my-extension': { a: 1 } } }), message: /^indicator\.extensions: key "my-extension" must be an extension-definition id/ },
  { rule: 'extension-definition extensions declare extension_type', valid: indicator({ extensions: { [EXT_DEF]: { extension_type: 'property-extension' } } }), invalid: indicator({ extensions: { [EXT_DEF]: { rank: 1 } } }), message: /extension_type: required/ },
  { rule: 'S22 reserved property names', valid: indicator(), invalid: indicator({ severity: 'high' }), message: /severity/ },
  { rule: 'S20 _enc needs its base property', valid: { type: 'file', spec_version: '2.1', id: 'file--5e2f2d2b-17d4-4cbf-938f-98ee46b3cd3f', name: 'a.exe', name_enc: 'windows-1252' }, invalid: { type: 'file', spec_version: '2.1', id: 'file--5e2f2d2b-17d4-4cbf-938f-98ee46b3cd3f', hashes: { MD5: 'd41d8cd98f00b204e9800998ecf8427e' }, name_enc: 'windows-1252' }, message: /^file\.name_enc: must not be present without name \(S20\)/ },
  { rule: 'SR9 STIX patterns must parse', valid: indicator(), invalid: indicator({ pattern: "[ipv4-addr:value = '198.51.100.1'" }), message: /^indicator\.pattern: .*position/ },
  { rule: 'SR9 other pattern languages are opaque text', valid: indicator({ pattern_type: 'sigma', pattern: 'title: anything [' }), invalid: indicator({ pattern_type: 'stix', pattern: 'title: anything [' }), message: /^indicator\.pattern:/ },
  { rule: 'S19 custom property names', valid: indicator({ x_acme_score: 1 }), invalid: indicator({ 'x_Acme-Score': 1 }), message: /custom property names start with a letter and use only a-z, 0-9 and _/ },
  { rule: '§3.1 property names start with a letter', valid: indicator({ x_9ome_stuff: 1 }), invalid: indicator({ '9ome_custom_stuff': 1 }), message: /^indicator\.9ome_custom_stuff: custom property names start with a letter/ },
  {
    rule: '§3.1 a toplevel-property-extension property starts with a letter',
    valid: indicator({ rank9: 1, extensions: { [EXT_DEF]: { extension_type: 'toplevel-property-extension' } } }),
    invalid: indicator({ '9rank': 1, extensions: { [EXT_DEF]: { extension_type: 'toplevel-property-extension' } } }),
    message: /^indicator\.9rank: custom property names start with a letter/,
  },
  { rule: '§11 the properties of a custom object are named like any custom property', valid: customObject({ acme_name: 'a' }), invalid: customObject({ 'Bad-Name': 'a' }), message: /^x-acme-widget\.Bad-Name: custom property names start with a letter/ },
  { rule: 'S22 action is reserved, on custom objects too', valid: customObject({ acme_action: 'a' }), invalid: customObject({ action: 'a' }), message: /^x-acme-widget\.action: is a reserved property name and must not be used \(S22\)$/ },
  { rule: 'standard: legacy x_ properties only', valid: indicator({ x_acme_score: 1 }), invalid: indicator({ acme_score: 1 }), message: /^indicator\.acme_score: unknown property/ },
  { rule: 'standard: legacy x- types only', valid: { type: 'x-acme-widget', spec_version: '2.1', id: 'x-acme-widget--2f9d6c7a-9f3e-4a7b-8b1e-0c2d3e4f5a6b', created: T, modified: T }, invalid: { type: 'acme-widget', spec_version: '2.1', id: 'acme-widget--2f9d6c7a-9f3e-4a7b-8b1e-0c2d3e4f5a6b', created: T, modified: T }, message: /not a STIX 2\.1 type/ },
  { rule: 'strict: custom properties only with a toplevel-property-extension', strictness: 'strict', valid: indicator({ acme_score: 1, extensions: { [EXT_DEF]: { extension_type: 'toplevel-property-extension' } } }), invalid: indicator({ x_acme_score: 1 }), message: /strict mode custom properties need a toplevel-property-extension/ },
  { rule: 'strict: custom types only with new-sdo/new-sco/new-sro', strictness: 'strict', valid: { type: 'acme-widget', spec_version: '2.1', id: 'acme-widget--2f9d6c7a-9f3e-4a7b-8b1e-0c2d3e4f5a6b', created: T, modified: T, extensions: { [EXT_DEF]: { extension_type: 'new-sdo' } } }, invalid: { type: 'x-acme-widget', spec_version: '2.1', id: 'x-acme-widget--2f9d6c7a-9f3e-4a7b-8b1e-0c2d3e4f5a6b', created: T, modified: T }, message: /strict mode/ },
  {
    rule: 'strict: S8 hex is lower case',
    strictness: 'strict',
    valid: { type: 'file', spec_version: '2.1', id: 'file--33d0106c-b5cf-5293-ba57-9ac91fcd03ef', name: 'a.zip', magic_number_hex: '504b0304' },
    invalid: { type: 'file', spec_version: '2.1', id: 'file--33d0106c-b5cf-5293-ba57-9ac91fcd03ef', name: 'a.zip', magic_number_hex: '504B0304' },
    message: /^file\.magic_number_hex: hex is written in lower case \(S8\)$/,
  },
  { rule: 'strict: S27 deterministic SCO ids', strictness: 'strict', valid: ipv4(), invalid: ipv4({ id: 'ipv4-addr--7c1c2f6a-9e10-4b8c-9f4f-0b5b7e2e3f5a' }), message: /not the deterministic id .*expected ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4/ },
  { rule: 'SR3 created on a deterministic-id SCO is not applicable', valid: ipv4(), invalid: ipv4({ created: T }), message: /^ipv4-addr\.created: .*must not have created or modified \(SR3\)/ },
  { rule: 'SR3 an SCO versioned on purpose (non-deterministic id) may carry created/modified', valid: ipv4({ id: 'ipv4-addr--7c1c2f6a-9e10-4b8c-9f4f-0b5b7e2e3f5a', created: T, modified: T }), invalid: ipv4({ id: 'ipv4-addr--7c1c2f6a-9e10-4b8c-9f4f-0b5b7e2e3f5a', created: T, modified: '2023-01-01T00:00:00.000Z' }), message: /modified: .*must not be earlier than created/ },
  { rule: 'extension-defined types may use their own extension keys; STIX types may not', valid: { type: 'impact', spec_version: '2.1', id: 'impact--0c9511ac-e14b-4f48-9d49-54bfc93c9b34', created: T, modified: T, extensions: { [EXT_DEF]: { extension_type: 'new-sdo' }, monetary: { variety: 'ransom-demand' } } }, invalid: indicator({ extensions: { monetary: { variety: 'ransom-demand' } } }), message: /key "monetary" must be an extension-definition id/ },
  { rule: 'nesting depth is bounded', valid: indicator({ x_deep: [[[[1]]]] }), invalid: indicator({ x_deep: JSON.parse(`${'['.repeat(80)}${']'.repeat(80)}`) as unknown }), message: /deeper than 64 levels/ },
];

for (const c of cases) {
  t.test(c.rule, async (t) => {
    const validator = validators[c.strictness ?? 'standard'];
    const good = validator.validate(c.valid, 0);
    t.ok(good.ok, `valid object accepted${good.ok ? '' : `: ${good.message}`}`);
    const bad = validator.validate(c.invalid, 0);
    t.notOk(bad.ok, 'invalid object refused');
    if (!bad.ok) t.match(bad.message, c.message);
  });
}

t.test('S27 in standard mode: a non-deterministic SCO id is a warning, not a failure', async (t) => {
  const verdict = validators.standard.validate(ipv4({ id: 'ipv4-addr--7c1c2f6a-9e10-4b8c-9f4f-0b5b7e2e3f5a' }), 0);
  t.ok(verdict.ok);
  if (verdict.ok) t.match(verdict.warnings, [/deterministic id/]);
});

t.test('S8 in standard mode: upper-case hex is a warning (OASIS examples write it so), not a failure', async (t) => {
  const verdict = validators.standard.validate({ type: 'file', spec_version: '2.1', id: 'file--33d0106c-b5cf-5293-ba57-9ac91fcd03ef', name: 'a.zip', magic_number_hex: '504B0304' }, 0);
  t.ok(verdict.ok);
  if (verdict.ok) t.same(verdict.warnings, ['file.magic_number_hex: hex is written in lower case (S8)']);
});

t.test('permissive: unknown properties and types are not failures, schemas still apply', async (t) => {
  t.ok(validators.permissive.validate(indicator({ acme_score: 1 }), 0).ok);
  t.ok(validators.permissive.validate({ type: 'acme-widget', spec_version: '2.1', id: 'acme-widget--2f9d6c7a-9f3e-4a7b-8b1e-0c2d3e4f5a6b', created: T, modified: T }, 0).ok);
  const missing = validators.permissive.validate(indicator({ pattern: undefined }), 0);
  t.notOk(missing.ok, 'a missing required property is still refused');
});

t.test('permissive: unknown properties nested in predefined structures are accepted; standard wants x_ there', async (t) => {
  const file = (extensions: Obj): Obj => ({ type: 'file', spec_version: '2.1', id: 'file--6a0a7d5e-0f7b-5c7e-9d1c-3a7b8c9d0e1f', name: 'a.exe', extensions });
  const nested: [string, Obj][] = [
    ['ntfs-ext', file({ 'ntfs-ext': { sid: 'S-1', acme_note: 'x' } })],
    ['alternate_data_streams', file({ 'ntfs-ext': { alternate_data_streams: [{ name: 'zone', acme_zone: 3 }] } })],
    ['x509_v3_extensions', { ...certificate('2024-01-31T00:00:00Z'), x509_v3_extensions: { basic_constraints: 'CA:FALSE', acme_policy: 'p' } }],
    ['windows-registry-key values[]', { type: 'windows-registry-key', spec_version: '2.1', id: 'windows-registry-key--2ba37ae7-2745-5082-9dfd-9486dad41016', key: 'HKEY_LOCAL_MACHINE\\x', values: [{ name: 'v', data: 'd', acme_seen: true }] }],
    ['windows-pebinary-ext sections[]', file({ 'windows-pebinary-ext': { pe_type: 'exe', sections: [{ name: '.text', acme_packed: true }] } })],
  ];
  for (const [where, object] of nested) {
    const permissive = validators.permissive.validate(object, 0);
    t.ok(permissive.ok, `permissive accepts an unknown property in ${where}${permissive.ok ? '' : `: ${permissive.message}`}`);
    const standard = validators.standard.validate(object, 0);
    t.notOk(standard.ok, `standard refuses it in ${where}`);
    if (!standard.ok) t.match(standard.message, /unknown property "acme_/);
  }
  t.ok(validators.standard.validate(file({ 'ntfs-ext': { sid: 'S-1', x_acme_note: 'x' } }), 0).ok, 'standard accepts a nested x_ property');
  t.notOk(validators.permissive.validate(file({ 'ntfs-ext': { sid: 7 } }), 0).ok, 'permissive still checks the properties the schema names');
});

t.test('validation never changes the object (no defaults, no coercion, no removal)', async (t) => {
  const object = indicator({ confidence: 50, x_acme: { nested: ['a'] } });
  const before = JSON.stringify(object);
  validators.strict.validate(object, 0);
  validators.standard.validate(object, 0);
  validators.permissive.validate(object, 0);
  t.equal(JSON.stringify(object), before);
});

t.test('RFC 5646 well-formed language tags, subtag by subtag', async (t) => {
  const wellFormed = ['en', 'de-CH', 'zh-Hant-TW', 'sr-Latn-RS', 'es-419', 'zh-yue-HK', 'de-CH-1901', 'sl-rozaj-biske', 'en-a-bbb-x-a', 'en-US-x-twain', 'x-whatever', 'i-klingon', 'zh-min-nan', 'EN-us'];
  const malformed = ['en_US', 'e', 'en-', '-en', 'de--at', 'en-a', 'en-a-x-b', 'x', 'x-', 'en-x', 'toolonglanguage', 'en-US-', '12', `en-${'a'.repeat(100)}`];
  t.same(wellFormed.filter((tag) => !isLanguageTag(tag)), [], 'well-formed');
  t.same(malformed.filter((tag) => isLanguageTag(tag)), [], 'malformed');
});
