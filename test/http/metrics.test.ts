/**
 * Issue 13: Prometheus metrics. Off unless configured; at /metrics on the TAXII
 * port only for a configured bearer token (never partner credentials); counters
 * move with requests, objects served, stored, already present and refused, and
 * audit events; partners beyond `partner_labels` are counted as `other`. A
 * listener of their own serves them without credentials, and with TAXII_WORKERS
 * (PostgreSQL) the primary adds up every worker's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { C_RW, TAXII, TEST_ENV, basicAuth, createAppWithConfig, createTestApp, testConfigJson } from '../helpers/app.js';
import { openTestDb, testDatabaseUrl } from '../helpers/database.js';
import { spawnServer } from '../helpers/server-process.js';
import { indicator } from '../helpers/stix.js';
import { freePort } from '../helpers/throwaway-cluster.js';
import { httpCall } from '../helpers/http-client.js';

const TOKEN = 'metrics-test-token-0123456789abcdef';
const RW = `/main/collections/${C_RW}/`;

const config = testConfigJson();
config['metrics'] = { tokens: [{ env: 'TEST_METRICS_TOKEN' }], partner_labels: 1 };
// Few failed authentications per address, so that the last test can reach the throttle.
const server = config['server'] as { limits: Record<string, unknown> };
server.limits = { ...server.limits, auth_failures_per_address_per_minute: 8 };
const app = await createAppWithConfig(config, { ...TEST_ENV, TEST_METRICS_TOKEN: TOKEN });
t.teardown(() => app.close());

const scrape = (authorization?: string) => app.app.inject({ url: '/metrics', headers: authorization === undefined ? {} : { authorization } });

/** The value of one sample of the exposition text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

t.test('only a configured bearer token reads them', async (t) => {
  const none = await scrape();
  t.equal(none.statusCode, 401);
  t.equal(none.headers['www-authenticate'], 'Bearer realm="taxii-exchange metrics"');
  t.equal(none.headers['content-type'], 'application/json; charset=utf-8');
  t.match(none.json(), { http_status: '401', description: /metrics\.tokens/ });
  t.equal((await scrape('Bearer not-the-token')).statusCode, 401, 'a wrong token');
  t.equal((await scrape(basicAuth('alice'))).statusCode, 401, 'partner credentials');
  const ok = await scrape(`Bearer ${TOKEN}`);
  t.equal(ok.statusCode, 200);
  t.equal(ok.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  for (const name of ['process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
    t.not(sample(ok.body, name), undefined, `${name} (process and event loop)`);
  }
  // The scrape's own read of the statuses may be waiting for a connection as the pool is read.
  for (const state of ['in_use', 'idle', 'waiting']) t.not(sample(ok.body, 'taxii_db_connections', { state }), undefined, `the database pool: ${state}`);
});

t.test('counters move with what partners do', async (t) => {
  const objects = [indicator(), indicator()];
  const first = await app.post('alice', RW, [...objects, { type: 'indicator', id: 'indicator--nonsense' }]);
  t.match(first.json(), { success_count: 2, failure_count: 1 });
  t.match((await app.post('alice', RW, objects)).json(), { success_count: 2 });
  const read = await app.request('alice', { url: `${RW}objects/` });
  t.equal(read.statusCode, 200);
  const servedToAlice = (read.json() as { objects: unknown[] }).objects.length;
  t.equal((await app.request('bob', { url: `${RW}objects/?limit=1` })).statusCode, 200);
  t.equal((await app.request('bob', { method: 'HEAD', url: `${RW}objects/` })).statusCode, 200);

  const text = (await scrape(`Bearer ${TOKEN}`)).body;
  const rw = { collection: 'main/rw' };
  t.equal(sample(text, 'taxii_objects_stored_total', { ...rw, partner: 'alice' }), 2);
  t.equal(sample(text, 'taxii_objects_already_present_total', { ...rw, partner: 'alice' }), 2);
  t.equal(sample(text, 'taxii_objects_refused_total', { ...rw, partner: 'alice' }), 1);
  t.equal(sample(text, 'taxii_objects_served_total', { ...rw, partner: 'alice' }), servedToAlice);
  t.equal(sample(text, 'taxii_objects_served_total', { ...rw, partner: 'other' }), 1, 'partner_labels: 1, so bob is "other"; HEAD serves nothing');
  t.equal(sample(text, 'taxii_audit_events_total', { action: 'push' }), 2);
  t.equal(sample(text, 'taxii_audit_events_total', { action: 'pull' }), 2, 'one per read that served something');
  t.equal(sample(text, 'taxii_http_requests_total', { method: 'POST', route: '/:root/collections/:collection/objects/', status: '202' }), 2);
  t.equal(sample(text, 'taxii_http_requests_total', { method: 'GET', route: '/metrics', status: '401' }), 3);
  t.equal(sample(text, 'taxii_http_request_duration_seconds_count', { method: 'POST', route: '/:root/collections/:collection/objects/' }), 2);
  t.equal(sample(text, 'taxii_status_resources', { state: 'complete' }), 2, 'status resources, read from the database');
});

t.test('refusals for too many failed attempts are counted', async (t) => {
  let limited = 0;
  for (let i = 0; i < 10 && limited === 0; i += 1) if ((await scrape(`Bearer wrong-${i}`)).statusCode === 429) limited += 1;
  t.equal(limited, 1, 'the address is throttled');
  const text = (await app.app.inject({ url: '/metrics', remoteAddress: '10.0.0.9', headers: { authorization: `Bearer ${TOKEN}` } })).body;
  t.ok((sample(text, 'taxii_rate_limited_total', { route: '/metrics' }) ?? 0) >= 1);
});

t.test('metrics that cannot be collected (a worker whose primary does not answer) give 503 with Retry-After', async (t) => {
  const stuck = await createAppWithConfig(config, { ...TEST_ENV, TEST_METRICS_TOKEN: TOKEN }, {
    testDb: app.testDb,
    metricsSource: () => Promise.reject(new Error('the primary did not answer with the metrics in time')),
  });
  t.teardown(() => stuck.close());
  const res = await stuck.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
  t.equal(res.statusCode, 503);
  t.equal(res.headers['retry-after'], '5');
  t.match(res.json(), { http_status: '503', description: /could not be collected in time/ });
});

t.test('off unless configured: /metrics is no path of the server', async (t) => {
  const plain = await createTestApp();
  t.teardown(() => plain.close());
  t.equal((await plain.request('alice', { url: '/metrics' })).statusCode, 404);
  t.equal(plain.app.metrics, undefined);
});

t.test('a listener of their own, and with workers every worker added up', async (t) => {
  const workers = testDatabaseUrl !== undefined;
  const work = mkdtempSync(join(tmpdir(), 'taxii-metrics-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const database = workers ? await openTestDb() : undefined;
  if (database !== undefined) t.teardown(() => database.close());
  const [port, metricsPort] = [await freePort(), await freePort()];
  const fileConfig = testConfigJson();
  fileConfig['metrics'] = { port: metricsPort, tokens: [{ env: 'TEST_METRICS_TOKEN' }] };
  const configPath = join(work, 'config.json');
  writeFileSync(configPath, JSON.stringify(fileConfig));
  const server = spawnServer({
    env: {
      ...(TEST_ENV as Record<string, string>), TEST_METRICS_TOKEN: TOKEN, TAXII_CONFIG: configPath, TAXII_PORT: String(port),
      ...(database?.url === undefined ? { TAXII_DATA_DIR: join(work, 'data') } : { DATABASE_URL: database.url, TAXII_WORKERS: '2' }),
    },
    killAfterMs: 120_000,
  });
  t.teardown(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });
  const deadline = Date.now() + 90_000;
  while (!server.lines.some((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('taxii-exchange ready'))) {
    if (!server.alive() || Date.now() > deadline) throw new Error(`the server did not start:\n${server.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.match(server.lines.find((l) => l['metricsPort'] !== undefined), { metricsPort }, 'the ready line names the metrics port');
  // Each request on a connection of its own, so the cluster spreads them over the workers.
  const discoveries = 6;
  for (let i = 0; i < discoveries; i += 1) {
    const res = await httpCall({ port, path: '/taxii2/', headers: { accept: TAXII, authorization: basicAuth('alice') } });
    t.equal(res.status, 200);
  }
  const own = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  t.equal(own.status, 200, 'no credentials on their own listener');
  const ownText = await own.text();
  t.equal(sample(ownText, 'taxii_http_requests_total', { method: 'GET', route: '/taxii2/', status: '200' }), discoveries, 'every request counted once, whichever worker served it');
  t.equal((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status, 404, 'and nothing else there');
  const viaTaxii = await httpCall({ port, path: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
  t.equal(viaTaxii.status, 200);
  t.equal(sample(viaTaxii.text, 'taxii_http_requests_total', { method: 'GET', route: '/taxii2/', status: '200' }), discoveries, 'the TAXII port serves the same sum');
  if (workers) {
    const ready = server.lines.filter((l) => l['msg'] === 'worker ready').map((l) => l['pid']);
    t.equal(new Set(ready).size, 2, 'two workers');
    t.ok((sample(ownText, 'taxii_db_connections', { state: 'idle' }) ?? 0) >= 2, 'the pools of both workers, added up');
  }
});
