/**
 * Issue 4 end to end through HTTP: TLP 1.0/2.0 clearances, recipients markings,
 * write-side policy, granular withhold/redact, derived leakage (tlp.md L1–L16,
 * LR1–LR10). "A reader who may not see an object gets exactly the answers it
 * would get if the object did not exist."
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { parseConfig } from '../../src/config/load-config.js';
import { RECIPIENTS_EXTENSION_ID } from '../../src/policy/recipients.js';
import { deterministicScoId } from '../../src/stix/deterministic-ids.js';
import { applyConfig } from '../../src/store/config-sync.js';
import { TEST_SERVER_LIMITS, createAppWithConfig } from '../helpers/app.js';
import { indicator, malware, newVersion } from '../helpers/stix.js';

type Obj = Record<string, unknown>;

// TLP ids (tlp.md §5 table).
const TLP = {
  white: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9',
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green1: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber1: 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  strict: 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red1: 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
} as const;

const IDENTITY = 'identity--0b5b7e2e-3f5a-4b8c-9f4f-7d1c2f6a9e10';
const OTHER_IDENTITY = 'identity--9d8c7b6a-5f4e-4d3c-8b2a-1a0b9c8d7e6f';

// Partners: clearance and communities.
const PARTNERS: Record<string, { clearance: string; communities: string[]; identity?: string }> = {
  'clear-p': { clearance: 'clear', communities: ['public'] },
  'green-p': { clearance: 'green', communities: ['eu'] },
  'amber-p': { clearance: 'amber', communities: ['eu', 'nato'] },
  'strict-p': { clearance: 'amber+strict', communities: ['nato'] },
  'red-a': { clearance: 'red', communities: ['five-eyes'] },
  'red-n': { clearance: 'red', communities: ['nato'] },
  'red-x': { clearance: 'red', communities: ['eu'] },
  'ident-p': { clearance: 'amber', communities: [], identity: IDENTITY },
  'noid-p': { clearance: 'amber', communities: [] },
};
const NAMES = Object.keys(PARTNERS);
const KEYS = Object.fromEntries(NAMES.map((p) => [p, `${p}-api-key-000001`]));
const ENV: NodeJS.ProcessEnv = Object.fromEntries(NAMES.map((p, i) => [`POLICY_KEY_${i}`, KEYS[p]]));

const C = {
  public: 'a0000000-0000-4000-8000-000000000001',
  alliance: 'a0000000-0000-4000-8000-000000000002',
  restricted: 'a0000000-0000-4000-8000-000000000003',
  redact: 'a0000000-0000-4000-8000-000000000004',
  withhold: 'a0000000-0000-4000-8000-000000000005',
  ident: 'a0000000-0000-4000-8000-000000000006',
  danglingOff: 'a0000000-0000-4000-8000-000000000007',
  paging: 'a0000000-0000-4000-8000-000000000008',
  deletes: 'a0000000-0000-4000-8000-000000000009',
  writeOnly: 'a0000000-0000-4000-8000-000000000010',
} as const;
const path = (c: string) => `/alliance/collections/${c}/`;
const all = [{ group: 'everyone', read: true, write: true }];

function configJson(clearanceOverride: Record<string, string> = {}, collectionOverride: Record<string, Obj> = {}): Obj {
  const coll = (id: string, alias: string, policy: Obj): Obj => ({ id, alias, title: alias, grants: all, ...policy, ...collectionOverride[alias] });
  return {
    server: { title: 'policy tests', default_api_root: 'alliance', page_size: { default: 100, max: 1000 }, credential_cache_seconds: 60, ...TEST_SERVER_LIMITS },
    auth: { basic: true },
    api_roots: [{
      id: 'alliance',
      title: 'Alliance',
      max_content_length: 1048576,
      collections: [
        coll(C.public, 'public', { max_tlp: 'clear', require_marking: true, default_tlp: 'clear' }),
        coll(C.alliance, 'alliance', { max_tlp: 'amber', default_tlp: 'green' }),
        coll(C.restricted, 'restricted', { max_tlp: 'red', default_tlp: 'amber' }),
        coll(C.redact, 'redact', { granular_markings: 'redact', default_tlp: 'clear' }),
        coll(C.withhold, 'withhold', { granular_markings: 'withhold', default_tlp: 'clear' }),
        coll(C.ident, 'ident', { require_creator_identity: true }),
        coll(C.danglingOff, 'dangling-off', { hide_dangling_relationships: false }),
        coll(C.paging, 'paging', {}),
        coll(C.deletes, 'deletes', {}),
        coll(C.writeOnly, 'write-only', { grants: [{ partner: 'noid-p', read: true, write: true }, { partner: 'green-p', read: false, write: true }] }),
      ],
    }],
    groups: [{ id: 'everyone', members: NAMES }],
    partners: NAMES.map((p, i) => {
      const def = PARTNERS[p] as (typeof PARTNERS)[string];
      return {
        id: p,
        name: p,
        clearance: clearanceOverride[p] ?? def.clearance,
        communities: def.communities,
        ...(def.identity !== undefined && { identity: def.identity }),
        api_keys: [{ env: `POLICY_KEY_${i}` }],
      };
    }),
  };
}

const ctx = await createAppWithConfig(configJson(), ENV, { keys: KEYS });
t.teardown(() => ctx.close());

/** As `taxii-exchange apply-config` would: parse the file, apply it to the same database. */
async function applyJson(json: Obj): Promise<void> {
  await applyConfig(ctx.testDb.db, await parseConfig(JSON.stringify(json), 'policy-config.json', ENV));
}

const get = (partner: string, url: string) => ctx.request(partner, { url });
const del = (partner: string, url: string) => ctx.request(partner, { method: 'DELETE', url });

interface Status {
  success_count: number;
  failure_count: number;
  successes?: { id: string; version: string; message?: string }[];
  failures?: { id: string; version: string; message: string }[];
}
async function post(t: Test, partner: string, c: string, objects: Obj[]): Promise<Status> {
  const res = await ctx.post(partner, path(c), objects);
  t.equal(res.statusCode, 202, `POST by ${partner} answers 202`);
  return res.json() as Status;
}
async function postAll(t: Test, partner: string, c: string, objects: Obj[]): Promise<void> {
  const status = await post(t, partner, c, objects);
  t.equal(status.failure_count, 0, `all stored: ${JSON.stringify(status.failures ?? [])}`);
}

const objectIds = (res: LightMyRequestResponse): string[] => {
  const body = res.json() as { objects?: { id: string }[] };
  return (body.objects ?? []).map((o) => o.id);
};
const modifieds = (res: LightMyRequestResponse): string[] =>
  ((res.json() as { objects?: { modified: string }[] }).objects ?? []).map((o) => o.modified);
const manifestVersions = (res: LightMyRequestResponse): string[] =>
  ((res.json() as { objects?: { version: string }[] }).objects ?? []).map((o) => o.version);

function recipientsMarking(entry: { partners?: string[]; communities?: string[] }): Obj {
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: `marking-definition--${randomUUID()}`,
    created: '2024-01-01T00:00:00.000Z',
    name: `for ${[...(entry.partners ?? []), ...(entry.communities ?? [])].join(', ')}`,
    extensions: { [RECIPIENTS_EXTENSION_ID]: { extension_type: 'property-extension', ...entry } },
  };
}
const marked = (...refs: string[]) => indicator({ object_marking_refs: refs });
/** A TLP:GREEN relationship: source indicates target. */
const indicates = (source: Obj, target: Obj) => ({
  type: 'relationship', spec_version: '2.1', id: `relationship--${randomUUID()}`, created: '2024-01-01T00:00:00.000Z', modified: '2024-01-01T00:00:00.000Z',
  relationship_type: 'indicates', source_ref: id(source), target_ref: id(target), object_marking_refs: [TLP.green],
});
const id = (o: Obj) => o['id'] as string;

/** An error body with the object id and the per-error error_id taken out, for comparing two answers. */
const sameness = (body: string, objectId: string): string => body.replace(objectId, 'X').replace(/"error_id":"[^"]*"/, '"error_id":"E"');

/**
 * What a reader must see of an object it may not see: exactly what it sees of an
 * object that was never posted (404 with the same error apart from the id; absent
 * from objects and manifest; an empty page has no X-TAXII headers).
 */
async function assertInvisible(t: Test, partner: string, c: string, objectId: string, why: string): Promise<void> {
  const base = path(c);
  const ghost = `${objectId.split('--')[0] as string}--${randomUUID()}`;
  const one = await get(partner, `${base}objects/${objectId}/`);
  const never = await get(partner, `${base}objects/${ghost}/`);
  t.equal(one.statusCode, 404, `${why}: get-object 404 for ${partner}`);
  t.equal(sameness(one.body, objectId), sameness(never.body, ghost), `${why}: same 404 body as an object never posted`);
  const versions = await get(partner, `${base}objects/${objectId}/versions/`);
  t.equal(versions.statusCode, 404, `${why}: versions 404 for ${partner}`);
  for (const kind of ['objects', 'manifest']) {
    for (const version of ['last', 'first', 'all']) {
      const res = await get(partner, `${base}${kind}/?match[id]=${objectId}&match[version]=${version}`);
      t.equal(res.statusCode, 200);
      t.equal(res.body, '{}', `${why}: ${kind} match[version]=${version} empty for ${partner}`);
      t.notOk(res.headers['x-taxii-date-added-first'] ?? res.headers['x-taxii-date-added-last'], `${why}: no X-TAXII headers on the empty ${kind} page`);
    }
  }
  const listing = await get(partner, `${base}objects/?match[version]=all`);
  t.notOk(objectIds(listing).includes(objectId), `${why}: absent from the unfiltered listing for ${partner}`);
}

async function assertVisible(t: Test, partner: string, c: string, objectId: string, why: string): Promise<void> {
  const base = path(c);
  const one = await get(partner, `${base}objects/${objectId}/`);
  t.equal(one.statusCode, 200, `${why}: get-object 200 for ${partner}`);
  t.strictSame(objectIds(one), [objectId], `${why}: get-object returns it to ${partner}`);
  t.equal((await get(partner, `${base}objects/${objectId}/versions/`)).statusCode, 200, `${why}: versions 200 for ${partner}`);
  const manifest = await get(partner, `${base}manifest/?match[id]=${objectId}`);
  t.equal(manifest.json().objects?.length, 1, `${why}: in the manifest for ${partner}`);
}

// ---------------------------------------------------------------------------
t.test('LR7 write side: per-object failures with clear messages (POST 202) while the rest is stored (issue "Violations are per-object failures with clear messages")', async (t) => {
  const okClear = marked(TLP.clear);
  const okWhite = marked(TLP.white);
  const unmarked = indicator();
  const green = marked(TLP.green);
  const status = await post(t, 'amber-p', C.public, [okClear, unmarked, green, okWhite]);
  t.match(status, { success_count: 2, failure_count: 2 });
  t.strictSame(status.successes?.map((s) => s.id), [id(okClear), id(okWhite)]);
  t.strictSame(status.failures?.map((f) => [f.id, f.message]), [
    [id(unmarked), 'indicator.object_marking_refs: this collection requires a TLP marking on every object'],
    [id(green), "indicator.object_marking_refs: TLP:GREEN exceeds this collection's maximum, TLP:CLEAR"],
  ], 'public collection: require_marking and max_tlp clear');
  const stored = await get('clear-p', `${path(C.public)}objects/?match[id]=${[okClear, unmarked, green, okWhite].map(id).join(',')}`);
  t.strictSame(objectIds(stored).sort(), [id(okClear), id(okWhite)].sort(), 'the accepted ones are stored and readable');

  const rm = recipientsMarking({ partners: ['red-a'] });
  const amberOk = marked(TLP.amber1);
  const strict = marked(TLP.strict);
  const red = marked(TLP.red, id(rm));
  const plain = indicator();
  const alliance = await post(t, 'amber-p', C.alliance, [rm, amberOk, strict, red, plain]);
  t.strictSame(alliance.failures?.map((f) => [f.id, f.message]), [
    [id(strict), "indicator.object_marking_refs: TLP:AMBER+STRICT exceeds this collection's maximum, TLP:AMBER"],
    [id(red), "indicator.object_marking_refs: TLP:RED exceeds this collection's maximum, TLP:AMBER"],
  ], 'alliance collection refuses above AMBER (issue: "an alliance-wide collection refuses RED")');
  t.equal(alliance.success_count, 3, 'the marking-definition, the AMBER (TLP 1.0) and the unmarked (default green) indicator');

  const other = recipientsMarking({ communities: ['nato'] });
  const noRecipients = marked(TLP.red1);
  const twoRecipients = marked(TLP.red, id(rm), id(other));
  const badMarking = { ...recipientsMarking({}), extensions: { [RECIPIENTS_EXTENSION_ID]: { extension_type: 'property-extension', partners: [] } } };
  const fakeTlp: Obj = { type: 'marking-definition', spec_version: '2.1', id: `marking-definition--${randomUUID()}`, created: '2017-01-20T00:00:00.000Z', definition_type: 'tlp', name: 'TLP:GREEN', definition: { tlp: 'green' } };
  const redefined: Obj = { type: 'marking-definition', spec_version: '2.1', id: TLP.red1, created: '2017-01-20T00:00:00.000Z', definition_type: 'statement', definition: { statement: 'share freely' } };
  const canonical2 = (JSON.parse(readFileSync('/work/shared/data/markings/tlp2/tlp-amber-strict.json', 'utf8')) as { objects: Obj[] }).objects[0] as Obj;
  const canonical1 = JSON.parse(readFileSync('/work/shared/data/markings/tlp1/tlp-red.json', 'utf8')) as Obj;
  const restricted = await post(t, 'amber-p', C.restricted, [rm, other, noRecipients, twoRecipients, badMarking, fakeTlp, redefined, canonical2, canonical1]);
  const byId = new Map((restricted.failures ?? []).map((f) => [f.id, f.message]));
  t.match(byId.get(id(noRecipients)), /^indicator\.object_marking_refs: TLP:RED content needs a recipients marking/, 'RED without recipients (TLP 1.0 RED id) refused, says why');
  t.equal(byId.get(id(twoRecipients)), 'indicator.object_marking_refs: refer to at most one recipients marking');
  t.match(byId.get(id(badMarking)), /partners: must be a non-empty list/, 'malformed recipients marking');
  t.match(byId.get(id(fakeTlp)), /only the published TLP marking definitions may define TLP levels/, 'a new id claiming definition_type tlp (L11)');
  t.match(byId.get(TLP.red1), /is the published TLP:RED marking and must define exactly that level/, 'TLP id redefined with a statement body (§5.3)');
  t.equal(restricted.failure_count, 5);
  t.strictSame(restricted.successes?.map((s) => s.id), [id(rm), id(other), TLP.strict, TLP.red1], 'recipients markings and the canonical TLP 2.0 / 1.0 bodies stored (L12, L16)');
});

t.test('issue "created_by_ref must be the submitter\'s identity": per-object failures in a require_creator_identity collection', async (t) => {
  const own = indicator({ created_by_ref: IDENTITY });
  const foreign = indicator({ created_by_ref: OTHER_IDENTITY });
  const anonymous = indicator();
  const status = await post(t, 'ident-p', C.ident, [own, foreign, anonymous]);
  t.strictSame(status.successes?.map((s) => s.id), [id(own)]);
  t.strictSame(status.failures?.map((f) => [f.id, f.message]), [
    [id(foreign), `indicator.created_by_ref: must be your identity ${IDENTITY} in this collection`],
    [id(anonymous), `indicator.created_by_ref: must be your identity ${IDENTITY} in this collection`],
  ]);
  const noid = await post(t, 'noid-p', C.ident, [indicator({ created_by_ref: IDENTITY })]);
  t.match(noid.failures?.[0]?.message, 'indicator.created_by_ref: this collection requires your identity, but none is configured for you');
});

t.test('RED with a recipients marking is visible exactly to named partners and community members cleared for RED (issue "Recipients", LR3 RED)', async (t) => {
  // Marking in the same envelope, after or before the object.
  const rm = recipientsMarking({ partners: ['red-a'], communities: ['nato'] });
  const redSame = marked(TLP.red, id(rm));
  await postAll(t, 'strict-p', C.restricted, [redSame, rm]);
  // Marking posted earlier.
  const redLater = marked(TLP.red1, id(rm));
  await postAll(t, 'strict-p', C.restricted, [redLater]);
  for (const o of [redSame, redLater]) {
    const label = o === redSame ? 'marking in the same envelope' : 'marking posted earlier';
    for (const p of ['red-a']) await assertVisible(t, p, C.restricted, id(o), `${label}: named partner`);
    for (const p of ['red-n']) await assertVisible(t, p, C.restricted, id(o), `${label}: nato member with red clearance`);
    await assertVisible(t, 'strict-p', C.restricted, id(o), `${label}: the submitter, below RED itself`);
    await assertInvisible(t, 'red-x', C.restricted, id(o), `${label}: red clearance but not named`);
    await assertInvisible(t, 'amber-p', C.restricted, id(o), `${label}: nato member without red clearance`);
    for (const p of ['clear-p', 'green-p', 'ident-p', 'noid-p']) await assertInvisible(t, p, C.restricted, id(o), label);
  }
  // A recipients marking restricts any level, on top of TLP.
  const greenForRedA = marked(TLP.green, id(rm));
  await postAll(t, 'noid-p', C.restricted, [greenForRedA]);
  await assertVisible(t, 'amber-p', C.restricted, id(greenForRedA), 'GREEN for nato: a nato member cleared for GREEN');
  await assertInvisible(t, 'green-p', C.restricted, id(greenForRedA), 'GREEN for nato/red-a: not a recipient');
  await assertInvisible(t, 'red-x', C.restricted, id(greenForRedA), 'GREEN for nato/red-a: red clearance does not make a recipient');
});

t.test('clearance filtering at every level with TLP 1.0 and 2.0 ids (LR1, tlp.md §5, issue "clearance ≥ the effective level")', async (t) => {
  const everyone = recipientsMarking({ communities: ['public', 'eu', 'nato', 'five-eyes'] });
  const levels: [keyof typeof TLP, number][] = [
    ['white', 0], ['clear', 0], ['green1', 1], ['green', 1], ['amber1', 2], ['amber', 2], ['strict', 3], ['red1', 4], ['red', 4],
  ];
  const objects = levels.map(([name, level]) => ({ level, name, o: level === 4 ? marked(TLP[name], id(everyone)) : marked(TLP[name]) }));
  // Mixed 1.0 + 2.0 markings: the most restrictive counts.
  const mixed = { level: 3, name: 'white+green1+strict', o: marked(TLP.white, TLP.green1, TLP.strict) };
  const mixed2 = { level: 2, name: 'amber1+clear', o: marked(TLP.amber1, TLP.clear) };
  const cases = [...objects, mixed, mixed2];
  await postAll(t, 'noid-p', C.restricted, [everyone, ...cases.map((c) => c.o)]);
  const filter = `match[id]=${cases.map((c) => id(c.o)).join(',')}`;
  const readers: [string, number][] = [['clear-p', 0], ['green-p', 1], ['amber-p', 2], ['strict-p', 3], ['red-x', 4]];
  for (const [reader, clearance] of readers) {
    const expected = cases.filter((c) => c.level <= clearance).map((c) => id(c.o)).sort();
    t.strictSame(objectIds(await get(reader, `${path(C.restricted)}objects/?${filter}`)).sort(), expected, `objects for ${reader}`);
    t.strictSame(objectIds(await get(reader, `${path(C.restricted)}manifest/?${filter}`)).sort(), expected, `manifest for ${reader}`);
    for (const c of cases) {
      const res = await get(reader, `${path(C.restricted)}objects/${id(c.o)}/`);
      t.equal(res.statusCode, c.level <= clearance ? 200 : 404, `${c.name} for ${reader} (clearance ${clearance})`);
    }
  }
});

t.test('LR2 unmarked objects follow the collection default_tlp, applied at read time', async (t) => {
  const inAlliance = indicator();
  const inRestricted = indicator();
  await postAll(t, 'noid-p', C.alliance, [inAlliance]);
  await postAll(t, 'noid-p', C.restricted, [inRestricted]);
  await assertVisible(t, 'green-p', C.alliance, id(inAlliance), 'default_tlp green');
  await assertInvisible(t, 'clear-p', C.alliance, id(inAlliance), 'default_tlp green');
  await assertVisible(t, 'amber-p', C.restricted, id(inRestricted), 'default_tlp amber');
  await assertInvisible(t, 'green-p', C.restricted, id(inRestricted), 'default_tlp amber');

  // Changing default_tlp changes the reading of stored objects, which are never rewritten.
  await applyJson(configJson({}, { alliance: { default_tlp: 'clear' } }));
  t.teardown(() => applyJson(configJson()));
  await assertVisible(t, 'clear-p', C.alliance, id(inAlliance), 'default_tlp lowered to clear');
  const back = await get('clear-p', `${path(C.alliance)}objects/${id(inAlliance)}/`);
  t.strictSame(back.json().objects[0], inAlliance, 'returned as received, no marking added (LR2, LR9)');
  await applyJson(configJson());
  await assertInvisible(t, 'clear-p', C.alliance, id(inAlliance), 'default_tlp green again');
});

t.test('issue "The submitting partner always sees what it submitted", above its clearance and without being a recipient', async (t) => {
  const rm = recipientsMarking({ partners: ['red-a'] });
  const amber = marked(TLP.amber);
  const red = marked(TLP.red1, id(rm));
  await postAll(t, 'clear-p', C.restricted, [rm, amber, red]);
  for (const o of [amber, red]) await assertVisible(t, 'clear-p', C.restricted, id(o), 'submitter');
  await assertInvisible(t, 'green-p', C.restricted, id(amber), 'AMBER, not the submitter');
  await assertInvisible(t, 'red-x', C.restricted, id(red), 'RED for red-a, not the submitter');
  await assertVisible(t, 'red-a', C.restricted, id(red), 'RED for red-a');
});

t.test('LR6 marking-definition objects are visible to every reader of the collection', async (t) => {
  const rm = recipientsMarking({ partners: ['red-a'] });
  const statement: Obj = {
    type: 'marking-definition', spec_version: '2.1', id: `marking-definition--${randomUUID()}`, created: '2024-01-01T00:00:00.000Z',
    definition_type: 'statement', definition: { statement: 'Copyright 2024 Example' }, object_marking_refs: [TLP.red, id(rm)],
  };
  const canonical = (JSON.parse(readFileSync('/work/shared/data/markings/tlp2/tlp-red.json', 'utf8')) as { objects: Obj[] }).objects[0] as Obj;
  await postAll(t, 'red-a', C.withhold, [rm, statement, canonical]);
  for (const reader of ['clear-p', 'green-p', 'red-x']) {
    for (const m of [rm, statement, canonical]) await assertVisible(t, reader, C.withhold, id(m), `marking-definition ${String(m['name'] ?? 'statement')}`);
  }
  const types = await get('clear-p', `${path(C.withhold)}objects/?match[type]=marking-definition`);
  t.ok([rm, statement, canonical].every((m) => objectIds(types).includes(id(m))), 'listed for a CLEAR reader');
});

t.test('issue "match[version]=last/first mean the last/first version visible to that reader"', async (t) => {
  const rm = recipientsMarking({ partners: ['red-a'] });
  const v1 = marked(TLP.green);
  const v2 = newVersion(v1, '2024-02-01T00:00:00.000Z', { object_marking_refs: [TLP.red, id(rm)] });
  await postAll(t, 'noid-p', C.restricted, [rm, v1, v2]);
  const base = `${path(C.restricted)}objects/`;
  const q = `match[id]=${id(v1)}`;
  const V1 = '2024-01-01T00:00:00.000Z';
  const V2 = '2024-02-01T00:00:00.000Z';
  // amber reader: v1 GREEN visible, v2 RED-with-recipients not.
  t.strictSame(modifieds(await get('amber-p', `${base}?${q}`)), [V1], 'default (last) is v1');
  t.strictSame(modifieds(await get('amber-p', `${base}?${q}&match[version]=last`)), [V1], 'last is v1');
  t.strictSame(modifieds(await get('amber-p', `${base}?${q}&match[version]=first`)), [V1], 'first is v1');
  t.strictSame(modifieds(await get('amber-p', `${base}?${q}&match[version]=all`)), [V1], 'all is only v1');
  t.strictSame(modifieds(await get('amber-p', `${base}${id(v1)}/`)), [V1], 'get-object gives v1');
  t.strictSame(manifestVersions(await get('amber-p', `${path(C.restricted)}manifest/?${q}&match[version]=last`)), [V1], 'manifest last is v1');
  t.strictSame((await get('amber-p', `${base}${id(v1)}/versions/`)).json(), { versions: [V1] }, 'versions lists only v1');
  const exact = await get('amber-p', `${base}${id(v1)}/?match[version]=${V2}`);
  t.equal(exact.statusCode, 200, 'known object, hidden version asked: as for a version that does not exist');
  t.equal(exact.body, '{}');
  t.notOk(exact.headers['x-taxii-date-added-first']);
  // red-a sees both.
  t.strictSame(modifieds(await get('red-a', `${base}?${q}&match[version]=last`)), [V2]);
  t.strictSame((await get('red-a', `${base}${id(v1)}/versions/`)).json().versions, [V1, V2]);

  // v1 RED, v2 GREEN, v3 RED: first and last visible are both v2.
  const w1 = marked(TLP.red, id(rm));
  const w2 = newVersion(w1, V2, { object_marking_refs: [TLP.green1] });
  const w3 = newVersion(w1, '2024-03-01T00:00:00.000Z', { object_marking_refs: [TLP.red1, id(rm)] });
  await postAll(t, 'noid-p', C.restricted, [w1, w2, w3]);
  const wq = `match[id]=${id(w1)}`;
  t.strictSame(modifieds(await get('amber-p', `${base}?${wq}&match[version]=first`)), [V2], 'first visible is the middle version');
  t.strictSame(modifieds(await get('amber-p', `${base}?${wq}&match[version]=last`)), [V2], 'last visible is the middle version');
  t.strictSame(modifieds(await get('amber-p', `${base}?${wq}&match[version]=first,last`)), [V2], 'one version, once');
  t.strictSame((await get('amber-p', `${base}${id(w1)}/versions/`)).json().versions, [V2]);
  t.strictSame(modifieds(await get('red-a', `${base}?${wq}&match[version]=first,last`)), [V1, '2024-03-01T00:00:00.000Z']);
  // added_after together with visibility: versions added after w1 are w2 (visible) and w3 (hidden).
  const added = ((await get('red-a', `${path(C.restricted)}manifest/?${wq}&match[version]=all`)).json().objects as { date_added: string }[]).map((m) => m.date_added);
  t.equal(added.length, 3);
  t.strictSame(modifieds(await get('amber-p', `${base}?${wq}&added_after=${added[0] ?? ''}&match[version]=last`)), [V2], 'added after w1: last visible is w2');
  const afterW2 = await get('amber-p', `${base}?${wq}&added_after=${added[1] ?? ''}&match[version]=last`);
  t.equal(afterW2.body, '{}', 'added after w2: only the hidden w3 remains, so nothing');
  t.notOk(afterW2.headers['x-taxii-date-added-first']);
});

t.test('issue "lowering its clearance takes effect on its next request" (apply-config on the same database); next cursors follow the new clearance', async (t) => {
  const rm = recipientsMarking({ partners: ['red-a'] });
  const red = marked(TLP.red, id(rm));
  const amber = marked(TLP.amber);
  const green = marked(TLP.green);
  await postAll(t, 'noid-p', C.danglingOff, [rm, green, red, amber]);
  const q = `match[id]=${[green, red, amber].map(id).join(',')}`;
  const first = await get('red-a', `${path(C.danglingOff)}objects/?${q}&limit=1`);
  t.strictSame(objectIds(first), [id(green)]);
  t.equal(first.json().more, true);
  const next = first.json().next as string;
  await assertVisible(t, 'red-a', C.danglingOff, id(red), 'before');

  await applyJson(configJson({ 'red-a': 'green' }));
  t.teardown(() => applyJson(configJson()));
  await assertInvisible(t, 'red-a', C.danglingOff, id(red), 'clearance lowered to green');
  await assertInvisible(t, 'red-a', C.danglingOff, id(amber), 'clearance lowered to green');
  const rest = await get('red-a', `${path(C.danglingOff)}objects/?${q}&limit=1&next=${encodeURIComponent(next)}`);
  t.equal(rest.statusCode, 200);
  t.equal(rest.body, '{}', 'a cursor from before reveals nothing now hidden: empty, no more');
  t.notOk(rest.headers['x-taxii-date-added-first']);

  await applyJson(configJson());
  await assertVisible(t, 'red-a', C.danglingOff, id(red), 'clearance restored');
});

t.test('LR4 granular markings: withhold (default) hides the version from readers below the marking', async (t) => {
  const o = marked(TLP.green);
  o['description'] = 'secret detail';
  o['granular_markings'] = [{ selectors: ['description'], marking_ref: TLP.amber1 }];
  await postAll(t, 'noid-p', C.withhold, [o]);
  await assertInvisible(t, 'green-p', C.withhold, id(o), 'withhold: description AMBER above GREEN');
  await assertVisible(t, 'amber-p', C.withhold, id(o), 'withhold: cleared for AMBER');
  t.strictSame((await get('amber-p', `${path(C.withhold)}objects/${id(o)}/`)).json().objects[0], o, 'served whole');
});

t.test('LR4 granular markings: redact removes the marked property, marks the object; a required property marked above clearance withholds', async (t) => {
  const o = marked(TLP.green);
  o['description'] = 'secret detail';
  o['external_references'] = [{ source_name: 'src', url: 'https://example.org/secret' }];
  o['granular_markings'] = [
    { selectors: ['description'], marking_ref: TLP.red },
    { selectors: ['external_references.[0].url'], marking_ref: TLP.amber },
    { selectors: ['name'], marking_ref: TLP.green1 },
  ];
  await postAll(t, 'noid-p', C.redact, [o]);
  const url = `${path(C.redact)}objects/${id(o)}/`;
  const forGreen = (await get('green-p', url)).json().objects[0] as Obj;
  t.notOk('description' in forGreen, 'RED description removed for GREEN');
  t.notOk('external_references' in forGreen, 'AMBER-marked part removes the whole property');
  t.strictSame(forGreen['x_taxii_exchange_redacted'], ['description', 'external_references'], 'x_taxii_exchange_redacted lists them');
  t.strictSame(forGreen['granular_markings'], [{ selectors: ['name'], marking_ref: TLP.green1 }]);
  t.equal(forGreen['name'], o['name']);
  const forAmber = (await get('amber-p', url)).json().objects[0] as Obj;
  t.strictSame(forAmber['x_taxii_exchange_redacted'], ['description']);
  t.strictSame(forAmber['external_references'], o['external_references']);
  const forRed = await get('red-x', url);
  t.strictSame(forRed.json().objects[0], o, 'nothing above RED: served as received');
  t.strictSame((await get('noid-p', url)).json().objects[0], o, 'the submitter gets it whole');
  const listing = await get('green-p', `${path(C.redact)}objects/?match[id]=${id(o)}`);
  t.strictSame((listing.json().objects[0] as Obj)['x_taxii_exchange_redacted'], ['description', 'external_references'], 'objects endpoint redacts too');
  t.equal((await get('green-p', `${path(C.redact)}manifest/?match[id]=${id(o)}`)).json().objects.length, 1, 'manifest lists the version');
  await assertInvisible(t, 'clear-p', C.redact, id(o), 'object-level GREEN above CLEAR');

  // Required property marked above clearance: the version is withheld instead.
  const r1 = marked(TLP.green);
  const r2 = newVersion(r1, '2024-02-01T00:00:00.000Z', { granular_markings: [{ selectors: ['pattern'], marking_ref: TLP.amber }] });
  await postAll(t, 'noid-p', C.redact, [r1, r2]);
  t.strictSame(modifieds(await get('green-p', `${path(C.redact)}objects/${id(r1)}/`)), ['2024-01-01T00:00:00.000Z'], 'pattern AMBER: v2 withheld, last visible is v1');
  t.strictSame((await get('green-p', `${path(C.redact)}objects/${id(r1)}/versions/`)).json().versions, ['2024-01-01T00:00:00.000Z']);
  t.strictSame(modifieds(await get('amber-p', `${path(C.redact)}objects/${id(r1)}/`)), ['2024-02-01T00:00:00.000Z']);
  const only = marked(TLP.clear);
  only['granular_markings'] = [{ selectors: ['valid_from'], marking_ref: TLP.red }];
  await postAll(t, 'noid-p', C.redact, [only]);
  await assertInvisible(t, 'amber-p', C.redact, id(only), 'required valid_from RED');
});

t.test('LR5 derived leakage: a relationship or sighting naming an object present but invisible is invisible (hide_dangling_relationships)', async (t) => {
  const setup = async (c: string) => {
    const rm = recipientsMarking({ partners: ['red-a'] });
    const hidden = malware({ object_marking_refs: [TLP.red, id(rm)] });
    const visible = marked(TLP.green);
    const rel = indicates(visible, hidden);
    const sighting = {
      type: 'sighting', spec_version: '2.1', id: `sighting--${randomUUID()}`, created: '2024-01-01T00:00:00.000Z', modified: '2024-01-01T00:00:00.000Z',
      sighting_of_ref: id(hidden), object_marking_refs: [TLP.clear],
    };
    const toAbsent = { ...rel, id: `relationship--${randomUUID()}`, target_ref: `malware--${randomUUID()}` };
    await postAll(t, 'noid-p', c, [rm, hidden, visible, rel, sighting, toAbsent]);
    return { hidden, visible, rel, sighting, toAbsent };
  };
  const on = await setup(C.restricted);
  await assertInvisible(t, 'green-p', C.restricted, id(on.rel), 'relationship to a hidden malware');
  await assertInvisible(t, 'green-p', C.restricted, id(on.sighting), 'sighting of a hidden malware');
  await assertVisible(t, 'green-p', C.restricted, id(on.toAbsent), 'target not in the collection at all: shown');
  await assertVisible(t, 'red-a', C.restricted, id(on.rel), 'reader who sees the target');
  await assertVisible(t, 'red-a', C.restricted, id(on.sighting), 'reader who sees the target');
  await assertVisible(t, 'noid-p', C.restricted, id(on.rel), 'submitter');
  // The target gains a visible version: the relationship is no longer dangling for that reader.
  await postAll(t, 'noid-p', C.restricted, [newVersion(on.hidden, '2024-06-01T00:00:00.000Z', { object_marking_refs: [TLP.green] })]);
  await assertVisible(t, 'green-p', C.restricted, id(on.rel), 'target has a visible version now');

  const off = await setup(C.danglingOff);
  await assertVisible(t, 'green-p', C.danglingOff, id(off.rel), 'hide_dangling_relationships: false');
  await assertVisible(t, 'clear-p', C.danglingOff, id(off.sighting), 'hide_dangling_relationships: false');
  await assertInvisible(t, 'clear-p', C.danglingOff, id(off.rel), 'still its own GREEN marking');
});

t.test('E10 DELETE cannot delete versions the caller cannot see: 404 as for a missing object (issue "Every read path ... 404-vs-200 decisions")', async (t) => {
  const rm = recipientsMarking({ partners: ['red-a'] });
  const red = marked(TLP.red, id(rm));
  const v1 = marked(TLP.green);
  const v2 = newVersion(v1, '2024-02-01T00:00:00.000Z', { object_marking_refs: [TLP.red, id(rm)] });
  await postAll(t, 'noid-p', C.deletes, [rm, red, v1, v2]);
  const base = `${path(C.deletes)}objects/`;
  const ghost = `indicator--${randomUUID()}`;
  const hidden = await del('amber-p', `${base}${id(red)}/`);
  const missing = await del('amber-p', `${base}${ghost}/`);
  t.equal(hidden.statusCode, 404, 'hidden object: 404');
  t.equal(sameness(hidden.body, id(red)), sameness(missing.body, ghost), 'same answer as an object never posted');
  await assertVisible(t, 'red-a', C.deletes, id(red), 'still there');
  t.equal((await del('amber-p', `${base}${id(v1)}/?match[version]=2024-02-01T00:00:00.000Z`)).statusCode, 404, 'a hidden version by its timestamp: 404');
  t.equal((await del('amber-p', `${base}${id(v1)}/?match[version]=last`)).statusCode, 200, 'last visible (v1) deleted');
  t.strictSame((await get('red-a', `${base}${id(v1)}/versions/`)).json().versions, ['2024-02-01T00:00:00.000Z'], 'the hidden v2 survives');
  await assertInvisible(t, 'amber-p', C.deletes, id(v1), 'nothing visible left');
  t.equal((await del('amber-p', `${base}${id(v1)}/`)).statusCode, 404, 'no visible version left: 404');
  t.equal((await del('red-a', `${base}${id(v1)}/`)).statusCode, 200, 'a reader who sees it deletes it');
});

t.test('TR29/LR5 pages stay full, `more` is exact, X-TAXII headers and next cursors never reveal hidden items', async (t) => {
  const rm = recipientsMarking({ partners: ['red-a'] });
  const g = [marked(TLP.green), marked(TLP.green1), marked(TLP.green)];
  const r = [marked(TLP.red, id(rm)), marked(TLP.red1, id(rm)), marked(TLP.amber)];
  await postAll(t, 'noid-p', C.paging, [rm]);
  // Order of date_added: g0 r0 g1 r1 g2 r2
  for (let i = 0; i < 3; i++) await postAll(t, 'noid-p', C.paging, [g[i] as Obj, r[i] as Obj]);
  const base = path(C.paging);
  const typeFilter = 'match[type]=indicator';
  const full = await get('red-a', `${base}manifest/?${typeFilter}`);
  const dateOf = new Map((full.json().objects as { id: string; date_added: string }[]).map((m) => [m.id, m.date_added]));
  t.equal(dateOf.size, 6);
  const gIds = g.map(id);

  for (const kind of ['objects', 'manifest']) {
    const exact = await get('green-p', `${base}${kind}/?${typeFilter}&limit=3`);
    t.strictSame(objectIds(exact), gIds, `${kind}: the three visible items in one page`);
    t.notOk('more' in exact.json() || 'next' in exact.json(), `${kind}: more is exact although hidden items follow`);
    t.equal(exact.headers['x-taxii-date-added-first'], dateOf.get(gIds[0] as string));
    t.equal(exact.headers['x-taxii-date-added-last'], dateOf.get(gIds[2] as string), `${kind}: last header is the last visible item`);

    const p1 = await get('green-p', `${base}${kind}/?${typeFilter}&limit=2`);
    t.strictSame(objectIds(p1), gIds.slice(0, 2), `${kind}: full first page`);
    t.equal(p1.json().more, true);
    const p2 = await get('green-p', `${base}${kind}/?${typeFilter}&limit=2&next=${encodeURIComponent(p1.json().next as string)}`);
    t.strictSame(objectIds(p2), gIds.slice(2), `${kind}: next page has only the visible rest`);
    t.notOk('more' in p2.json(), `${kind}: no more after the last visible item`);
    t.equal(p2.headers['x-taxii-date-added-first'], dateOf.get(gIds[2] as string));
    t.equal(p2.headers['x-taxii-date-added-last'], dateOf.get(gIds[2] as string));

    const tail = await get('green-p', `${base}${kind}/?${typeFilter}&added_after=${dateOf.get(gIds[2] as string) ?? ''}`);
    t.equal(tail.body, '{}', `${kind}: only hidden items after the last visible one: empty`);
    t.notOk(tail.headers['x-taxii-date-added-first'] ?? tail.headers['x-taxii-date-added-last'], `${kind}: no X-TAXII headers`);

    const redPage = await get('red-a', `${base}${kind}/?${typeFilter}&limit=3`);
    t.strictSame(objectIds(redPage), [gIds[0], id(r[0] as Obj), gIds[1]], `${kind}: red-a sees RED for it`);
    t.equal(redPage.json().more, true);
    const stolen = await get('green-p', `${base}${kind}/?${typeFilter}&limit=3&next=${encodeURIComponent(redPage.json().next as string)}`);
    t.equal(stolen.statusCode, 400, `${kind}: another partner's next token is refused`);
    t.notOk(stolen.body.includes(id(r[1] as Obj)), `${kind}: and reveals nothing`);
  }
  const amberReader = await get('amber-p', `${base}objects/?${typeFilter}&limit=4`);
  t.strictSame(objectIds(amberReader), [...gIds, id(r[2] as Obj)], 'amber reader: the amber item completes the page');
  t.notOk('more' in amberReader.json());
});

t.test('issue "status resources ... exactly the answers it would get if the object did not exist": re-posting an SCO hidden from the poster', async (t) => {
  // SCO ids are deterministic (S27): anyone can compute the id of ipv4-addr 203.0.113.77.
  const sco: Obj = { type: 'ipv4-addr', spec_version: '2.1', value: '203.0.113.77' };
  sco['id'] = deterministicScoId(sco, 'ipv4-addr');
  const first = await post(t, 'amber-p', C.restricted, [sco]); // unmarked: default_tlp amber
  t.equal(first.success_count, 1);
  const hiddenVersion = first.successes?.[0]?.version;
  await assertInvisible(t, 'green-p', C.restricted, id(sco), 'AMBER (default) SCO');
  const status = await post(t, 'green-p', C.restricted, [sco]);
  t.equal(status.success_count, 1);
  t.notMatch(status.successes?.[0]?.message ?? '', /already present/, 'the status does not reveal that a hidden version exists');
  t.not(status.successes?.[0]?.version, hiddenVersion, 'nor its version (an SCO version is its date_added, TR10)');
  const mine = await get('green-p', `${path(C.restricted)}objects/${id(sco)}/`);
  t.equal(mine.statusCode, 200, 'what green-p was told it stored, it can read back (its own submission)');
});

t.test('issue "status resources ... exactly the answers it would get if the object did not exist": re-posting a versioned object hidden from the poster stores the poster\'s own copy', async (t) => {
  const base = path(C.restricted);
  const original = marked(TLP.amber); // noid-p's AMBER indicator: hidden from green-p and clear-p
  await postAll(t, 'noid-p', C.restricted, [original]);
  await assertInvisible(t, 'green-p', C.restricted, id(original), 'AMBER indicator');
  const version = original['modified'] as string;
  const body = (res: LightMyRequestResponse) => (res.json() as { objects?: Obj[] }).objects ?? [];

  // green-p posts the same version: the answer is that of a collection without it.
  const same = await post(t, 'green-p', C.restricted, [original]);
  t.strictSame(same.successes, [{ id: id(original), version }], 'stored, with no "already present" that would reveal the hidden version');
  const mine = await get('green-p', `${base}objects/${id(original)}/`);
  t.strictSame(body(mine), [original], 'green-p reads back its own copy');
  const again = await post(t, 'green-p', C.restricted, [original]);
  t.match(again.successes?.[0]?.message ?? '', /already present/, 'its own copy is a duplicate for it');

  // clear-p posts other content under the same id and modified: no conflict, since it cannot see either copy.
  const changed = { ...original, name: 'clear-p says otherwise', object_marking_refs: [TLP.clear] };
  const other = await post(t, 'clear-p', C.restricted, [changed]);
  t.strictSame(other.successes, [{ id: id(original), version }], 'stored: not a conflict with versions it cannot see');
  t.strictSame(body(await get('clear-p', `${base}objects/${id(original)}/`)), [changed], 'clear-p reads its own content');
  const conflict = await post(t, 'clear-p', C.restricted, [{ ...changed, name: 'third text' }]);
  t.match(conflict.failures?.[0]?.message ?? '', /already stored with different content/, 'a conflict with its own copy is one');

  // A reader who sees every copy gets the version once: the earliest copy, as if the later posts had been re-posts.
  for (const reader of ['amber-p', 'noid-p']) {
    t.strictSame(body(await get(reader, `${base}objects/${id(original)}/`)), [original], `${reader}: one object, the first copy`);
    t.strictSame(body(await get(reader, `${base}objects/${id(original)}/?match[version]=all`)), [original], `${reader}: one version`);
    t.strictSame((await get(reader, `${base}objects/${id(original)}/versions/`)).json().versions, [version], `${reader}: versions lists it once`);
    t.strictSame(manifestVersions(await get(reader, `${base}manifest/?match[id]=${id(original)}&match[version]=all`)), [version], `${reader}: one manifest record`);
    t.equal(objectIds(await get(reader, `${base}objects/?match[version]=all`)).filter((x) => x === id(original)).length, 1, `${reader}: once in the collection listing`);
  }
  // green-p sees its own copy and clear-p's CLEAR one: the earlier of the two, its own.
  t.strictSame(body(await get('green-p', `${base}objects/${id(original)}/`)), [original], 'green-p: its own copy, the earliest it may see');

  // A delete removes every copy the caller may see, and no other.
  t.equal((await del('green-p', `${base}objects/${id(original)}/`)).statusCode, 200, 'green-p deletes');
  await assertInvisible(t, 'green-p', C.restricted, id(original), 'after its delete');
  await assertInvisible(t, 'clear-p', C.restricted, id(original), 'clear-p\'s copy was visible to green-p, so it went too');
  t.strictSame(body(await get('amber-p', `${base}objects/${id(original)}/`)), [original], 'noid-p\'s copy, hidden from green-p, stays');
});

t.test('LR5 and re-posts: re-posting a relationship hidden because it names a hidden object reveals nothing', async (t) => {
  const rm = recipientsMarking({ partners: ['red-a'] });
  const hidden = malware({ object_marking_refs: [TLP.red, id(rm)] });
  const source = marked(TLP.green);
  const rel = indicates(source, hidden);
  await postAll(t, 'noid-p', C.restricted, [rm, hidden, source, rel]);
  await assertInvisible(t, 'green-p', C.restricted, id(rel), 'relationship to a hidden malware');
  const status = await post(t, 'green-p', C.restricted, [rel]);
  t.strictSame(status.successes, [{ id: id(rel), version: rel.modified }], 'stored as green-p\'s own, not "already present"');
  await assertVisible(t, 'green-p', C.restricted, id(rel), 'its own copy');
  t.strictSame((await get('red-a', `${path(C.restricted)}objects/${id(rel)}/versions/`)).json().versions, [rel.modified], 'a reader who sees both: one version');
});

t.test('a partner with a write grant and no read grant learns nothing from its posts: every version but its own is not there for it', async (t) => {
  const shared = marked(TLP.clear); // CLEAR: green-p's clearance would allow it, its grant does not
  await postAll(t, 'noid-p', C.writeOnly, [shared]);
  t.equal((await get('green-p', `${path(C.writeOnly)}objects/${id(shared)}/`)).statusCode, 403, 'green-p may not read the collection');
  const status = await post(t, 'green-p', C.writeOnly, [shared, { ...marked(TLP.clear), id: id(shared), name: 'other text' }]);
  t.strictSame(status.successes, [{ id: id(shared), version: shared['modified'] }], 'stored as its own: not "already present"');
  t.match(status.failures?.[0]?.message ?? '', /already stored with different content/, 'the conflict is with its own copy, earlier in the same envelope');
  const again = await post(t, 'green-p', C.writeOnly, [shared]);
  t.match(again.successes?.[0]?.message ?? '', /already present/, 'its own copy is a duplicate for it');
  const readBack = await get('noid-p', `${path(C.writeOnly)}objects/${id(shared)}/?match[version]=all`);
  t.strictSame(objectIds(readBack), [id(shared)], 'a reader of the collection gets the version once');
});

t.test('issue "Recipients": a recipients marking counts only as defined in the collection written, as the poster may see it; an id taken elsewhere decides nothing', async (t) => {
  const markingId = `marking-definition--${randomUUID()}`;
  const definition = (partners: string[]) => ({ ...recipientsMarking({ partners }), id: markingId });
  // red-x defines the id first, in another collection, naming red-a.
  await postAll(t, 'red-x', C.paging, [definition(['red-a'])]);
  // red-n defines the same id in the restricted collection naming red-x, and marks a RED indicator with it.
  const red = marked(TLP.red, markingId);
  await postAll(t, 'red-n', C.restricted, [definition(['red-x']), red]);
  await assertVisible(t, 'red-x', C.restricted, id(red), 'a recipient by the definition in this collection');
  await assertInvisible(t, 'red-a', C.restricted, id(red), 'named only by the definition posted elsewhere');

  // Referencing a recipients marking defined only in another collection is referencing none.
  const elsewhere = marked(TLP.red, markingId);
  const refused = await post(t, 'red-n', C.deletes, [elsewhere]);
  t.match(refused.failures?.[0]?.message ?? '', /TLP:RED content needs a recipients marking/, 'RED with a marking this collection does not hold: refused');

  // A write-only partner cannot see a definition posted before it: its own, same id, decides for its objects.
  const hiddenId = `marking-definition--${randomUUID()}`;
  await postAll(t, 'noid-p', C.writeOnly, [{ ...recipientsMarking({ partners: ['clear-p'] }), id: hiddenId }]);
  const green = marked(TLP.green, hiddenId);
  const status = await post(t, 'green-p', C.writeOnly, [{ ...recipientsMarking({ partners: ['noid-p'] }), id: hiddenId }, green]);
  t.equal(status.success_count, 2, 'both stored; nothing said of the hidden definition');
  t.strictSame(objectIds(await get('noid-p', `${path(C.writeOnly)}objects/${id(green)}/`)), [id(green)], 'noid-p receives it: green-p named it');
});
