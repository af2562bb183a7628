/**
 * The server keeps no state in process (research/peer-servers.md §5 item 2, TR14):
 * statuses, objects and `next` tokens work across instances that share only the
 * database. With TAXII_TEST_DATABASE_URL the two instances each have their own
 * connection pool on one PostgreSQL database — what two processes or replicas
 * have; on PGlite they are two buildApp instances on the same embedded database.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { applyConfig } from '../../src/store/config-sync.js';
import { openDb, type Db } from '../../src/store/db.js';
import { createStore } from '../../src/store/index.js';
import { getOrCreateSecret } from '../../src/store/secrets.js';
import { C_RW, TAXII, headersFor, testConfig } from '../helpers/app.js';
import { openTestDb, testDatabaseUrl } from '../helpers/database.js';
import { indicator, ipv4 } from '../helpers/stix.js';

const RW = `/main/collections/${C_RW}/`;

const testDb = await openTestDb();
const config = await testConfig({ pageSize: { default: 100, max: 1000 } });
await applyConfig(testDb.db, config);

let dbB: Db = testDb.db;
let mode = 'two app instances on one PGlite database (same process)';
if (testDatabaseUrl !== undefined && testDb.url !== undefined) {
  dbB = await openDb({ databaseUrl: testDb.url, poolSize: 4 });
  mode = 'two app instances, each with its own pool, on one PostgreSQL database';
}

const secretA = await getOrCreateSecret(testDb.db, 'cursor-hmac');
const secretB = await getOrCreateSecret(dbB, 'cursor-hmac');
const appA = await buildApp({ config, store: createStore(testDb.db), cursorSecret: secretA });
const appB = await buildApp({ config, store: createStore(dbB), cursorSecret: secretB });
await Promise.all([appA.ready(), appB.ready()]);
t.teardown(async () => {
  await appA.close();
  await appB.close();
  if (dbB !== testDb.db) await dbB.close();
  await testDb.close();
});
t.comment(mode);

function call(app: FastifyInstance, partner: string, options: InjectOptions): Promise<LightMyRequestResponse> {
  return app.inject({ ...options, headers: { ...headersFor(partner), ...(options.headers as Record<string, string> | undefined) } });
}

function post(app: FastifyInstance, objects: unknown[]): Promise<LightMyRequestResponse> {
  return call(app, 'alice', {
    method: 'POST',
    url: `${RW}objects/`,
    headers: { 'content-type': TAXII },
    payload: JSON.stringify({ objects }),
  });
}

interface Envelope {
  more?: boolean;
  next?: string;
  objects?: { id: string }[];
}

t.test('every instance uses the one cursor secret kept in the database (TR14)', async (t) => {
  t.equal(secretA.length, 32);
  t.ok(secretA.equals(secretB), 'the second instance reads the secret the first created');
  const again = await getOrCreateSecret(dbB, 'cursor-hmac');
  t.ok(again.equals(secretA), 'asking again creates no new secret');
  const rows = await dbB.query<{ n: unknown }>("SELECT count(*) AS n FROM server_secrets WHERE name = 'cursor-hmac'");
  t.equal(Number(rows[0]?.n), 1, 'one stored cursor secret');
  const raced = await Promise.all([getOrCreateSecret(testDb.db, 'two-instances-race'), getOrCreateSecret(dbB, 'two-instances-race')]);
  t.ok(raced[0].equals(raced[1]), 'two instances creating a secret at the same time end up with the same one');
});

t.test('a status created through A is read through B (E3, TR19)', async (t) => {
  const res = await post(appA, [indicator(), ipv4('198.51.100.20')]);
  t.equal(res.statusCode, 202);
  const status = res.json();
  const onB = await call(appB, 'alice', { url: `/main/status/${status.id}/` });
  t.equal(onB.statusCode, 200);
  t.same(onB.json(), status, 'same status resource on the other instance');
  t.equal((await call(appB, 'bob', { url: `/main/status/${status.id}/` })).statusCode, 404, 'TR19 holds there too');
});

t.test('a write through B is visible at once through A', async (t) => {
  const o = indicator();
  t.equal((await post(appB, [o])).statusCode, 202);
  const res = await call(appA, 'alice', { url: `${RW}objects/${String(o['id'])}/` });
  t.equal(res.statusCode, 200);
  t.equal(res.json().objects[0].id, o['id']);
});

t.test('a next token issued by A continues on B, and B’s on A (TR12–TR14)', async (t) => {
  const posted = Array.from({ length: 12 }, () => indicator());
  t.equal((await post(appA, posted)).statusCode, 202);
  const filter = `match[type]=indicator&match[version]=all&limit=5`;
  const full = (await call(appB, 'alice', { url: `${RW}objects/?match[type]=indicator&match[version]=all&limit=1000` })).json() as Envelope;
  const all = (full.objects ?? []).map((o) => o.id);
  t.ok(all.length >= 12, 'the objects posted are there');

  const seen: string[] = [];
  const first = await call(appA, 'alice', { url: `${RW}objects/?${filter}` });
  const p1 = first.json() as Envelope;
  t.equal(p1.more, true);
  t.type(p1.next, 'string');
  seen.push(...(p1.objects ?? []).map((o) => o.id));

  // B continues A's walk with the bare token (filters carried in it) ...
  const second = await call(appB, 'alice', { url: `${RW}objects/?next=${encodeURIComponent(p1.next ?? '')}` });
  t.equal(second.statusCode, 200, 'B accepts the token A issued', { body: second.statusCode === 200 ? undefined : second.body });
  const p2 = second.json() as Envelope;
  t.ok(
    (second.headers['x-taxii-date-added-first'] as string) > (first.headers['x-taxii-date-added-last'] as string),
    'B resumes strictly after A’s last item',
  );
  seen.push(...(p2.objects ?? []).map((o) => o.id));

  // ... and A continues B's, with the filters repeated unchanged.
  let next = p2.next;
  while (next !== undefined) {
    const res = await call(appA, 'alice', { url: `${RW}objects/?${filter}&next=${encodeURIComponent(next)}` });
    t.equal(res.statusCode, 200, 'A accepts the token B issued');
    const page = res.json() as Envelope;
    seen.push(...(page.objects ?? []).map((o) => o.id));
    next = page.more === true ? page.next : undefined;
  }
  t.same(seen, all, 'the walk across both instances returns every object once, in order');

  const asBob = await call(appB, 'bob', { url: `${RW}objects/?next=${encodeURIComponent(p1.next ?? '')}` });
  t.equal(asBob.statusCode, 400, 'the token stays bound to the partner on the other instance (TR14)');
});

t.test('an instance with a different secret refuses the token: the shared secret is the only shared cursor state', async (t) => {
  const stranger = await buildApp({ config, store: createStore(dbB), cursorSecret: randomBytes(32) });
  t.teardown(() => stranger.close());
  const page = (await call(appA, 'alice', { url: `${RW}objects/?match[version]=all&limit=1` })).json() as Envelope;
  t.equal(page.more, true);
  const res = await call(stranger, 'alice', { url: `${RW}objects/?next=${encodeURIComponent(page.next ?? '')}` });
  t.equal(res.statusCode, 400);
  t.equal((await call(appB, 'alice', { url: `${RW}objects/?next=${encodeURIComponent(page.next ?? '')}` })).statusCode, 200);
});

t.test('concurrent writes through both instances: date_added unique and strictly increasing (TR15)', async (t) => {
  const before = (await call(appA, 'alice', { url: `${RW}manifest/?match[version]=all&limit=1000` })).json() as Envelope;
  const writes = Array.from({ length: 16 }, (_, i) =>
    post(i % 2 === 0 ? appA : appB, Array.from({ length: 8 }, (_, j) => (j % 3 === 0 ? ipv4(`203.0.113.${i * 8 + j}`) : indicator()))),
  );
  const responses = await Promise.all(writes);
  t.same(responses.map((r) => r.statusCode), Array(16).fill(202));
  t.same(responses.map((r) => r.json().success_count), Array(16).fill(8));
  const manifest = (await call(appB, 'alice', { url: `${RW}manifest/?match[version]=all&limit=1000` })).json() as {
    objects: { date_added: string }[];
  };
  t.equal(manifest.objects.length, (before.objects?.length ?? 0) + 16 * 8, 'every version recorded once');
  const dates = manifest.objects.map((r) => r.date_added);
  const unordered = dates.filter((d, i) => i > 0 && !(d > (dates[i - 1] as string)));
  t.same(unordered, [], 'date_added strictly increasing in manifest order');
});
