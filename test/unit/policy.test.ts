/**
 * The pure sharing policy of issue 4, table-driven (tlp.md L1–L16, LR1–LR10).
 * Expected values come from the model rules written out again below, never from
 * the functions under test.
 */
import { readFileSync, readdirSync } from 'node:fs';
import t from 'tap';
import type { CollectionPolicy } from '../../src/config/types.js';
import { RECIPIENTS_EXTENSION_ID, recipientsOf, type Recipients } from '../../src/policy/recipients.js';
import { REDACTED_PROPERTY, redact } from '../../src/policy/redaction.js';
import { mostRestrictive, type TlpLevel } from '../../src/stix/tlp.js';
import { mayReadVersion, type ReadScope, type Reader, type VersionFacts } from '../../src/policy/read-scope.js';

type ReadPolicy = Pick<ReadScope, 'defaultTlp' | 'granular'>;
/** The one-version rule of a reader holding a read grant. */
const canRead = (reader: Reader, v: VersionFacts, policy: ReadPolicy) =>
  mayReadVersion({ reader, reach: 'shared', hideDangling: false, copies: 'earliest', ...policy }, v);
import { assessWrite, type WriteContext, type WriteFacts } from '../../src/policy/write-policy.js';
import { createValidators } from '../../src/stix/validators.js';

type Obj = Record<string, unknown>;

// ---------------------------------------------------------------------------
// The tlp.md §5 table, written out independently of src/stix/tlp.ts.
const CLEAR = 0, GREEN = 1, AMBER = 2, STRICT = 3, RED = 4;
const LEVELS: readonly TlpLevel[] = [CLEAR, GREEN, AMBER, STRICT, RED];
const LABEL = ['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED'] as const;
const TLP_IDS: readonly { readonly id: string; readonly level: TlpLevel; readonly label: string }[] = [
  { id: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9', level: CLEAR, label: 'TLP 1.0 WHITE' },
  { id: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487', level: CLEAR, label: 'TLP 2.0 CLEAR' },
  { id: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da', level: GREEN, label: 'TLP 1.0 GREEN' },
  { id: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb', level: GREEN, label: 'TLP 2.0 GREEN' },
  { id: 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82', level: AMBER, label: 'TLP 1.0 AMBER' },
  { id: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421', level: AMBER, label: 'TLP 2.0 AMBER' },
  { id: 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003', level: STRICT, label: 'TLP 2.0 AMBER+STRICT' },
  { id: 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed', level: RED, label: 'TLP 1.0 RED' },
  { id: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1', level: RED, label: 'TLP 2.0 RED' },
];
const TLP2_EXT = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';
const id = (label: string): string => {
  const found = TLP_IDS.find((m) => m.label === label);
  if (found === undefined) throw new Error(label);
  return found.id;
};
const STATEMENT = 'marking-definition--0c1b2a39-4f5e-4d6c-8b7a-9a8b7c6d5e4f';
const RECIPIENTS_A = 'marking-definition--a1a1a1a1-1111-4111-8111-111111111111';
const RECIPIENTS_B = 'marking-definition--b2b2b2b2-2222-4222-8222-222222222222';
const T = '2024-01-01T00:00:00.000Z';
const IDENTITY = 'identity--0b5b7e2e-3f5a-4b8c-9f4f-7d1c2f6a9e10';
const OTHER_IDENTITY = 'identity--9d8c7b6a-5f4e-4d3c-8b2a-1a0b9c8d7e6f';

t.test('mostRestrictive: each TLP 1.0 and 2.0 id alone gives its §5 level (L10, L14, tlp.md §5)', async (t) => {
  for (const m of TLP_IDS) t.equal(mostRestrictive([m.id]), m.level, `${m.label} → ${LABEL[m.level]}`);
  t.equal(mostRestrictive([]), undefined, 'no markings: no level (LR2 default applies later)');
  t.equal(mostRestrictive([STATEMENT]), undefined, 'a non-TLP marking carries no TLP level (§5.4)');
  t.equal(mostRestrictive([42, null, { id: TLP_IDS[8]?.id }]), undefined, 'non-string entries are ignored');
});

t.test('mostRestrictive: every pair of TLP ids, mixing 1.0 and 2.0, is the more restrictive (LR1: most-restrictive reading of L6)', async (t) => {
  let pairs = 0;
  for (const a of TLP_IDS) {
    for (const b of TLP_IDS) {
      const expected = Math.max(a.level, b.level);
      t.equal(mostRestrictive([a.id, b.id]), expected, `${a.label} + ${b.label}`);
      t.equal(mostRestrictive([STATEMENT, b.id, 'x', a.id]), expected, `${a.label} + ${b.label} among other markings`);
      pairs++;
    }
  }
  t.equal(pairs, 81);
  t.equal(mostRestrictive(TLP_IDS.map((m) => m.id)), RED, 'all nine → RED');
  t.equal(mostRestrictive([id('TLP 1.0 AMBER'), id('TLP 2.0 GREEN')]), AMBER, 'issue: "TLP 1.0 AMBER counts as AMBER"');
  t.equal(mostRestrictive([id('TLP 1.0 AMBER'), id('TLP 2.0 AMBER+STRICT')]), STRICT, '1.0 AMBER is below AMBER+STRICT');
  t.equal(mostRestrictive([id('TLP 1.0 WHITE'), id('TLP 2.0 CLEAR')]), CLEAR, 'WHITE = CLEAR');
});

// ---------------------------------------------------------------------------
// canRead: the model rules of the issue, written out independently.
const READER_ID = 'reader';
type RecipientsCase = 'none' | 'names-partner' | 'names-community' | 'names-others';
const RECIPIENT_CASES: readonly RecipientsCase[] = ['none', 'names-partner', 'names-community', 'names-others'];
type GranularCase = { readonly level: TlpLevel | null; readonly onRequired: boolean };
const GRANULAR_CASES: readonly GranularCase[] = [
  { level: null, onRequired: false },
  ...LEVELS.map((level) => ({ level, onRequired: false })),
  ...LEVELS.map((level) => ({ level, onRequired: true })),
];

function recipientFacts(c: RecipientsCase): Pick<VersionFacts, 'recipientPartners' | 'recipientCommunities'> {
  switch (c) {
    case 'none':
      return { recipientPartners: null, recipientCommunities: null };
    case 'names-partner':
      return { recipientPartners: ['someone', READER_ID], recipientCommunities: null };
    case 'names-community':
      return { recipientPartners: null, recipientCommunities: ['nato', 'five-eyes'] };
    case 'names-others':
      return { recipientPartners: ['someone'], recipientCommunities: ['eu'] };
  }
}

/** The rule: "all conditions together", restated. */
function expectedVisible(o: {
  level: TlpLevel; clearance: TlpLevel; recipients: RecipientsCase; submitter: boolean;
  granular: GranularCase; mode: 'withhold' | 'redact';
}): boolean {
  if (o.submitter) return true; // "The submitting partner always sees what it submitted."
  if (o.clearance < o.level) return false; // clearance ≥ effective level
  const named = o.recipients === 'names-partner' || o.recipients === 'names-community';
  if ((o.recipients !== 'none' || o.level === RED) && !named) return false; // RED / recipients marking ⇒ named recipient
  if (o.granular.level === null) return true;
  if (o.mode === 'withhold') return o.granular.level <= o.clearance; // any property above clearance withholds
  return !o.granular.onRequired || o.granular.level <= o.clearance; // redact: only required properties withhold
}

t.test('canRead: every effective level × clearance × recipients × submitter × marked/default_tlp × granular withhold/redact (LR1–LR4, issue "Who may read a version")', async (t) => {
  let cases = 0;
  let visible = 0;
  for (const level of LEVELS) {
    for (const clearance of LEVELS) {
      const mismatches: string[] = [];
      for (const recipients of RECIPIENT_CASES) {
        for (const submitter of [false, true]) {
          for (const marked of [true, false]) {
            for (const granular of GRANULAR_CASES) {
              for (const mode of ['withhold', 'redact'] as const) {
                const reader: Reader = { partnerId: READER_ID, clearance, communities: ['nato'] };
                const facts: VersionFacts = {
                  objectType: 'indicator',
                  submittedBy: submitter ? READER_ID : 'submitter',
                  // LR2: unmarked versions take default_tlp; marked ones ignore it (set to its opposite).
                  tlpLevel: marked ? level : null,
                  granularLevel: granular.level,
                  granularRequiredLevel: granular.onRequired ? granular.level : null,
                  ...recipientFacts(recipients),
                };
                const policy: ReadPolicy = { defaultTlp: marked ? ((RED - level) as TlpLevel) : level, granular: mode };
                const expected = expectedVisible({ level, clearance, recipients, submitter, granular, mode });
                const actual = canRead(reader, facts, policy);
                cases++;
                if (expected) visible++;
                if (actual !== expected) {
                  mismatches.push(
                    `${LABEL[level]}${marked ? '' : ' (default_tlp)'} clearance ${LABEL[clearance]} recipients=${recipients} submitter=${submitter} granular=${granular.level ?? '-'}${granular.onRequired ? '(required)' : ''} ${mode}: expected ${expected}`,
                  );
                }
              }
            }
          }
        }
      }
      t.strictSame(mismatches, [], `effective ${LABEL[level]}, clearance ${LABEL[clearance]}`);
    }
  }
  t.equal(cases, 5 * 5 * 4 * 2 * 2 * 11 * 2);
  t.ok(visible > 0 && visible < cases, 'the table has both outcomes');
});

t.test('canRead spot checks with the issue words (RED needs a named recipient; submitter sees its own; LR6 marking definitions)', async (t) => {
  const facts = (over: Partial<VersionFacts>): VersionFacts => ({
    objectType: 'indicator', submittedBy: 'alice', tlpLevel: null, granularLevel: null, granularRequiredLevel: null,
    recipientPartners: null, recipientCommunities: null, ...over,
  });
  const withhold: ReadPolicy = { defaultTlp: AMBER, granular: 'withhold' };
  const red: Reader = { partnerId: 'bob', clearance: RED, communities: ['nato'] };
  t.notOk(canRead(red, facts({ tlpLevel: RED }), withhold), 'RED without recipients: not even a red-cleared partner');
  t.ok(canRead({ ...red, partnerId: 'alice' }, facts({ tlpLevel: RED }), withhold), 'RED without recipients: the submitter');
  t.ok(canRead(red, facts({ tlpLevel: RED, recipientCommunities: ['nato'] }), withhold), 'RED for community nato: a nato member with red clearance');
  t.notOk(canRead({ ...red, clearance: STRICT }, facts({ tlpLevel: RED, recipientCommunities: ['nato'] }), withhold), 'named but not cleared for RED');
  t.notOk(canRead(red, facts({ tlpLevel: GREEN, recipientPartners: ['carol'] }), withhold), 'GREEN with recipients not naming the reader: "visible only to those recipients (on top of the TLP rule)"');
  t.ok(canRead(red, facts({ tlpLevel: null }), { defaultTlp: RED, granular: 'withhold' }) === false, 'unmarked in a default_tlp red collection is RED: needs recipients');
  // LR6: marking definitions are readable by every reader of the collection, whatever their own markings.
  for (const clearance of LEVELS) {
    const reader: Reader = { partnerId: 'zed', clearance, communities: [] };
    t.ok(canRead(reader, facts({ objectType: 'marking-definition', tlpLevel: RED, recipientPartners: ['carol'], granularLevel: RED, granularRequiredLevel: RED }), withhold), `LR6: marking-definition visible at clearance ${LABEL[clearance]}`);
  }
});

// ---------------------------------------------------------------------------
const recipientsMarking = (entry: unknown): Obj => ({
  type: 'marking-definition', spec_version: '2.1', id: RECIPIENTS_A, created: T, name: 'for some',
  extensions: { [RECIPIENTS_EXTENSION_ID]: entry },
});

t.test('recipientsOf: valid shapes name partners and/or communities (issue "Recipients")', async (t) => {
  t.strictSame(recipientsOf(recipientsMarking({ extension_type: 'property-extension', partners: ['cert-a', 'csirt_b.x'] })), { partners: ['cert-a', 'csirt_b.x'], communities: [] });
  t.strictSame(recipientsOf(recipientsMarking({ extension_type: 'property-extension', communities: ['nato'] })), { partners: [], communities: ['nato'] });
  t.strictSame(recipientsOf(recipientsMarking({ extension_type: 'property-extension', partners: ['a'], communities: ['eu', 'five-eyes'] })), { partners: ['a'], communities: ['eu', 'five-eyes'] });
  t.equal(recipientsOf({ type: 'marking-definition', id: STATEMENT, definition_type: 'statement', definition: { statement: 'x' } }), undefined, 'no extensions: not a recipients marking');
  t.equal(recipientsOf({ type: 'marking-definition', extensions: { [TLP2_EXT]: { extension_type: 'property-extension', tlp_2_0: 'red' } } }), undefined, 'another extension: not a recipients marking');
  t.equal(recipientsOf({ type: 'marking-definition', extensions: null }), undefined);
});

t.test('recipientsOf: malformed recipients markings say what is wrong', async (t) => {
  const cases: readonly [string, unknown, RegExp][] = [
    ['entry not an object', 'nato', /must be an object/],
    ['entry null', null, /must be an object/],
    ['entry a list', ['nato'], /extension_type/],
    ['wrong extension_type', { extension_type: 'new-sdo', partners: ['a'] }, /extension_type: must be "property-extension"/],
    ['missing extension_type', { partners: ['a'] }, /extension_type/],
    ['empty partners', { extension_type: 'property-extension', partners: [] }, /partners: must be a non-empty list/],
    ['partners not a list', { extension_type: 'property-extension', partners: 'a' }, /partners: must be a non-empty list/],
    ['non-string community', { extension_type: 'property-extension', communities: [7] }, /communities: must be a non-empty list/],
    ['bad name characters', { extension_type: 'property-extension', partners: ['a b'] }, /partners: must be a non-empty list of names/],
    ['name starting with a dash', { extension_type: 'property-extension', communities: ['-x'] }, /communities/],
    ['neither list', { extension_type: 'property-extension' }, /name at least one partner or community/],
    ['unknown property', { extension_type: 'property-extension', partners: ['a'], countries: ['fr'] }, /unknown property "countries"/],
  ];
  for (const [what, entry, message] of cases) {
    const got = recipientsOf(recipientsMarking(entry));
    t.type(got, 'string', what);
    t.match(got, message, what);
    t.match(got, RECIPIENTS_EXTENSION_ID, `${what}: the message names the extension`);
  }
});

// ---------------------------------------------------------------------------
const validator = createValidators().standard;
const basePolicy: CollectionPolicy = {
  defaultTlp: AMBER, maxTlp: RED, requireMarking: false, requireCreatorIdentity: false, granular: 'withhold', hideDanglingRelationships: true,
};
const KNOWN: ReadonlyMap<string, Recipients> = new Map([
  [RECIPIENTS_A, { partners: ['alice'], communities: [] }],
  [RECIPIENTS_B, { partners: [], communities: ['nato'] }],
]);
function ctx(policy: Partial<CollectionPolicy> = {}, submitterIdentity: string | null = null): WriteContext {
  return {
    policy: { ...basePolicy, ...policy },
    submitterIdentity,
    recipientsMarking: (mid) => KNOWN.get(mid),
    requiredProperties: (type) => validator.requiredProperties(type),
  };
}
const indicator = (extra: Obj = {}): Obj => ({
  type: 'indicator', spec_version: '2.1', id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', created: T, modified: T,
  name: 'n', description: 'd', pattern: "[ipv4-addr:value = '198.51.100.1']", pattern_type: 'stix', valid_from: T, ...extra,
});
const marked = (...refs: string[]): Obj => indicator({ object_marking_refs: refs });
/** The facts of an accepted object; an unexpected refusal fails the test with its message. */
function facts(result: WriteFacts | string): WriteFacts {
  if (typeof result === 'string') throw new Error(`unexpected per-object failure: ${result}`);
  return result;
}

t.test('assessWrite: max_tlp per collection, each level against each maximum (LR7, issue "Write-side policy per collection")', async (t) => {
  for (const max of LEVELS) {
    for (const m of TLP_IDS) {
      const o = m.level === RED ? marked(m.id, RECIPIENTS_A) : marked(m.id);
      const got = assessWrite(o, 'indicator', ctx({ maxTlp: max }));
      if (m.level > max) {
        t.equal(got, `indicator.object_marking_refs: ${LABEL[m.level]} exceeds this collection's maximum, ${LABEL[max]}`, `${m.label} refused under max ${LABEL[max]}`);
      } else {
        t.equal(facts(got).tlpLevel, m.level, `${m.label} accepted under max ${LABEL[max]}`);
      }
    }
  }
  t.equal(
    assessWrite(indicator(), 'indicator', ctx({ maxTlp: CLEAR, defaultTlp: AMBER })),
    "indicator.object_marking_refs: TLP:AMBER exceeds this collection's maximum, TLP:CLEAR",
    'unmarked counts at default_tlp on write too (LR2)',
  );
  t.equal(facts(assessWrite(indicator(), 'indicator', ctx({ maxTlp: CLEAR, defaultTlp: CLEAR }))).tlpLevel, null, 'unmarked stays unmarked: never rewritten (LR2)');
});

t.test('assessWrite: require_marking refuses unmarked objects, not marking definitions (LR7)', async (t) => {
  t.equal(assessWrite(indicator(), 'indicator', ctx({ requireMarking: true })), 'indicator.object_marking_refs: this collection requires a TLP marking on every object');
  t.equal(assessWrite(marked(STATEMENT), 'indicator', ctx({ requireMarking: true })), 'indicator.object_marking_refs: this collection requires a TLP marking on every object', 'a statement marking is not a TLP marking');
  t.equal(facts(assessWrite(marked(id('TLP 1.0 WHITE')), 'indicator', ctx({ requireMarking: true }))).tlpLevel, CLEAR);
  const statement: Obj = { type: 'marking-definition', spec_version: '2.1', id: STATEMENT, created: T, definition_type: 'statement', definition: { statement: 'c' } };
  t.type(assessWrite(statement, 'marking-definition', ctx({ requireMarking: true, maxTlp: CLEAR })), 'object', 'marking-definitions need no marking');
});

t.test('assessWrite: RED needs exactly one recipients marking (issue: "A RED object without a recipients marking is refused")', async (t) => {
  for (const red of [id('TLP 1.0 RED'), id('TLP 2.0 RED')]) {
    const got = assessWrite(marked(red), 'indicator', ctx());
    t.type(got, 'string');
    t.match(got, /^indicator\.object_marking_refs: TLP:RED content needs a recipients marking/);
    t.match(got, RECIPIENTS_EXTENSION_ID, 'the message names the extension to use');
    const ok = facts(assessWrite(marked(red, RECIPIENTS_B), 'indicator', ctx()));
    t.strictSame([ok.tlpLevel, ok.recipientPartners, ok.recipientCommunities], [RED, [], ['nato']]);
  }
  t.match(assessWrite(indicator(), 'indicator', ctx({ defaultTlp: RED })), /TLP:RED content needs a recipients marking/, 'unmarked in a default_tlp red collection is RED');
  t.match(assessWrite(marked(id('TLP 2.0 RED'), 'marking-definition--0f0f0f0f-0000-4000-8000-000000000000'), 'indicator', ctx()), /needs a recipients marking/, 'an unknown marking id is not a recipients marking');
  t.equal(
    assessWrite(marked(id('TLP 2.0 RED'), RECIPIENTS_A, RECIPIENTS_B), 'indicator', ctx()),
    'indicator.object_marking_refs: refer to at most one recipients marking',
    'two recipients markings refused',
  );
  t.equal(assessWrite(marked(id('TLP 2.0 GREEN'), RECIPIENTS_A, RECIPIENTS_B), 'indicator', ctx()), 'indicator.object_marking_refs: refer to at most one recipients marking', 'also below RED');
  const green = facts(assessWrite(marked(id('TLP 2.0 GREEN'), RECIPIENTS_A), 'indicator', ctx()));
  t.strictSame([green.tlpLevel, green.recipientPartners, green.recipientCommunities], [GREEN, ['alice'], []], 'recipients restrict any level');
  const plain = facts(assessWrite(marked(id('TLP 2.0 GREEN')), 'indicator', ctx()));
  t.strictSame([plain.recipientPartners, plain.recipientCommunities], [null, null]);
});

t.test('assessWrite: created_by_ref must be the submitter identity when required (issue "Write-side policy")', async (t) => {
  const c = ctx({ requireCreatorIdentity: true }, IDENTITY);
  t.type(assessWrite(indicator({ created_by_ref: IDENTITY }), 'indicator', c), 'object', 'own identity accepted');
  t.equal(assessWrite(indicator({ created_by_ref: OTHER_IDENTITY }), 'indicator', c), `indicator.created_by_ref: must be your identity ${IDENTITY} in this collection`, 'someone else\'s identity');
  t.equal(assessWrite(indicator(), 'indicator', c), `indicator.created_by_ref: must be your identity ${IDENTITY} in this collection`, 'missing created_by_ref');
  t.equal(
    assessWrite(indicator({ created_by_ref: IDENTITY }), 'indicator', ctx({ requireCreatorIdentity: true }, null)),
    'indicator.created_by_ref: this collection requires your identity, but none is configured for you',
    'partner without a configured identity',
  );
  t.type(assessWrite(indicator({ created_by_ref: OTHER_IDENTITY }), 'indicator', ctx({}, IDENTITY)), 'object', 'not required: anything goes');
  const sco: Obj = { type: 'ipv4-addr', spec_version: '2.1', id: 'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd', value: '198.51.100.3' };
  t.type(assessWrite(sco, 'ipv4-addr', c), 'object', 'an SCO has no creator to check');
});

const tlp1 = (level: string): Obj => JSON.parse(readFileSync(`/work/shared/data/markings/tlp1/tlp-${level}.json`, 'utf8')) as Obj;
const tlp2 = (file: string): Obj => {
  const parsed = JSON.parse(readFileSync(`/work/shared/data/markings/tlp2/${file}`, 'utf8')) as Obj;
  const objects = parsed['objects'];
  return Array.isArray(objects) ? (objects[0] as Obj) : parsed;
};

t.test('assessWrite: the canonical TLP 1.0 and 2.0 marking-definition bodies are accepted (L11, L12, L15, L16)', async (t) => {
  const files = [
    ...readdirSync('/work/shared/data/markings/tlp1').map((f) => tlp1(f.replace(/^tlp-|\.json$/g, ''))),
    ...readdirSync('/work/shared/data/markings/tlp2').filter((f) => f.startsWith('tlp-')).map(tlp2),
  ];
  t.equal(files.length, 9, 'four TLP 1.0 and five TLP 2.0 markings');
  for (const m of files) {
    const got = assessWrite(m, 'marking-definition', ctx({ maxTlp: CLEAR, requireMarking: true }));
    t.type(got, 'object', `${String(m['name'])} (${String(m['id'])})`);
  }
});

/** The validator's message for a refused object, undefined when it is accepted. */
const refusal = (o: Obj): string | undefined => {
  const verdict = validator.validate(o, 0);
  return verdict.ok ? undefined : verdict.message;
};

t.test('the validator (since issue 14; the write policy before): TLP marking ids cannot be redefined, other ids cannot claim TLP (L11, L15, tlp.md §5.3)', async (t) => {
  const statementOnRed: Obj = { type: 'marking-definition', spec_version: '2.1', id: id('TLP 1.0 RED'), created: '2017-01-20T00:00:00.000Z', definition_type: 'statement', definition: { statement: 'harmless' } };
  t.match(refusal(statementOnRed), /marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed is the published TLP:RED marking and must define exactly that level \(L11, L15\)/, 'statement body on the TLP 1.0 RED id');
  const statementOnClear: Obj = { type: 'marking-definition', spec_version: '2.1', id: id('TLP 2.0 CLEAR'), created: '2022-10-01T00:00:00.000Z', definition_type: 'statement', definition: { statement: 'x' } };
  t.match(refusal(statementOnClear), /is the published TLP:CLEAR marking/, 'statement body on the TLP 2.0 CLEAR id');
  const greenAsRed = { ...tlp1('green'), definition: { tlp: 'red' } };
  t.match(refusal(greenAsRed), /published TLP:GREEN marking/, 'TLP 1.0 GREEN id claiming red');
  const strictAsAmber = tlp2('tlp-amber-strict.json');
  strictAsAmber['extensions'] = { [TLP2_EXT]: { extension_type: 'property-extension', tlp_2_0: 'amber' } };
  t.match(refusal(strictAsAmber), /published TLP:AMBER\+STRICT marking/, 'TLP 2.0 AMBER+STRICT id claiming amber');
  const other = 'marking-definition--2f9d6c7a-9f3e-4a7b-8b1e-0c2d3e4f5a60';
  t.equal(
    refusal({ ...tlp1('green'), id: other }),
    'marking-definition.id: only the published TLP marking definitions may define TLP levels (L11, tlp.md §5)',
    'a non-TLP id with definition_type tlp',
  );
  t.match(refusal({ ...tlp2('tlp-red.json'), id: other }), /only the published TLP marking definitions may define TLP levels/, 'a non-TLP id with the TLP 2.0 extension');
});

t.test('the validator: a TLP id must carry its canonical body exactly (tlp.md §5.3 "must equal the canonical object exactly", L12, L15)', async (t) => {
  // A TLP 1.0 WHITE body under the TLP 2.0 CLEAR id, and a renamed canonical body, are not the published objects.
  const whiteBodyOnClearId = { ...tlp1('white'), id: id('TLP 2.0 CLEAR') };
  t.type(refusal(whiteBodyOnClearId), 'string', 'TLP 1.0 WHITE body on the TLP 2.0 CLEAR id is refused');
  const renamed = { ...tlp2('tlp-green.json'), name: 'TLP:GREEN (ours, shareable with press)' };
  t.type(refusal(renamed), 'string', 'a TLP 2.0 GREEN body with another name is refused');
});

t.test('assessWrite: recipients marking-definitions are validated (issue "Recipients")', async (t) => {
  t.type(assessWrite(recipientsMarking({ extension_type: 'property-extension', partners: ['alice'], communities: ['nato'] }), 'marking-definition', ctx()), 'object');
  t.match(assessWrite(recipientsMarking({ extension_type: 'property-extension' }), 'marking-definition', ctx()), /name at least one partner or community/);
});

t.test('assessWrite: granular levels, and granularRequiredLevel for selectors on or under a required property (LR4)', async (t) => {
  const gm = (selectors: string[], ref: string) => ({ selectors, marking_ref: ref });
  const none = facts(assessWrite(indicator(), 'indicator', ctx()));
  t.strictSame([none.granularLevel, none.granularRequiredLevel], [null, null], 'no granular markings');
  const optional = facts(assessWrite(indicator({ granular_markings: [gm(['description'], id('TLP 2.0 RED')), gm(['name'], id('TLP 1.0 GREEN'))] }), 'indicator', ctx()));
  t.strictSame([optional.granularLevel, optional.granularRequiredLevel], [RED, null], 'RED on optional description: all=RED, required=none');
  const required = facts(assessWrite(indicator({ granular_markings: [gm(['pattern'], id('TLP 2.0 AMBER')), gm(['description'], id('TLP 2.0 RED'))] }), 'indicator', ctx()));
  t.strictSame([required.granularLevel, required.granularRequiredLevel], [RED, AMBER], 'AMBER on required pattern');
  const mixed = facts(assessWrite(indicator({ granular_markings: [gm(['description', 'valid_from'], id('TLP 2.0 AMBER+STRICT'))] }), 'indicator', ctx()));
  t.strictSame([mixed.granularLevel, mixed.granularRequiredLevel], [STRICT, STRICT], 'one entry selecting an optional and a required property');
  const note: Obj = {
    type: 'note', spec_version: '2.1', id: 'note--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061', created: T, modified: T, content: 'c',
    object_refs: ['indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', 'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b'],
    granular_markings: [gm(['object_refs.[1]'], id('TLP 1.0 RED'))],
  };
  t.ok(validator.requiredProperties('note').has('object_refs'), 'object_refs is required on a note');
  const under = facts(assessWrite(note, 'note', ctx()));
  t.strictSame([under.granularLevel, under.granularRequiredLevel], [RED, RED], 'a selector under a required property counts as required (redaction removes whole top-level properties)');
  const nonTlp = facts(assessWrite(indicator({ granular_markings: [gm(['description'], STATEMENT), { selectors: ['name'], lang: 'fr' }] }), 'indicator', ctx()));
  t.strictSame([nonTlp.granularLevel, nonTlp.granularRequiredLevel], [null, null], 'statement and language granular markings carry no TLP');
});

t.test('assessWrite: refs of relationships and sightings, for LR5 (hide_dangling_relationships)', async (t) => {
  const src = 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f';
  const tgt = 'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b';
  const rel: Obj = { type: 'relationship', spec_version: '2.1', id: 'relationship--2f9d6c7a-9f3e-4a7b-8b1e-0c2d3e4f5a6b', created: T, modified: T, relationship_type: 'indicates', source_ref: src, target_ref: tgt };
  t.strictSame(facts(assessWrite(rel, 'relationship', ctx())).refs, [src, tgt]);
  const sighting: Obj = { type: 'sighting', spec_version: '2.1', id: 'sighting--ee20065d-2555-424f-ad9e-0f8428623c75', created: T, modified: T, sighting_of_ref: src, where_sighted_refs: [IDENTITY] };
  t.strictSame(facts(assessWrite(sighting, 'sighting', ctx())).refs, [src]);
  t.equal(facts(assessWrite(indicator(), 'indicator', ctx())).refs, null, 'other types reference nothing for LR5');
});

// ---------------------------------------------------------------------------
t.test('redact(): removes top-level properties marked above clearance, keeps the rest, adds the marker (LR4 option b)', async (t) => {
  const o = indicator({
    external_references: [{ source_name: 'x', url: 'https://x.example' }],
    labels: ['l'],
    granular_markings: [
      { selectors: ['description'], marking_ref: id('TLP 2.0 RED') },
      { selectors: ['external_references.[0].url'], marking_ref: id('TLP 1.0 RED') },
      { selectors: ['name'], marking_ref: id('TLP 2.0 GREEN') },
      { selectors: ['labels'], marking_ref: STATEMENT },
      { selectors: ['description'], marking_ref: id('TLP 2.0 CLEAR') },
    ],
  });
  const out = JSON.parse(redact(JSON.stringify(o), AMBER)) as Obj;
  t.notOk('description' in out, 'RED description removed');
  t.notOk('external_references' in out, 'a selector deep inside a property removes the whole top-level property');
  t.strictSame(out[REDACTED_PROPERTY], ['description', 'external_references'], `${REDACTED_PROPERTY} lists them, sorted`);
  t.strictSame(out['granular_markings'], [
    { selectors: ['name'], marking_ref: id('TLP 2.0 GREEN') },
    { selectors: ['labels'], marking_ref: STATEMENT },
  ], 'entries naming removed content are dropped (including the CLEAR one on description); others kept');
  for (const k of ['type', 'id', 'name', 'pattern', 'pattern_type', 'valid_from', 'labels', 'created', 'modified']) t.strictSame(out[k], o[k], `${k} kept`);

  const atRed = redact(JSON.stringify(o), RED);
  t.equal(atRed, JSON.stringify(o), 'nothing above a RED clearance: unchanged');
  const clear = JSON.parse(redact(JSON.stringify(o), CLEAR)) as Obj;
  t.strictSame(clear[REDACTED_PROPERTY], ['description', 'external_references', 'name'], 'at CLEAR, the GREEN name goes too');
  t.strictSame(clear['granular_markings'], [{ selectors: ['labels'], marking_ref: STATEMENT }]);
});

t.test('redact(): text untouched when nothing is above clearance; granular_markings removed when all entries go', async (t) => {
  const raw = `{ "type": "indicator",  "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "description": "d",
    "granular_markings": [ { "selectors": ["description"], "marking_ref": "${id('TLP 2.0 AMBER')}" } ] }`;
  t.equal(redact(raw, AMBER), raw, 'same text, byte for byte (LR9: objects returned as received)');
  t.equal(redact(raw, STRICT), raw);
  const noGranular = '{"type":"indicator",  "name":"x"}';
  t.equal(redact(noGranular, CLEAR), noGranular);
  const out = JSON.parse(redact(raw, GREEN)) as Obj;
  t.notOk('granular_markings' in out, 'no entry left: the property is removed, not left empty (L3 list ≥ 1)');
  t.notOk('description' in out);
  t.strictSame(out[REDACTED_PROPERTY], ['description']);
});
