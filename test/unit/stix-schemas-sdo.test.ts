/**
 * The project's JSON Schemas for STIX 2.1 SDOs, SROs, meta objects and the bundle
 * (schemas/stix/{sdos,sros,meta}/*.json, bundle.json, common/vocabularies.json), checked
 * through the real loader (src/stix/schema-registry.ts). Ids in test names refer to
 * stix-2.1.md (Sn, Cn, §n) and tlp.md (Ln).
 */
import t, { type Test } from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import safeRegex from 'safe-regex2';
import { schemaPath } from '../../src/paths.js';
import { createSchemaRegistry, type SchemaFailure } from '../../src/stix/schema-registry.js';

const registry = createSchemaRegistry();
const STIX_ROOT = schemaPath('stix');

function listJson(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return listJson(full);
    return entry.name.endsWith('.json') ? [full] : [];
  });
}

type Obj = Record<string, unknown>;

const UUID = '6ba7b810-9dad-41d1-80b4-00c04fd430c8';
const TS = '2024-01-01T00:00:00.000Z';
const idOf = (type: string): string => `${type}--${UUID}`;
const REFS = [idOf('indicator')];

const SDO_TYPES = [
  'attack-pattern', 'campaign', 'course-of-action', 'grouping', 'identity', 'incident', 'indicator', 'infrastructure',
  'intrusion-set', 'location', 'malware', 'malware-analysis', 'note', 'observed-data', 'opinion', 'report',
  'threat-actor', 'tool', 'vulnerability',
] as const;
const SRO_TYPES = ['relationship', 'sighting'] as const;
const META_TYPES = ['marking-definition', 'language-content', 'extension-definition'] as const;
type StixType = (typeof SDO_TYPES)[number] | (typeof SRO_TYPES)[number] | (typeof META_TYPES)[number];

const CATEGORY: Record<StixType, 'sdo' | 'sro' | 'meta'> = {
  ...(Object.fromEntries(SDO_TYPES.map((type) => [type, 'sdo'])) as Record<(typeof SDO_TYPES)[number], 'sdo'>),
  relationship: 'sro',
  sighting: 'sro',
  'marking-definition': 'meta',
  'language-content': 'meta',
  'extension-definition': 'meta',
};

/** Type-specific properties of a minimal valid object (common properties are added by `valid`). */
const MINIMAL: Record<StixType, Obj> = {
  'attack-pattern': { name: 'Spear phishing' },
  campaign: { name: 'Green Group Attacks' },
  'course-of-action': { name: 'Block outbound port 4444' },
  grouping: { context: 'suspicious-activity', object_refs: REFS },
  identity: { name: 'ACME Widget, Inc.' },
  incident: { name: 'Ransomware at HQ' },
  indicator: { pattern: "[ipv4-addr:value = '198.51.100.3']", pattern_type: 'stix', valid_from: '2024-01-01T00:00:00Z' },
  infrastructure: { name: 'Botnet C2' },
  'intrusion-set': { name: 'Bobcat Breakin' },
  location: { region: 'northern-europe' },
  malware: { is_family: false },
  'malware-analysis': { product: 'anonymized', result: 'malicious' },
  note: { content: 'Looks like the same actor.', object_refs: REFS },
  'observed-data': {
    first_observed: '2024-01-01T00:00:00Z',
    last_observed: '2024-01-01T00:00:00Z',
    number_observed: 1,
    object_refs: [idOf('ipv4-addr')],
  },
  opinion: { opinion: 'agree', object_refs: REFS },
  report: { name: 'Weekly report', published: '2024-01-02T00:00:00Z', object_refs: REFS },
  'threat-actor': { name: 'Evil Org' },
  tool: { name: 'VNC' },
  vulnerability: { name: 'CVE-2016-1234' },
  relationship: { relationship_type: 'indicates', source_ref: idOf('indicator'), target_ref: idOf('malware') },
  sighting: { sighting_of_ref: idOf('indicator') },
  'marking-definition': { definition_type: 'statement', definition: { statement: 'Copyright 2024, Example Corp' } },
  'language-content': { object_ref: idOf('campaign'), contents: { de: { name: 'Bank Angriff' } } },
  'extension-definition': {
    created_by_ref: idOf('identity'),
    name: 'Example extension',
    schema: 'https://example.com/extension-schema.json',
    version: '1.0.0',
    extension_types: ['property-extension'],
  },
};

function valid(type: StixType, extra: Obj = {}): Obj {
  const common: Obj = { type, spec_version: '2.1', id: idOf(type), created: TS };
  if (type !== 'marking-definition') common['modified'] = TS;
  return { ...common, ...MINIMAL[type], ...extra };
}

function without(object: Obj, ...names: string[]): Obj {
  const copy = { ...object };
  for (const name of names) delete copy[name];
  return copy;
}

const check = (object: Obj, type: string = String(object['type'])): SchemaFailure | undefined => registry.check(object, type, 'sdo');

function expectFailure(t: Test, object: Obj, path: string, message: RegExp, type?: string): void {
  const failure = check(object, type);
  if (failure === undefined) {
    t.fail('expected a schema failure, got none');
    return;
  }
  t.equal(failure.path, path, `path ${JSON.stringify(path)} (got ${JSON.stringify(failure)})`);
  t.match(failure.message, message, 'message');
}

// --- required properties ---------------------------------------------------------------

/** Type-specific required properties (stix-2.1.md §10, §11, §13, C1, C2). */
const REQUIRED: Record<StixType, { names: string[]; cite: string }> = {
  'attack-pattern': { names: ['name'], cite: '§10' },
  campaign: { names: ['name'], cite: '§10' },
  'course-of-action': { names: ['name'], cite: '§10' },
  grouping: { names: ['context', 'object_refs'], cite: '§10, C2 (name optional)' },
  identity: { names: ['name'], cite: '§10' },
  incident: { names: ['name'], cite: '§10' },
  indicator: { names: ['pattern', 'pattern_type', 'valid_from'], cite: '§10' },
  infrastructure: { names: ['name'], cite: '§10' },
  'intrusion-set': { names: ['name'], cite: '§10' },
  location: { names: [], cite: '§10' },
  malware: { names: ['is_family'], cite: '§10, C1' },
  'malware-analysis': { names: ['product'], cite: '§10' },
  note: { names: ['content', 'object_refs'], cite: '§10' },
  'observed-data': { names: ['first_observed', 'last_observed', 'number_observed'], cite: '§10' },
  opinion: { names: ['opinion', 'object_refs'], cite: '§10' },
  report: { names: ['name', 'published', 'object_refs'], cite: '§10' },
  'threat-actor': { names: ['name'], cite: '§10' },
  tool: { names: ['name'], cite: '§10' },
  vulnerability: { names: ['name'], cite: '§10' },
  relationship: { names: ['relationship_type', 'source_ref', 'target_ref'], cite: '§11' },
  sighting: { names: ['sighting_of_ref'], cite: '§11' },
  'marking-definition': { names: ['type', 'spec_version', 'id', 'created'], cite: '§13, L9' },
  'language-content': {
    names: ['type', 'spec_version', 'id', 'created', 'modified', 'object_ref', 'contents'],
    cite: '§13',
  },
  'extension-definition': {
    names: ['type', 'spec_version', 'id', 'created', 'modified', 'created_by_ref', 'name', 'schema', 'version', 'extension_types'],
    cite: '§13 (created_by_ref required)',
  },
};

const ALL_TYPES = Object.keys(CATEGORY) as StixType[];

function schemaFile(type: StixType): string {
  const dir = { sdo: 'sdos', sro: 'sros', meta: 'meta' }[CATEGORY[type]];
  return join(STIX_ROOT, dir, `${type}.json`);
}

t.test('every type has a schema in its category folder and a minimal valid object passes (§1, §10, §11, §13)', async (t) => {
  for (const type of ALL_TYPES) {
    t.equal(registry.categoryOf(type), CATEGORY[type], `${type}: category`);
    t.equal(check(valid(type)), undefined, `${type}: minimal object is valid`);
  }
});

t.test('schemas follow the project conventions ($schema, $id, relative refs, no top-level additionalProperties)', async (t) => {
  for (const type of ALL_TYPES) {
    const file = schemaFile(type);
    const schema = JSON.parse(readFileSync(file, 'utf8')) as Obj;
    t.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema', `${type}: $schema`);
    t.equal(schema['$id'], `https://taxii-exchange.example/schemas/stix/${relative(STIX_ROOT, file)}`, `${type}: $id`);
    t.notOk('additionalProperties' in schema, `${type}: unknown top-level properties are left to code`);
    t.same((schema['properties'] as Obj)['type'], { const: type }, `${type}: type const`);
    if (CATEGORY[type] !== 'meta') t.same(schema['allOf'], [{ $ref: '../common/sdo-common.json' }], `${type}: uses sdo-common`);
    t.same([...((schema['required'] as string[] | undefined) ?? [])].sort(), [...REQUIRED[type].names].sort(), `${type}: required list`);
  }
});

t.test('required properties (§10, §11, §13, C1, C2)', async (t) => {
  for (const type of ALL_TYPES) {
    for (const name of REQUIRED[type].names) {
      t.test(`${type}: ${name} is required (${REQUIRED[type].cite})`, async (t) => {
        expectFailure(t, without(valid(type), name), name, /required property is missing/, type);
      });
    }
  }
  t.test('SDO/SRO common required properties come from sdo-common (§6)', async (t) => {
    expectFailure(t, without(valid('report'), 'modified'), 'modified', /required property is missing/);
    expectFailure(t, without(valid('sighting'), 'created'), 'created', /required property is missing/);
  });
  t.test('grouping without name is valid (C2)', async (t) => {
    t.equal(check(valid('grouping')), undefined);
  });
});

t.test('type, spec_version and id (S24, §6, C7)', async (t) => {
  expectFailure(t, valid('campaign'), 'type', /must be "attack-pattern"/, 'attack-pattern');
  expectFailure(t, valid('marking-definition', { spec_version: '2.0' }), 'spec_version', /must be "2\.1"/);
  expectFailure(t, valid('language-content', { id: 'language-content--1' }), 'id', /is not a valid identifier/);
  expectFailure(t, valid('extension-definition', { created_by_ref: 'identity' }), 'created_by_ref', /is not a valid identifier/);
  expectFailure(t, valid('marking-definition', { created: '2017-01-20T00:00:00Z' }), 'created', /is not a valid timestamp-millis/);
});

// --- property types, enums, ranges ------------------------------------------------------

interface Case {
  readonly name: string;
  readonly object: Obj;
  readonly path: string;
  readonly message: RegExp;
}

const TLP2_KEY = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';
const tlp2 = (entry: Obj): Obj =>
  without(valid('marking-definition', { name: 'TLP:GREEN', extensions: { [TLP2_KEY]: entry } }), 'definition_type', 'definition');

const TYPE_CASES: Case[] = [
  { name: 'indicator.valid_from is a timestamp (S31)', object: valid('indicator', { valid_from: '2024-01-01' }), path: 'valid_from', message: /is not a valid timestamp/ },
  { name: 'campaign.first_seen is a timestamp (S31)', object: valid('campaign', { first_seen: '2024-01-01T00:00:00+00:00' }), path: 'first_seen', message: /is not a valid timestamp/ },
  { name: 'report.published is a timestamp (S31)', object: valid('report', { published: 1700000000 }), path: 'published', message: /must be string/ },
  { name: 'malware.is_family is a boolean (S2)', object: valid('malware', { is_family: 'yes' }), path: 'is_family', message: /must be boolean/ },
  { name: 'sighting.summary is a boolean, not a string (C3)', object: valid('sighting', { summary: 'seen twice' }), path: 'summary', message: /must be boolean/ },
  { name: 'attack-pattern.aliases must not be empty (S12)', object: valid('attack-pattern', { aliases: [] }), path: 'aliases', message: /must not be an empty list/ },
  { name: 'malware.capabilities must not be empty (S12)', object: valid('malware', { capabilities: [] }), path: 'capabilities', message: /must not be an empty list/ },
  { name: 'grouping.object_refs must not be empty (S12)', object: valid('grouping', { object_refs: [] }), path: 'object_refs', message: /must not be an empty list/ },
  { name: 'note.object_refs items are identifiers (S24)', object: valid('note', { object_refs: ['indicator'] }), path: 'object_refs[0]', message: /is not a valid identifier/ },
  { name: 'malware.sample_refs items are identifiers (S24)', object: valid('malware', { sample_refs: ['file--x'] }), path: 'sample_refs[0]', message: /is not a valid identifier/ },
  { name: 'malware-analysis.sample_ref is an identifier (S24)', object: valid('malware-analysis', { sample_ref: 'file' }), path: 'sample_ref', message: /is not a valid identifier/ },
  { name: 'tool.kill_chain_phases items need phase_name (S11)', object: valid('tool', { kill_chain_phases: [{ kill_chain_name: 'lockheed-martin-cyber-kill-chain' }] }), path: 'kill_chain_phases[0].phase_name', message: /required property is missing/ },
  { name: 'identity.sectors is a list of open-vocab strings (S13)', object: valid('identity', { sectors: 'technology' }), path: 'sectors', message: /must be array/ },
  { name: 'threat-actor.sophistication is an open-vocab string (S13)', object: valid('threat-actor', { sophistication: 3 }), path: 'sophistication', message: /must be string/ },
  { name: 'relationship.relationship_type is lowercase a-z0-9- (§11)', object: valid('relationship', { relationship_type: 'Indicates' }), path: 'relationship_type', message: /is not a valid relationship-type/ },
  { name: 'relationship.relationship_type has no spaces (§11)', object: valid('relationship', { relationship_type: 'related to' }), path: 'relationship_type', message: /is not a valid relationship-type/ },
  { name: 'relationship.stop_time is a timestamp (S31)', object: valid('relationship', { stop_time: 'tomorrow' }), path: 'stop_time', message: /is not a valid timestamp/ },
  { name: 'sighting.where_sighted_refs must not be empty (S12)', object: valid('sighting', { where_sighted_refs: [] }), path: 'where_sighted_refs', message: /must not be an empty list/ },
  // closed enumerations (§18, S4)
  { name: 'opinion.opinion is opinion-enum (§18)', object: valid('opinion', { opinion: 'maybe' }), path: 'opinion', message: /must be one of "strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"/ },
  { name: 'extension-definition.extension_types items are extension-type-enum (§18)', object: valid('extension-definition', { extension_types: ['new-smo'] }), path: 'extension_types[0]', message: /must be one of "new-sdo"/ },
  { name: 'extension-definition.extension_types must not be empty (S12)', object: valid('extension-definition', { extension_types: [] }), path: 'extension_types', message: /must not be an empty list/ },
  { name: 'marking-definition TLP 1.0 level is white|green|amber|red (L10)', object: valid('marking-definition', { definition_type: 'tlp', definition: { tlp: 'clear' } }), path: 'definition.tlp', message: /must be one of "white", "green", "amber", "red"/ },
  { name: 'marking-definition TLP 2.0 level is clear|green|amber|amber+strict|red (L14)', object: tlp2({ extension_type: 'property-extension', tlp_2_0: 'white' }), path: `extensions.${TLP2_KEY}.tlp_2_0`, message: /must be one of "clear", "green", "amber", "amber\+strict", "red"/ },
  { name: 'marking-definition TLP 2.0 entry is a property-extension (L14/L15)', object: tlp2({ extension_type: 'toplevel-property-extension', tlp_2_0: 'green' }), path: `extensions.${TLP2_KEY}.extension_type`, message: /must be "property-extension"/ },
  { name: 'marking-definition TLP 2.0 entry needs tlp_2_0 (L15)', object: tlp2({ extension_type: 'property-extension' }), path: `extensions.${TLP2_KEY}.tlp_2_0`, message: /required property is missing/ },
  // numeric ranges
  { name: 'observed-data.number_observed >= 1 (§10)', object: valid('observed-data', { number_observed: 0 }), path: 'number_observed', message: /must be >= 1/ },
  { name: 'observed-data.number_observed <= 999999999 (§10)', object: valid('observed-data', { number_observed: 1_000_000_000 }), path: 'number_observed', message: /must be <= 999999999/ },
  { name: 'observed-data.number_observed is an integer (§10)', object: valid('observed-data', { number_observed: 1.5 }), path: 'number_observed', message: /must be integer/ },
  { name: 'sighting.count >= 0 (§11)', object: valid('sighting', { count: -1 }), path: 'count', message: /must be >= 0/ },
  { name: 'sighting.count <= 999999999 (§11)', object: valid('sighting', { count: 1_000_000_000 }), path: 'count', message: /must be <= 999999999/ },
  { name: 'location.latitude >= -90 (§10)', object: valid('location', { latitude: -90.5, longitude: 0 }), path: 'latitude', message: /must be >= -90/ },
  { name: 'location.latitude <= 90 (§10)', object: valid('location', { latitude: 91, longitude: 0 }), path: 'latitude', message: /must be <= 90/ },
  { name: 'location.longitude >= -180 (§10)', object: valid('location', { latitude: 0, longitude: -180.1 }), path: 'longitude', message: /must be >= -180/ },
  { name: 'location.longitude <= 180 (§10)', object: valid('location', { latitude: 0, longitude: 181 }), path: 'longitude', message: /must be <= 180/ },
  { name: 'language-content.confidence <= 100 (§6)', object: valid('language-content', { confidence: 101 }), path: 'confidence', message: /must be <= 100/ },
  { name: 'language-content.confidence >= 0 (§6)', object: valid('language-content', { confidence: -1 }), path: 'confidence', message: /must be >= 0/ },
  { name: 'indicator.confidence <= 100 (§6, sdo-common)', object: valid('indicator', { confidence: 101 }), path: 'confidence', message: /must be <= 100/ },
  // language-content contents (§13)
  // language-content.contents keys are RFC 5646 tags: checked in code (stix-rules.test.ts).
  { name: 'language-content.contents must not be empty (S3)', object: valid('language-content', { contents: {} }), path: 'contents', message: /must not be empty/ },
  { name: 'language-content.contents values are non-empty objects (§13)', object: valid('language-content', { contents: { de: {} } }), path: 'contents.de', message: /must not be empty/ },
  { name: 'language-content.object_modified is a timestamp (§13)', object: valid('language-content', { object_modified: 'yesterday' }), path: 'object_modified', message: /is not a valid timestamp/ },
  // extension-definition (§13, S81)
  { name: 'extension-definition.extension_properties names are a-z0-9_ (S81)', object: valid('extension-definition', { extension_types: ['toplevel-property-extension'], extension_properties: ['Bad-Name'] }), path: 'extension_properties[0]', message: /is not a valid extension-property-name/ },
  { name: 'extension-definition.extension_properties names are >= 3 characters (S81)', object: valid('extension-definition', { extension_types: ['toplevel-property-extension'], extension_properties: ['ab'] }), path: 'extension_properties[0]', message: /is not a valid extension-property-name/ },
  // observable container (S16)
  { name: 'observed-data.objects must not be empty (S3, S16)', object: without(valid('observed-data', { objects: {} }), 'object_refs'), path: 'objects', message: /must not be empty/ },
  { name: 'observed-data.objects values are SCOs with a type (S16)', object: without(valid('observed-data', { objects: { '0': { value: '198.51.100.3' } } }), 'object_refs'), path: 'objects[0].type', message: /required property is missing/ },
];

t.test('property types, closed enumerations and numeric ranges', async (t) => {
  for (const c of TYPE_CASES) {
    t.test(c.name, async (t) => expectFailure(t, c.object, c.path, c.message));
  }
});

t.test('values at the edges of the ranges are accepted (§10, §11)', async (t) => {
  const ok: [string, Obj][] = [
    ['number_observed 1', valid('observed-data', { number_observed: 1 })],
    ['number_observed 999999999', valid('observed-data', { number_observed: 999_999_999 })],
    ['count 0', valid('sighting', { count: 0 })],
    ['count 999999999', valid('sighting', { count: 999_999_999 })],
    ['latitude/longitude -90/-180', valid('location', { latitude: -90, longitude: -180 })],
    ['latitude/longitude 90/180 with precision', valid('location', { latitude: 90, longitude: 180, precision: 15.5 })],
    ['every opinion-enum value', valid('opinion', { opinion: 'strongly-disagree' })],
    ['open vocabulary values outside the suggested list (S13)', valid('indicator', { pattern_type: 'my-own-language', indicator_types: ['odd'] })],
    ['relationship_type outside the spec list (§11)', valid('relationship', { relationship_type: 'x-custom-link' })],
    ['sighting.summary true (C3)', valid('sighting', { summary: true })],
    ['language-content with region/script subtags', valid('language-content', { contents: { 'zh-Hant-TW': { name: 'x' }, 'de-1996': { name: 'y' } } })],
  ];
  for (const [name, object] of ok) t.equal(check(object), undefined, name);
  for (const value of ['strongly-disagree', 'disagree', 'neutral', 'agree', 'strongly-agree']) {
    t.equal(check(valid('opinion', { opinion: value })), undefined, `opinion ${value}`);
  }
});

// --- at-least-one / exactly-one / conditional rules --------------------------------------

const PAP_EXTENSION = { [idOf('extension-definition')]: { extension_type: 'property-extension', pap: 'amber' } };

const CONDITIONAL_CASES: Case[] = [
  { name: 'location needs region, country or latitude+longitude (§10, anyOf)', object: without(valid('location', { name: 'Somewhere' }), 'region'), path: '', message: /^needs at least one of region, country or latitude and longitude$/ },
  { name: 'location latitude requires longitude (§10, dependentRequired)', object: valid('location', { latitude: 48.8 }), path: '', message: /must have property longitude when property latitude is present/ },
  { name: 'location longitude requires latitude (§10, dependentRequired)', object: valid('location', { longitude: 2.3 }), path: '', message: /must have property latitude when property longitude is present/ },
  { name: 'location precision requires latitude and longitude (§10, dependentRequired)', object: valid('location', { precision: 10 }), path: '', message: /must have properties latitude, longitude when property precision is present/ },
  { name: 'malware-analysis needs result or analysis_sco_refs (§10, anyOf)', object: without(valid('malware-analysis'), 'result'), path: '', message: /^needs at least one of result or analysis_sco_refs$/ },
  { name: 'observed-data needs objects or object_refs (§10, oneOf)', object: without(valid('observed-data'), 'object_refs'), path: '', message: /^needs exactly one of objects or object_refs$/ },
  { name: 'observed-data must not have both objects and object_refs (§10, oneOf)', object: valid('observed-data', { objects: { '0': { type: 'ipv4-addr', value: '198.51.100.3' } } }), path: '', message: /^must have only one of objects or object_refs$/ },
  { name: 'malware with is_family true needs a name (§10, if/then)', object: valid('malware', { is_family: true }), path: 'name', message: /required property is missing/ },
  { name: 'marking-definition without extensions needs definition_type (L9, if/then)', object: without(valid('marking-definition'), 'definition_type', 'definition'), path: 'definition_type', message: /required property is missing/ },
  { name: 'marking-definition definition_type requires definition, even with extensions (L9, dependentRequired)', object: without(valid('marking-definition', { extensions: PAP_EXTENSION }), 'definition'), path: '', message: /must have property definition when property definition_type is present/ },
  { name: 'marking-definition definition requires definition_type, even with extensions (L9, dependentRequired)', object: without(valid('marking-definition', { extensions: PAP_EXTENSION }), 'definition_type'), path: '', message: /must have property definition_type when property definition is present/ },
  { name: 'statement marking needs statement (§13)', object: valid('marking-definition', { definition: { tlp: 'red' } }), path: 'definition.statement', message: /required property is missing/ },
  { name: 'statement marking is closed except x_ properties (§13)', object: valid('marking-definition', { definition: { statement: 'a', note: 'b' } }), path: 'definition', message: /unknown property "note"/ },
  { name: 'statement must be a string (§13)', object: valid('marking-definition', { definition: { statement: 42 } }), path: 'definition.statement', message: /must be string/ },
  { name: 'TLP 1.0 marking needs tlp (L10)', object: valid('marking-definition', { definition_type: 'tlp', definition: { statement: 'red' } }), path: 'definition.tlp', message: /required property is missing/ },
  { name: 'TLP 1.0 definition is closed except x_ properties (L10, L12)', object: valid('marking-definition', { definition_type: 'tlp', definition: { tlp: 'red', level: 4 } }), path: 'definition', message: /unknown property "level"/ },
  { name: 'TLP 2.0 extension entry is closed except x_ properties (L15)', object: tlp2({ extension_type: 'property-extension', tlp_2_0: 'red', note: 'x' }), path: `extensions.${TLP2_KEY}`, message: /unknown property "note"/ },
  { name: 'marking-definition definition is an object (§13)', object: valid('marking-definition', { definition_type: 'custom', definition: 'red' }), path: 'definition', message: /must be object/ },
  { name: 'extension_properties only with toplevel-property-extension (§13)', object: valid('extension-definition', { extension_properties: ['x_foo'] }), path: 'extension_types', message: /must contain at least 1 valid item/ },
];

t.test('at-least-one, exactly-one and conditional rules', async (t) => {
  for (const c of CONDITIONAL_CASES) {
    t.test(c.name, async (t) => expectFailure(t, c.object, c.path, c.message));
  }
});

t.test('valid variants of the conditional rules', async (t) => {
  const ok: [string, Obj][] = [
    ['location with country only (§10)', without(valid('location', { country: 'de' }), 'region')],
    ['location with latitude+longitude only (§10)', without(valid('location', { latitude: 48.8566, longitude: 2.3522 }), 'region')],
    ['malware-analysis with analysis_sco_refs only (§10)', without(valid('malware-analysis', { analysis_sco_refs: [idOf('file')] }), 'result')],
    ['observed-data with the deprecated container (S16)', without(valid('observed-data', { objects: { '0': { type: 'ipv4-addr', value: '198.51.100.3' } } }), 'object_refs')],
    ['malware family with a name (§10)', valid('malware', { is_family: true, name: 'Poison Ivy' })],
    ['malware instance without a name (§10)', valid('malware', { is_family: false })],
    ['marking-definition with extensions and no definition (L9)', without(valid('marking-definition', { extensions: PAP_EXTENSION }), 'definition_type', 'definition')],
    ['statement marking with an x_ property', valid('marking-definition', { definition: { statement: 'a', x_acme_note: 'b' } })],
    ['custom definition_type keeps an open definition (§13 open-vocab)', valid('marking-definition', { definition_type: 'acme', definition: { level: 3 } })],
    ['TLP 2.0 marking (L14)', tlp2({ extension_type: 'property-extension', tlp_2_0: 'amber+strict' })],
    ['extension-definition with toplevel properties (§13)', valid('extension-definition', { extension_types: ['toplevel-property-extension', 'property-extension'], extension_properties: ['x_acme_score', 'toxicity'] })],
    ['unknown top-level properties are left to code (no additionalProperties at top level)', valid('identity', { x_acme_rank: 3, create_by_ref: 'typo' })],
  ];
  for (const [name, object] of ok) t.equal(check(object), undefined, name);
});

// --- forbidden properties: reserved names and not-applicable common properties -----------

t.test('reserved property names are forbidden at the top level of every type (S22, C5)', async (t) => {
  for (const type of ALL_TYPES) {
    for (const name of ['severity', 'action', 'username', 'phone_number', 'phone_numbers']) {
      expectFailure(t, valid(type, { [name]: 'x' }), '', /not allowed/, type);
    }
  }
  t.test('course-of-action.action is RESERVED (S22)', async (t) => {
    expectFailure(t, valid('course-of-action', { action: { kind: 'block' } }), '', /not allowed/);
  });
  t.test('reserved names are fine below the top level', async (t) => {
    t.equal(check(valid('note', { x_acme_meta: { severity: 'high' } })), undefined);
  });
});

t.test('common properties that do not apply to a meta object are rejected (§6 matrix, SR3)', async (t) => {
  const notApplicable: [StixType, string, unknown][] = [
    ['marking-definition', 'modified', TS],
    ['marking-definition', 'revoked', false],
    ['marking-definition', 'labels', ['a']],
    ['marking-definition', 'confidence', 50],
    ['marking-definition', 'lang', 'en'],
    ['marking-definition', 'defanged', false],
    ['language-content', 'lang', 'en'],
    ['language-content', 'defanged', false],
    ['extension-definition', 'confidence', 50],
    ['extension-definition', 'lang', 'en'],
    ['extension-definition', 'defanged', false],
    ['extension-definition', 'extensions', { [idOf('extension-definition')]: { extension_type: 'property-extension' } }],
    ['indicator', 'defanged', false],
  ];
  for (const [type, name, value] of notApplicable) {
    t.test(`${type}: ${name} is not applicable`, async (t) => expectFailure(t, valid(type, { [name]: value }), '', /not allowed/));
  }
  t.test('the optional common properties that do apply are accepted', async (t) => {
    const marking = { object_marking_refs: [idOf('marking-definition')], external_references: [{ source_name: 'acme', url: 'https://example.com' }] };
    t.equal(check(valid('marking-definition', { ...marking, created_by_ref: idOf('identity'), name: 'Copyright' })), undefined, 'marking-definition');
    t.equal(check(valid('language-content', { ...marking, revoked: false, labels: ['x'], confidence: 80, object_modified: TS })), undefined, 'language-content');
    t.equal(check(valid('extension-definition', { ...marking, revoked: false, labels: ['x'], description: 'd' })), undefined, 'extension-definition');
    t.equal(
      check(valid('language-content', { granular_markings: [{ selectors: ['contents'], marking_ref: idOf('marking-definition') }] })),
      undefined,
      'granular_markings on a meta object',
    );
  });
});

t.test('known top-level properties include the type-specific and common ones (loader union)', async (t) => {
  const expect: [StixType, string[]][] = [
    ['malware', ['is_family', 'sample_refs', 'operating_system_refs', 'created', 'lang', 'extensions']],
    ['sighting', ['summary', 'count', 'where_sighted_refs', 'modified']],
    ['marking-definition', ['definition_type', 'definition', 'name', 'extensions', 'created']],
    ['extension-definition', ['extension_properties', 'schema', 'created_by_ref', 'labels']],
  ];
  for (const [type, names] of expect) {
    const known = registry.propertiesOf(type);
    for (const name of names) t.ok(known?.has(name), `${type} knows ${name}`);
  }
  t.notOk(registry.propertiesOf('marking-definition')?.has('modified'), 'marking-definition does not know modified');
  t.notOk(registry.propertiesOf('extension-definition')?.has('extensions'), 'extension-definition does not know extensions');
  t.notOk(registry.propertiesOf('language-content')?.has('lang'), 'language-content does not know lang');
});

// --- bundle.json (not a STIX object: compiled here, not looked up by type) ----------------

t.test('bundle.json: type bundle, id bundle--UUID, non-empty objects list (§13, C12)', async (t) => {
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: false, unicodeRegExp: true });
  for (const file of listJson(STIX_ROOT)) ajv.addSchema(JSON.parse(readFileSync(file, 'utf8')) as object);
  const validate = ajv.getSchema('https://taxii-exchange.example/schemas/stix/bundle.json');
  if (validate === undefined) {
    t.fail('bundle.json is missing');
    return;
  }
  const bundle = { type: 'bundle', id: idOf('bundle'), objects: [valid('campaign'), { type: 'x-anything' }] };
  t.ok(validate(bundle), 'a bundle with objects');
  t.ok(validate({ type: 'bundle', id: idOf('bundle') }), 'objects is optional');
  const firstError = (value: unknown): string => {
    validate(value);
    const error = validate.errors?.[0];
    return error === undefined ? 'valid' : `${error.instancePath} ${error.keyword} ${error.schemaPath}`;
  };
  t.match(firstError({ ...bundle, type: 'report' }), /^\/type const/, 'type must be bundle');
  t.match(firstError({ ...bundle, id: idOf('report') }), /^\/id pattern .*bundle-identifier\/pattern$/, 'id prefix must be bundle');
  t.match(firstError({ ...bundle, id: 'bundle--1234' }), /^\/id pattern .*bundle-identifier\/pattern$/, 'id must hold a UUID');
  t.match(firstError(without(bundle, 'id')), /^ required/, 'id is required');
  t.match(firstError({ ...bundle, objects: [] }), /^\/objects minItems/, 'objects must not be empty');
  t.match(firstError({ ...bundle, objects: ['indicator--x'] }), /^\/objects\/0 type/, 'objects are objects');
});

// --- regular expressions ------------------------------------------------------------------

interface FoundPattern {
  readonly file: string;
  readonly pointer: string;
  readonly source: string;
}

/** Every `pattern` keyword and every `patternProperties` key in a schema. */
function findPatterns(node: unknown, file: string, pointer: string, out: FoundPattern[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => findPatterns(item, file, `${pointer}/${i}`, out));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Obj)) {
    const here = `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (key === 'pattern' && typeof value === 'string') out.push({ file, pointer: here, source: value });
    if (key === 'patternProperties' && value !== null && typeof value === 'object') {
      for (const source of Object.keys(value)) out.push({ file, pointer: `${here}[key]`, source });
    }
    findPatterns(value, file, here, out);
  }
}

const PATTERNS: FoundPattern[] = [];
for (const file of listJson(STIX_ROOT)) {
  findPatterns(JSON.parse(readFileSync(file, 'utf8')), relative(STIX_ROOT, file), '#', PATTERNS);
}

t.test('every pattern in schemas/stix/** is safe per safe-regex2 (no nested quantifiers)', async (t) => {
  t.ok(PATTERNS.length > 10, `found ${PATTERNS.length} patterns`);
  for (const { file, pointer, source } of PATTERNS) {
    const where = `${file}${pointer}`;
    t.ok(safeRegex(source), `${where}: ${source}`);
  }
});

t.test('hostile input against every pattern completes (catastrophic backtracking guard)', async (t) => {
  const hostile = ['a'.repeat(29) + '!', 'a-'.repeat(15) + '!', '0'.repeat(29) + '!', `indicator${'-a'.repeat(10)}--!`];
  for (const { file, pointer, source } of PATTERNS) {
    const re = new RegExp(source, 'u');
    for (const input of hostile) re.test(input);
    t.pass(`${file}${pointer}`);
  }
});

// --- real data --------------------------------------------------------------------------------

const DATA = '/work/shared/data';
const MY_TYPES: ReadonlySet<string> = new Set(ALL_TYPES);

/**
 * Objects of these types in /work/shared/data that violate STIX 2.1 (stix-2.1.md) and are
 * rejected; the same objects are listed in PROVENANCE.md as rejected by the OASIS schemas.
 */
const EXPECTED_FAILURES: Record<string, { path: string; reason: string }> = {
  'bundles/attack-flow/mac-malware-steals-crypto.json malware--fc9b2357-e209-45f4-80f2-2fb4d101be1f': {
    path: 'capabilities',
    reason: 'capabilities is an empty list (S12)',
  },
  ...Object.fromEntries(
    [
      '031778a4-057f-48e6-9db9-c8d72b81ccd5', 'da1d061b-2bc9-467a-b16f-8d14f468e1f0', '2173d108-5714-42fd-8213-4f3790259fda',
      '8ce03314-dfea-4498-ac9b-136e41ab00e4', '3f3ff9f1-bb4e-4392-89e5-1991179042ba', '8390fd29-24ed-45d4-84d7-c5e5feaf195d',
      '1002c58e-cbde-4930-b5ee-490037fd4f7e', '8d12f44f-8ac0-4b12-8b4a-3699ca8c9691', '745e1537-b4f3-49da-9f64-df6b1b5df190',
      '1dbe6ed0-c305-458f-9cce-f83c678f5afd', 'b3b6b540-d838-11e2-853b-005056c00008', 'b3b7035e-d838-11e2-8d38-005056c00008',
    ].map((uuid) => [
      `bundles/oasis-cti-stix-slider/apt1.json indicator--${uuid}`,
      { path: 'pattern_type', reason: 'indicator without the required pattern_type (§10)' },
    ]),
  ),
  ...Object.fromEntries(
    [
      ['apt1.json', '2485b844-4efe-4343-84c8-eb33312dd56f'],
      ['apt1.json', 'c0217091-9d3d-42a1-8952-ccc12d4ad8d0'],
      ['apt1.json', '0f01c5a3-f516-4450-9381-4dd9f2279411'],
      ['apt1.json', '33159b98-3264-4e10-a968-d67975b6272f'],
      ['apt1.json', 'fb490cdb-6760-41eb-a79b-0b930a50c017'],
      ['apt1.json', 'ea50ecb7-2cd4-4895-bd08-31cd591ed0ca'],
      ['mandiant-apt1-report.json', '1aac304c-fa61-41a9-8f81-103635c8fe69'],
      ['mandiant-apt1-report.json', '08fba4d0-2639-4928-a488-4933d8cccca5'],
      ['mandiant-apt1-report.json', '8cb64a85-4141-4c0d-afa2-90725245dee2'],
      ['mandiant-apt1-report.json', '0f01c5a3-f516-4450-9381-4dd9f2279411'],
      ['mandiant-apt1-report.json', '33159b98-3264-4e10-a968-d67975b6272f'],
    ].map(([file, uuid]) => [
      `bundles/oasis-cti-stix-slider/${String(file)} malware--${String(uuid)}`,
      { path: 'is_family', reason: 'malware without is_family (C1: treated as required)' },
    ]),
  ),
  'bundles/oasis-cti-stix-slider/file-and-directory.json relationship--fe557f9d-fcb4-423a-a3ba-7e61f475584a': {
    path: 'source_ref',
    reason: 'source_ref infrastructure--dd955e08-16d0-6f08-… has UUID version 6, not an RFC 4122 UUID (S24)',
  },
};

function dataObjects(): { key: string; object: Obj }[] {
  const out: { key: string; object: Obj }[] = [];
  for (const file of listJson(DATA)) {
    if (file.endsWith('/INDEX.json')) continue;
    const json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const list = Array.isArray(json) ? json : Array.isArray((json as Obj)['objects']) ? ((json as Obj)['objects'] as unknown[]) : [json];
    for (const object of list as Obj[]) {
      if (MY_TYPES.has(String(object['type']))) out.push({ key: `${relative(DATA, file)} ${String(object['id'])}`, object });
    }
  }
  return out;
}

t.test('real STIX 2.1 data: every SDO/SRO/meta object passes except the listed violations', async (t) => {
  t.ok(existsSync(DATA), `${DATA} is present (CI puts ../shared beside the repository)`);
  const objects = dataObjects();
  t.equal(objects.length, 4761, 'objects of the 24 types in the data');
  const failures = new Map<string, SchemaFailure>();
  let passed = 0;
  for (const { key, object } of objects) {
    const failure = check(object);
    if (failure === undefined) passed++;
    else failures.set(key, failure);
  }
  t.equal(passed, 4736, 'objects that pass');
  t.same([...failures.keys()].sort(), Object.keys(EXPECTED_FAILURES).sort(), 'exactly the expected objects fail');
  for (const [key, { path, reason }] of Object.entries(EXPECTED_FAILURES)) {
    t.equal(failures.get(key)?.path, path, `${key}: ${reason}`);
  }
  t.test('the TLP 1.0 and 2.0 marking files validate (L10-L16)', async (t) => {
    const markings = objects.filter(({ key }) => key.startsWith('markings/'));
    t.equal(markings.length, 10, '4 TLP 1.0 + 5 TLP 2.0 markings + the TLP 2.0 extension-definition');
    for (const { key, object } of markings) t.equal(check(object), undefined, key);
  });
});
