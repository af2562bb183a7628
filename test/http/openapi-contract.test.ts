/**
 * Issue 13: openapi.yaml cannot drift from the server. The routes the app
 * registers (with the admin API and metrics on) and the document's paths and
 * methods are the same; the server serves the document it ships; and every
 * response any test receives through the test helpers' `inject` is checked
 * against the document (test/helpers/openapi-contract.ts), so a response that
 * breaks it fails the test that received it. This file checks that checker.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { Errors } from '../../src/errors.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { TEST_ENV, createAppWithConfig, testConfigJson } from '../helpers/app.js';
import { httpCall } from '../helpers/http-client.js';
import { OPENAPI, contractProblems, templateOf } from '../helpers/openapi-contract.js';

const config = testConfigJson();
config['metrics'] = { tokens: [{ env: 'TEST_METRICS_TOKEN' }] };
config['admin_api'] = { users: [{ id: 'ops', api_keys: [{ env: 'TEST_METRICS_TOKEN' }] }], console: {} };
const app = await createAppWithConfig(config, { ...TEST_ENV, TEST_METRICS_TOKEN: 'contract-test-secret-0123456789' });
t.teardown(() => app.close());

/** Fastify's `/:root/collections/:collection/` as the document writes it, `/{root}/collections/{collection}/`. */
const asTemplate = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}');

t.test('the routes the app registers are the paths and methods of openapi.yaml, both ways', async (t) => {
  const served = new Set(
    app.app.routeTable
      // HEAD comes with every GET; OPTIONS and the admin API's catch-all are not operations.
      .filter((r) => r.method !== 'HEAD' && !r.url.includes('*'))
      .map((r) => `${r.method} ${asTemplate(r.url)}`),
  );
  const documented = new Set(
    Object.entries(OPENAPI.paths).flatMap(([path, item]) =>
      Object.keys(item).filter((k) => ['get', 'post', 'put', 'patch', 'delete'].includes(k)).map((m) => `${m.toUpperCase()} ${path}`)),
  );
  t.same([...served].filter((r) => !documented.has(r)).sort(), [], 'every route is documented');
  t.same([...documented].filter((r) => !served.has(r)).sort(), [], 'every documented operation is served');
});

t.test('the error codes it documents are the error catalogue (src/errors.ts)', async (t) => {
  const errorSchema = (OPENAPI as unknown as { components: { schemas: { error: { properties: { error_code: { enum: string[] } } } } } }).components.schemas.error;
  t.same([...errorSchema.properties.error_code.enum].sort(), Object.values(Errors).map((e) => e.code).sort());
});

t.test('the server serves the document it ships', async (t) => {
  const res = await app.app.inject({ url: '/openapi.yaml' });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'application/yaml; charset=utf-8');
  t.equal(res.body, readFileSync(`${PROJECT_ROOT}/openapi.yaml`, 'utf8'));
});

t.test('the checker itself: paths, statuses, content types, headers and bodies', async (t) => {
  t.equal(templateOf('/taxii2/'), '/taxii2/', 'a literal path before a template');
  t.equal(templateOf('/main/collections/x/objects/y/versions'), '/{root}/collections/{collection}/objects/{object}/versions/');
  const response = (statusCode: number, headers: Record<string, string>, body: string) => ({ statusCode, headers, rawPayload: Buffer.from(body) });
  const taxii = { 'content-type': 'application/taxii+json;version=2.1' };
  t.same(contractProblems('GET', '/taxii2/', response(200, taxii, '{"title":"x"}')), []);
  t.match(contractProblems('GET', '/taxii2/', response(200, taxii, '{"title":1}')).join('\n'), /body .*title/, 'a body against its schema');
  t.match(contractProblems('GET', '/taxii2/', response(200, { 'content-type': 'application/json' }, '{"title":"x"}')).join('\n'), /content type application\/json/);
  t.match(contractProblems('GET', '/taxii2/', response(418, taxii, '{}')).join('\n'), /status not documented/);
  t.match(contractProblems('GET', '/taxii2/', response(401, taxii, '{}')).join('\n'), /header WWW-Authenticate missing/);
  t.match(contractProblems('GET', '/main/collections/c/objects/', response(200, { ...taxii, 'x-taxii-date-added-first': 'yesterday' }, '{}')).join('\n'), /header X-TAXII-Date-Added-First: yesterday/);
  t.match(contractProblems('GET', '/nowhere/at/all/x/y/z', response(200, taxii, '{}')).join('\n'), /a success on a path/);
  t.same(contractProblems('GET', '/nowhere/at/all/x/y/z', response(404, taxii, JSON.stringify({
    title: 'Not found', description: 'x', error_id: '6f1f7d0e-8f55-4d55-9f24-2d5f4b0e5a11', error_code: 'TAXII_ERR_RESOURCE_NOT_FOUND', http_status: '404',
  }))), [], 'an error resource anywhere');
});

t.test('answers over a socket are held to it too (test/helpers/http-client.ts)', async (t) => {
  // A server that answers discovery off the contract: 200 in plain text.
  const stranger = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('hello'));
  await new Promise<void>((resolve) => stranger.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => stranger.close(() => resolve())));
  const port = (stranger.address() as AddressInfo).port;
  await t.rejects(httpCall({ port, path: '/taxii2/' }), /the response breaks openapi\.yaml:\nGET \/taxii2\/ → 200: content type text\/plain is not one of/);
  t.equal((await httpCall({ port, path: '/taxii2/', contract: false })).text, 'hello', 'unless asked not to');
});
