/**
 * Issue 13: SIGTERM to the process the README starts, `npm start`, stops the
 * server cleanly. npm ran the script through `sh -c`, which died on the signal and
 * left node orphaned and serving; the script now `exec`s node, so npm hands the
 * signal to the server itself and waits for it. A POST being stored when the
 * signal arrives completes, its objects and its complete status are stored, and
 * the process exits 0. On PostgreSQL the same with TAXII_WORKERS=2 (the primary
 * stops its workers).
 *
 * npm runs package.json's own start script, its node command swapped for the
 * TypeScript entry point (the tests run the sources, not dist/).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DEMO_CONFIG, PROJECT_ROOT } from '../../src/paths.js';
import { openDb } from '../../src/store/db.js';
import { TAXII } from '../helpers/app.js';
import { openTestDb, testDatabaseUrl } from '../helpers/database.js';
import { LOADER, SERVER } from '../helpers/server-process.js';
import { indicator } from '../helpers/stix.js';
import { freePort } from '../helpers/throwaway-cluster.js';
import { httpCall } from '../helpers/http-client.js';

const AUTH = `Basic ${Buffer.from('cert-fr:demo-key-cert-fr-0001').toString('base64')}`;
const SHARED = '/alliance/collections/bc5bbb44-03d6-4308-8f9d-9b9b903cfc4b/';
const OBJECTS = 3000;
const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

const work = mkdtempSync(join(tmpdir(), 'taxii-npm-start-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const testDb = testDatabaseUrl === undefined ? undefined : await openTestDb();
if (testDb !== undefined) t.teardown(() => testDb.close());

// package.json's start script, its entry point swapped for the sources.
const { scripts } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const start = scripts['start'] ?? '';
t.match(start, /^([A-Z_]+=\S+ )*exec node .*dist\/src\/server\.js$/, 'the start script execs node');
writeFileSync(join(work, 'package.json'), JSON.stringify({
  name: 'npm-start-test', private: true,
  // The heap bound goes too: the TypeScript loader's compiler does not fit in it.
  scripts: { start: start.replace(/node .*dist\/src\/server\.js$/, `node ${[...LOADER, SERVER].map(quote).join(' ')}`) },
}));

async function post(port: number, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const answer = await httpCall({ port, path: `${SHARED}objects/`, body, headers: { accept: TAXII, 'content-type': TAXII, authorization: AUTH } });
  return { status: answer.status, json: JSON.parse(answer.text) as Record<string, unknown> };
}

t.test('SIGTERM to npm start: the POST in progress completes, then the server exits 0, nothing left running', async (t) => {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'], LOG_LEVEL: 'info', TAXII_CONFIG: DEMO_CONFIG, TAXII_PORT: String(port) };
  if (testDb?.url === undefined) env['TAXII_DATA_DIR'] = join(work, 'data');
  else Object.assign(env, { DATABASE_URL: testDb.url, TAXII_WORKERS: '2' });
  const npm = spawn('npm', ['start', '--silent'], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  npm.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  const killer = setTimeout(() => npm.kill('SIGKILL'), 120_000);
  t.teardown(() => clearTimeout(killer));

  const deadline = Date.now() + 90_000;
  while (!output.includes('taxii-exchange ready')) {
    if (npm.exitCode !== null || Date.now() > deadline) throw new Error(`the server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const pids = [...output.matchAll(/"pid":(\d+)/g)].map((m) => Number(m[1]));
  t.ok(pids.length > 0, 'the server logged its pid');

  const objects = Array.from({ length: OBJECTS }, () => indicator());
  const answer = post(port, JSON.stringify({ objects }));
  // The signal once the server has the request (validating and storing it takes far longer than the signal).
  while (!/"method":"POST"[^\n]*"msg":"incoming request"/.test(output)) {
    if (Date.now() > deadline) throw new Error(`the POST never arrived:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  t.ok(npm.kill('SIGTERM'), 'SIGTERM sent to npm');
  const res = await answer;
  t.equal(res.status, 202, 'the POST is answered');
  t.match(res.json, { status: 'complete', total_count: OBJECTS, success_count: OBJECTS }, 'every object stored');
  t.equal(await exited, 0, 'npm exits 0 once the server has');
  for (const pid of new Set(pids)) t.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `no process ${pid} left running`);
  t.match(output, /"signal":"SIGTERM".*"msg":"shutting down"/, 'the server itself got the signal');
  const stopping = output.indexOf('"msg":"shutting down"');
  const completed = output.search(/"statusCode":202[^\n]*"msg":"request completed"/);
  t.ok(stopping >= 0 && completed > stopping, 'while the POST was in progress (answered after the shutdown began)');

  const db = testDb?.db ?? (await openDb({ dataDir: join(work, 'data') }));
  try {
    const [stored] = await db.query<{ n: unknown }>('SELECT count(*) AS n FROM object_versions WHERE object_id = ANY($1::text[])', [objects.map((o) => o['id'] as string)], { name: 'test_count_stored' });
    t.equal(Number(stored?.n), OBJECTS, 'the objects are in the database');
    const [status] = await db.query<{ status: string; success_count: number }>('SELECT status, success_count FROM statuses WHERE id = $1', [res.json['id'] as string], { name: 'test_status_stored' });
    t.match(status, { status: 'complete', success_count: OBJECTS }, 'and so is its complete status');
  } finally {
    if (testDb === undefined) await db.close();
  }
});
