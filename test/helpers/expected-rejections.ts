/**
 * The single list of objects in shared/data (PROVENANCE.md) that the 'standard'
 * validator (src/stix/validators.ts) must reject, each with the message it must give
 * and the STIX 2.1 rule the data breaks. Ids in `why` refer to
 * /work/shared/spec/stix-2.1.md (Sn, SRn, Cn, §n); "STIX §" is the full specification.
 *
 * One entry per (file, id). No rejected id occurs more than once within one file;
 * the same id in several files (the Attack Flow author identity, the slider APT1
 * objects, python-stix2's example SCOs) has one entry per file.
 *
 * Used by test/unit/stix-data.test.ts and test/http/roundtrip.test.ts.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** shared/data beside the repository (CI always has it). */
export const SHARED_DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data');

export interface ExpectedRejection {
  /** Path relative to shared/data, with '/' separators. */
  readonly file: string;
  readonly id: string;
  /** Must match the validator's message. */
  readonly message: RegExp;
  /** Which STIX 2.1 rule the data breaks, and how. */
  readonly why: string;
}

type Group = { file: string; ids: readonly string[]; message: RegExp; why: string };
const group = ({ file, ids, message, why }: Group): ExpectedRejection[] => ids.map((id) => ({ file, id, message, why }));

const AF = 'bundles/attack-flow/';
const SLIDER = 'bundles/oasis-cti-stix-slider/';
const AF_IDENTITY = 'identity--fb9c968a-745b-4ade-9b25-c324172197f4';

const unknownProperty = (type: string, name: string): RegExp =>
  new RegExp(`^${type}\\.${name}: unknown property; custom properties start with "x_" or are declared by a toplevel-property-extension$`);

const PATTERN_PROCESS_NAME = /^indicator\.pattern: process has no property 'name' \(custom properties in a pattern start with x_; §9\.7\)/;
const PROCESS_20_WHY = (path: string, property: string): string =>
  `The pattern compares ${path}: ${property} is a property of the STIX 2.0 process object that STIX 2.1 does not have (§12 process); ` +
  'a pattern compares properties its SCO type has (§9.7). Refused since issue 14, which checks the properties named in patterns.';

const INDICATOR_TYPES_WHY = (type: string, instead: string): string =>
  `The ${type} carries indicator_types, a property STIX 2.1 defines only for indicator (§10; the values belong in ${instead}); ` +
  'as an unknown property without the x_ prefix or a toplevel-property-extension it is a failure in standard mode (§17, SR8).';

const IS_FAMILY_WHY =
  'The malware has no is_family, which the 2021 OASIS Standard, the OASIS schema and python-stix2 require (C1, §10 malware); ' +
  'it also carries indicator_types, a property STIX 2.1 defines only for indicator.';

const PATTERN_TYPE_WHY =
  'The indicator (spec_version "2.1") has a pattern but no pattern_type, a required property of indicator (§10 indicator, S21).';

const TRUNCATED_BASE64_WHY = (value: string): string =>
  `payload_bin is "${value}", a base64 value cut short with " ..." appended (copied from the specification's example); ` +
  'space and "." are not base64 characters (S1, RFC 4648).';

const EMAIL_HEADERS_WHY =
  'additional_header_fields maps each header to a plain string ("Content-Disposition": "inline", "X-Mailer": …), ' +
  'but STIX 2.1 §6.6 (stix-2.1.md §12 email-message) says each value MUST be a list of strings.';

const REQUEST_HEADER_WHY =
  'http-request-ext.request_header maps each header to a plain string ("Accept-Encoding": "gzip,deflate", …), ' +
  'but STIX 2.1 §6.12.2 (stix-2.1.md §12 network-traffic) says each value MUST be a list of strings.';

const SHAMOON_FILE_WHY =
  'hashes is one free-text string ("MD5: … SHA-1: … SHA-256: …", with tabs and line breaks) instead of a hashes dictionary (S7), ' +
  'and size is a string such as "1.8 MB" instead of a non-negative integer (§12 file).';

export const EXPECTED_REJECTIONS: readonly ExpectedRejection[] = [
  // ---------------------------------------------------------------- Attack Flow corpus
  ...[
    'cisa-aa22-138b-vmware-workspace-alt.json', 'cisa-iranian-apt.json', 'cobalt-kitty-campaign.json', 'conti-cisa-alert.json',
    'equifax-breach.json', 'hancitor-dll.json', 'mac-malware-steals-crypto.json', 'notpetya.json', 'shamoon.json',
    'sony-malware.json', 'whispergate.json',
  ].map((name) => ({
    file: `${AF}${name}`,
    id: AF_IDENTITY,
    message: unknownProperty('identity', 'create_by_ref'),
    why:
      'The author identity carries "create_by_ref" (pointing at itself), a misspelling of created_by_ref that is no STIX 2.1 property ' +
      '(S21: names match the spec exactly); an unknown property without the x_ prefix is a failure in standard mode (§17, SR8).',
  })),
  {
    file: `${AF}cisa-aa22-138b-vmware-workspace-alt.json`,
    id: 'url--e1c165a0-165b-4760-8da0-dcd112475096',
    message: /^url\.value: is not a valid url-value$/,
    why:
      'value "http://84.38.133[.]149/img/icon.gif" is defanged ("[.]" in the host, where RFC 3986 allows brackets only around an IP-literal) ' +
      'but the object does not say defanged: true, so it must be an RFC 3986 URL (§12 url, §6 defanged).',
  },
  {
    file: `${AF}cisa-iranian-apt.json`,
    id: 'url--5cb4ac20-de90-4aba-8467-fe57ba5af2a8',
    message: /^url\.value: is not a valid url-value$/,
    why:
      'value "tunnel.us.ngrok[.]com" has no scheme and a defanged "[.]", and the object does not say defanged: true, ' +
      'so it is not the RFC 3986 URL that url.value must be (§12 url).',
  },
  {
    file: `${AF}cisa-iranian-apt.json`,
    id: 'url--3e9fd4ff-625f-42e3-8285-762835bd6b50',
    message: /^url\.value: is not a valid url-value$/,
    why:
      'value "korgn.su.lennut[.]com " has no scheme, a defanged "[.]" and a trailing space, and the object does not say defanged: true, ' +
      'so it is not the RFC 3986 URL that url.value must be (§12 url).',
  },
  {
    file: `${AF}hancitor-dll.json`,
    id: 'url--a6ebeb18-dc18-47f7-b64c-07ac5828c492',
    message: /^url\.value: is not a valid url-value$/,
    why:
      'value "4a5ikol.ru\\u00a0" is a bare domain name with no scheme and a trailing non-breaking space (not a URI character), ' +
      'so it is not the RFC 3986 URL that url.value must be (§12 url).',
  },
  {
    file: `${AF}mac-malware-steals-crypto.json`,
    id: 'url--64b32701-235c-4f48-8c0e-1c8b750adcfe',
    message: /^url\.value: is not a valid url-value$/,
    why:
      'value "hxxps://ptpb[.]pw/OAZG" is defanged ("hxxps", and "[.]" in the host, where RFC 3986 allows brackets only around an IP-literal) ' +
      'but the object does not say defanged: true, so it must be an RFC 3986 URL (§12 url, §6 defanged).',
  },
  {
    file: `${AF}mac-malware-steals-crypto.json`,
    id: 'malware--fc9b2357-e209-45f4-80f2-2fb4d101be1f',
    message: /^malware\.capabilities: must not be an empty list$/,
    why: 'capabilities is [], and an empty list MUST NOT stand in for omitting an optional property (S12).',
  },
  ...group({
    file: `${AF}shamoon.json`,
    ids: [
      'file--e46c754c-c096-4f87-920d-ad5c92a47831', 'file--057c8ab8-947c-47ec-8a01-8296cbbc3907',
      'file--5d5d34f0-e5c5-44ec-99dd-a0489af7c07e', 'file--538ab06b-7a80-4a90-b586-8e8e837222a6',
      'file--a8a30517-52b1-4c70-9814-93e3fd456c26',
    ],
    message: /^file\.hashes: must be object$/,
    why: SHAMOON_FILE_WHY,
  }),

  // ---------------------------------------------------------------- stix-slider: APT1 (converted from STIX 1.x)
  ...group({
    file: `${SLIDER}apt1.json`,
    ids: [
      'threat-actor--6d179234-61fc-40c4-ae86-3d53308d8e65', 'threat-actor--d84cf283-93be-4ca7-890d-76c63eff3636',
      'threat-actor--02e7c48f-0301-4c23-b3e4-02e5a0114c21', 'threat-actor--d5b62b58-df7c-46b1-a435-4d01945fe21d',
      'threat-actor--94624865-2709-443f-9b4c-2891985fd69b',
    ],
    message: unknownProperty('threat-actor', 'indicator_types'),
    why: INDICATOR_TYPES_WHY('threat-actor', 'threat_actor_types, e.g. "nation-state"'),
  }),
  ...group({
    file: `${SLIDER}apt1.json`,
    ids: [
      'indicator--031778a4-057f-48e6-9db9-c8d72b81ccd5', 'indicator--da1d061b-2bc9-467a-b16f-8d14f468e1f0',
      'indicator--2173d108-5714-42fd-8213-4f3790259fda', 'indicator--8ce03314-dfea-4498-ac9b-136e41ab00e4',
      'indicator--3f3ff9f1-bb4e-4392-89e5-1991179042ba', 'indicator--8390fd29-24ed-45d4-84d7-c5e5feaf195d',
      'indicator--1002c58e-cbde-4930-b5ee-490037fd4f7e', 'indicator--8d12f44f-8ac0-4b12-8b4a-3699ca8c9691',
      'indicator--745e1537-b4f3-49da-9f64-df6b1b5df190', 'indicator--1dbe6ed0-c305-458f-9cce-f83c678f5afd',
      'indicator--b3b6b540-d838-11e2-853b-005056c00008', 'indicator--b3b7035e-d838-11e2-8d38-005056c00008',
    ],
    message: /^indicator\.pattern_type: required property is missing$/,
    why: PATTERN_TYPE_WHY,
  }),
  ...group({
    file: `${SLIDER}apt1.json`,
    ids: [
      'malware--2485b844-4efe-4343-84c8-eb33312dd56f', 'malware--c0217091-9d3d-42a1-8952-ccc12d4ad8d0',
      'malware--0f01c5a3-f516-4450-9381-4dd9f2279411', 'malware--33159b98-3264-4e10-a968-d67975b6272f',
      'malware--fb490cdb-6760-41eb-a79b-0b930a50c017', 'malware--ea50ecb7-2cd4-4895-bd08-31cd591ed0ca',
    ],
    message: /^malware\.is_family: required property is missing$/,
    why: IS_FAMILY_WHY,
  }),
  ...group({
    file: `${SLIDER}apt1.json`,
    ids: [
      'tool--ce45f721-af14-4fc0-938c-000c16186418', 'tool--e9778c42-bc2f-4eda-9fb4-6a931834f68c',
      'tool--1cf6a3b8-be43-4c1a-b042-546a890c31b2', 'tool--4d82bd3e-24a3-4f9d-b8f3-b57267fe06a9',
      'tool--7de5dfcc-6809-4772-9f11-cf26c2be53aa', 'tool--266b12f2-aa16-4607-809e-f2d33eebb52e',
      'tool--98fd8dc1-6cc7-4908-899f-07473f55149a', 'tool--4215b0e5-928e-4b2a-9b5f-64819f287f48',
      'tool--a6dd62d0-9683-48bf-a9cd-61e7eceae57e', 'tool--806a8f83-4913-4216-bb19-02b48ae25da5',
    ],
    message: unknownProperty('tool', 'indicator_types'),
    why: INDICATOR_TYPES_WHY('tool', 'tool_types, e.g. "credential-exploitation"'),
  }),
  {
    file: `${SLIDER}apt1.json`,
    id: 'report--e33ffe07-2f4c-48d8-b0af-ee2619d765cf',
    message: unknownProperty('report', 'indicator_types'),
    why: INDICATOR_TYPES_WHY('report', 'report_types, e.g. "threat-report"'),
  },

  // ---------------------------------------------------------------- stix-slider: APT1 report (second conversion)
  ...group({
    file: `${SLIDER}mandiant-apt1-report.json`,
    ids: [
      'threat-actor--8dff0344-0c82-4079-8d04-6f3e4d9bd1df', 'threat-actor--6d179234-61fc-40c4-ae86-3d53308d8e65',
      'threat-actor--d84cf283-93be-4ca7-890d-76c63eff3636', 'threat-actor--02e7c48f-0301-4c23-b3e4-02e5a0114c21',
      'threat-actor--f1ce5a9e-0fb7-465b-acb9-e7f75098eee9', 'threat-actor--5abb4d96-e3f2-4a1a-b025-c5b63ec6eb0b',
      'threat-actor--d9619c21-9d4f-414e-9471-36bb8fc42bbe', 'threat-actor--94624865-2709-443f-9b4c-2891985fd69b',
      'threat-actor--b5d1d28c-d824-49c0-80b6-9179202e297b', 'threat-actor--5ac0fd8e-5804-4849-a170-4ec0d15a5e8b',
      'threat-actor--d5b62b58-df7c-46b1-a435-4d01945fe21d', 'threat-actor--76dd3859-31a6-43c5-9f3e-9c6ac745b61b',
    ],
    message: unknownProperty('threat-actor', 'indicator_types'),
    why: INDICATOR_TYPES_WHY('threat-actor', 'threat_actor_types; here the value is ["unknown"]'),
  }),
  ...group({
    file: `${SLIDER}mandiant-apt1-report.json`,
    ids: [
      'malware--1aac304c-fa61-41a9-8f81-103635c8fe69', 'malware--08fba4d0-2639-4928-a488-4933d8cccca5',
      'malware--8cb64a85-4141-4c0d-afa2-90725245dee2', 'malware--0f01c5a3-f516-4450-9381-4dd9f2279411',
      'malware--33159b98-3264-4e10-a968-d67975b6272f',
    ],
    message: /^malware\.is_family: required property is missing$/,
    why: IS_FAMILY_WHY,
  }),
  ...group({
    file: `${SLIDER}mandiant-apt1-report.json`,
    ids: [
      'tool--e13f3e6d-4f9c-4265-b1cf-f997a1bf7827', 'tool--f3625023-2da6-46f2-ae19-5b2b6b477a33',
      'tool--51a5f061-13b9-4db1-92c5-c137c2b09e36', 'tool--390cd4b4-45e9-4b1f-af43-8bb8e8462629',
      'tool--564427df-4fbc-4593-bdef-7b2e2d5b6a55', 'tool--7a7ce285-a722-4881-af40-33523ccae62b',
      'tool--02fc0c9b-a0ee-42ed-bc77-46428d47d35a', 'tool--98c2a93e-f738-4027-972f-e25086b78f60',
      'tool--0781fe70-4c94-4300-8865-4b08b98611b4', 'tool--11408925-f606-40ef-bb49-9390e921a939',
    ],
    message: unknownProperty('tool', 'indicator_types'),
    why: INDICATOR_TYPES_WHY('tool', 'tool_types; here the value is ["unknown"]'),
  }),
  {
    file: `${SLIDER}mandiant-apt1-report.json`,
    id: 'report--e33ffe07-2f4c-48d8-b0af-ee2619d765cf',
    message: unknownProperty('report', 'indicator_types'),
    why: INDICATOR_TYPES_WHY('report', 'report_types, e.g. "threat-actor-report"'),
  },

  // ---------------------------------------------------------------- stix-slider: other examples
  {
    file: `${SLIDER}defining-campaigns-threat-actors-intrusion-sets.json`,
    id: 'threat-actor--56f3f0db-b5d5-431c-ae56-c18f02caf500',
    message: unknownProperty('threat-actor', 'indicator_types'),
    why: INDICATOR_TYPES_WHY('threat-actor', 'threat_actor_types, e.g. "nation-state"'),
  },
  {
    file: `${SLIDER}archive-file.json`,
    id: 'file--2fe4cb95-bb7b-5d55-baeb-cf1cb62208de',
    message: /^file\.extensions\.archive-ext: unknown property "version"$/,
    why:
      'archive-ext carries "version" ("5.0"), a property of the STIX 2.0 archive extension that STIX 2.1 removed (2.1 archive-ext has ' +
      'contains_refs and comment only, STIX §6.7); an unknown property without the x_ prefix is a failure in standard mode (§17, SR8).',
  },
  {
    file: `${SLIDER}artifact-observed-data.json`,
    id: 'artifact--ca17bcf8-9846-5ab4-8662-75c1bf6e63ee',
    message: /^artifact\.payload_bin: is not a valid binary$/,
    why: TRUNCATED_BASE64_WHY('VBORw0KGgoAAAANSUhEUgAAADI== ...'),
  },
  {
    file: `${SLIDER}email-message-with-attachments-observed-data.json`,
    id: 'email-message--cf9b4b7f-14c8-5955-8065-020e0316b559',
    message: /^email-message\.additional_header_fields\.Content-Disposition: must be array$/,
    why: EMAIL_HEADERS_WHY,
  },
  {
    file: `${SLIDER}email-message-with-attachments-observed-data.json`,
    id: 'artifact--12d1aa30-54ab-54a9-98d7-49dd1781fdea',
    message: /^artifact\.payload_bin: is not a valid binary$/,
    why: TRUNCATED_BASE64_WHY('VBORw0KGgoAAAANSUhEUgAAADI== ...'),
  },
  {
    file: `${SLIDER}examples.json`,
    id: 'network-traffic--c8b5f360-032e-5745-8cda-c1d9b56f8ee4',
    message: /^network-traffic\.extensions\.http-request-ext\.request_header\.Accept-Encoding: must be array$/,
    why: REQUEST_HEADER_WHY,
  },
  {
    file: `${SLIDER}examples.json`,
    id: 'bar--7fde8283-feaf-4177-a1ca-03a05961890f',
    message: /^bar\.a: custom property names start with a letter and use only a-z, 0-9 and _, 3 to 250 characters \(S19, §3\.1\)$/,
    why:
      'A new-sdo object (its extension-definition declares extension_type new-sdo) whose properties are named "a", "b" and "c": ' +
      'property names are at least 3 characters, a-z, 0-9 and _, starting with a letter (§3.1, S19). Refused since issue 14, ' +
      'which holds the properties of custom objects to the naming rule that custom properties of STIX objects already followed.',
  },
  ...group({
    file: `${SLIDER}issue-62.json`,
    ids: ['indicator--6116d730-a7e9-11e3-a82f-000c29b241af'],
    message: PATTERN_PROCESS_NAME,
    why: PROCESS_20_WHY('process:name', 'name'),
  }),
  ...group({
    file: `${SLIDER}file-windows-registry-key-process-pattern.json`,
    ids: ['indicator--16ba86a6-e42f-477e-839d-9e6f98aa3410'],
    message: PATTERN_PROCESS_NAME,
    why: PROCESS_20_WHY('process:name', 'name'),
  }),
  ...['issue62.json', 'issue62-or.json'].flatMap((file) =>
    group({
      file: `${SLIDER}${file}`,
      ids: ['indicator--6116d730-a7e9-11e3-a82f-000c29b241af'],
      message: /^indicator\.pattern: process has no property 'created' \(custom properties in a pattern start with x_; §9\.7\) \(at position 105\)$/,
      why: PROCESS_20_WHY('process:created', 'created (STIX 2.1 calls it created_time)'),
    }),
  ),
  {
    file: `${SLIDER}examples.json`,
    id: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
    message: /^marking-definition: marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da is the published TLP:GREEN marking and must define exactly that level \(L11, L15\)$/,
    why:
      'A copyright statement ("Copyright 2016, Example Corp") under the id of the published TLP 1.0 GREEN marking definition: ' +
      'that id stands for TLP:GREEN and carries exactly the published body (tlp.md L11, §5.3). The server refused it in its ' +
      'write policy before; since issue 14 the validator does, so the offline validate command gives the same verdict.',
  },
  {
    file: `${SLIDER}examples.json`,
    id: 'user-account--ceb82475-b9bd-43d5-9d1d-ae036e51edaf',
    message: unknownProperty('user-account', 'password_last_changed'),
    why:
      'password_last_changed is the STIX 2.0 name of what STIX 2.1 calls credential_last_changed (§12 user-account); ' +
      'an unknown property without the x_ prefix is a failure in standard mode (§17, SR8).',
  },
  {
    file: `${SLIDER}file-and-directory.json`,
    id: 'relationship--fe557f9d-fcb4-423a-a3ba-7e61f475584a',
    message: /^relationship\.source_ref: is not a valid identifier$/,
    why:
      'source_ref "infrastructure--dd955e08-16d0-6f08-a064-50d9e7a3104d" has UUID version digit 6, not an RFC 4122 UUID (versions 1–5) ' +
      'as S24 requires; it is a typo of the bundle\'s infrastructure id …-16d0-4f08-….',
  },
  {
    file: `${SLIDER}network-traffic-observed-data.json`,
    id: 'network-traffic--6383d207-d98f-5992-a6fd-8e7ae5004ebb',
    message: /^network-traffic\.extensions\.http-request-ext\.request_header\.Accept-Encoding: must be array$/,
    why: REQUEST_HEADER_WHY,
  },
  {
    file: `${SLIDER}process-observed-data.json`,
    id: 'process--85ef7684-85b1-4bec-b60a-d367d00fd64d',
    message: /^process\.created: "2016-01-20T14:11:25\.55Z" must have at least millisecond precision \(S32\)$/,
    why:
      'The process carries created (the STIX 2.0 name of created_time), a common property not applicable to SCOs unless the producer ' +
      'versions them (SR3); read that way its value "2016-01-20T14:11:25.55Z" has two fraction digits, below the millisecond precision S32 requires.',
  },

  // ---------------------------------------------------------------- python-stix2 SCO examples
  ...group({
    file: 'objects/oasis-cti-python-stix2/sco-examples.json',
    ids: ['artifact--ca17bcf8-9846-5ab4-8662-75c1bf6e63ee', 'artifact--4cce66f8-6eaa-53cb-85d5-3a85fca3a6c5'],
    message: /^artifact\.payload_bin: is not a valid binary$/,
    why: TRUNCATED_BASE64_WHY('VBORw0KGgoAAAANSUhEUgAAADI== ...'),
  }),
  {
    file: 'objects/oasis-cti-python-stix2/sco-examples.json',
    id: 'artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641',
    message: /^artifact\.payload_bin: is not a valid binary$/,
    why: TRUNCATED_BASE64_WHY('ZX7HIBWPQA99NSUhEUgAAADI== ...'),
  },
  {
    file: 'objects/oasis-cti-python-stix2/sco-examples.json',
    id: 'email-message--cf9b4b7f-14c8-5955-8065-020e0316b559',
    message: /^email-message\.additional_header_fields\.Content-Disposition: must be array$/,
    why: EMAIL_HEADERS_WHY,
  },
];

const byKey = new Map(EXPECTED_REJECTIONS.map((e) => [`${e.file}\u0000${e.id}`, e]));

/** The expected rejection of object `id` in `file` (relative to shared/data), if any. */
export function expectedRejection(file: string, id: string): ExpectedRejection | undefined {
  return byKey.get(`${file.split(path.sep).join('/')}\u0000${id}`);
}

/** Every JSON file below `dir`, sorted, for tests that walk the shared data. */
export function listJsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) return listJsonFiles(full);
      return name.endsWith('.json') ? [full] : [];
    });
}
