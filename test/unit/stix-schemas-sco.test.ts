/**
 * The project's JSON Schemas for the 18 STIX 2.1 cyber-observable objects and their 12
 * predefined extensions (schemas/stix/scos/*.json, schemas/stix/extensions/*.json), checked
 * through the real loader (src/stix/schema-registry.ts). Ids in test names refer to
 * stix-2.1.md (Sn, Cn, §n; §12 = SCOs and predefined extensions).
 *
 * What the schemas leave to code, and is therefore not tested here: reference target types
 * (S59-S75), time order (end >= start), the deterministic UUIDv5 id rule (S27), unknown
 * top-level properties (strictness level) and created/modified on SCOs (SR3).
 */
import t, { type Test } from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import safeRegex from 'safe-regex2';
import { schemaPath } from '../../src/paths.js';
import { createSchemaRegistry, STIX_SCHEMA_BASE, type SchemaFailure } from '../../src/stix/schema-registry.js';

const registry = createSchemaRegistry();
const STIX_ROOT = schemaPath('stix');

type Obj = Record<string, unknown>;

const SCO_TYPES = [
  'artifact', 'autonomous-system', 'directory', 'domain-name', 'email-addr', 'email-message', 'file', 'ipv4-addr',
  'ipv6-addr', 'mac-addr', 'mutex', 'network-traffic', 'process', 'software', 'url', 'user-account',
  'windows-registry-key', 'x509-certificate',
] as const;
type ScoType = (typeof SCO_TYPES)[number];

/** Predefined extensions (§12) and the SCO type that carries each. */
const EXTENSION_HOST = {
  'archive-ext': 'file',
  'ntfs-ext': 'file',
  'pdf-ext': 'file',
  'raster-image-ext': 'file',
  'windows-pebinary-ext': 'file',
  'http-request-ext': 'network-traffic',
  'icmp-ext': 'network-traffic',
  'socket-ext': 'network-traffic',
  'tcp-ext': 'network-traffic',
  'windows-process-ext': 'process',
  'windows-service-ext': 'process',
  'unix-account-ext': 'user-account',
} as const satisfies Record<string, ScoType>;
type ExtName = keyof typeof EXTENSION_HOST;
const EXTENSIONS = Object.keys(EXTENSION_HOST) as ExtName[];

const UUID = 'f81d4fae-7dec-41d0-a765-00a0c91e6bf6';
const idOf = (type: string): string => `${type}--${UUID}`;

/** Type-specific properties of a minimal valid object. */
const MINIMAL: Record<ScoType, Obj> = {
  artifact: { payload_bin: 'SGVsbG8sIHdvcmxkIQ==' },
  'autonomous-system': { number: 15139 },
  directory: { path: 'C:\\Windows\\System32' },
  'domain-name': { value: 'example.com' },
  'email-addr': { value: 'jdoe@example.com' },
  'email-message': { is_multipart: false },
  file: { name: 'foo.dll' },
  'ipv4-addr': { value: '198.51.100.3' },
  'ipv6-addr': { value: '2001:db8::1' },
  'mac-addr': { value: 'd2:fb:49:24:37:18' },
  mutex: { name: '__CLEANSWEEP__' },
  'network-traffic': { dst_ref: idOf('ipv4-addr'), protocols: ['tcp'] },
  process: { pid: 1221 },
  software: { name: 'Word' },
  url: { value: 'https://example.com/research/index.html' },
  'user-account': { user_id: '1001' },
  'windows-registry-key': { key: 'HKEY_LOCAL_MACHINE\\System\\Foo' },
  'x509-certificate': { serial_number: '36:f7:d4:32:f4:ab:70:ea' },
};

/** Minimal valid body of each predefined extension. */
const MINIMAL_EXT: Record<ExtName, Obj> = {
  'archive-ext': { contains_refs: [idOf('file')] },
  'ntfs-ext': { sid: 'S-1-5-21-186985262-1144665072-74031268-1309' },
  'pdf-ext': { version: '1.7' },
  'raster-image-ext': { image_height: 768 },
  'windows-pebinary-ext': { pe_type: 'exe', machine_hex: '014c' },
  'http-request-ext': { request_method: 'get', request_value: '/download.html' },
  'icmp-ext': { icmp_type_hex: '08', icmp_code_hex: '00' },
  'socket-ext': { address_family: 'AF_INET' },
  'tcp-ext': { src_flags_hex: '00000002' },
  'windows-process-ext': { aslr_enabled: true },
  'windows-service-ext': { service_name: 'sirvizio' },
  'unix-account-ext': { gid: 1001 },
};

function sco(type: ScoType, props: Obj = MINIMAL[type]): Obj {
  return { type, spec_version: '2.1', id: idOf(type), ...props };
}

/** The minimal object of `type` with extra properties merged in. */
const scoWith = (type: ScoType, extra: Obj): Obj => sco(type, { ...MINIMAL[type], ...extra });

/** The minimal host object carrying the given body under the extension's name. */
function withExt(name: ExtName, body: Obj): Obj {
  const host = EXTENSION_HOST[name];
  return scoWith(host, { extensions: { [name]: body } });
}

/** The minimal valid body of an extension with extra properties merged in. */
const extWith = (name: ExtName, extra: Obj): Obj => withExt(name, { ...MINIMAL_EXT[name], ...extra });

function without(object: Obj, ...names: string[]): Obj {
  const copy = { ...object };
  for (const name of names) delete copy[name];
  return copy;
}

const check = (object: Obj): SchemaFailure | undefined => registry.check(object, String(object['type']), 'sco');

function expectFailure(t: Test, object: Obj, path: string, message: RegExp): void {
  const failure = check(object);
  if (failure === undefined) {
    t.fail(`expected a schema failure at ${JSON.stringify(path)}, got none`);
    return;
  }
  t.equal(failure.path, path, `path ${JSON.stringify(path)} (got ${JSON.stringify(failure)})`);
  t.match(failure.message, message, `message ${String(message)}`);
}

// --- the files ------------------------------------------------------------------------------

const MY_FILES = [
  ...SCO_TYPES.map((type) => `scos/${type}.json`),
  ...EXTENSIONS.map((name) => `extensions/${name}.json`),
];
const readSchema = (file: string): Obj => JSON.parse(readFileSync(join(STIX_ROOT, file), 'utf8')) as Obj;

t.test('every SCO type (§1, §12) has a schema of category sco; files follow the project conventions', async (t) => {
  for (const type of SCO_TYPES) t.equal(registry.categoryOf(type), 'sco', `${type} is an SCO`);
  for (const file of MY_FILES) {
    const schema = readSchema(file);
    t.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema', `${file}: draft 2020-12`);
    t.equal(schema['$id'], `${STIX_SCHEMA_BASE}${file}`, `${file}: $id`);
    t.match(schema['description'], /stix-2\.1\.md §12/, `${file}: description cites the digest`);
    if (file.startsWith('scos/')) {
      const type = file.slice('scos/'.length, -'.json'.length);
      t.same(schema['allOf'], [{ $ref: '../common/sco-common.json' }], `${file}: common SCO properties`);
      t.same((schema['properties'] as Obj)['type'], { const: type }, `${file}: type const`);
      t.equal(schema['additionalProperties'], undefined, `${file}: unknown top-level properties are left to code`);
    } else {
      t.equal(schema['additionalProperties'], false, `${file}: closed extension body`);
      t.same(Object.keys(schema['patternProperties'] as Obj), ['^x_[a-z0-9_]{1,248}$'], `${file}: x_ custom properties allowed`);
    }
  }
});

t.test('known top-level properties are the schema properties plus the common SCO ones (§6, §12)', async (t) => {
  const common = ['type', 'spec_version', 'id', 'object_marking_refs', 'granular_markings', 'defanged', 'extensions'];
  const specific: Record<ScoType, string[]> = {
    artifact: ['mime_type', 'payload_bin', 'url', 'hashes', 'encryption_algorithm', 'decryption_key'],
    'autonomous-system': ['number', 'name', 'rir'],
    directory: ['path', 'path_enc', 'ctime', 'mtime', 'atime', 'contains_refs'],
    'domain-name': ['value', 'resolves_to_refs'],
    'email-addr': ['value', 'display_name', 'belongs_to_ref'],
    'email-message': [
      'is_multipart', 'date', 'content_type', 'from_ref', 'sender_ref', 'to_refs', 'cc_refs', 'bcc_refs', 'message_id',
      'subject', 'received_lines', 'additional_header_fields', 'body', 'body_multipart', 'raw_email_ref',
    ],
    file: [
      'hashes', 'size', 'name', 'name_enc', 'magic_number_hex', 'mime_type', 'ctime', 'mtime', 'atime',
      'parent_directory_ref', 'contains_refs', 'content_ref',
    ],
    'ipv4-addr': ['value', 'resolves_to_refs', 'belongs_to_refs'],
    'ipv6-addr': ['value', 'resolves_to_refs', 'belongs_to_refs'],
    'mac-addr': ['value'],
    mutex: ['name'],
    'network-traffic': [
      'start', 'end', 'is_active', 'src_ref', 'dst_ref', 'src_port', 'dst_port', 'protocols', 'src_byte_count',
      'dst_byte_count', 'src_packets', 'dst_packets', 'ipfix', 'src_payload_ref', 'dst_payload_ref', 'encapsulates_refs',
      'encapsulated_by_ref',
    ],
    process: [
      'is_hidden', 'pid', 'created_time', 'cwd', 'command_line', 'environment_variables', 'opened_connection_refs',
      'creator_user_ref', 'image_ref', 'parent_ref', 'child_refs',
    ],
    software: ['name', 'cpe', 'swid', 'languages', 'vendor', 'version'],
    url: ['value'],
    'user-account': [
      'user_id', 'credential', 'account_login', 'account_type', 'display_name', 'is_service_account', 'is_privileged',
      'can_escalate_privs', 'is_disabled', 'account_created', 'account_expires', 'credential_last_changed',
      'account_first_login', 'account_last_login',
    ],
    'windows-registry-key': ['key', 'values', 'modified_time', 'creator_user_ref', 'number_of_subkeys'],
    'x509-certificate': [
      'is_self_signed', 'hashes', 'version', 'serial_number', 'signature_algorithm', 'issuer', 'validity_not_before',
      'validity_not_after', 'subject', 'subject_public_key_algorithm', 'subject_public_key_modulus',
      'subject_public_key_exponent', 'x509_v3_extensions',
    ],
  };
  for (const type of SCO_TYPES) {
    t.same([...(registry.propertiesOf(type) ?? [])].sort(), [...common, ...specific[type]].sort(), type);
  }
});

// --- valid objects --------------------------------------------------------------------------

const VALID: [string, Obj][] = [
  ...SCO_TYPES.map((type): [string, Obj] => [`minimal ${type} (§12)`, sco(type)]),
  ...EXTENSIONS.map((name): [string, Obj] => [`minimal ${name} on ${EXTENSION_HOST[name]} (§12)`, withExt(name, MINIMAL_EXT[name])]),
  ['artifact by url with hashes (§12)', sco('artifact', { url: 'https://example.com/sample.bin', hashes: { 'SHA-256': 'a'.repeat(64) } })],
  [
    'encrypted artifact: decryption_key with encryption_algorithm (§12, §18)',
    scoWith('artifact', { mime_type: 'application/zip', encryption_algorithm: 'mime-type-indicated', decryption_key: 'My voice is my passport' }),
  ],
  ['autonomous-system with name and rir', scoWith('autonomous-system', { name: 'Slime Industries', rir: 'ARIN' })],
  ['directory with path_enc and times (S23, S31)', scoWith('directory', { path_enc: 'windows-1252', ctime: '2016-01-20T12:31:12Z', contains_refs: [idOf('file')] })],
  ['IDN domain name (RFC 5890 U-labels)', sco('domain-name', { value: 'bücher.example' })],
  ['defanged domain name skips the format check (§6 defanged)', sco('domain-name', { value: 'example[.]com', defanged: true })],
  ['email-addr with a quoted local part', sco('email-addr', { value: '"john doe"@example.com', display_name: 'John Doe' })],
  ['defanged email-addr', sco('email-addr', { value: 'jdoe[@]example[.]com', defanged: true })],
  ['email-message not multipart with body (§12)', scoWith('email-message', { body: 'Hello', subject: 'Hi', additional_header_fields: { 'Reply-To': ['a@example.com'] } })],
  [
    'multipart email-message: parts with body or body_raw_ref, x_ part property (§12)',
    sco('email-message', {
      is_multipart: true,
      body_multipart: [
        { content_type: 'text/plain; charset=utf-8', body: 'Cats are funny!' },
        { content_type: 'image/png', body_raw_ref: idOf('artifact'), x_example_com_note: 'scanned' },
      ],
    }),
  ],
  ['file with hashes only (§12 at least one of hashes/name)', sco('file', { hashes: { MD5: '1717b7fff97d37a1e1a0029d83492de1' } })],
  ['file with name_enc and size 0 (S20, S23)', scoWith('file', { name: 'quêry.dll', name_enc: 'windows-1252', size: 0, magic_number_hex: '504b0304' })],
  ['file with a custom extension beside a predefined one (§16)', scoWith('file', { extensions: { 'x-example-ext': { foo: 1 }, 'pdf-ext': { pdfid0: 'DFCE52' } } })],
  ['ipv4 CIDR block (§12)', sco('ipv4-addr', { value: '10.2.4.5/24' })],
  ['ipv4 /32 and /0', sco('ipv4-addr', { value: '0.0.0.0/0' })],
  ['defanged ipv4 skips the format check', sco('ipv4-addr', { value: '198.51.100[.]3', defanged: true })],
  ['ipv6 CIDR block (§12)', sco('ipv6-addr', { value: '2001:0db8::/96' })],
  ['ipv6 full form', sco('ipv6-addr', { value: '2001:0db8:85a3:0000:0000:8a2e:0370:7334' })],
  ['ipv6 with embedded IPv4', sco('ipv6-addr', { value: '::ffff:192.0.2.1/128' })],
  ['mac-addr with leading zeros (§12)', sco('mac-addr', { value: '00:00:ab:cd:ef:01' })],
  ['network-traffic with src_ref only, ports 0 and 65535 (§12)', sco('network-traffic', { src_ref: idOf('ipv4-addr'), src_port: 0, dst_port: 65535, protocols: ['ipv4', 'tcp'] })],
  ['network-traffic: is_active false with end', scoWith('network-traffic', { start: '2024-01-01T00:00:00Z', end: '2024-01-01T00:01:00Z', is_active: false })],
  ['network-traffic: is_active true without end', scoWith('network-traffic', { is_active: true, src_byte_count: 0, dst_packets: 14356 })],
  ['ipfix values integer or string (§12)', scoWith('network-traffic', { ipfix: { minimumIpTotalLength: 32, maximumIpTotalLength: '2556' } })],
  [
    'network-traffic with four predefined extensions',
    scoWith('network-traffic', {
      extensions: {
        'http-request-ext': { request_method: 'get', request_value: '/', request_version: 'http/1.1', request_header: { Host: ['www.example.com'] }, message_body_length: 0 },
        'icmp-ext': MINIMAL_EXT['icmp-ext'],
        'socket-ext': { address_family: 'AF_INET6', socket_type: 'SOCK_DGRAM', options: { SO_LINGER: 5 }, socket_descriptor: 3 },
        'tcp-ext': { dst_flags_hex: '12' },
      },
    }),
  ],
  ['socket-ext with SOCK_DGRAM (C9)', extWith('socket-ext', { socket_type: 'SOCK_DGRAM' })],
  ['process with only an extension (§12 "or one of its extensions")', sco('process', { extensions: { 'windows-process-ext': { window_title: 'Untitled' } } })],
  ['process with environment_variables', scoWith('process', { environment_variables: { PATH: '/usr/bin' }, child_refs: [idOf('process')] })],
  ['windows-process-ext window_title and integrity_level (C4, §18)', extWith('windows-process-ext', { window_title: 'Some Title', integrity_level: 'system', startup_info: { lpDesktop: 'x' } })],
  [
    'windows-service-ext with every enum (§18)',
    extWith('windows-service-ext', { start_type: 'SERVICE_DEMAND_START', service_type: 'SERVICE_KERNEL_DRIVER', service_status: 'SERVICE_STOPPED', descriptions: ['a service'] }),
  ],
  ['software with a CPE 2.3 name and languages (C11)', scoWith('software', { cpe: 'cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*', languages: ['en', 'zh-Hant-TW', 'eng'] })],
  ['url with an IP-literal host', sco('url', { value: 'http://[2001:db8::1]:8080/a%20b?q=1#frag' })],
  ['defanged url skips the format check', sco('url', { value: 'hxxp://example[.]com/x', defanged: true })],
  ['user-account with unix-account-ext', extWith('unix-account-ext', { groups: ['wheel'], home_dir: '/home/jdoe', shell: '/bin/bash' })],
  ['windows-registry-key: default value has the empty name (§12)', scoWith('windows-registry-key', { values: [{ name: '' }, { data: '42', data_type: 'REG_DWORD' }] })],
  ['windows-registry-key with a lower-case expanded hive', sco('windows-registry-key', { key: 'hkey_local_machine\\system\\bar\\foo' })],
  ['x509-certificate with v3 extensions (§12)', scoWith('x509-certificate', { x509_v3_extensions: { basic_constraints: 'critical,CA:TRUE, pathlen:0', private_key_usage_period_not_after: '2018-03-12T12:00:00Z' } })],
  [
    'windows-pebinary-ext with optional header and sections (S33)',
    extWith('windows-pebinary-ext', {
      time_date_stamp: '2016-01-22T12:31:12Z',
      optional_header: { magic_hex: '010b', size_of_code: 512, image_base: 14548992 },
      sections: [{ name: '.text', entropy: 8, size: 0 }, { name: 'DATA', entropy: 0 }],
    }),
  ],
  ['ntfs-ext with alternate data streams', extWith('ntfs-ext', { alternate_data_streams: [{ name: 'second.stream', size: 25536, hashes: { 'SHA-256': 'b'.repeat(64) } }] })],
  ['pdf-ext with document_info_dict', extWith('pdf-ext', { is_optimized: false, document_info_dict: { Title: 'Sample document' } })],
  ['raster-image-ext exif_tags integer or string', extWith('raster-image-ext', { exif_tags: { Make: 'Nikon', XResolution: 4928 } })],
  ['archive-ext with comment and an x_ custom property', extWith('archive-ext', { comment: 'zip', x_example_com_ratio: 3 })],
  ['unknown top-level properties are left to code (SR3, strictness level)', scoWith('mutex', { created: '2024-01-01T00:00:00.000Z', x_example_com_tag: 'a' })],
];

t.test('valid objects pass', async (t) => {
  for (const [name, object] of VALID) t.equal(check(object), undefined, name);
  const types = new Set(VALID.map(([, object]) => object['type']));
  t.same([...types].sort(), [...SCO_TYPES].sort(), 'every SCO type has a valid case');
  const exts = new Set(VALID.flatMap(([, object]) => Object.keys((object['extensions'] as Obj | undefined) ?? {})));
  for (const name of EXTENSIONS) t.ok(exts.has(name), `${name} has a valid case`);
});

// --- invalid objects ------------------------------------------------------------------------

interface Invalid {
  readonly name: string;
  readonly object: Obj;
  readonly path: string;
  readonly message: RegExp;
}

const REQUIRED = /required property is missing/;
/** A rule that wants one of several properties is named whole (issue 14), from its first alternative. */
const ONE_OF = (first: string): RegExp => new RegExp(`^needs (?:at least|exactly) one of ${first}(?: and [a-z_]+)*(?:, | or |$)`);
const NOT_ALLOWED = /has a property that is not allowed here/;
const EMPTY_LIST = /must not be an empty list/;
const unknown = (name: string): RegExp => new RegExp(`unknown property "${name}"`);
const E = (name: ExtName, path = ''): string => `extensions.${name}${path}`;

const INVALID: Invalid[] = [
  // artifact
  { name: 'artifact: neither payload_bin nor url (§12 exactly one)', object: sco('artifact', { mime_type: 'image/png' }), path: '', message: ONE_OF('payload_bin') },
  {
    name: 'artifact: payload_bin and url together (§12 exactly one)',
    object: scoWith('artifact', { url: 'https://example.com/a', hashes: { MD5: 'c'.repeat(32) } }),
    path: 'payload_bin',
    message: NOT_ALLOWED,
  },
  { name: 'artifact: url without hashes (§12)', object: sco('artifact', { url: 'https://example.com/a' }), path: '', message: /must have property hashes when property url is present/ },
  {
    name: 'artifact: decryption_key without encryption_algorithm (§12)',
    object: scoWith('artifact', { decryption_key: 'secret' }),
    path: '',
    message: /must have property encryption_algorithm when property decryption_key is present/,
  },
  { name: 'artifact: encryption_algorithm outside the enum (§18, S4)', object: scoWith('artifact', { encryption_algorithm: 'AES-128-CBC' }), path: 'encryption_algorithm', message: /must be one of "AES-256-GCM"/ },
  { name: 'artifact: payload_bin not base64 (S1)', object: sco('artifact', { payload_bin: 'VBORw0KGgo== ...' }), path: 'payload_bin', message: /is not a valid binary/ },
  { name: 'artifact: url is not a URL (§12)', object: sco('artifact', { url: 'example.com/a', hashes: { MD5: 'c'.repeat(32) } }), path: 'url', message: /is not a valid url-value/ },
  // autonomous-system
  { name: 'autonomous-system: number is required (§12)', object: sco('autonomous-system', { name: 'x' }), path: 'number', message: REQUIRED },
  { name: 'autonomous-system: number is an integer (S10)', object: sco('autonomous-system', { number: 1.5 }), path: 'number', message: /must be integer/ },
  // directory
  { name: 'directory: path is required (§12)', object: sco('directory', { ctime: '2016-01-20T12:31:12Z' }), path: 'path', message: REQUIRED },
  { name: 'directory: contains_refs not empty (S12)', object: scoWith('directory', { contains_refs: [] }), path: 'contains_refs', message: EMPTY_LIST },
  { name: 'directory: ctime is a timestamp (S31)', object: scoWith('directory', { ctime: '2016-01-20 12:31:12' }), path: 'ctime', message: /is not a valid timestamp/ },
  // domain-name
  { name: 'domain-name: value is required (§12)', object: sco('domain-name', { resolves_to_refs: [idOf('ipv4-addr')] }), path: 'value', message: REQUIRED },
  { name: 'domain-name: whitespace (RFC 1034)', object: sco('domain-name', { value: 'exa mple.com' }), path: 'value', message: /is not a valid domain-name-value/ },
  { name: 'domain-name: empty label (RFC 1034)', object: sco('domain-name', { value: 'a..example.com' }), path: 'value', message: /is not a valid domain-name-value/ },
  { name: 'domain-name: label starts with a hyphen (RFC 1034)', object: sco('domain-name', { value: '-bad.example.com' }), path: 'value', message: /is not a valid domain-name-value/ },
  { name: 'domain-name: label over 63 characters (RFC 1034)', object: sco('domain-name', { value: `${'a'.repeat(64)}.com` }), path: 'value', message: /is not a valid domain-name-value/ },
  { name: 'domain-name: not defanged, so "[.]" is invalid', object: sco('domain-name', { value: 'example[.]com', defanged: false }), path: 'value', message: /is not a valid domain-name-value/ },
  { name: 'domain-name: resolves_to_refs holds identifiers (S24)', object: scoWith('domain-name', { resolves_to_refs: ['198.51.100.3'] }), path: 'resolves_to_refs[0]', message: /is not a valid identifier/ },
  // email-addr
  { name: 'email-addr: value is required (§12)', object: sco('email-addr', { display_name: 'John' }), path: 'value', message: REQUIRED },
  { name: 'email-addr: value MUST NOT contain the display name (§12)', object: sco('email-addr', { value: 'John Doe <jdoe@example.com>' }), path: 'value', message: /is not a valid email-addr-spec/ },
  { name: 'email-addr: no @ (RFC 5322 addr-spec)', object: sco('email-addr', { value: 'jdoe.example.com' }), path: 'value', message: /is not a valid email-addr-spec/ },
  { name: 'email-addr: belongs_to_ref is an identifier', object: scoWith('email-addr', { belongs_to_ref: 'jdoe' }), path: 'belongs_to_ref', message: /is not a valid identifier/ },
  // email-message
  { name: 'email-message: is_multipart is required (§12)', object: sco('email-message', { subject: 'Hi' }), path: 'is_multipart', message: REQUIRED },
  { name: 'email-message: body MUST NOT be used when is_multipart is true (§12)', object: sco('email-message', { is_multipart: true, body: 'x' }), path: 'body', message: NOT_ALLOWED },
  {
    name: 'email-message: body_multipart MUST NOT be used when is_multipart is false (§12)',
    object: sco('email-message', { is_multipart: false, body_multipart: [{ body: 'x' }] }),
    path: 'body_multipart',
    message: NOT_ALLOWED,
  },
  { name: 'email-message: body_multipart not empty (S12)', object: sco('email-message', { is_multipart: true, body_multipart: [] }), path: 'body_multipart', message: EMPTY_LIST },
  {
    name: 'email-message: a MIME part needs body or body_raw_ref (§12)',
    object: sco('email-message', { is_multipart: true, body_multipart: [{ content_type: 'text/plain' }] }),
    path: 'body_multipart[0]',
    message: ONE_OF('body'),
  },
  {
    name: 'email-message: MIME part is closed except x_ properties',
    object: sco('email-message', { is_multipart: true, body_multipart: [{ body: 'x', filename: 'a.txt' }] }),
    path: 'body_multipart[0]',
    message: unknown('filename'),
  },
  {
    name: 'email-message: additional_header_fields values are lists of strings (§12 / STIX §6.6)',
    object: scoWith('email-message', { additional_header_fields: { 'X-Mailer': 'Mutt/1.5.23' } }),
    path: 'additional_header_fields.X-Mailer',
    message: /must be array/,
  },
  { name: 'email-message: additional_header_fields not empty (S3)', object: scoWith('email-message', { additional_header_fields: {} }), path: 'additional_header_fields', message: /must not be empty/ },
  { name: 'email-message: to_refs not empty (S12)', object: scoWith('email-message', { to_refs: [] }), path: 'to_refs', message: EMPTY_LIST },
  { name: 'email-message: date is a timestamp (S31)', object: scoWith('email-message', { date: 'Tue, 19 Jul 2016 07:20:40 -0700' }), path: 'date', message: /is not a valid timestamp/ },
  // file
  { name: 'file: at least one of hashes and name (§12)', object: sco('file', { size: 10 }), path: '', message: ONE_OF('hashes') },
  { name: 'file: size MUST NOT be negative (§12)', object: scoWith('file', { size: -1 }), path: 'size', message: /must be >= 0/ },
  { name: 'file: size is an integer', object: scoWith('file', { size: '1.8 MB' }), path: 'size', message: /must be integer/ },
  { name: 'file: hashes is a dictionary (S7)', object: sco('file', { hashes: 'MD5: de07c4ac94a50663851e5dabe6e50d1f' }), path: 'hashes', message: /must be object/ },
  { name: 'file: name_enc MUST NOT appear without name (S20)', object: sco('file', { hashes: { MD5: 'c'.repeat(32) }, name_enc: 'windows-1252' }), path: '', message: /must have property name when property name_enc is present/ },
  { name: 'file: magic_number_hex is hex (S8)', object: scoWith('file', { magic_number_hex: 'PK' }), path: 'magic_number_hex', message: /is not a valid hex/ },
  { name: 'file: a predefined extension body is an object', object: scoWith('file', { extensions: { 'ntfs-ext': 'yes' } }), path: 'extensions.ntfs-ext', message: /must be object/ },
  // ipv4-addr
  { name: 'ipv4-addr: value is required (§12)', object: sco('ipv4-addr', { belongs_to_refs: [idOf('autonomous-system')] }), path: 'value', message: REQUIRED },
  { name: 'ipv4-addr: octet over 255 (§12 CIDR)', object: sco('ipv4-addr', { value: '198.51.100.256' }), path: 'value', message: /is not a valid ipv4-cidr/ },
  { name: 'ipv4-addr: prefix over /32 (§12 CIDR)', object: sco('ipv4-addr', { value: '10.2.4.5/33' }), path: 'value', message: /is not a valid ipv4-cidr/ },
  { name: 'ipv4-addr: leading zero', object: sco('ipv4-addr', { value: '010.2.4.5' }), path: 'value', message: /is not a valid ipv4-cidr/ },
  { name: 'ipv4-addr: an IPv6 address', object: sco('ipv4-addr', { value: '2001:db8::1' }), path: 'value', message: /is not a valid ipv4-cidr/ },
  { name: 'ipv4-addr: resolves_to_refs not empty (S12)', object: scoWith('ipv4-addr', { resolves_to_refs: [] }), path: 'resolves_to_refs', message: EMPTY_LIST },
  // ipv6-addr
  { name: 'ipv6-addr: value is required (§12)', object: sco('ipv6-addr', { resolves_to_refs: [idOf('mac-addr')] }), path: 'value', message: REQUIRED },
  { name: 'ipv6-addr: ":::" (§12 CIDR)', object: sco('ipv6-addr', { value: '2001:::1' }), path: 'value', message: /is not a valid ipv6-cidr/ },
  { name: 'ipv6-addr: two "::"', object: sco('ipv6-addr', { value: '2001::db8::1' }), path: 'value', message: /is not a valid ipv6-cidr/ },
  { name: 'ipv6-addr: five hex digits in a group', object: sco('ipv6-addr', { value: '2001:0db80::1' }), path: 'value', message: /is not a valid ipv6-cidr/ },
  { name: 'ipv6-addr: prefix over /128', object: sco('ipv6-addr', { value: '2001:db8::/129' }), path: 'value', message: /is not a valid ipv6-cidr/ },
  { name: 'ipv6-addr: an IPv4 address', object: sco('ipv6-addr', { value: '198.51.100.3' }), path: 'value', message: /is not a valid ipv6-cidr/ },
  // mac-addr
  { name: 'mac-addr: value is required (§12)', object: sco('mac-addr', {}), path: 'value', message: REQUIRED },
  { name: 'mac-addr: upper case (§12 lowercase MAC-48)', object: sco('mac-addr', { value: 'D2:FB:49:24:37:18' }), path: 'value', message: /is not a valid mac-address/ },
  { name: 'mac-addr: hyphen-delimited (§12 colon-delimited)', object: sco('mac-addr', { value: 'd2-fb-49-24-37-18' }), path: 'value', message: /is not a valid mac-address/ },
  { name: 'mac-addr: missing leading zero (§12)', object: sco('mac-addr', { value: '0:0:ab:cd:ef:1' }), path: 'value', message: /is not a valid mac-address/ },
  // mutex
  { name: 'mutex: name is required (§12)', object: sco('mutex', {}), path: 'name', message: REQUIRED },
  { name: 'mutex: name is a string', object: sco('mutex', { name: 42 }), path: 'name', message: /must be string/ },
  // network-traffic
  { name: 'network-traffic: protocols is required (§12)', object: sco('network-traffic', { dst_ref: idOf('ipv4-addr') }), path: 'protocols', message: REQUIRED },
  { name: 'network-traffic: protocols not empty (S12)', object: scoWith('network-traffic', { protocols: [] }), path: 'protocols', message: EMPTY_LIST },
  { name: 'network-traffic: at least one of src_ref and dst_ref (§12)', object: sco('network-traffic', { protocols: ['tcp'], dst_port: 80 }), path: '', message: ONE_OF('src_ref') },
  { name: 'network-traffic: src_port over 65535 (§12)', object: scoWith('network-traffic', { src_port: 65536 }), path: 'src_port', message: /must be <= 65535/ },
  { name: 'network-traffic: dst_port below 0 (§12)', object: scoWith('network-traffic', { dst_port: -1 }), path: 'dst_port', message: /must be >= 0/ },
  { name: 'network-traffic: port is an integer', object: scoWith('network-traffic', { dst_port: '80' }), path: 'dst_port', message: /must be integer/ },
  { name: 'network-traffic: is_active true ⇒ no end (§12)', object: scoWith('network-traffic', { is_active: true, end: '2024-01-01T00:00:00Z' }), path: 'end', message: NOT_ALLOWED },
  { name: 'network-traffic: byte counts not negative', object: scoWith('network-traffic', { src_byte_count: -5 }), path: 'src_byte_count', message: /must be >= 0/ },
  { name: 'network-traffic: packet counts not negative', object: scoWith('network-traffic', { dst_packets: -1 }), path: 'dst_packets', message: /must be >= 0/ },
  { name: 'network-traffic: ipfix values are integers or strings (§12)', object: scoWith('network-traffic', { ipfix: { octetDeltaCount: true } }), path: 'ipfix.octetDeltaCount', message: /must be integer/ },
  { name: 'network-traffic: start is a timestamp (S31)', object: scoWith('network-traffic', { start: '2024-01-01T00:00:00+00:00' }), path: 'start', message: /is not a valid timestamp/ },
  // process
  { name: 'process: at least one specific property or extension (§12)', object: sco('process', {}), path: '', message: ONE_OF('is_hidden') },
  { name: 'process: pid is an integer', object: sco('process', { pid: '1221' }), path: 'pid', message: /must be integer/ },
  { name: 'process: environment_variables values are strings', object: scoWith('process', { environment_variables: { PATH: ['/usr/bin'] } }), path: 'environment_variables.PATH', message: /must be string/ },
  { name: 'process: child_refs not empty (S12)', object: scoWith('process', { child_refs: [] }), path: 'child_refs', message: EMPTY_LIST },
  // software
  { name: 'software: name is required (§12)', object: sco('software', { vendor: 'Microsoft' }), path: 'name', message: REQUIRED },
  { name: 'software: cpe is a CPE 2.3 name (§12)', object: scoWith('software', { cpe: 'cpe:/a:microsoft:word:2000' }), path: 'cpe', message: /is not a valid cpe-2-3-name/ },
  // software.languages are RFC 5646 tags: checked in code (stix-rules.test.ts).
  { name: 'software: languages not empty (S12)', object: scoWith('software', { languages: [] }), path: 'languages', message: EMPTY_LIST },
  // url
  { name: 'url: value is required (§12)', object: sco('url', {}), path: 'value', message: REQUIRED },
  { name: 'url: no scheme (RFC 3986)', object: sco('url', { value: 'tunnel.us.ngrok.com' }), path: 'value', message: /is not a valid url-value/ },
  { name: 'url: whitespace (RFC 3986)', object: sco('url', { value: 'https://example.com/a b' }), path: 'value', message: /is not a valid url-value/ },
  { name: 'url: brackets outside an IP literal, not defanged (RFC 3986)', object: sco('url', { value: 'http://84.38.133[.]149/img/icon.gif' }), path: 'value', message: /is not a valid url-value/ },
  { name: 'url: bad percent-escape (RFC 3986)', object: sco('url', { value: 'https://example.com/%zz' }), path: 'value', message: /is not a valid url-value/ },
  // user-account
  { name: 'user-account: at least one specific property (§12)', object: sco('user-account', {}), path: '', message: ONE_OF('user_id') },
  {
    name: 'user-account: an extension alone is not a specific property (§12)',
    object: sco('user-account', { extensions: { 'unix-account-ext': { gid: 1001 } } }),
    path: '',
    message: ONE_OF('user_id'),
  },
  { name: 'user-account: is_privileged is a boolean', object: scoWith('user-account', { is_privileged: 'yes' }), path: 'is_privileged', message: /must be boolean/ },
  { name: 'user-account: account_created is a timestamp (S31)', object: scoWith('user-account', { account_created: '2016-01-20' }), path: 'account_created', message: /is not a valid timestamp/ },
  // windows-registry-key
  { name: 'windows-registry-key: at least one specific property (§12)', object: sco('windows-registry-key', {}), path: '', message: ONE_OF('key') },
  { name: 'windows-registry-key: hive fully expanded, not HKLM (§12)', object: sco('windows-registry-key', { key: 'HKLM\\Software\\Foo' }), path: 'key', message: /is not a valid expanded-hive-registry-key/ },
  { name: 'windows-registry-key: values not empty (S12)', object: scoWith('windows-registry-key', { values: [] }), path: 'values', message: EMPTY_LIST },
  { name: 'windows-registry-key: a value needs at least one property (§12)', object: scoWith('windows-registry-key', { values: [{}] }), path: 'values[0]', message: ONE_OF('name') },
  {
    name: 'windows-registry-key: data_type from windows-registry-datatype-enum (§18, S4)',
    object: scoWith('windows-registry-key', { values: [{ name: 'Foo', data_type: 'REG_STRING' }] }),
    path: 'values[0].data_type',
    message: /must be one of "REG_NONE"/,
  },
  { name: 'windows-registry-key: value type is closed except x_ properties', object: scoWith('windows-registry-key', { values: [{ name: 'Foo', type: 'REG_SZ' }] }), path: 'values[0]', message: unknown('type') },
  { name: 'windows-registry-key: number_of_subkeys is an integer', object: scoWith('windows-registry-key', { number_of_subkeys: '3' }), path: 'number_of_subkeys', message: /must be integer/ },
  // x509-certificate
  { name: 'x509-certificate: at least one specific property (§12)', object: sco('x509-certificate', {}), path: '', message: ONE_OF('is_self_signed') },
  { name: 'x509-certificate: x509_v3_extensions needs a property (§12)', object: scoWith('x509-certificate', { x509_v3_extensions: {} }), path: 'x509_v3_extensions', message: ONE_OF('basic_constraints') },
  {
    name: 'x509-certificate: x509_v3_extensions is closed except x_ properties',
    object: scoWith('x509-certificate', { x509_v3_extensions: { key_usage: 'critical, keyCertSign', ocsp: 'x' } }),
    path: 'x509_v3_extensions',
    message: unknown('ocsp'),
  },
  {
    name: 'x509-certificate: private_key_usage_period_not_before is a timestamp (S31)',
    object: scoWith('x509-certificate', { x509_v3_extensions: { private_key_usage_period_not_before: '2016-03-12' } }),
    path: 'x509_v3_extensions.private_key_usage_period_not_before',
    message: /is not a valid timestamp/,
  },
  { name: 'x509-certificate: subject_public_key_exponent is an integer', object: scoWith('x509-certificate', { subject_public_key_exponent: '65537' }), path: 'subject_public_key_exponent', message: /must be integer/ },
  // archive-ext
  { name: 'archive-ext: contains_refs is required (§12)', object: withExt('archive-ext', { comment: 'x' }), path: E('archive-ext', '.contains_refs'), message: REQUIRED },
  { name: 'archive-ext: contains_refs not empty (S12)', object: withExt('archive-ext', { contains_refs: [] }), path: E('archive-ext', '.contains_refs'), message: EMPTY_LIST },
  { name: 'archive-ext: closed (the 2.0 version property is gone)', object: extWith('archive-ext', { version: '5.0' }), path: E('archive-ext'), message: unknown('version') },
  // ntfs-ext
  { name: 'ntfs-ext: at least one property (§12)', object: withExt('ntfs-ext', {}), path: E('ntfs-ext'), message: ONE_OF('sid') },
  { name: 'ntfs-ext: x_ properties do not count (§12)', object: withExt('ntfs-ext', { x_example_com_a: 1 }), path: E('ntfs-ext'), message: ONE_OF('sid') },
  { name: 'ntfs-ext: alternate_data_streams not empty (S12)', object: withExt('ntfs-ext', { alternate_data_streams: [] }), path: E('ntfs-ext', '.alternate_data_streams'), message: EMPTY_LIST },
  { name: 'ntfs-ext: stream name is required', object: withExt('ntfs-ext', { alternate_data_streams: [{ size: 1 }] }), path: E('ntfs-ext', '.alternate_data_streams[0].name'), message: REQUIRED },
  { name: 'ntfs-ext: stream size not negative', object: withExt('ntfs-ext', { alternate_data_streams: [{ name: 's', size: -1 }] }), path: E('ntfs-ext', '.alternate_data_streams[0].size'), message: /must be >= 0/ },
  { name: 'ntfs-ext: stream type is closed', object: withExt('ntfs-ext', { alternate_data_streams: [{ name: 's', owner: 'x' }] }), path: E('ntfs-ext', '.alternate_data_streams[0]'), message: unknown('owner') },
  { name: 'ntfs-ext: closed except x_ properties', object: extWith('ntfs-ext', { owner: 'x' }), path: E('ntfs-ext'), message: unknown('owner') },
  // pdf-ext
  { name: 'pdf-ext: at least one property (§12)', object: withExt('pdf-ext', {}), path: E('pdf-ext'), message: ONE_OF('version') },
  { name: 'pdf-ext: document_info_dict values are strings', object: withExt('pdf-ext', { document_info_dict: { Pages: 3 } }), path: E('pdf-ext', '.document_info_dict.Pages'), message: /must be string/ },
  { name: 'pdf-ext: is_optimized is a boolean', object: extWith('pdf-ext', { is_optimized: 'no' }), path: E('pdf-ext', '.is_optimized'), message: /must be boolean/ },
  { name: 'pdf-ext: closed except x_ properties', object: extWith('pdf-ext', { pages: 3 }), path: E('pdf-ext'), message: unknown('pages') },
  // raster-image-ext
  { name: 'raster-image-ext: at least one property (§12)', object: withExt('raster-image-ext', {}), path: E('raster-image-ext'), message: ONE_OF('image_height') },
  { name: 'raster-image-ext: exif_tags values are integers or strings', object: withExt('raster-image-ext', { exif_tags: { Flash: true } }), path: E('raster-image-ext', '.exif_tags.Flash'), message: /must be integer/ },
  { name: 'raster-image-ext: image_width is an integer', object: extWith('raster-image-ext', { image_width: 76.8 }), path: E('raster-image-ext', '.image_width'), message: /must be integer/ },
  { name: 'raster-image-ext: closed except x_ properties', object: extWith('raster-image-ext', { format: 'jpeg' }), path: E('raster-image-ext'), message: unknown('format') },
  // windows-pebinary-ext
  { name: 'windows-pebinary-ext: pe_type is required (§12)', object: withExt('windows-pebinary-ext', { machine_hex: '014c' }), path: E('windows-pebinary-ext', '.pe_type'), message: REQUIRED },
  { name: 'windows-pebinary-ext: pe_type plus at least one other property (§12)', object: withExt('windows-pebinary-ext', { pe_type: 'dll' }), path: E('windows-pebinary-ext'), message: ONE_OF('imphash') },
  {
    name: 'windows-pebinary-ext: time_date_stamp precise to the second (S33)',
    object: extWith('windows-pebinary-ext', { time_date_stamp: '2016-01-22T12:31:12.000Z' }),
    path: E('windows-pebinary-ext', '.time_date_stamp'),
    message: /is not a valid timestamp-second-precision/,
  },
  { name: 'windows-pebinary-ext: number_of_sections not negative', object: extWith('windows-pebinary-ext', { number_of_sections: -1 }), path: E('windows-pebinary-ext', '.number_of_sections'), message: /must be >= 0/ },
  { name: 'windows-pebinary-ext: machine_hex is hex (S8)', object: extWith('windows-pebinary-ext', { machine_hex: 'x86' }), path: E('windows-pebinary-ext', '.machine_hex'), message: /is not a valid hex/ },
  { name: 'windows-pebinary-ext: optional_header needs a property', object: extWith('windows-pebinary-ext', { optional_header: {} }), path: E('windows-pebinary-ext', '.optional_header'), message: ONE_OF('magic_hex') },
  {
    name: 'windows-pebinary-ext: optional_header sizes not negative',
    object: extWith('windows-pebinary-ext', { optional_header: { size_of_image: -4096 } }),
    path: E('windows-pebinary-ext', '.optional_header.size_of_image'),
    message: /must be >= 0/,
  },
  { name: 'windows-pebinary-ext: optional_header is closed', object: extWith('windows-pebinary-ext', { optional_header: { magic_hex: '010b', entry: 1 } }), path: E('windows-pebinary-ext', '.optional_header'), message: unknown('entry') },
  { name: 'windows-pebinary-ext: sections not empty (S12)', object: extWith('windows-pebinary-ext', { sections: [] }), path: E('windows-pebinary-ext', '.sections'), message: EMPTY_LIST },
  { name: 'windows-pebinary-ext: section name is required', object: extWith('windows-pebinary-ext', { sections: [{ entropy: 1 }] }), path: E('windows-pebinary-ext', '.sections[0].name'), message: REQUIRED },
  { name: 'windows-pebinary-ext: section entropy within 0..8', object: extWith('windows-pebinary-ext', { sections: [{ name: '.text', entropy: 8.5 }] }), path: E('windows-pebinary-ext', '.sections[0].entropy'), message: /must be <= 8/ },
  { name: 'windows-pebinary-ext: section type is closed', object: extWith('windows-pebinary-ext', { sections: [{ name: '.text', flags: 1 }] }), path: E('windows-pebinary-ext', '.sections[0]'), message: unknown('flags') },
  // http-request-ext
  { name: 'http-request-ext: request_method is required (§12)', object: withExt('http-request-ext', { request_value: '/' }), path: E('http-request-ext', '.request_method'), message: REQUIRED },
  { name: 'http-request-ext: request_value is required (§12)', object: withExt('http-request-ext', { request_method: 'get' }), path: E('http-request-ext', '.request_value'), message: REQUIRED },
  {
    name: 'http-request-ext: request_header values are lists of strings',
    object: extWith('http-request-ext', { request_header: { 'Accept-Encoding': 'gzip,deflate' } }),
    path: E('http-request-ext', '.request_header.Accept-Encoding'),
    message: /must be array/,
  },
  { name: 'http-request-ext: message_body_data_ref is an identifier', object: extWith('http-request-ext', { message_body_data_ref: 'artifact' }), path: E('http-request-ext', '.message_body_data_ref'), message: /is not a valid identifier/ },
  { name: 'http-request-ext: closed except x_ properties', object: extWith('http-request-ext', { response_code: 200 }), path: E('http-request-ext'), message: unknown('response_code') },
  // icmp-ext
  { name: 'icmp-ext: icmp_type_hex is required (§12)', object: withExt('icmp-ext', { icmp_code_hex: '00' }), path: E('icmp-ext', '.icmp_type_hex'), message: REQUIRED },
  { name: 'icmp-ext: icmp_code_hex is required (§12)', object: withExt('icmp-ext', { icmp_type_hex: '08' }), path: E('icmp-ext', '.icmp_code_hex'), message: REQUIRED },
  { name: 'icmp-ext: the type is one byte of hex (S8)', object: extWith('icmp-ext', { icmp_type_hex: '0800' }), path: E('icmp-ext', '.icmp_type_hex'), message: /is not a valid hex-byte/ },
  // socket-ext
  { name: 'socket-ext: address_family is required (§12)', object: withExt('socket-ext', { is_listening: true }), path: E('socket-ext', '.address_family'), message: REQUIRED },
  { name: 'socket-ext: address_family from its enum (§18, S4)', object: withExt('socket-ext', { address_family: 'AF_UNIX' }), path: E('socket-ext', '.address_family'), message: /must be one of "AF_UNSPEC"/ },
  { name: 'socket-ext: socket_type typo of the summary table is rejected (C9)', object: extWith('socket-ext', { socket_type: 'AF_ISOCK_DGRAMNET' }), path: E('socket-ext', '.socket_type'), message: /must be one of "SOCK_STREAM", "SOCK_DGRAM"/ },
  { name: 'socket-ext: options values are integers', object: extWith('socket-ext', { options: { SO_LINGER: 'on' } }), path: E('socket-ext', '.options.SO_LINGER'), message: /must be integer/ },
  { name: 'socket-ext: socket_descriptor not negative', object: extWith('socket-ext', { socket_descriptor: -1 }), path: E('socket-ext', '.socket_descriptor'), message: /must be >= 0/ },
  // tcp-ext
  { name: 'tcp-ext: at least one property (§12)', object: withExt('tcp-ext', {}), path: E('tcp-ext'), message: ONE_OF('src_flags_hex') },
  { name: 'tcp-ext: flags are hex (S8)', object: withExt('tcp-ext', { dst_flags_hex: 'SYN' }), path: E('tcp-ext', '.dst_flags_hex'), message: /is not a valid hex/ },
  { name: 'tcp-ext: closed except x_ properties', object: extWith('tcp-ext', { window: 1024 }), path: E('tcp-ext'), message: unknown('window') },
  // windows-process-ext
  { name: 'windows-process-ext: at least one property (§12)', object: withExt('windows-process-ext', {}), path: E('windows-process-ext'), message: ONE_OF('aslr_enabled') },
  { name: 'windows-process-ext: the property is window_title, not windows_title (C4)', object: extWith('windows-process-ext', { windows_title: 'x' }), path: E('windows-process-ext'), message: unknown('windows_title') },
  { name: 'windows-process-ext: integrity_level from its enum (§18, S4)', object: extWith('windows-process-ext', { integrity_level: 'untrusted' }), path: E('windows-process-ext', '.integrity_level'), message: /must be one of "low"/ },
  { name: 'windows-process-ext: startup_info not empty (S3)', object: extWith('windows-process-ext', { startup_info: {} }), path: E('windows-process-ext', '.startup_info'), message: /must not be empty/ },
  // windows-service-ext
  { name: 'windows-service-ext: at least one property (§12)', object: withExt('windows-service-ext', {}), path: E('windows-service-ext'), message: ONE_OF('service_name') },
  { name: 'windows-service-ext: start_type from its enum (§18, S4)', object: extWith('windows-service-ext', { start_type: 'SERVICE_MANUAL' }), path: E('windows-service-ext', '.start_type'), message: /must be one of "SERVICE_AUTO_START"/ },
  { name: 'windows-service-ext: service_type from its enum (§18, S4)', object: extWith('windows-service-ext', { service_type: 'SERVICE_USER_OWN_PROCESS' }), path: E('windows-service-ext', '.service_type'), message: /must be one of "SERVICE_KERNEL_DRIVER"/ },
  { name: 'windows-service-ext: service_status from its enum (§18, S4)', object: extWith('windows-service-ext', { service_status: 'running' }), path: E('windows-service-ext', '.service_status'), message: /must be one of "SERVICE_CONTINUE_PENDING"/ },
  { name: 'windows-service-ext: descriptions not empty (S12)', object: extWith('windows-service-ext', { descriptions: [] }), path: E('windows-service-ext', '.descriptions'), message: EMPTY_LIST },
  { name: 'windows-service-ext: service_dll_refs hold identifiers', object: extWith('windows-service-ext', { service_dll_refs: ['foo.dll'] }), path: E('windows-service-ext', '.service_dll_refs[0]'), message: /is not a valid identifier/ },
  // unix-account-ext
  { name: 'unix-account-ext: at least one property (§12)', object: withExt('unix-account-ext', {}), path: E('unix-account-ext'), message: ONE_OF('gid') },
  { name: 'unix-account-ext: gid is an integer', object: withExt('unix-account-ext', { gid: '1001' }), path: E('unix-account-ext', '.gid'), message: /must be integer/ },
  { name: 'unix-account-ext: groups not empty (S12)', object: extWith('unix-account-ext', { groups: [] }), path: E('unix-account-ext', '.groups'), message: EMPTY_LIST },
  { name: 'unix-account-ext: closed except x_ properties', object: extWith('unix-account-ext', { uid: 1001 }), path: E('unix-account-ext'), message: unknown('uid') },
];

t.test('invalid objects fail with the expected path and message', async (t) => {
  for (const { name, object, path, message } of INVALID) {
    t.test(name, async (t) => expectFailure(t, object, path, message));
  }
  const types = new Set(INVALID.map(({ object }) => object['type']));
  t.same([...types].sort(), [...SCO_TYPES].sort(), 'every SCO type has invalid cases');
  for (const ext of EXTENSIONS) t.ok(INVALID.some(({ path }) => path.startsWith(`extensions.${ext}`)), `${ext} has invalid cases`);
});

t.test('the minimal objects really are minimal: dropping a required property fails (§12)', async (t) => {
  const required: Partial<Record<ScoType, string>> = {
    'autonomous-system': 'number',
    directory: 'path',
    'domain-name': 'value',
    'email-addr': 'value',
    'email-message': 'is_multipart',
    'ipv4-addr': 'value',
    'ipv6-addr': 'value',
    'mac-addr': 'value',
    mutex: 'name',
    software: 'name',
    url: 'value',
  };
  for (const [type, name] of Object.entries(required) as [ScoType, string][]) {
    expectFailure(t, without(sco(type), name), name, REQUIRED);
  }
  expectFailure(t, without(sco('network-traffic'), 'protocols'), 'protocols', REQUIRED);
});

// --- regular expressions ------------------------------------------------------------------

interface FoundPattern {
  readonly where: string;
  readonly source: string;
}

/** Every `pattern` keyword and every `patternProperties` key in a schema. */
function findPatterns(node: unknown, where: string, out: FoundPattern[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => findPatterns(item, `${where}/${i}`, out));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Obj)) {
    const here = `${where}/${key}`;
    if (key === 'pattern' && typeof value === 'string') out.push({ where: here, source: value });
    if (key === 'patternProperties' && value !== null && typeof value === 'object') {
      for (const source of Object.keys(value)) out.push({ where: `${here}[key]`, source });
    }
    findPatterns(value, here, out);
  }
}

const PATTERNS: FoundPattern[] = [];
for (const file of MY_FILES) findPatterns(readSchema(file), `${file}#`, PATTERNS);

t.test('every pattern in the SCO and extension schemas is safe per safe-regex2', async (t) => {
  t.ok(PATTERNS.filter(({ where }) => where.endsWith('/pattern')).length >= 10, `found ${PATTERNS.length} patterns`);
  for (const { where, source } of PATTERNS) t.ok(safeRegex(source), `${where}: ${source}`);
});

t.test('hostile 30-character input against every pattern completes', async (t) => {
  const hostile = 'a'.repeat(29) + '!';
  for (const { where, source } of PATTERNS) {
    t.equal(typeof new RegExp(source, 'u').test(hostile), 'boolean', where);
  }
});

// --- real data --------------------------------------------------------------------------------

const DATA = '/work/shared/data';
const SCO_SET: ReadonlySet<string> = new Set(SCO_TYPES);

function listJson(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) return listJson(full);
      return entry.name.endsWith('.json') ? [full] : [];
    });
}

/** Top-level SCOs of bundles/** and objects/** (SCOs embedded in observed-data.objects are not top-level objects). */
function dataScos(): { key: string; object: Obj }[] {
  const out: { key: string; object: Obj }[] = [];
  for (const dir of ['bundles', 'objects']) {
    for (const file of listJson(join(DATA, dir))) {
      if (file.endsWith('/INDEX.json')) continue;
      const json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      const list = Array.isArray(json) ? json : Array.isArray((json as Obj)['objects']) ? ((json as Obj)['objects'] as unknown[]) : [json];
      for (const object of list as Obj[]) {
        if (SCO_SET.has(String(object['type']))) out.push({ key: `${relative(DATA, file)} ${String(object['id'])}`, object });
      }
    }
  }
  return out;
}

const SLIDER = 'bundles/oasis-cti-stix-slider';
const PY = 'objects/oasis-cti-python-stix2/sco-examples.json';
const NOT_BASE64 = { path: 'payload_bin', reason: 'payload_bin "…== ..." is not base64 (S1): the spec example with its elision kept' };
const HEADER_NOT_LIST = {
  path: 'additional_header_fields.Content-Disposition',
  reason: 'additional_header_fields values are strings; STIX §6.6 says each value MUST be a list of strings (the spec example is wrong)',
};
const REQUEST_HEADER_NOT_LIST = {
  path: 'extensions.http-request-ext.request_header.Accept-Encoding',
  reason: 'request_header values MUST be lists of strings (STIX §6.12.2)',
};
const SHAMOON_HASHES = { path: 'hashes', reason: 'hashes is a free-text string, not a dictionary (S7); size is a string too' };

/** SCOs in /work/shared/data that violate STIX 2.1 (stix-2.1.md, STIX §6) and are rejected by these schemas. */
const EXPECTED_FAILURES: Record<string, { path: string; reason: string }> = {
  'bundles/attack-flow/cisa-aa22-138b-vmware-workspace-alt.json url--e1c165a0-165b-4760-8da0-dcd112475096': {
    path: 'value',
    reason: '"http://84.38.133[.]149/…": "[.]" is not RFC 3986 (defanged without defanged: true)',
  },
  'bundles/attack-flow/cisa-iranian-apt.json url--5cb4ac20-de90-4aba-8467-fe57ba5af2a8': {
    path: 'value',
    reason: '"tunnel.us.ngrok[.]com": no scheme, "[.]" (not an RFC 3986 URL)',
  },
  'bundles/attack-flow/cisa-iranian-apt.json url--3e9fd4ff-625f-42e3-8285-762835bd6b50': {
    path: 'value',
    reason: '"korgn.su.lennut[.]com ": no scheme, "[.]", trailing space',
  },
  'bundles/attack-flow/hancitor-dll.json url--a6ebeb18-dc18-47f7-b64c-07ac5828c492': {
    path: 'value',
    reason: '"4a5ikol.ru\\u00a0": no scheme, trailing no-break space',
  },
  'bundles/attack-flow/mac-malware-steals-crypto.json url--64b32701-235c-4f48-8c0e-1c8b750adcfe': {
    path: 'value',
    reason: '"hxxps://ptpb[.]pw/OAZG": "[.]" is not RFC 3986 (defanged without defanged: true)',
  },
  'bundles/attack-flow/shamoon.json file--e46c754c-c096-4f87-920d-ad5c92a47831': SHAMOON_HASHES,
  'bundles/attack-flow/shamoon.json file--057c8ab8-947c-47ec-8a01-8296cbbc3907': SHAMOON_HASHES,
  'bundles/attack-flow/shamoon.json file--5d5d34f0-e5c5-44ec-99dd-a0489af7c07e': SHAMOON_HASHES,
  'bundles/attack-flow/shamoon.json file--538ab06b-7a80-4a90-b586-8e8e837222a6': SHAMOON_HASHES,
  'bundles/attack-flow/shamoon.json file--a8a30517-52b1-4c70-9814-93e3fd456c26': SHAMOON_HASHES,
  [`${SLIDER}/archive-file.json file--2fe4cb95-bb7b-5d55-baeb-cf1cb62208de`]: {
    path: 'extensions.archive-ext',
    reason: 'archive-ext.version is a STIX 2.0 property that 2.1 removed (closed extension body)',
  },
  [`${SLIDER}/artifact-observed-data.json artifact--ca17bcf8-9846-5ab4-8662-75c1bf6e63ee`]: NOT_BASE64,
  [`${SLIDER}/email-message-with-attachments-observed-data.json artifact--12d1aa30-54ab-54a9-98d7-49dd1781fdea`]: NOT_BASE64,
  [`${PY} artifact--ca17bcf8-9846-5ab4-8662-75c1bf6e63ee`]: NOT_BASE64,
  [`${PY} artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641`]: NOT_BASE64,
  [`${PY} artifact--4cce66f8-6eaa-53cb-85d5-3a85fca3a6c5`]: NOT_BASE64,
  [`${SLIDER}/email-message-with-attachments-observed-data.json email-message--cf9b4b7f-14c8-5955-8065-020e0316b559`]: HEADER_NOT_LIST,
  [`${PY} email-message--cf9b4b7f-14c8-5955-8065-020e0316b559`]: HEADER_NOT_LIST,
  [`${SLIDER}/examples.json network-traffic--c8b5f360-032e-5745-8cda-c1d9b56f8ee4`]: REQUEST_HEADER_NOT_LIST,
  [`${SLIDER}/network-traffic-observed-data.json network-traffic--6383d207-d98f-5992-a6fd-8e7ae5004ebb`]: REQUEST_HEADER_NOT_LIST,
};

t.test('real STIX 2.1 data: every top-level SCO passes except the listed violations', { skip: existsSync(DATA) ? false : `${DATA} is not present` }, async (t) => {
  const objects = dataScos();
  t.equal(objects.length, 263, 'top-level SCOs in the data (PROVENANCE.md counts)');
  const failures: [string, SchemaFailure][] = [];
  let passed = 0;
  for (const { key, object } of objects) {
    const failure = check(object);
    if (failure === undefined) passed++;
    else failures.push([key, failure]);
  }
  t.equal(passed, 243, 'SCOs that pass');
  t.same(failures.map(([key]) => key).sort(), Object.keys(EXPECTED_FAILURES).sort(), 'exactly the expected SCOs fail');
  const byKey = new Map(failures);
  for (const [key, { path, reason }] of Object.entries(EXPECTED_FAILURES)) {
    t.equal(byKey.get(key)?.path, path, `${key}: ${reason}`);
  }
});
