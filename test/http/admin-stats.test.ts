/**
 * The admin API's figures for the web console (issue 15): the overview (objects,
 * versions and the TLP mix of the latest versions per collection; partners and
 * which were seen in the last 24 hours) and the traffic per UTC day and partner
 * (versions stored from its pushes, versions its pulls disclosed), with their
 * filters and every refusal. Admin credentials only, as the rest of the admin API.
 */
import t from 'tap';
import { ADMIN_KEY, C_OTHER, TAXII, basicAuth, createAdminTestApp, type Status } from '../helpers/app.js';
import { indicator, newVersion } from '../helpers/stix.js';
import { definitionObjects } from '../../src/policy/definitions.js';
import { TLP_IDS } from '../../src/stix/tlp.js';

const app = await createAdminTestApp();
t.teardown(() => app.close());

const ops = { authorization: basicAuth('ops', ADMIN_KEY), accept: 'application/json' };
const api = (url: string, headers: Record<string, string> = ops) => app.app.inject({ method: 'GET', url: `/admin/api${url}`, headers });

interface CollectionFigures {
  api_root: string;
  id: string;
  alias: string | null;
  title: string;
  objects: number;
  versions: number;
  tlp: Record<string, number>;
}
interface OverviewBody {
  generated_at: string;
  collections: CollectionFigures[];
  partners: { total: number; active: number; suspended: number; seen_last_24h: number };
}
interface TrafficBody {
  days: number;
  from: string;
  until: string;
  series: { day: string; partner: string; received: number; served: number }[];
}

/** A successful answer's body; anything else fails the test that asked. */
const answer = async <T>(url: string): Promise<T> => {
  const res = await api(url);
  if (res.statusCode !== 200) throw new Error(`GET /admin/api${url}: ${res.statusCode} ${res.body}`);
  return res.json() as T;
};
const overview = () => answer<OverviewBody>('/overview');
const traffic = (query = '') => answer<TrafficBody>(`/traffic${query}`);
const marked = (marking: string) => indicator({ object_marking_refs: [marking] });
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const NO_TLP = { clear: 0, green: 0, amber: 0, 'amber+strict': 0, red: 0, none: 0 };

// The seed. alice pushes to main/rw: one object per TLP level she may post (TLP:RED needs a
// recipients marking), two unmarked ones, then a second version of one unmarked object marked
// GREEN, a repeat (already present) and a broken object (refused). bob pushes one object to
// the other API root and pulls main/rw (cleared AMBER: everything but the AMBER+STRICT object).
const unmarked = indicator();
const objects = [marked(TLP_IDS.clear), marked(TLP_IDS.green), marked(TLP_IDS.amber), marked(TLP_IDS.amberStrict), unmarked, indicator()];
const firstPush = await app.post('alice', '/main/collections/rw/', objects);
const secondPush = await app.post('alice', '/main/collections/rw/', [
  newVersion(unmarked, '2024-02-01T00:00:00.000Z', { object_marking_refs: [TLP_IDS.green] }),
  objects[0],
  { type: 'indicator', spec_version: '2.1', id: 'indicator--not-a-uuid' },
]);
const bobPush = await app.post('bob', `/other/collections/${C_OTHER}/`, [indicator()]);
const bobPull = await app.request('bob', { url: '/main/collections/rw/objects/' });
const bobServed = (bobPull.json() as { objects: unknown[] }).objects.length;

t.test('the seed went as planned', async (t) => {
  t.match(firstPush.json() as Status, { success_count: 6, failure_count: 0 });
  t.match(secondPush.json() as Status, { success_count: 2, failure_count: 1 }, 'a new version and a repeat stored or present, one refused');
  t.match(bobPush.json() as Status, { success_count: 1 });
  t.equal(bobPull.statusCode, 200);
  t.equal(bobServed, 5, 'bob (AMBER) receives every latest version but the AMBER+STRICT one');
});

t.test('overview: objects, versions and the TLP mix of latest versions per collection', async (t) => {
  const body = await overview();
  t.match(body.generated_at, TIMESTAMP, 'RFC 3339 with microseconds');
  const byName = new Map(body.collections.map((c) => [`${c.api_root}/${c.alias ?? c.id}`, c]));
  t.strictSame(byName.get('main/rw'), {
    api_root: 'main', id: '11111111-1111-4111-8111-111111111111', alias: 'rw', title: 'Read-write', objects: 6, versions: 7,
    tlp: { clear: 1, green: 2, amber: 1, 'amber+strict': 1, red: 0, none: 1 },
  }, 'the second version of the unmarked object counts as GREEN, its first only among versions');
  t.match(byName.get(`other/${C_OTHER}`), { alias: null, title: 'Other', objects: 1, versions: 1, tlp: { ...NO_TLP, none: 1 } });
  for (const empty of ['main/ro', 'main/wo', 'main/44444444-4444-4444-8444-444444444444']) {
    t.match(byName.get(empty), { objects: 0, versions: 0, tlp: NO_TLP }, `${empty}: listed, empty`);
  }
  for (const c of body.collections) {
    t.equal(Object.values(c.tlp).reduce((a, b) => a + b, 0), c.objects, `${c.api_root}/${c.alias ?? c.id}: one latest version per object`);
  }
  const definitions = body.collections.filter((c) => c.alias === 'stix-definitions');
  t.same(definitions.map((c) => c.api_root), ['main', 'other'], 'each root\'s definitions collection, holding objects');
  const defined = definitionObjects().length;
  t.ok(definitions.every((c) => c.objects === defined && c.versions === defined), `the ${defined} definitions the server relies on`);
  t.ok(definitions.every((c) => c.tlp['none'] === defined), 'marking definitions carry no marking of their own');
  t.same(body.collections.filter((c) => c.api_root === 'main' && c.alias !== 'stix-definitions').map((c) => c.title), ['Hidden', 'Read-only', 'Read-write', 'Write-only'], 'by API root, then title');
});

t.test('overview: partners, and who was seen in the last 24 hours', async (t) => {
  t.strictSame((await overview()).partners, { total: 4, active: 3, suspended: 1, seen_last_24h: 2 }, 'alice and bob; carol is suspended, dave silent');
  const added = await app.app.inject({
    method: 'POST', url: '/admin/api/partners', headers: { ...ops, 'content-type': 'application/json' }, payload: JSON.stringify({ id: 'erin', name: 'Erin' }),
  });
  t.equal(added.statusCode, 201);
  t.strictSame((await overview()).partners, { total: 5, active: 4, suspended: 1, seen_last_24h: 2 });
  await app.app.inject({ method: 'PATCH', url: '/admin/api/partners/erin', headers: { ...ops, 'content-type': 'application/json' }, payload: '{"status":"suspended"}' });
  t.strictSame((await overview()).partners, { total: 5, active: 3, suspended: 2, seen_last_24h: 2 }, 'as the database says now');
});

t.test('traffic: per UTC day and partner, stored versions received and versions served', async (t) => {
  const body = await traffic();
  const today = body.until.slice(0, 10);
  t.equal(body.days, 30);
  t.match(body.until, TIMESTAMP);
  t.equal(body.from, `${new Date(Date.parse(`${today}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10)}T00:00:00.000000Z`, 'midnight UTC, 29 days before today');
  t.strictSame(body.series, [
    { day: today, partner: 'alice', received: 7, served: 0 },
    { day: today, partner: 'bob', received: 1, served: bobServed },
  ], 'six and one stored; the repeat and the refused one not counted');

  const oneDay = await traffic('?days=1');
  t.equal(oneDay.from, `${today}T00:00:00.000000Z`, 'one day: today');
  t.strictSame(oneDay.series, body.series);
  t.equal((await traffic('?days=366')).days, 366);
});

t.test('traffic: the partner and collection filters', async (t) => {
  t.strictSame((await traffic('?partner=bob')).series.map((s) => [s.partner, s.received, s.served]), [['bob', 1, 5]]);
  t.strictSame((await traffic('?collection=main/rw')).series.map((s) => [s.partner, s.received, s.served]), [['alice', 7, 0], ['bob', 0, 5]], 'by alias');
  t.strictSame((await traffic(`?collection=other/${C_OTHER}`)).series.map((s) => [s.partner, s.received, s.served]), [['bob', 1, 0]], 'by id');
  t.strictSame((await traffic('?collection=main/rw&partner=alice&days=7')).series.map((s) => [s.partner, s.received, s.served]), [['alice', 7, 0]], 'combined');
  t.strictSame((await traffic('?partner=dave')).series, [], 'a partner without traffic: nothing listed');
  t.strictSame((await traffic('?collection=main/ro')).series, [], 'a collection without traffic: nothing listed');
});

t.test('refusals: clear errors', async (t) => {
  const cases: [string, number, RegExp][] = [
    ['/traffic?days=0', 400, /days "0": a whole number from 1 to 366/],
    ['/traffic?days=367', 400, /days "367": a whole number from 1 to 366/],
    ['/traffic?days=1.5', 400, /days "1.5"/],
    ['/traffic?days=-1', 400, /days "-1"/],
    ['/traffic?days=abc', 400, /days "abc"/],
    ['/traffic?days=', 400, /days "": a whole number/],
    ['/traffic?days=1&days=2', 400, /days: given more than once/],
    ['/traffic?colour=red', 400, /colour: not a parameter here \(parameters: days, partner, collection\)/],
    ['/overview?days=1', 400, /days: not a parameter here \(this resource takes none\)/],
    ['/traffic?collection=rw', 400, /collection "rw": give it as API-ROOT\/ALIAS-OR-ID/],
    ['/traffic?collection=main/none', 404, /no collection none in API root main/],
    ['/traffic?collection=nowhere/rw', 404, /no collection rw in API root nowhere/],
    ['/traffic?partner=nobody', 404, /no partner "nobody", and nothing recorded for it/],
  ];
  for (const [url, status, description] of cases) {
    const res = await api(url);
    t.equal(res.statusCode, status, url);
    t.match(res.json(), { http_status: String(status), description }, url);
  }
});

t.test('admin credentials only', async (t) => {
  for (const url of ['/overview', '/traffic']) {
    t.equal((await api(url, { accept: 'application/json' })).statusCode, 401, `${url}: no credentials`);
    const partner = await api(url, { accept: 'application/json', authorization: basicAuth('alice') });
    t.equal(partner.statusCode, 401, `${url}: a partner's credentials`);
    t.match(partner.json(), { description: /partner credentials are not accepted here/ });
    t.equal((await app.request('alice', { url: `/admin/api${url}`, headers: { accept: TAXII } })).statusCode, 401, `${url}: with TAXII's Accept too`);
  }
});

t.test('activity: when each partner last pulled and pushed', async (t) => {
  const res = await api('/activity');
  t.equal(res.statusCode, 200, res.body);
  const partners = (res.json() as { partners: { partner: string; last_pull: string | null; last_push: string | null }[] }).partners;
  const bob = partners.find((p) => p.partner === 'bob');
  t.match(bob, { last_pull: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, last_push: /^\d{4}-/ }, 'bob pulled and pushed');
  t.match(partners.find((p) => p.partner === 'alice'), { last_push: /^\d{4}-/ }, 'alice pushed');
  t.notOk(partners.some((p) => p.partner === 'dave'), 'a partner that never did either is not listed');
  t.equal((await api('/activity?x=1')).statusCode, 400, 'no parameters');
});
