/**
 * Every setting applies on the next request (issue 11): API roots, their
 * max_content_length, collections and partners are read from the database, not
 * from the configuration the server started with. Each change here goes to the
 * database as `apply-config` writes it, while the same app keeps serving.
 */
import t from 'tap';
import { parseConfig } from '../../src/config/load-config.js';
import { applyConfig } from '../../src/store/config-sync.js';
import { C_RW, TAXII, TEST_ENV, createAppWithConfig, testConfigJson } from '../helpers/app.js';
import { indicator } from '../helpers/stix.js';

type Json = Record<string, unknown>;

const C_NEW = '66666666-6666-4666-8666-666666666666';
const started = testConfigJson();
const app = await createAppWithConfig(started, TEST_ENV);
t.teardown(() => app.close());

/** Applies `json` to the running app's database, as apply-config does. */
async function apply(json: Json): Promise<void> {
  await applyConfig(app.testDb.db, await parseConfig(JSON.stringify(json), 'live.json', TEST_ENV));
}

function withNewRoot(maxContentLength: number): Json {
  const roots = started['api_roots'] as Json[];
  return {
    ...started,
    api_roots: [
      ...roots,
      {
        id: 'added',
        title: 'Added while running',
        max_content_length: maxContentLength,
        collections: [{ id: C_NEW, title: 'New', validation: 'strict', grants: [{ partner: 'alice', read: true, write: true }] }],
      },
    ],
  };
}

/** An envelope of exactly `bytes` bytes (padding in a description). */
function envelopeOf(bytes: number): string {
  const base = JSON.stringify({ objects: [indicator({ description: '' })] });
  const pad = bytes - Buffer.byteLength(base);
  if (pad < 0) throw new Error(`no envelope of ${bytes} bytes`);
  return JSON.stringify({ objects: [indicator({ description: 'x'.repeat(pad) })] }).slice(0, bytes);
}

const post = (path: string, payload: string) =>
  app.request('alice', { method: 'POST', url: `${path}objects/`, headers: { 'content-type': TAXII }, payload });

t.test('an API root added while running takes POSTs up to its own max_content_length, and reports it', async (t) => {
  t.equal((await app.request('alice', { url: '/added/' })).statusCode, 404, 'not there before');
  await apply(withNewRoot(4096));
  const root = await app.request('alice', { url: '/added/' });
  t.equal(root.json().max_content_length, 4096, 'the API root resource reports the applied value');
  const exact = envelopeOf(4096);
  t.equal(Buffer.byteLength(exact), 4096);
  const accepted = await post(`/added/collections/${C_NEW}/`, exact);
  t.equal(accepted.statusCode, 202, 'a body of exactly max_content_length is accepted');
  t.equal(accepted.json().success_count, 1);
  const refused = await post(`/added/collections/${C_NEW}/`, envelopeOf(4097));
  t.equal(refused.statusCode, 413);
  t.match(refused.json().description, /\(4096 bytes\)/, 'the 413 names the limit the API root reports');
});

t.test('a chunked body over the limit is cut off with 413; nothing is stored', async (t) => {
  await apply(withNewRoot(2048));
  t.equal((await app.request('alice', { url: '/added/' })).json().max_content_length, 2048, 'lowered while running');
  const object = indicator({ description: 'y'.repeat(3000) });
  const res = await app.request('alice', {
    method: 'POST',
    url: `/added/collections/${C_NEW}/objects/`,
    headers: { 'content-type': TAXII, 'transfer-encoding': 'chunked' },
    payload: JSON.stringify({ objects: [object] }),
  });
  t.equal(res.statusCode, 413);
  t.match(res.json(), { error_code: 'TAXII_ERR_REQUEST_TOO_LARGE', description: /\(2048 bytes\)/ });
  t.equal((await app.request('alice', { url: `/added/collections/${C_NEW}/objects/${object['id']}/` })).statusCode, 404);
});

t.test('a collection applied as strict refuses x_ properties on the next POST', async (t) => {
  const custom = () => JSON.stringify({ objects: [indicator({ x_legacy: true })] });
  t.equal((await post(`/main/collections/${C_RW}/`, custom())).json().success_count, 1, 'standard at start');
  const strict = structuredClone(started);
  const main = (strict['api_roots'] as Json[])[0] as Json;
  ((main['collections'] as Json[])[0] as Json)['validation'] = 'strict';
  await apply(strict);
  const res = (await post(`/main/collections/${C_RW}/`, custom())).json();
  t.match(res, { success_count: 0, failure_count: 1, failures: [{ message: /x_legacy.*strict|strict.*custom properties/ }] });
  await apply(started);
});

t.test('a partner suspended while running is refused on its next request', async (t) => {
  t.equal((await app.request('bob', { url: '/main/collections/' })).statusCode, 200);
  const suspended = structuredClone(started);
  for (const p of suspended['partners'] as Json[]) if (p['id'] === 'bob') p['status'] = 'suspended';
  await apply(suspended);
  t.equal((await app.request('bob', { url: '/main/collections/' })).statusCode, 401);
  await apply(started);
  t.equal((await app.request('bob', { url: '/main/collections/' })).statusCode, 200, 'and served again once resumed');
});
