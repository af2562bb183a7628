/**
 * Collections, groups and grants without the configuration file (issue 12),
 * through the admin service with the real application answering the partners: a
 * collection created and granted is served on the next request with the settings
 * given, a grant through a group works, a revoked grant is gone on the next
 * request, the API root's definitions collection follows the grants, and the
 * file's collections, groups and grants are not changed from the command line.
 */
import t from 'tap';
import { createCollectionAdmin } from '../../src/admin/collections.js';
import { parseConfig } from '../../src/config/load-config.js';
import { applyConfig } from '../../src/store/config-sync.js';
import { refusal } from '../helpers/refusal.js';
import { C_RW, TEST_ENV, createAppWithConfig, testConfigJson } from '../helpers/app.js';
import { indicator } from '../helpers/stix.js';

const config = testConfigJson();
const app = await createAppWithConfig(config, TEST_ENV);
t.teardown(() => app.close());
const admin = createCollectionAdmin(app.testDb.db);

const collectionsOf = async (partner: string) =>
  ((await app.request(partner, { url: '/main/collections/' })).json().collections ?? []) as { alias?: string; can_read: boolean; can_write: boolean }[];

t.test('a collection created and granted is served with its settings on the next request', async (t) => {
  const created = await admin.add('main', { title: 'Ransomware', alias: 'ransomware', defaultTlp: 'green', maxTlp: 'amber', validation: 'strict' });
  t.match(created, { apiRoot: 'main', alias: 'ransomware', defaultTlp: 1, maxTlp: 2, validation: 'strict', granular: 'withhold', managedBy: 'admin', grants: [] });
  t.notOk((await collectionsOf('dave')).some((c) => c.alias === 'ransomware'), 'nobody sees it before a grant');
  await admin.grant('dave', 'main/ransomware', { read: true, write: true });
  t.match((await collectionsOf('dave')).find((c) => c.alias === 'ransomware'), { can_read: true, can_write: true });
  t.ok((await collectionsOf('dave')).some((c) => c.alias === 'stix-definitions'), "the root's definitions collection follows the grant");
  const post = await app.post('dave', '/main/collections/ransomware/', [indicator({ x_custom: 1 }), indicator({ object_marking_refs: ['marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed'] })]);
  t.match(post.json(), { success_count: 0, failure_count: 2 }, 'strict validation and the maximum TLP apply');
});

t.test('groups: a grant to a group reaches its members; the file\'s groups are the file\'s', async (t) => {
  t.match(await admin.addGroup('analysts'), { id: 'analysts', managedBy: 'admin', members: [] });
  t.match(await admin.addMember('analysts', 'alice'), { members: ['alice'] });
  await admin.grant('@analysts', 'main/ransomware', { read: true, write: false });
  t.match((await collectionsOf('alice')).find((c) => c.alias === 'ransomware'), { can_read: true, can_write: false });
  t.match(await refusal(admin.addMember('readers', 'alice')), { status: 409, description: /group readers is defined in the configuration file/ });
  t.match(await refusal(admin.addMember('analysts', 'alice')), { status: 409, description: 'alice is a member of analysts already' });
  t.match(await admin.removeMember('analysts', 'alice'), { members: [] });
  t.notOk((await collectionsOf('alice')).some((c) => c.alias === 'ransomware'), 'out of the group, out of the collection');
});

t.test('revoke: the command line takes back its own grants only', async (t) => {
  await admin.grant('bob', `main/${C_RW}`, { read: false, write: true });
  t.match((await collectionsOf('bob')).find((c) => c.alias === 'rw'), { can_read: true, can_write: true }, 'a grant on a file collection adds to the file\'s');
  await admin.revoke('bob', 'main/rw');
  t.match((await collectionsOf('bob')).find((c) => c.alias === 'rw'), { can_read: true, can_write: false }, 'revoked on the next request; the file\'s grant stays');
  t.match(await refusal(admin.revoke('alice', 'main/rw')), { status: 409, description: /alice is granted main\/rw in the configuration file/ });
  await admin.revoke('dave', 'main/ransomware');
  t.notOk((await collectionsOf('dave')).some((c) => c.alias === 'ransomware'));
  t.notOk((await collectionsOf('dave')).some((c) => c.alias === 'stix-definitions'), 'and so is the definitions collection');
});

t.test('refusals', async (t) => {
  t.match(await refusal(admin.add('main', {})), { status: 400, description: 'title: required (--title)' });
  t.match(await refusal(admin.add('nowhere', { title: 'x' })), { status: 404, description: /no API root nowhere/ });
  t.match(await refusal(admin.add('main', { title: 'x', alias: 'ransomware' })), { status: 409, description: 'alias ransomware is taken in API root main' });
  t.match(await refusal(admin.add('main', { title: 'x', alias: 'Bad Alias' })), { status: 400, description: /alias "Bad Alias"/ });
  t.match(await refusal(admin.add('main', { title: 'x', defaultTlp: 'red', maxTlp: 'green' })), { status: 400, description: /default TLP \(red\) is above the maximum \(green\)/ });
  t.match(await refusal(admin.add('main', { title: 'x', validation: 'lax' })), { status: 400, description: /validation "lax"/ });
  t.match(await refusal(admin.set('main/rw', { title: 'renamed' })), { status: 409, description: /defined in the configuration file/ });
  t.match(await refusal(admin.set('main', { title: 'x' })), { status: 400, description: /API-ROOT\/ALIAS-OR-ID/ });
  t.match(await refusal(admin.grant('nobody', 'main/ransomware', { read: true, write: false })), { status: 404, description: /no partner nobody/ });
  t.match(await refusal(admin.grant('@nogroup', 'main/ransomware', { read: true, write: false })), { status: 404, description: 'no group nogroup' });
  t.match(await refusal(admin.grant('dave', 'main/ransomware', { read: false, write: false })), { status: 400 });
  t.match(await refusal(admin.show('main/none')), { status: 404, description: 'no collection none in API root main' });
  t.match(await admin.set('main/ransomware', { title: 'Ransomware (TLP:GREEN)', alias: '' }), { title: 'Ransomware (TLP:GREEN)', alias: null });
});

t.test('apply-config leaves the command line\'s collections, groups and grants alone', async (t) => {
  const created = (await admin.list('main')).find((c) => c.managedBy === 'admin');
  await admin.grant('dave', `main/${created?.id ?? ''}`, { read: true, write: false });
  await applyConfig(app.testDb.db, await parseConfig(JSON.stringify(config), 'file.json', TEST_ENV));
  const after = await admin.show(`main/${created?.id ?? ''}`);
  t.equal(after.title, 'Ransomware (TLP:GREEN)');
  t.same(after.grants.map((g) => [g.to, g.read, g.write, g.managedBy]), [['@analysts', true, false, 'admin'], ['dave', true, false, 'admin']]);
  t.ok((await collectionsOf('dave')).some((c) => c.alias === 'stix-definitions'), 'the definitions grants are derived again from every grant');
});
