/**
 * The admin API (issue 12): off unless configured; admin credentials only (never
 * a partner's, and an admin is not a partner on the TAXII side); the command
 * line's operations as JSON, through the same services, each change recorded in
 * the audit trail; every refusal a clear error.
 */
import t from 'tap';
import type { InjectOptions } from 'fastify';
import { ADMIN_KEY, TAXII, basicAuth, createAdminTestApp, createTestApp } from '../helpers/app.js';
import { indicator } from '../helpers/stix.js';

const app = await createAdminTestApp();
t.teardown(() => app.close());

const ops = { authorization: basicAuth('ops', ADMIN_KEY), accept: 'application/json' };
const api = (method: InjectOptions['method'], url: string, payload?: unknown, headers: Record<string, string> = ops) =>
  app.app.inject({
    method, url: `/admin/api${url}`, headers: { ...headers, ...(payload !== undefined && { 'content-type': 'application/json' }) },
    ...(payload !== undefined && { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
  });
const taxii = (partner: string, key: string, url = '/taxii2/') => app.app.inject({ url, headers: { accept: TAXII, authorization: basicAuth(partner, key) } });

t.test('off unless configured', async (t) => {
  const plain = await createTestApp();
  t.teardown(() => plain.close());
  const res = await plain.app.inject({ url: '/admin/api/partners', headers: ops });
  t.not(res.statusCode, 200);
  t.equal((await plain.request('alice', { url: '/admin/api/partners' })).statusCode, 404, 'a partner finds nothing there');
});

t.test('admin credentials only, and only here', async (t) => {
  t.equal((await api('GET', '/partners', undefined, { accept: 'application/json' })).statusCode, 401, 'none');
  t.equal((await api('GET', '/partners', undefined, { authorization: basicAuth('ops', 'wrong-key-00000000000') })).statusCode, 401, 'a wrong key');
  const partner = await api('GET', '/partners', undefined, { authorization: basicAuth('alice') });
  t.equal(partner.statusCode, 401, 'a partner\'s credentials');
  t.match(partner.json(), { description: /partner credentials are not accepted here/ });
  t.equal((await taxii('ops', ADMIN_KEY)).statusCode, 401, 'an admin is not a partner on the TAXII side');
  const ok = await api('GET', '/partners');
  t.equal(ok.statusCode, 200);
  t.match(ok.headers['content-type'], /^application\/json/);
});

let erinKey = '';
let erinKeyId = '';

t.test('partners: add, list, show, set, suspend, resume', async (t) => {
  const added = await api('POST', '/partners', { id: 'erin', name: 'Erin', clearance: 'green', communities: ['eu'] });
  t.equal(added.statusCode, 201, added.body);
  const body = added.json() as { partner: Record<string, unknown>; key: { id: string; secret: string } };
  t.match(body.partner, { id: 'erin', name: 'Erin', status: 'active', clearance: 'green', communities: ['eu'], managed_by: 'administration' });
  [erinKey, erinKeyId] = [body.key.secret, body.key.id];
  t.equal((await taxii('erin', erinKey)).statusCode, 200, 'the new key works over TAXII');

  t.ok(((await api('GET', '/partners')).json() as { partners: { id: string }[] }).partners.some((p) => p.id === 'erin'));
  t.match((await api('GET', '/partners/erin')).json(), { id: 'erin', keys: [{ id: erinKeyId, revoked: null }], groups: [], grants: [] });

  t.match((await api('PATCH', '/partners/erin', { clearance: 'amber', status: 'suspended' })).json(), { clearance: 'amber', status: 'suspended' });
  t.equal((await taxii('erin', erinKey)).statusCode, 401, 'suspended: refused on its next request');
  t.match((await api('PATCH', '/partners/erin', { status: 'active' })).json(), { status: 'active' });
  t.equal((await taxii('erin', erinKey)).statusCode, 200);
  t.match((await api('PATCH', '/partners/erin', { certificates: ['san:DNS:Feed.Erin.example'], require_certificate: true })).json(), {
    certificates: ['san:dns:feed.erin.example'], require_certificate: true,
  }, 'client certificates, canonical');
  t.equal((await taxii('erin', erinKey)).statusCode, 401, 'its key alone is refused once it must present its certificate');
  t.match((await api('PATCH', '/partners/erin', { certificates: [], require_certificate: false })).json(), { certificates: [], require_certificate: false });
  t.equal((await taxii('erin', erinKey)).statusCode, 200);
});

t.test('keys: a new one, the old one revoked', async (t) => {
  const res = await api('POST', '/partners/erin/keys');
  t.equal(res.statusCode, 201);
  const fresh = (res.json() as { key: { secret: string } }).key.secret;
  t.equal((await api('DELETE', `/partners/erin/keys/${erinKeyId}`)).statusCode, 204);
  t.equal((await taxii('erin', erinKey)).statusCode, 401, 'the revoked key is refused');
  t.equal((await taxii('erin', fresh)).statusCode, 200, 'the new one works');
  erinKey = fresh;
});

t.test('collections, grants and groups', async (t) => {
  const created = await api('POST', '/collections', { api_root: 'main', title: 'Phishing', alias: 'phishing', default_tlp: 'green', max_tlp: 'amber' });
  t.equal(created.statusCode, 201, created.body);
  t.match(created.json(), { api_root: 'main', alias: 'phishing', default_tlp: 'green', max_tlp: 'amber', grants: [], managed_by: 'administration' });
  t.match((await api('PUT', '/collections/main/phishing/grants/erin', { read: true, write: true })).json(), { grants: [{ to: 'erin', read: true, write: true }] });
  t.equal((await taxii('erin', erinKey, '/main/collections/phishing/')).statusCode, 200, 'served to erin on its next request');
  t.match((await api('PATCH', '/collections/main/phishing', { title: 'Phishing (TLP:GREEN)' })).json(), { title: 'Phishing (TLP:GREEN)' });
  t.match((await api('GET', '/collections/main/phishing')).json(), { title: 'Phishing (TLP:GREEN)' });
  t.ok(((await api('GET', '/collections?api_root=main')).json() as { collections: { alias: string }[] }).collections.some((c) => c.alias === 'phishing'));

  t.match((await api('POST', '/groups', { id: 'analysts' })).json(), { id: 'analysts', members: [] });
  t.match((await api('PUT', '/groups/analysts/members/bob')).json(), { members: ['bob'] });
  await api('PUT', '/collections/main/phishing/grants/@analysts', { read: true });
  t.equal((await app.request('bob', { url: '/main/collections/phishing/' })).statusCode, 200, 'a grant to a group reaches its members');
  t.match((await api('DELETE', '/groups/analysts/members/bob')).json(), { members: [] });
  t.match((await api('DELETE', '/collections/main/phishing/grants/erin')).json(), { grants: [{ to: '@analysts' }] });
  t.equal((await taxii('erin', erinKey, '/main/collections/phishing/')).statusCode, 404, 'revoked: gone on the next request');
});

t.test('the audit trail: queries, and every change recorded as the admin', async (t) => {
  await api('PUT', '/collections/main/phishing/grants/erin', { read: true, write: true });
  const object = indicator();
  await app.app.inject({
    method: 'POST', url: '/main/collections/phishing/objects/', payload: JSON.stringify({ objects: [object] }),
    headers: { accept: TAXII, 'content-type': TAXII, authorization: basicAuth('erin', erinKey) },
  });
  await taxii('erin', erinKey, '/main/collections/phishing/objects/');
  const byObject = (await api('GET', `/audit?object=${object['id'] as string}`)).json() as { events: { actor: string; action: string; objects: { id: string }[] }[] };
  t.same(byObject.events.map((e) => `${e.actor} ${e.action}`), ['erin pull', 'erin push'], 'who received and who sent it');
  t.ok(byObject.events.every((e) => e.objects.every((o) => o.id === object['id'])));
  const changes = (await api('GET', '/audit?partner=api:ops&limit=50')).json() as { events: { via: string; actor_kind: string; request_id: string }[] };
  t.ok(changes.events.length >= 10, `${changes.events.length} changes`);
  t.ok(changes.events.every((e) => e.actor_kind === 'admin' && e.request_id.length === 36));
  for (const via of ['partner add', 'partner set', 'key add', 'key revoke', 'collection add', 'collection set', 'grant', 'revoke', 'group add', 'group add-member', 'group remove-member']) {
    t.ok(changes.events.some((e) => e.via === via), `${via} recorded`);
  }
  t.notMatch(JSON.stringify(changes), erinKey, 'no key in the trail');
  const collection = (await api('GET', '/audit?collection=main/phishing&limit=1')).json() as { events: unknown[] };
  t.equal(collection.events.length, 1);
});

t.test('refusals: clear errors, nothing changed', async (t) => {
  const cases: [InjectOptions['method'], string, unknown, number, RegExp][] = [
    ['POST', '/partners', '{"id": ', 400, /not valid JSON/],
    ['POST', '/partners', [1, 2], 400, /must be a JSON object/],
    ['POST', '/partners', { id: 'x1' }, 400, /name: required/],
    ['POST', '/partners', { name: 'no id' }, 400, /id: required/],
    ['POST', '/partners', { id: 'x2', name: 'X', colour: 'red' }, 400, /colour: not a field here/],
    ['POST', '/partners', { id: 'x3', name: 'X', communities: 'eu' }, 400, /communities: a list of strings/],
    ['POST', '/partners', { id: 'x4', name: 'X', clearance: 'purple' }, 400, /clearance "purple"/],
    ['POST', '/partners', { id: 'erin', name: 'Erin again' }, 409, /erin/],
    ['PATCH', '/partners/alice', { name: 'Alice renamed' }, 409, /defined in the configuration file/],
    ['PATCH', '/partners/erin', { status: 'gone' }, 400, /status: active or suspended/],
    ['PATCH', '/partners/erin', { certificates: ['CN=erin'] }, 400, /certificate "CN=erin": sha256:<64 hex digits>, subject:/],
    ['PATCH', '/partners/erin', { require_certificate: 'yes' }, 400, /require_certificate: true or false/],
    ['PATCH', '/partners/erin', { require_certificate: true }, 400, /names no certificate to present/],
    ['GET', '/partners/nobody', undefined, 404, /no partner nobody/],
    ['DELETE', '/partners/erin/keys/k-none', undefined, 404, /k-none/],
    ['POST', '/partners/erin/tokens', { ttl: '1h' }, 409, /JWT authentication is not configured/],
    ['POST', '/collections', { title: 'No root' }, 400, /api_root: required/],
    ['PUT', '/collections/main/phishing/grants/erin', { read: 'yes' }, 400, /read: true or false/],
    ['GET', '/collections/main/none', undefined, 404, /no collection none/],
    ['GET', '/audit?colour=red', undefined, 400, /colour: not a parameter here/],
    ['GET', '/audit?since=yesterday', undefined, 400, /since "yesterday"/],
    ['GET', '/nothing-here', undefined, 404, /./],
  ];
  for (const [method, url, payload, status, description] of cases) {
    const res = await api(method, url, payload);
    t.equal(res.statusCode, status, `${method} ${url} ${JSON.stringify(payload) ?? ''}`);
    t.match(res.json(), { http_status: String(status), description }, `${method} ${url}`);
  }
  t.notOk(((await api('GET', '/partners')).json() as { partners: { id: string }[] }).partners.some((p) => p.id.startsWith('x')), 'nothing half-made');
});
