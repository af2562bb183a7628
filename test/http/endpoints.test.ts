/** Every endpoint's success path, as a TAXII client sees it (taxii-2.1.md §4, §9, §10). */
import t from 'tap';
import { C_RO, C_RW, C_WO, TAXII, createTestApp } from '../helpers/app.js';
import { indicator, ipv4, malware, newVersion } from '../helpers/stix.js';

const ctx = await createTestApp();
t.teardown(() => ctx.close());
const RW = `/main/collections/${C_RW}/`;

t.test('E1 discovery lists the API roots the caller can use (T13, §9.1)', async (t) => {
  const res = await ctx.request('alice', { url: '/taxii2/' });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], TAXII, 'TR2: exact Content-Type');
  t.same(res.json(), { title: 'test server', default: '/main/', api_roots: ['/main/'] });
  const bob = await ctx.request('bob', { url: '/taxii2/' });
  t.same(bob.json().api_roots, ['/main/', '/other/']);
  const dave = await ctx.request('dave', { url: '/taxii2' });
  t.same(dave.json(), { title: 'test server' }, 'no roots and no default for a partner without grants');
});

t.test('E2 API root information (§9.2)', async (t) => {
  const res = await ctx.request('alice', { url: '/main/' });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { title: 'Main root', description: 'for tests', versions: [TAXII], max_content_length: 1048576 });
  t.equal((await ctx.request('alice', { url: '/other/' })).statusCode, 404, 'no grant in that root: 404');
  t.equal((await ctx.request('alice', { url: '/nope/' })).statusCode, 404);
});

t.test('E4/E5 collections show can_read/can_write for the caller, hide the rest (TR20, TR21)', async (t) => {
  const res = await ctx.request('alice', { url: '/main/collections/' });
  t.equal(res.statusCode, 200);
  const all = res.json().collections as { id: string; can_read: boolean; can_write: boolean; alias: string }[];
  const list = all.filter((c) => c.alias !== 'stix-definitions');
  t.same(all.filter((c) => c.alias === 'stix-definitions').map((c) => [c.can_read, c.can_write]), [[true, false]], 'the root serves its STIX definitions');
  t.same(list.map((c) => [c.id, c.can_read, c.can_write]), [
    [C_RW, true, true],
    [C_RO, true, false],
    [C_WO, false, true],
  ], 'stable order (T33), hidden collection absent');
  const one = await ctx.request('alice', { url: `/main/collections/${C_RO}/` });
  t.same(one.json(), { id: C_RO, title: 'Read-only', alias: 'ro', can_read: true, can_write: false, media_types: ['application/stix+json;version=2.1'] });
  const byAlias = await ctx.request('alice', { url: '/main/collections/rw/' });
  t.equal(byAlias.json().id, C_RW, 'alias resolves');
  const bob = await ctx.request('bob', { url: '/main/collections/' });
  t.same(
    bob.json().collections.filter((c: { alias?: string }) => c.alias !== 'stix-definitions').map((c: { id: string; can_write: boolean }) => [c.id, c.can_write]),
    [[C_RW, false], [C_RO, false]],
    'group grant',
  );
  const dave = await ctx.request('dave', { url: '/main/collections/' });
  t.equal(dave.statusCode, 404, 'root without grants is 404');
});

t.test('E8 add objects returns 202 and a complete status; E3 reads it back (T71, TR17, TR19)', async (t) => {
  const a = indicator();
  const b = ipv4('198.51.100.7');
  const res = await ctx.post('alice', RW, [a, b]);
  t.equal(res.statusCode, 202);
  t.equal(res.headers['content-type'], TAXII);
  const status = res.json();
  t.match(status, { status: 'complete', total_count: 2, success_count: 2, failure_count: 0, pending_count: 0 });
  t.equal(status.successes.length, 2);
  t.equal(status.successes[0].version, a['modified']);
  t.match(status.successes[1].version, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'SCO version is its date_added (TR10)');
  t.notOk('failures' in status, 'empty lists omitted');
  t.match(status.request_timestamp, /\.\d{6}Z$/);

  const again = await ctx.request('alice', { url: `/main/status/${status.id}/` });
  t.equal(again.statusCode, 200);
  t.same(again.json(), status);
  t.equal((await ctx.request('bob', { url: `/main/status/${status.id}/` })).statusCode, 404, 'TR19: only the submitter');

  const dup = await ctx.post('alice', RW, [a]);
  t.match(dup.json(), { success_count: 1, failure_count: 0, successes: [{ id: a['id'], message: /already present/ }] }, 'T71');
});

t.test('E7 get objects: latest versions in date_added order with headers (T31, T32, T45)', async (t) => {
  const m = malware();
  await ctx.post('alice', RW, [m]);
  await ctx.post('alice', RW, [newVersion(m, '2024-02-01T00:00:00.000Z', { name: 'renamed' })]);
  const res = await ctx.request('alice', { url: `${RW}objects/?match[id]=${m['id']}` });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.objects.length, 1);
  t.equal(body.objects[0].name, 'renamed');
  t.match(res.headers['x-taxii-date-added-first'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  t.equal(res.headers['x-taxii-date-added-first'], res.headers['x-taxii-date-added-last']);
  const all = await ctx.request('alice', { url: `${RW}objects/?match[id]=${m['id']}&match[version]=all` });
  t.same(all.json().objects.map((o: { modified: string }) => o.modified), ['2024-01-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z']);
  const first = await ctx.request('alice', { url: `${RW}objects/?match[id]=${m['id']}&match[version]=first` });
  t.same(first.json().objects.map((o: { modified: string }) => o.modified), ['2024-01-01T00:00:00.000Z']);
  const exact = await ctx.request('alice', { url: `${RW}objects/?match[id]=${m['id']}&match[version]=2024-02-01T00:00:00Z` });
  t.same(exact.json().objects.map((o: { modified: string }) => o.modified), ['2024-02-01T00:00:00.000Z'], 'TR9: instants, not strings');
  const none = await ctx.request('alice', { url: `${RW}objects/?match[type]=campaign` });
  t.equal(none.body, '{}', 'T58: empty envelope');
  t.notOk(none.headers['x-taxii-date-added-first'], 'TR4: no headers on an empty page');
});

t.test('E6 manifest: one record per selected version (§9.6)', async (t) => {
  const m = malware();
  await ctx.post('alice', RW, [m, newVersion(m, '2024-03-01T00:00:00.000Z')]);
  const res = await ctx.request('alice', { url: `${RW}manifest/?match[id]=${m['id']}&match[version]=all` });
  t.equal(res.statusCode, 200);
  const records = res.json().objects;
  t.equal(records.length, 2);
  t.same(Object.keys(records[0]).sort(), ['date_added', 'id', 'media_type', 'version']);
  t.equal(records[1].version, '2024-03-01T00:00:00.000Z');
  t.equal(records[0].media_type, 'application/stix+json;version=2.1');
  t.equal(res.headers['x-taxii-date-added-last'], records[1].date_added);
});

t.test('E9 get an object, E11 versions, E10 delete (TR25, TR26, TR27, T76)', async (t) => {
  const m = malware();
  await ctx.post('alice', RW, [m, newVersion(m, '2024-05-01T00:00:00.000Z')]);
  const url = `${RW}objects/${m['id']}/`;
  const one = await ctx.request('alice', { url });
  t.equal(one.statusCode, 200);
  t.equal(one.json().objects.length, 1);
  t.equal(one.json().objects[0].modified, '2024-05-01T00:00:00.000Z');
  const filtered = await ctx.request('alice', { url: `${url}?match[version]=2020-01-01T00:00:00.000Z` });
  t.equal(filtered.statusCode, 200);
  t.equal(filtered.body, '{}', 'known object, no version selected: {}');

  const versions = await ctx.request('alice', { url: `${url}versions/` });
  t.equal(versions.statusCode, 200);
  t.same(versions.json(), { versions: ['2024-01-01T00:00:00.000Z', '2024-05-01T00:00:00.000Z'] }, 'TR6: ascending');
  t.ok(versions.headers['x-taxii-date-added-first'], 'TR5');

  const delFirst = await ctx.request('alice', { method: 'DELETE', url: `${url}?match[version]=first` });
  t.equal(delFirst.statusCode, 200);
  t.equal(delFirst.body, '');
  t.equal(delFirst.headers['content-type'], TAXII, 'T19: even the bodiless 200');
  t.same((await ctx.request('alice', { url: `${url}versions/` })).json().versions, ['2024-05-01T00:00:00.000Z']);

  const del = await ctx.request('alice', { method: 'DELETE', url });
  t.equal(del.statusCode, 200);
  t.equal((await ctx.request('alice', { url })).statusCode, 404, 'T76');
  t.equal((await ctx.request('alice', { url: `${url}versions/` })).statusCode, 404);
  const manifest = await ctx.request('alice', { url: `${RW}manifest/?match[id]=${m['id']}` });
  t.equal(manifest.body, '{}', 'T76: manifest no longer lists it');
  t.equal((await ctx.request('alice', { method: 'DELETE', url })).statusCode, 404, 'TR27');
  t.equal((await ctx.request('alice', { url: `${RW}objects/malware--00000000-0000-4000-8000-000000000000/` })).statusCode, 404);
});

t.test('read-only and write-only collections (T64, T66, T70, T75)', async (t) => {
  const ro = `/main/collections/${C_RO}/`;
  const wo = `/main/collections/${C_WO}/`;
  t.equal((await ctx.post('alice', ro, [indicator()])).statusCode, 403);
  t.equal((await ctx.post('alice', wo, [indicator()])).statusCode, 202);
  t.equal((await ctx.request('alice', { url: `${wo}objects/` })).statusCode, 403);
  t.equal((await ctx.request('alice', { url: `${wo}manifest/` })).statusCode, 403);
  const del = await ctx.request('alice', { method: 'DELETE', url: `${ro}objects/indicator--00000000-0000-4000-8000-000000000000/` });
  t.equal(del.statusCode, 403, 'T75: read without write');
  const delWo = await ctx.request('alice', { method: 'DELETE', url: `${wo}objects/indicator--00000000-0000-4000-8000-000000000000/` });
  t.equal(delWo.statusCode, 403, 'T75: write without read');
});

t.test('objects come back byte for byte, custom properties included (S41, S44)', async (t) => {
  const id = 'x-acme-widget--2f9d6c7a-9f3e-4a7b-8b1e-0c2d3e4f5a6b';
  const raw = `{ "type":"x-acme-widget",  "spec_version":"2.1", "id":"${id}",\n "created":"2024-01-01T00:00:00.123456789Z","modified":"2024-01-01T00:00:00.123456789Z", "x_acme_score": 1.50, "x_acme_note":"caf\\u00e9 \\"quoted\\"" }`;
  const res = await ctx.request('alice', {
    method: 'POST',
    url: `${RW}objects/`,
    headers: { 'content-type': TAXII },
    payload: `{"objects":[${raw}]}`,
  });
  t.equal(res.json().success_count, 1);
  const back = await ctx.request('alice', { url: `${RW}objects/${id}/` });
  t.equal(back.body, `{"objects":[${raw}]}`);
});

t.test('every API root serves the STIX definitions it relies on, read-only (issue 4: recipients extension-definition)', async (t) => {
  const res = await ctx.request('bob', { url: '/main/collections/stix-definitions/objects/' });
  t.equal(res.statusCode, 200);
  const ids = (res.json().objects as { id: string }[]).map((o) => o.id);
  t.ok(ids.includes('extension-definition--b4f69bed-1fee-46d6-9ab7-274a05203997'), 'the recipients extension-definition');
  t.ok(ids.includes('marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1'), 'TLP 2.0 RED');
  t.ok(ids.includes('marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9'), 'TLP 1.0 WHITE');
  t.equal(ids.length, 12, '9 TLP markings, the TLP 2.0 and recipients extension-definitions, the project identity');
  const post = await ctx.post('alice', '/main/collections/stix-definitions/', [malware()]);
  t.equal(post.statusCode, 403, 'read-only');
  t.equal((await ctx.request('dave', { url: '/main/collections/stix-definitions/' })).statusCode, 404, 'not to partners without a grant in the root');
});
