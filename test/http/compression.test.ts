/** Response compression and content-coded request bodies (RFC 9110 §8.4, §12.5.3, §15.5.16). */
import Fastify from 'fastify';
import t from 'tap';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { COMPRESSION_MIN_BYTES, negotiateEncoding, registerCompression } from '../../src/http/compression.js';
import { C_HIDDEN, C_RW, TAXII, createTestApp } from '../helpers/app.js';
import { indicator, malware } from '../helpers/stix.js';

const ctx = await createTestApp();
t.teardown(() => ctx.close());
const RW = `/main/collections/${C_RW}/`;

// A full page of 1000 objects and no `next` (its token would differ between two requests).
const PAGE_SIZE = 1000;
for (let i = 0; i < PAGE_SIZE; i += 250) {
  const batch = Array.from({ length: 250 }, (_, j) =>
    indicator({ name: `C2 server ${i + j}`, description: `Beaconing host ${i + j} seen in campaign ${(i + j) % 7}.`, pattern: `[ipv4-addr:value = '198.51.${(i + j) % 256}.${j}']` }),
  );
  const res = await ctx.post('alice', RW, batch);
  if (res.json().success_count !== 250) throw new Error(`set-up failed: ${res.body}`);
}
const PAGE = `${RW}objects/?limit=${PAGE_SIZE}`;
const identity = await ctx.request('alice', { url: PAGE });

const getPage = (acceptEncoding: string) => ctx.request('alice', { url: PAGE, headers: { 'accept-encoding': acceptEncoding } });

t.test('the set-up page is large, complete and identity-coded without Accept-Encoding', async (t) => {
  t.equal(identity.statusCode, 200);
  t.equal(identity.json().objects.length, PAGE_SIZE);
  t.notOk(identity.json().more);
  t.ok(identity.rawPayload.length > 200_000, `${identity.rawPayload.length} bytes`);
  t.notOk(identity.headers['content-encoding'], 'no Accept-Encoding: identity');
  t.equal(identity.headers['content-length'], String(identity.rawPayload.length));
  t.equal(identity.headers['vary'], 'Accept-Encoding', 'caches still key the page on Accept-Encoding');
});

t.test('gzip: decodes to exactly the identity body, headers kept', async (t) => {
  const res = await getPage('gzip');
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-encoding'], 'gzip');
  t.equal(res.headers['vary'], 'Accept-Encoding');
  t.equal(res.headers['content-type'], TAXII, 'TR2: exact Content-Type');
  t.equal(res.headers['content-length'], String(res.rawPayload.length), 'Content-Length of the coded body');
  t.ok(res.rawPayload.length * 3 < identity.rawPayload.length, `coded ${res.rawPayload.length} bytes of ${identity.rawPayload.length}`);
  t.ok(gunzipSync(res.rawPayload).equals(identity.rawPayload), 'byte for byte');
  t.match(res.headers['x-taxii-date-added-first'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  t.equal(res.headers['x-taxii-date-added-first'], identity.headers['x-taxii-date-added-first']);
  t.equal(res.headers['x-taxii-date-added-last'], identity.headers['x-taxii-date-added-last']);
});

t.test('br: decodes to exactly the identity body', async (t) => {
  const res = await getPage('br');
  t.equal(res.headers['content-encoding'], 'br');
  t.equal(res.headers['content-length'], String(res.rawPayload.length));
  t.ok(brotliDecompressSync(res.rawPayload).equals(identity.rawPayload), 'byte for byte');
  t.equal(res.headers['x-taxii-date-added-last'], identity.headers['x-taxii-date-added-last']);
});

t.test('q-values choose the coding (RFC 9110 §12.5.3)', async (t) => {
  const cases: [string | undefined, string | undefined][] = [
    [undefined, undefined],
    ['', undefined],
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, br', 'br'],
    ['br, gzip', 'br'],
    ['gzip, deflate, br, zstd', 'br'],
    ['br;q=0.5, gzip', 'gzip'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['gzip;q=0', undefined],
    ['gzip;q=0, br', 'br'],
    ['gzip;q=0.001', 'gzip'],
    ['GZIP ; Q = 0.5', 'gzip'],
    ['x-gzip', 'gzip'],
    ['deflate', undefined],
    ['identity', undefined],
    ['*', 'br'],
    ['*;q=0', undefined],
    ['*;q=0, gzip', 'gzip'],
    ['*, br;q=0', 'gzip'],
    ['*;q=0.3, identity', undefined],
    ['gzip;q=0.5, identity', undefined],
    ['gzip, identity;q=0.5', 'gzip'],
    ['gzip;q=0.5, identity;q=0.5', 'gzip'],
    ['identity;q=0, *;q=0', undefined],
    ['gzip;q=bogus', undefined],
    ['gzip;q=1.5', undefined],
    ['gzip;q=0.5, gzip;q=0', 'gzip'],
    ['gzip;level=9', 'gzip'],
    ['br;q=1.000, gzip;q=1', 'br'],
    ['  ,, gzip  ,', 'gzip'],
  ];
  for (const [header, expected] of cases) t.equal(negotiateEncoding(header), expected, `${JSON.stringify(header)} -> ${expected ?? 'identity'}`);

  const picked = async (header: string) => (await getPage(header)).headers['content-encoding'];
  t.equal(await picked('br;q=0.5, gzip'), 'gzip');
  t.equal(await picked('gzip;q=0'), undefined, 'gzip;q=0: not gzip');
  t.equal(await picked('gzip;q=0, br'), 'br');
  t.equal(await picked('*'), 'br');
  const refused = await getPage('identity;q=0, *;q=0');
  t.equal(refused.statusCode, 200, 'refusing every coding still gets the page');
  t.equal(refused.headers['content-encoding'], undefined, 'in identity');
  t.ok(refused.rawPayload.equals(identity.rawPayload));
});

t.test('small bodies are sent as they are, with Vary', async (t) => {
  const root = await ctx.request('alice', { url: '/main/', headers: { 'accept-encoding': 'gzip, br' } });
  t.equal(root.statusCode, 200);
  t.ok(root.rawPayload.length < COMPRESSION_MIN_BYTES);
  t.notOk(root.headers['content-encoding']);
  t.equal(root.headers['vary'], 'Accept-Encoding');
  t.equal(root.headers['content-length'], String(root.rawPayload.length));
  t.same(root.json().title, 'Main root');

  const empty = await ctx.request('alice', { url: `${RW}objects/?match[type]=campaign`, headers: { 'accept-encoding': 'gzip' } });
  t.equal(empty.body, '{}', 'T58: empty envelope, uncoded');
  t.notOk(empty.headers['content-encoding']);

  const missing = await ctx.request('alice', { url: `/main/collections/${C_HIDDEN}/objects/`, headers: { 'accept-encoding': 'gzip' } });
  t.equal(missing.statusCode, 404);
  t.equal(missing.headers['content-type'], TAXII);
  t.notOk(missing.headers['content-encoding'], 'a small error resource is not coded');
  t.equal(missing.json().http_status, '404');
});

t.test('manifests and other serialised answers are coded too', async (t) => {
  const res = await ctx.request('alice', { url: `${RW}manifest/?limit=${PAGE_SIZE}`, headers: { 'accept-encoding': 'gzip' } });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-encoding'], 'gzip');
  const manifest = JSON.parse(gunzipSync(res.rawPayload).toString('utf8'));
  t.equal(manifest.objects.length, PAGE_SIZE);
  t.ok(res.headers['x-taxii-date-added-first']);
});

t.test('HEAD: never coded, same headers as an identity GET', async (t) => {
  const res = await ctx.request('alice', { method: 'HEAD', url: PAGE, headers: { 'accept-encoding': 'gzip, br' } });
  t.equal(res.statusCode, 200);
  t.equal(res.rawPayload.length, 0);
  t.notOk(res.headers['content-encoding']);
  t.equal(res.headers['content-length'], String(identity.rawPayload.length), 'Content-Length of the identity body');
  t.equal(res.headers['vary'], 'Accept-Encoding');
  t.equal(res.headers['x-taxii-date-added-first'], identity.headers['x-taxii-date-added-first']);
  t.equal(res.headers['content-type'], TAXII);
});

t.test('DELETE (empty 200) is left alone', async (t) => {
  const m = malware();
  await ctx.post('alice', RW, [m]);
  const res = await ctx.request('alice', { method: 'DELETE', url: `${RW}objects/${m['id']}/`, headers: { 'accept-encoding': 'gzip' } });
  t.equal(res.statusCode, 200);
  t.notOk(res.headers['content-encoding']);
  t.equal(res.rawPayload.length, 0);
});

t.test('content-coded request bodies are 415 with Accept-Encoding: identity (RFC 9110 §15.5.16)', async (t) => {
  const envelope = JSON.stringify({ objects: [indicator({ name: 'compressed post' })] });
  const post = (collection: string, encoding: string, body: Buffer | string) =>
    ctx.request('alice', {
      method: 'POST',
      url: `/main/collections/${collection}/objects/`,
      headers: { 'content-type': TAXII, 'content-encoding': encoding },
      payload: body,
    });
  const res = await post(C_RW, 'gzip', gzipSync(envelope));
  t.equal(res.statusCode, 415);
  t.equal(res.headers['content-type'], TAXII);
  t.equal(res.headers['accept-encoding'], 'identity');
  t.match(res.json(), { http_status: '415', error_code: 'TAXII_ERR_MEDIA_UNSUPPORTED', description: /Content-Encoding: gzip/ });
  const stored = await ctx.request('alice', { url: `${RW}objects/?match[type]=indicator&limit=${PAGE_SIZE}` });
  t.notOk(stored.body.includes('compressed post'), 'nothing stored');

  t.equal((await post(C_RW, 'br', envelope)).statusCode, 415, 'also when the body is not actually coded');
  t.equal((await post(C_HIDDEN, 'gzip', gzipSync(envelope))).statusCode, 404, 'TR16: 404 comes first');
  const plain = await post(C_RW, 'identity', envelope);
  t.equal(plain.statusCode, 202, 'identity is no coding');
  t.equal(plain.json().success_count, 1);
});

/*
 * The real app never answers 304 or 204, never sets Vary or Content-Encoding itself and
 * sends strings; the hook's handling of those is checked on a bare instance.
 */
t.test('304, 204, a coded or Buffer payload and an existing Vary (bare instance)', async (t) => {
  const app = Fastify();
  registerCompression(app);
  const big = 'x'.repeat(COMPRESSION_MIN_BYTES * 4);
  app.get('/304', async (_request, reply) => reply.code(304).send(big));
  app.get('/204', async (_request, reply) => reply.code(204).send());
  app.get('/coded', async (_request, reply) => reply.header('content-encoding', 'gzip').send(gzipSync(big)));
  app.get('/buffer', async (_request, reply) => reply.header('vary', 'Origin').send(Buffer.from(big)));
  app.get('/vary-star', async (_request, reply) => reply.header('vary', '*').send(big));
  app.get('/threshold', async (_request, reply) => reply.send('y'.repeat(COMPRESSION_MIN_BYTES)));
  app.get('/below', async (_request, reply) => reply.send('y'.repeat(COMPRESSION_MIN_BYTES - 1)));
  t.teardown(() => app.close());
  const get = (url: string) => app.inject({ url, headers: { 'accept-encoding': 'gzip' } });

  const notModified = await get('/304');
  t.equal(notModified.statusCode, 304);
  t.notOk(notModified.headers['content-encoding']);
  t.equal(notModified.headers['vary'], 'Accept-Encoding', 'a 304 carries the Vary of its 200');
  const noContent = await get('/204');
  t.equal(noContent.statusCode, 204);
  t.notOk(noContent.headers['content-encoding']);
  const coded = await get('/coded');
  t.equal(coded.headers['content-encoding'], 'gzip');
  t.equal(gunzipSync(coded.rawPayload).toString(), big, 'coded once, not twice');
  const buffer = await get('/buffer');
  t.equal(buffer.headers['content-encoding'], 'gzip');
  t.equal(buffer.headers['vary'], 'Origin, Accept-Encoding', 'appended to an existing Vary');
  t.equal(gunzipSync(buffer.rawPayload).toString(), big);
  t.equal((await get('/vary-star')).headers['vary'], '*');
  t.equal((await get('/threshold')).headers['content-encoding'], 'gzip', `${COMPRESSION_MIN_BYTES} bytes are coded`);
  t.notOk((await get('/below')).headers['content-encoding'], 'one byte fewer is not');
});
