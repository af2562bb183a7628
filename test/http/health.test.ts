/**
 * Issue 13: /healthz and /readyz for load balancers: no authentication, no TAXII
 * negotiation, outside the TAXII tree. /readyz checks the database and its
 * migrations, and answers 503 while the server shuts down (requests in flight
 * still finish). A database outage is in test/faults/connection-loss.test.ts.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { closeGracefully } from '../../src/http/shutdown.js';
import { readMigrations } from '../../src/store/migrate.js';
import { TAXII, basicAuth, createTestApp } from '../helpers/app.js';

const ctx = await createTestApp();
t.teardown(() => ctx.close());
const { db } = ctx.testDb;

t.test('/healthz: up, without credentials or a TAXII Accept header', async (t) => {
  for (const url of ['/healthz', '/healthz/']) {
    const res = await ctx.app.inject({ url });
    t.equal(res.statusCode, 200, url);
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    t.same(res.json(), { status: 'ok' });
  }
  t.equal((await ctx.app.inject({ method: 'HEAD', url: '/healthz' })).statusCode, 200, 'HEAD too');
  const withPartner = await ctx.app.inject({ url: '/healthz', headers: { authorization: basicAuth('alice', 'wrong'), accept: TAXII } });
  t.equal(withPartner.statusCode, 200, 'credentials, even wrong ones, change nothing: nobody is authenticated here');
});

t.test('/readyz: the database answers and holds this release\'s migrations', async (t) => {
  const res = await ctx.app.inject({ url: '/readyz' });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ready', checks: { database: 'ok', migrations: 'ok', shutdown: 'ok' } });

  const last = readMigrations().length;
  const [row] = await db.query<{ name: string }>('DELETE FROM schema_migrations WHERE version = $1 RETURNING name', [last], { name: 'test_forget_migration' });
  try {
    const behind = await ctx.app.inject({ url: '/readyz' });
    t.equal(behind.statusCode, 503, 'a schema behind this release is not ready');
    t.equal(behind.headers['content-type'], 'application/json; charset=utf-8');
    t.same(behind.json(), { status: 'not ready', checks: { database: 'ok', migrations: `${last - 1} applied, this release has ${last}`, shutdown: 'ok' } });
  } finally {
    await db.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [last, row?.name ?? ''], { name: 'test_restore_migration' });
  }
});

t.test('TAXII paths are unchanged: discovery still wants credentials', async (t) => {
  t.equal((await ctx.app.inject({ url: '/taxii2/', headers: { accept: TAXII } })).statusCode, 401);
  t.equal((await ctx.app.inject({ url: '/healthzz', headers: { accept: TAXII } })).statusCode, 401, 'only the exact paths are open');
});

t.test('once shutdown has begun, /readyz answers 503 (a probe in flight then included)', async (t) => {
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = ctx.app.server.address() as AddressInfo;
  const get = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ port, host: '127.0.0.1', path }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  t.equal((await get('/readyz')).status, 200);
  // The probe's database check waits behind a lock, so the probe is in flight when the close begins.
  let release = () => undefined as void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let locked = () => undefined as void;
  const lockTaken = new Promise<void>((resolve) => (locked = resolve));
  const holder = db.transaction(async (tx) => {
    await tx.query('LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE', [], { name: 'test_lock_migrations' });
    locked();
    await held;
  });
  await lockTaken;
  const probe = get('/readyz');
  await new Promise((resolve) => setTimeout(resolve, 200));
  const closing = closeGracefully(ctx.app, 10_000);
  await new Promise((resolve) => setTimeout(resolve, 100));
  release();
  await holder;
  const during = await probe;
  t.equal(during.status, 503, 'not ready once shutdown has begun');
  t.match(JSON.parse(during.body), { status: 'not ready', checks: { database: 'ok', shutdown: 'in progress' } }, 'the probe itself was answered');
  t.same(await closing, { writesFinished: true });
});
