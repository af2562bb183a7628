/**
 * Issue 13: TLS terminated by the server itself, client certificates from a
 * configured CA (required, or requested), certificate and key re-read on SIGHUP
 * (reloadTls), and X-Forwarded-For taken from configured reverse proxies only.
 * Certificates are made for the test with openssl.
 */
import { execFileSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createPartnerAdmin } from '../../src/admin/partners.js';
import { reloadTls } from '../../src/http/tls.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { indicator } from '../helpers/stix.js';
import { C_RW, TAXII, TEST_ENV, basicAuth, createAppWithConfig, testConfigJson, type TestApp } from '../helpers/app.js';
import { httpCall } from '../helpers/http-client.js';

const dir = mkdtempSync(join(tmpdir(), 'taxii-tls-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

function authority(name: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`);
}
function issue(name: string, by: string, subject: string, extension?: string): void {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  if (extension !== undefined) writeFileSync(file(`${name}.ext`), extension);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${by}.crt`, '-CAkey', `${by}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2',
    ...(extension === undefined ? [] : ['-extfile', `${name}.ext`]));
}
authority('test-ca');
authority('other-ca');
issue('server', 'test-ca', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\n');
issue('renewed', 'test-ca', '/CN=127.0.0.1 renewed', 'subjectAltName=IP:127.0.0.1\n');
issue('alice', 'test-ca', '/CN=alice/O=Alice CSIRT');
issue('stranger', 'other-ca', '/CN=alice/O=Alice CSIRT');
issue('bob', 'test-ca', '/CN=bob');
issue('feed', 'test-ca', '/CN=feed', 'subjectAltName=DNS:Feed.Alice.example\n');
issue('nobody', 'test-ca', '/CN=nobody');

async function tlsApp(tls: Record<string, unknown>, partners: Record<string, Record<string, unknown>> = {}): Promise<{ app: TestApp; port: number }> {
  const config = testConfigJson();
  config['server'] = { ...(config['server'] as Record<string, unknown>), tls };
  config['partners'] = (config['partners'] as Record<string, unknown>[]).map((p) => ({ ...p, ...partners[p['id'] as string] }));
  const app = await createAppWithConfig(config, TEST_ENV);
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.app.server.address() as AddressInfo).port };
}

interface Answer {
  readonly status: number;
  readonly body: string;
  /** SHA-256 of the certificate the server presented. */
  readonly server: string;
}

async function get(port: number, path: string, options: RequestOptions = {}): Promise<Answer> {
  const answer = await httpCall({ ...options, port, path, tls: true, ca: readFileSync(file('test-ca.crt')) });
  return { status: answer.status, body: answer.text, server: answer.serverCertificate ?? '' };
}
/** The Docker image's HEALTHCHECK; its exit code. Run beside this process's event loop, which serves the app (spawnSync would block it). */
const healthcheck = (port: number, env: Record<string, string> = {}) =>
  new Promise<number | null>((resolve) => {
    spawn(process.execPath, [join(PROJECT_ROOT, 'bin/healthcheck.mjs')], { env: { TAXII_PORT: String(port), ...env }, stdio: 'ignore' }).once('exit', resolve);
  });

const as = (name: string) => ({ cert: readFileSync(file(`${name}.crt`)), key: readFileSync(file(`${name}.key`)) });
const fingerprint = (name: string) => new X509Certificate(readFileSync(file(`${name}.crt`))).fingerprint256;

t.test('TLS: the configured certificate; plain HTTP is not spoken', async (t) => {
  const { app, port } = await tlsApp({ cert: file('server.crt'), key: file('server.key') });
  t.teardown(() => app.close());
  const res = await get(port, '/healthz');
  t.match(res, { status: 200, server: fingerprint('server') });
  const discovery = await get(port, '/taxii2/', { headers: { accept: TAXII, authorization: basicAuth('alice') } });
  t.equal(discovery.status, 200, 'TAXII over TLS');
  const plain = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 'refused');
  t.not(plain, 200, 'no answer in plain HTTP');
  t.equal(await healthcheck(port), 0, 'the Docker image\'s HEALTHCHECK finds it over HTTPS');
});

t.test('client certificates required: only those the configured CA signed get a connection', async (t) => {
  copyFileSync(file('server.crt'), file('live.crt'));
  copyFileSync(file('server.key'), file('live.key'));
  const { app, port } = await tlsApp({ cert: file('live.crt'), key: file('live.key'), client_ca: file('test-ca.crt') });
  t.teardown(() => app.close());
  await t.rejects(get(port, '/healthz'), 'no certificate: no connection');
  await t.rejects(get(port, '/healthz', as('stranger')), 'a certificate of another CA: no connection');
  t.match(await get(port, '/healthz', as('alice')), { status: 200 });
  t.match(await get(port, '/taxii2/', { ...as('alice'), headers: { accept: TAXII, authorization: basicAuth('alice') } }), { status: 200 });
  t.equal(await healthcheck(port), 1, 'the Docker image\'s HEALTHCHECK without a certificate fails');
  t.equal(await healthcheck(port, { TAXII_HEALTHCHECK_CERT: file('nobody.crt'), TAXII_HEALTHCHECK_KEY: file('nobody.key') }), 0, 'and passes with one of the CA (naming no partner)');

  // SIGHUP: renewed files take effect for new connections, without a restart.
  copyFileSync(file('renewed.crt'), file('live.crt'));
  copyFileSync(file('renewed.key'), file('live.key'));
  const settings = app.config.server.tls;
  if (settings === undefined) throw new Error('no tls settings');
  reloadTls(app.app, settings);
  t.match(await get(port, '/healthz', as('alice')), { status: 200, server: fingerprint('renewed') }, 'the renewed certificate is presented');
  rmSync(file('live.key'));
  t.throws(() => reloadTls(app.app, settings), /server\.tls: cannot read .*live\.key/, 'an unreadable file is reported');
  t.match(await get(port, '/healthz', as('alice')), { status: 200, server: fingerprint('renewed') }, 'and the files in use stay');
});

t.test('client certificates requested: none is fine, one the CA did not sign is refused', async (t) => {
  const { app, port } = await tlsApp({ cert: file('server.crt'), key: file('server.key'), client_ca: file('test-ca.crt'), client_certificates: 'request' });
  t.teardown(() => app.close());
  t.match(await get(port, '/healthz'), { status: 200 }, 'no certificate');
  t.match(await get(port, '/healthz', as('alice')), { status: 200 }, 'the CA\'s certificate');
  const stranger = await get(port, '/healthz', as('stranger'));
  t.equal(stranger.status, 401, 'another CA\'s certificate');
  t.match(JSON.parse(stranger.body), { description: /not one the server's client CA signed/ });
});

t.test('certificates name partners: alone, or with the key when the partner requires both', async (t) => {
  const { app, port } = await tlsApp({ cert: file('server.crt'), key: file('server.key'), client_ca: file('test-ca.crt') }, {
    alice: { certificates: [{ subject: 'O=Alice CSIRT, CN=alice' }, { san: 'DNS:feed.alice.example' }] },
    bob: { certificates: [{ sha256: fingerprint('bob') }], require_certificate: true },
  });
  t.teardown(() => app.close());
  const discovery = (cert: string, partner?: string) =>
    get(port, '/main/collections/', { ...as(cert), headers: { accept: TAXII, ...(partner !== undefined && { authorization: basicAuth(partner) }) } });
  const collectionsOf = (answer: Answer) => (JSON.parse(answer.body) as { collections?: { id: string }[] }).collections?.map((c) => c.id).sort();
  const asAlice = await discovery('alice');
  t.equal(asAlice.status, 200, 'alice\'s certificate alone (by subject, in any order of its attributes)');
  t.same(collectionsOf(asAlice), collectionsOf(await discovery('alice', 'alice')), 'is alice, as her key is');
  t.equal((await discovery('feed')).status, 200, 'a certificate naming alice by a subject alternative name');
  t.equal((await discovery('bob', 'bob')).status, 200, 'bob with his certificate and key');
  const bobAlone = await discovery('bob');
  t.equal(bobAlone.status, 401, 'bob requires both: his certificate alone is refused');
  const bobWithAlices = await discovery('alice', 'bob');
  t.equal(bobWithAlices.status, 401, 'and so is his key with another certificate');
  t.match(JSON.parse(bobWithAlices.body), { description: /must also present its client certificate/ });
  const aliceWithOther = await discovery('nobody', 'alice');
  t.equal(aliceWithOther.status, 401, 'alice\'s key with a certificate that is not hers');
  t.match(JSON.parse(aliceWithOther.body), { description: /not one of the partner these credentials name/ });
  t.equal((await discovery('nobody')).status, 401, 'a certificate that names no partner');
  const dave = await get(port, '/taxii2/', { ...as('nobody'), headers: { accept: TAXII, authorization: basicAuth('dave') } });
  t.equal(dave.status, 200, 'a partner that names no certificate: its key, whatever the certificate');
});

t.test('a partner the command line or the admin API manages is named by its certificates too', async (t) => {
  const { app, port } = await tlsApp({ cert: file('server.crt'), key: file('server.key'), client_ca: file('test-ca.crt') });
  t.teardown(() => app.close());
  const admin = createPartnerAdmin(app.testDb.db);
  await admin.add('cert-nb', { name: 'nobody CSIRT', certificates: [`sha256:${fingerprint('nobody')}`] });
  const discovery = () => get(port, '/taxii2/', { ...as('nobody'), headers: { accept: TAXII } });
  t.equal((await discovery()).status, 200, 'its certificate alone');
  await admin.set('cert-nb', { requireCertificate: true });
  t.equal((await discovery()).status, 401, 'once it must present its key too, the certificate alone is refused');
  await admin.set('cert-nb', { certificates: [], requireCertificate: false });
  t.equal((await discovery()).status, 401, 'a certificate it no longer names');
});

t.test('X-Forwarded-For names the client only when it comes from a trusted proxy', async (t) => {
  const config = testConfigJson();
  config['server'] = { ...(config['server'] as Record<string, unknown>), trusted_proxies: ['10.0.0.0/8'] };
  const app = await createAppWithConfig(config, TEST_ENV);
  t.teardown(() => app.close());
  const read = async (remoteAddress: string) => {
    const res = await app.request('alice', {
      method: 'POST', url: `/main/collections/${C_RW}/objects/`, remoteAddress,
      headers: { 'content-type': TAXII, 'x-forwarded-for': '203.0.113.9' }, payload: JSON.stringify({ objects: [indicator()] }),
    });
    t.equal(res.statusCode, 202);
    return (await app.store.audit.find({ actor: 'alice', limit: 1 }))[0]?.address;
  };
  t.equal(await read('10.1.2.3'), '203.0.113.9', 'from the proxy: the client it names');
  t.equal(await read('192.0.2.7'), '192.0.2.7', 'from anywhere else: the connection\'s own address');
});
