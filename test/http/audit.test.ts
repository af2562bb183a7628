/**
 * The audit trail (issue 12): every TAXII read records exactly the versions it
 * served (objects, object, versions, manifest, each page of `next`), for what that
 * reader may see; pushes record every version with its outcome; deletes and
 * administration changes are recorded; a read whose record cannot be written is
 * refused with 503 and serves nothing; `audit` answers "who received this
 * object?"; retention removes old events in bounded batches.
 */
import t from 'tap';
import { createCollectionAdmin } from '../../src/admin/collections.js';
import { createPartnerAdmin } from '../../src/admin/partners.js';
import type { AuditRecord } from '../../src/store/audit-store.js';
import { TAXII, TEST_ENV, basicAuth, createAppWithConfig, testConfigJson } from '../helpers/app.js';
import { runAdmin } from '../helpers/captured-output.js';
import { indicator, newVersion } from '../helpers/stix.js';

const GREEN = 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb';
const AMBER = 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421';

const app = await createAppWithConfig(testConfigJson(), TEST_ENV);
t.teardown(() => app.close());
const { db } = app.testDb;
const audit = app.store.audit;

await createCollectionAdmin(db).add('main', { title: 'Audited', alias: 'audited' });
await createCollectionAdmin(db).grant('alice', 'main/audited', { read: true, write: true });
const { key: ginaKey } = await createPartnerAdmin(db).add('gina', { name: 'Gina', clearance: 'green' });
await createCollectionAdmin(db).grant('gina', 'main/audited', { read: true, write: false });

const green = Array.from({ length: 3 }, () => indicator({ object_marking_refs: [GREEN] }));
const amber = Array.from({ length: 2 }, () => indicator({ object_marking_refs: [AMBER] }));
const revised = newVersion(green[0] as Record<string, unknown>, '2024-06-01T00:00:00.000Z');
const posted = await app.post('alice', '/main/collections/audited/', [...green, ...amber, revised]);
t.equal(posted.statusCode, 202);

const cli = (...argv: string[]) => runAdmin(db, ...argv);

const latest = async (actor: string): Promise<AuditRecord | undefined> => (await audit.find({ actor, limit: 1 }))[0];
const count = async () => (await audit.find({ limit: 10_000 })).length;
const as = (partner: string) => ({ accept: TAXII, authorization: partner === 'gina' ? basicAuth('gina', ginaKey.secret) : basicAuth(partner) });
const get = (partner: string, url: string) => app.app.inject({ url, headers: as(partner) });
const pairs = (objects: Record<string, unknown>[]) => objects.map((o) => `${o['id'] as string} ${o['modified'] as string}`);
const recorded = (r: AuditRecord | undefined) => (r === undefined ? [] : r.objectIds.map((id, i) => `${id} ${r.versions[i] ?? ''}`));

t.test('a push records every version sent, with its outcome', async (t) => {
  const push = await latest('alice');
  t.match(push, { actorKind: 'partner', action: 'push', via: 'add-objects', apiRoot: 'main', collection: 'audited', address: '127.0.0.1' });
  t.equal(push?.objectIds.length, 6);
  t.same(push?.outcomes, ['stored', 'stored', 'stored', 'stored', 'stored', 'stored']);
  t.match(push, { detail: { status_id: (posted.json() as { id: string }).id } }, 'naming the status resource the partner got');
  t.match(push?.requestId, /^[0-9a-f-]{36}$/, 'and the request id');
  await app.post('alice', '/main/collections/audited/', [green[1] as Record<string, unknown>, { type: 'indicator', id: 'nonsense' }]);
  t.same((await latest('alice'))?.outcomes, ['present', 'refused'], 'already present and refused are told apart');
  const odd = await app.post('alice', '/main/collections/audited/', [{ type: 'indicator', id: 'a\u0000b\u0001c' }]);
  t.equal(odd.statusCode, 202);
  t.same((await latest('alice'))?.objectIds, ['a\ufffdb\ufffdc'], 'a refused id PostgreSQL cannot hold is recorded legibly');
});

t.test('objects, across next pages: each page records exactly what it served', async (t) => {
  let next: string | undefined;
  let pages = 0;
  const served: string[] = [];
  do {
    const before = await count();
    const res = await get('alice', `/main/collections/audited/objects/?limit=2&match[version]=all${next === undefined ? '' : `&next=${next}`}`);
    const body = res.json() as { objects: Record<string, unknown>[]; next?: string };
    const event = await latest('alice');
    t.equal(await count(), before + 1, `page ${++pages}: one event`);
    t.match(event, { action: 'pull', via: 'objects', collection: 'audited' });
    t.same(recorded(event), pairs(body.objects), `page ${pages}: the versions it served`);
    served.push(...pairs(body.objects));
    next = body.next;
  } while (next !== undefined);
  t.equal(served.length, 6, 'every version, once');
  t.ok(pages >= 3);
});

t.test('a reader with a lower clearance is recorded receiving only what it received', async (t) => {
  const res = await get('gina', '/main/collections/audited/objects/?match[version]=all');
  const body = res.json() as { objects: Record<string, unknown>[] };
  t.equal(body.objects.length, 4, 'green only');
  t.same(recorded(await latest('gina')), pairs(body.objects));
  for (const a of amber) t.notOk((await latest('gina'))?.objectIds.includes(a['id'] as string), 'no amber object named');
});

t.test('object, versions and manifest record what they disclose; an empty answer records nothing', async (t) => {
  const id = green[0]?.['id'] as string;
  const object = (await get('alice', `/main/collections/audited/objects/${id}/?match[version]=all`)).json() as { objects: Record<string, unknown>[] };
  t.match(await latest('alice'), { via: 'object' });
  t.same(recorded(await latest('alice')), pairs(object.objects));

  const versions = (await get('alice', `/main/collections/audited/objects/${id}/versions/`)).json() as { versions: string[] };
  t.match(await latest('alice'), { via: 'versions' });
  t.same(recorded(await latest('alice')), versions.versions.map((v) => `${id} ${v}`));

  const manifest = (await get('alice', '/main/collections/audited/manifest/?limit=3')).json() as { objects: { id: string; version: string }[] };
  t.match(await latest('alice'), { via: 'manifest' });
  t.same(recorded(await latest('alice')), manifest.objects.map((m) => `${m.id} ${m.version}`));

  const before = await count();
  const empty = await get('alice', '/main/collections/audited/objects/?added_after=2999-01-01T00:00:00Z');
  t.equal(empty.statusCode, 200);
  t.equal(await count(), before, 'nothing served, nothing recorded');
  const head = await app.app.inject({ method: 'HEAD', url: '/main/collections/audited/objects/', headers: as('alice') });
  t.equal(head.statusCode, 200);
  t.equal(await count(), before, 'HEAD sends no object: nothing recorded');
});

t.test('audit --object: who received it, which versions, when', async (t) => {
  const id = green[0]?.['id'] as string;
  const run = await cli('audit', '--object', id);
  t.equal(run.status, 0, run.err);
  t.match(run.out, /partner gina pull via objects main\/audited: (2024-06-01T00:00:00.000Z, 2024-01-01T00:00:00.000Z|2024-01-01T00:00:00.000Z, 2024-06-01T00:00:00.000Z) from 127\.0\.0\.1 request /);
  t.match(run.out, /partner alice pull via versions main\/audited: 2024-01-01T00:00:00.000Z, 2024-06-01T00:00:00.000Z/);
  t.match(run.out, /partner alice push via add-objects main\/audited: 2024-01-01T00:00:00.000Z stored/);
  const json = JSON.parse((await cli('audit', '--object', id, '--json')).out) as { actor: string; objects: { id: string }[] }[];
  t.ok(json.every((e) => e.objects.every((o) => o.id === id)), 'only that object is named');
  t.same([...new Set(json.map((e) => e.actor))].sort(), ['alice', 'gina'], 'everyone who received or sent it');

  const amberId = amber[0]?.['id'] as string;
  const amberJson = JSON.parse((await cli('audit', '--object', amberId, '--json')).out) as { actor: string }[];
  t.notOk(amberJson.some((e) => e.actor === 'gina'), 'gina never received the amber one');

  const byPartner = await cli('audit', '--partner', 'gina', '--since', '2000-01-01T00:00:00Z');
  t.match(byPartner.out, /partner gina pull via objects main\/audited 4 version\(s\)/);
  t.match(await cli('audit', '--collection', 'main/audited', '--limit', '1'), { status: 0, out: /^\S+ partner (alice|gina) / });
  t.match(await cli('audit', '--partner', 'nobody'), { status: 1, err: /no partner "nobody", and nothing recorded for it/ });
  t.match(await cli('audit', '--object', 'not-an-id'), { status: 1, err: /object "not-an-id": a STIX identifier/ });
  t.match(await cli('audit', '--since', 'yesterday'), { status: 1, err: /since "yesterday"/ });
  t.match(await cli('audit', '--limit', 'ten'), { status: 2, err: /--limit takes a whole number/ });
  t.match(await cli('audit', '--limit', '0'), { status: 1, err: /limit: a whole number from 1 to 10000/ });
  t.match(await cli('audit', '--collection', 'main/none'), { status: 1, err: /no collection none/ });
  t.match(await cli('audit', '--partner', 'gina', '--until', '2000-01-01T00:00:00Z'), { status: 0, out: 'nothing recorded that matches\n' });
});

t.test('deletes and administration changes are recorded; looking is not', async (t) => {
  const id = amber[1]?.['id'] as string;
  const deleted = await app.app.inject({ method: 'DELETE', url: `/main/collections/audited/objects/${id}/`, headers: as('alice') });
  t.equal(deleted.statusCode, 200);
  t.match(await latest('alice'), { action: 'delete', via: 'delete', objectIds: [id], versions: ['2024-01-01T00:00:00.000Z'] }, 'naming the versions deleted');
  const history = await audit.find({ objectId: id, limit: 100 });
  t.same([...new Set(history.map((e) => e.action))].sort(), ['delete', 'pull', 'push'], 'who received it is still known once it is gone');

  t.equal((await cli('partner', 'suspend', 'gina')).status, 0);
  t.match(await latest('cli:test'), { actorKind: 'admin', action: 'admin', via: 'partner suspend', address: 'local', detail: { arguments: ['gina'] } });
  const before = await count();
  await cli('partner', 'list');
  await cli('partner', 'show', 'gina');
  await cli('audit', '--partner', 'gina');
  t.equal(await count(), before, 'list, show and audit leave no trace');
  await cli('partner', 'resume', 'gina');
});

t.test('a read whose record cannot be written is refused with 503, and serves nothing', async (t) => {
  let freshId = '';
  await db.query('ALTER TABLE audit_events ADD CONSTRAINT audit_test_refuses CHECK (false) NOT VALID', [], { name: 'test_break_audit' });
  try {
    const res = await get('alice', '/main/collections/audited/objects/');
    t.equal(res.statusCode, 503);
    t.equal(res.headers['retry-after'], '5');
    t.match(res.json(), { title: 'Service unavailable', description: /could not record this request in its audit trail/ });
    t.notMatch(res.body, green[0]?.['id'] as string, 'no object in the answer');
    const fresh = indicator();
    const push = await app.post('alice', '/main/collections/audited/', [fresh]);
    t.equal(push.statusCode, 503, 'a push it cannot record is refused');
    freshId = fresh['id'] as string;
    const refusedOnly = await app.post('alice', '/main/collections/audited/', [{ type: 'indicator', id: 'nonsense' }]);
    t.equal(refusedOnly.statusCode, 503, 'even one that stores nothing');
    const del = await app.app.inject({ method: 'DELETE', url: `/main/collections/audited/objects/${green[2]?.['id'] as string}/`, headers: as('alice') });
    t.equal(del.statusCode, 503, 'and a delete');
  } finally {
    await db.query('ALTER TABLE audit_events DROP CONSTRAINT audit_test_refuses', [], { name: 'test_mend_audit' });
  }
  t.equal((await get('alice', '/main/collections/audited/objects/')).statusCode, 200, 'served again once it can be recorded');
  const stored = await audit.find({ objectId: green[2]?.['id'] as string, limit: 100 });
  t.ok(stored.length > 0);
  t.equal((await get('alice', `/main/collections/audited/objects/${green[2]?.['id'] as string}/`)).statusCode, 200, 'the refused delete deleted nothing');
  t.same((await get('alice', `/main/collections/audited/manifest/?match[id]=${freshId}`)).json(), {}, 'the refused push stored nothing');
});

t.test('retention: old events go, oldest first, in bounded batches', async (t) => {
  const total = await count();
  await db.query('UPDATE audit_events SET at = 1 WHERE id IN (SELECT id FROM audit_events ORDER BY id LIMIT 5)', [], { name: 'test_age_audit' });
  t.equal(await audit.purge(1000, 3), 3, 'at most a batch');
  t.equal(await audit.purge(1000, 3), 2);
  t.equal(await audit.purge(1000, 3), 0);
  t.equal(await count(), total - 5, 'the rest stays');
});

t.test('partners have no way to the audit trail', async (t) => {
  for (const url of ['/admin/api/audit', '/main/audit/', '/audit']) {
    const res = await get('alice', url);
    t.ok([401, 403, 404].includes(res.statusCode), `${url}: ${res.statusCode}`);
    t.notMatch(res.body, 'add-objects');
  }
});

t.test('turned off (to measure its cost), TAXII requests are not recorded', async (t) => {
  const config = testConfigJson();
  config['server'] = { ...(config['server'] as Record<string, unknown>), audit: { enabled: false } };
  const off = await createAppWithConfig(config, TEST_ENV);
  t.teardown(() => off.close());
  t.equal((await off.post('alice', '/main/collections/rw/', [indicator()])).statusCode, 202);
  t.equal((await off.request('alice', { url: '/main/collections/rw/objects/' })).statusCode, 200);
  t.same(await off.store.audit.find({ limit: 10 }), [], 'nothing recorded');
});

t.test('a read commits its record unflushed unless flush_reads says otherwise, and only that statement does', async (t) => {
  t.equal((await get('alice', '/main/collections/audited/objects/')).statusCode, 200);
  for (let i = 0; i < 3; i += 1) {
    const [setting] = await db.query<{ synchronous_commit: string }>('SHOW synchronous_commit', [], { name: 'test_show_commit' });
    t.equal(setting?.synchronous_commit, 'on', 'the next statement on the connection commits flushed again');
  }
  const config = testConfigJson();
  config['server'] = { ...(config['server'] as Record<string, unknown>), audit: { flush_reads: true } };
  const flushing = await createAppWithConfig(config, TEST_ENV);
  t.teardown(() => flushing.close());
  t.equal((await flushing.post('alice', '/main/collections/rw/', [indicator()])).statusCode, 202);
  t.equal((await flushing.request('alice', { url: '/main/collections/rw/objects/' })).statusCode, 200);
  t.match((await flushing.store.audit.find({ actor: 'alice', limit: 1 }))[0], { action: 'pull', via: 'objects', objectIds: [/^indicator--/] }, 'reads are recorded the same way');
});
