/**
 * Onboarding partners and rotating keys without the configuration file (issue 12),
 * through the admin service on the test database (PGlite, or PostgreSQL in CI's
 * second run), with the real application answering the partner: a new partner
 * authenticates with the key printed once, a revoked key and a suspended partner
 * are refused on the next request, and apply-config and the command line never
 * change each other's partners.
 */
import t from 'tap';
import { createPartnerAdmin } from '../../src/admin/partners.js';
import { issueToken, parseTtl } from '../../src/admin/tokens.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ManagedElsewhere, applyConfig } from '../../src/store/config-sync.js';
import { refusal } from '../helpers/refusal.js';
import { TEST_ENV, createAppWithConfig, testConfigJson } from '../helpers/app.js';

const config = testConfigJson({ jwt: true });
const keys: Record<string, string> = {};
const app = await createAppWithConfig(config, TEST_ENV, { keys });
t.teardown(() => app.close());
const admin = createPartnerAdmin(app.testDb.db);
const discovery = (partner: string) => app.request(partner, { url: '/taxii2/' });

t.test('partner add: the key is printed once, stored hashed, and authenticates', async (t) => {
  const { partner, key } = await admin.add('cert-de', { name: 'CERT-DE', clearance: 'green', communities: ['eu', 'eu'] });
  t.match(partner, { id: 'cert-de', name: 'CERT-DE', status: 'active', clearance: 1, communities: ['eu'], managedBy: 'admin' });
  t.match(key.id, /^k[0-9a-f]{10}$/);
  t.ok(key.secret.length >= 40, 'a long random key');
  const stored = await app.testDb.db.query<{ hash: string }>('SELECT hash FROM partner_keys WHERE partner_id = $1', ['cert-de']);
  t.equal(stored.length, 1);
  t.notMatch(stored[0]?.hash ?? '', key.secret, 'only the hash is stored');
  t.match(stored[0]?.hash, /^scrypt\$/);
  keys['cert-de'] = key.secret;
  t.equal((await discovery('cert-de')).statusCode, 200, 'the new partner is served');
});

t.test('refusals: one line, the right kind', async (t) => {
  t.match(await refusal(admin.add('cert-de', { name: 'again' })), { status: 409, description: 'partner cert-de exists already' });
  t.match(await refusal(admin.add('alice', { name: 'x' })), { status: 409, description: 'partner alice exists already (in the configuration file)' });
  t.match(await refusal(admin.add('bad id', { name: 'x' })), { status: 400, description: /^partner id "bad id": letters/ });
  t.match(await refusal(admin.add('x1', {})), { status: 400, description: 'name: required (--name)' });
  t.match(await refusal(admin.add('x2', { name: 'X', clearance: 'purple' })), { status: 400, description: /clearance "purple": one of clear/ });
  t.match(await refusal(admin.add('x3', { name: 'X', communities: ['a b'] })), { status: 400, description: /community "a b"/ });
  t.match(await refusal(admin.add('x4', { name: 'X', identity: 'identity--nope' })), { status: 400, description: /identity "identity--nope"/ });
  t.match(await refusal(admin.set('alice', { clearance: 'red' })), { status: 409, description: /alice is defined in the configuration file: change it there and run apply-config/ });
  t.match(await refusal(admin.suspend('nobody')), { status: 404, description: 'no partner nobody' });
  t.match(await refusal(admin.revokeKey('cert-de', 'k0000000000')), { status: 404, description: 'partner cert-de has no active key k0000000000' });
  t.match(await refusal(admin.addKey('bob')), { status: 409 }, 'keys of file partners are the file\'s');
  t.same((await admin.list()).map((p) => p.id), ['alice', 'bob', 'carol', 'cert-de', 'dave'], 'nothing was created by a refusal');
});

t.test('key rotation: add, switch, revoke; the old key is refused on its next request', async (t) => {
  const old = keys['cert-de'] as string;
  const fresh = await admin.addKey('cert-de');
  keys['cert-de'] = fresh.secret;
  t.equal((await discovery('cert-de')).statusCode, 200, 'the new key works');
  keys['cert-de'] = old;
  t.equal((await discovery('cert-de')).statusCode, 200, 'the old one too, until revoked (and it is cached now)');
  const detail = await admin.show('cert-de');
  const oldId = detail.keys.find((k) => k.id !== fresh.id)?.id as string;
  await admin.revokeKey('cert-de', oldId);
  t.equal((await discovery('cert-de')).statusCode, 401, 'a revoked key is refused on the next request, cache or not');
  keys['cert-de'] = fresh.secret;
  t.equal((await discovery('cert-de')).statusCode, 200);
  t.match((await admin.show('cert-de')).keys, [{ id: oldId, revokedAt: Number }, { id: fresh.id, revokedAt: null }]);
});

t.test('suspend, resume, set', async (t) => {
  t.match(await admin.suspend('cert-de'), { status: 'suspended' });
  t.equal((await discovery('cert-de')).statusCode, 401, 'suspended: refused on the next request');
  t.match(await admin.resume('cert-de'), { status: 'active' });
  t.equal((await discovery('cert-de')).statusCode, 200);
  t.match(await admin.set('cert-de', { clearance: 'amber', communities: ['nato'], name: 'CERT Germany' }), { clearance: 2, communities: ['nato'], name: 'CERT Germany' });
  t.match(await admin.set('cert-de', { identity: 'identity--0c8a3f52-7a5e-4c1f-9a59-5f4e0d3b6a21' }), { identity: 'identity--0c8a3f52-7a5e-4c1f-9a59-5f4e0d3b6a21', clearance: 2 });
  t.match(await admin.set('cert-de', { identity: null }), { identity: null }, 'an identity can be cleared');
});

t.test('apply-config and the command line keep to their own partners', async (t) => {
  const apply = (json: Record<string, unknown>) => parseConfig(JSON.stringify(json), 'file.json', TEST_ENV).then((c) => applyConfig(app.testDb.db, c));
  await apply(config);
  t.match(await admin.show('cert-de'), { status: 'active', managedBy: 'admin' }, 'a file without cert-de leaves it alone');
  t.equal((await discovery('cert-de')).statusCode, 200);
  const claiming = structuredClone(config);
  (claiming['partners'] as Record<string, unknown>[]).push({ id: 'cert-de', name: 'from the file', api_keys: [{ env: 'TEST_KEY_DAVE' }] });
  const err = await apply(claiming).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof ManagedElsewhere, 'a file naming a command-line partner is refused whole');
  t.match((err as Error).message, /configuration not applied: partner cert-de \(created with the taxii-exchange command line/);
  t.match(await admin.show('cert-de'), { name: 'CERT Germany' }, 'and changed nothing');
});

t.test('token issue: a JWT the server accepts, for an active partner, for a bounded time', async (t) => {
  const jwt = app.config.auth.jwt;
  const bearer = (token: string) => app.app.inject({ url: '/taxii2/', headers: { accept: 'application/taxii+json;version=2.1', authorization: `Bearer ${token}` } });
  const issued = await issueToken(app.testDb.db, jwt, 'cert-de', parseTtl('1h'));
  t.equal((await bearer(issued.token)).statusCode, 200, 'accepted by the server');
  t.ok(Math.abs(issued.expiresAt - (Date.now() + 3_600_000)) < 60_000);
  const stale = await issueToken(app.testDb.db, jwt, 'cert-de', 3600, Date.now() - 2 * 3_600_000);
  t.equal((await bearer(stale.token)).statusCode, 401, 'an expired one is not');
  await admin.suspend('cert-de');
  t.match(await refusal(issueToken(app.testDb.db, jwt, 'cert-de', 60)), { status: 409, description: 'partner cert-de is suspended: its tokens would be refused' });
  t.equal((await bearer(issued.token)).statusCode, 401, 'and its tokens are refused while it is suspended');
  await admin.resume('cert-de');
  t.match(await refusal(issueToken(app.testDb.db, jwt, 'nobody', 60)), { status: 404 });
  t.match(await refusal(issueToken(app.testDb.db, undefined, 'cert-de', 60)), { status: 409, description: /JWT authentication is not configured/ });
  t.match(await refusal(issueToken(app.testDb.db, { algorithm: 'RS256', key: 'public' }, 'cert-de', 60)), { status: 409, description: /holds only the public key/ });
  t.same(['90s', '15m', '1h', '7d'].map(parseTtl), [90, 900, 3600, 604800]);
  for (const bad of ['1w', '0h', '-1h', 'h', '31d', '1.5h']) t.throws(() => parseTtl(bad), new RegExp(`ttl "${bad.replace('.', '\\.')}"`), `ttl ${bad}`);
});

t.test('client certificates: canonical, each naming one partner, required only with one to present', async (t) => {
  const feed = 'subject:CN=feed';
  await admin.add('cert-feed', { name: 'feed', certificates: [feed] });
  t.match(await refusal(admin.add('cert-copy', { name: 'copy', certificates: ['subject: cn = feed'] })), {
    status: 409, description: 'a certificate given names partner cert-feed already: a certificate names one partner',
  }, 'a certificate names one partner, however its subject is written');
  t.match(await refusal(admin.add('cert-copy', { name: 'copy', requireCertificate: true })), { status: 400, description: /names no certificate to present/ });
  t.match(await refusal(admin.set('cert-feed', { certificates: ['sha256:abc'] })), { status: 400, description: /^certificate "sha256:abc": sha256:<64 hex digits>/ });
  t.notOk((await admin.list()).some((p) => p.id === 'cert-copy'), 'nothing was created by a refusal');
  t.match(await admin.set('cert-feed', { certificates: [feed, feed], requireCertificate: true }), { certificates: [feed], requireCertificate: true }, 'its own certificate again, once');
  t.match(await refusal(admin.set('cert-feed', { certificates: [] })), { status: 400, description: /names no certificate to present/ }, 'not while it must present one');
});
