/**
 * TAXII_WORKERS: the production entry point (src/server.ts) run as a child
 * process. Refusals run everywhere; the cluster itself needs PostgreSQL
 * (TAXII_TEST_DATABASE_URL), since workers cannot share an embedded database.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_CONFIG } from '../../src/paths.js';
import { spawnServer, type ChildServer } from '../helpers/server-process.js';
import { parsePositiveInteger, resolveWorkerCount } from '../../src/workers.js';
import { TAXII } from '../helpers/app.js';
import { openTestDb, testDatabaseUrl } from '../helpers/database.js';
import { indicator } from '../helpers/stix.js';
import { httpCall } from '../helpers/http-client.js';

const CHILD_TIMEOUT_MS = 120_000;
// Demo configuration (README "Demo partners"): cert-fr reads and writes shared-indicators.
const AUTH = `Basic ${Buffer.from('cert-fr:demo-key-cert-fr-0001').toString('base64')}`;
const SHARED = '/alliance/collections/bc5bbb44-03d6-4308-8f9d-9b9b903cfc4b/';

type Server = ChildServer;

function start(env: Record<string, string>): Server {
  return spawnServer({ env: { TAXII_CONFIG: DEMO_CONFIG, ...env }, killAfterMs: CHILD_TIMEOUT_MS });
}

async function until<T>(what: string, server: Server, find: () => T | undefined): Promise<T> {
  const deadline = Date.now() + CHILD_TIMEOUT_MS;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (server.child.exitCode !== null || Date.now() > deadline) throw new Error(`server: no ${what}\n${server.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One request on a connection of its own, so the cluster hands each to the next worker. */
async function call(port: number, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const answer = await httpCall({
    port, path, ...(payload !== undefined && { body: payload }),
    headers: { accept: TAXII, authorization: AUTH, ...(payload !== undefined && { 'content-type': TAXII }) },
  });
  return { status: answer.status, json: JSON.parse(answer.text) as Record<string, unknown> };
}

t.test('TAXII_WORKERS and TAXII_DB_POOL values', async (t) => {
  t.equal(resolveWorkerCount(undefined, false), 1, 'unset: one process, on either database');
  t.equal(resolveWorkerCount('', false), 1);
  t.equal(resolveWorkerCount('1', false), 1, '1: one process, on either database');
  t.equal(resolveWorkerCount('3', true), 3);
  t.equal(resolveWorkerCount('auto', true), availableParallelism(), 'auto: one worker per core');
  for (const raw of ['0', '-1', 'abc', '2.5', ' 2', '0x2', 'AUTO']) {
    t.throws(() => resolveWorkerCount(raw, true), { name: 'EnvironmentError', message: `TAXII_WORKERS must be a positive integer or "auto", not "${raw}"` });
  }
  t.throws(() => resolveWorkerCount('2', false), { message: /^TAXII_WORKERS=2 \(2 workers\) needs PostgreSQL/ }, 'PGlite cannot be shared');
  t.equal(parsePositiveInteger('TAXII_DB_POOL', undefined, 10), 10);
  t.equal(parsePositiveInteger('TAXII_DB_POOL', '4', 10), 4);
  t.throws(() => parsePositiveInteger('TAXII_DB_POOL', '0', 10), { message: 'TAXII_DB_POOL must be a positive integer, not "0"' });
});

t.test('the entry point refuses an unusable TAXII_WORKERS before it opens anything (exit code 1)', async (t) => {
  const dataDir = join(tmpdir(), `taxii-workers-${randomBytes(6).toString('hex')}`);
  const cases: [string, string[]][] = [
    ['2', ['needs PostgreSQL: the embedded database (PGlite) lives inside one process', 'Set DATABASE_URL, or unset TAXII_WORKERS.']],
    ['abc', ['TAXII_WORKERS must be a positive integer or "auto", not "abc"']],
  ];
  await Promise.all(
    cases.map(async ([workers, messages]) => {
      const server = start({ TAXII_WORKERS: workers, TAXII_DATA_DIR: dataDir });
      const { code } = await server.exited;
      t.equal(code, 1, `TAXII_WORKERS=${workers}: exit code 1`);
      for (const message of messages) t.match(server.stderr(), message, `TAXII_WORKERS=${workers}: says why`);
    }),
  );
  t.notOk(existsSync(dataDir), 'no embedded database was created');
});

t.test('TAXII_WORKERS=2 on PostgreSQL', async (t) => {
  if (testDatabaseUrl === undefined) {
    t.comment('skipped: workers need PostgreSQL; set TAXII_TEST_DATABASE_URL to run them');
    return;
  }
  const testDb = await openTestDb();
  t.teardown(() => testDb.close());
  const databaseUrl = testDb.url as string;

  t.test('two workers share the port, the data and the cursor secret; a dead one is replaced', async (t) => {
    const server = start({ DATABASE_URL: databaseUrl, TAXII_WORKERS: '2', TAXII_PORT: '0', TAXII_DB_POOL: '3' });
    t.teardown(async () => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      await server.exited;
    });
    const readyLines = (): Record<string, unknown>[] => server.lines.filter((l) => l['msg'] === 'worker ready');

    const ready = await until('ready line', server, () => server.lines.find((l) => String(l['msg']).startsWith('taxii-exchange ready')));
    const port = Number(/:(\d+)\/taxii2\/$/.exec(String(ready['msg']))?.[1]);
    t.equal(ready['pid'], server.child.pid, 'the primary says when the server is ready');
    t.equal(ready['workers'], 2);

    const workers = await until('two worker ready lines', server, () => (readyLines().length === 2 ? readyLines() : undefined));
    t.same(workers.map((l) => l['worker']).sort(), [1, 2], 'workers 1 and 2 log that they are ready');
    t.same(workers.map((l) => l['poolSize']), [3, 3], 'each with the pool size asked for');
    const pids = new Set(workers.map((l) => l['pid']));
    t.equal(pids.size, 2, 'two worker processes');
    t.notOk(pids.has(server.child.pid), 'neither is the primary');

    const object = indicator();
    const posted = await call(port, `${SHARED}objects/`, { objects: [object] });
    t.equal(posted.status, 202, 'POST accepted');
    t.equal(posted.json['success_count'], 1);
    for (let i = 0; i < 2; i++) {
      t.same((await call(port, `/alliance/status/${String(posted.json['id'])}/`)).json, posted.json, 'each worker reads the stored status');
      t.same((await call(port, `${SHARED}objects/${String(object['id'])}/`)).json['objects'], [object], 'and the object');
    }
    const page = await call(port, '/alliance/collections/stix-definitions/objects/?limit=1');
    t.equal(page.json['more'], true);
    for (let i = 0; i < 2; i++) {
      const next = await call(port, `/alliance/collections/stix-definitions/objects/?next=${encodeURIComponent(String(page.json['next']))}`);
      t.equal(next.status, 200, 'each worker accepts a next token issued by the other');
    }
    const served = await until('requests logged by both workers', server, () => {
      const by = new Set(server.lines.filter((l) => l['msg'] === 'request completed').map((l) => l['pid']));
      return by.size === 2 ? by : undefined;
    });
    t.same([...served].sort(), [...pids].sort(), 'requests were served by both workers');

    const victim = workers[0]?.['pid'] as number;
    process.kill(victim, 'SIGKILL');
    const died = await until('replacement', server, () => server.lines.find((l) => l['msg'] === 'worker died; starting a replacement'));
    t.match(died, { workerPid: victim, signal: 'SIGKILL' }, 'the primary logs the dead worker');
    const replacement = await until('replacement ready', server, () => readyLines()[2]);
    t.equal(replacement['worker'], 3, 'and starts worker 3');
    for (let i = 0; i < 2; i++) t.equal((await call(port, `${SHARED}objects/`)).status, 200, 'the server keeps serving');

    server.child.kill('SIGTERM');
    const { code, signal } = await server.exited;
    t.equal(code, 0, 'SIGTERM stops the primary with exit code 0');
    t.equal(signal, null);
    t.equal(server.lines.filter((l) => l['msg'] === 'shutting down').length, 3, 'the primary and both live workers shut down gently');
  });

  t.test('workers that cannot listen stop the server with exit code 1 instead of being restarted forever', async (t) => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    t.teardown(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = String((taken.address() as AddressInfo).port);
    const server = start({ DATABASE_URL: databaseUrl, TAXII_WORKERS: '2', TAXII_PORT: port });
    const { code } = await server.exited;
    t.equal(code, 1);
    t.ok(server.lines.some((l) => l['msg'] === 'worker stopped before it listened; stopping the server'), 'the primary says why');
    t.match(server.stderr(), 'EADDRINUSE', 'the worker reports its error');
  });
});
