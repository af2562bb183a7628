/**
 * A collection's objects for an operator (issue 15, the console's objects page):
 * the latest versions by type, an object's stored versions with their markings, and
 * for a partner whether it receives each version and why, in the read rule's words.
 */
import t from 'tap';
import { TLP_IDS } from '../../src/stix/tlp.js';
import { ADMIN_KEY, C_RW, basicAuth, createAdminTestApp } from '../helpers/app.js';
import { indicator, newVersion } from '../helpers/stix.js';

const app = await createAdminTestApp();
t.teardown(() => app.close());

const ops = { authorization: basicAuth('ops', ADMIN_KEY), accept: 'application/json' };
const get = (url: string) => app.app.inject({ url: `/admin/api/collections/main/rw${url}`, headers: ops });

const green = indicator({ object_marking_refs: [TLP_IDS.green] });
const strict = indicator({ object_marking_refs: [TLP_IDS.amberStrict] });
const unmarked = indicator();
const seeded = await app.post('alice', `/main/collections/${C_RW}/`, [green, strict, unmarked, newVersion(unmarked, '2024-02-01T00:00:00.000Z')]);
if (seeded.json().success_count !== 4) throw new Error(`seeding failed: ${seeded.body}`);

type Version = { version: string; submitted_by: string; tlp: string | null; object: { id: string }; access?: { partner: string; receives: boolean; decision: string; because: string } };
const versionsOf = async (id: unknown, partner?: string): Promise<Version[]> =>
  ((await get(`/objects/${String(id)}${partner === undefined ? '' : `?partner=${partner}`}`)).json() as { versions: Version[] }).versions;

t.test('the latest version of each object, newest first, of one type or all', async (t) => {
  const res = await get('/objects?type=indicator');
  t.equal(res.statusCode, 200, res.body);
  const objects = (res.json() as { objects: { id: string; tlp: string | null; version: string }[] }).objects;
  t.same(objects.map((o) => o.id), [unmarked['id'], strict['id'], green['id']]);
  t.same(objects.map((o) => o.tlp), [null, 'amber+strict', 'green']);
  t.equal(objects[0]?.version, '2024-02-01T00:00:00.000Z', 'the latest version');
  t.equal(((await get('/objects?limit=1')).json() as { objects: unknown[] }).objects.length, 1, 'limit');
  t.same(((await get('/objects?type=malware')).json() as { objects: unknown[] }).objects, [], 'none of a type');
});

t.test('an object\'s versions as stored, oldest first, with their markings', async (t) => {
  const versions = await versionsOf(unmarked['id']);
  t.same(versions.map((v) => v.version), ['2024-01-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z']);
  t.match(versions[0], { submitted_by: 'alice', tlp: null, granular_tlp: null, recipients: null, object: { id: unmarked['id'], type: 'indicator' } });
  t.equal(versions[0]?.access, undefined, 'no partner asked about');
});

t.test('whether a partner receives each version, and why, in the read rule\'s words', async (t) => {
  t.match((await versionsOf(strict['id'], 'bob'))[0]?.access, {
    partner: 'bob', receives: false, decision: 'above-clearance', because: /^the version is TLP:AMBER\+STRICT, above bob's clearance TLP:AMBER$/,
  });
  t.match((await versionsOf(green['id'], 'bob'))[0]?.access, { receives: true, decision: 'cleared', because: /within bob's clearance TLP:AMBER/ });
  t.match((await versionsOf(unmarked['id'], 'bob'))[0]?.access, { receives: true, because: /unmarked, so the collection's default TLP:AMBER/ });
  t.match((await versionsOf(strict['id'], 'alice'))[0]?.access, { receives: true, decision: 'own-submission' });
  t.match((await versionsOf(green['id'], 'carol'))[0]?.access, { receives: false, decision: 'suspended' });
  t.match((await versionsOf(green['id'], 'dave'))[0]?.access, { receives: false, decision: 'no-grant', because: 'dave holds no grant on this collection' });
});

t.test('every refusal is a clear error', async (t) => {
  const cases: [string, number, RegExp][] = [
    ['/objects?type=Not_A_Type', 400, /a STIX type name/],
    ['/objects?limit=0', 400, /a whole number from 1 to 1000/],
    ['/objects?color=red', 400, /color: not a parameter here/],
    ['/objects/not-an-id', 400, /a STIX identifier/],
    ['/objects/indicator--00000000-0000-4000-8000-000000000000', 404, /no object indicator--0{8}/],
    [`/objects/${String(green['id'])}?partner=nobody`, 404, /no partner "nobody"/],
    [`/objects/${String(green['id'])}?partner=a&partner=b`, 400, /given more than once/],
  ];
  for (const [url, status, description] of cases) {
    const res = await get(url);
    t.equal(res.statusCode, status, url);
    t.match(res.json(), { description }, url);
  }
  t.equal((await app.app.inject({ url: '/admin/api/collections/main/nope/objects', headers: ops })).statusCode, 404, 'an unknown collection');
  t.equal((await app.app.inject({ url: '/admin/api/collections/main/rw/objects', headers: { authorization: basicAuth('alice') } })).statusCode, 401, 'partner credentials');
});

t.test('recent refusals: each refused version with the reason its partner was given, newest first', async (t) => {
  const broken = indicator({ pattern: "[file:name MATCHES '(unclosed']" });
  const conflicting = { ...green, name: 'the same version, other content' };
  const posted = await app.post('alice', `/main/collections/${C_RW}/`, [broken, indicator(), conflicting]);
  t.match(posted.json(), { success_count: 1, failure_count: 2 });
  const res = await get('/refusals');
  t.equal(res.statusCode, 200, res.body);
  const refusals = (res.json() as { refusals: { partner: string; id: string; reason: string }[] }).refusals;
  t.match(refusals.slice(0, 2), [
    { partner: 'alice', id: broken['id'], reason: /^indicator\.pattern: MATCHES needs a PCRE regular expression/ },
    { partner: 'alice', id: green['id'], reason: /already stored with different content/ },
  ]);
  t.equal(((await get('/refusals?limit=1')).json() as { refusals: unknown[] }).refusals.length, 1, 'limit');
  t.equal((await get('/refusals?limit=0')).statusCode, 400);
  t.equal((await get('/refusals?since=x')).statusCode, 400);
});
