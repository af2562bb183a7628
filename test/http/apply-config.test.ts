/**
 * Changing the configuration of a running server (issue 11), with the production
 * entry point and the real command line as child processes. On the embedded
 * database only one process may open the data directory: a second server and
 * `migrate` are refused, `apply-config` asks the running server to re-apply
 * (SIGHUP) and reports its answer, or refuses when the server runs with another
 * file; partner and key commands run inside the server (its control channel). SIGHUP re-applies TAXII_CONFIG on both databases; an invalid file changes
 * nothing and the server keeps serving.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../../src/bin/commands.js';
import { TAXII, TEST_ENV, basicAuth, testConfigJson } from '../helpers/app.js';
import { openTestDb, testDatabaseUrl } from '../helpers/database.js';
import { capturedOutput } from '../helpers/captured-output.js';
import { indicator } from '../helpers/stix.js';
import { spawnServer, type ChildServer } from '../helpers/server-process.js';
import { httpCall } from '../helpers/http-client.js';

const CLI = resolve(fileURLToPath(import.meta.url), '../../../src/bin/cli.ts');
const dir = mkdtempSync(join(tmpdir(), 'taxii-apply-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const configPath = join(dir, 'config.json');
const otherPath = join(dir, 'other.json');
const dataDir = join(dir, 'data');
const keys = Object.fromEntries(Object.entries(TEST_ENV).filter((e): e is [string, string] => e[1] !== undefined));

type Json = Record<string, unknown>;

function configWith(bob: 'active' | 'suspended'): Json {
  const config = testConfigJson();
  for (const p of config['partners'] as Json[]) if (p['id'] === 'bob') p['status'] = bob;
  return config;
}
const write = (path: string, config: Json | string) => writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config));

function get(port: number, partner: string): Promise<number> {
  return getAs(port, partner, undefined);
}

async function getAs(port: number, partner: string, key: string | undefined): Promise<number> {
  return (await httpCall({ port, path: '/taxii2/', headers: { accept: TAXII, authorization: basicAuth(partner, key) } })).status;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  for (const started = Date.now(); Date.now() - started < ms; await new Promise((r) => setTimeout(r, 100))) {
    const value = await probe();
    if (value !== undefined) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function start(env: Record<string, string>): Promise<{ server: ChildServer; port: number }> {
  const server = spawnServer({ env: { TAXII_PORT: '0', TAXII_CONFIG: configPath, ...keys, ...env }, killAfterMs: 120_000 });
  // As the other tests that start a server: a new embedded database and the TypeScript loader's compile take a while on a busy machine.
  const ready = await until('the ready line', () => {
    if (!server.alive()) throw new Error(`the server exited: ${server.stderr()}`);
    return server.lines.find((l) => String(l['msg']).startsWith('taxii-exchange ready'));
  }, 90_000);
  return { server, port: Number(ready['port']) };
}

function cli(command: string, env: Record<string, string>) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TAXII_') && !k.startsWith('PG') && k !== 'DATABASE_URL'));
  const result = spawnSync(process.execPath, [...process.execArgv, CLI, command], {
    encoding: 'utf8',
    env: { ...inherited, ...keys, ...env },
    timeout: 90_000,
  });
  return { status: result.status, out: result.stdout, err: result.stderr };
}

t.test('embedded database: one process per data directory; apply-config goes through the running server', async (t) => {
  write(configPath, configWith('active'));
  const env = { TAXII_DATA_DIR: dataDir, TAXII_CONFIG: configPath };
  const { server, port } = await start(env);
  t.teardown(() => void server.child.kill('SIGKILL'));
  t.equal(await get(port, 'bob'), 200, 'bob is served');
  t.ok(existsSync(join(dataDir, 'taxii-exchange.lock')), 'the server holds the directory');

  const second = cli('migrate', env);
  t.equal(second.status, 1, 'migrate is refused while a server holds the directory');
  t.match(second.err, `the data directory ${dataDir} is in use by process ${server.child.pid}`);

  const twin = spawnServer({ env: { TAXII_PORT: '0', ...keys, ...env }, killAfterMs: 60_000 });
  const exit = await twin.exited;
  t.equal(exit.code, 1, 'a second server on the same directory does not start');
  t.match(twin.stderr(), 'is in use by process');

  // Partner and key commands run inside the server, through its control channel.
  const { output, captured } = capturedOutput();
  t.equal(await runCommand(['partner', 'add', 'cert-at', '--name', 'CERT.at', '--json'], { ...keys, ...env }, output), 0, captured.err);
  const added = JSON.parse(captured.out) as { key: { id: string; secret: string } };
  t.equal(await getAs(port, 'cert-at', added.key.secret), 200, 'the partner added through the running server is served');
  t.equal(await runCommand(['key', 'revoke', 'cert-at', added.key.id], env, output), 0, captured.err);
  t.equal(await getAs(port, 'cert-at', added.key.secret), 401, 'its revoked key is refused on the next request');
  captured.err = '';
  t.equal(await runCommand(['partner', 'show', 'nobody'], env, output), 1);
  t.equal(captured.err, 'taxii-exchange: no partner nobody\n', 'a refusal comes back as one line');
  t.match(server.lines.find((l) => l['msg'] === 'command run through the control channel'), { command: 'partner add', status: 0 });
  t.notMatch(JSON.stringify(server.lines), added.key.secret, 'the new key is not logged');

  // Import and export run inside the server too, with paths as the caller meant them.
  write(join(dir, 'feed.jsonl'), `${JSON.stringify(indicator())}\n${JSON.stringify(indicator())}\n`);
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TAXII_') && !k.startsWith('PG')));
  const run = (...args: string[]) => spawnSync(process.execPath, [...process.execArgv, CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...inherited, ...env }, timeout: 90_000 });
  const imported = run('import', 'feed.jsonl', '--collection', 'main/rw', '--as', 'alice');
  t.equal(imported.status, 0, imported.stderr);
  t.match(imported.stderr, /importing 2 object\(s\) from 1 file\(s\) into main\/rw as alice\nprogress: 2\/2 objects 100%/);
  t.match(imported.stdout, 'imported 2 object(s)');
  t.match(imported.stdout, '2 stored, 0 already present, 0 refused');
  const exported = run('export', '--collection', 'main/rw', '--as', 'alice', '--output', 'out.json');
  t.equal(exported.status, 0, exported.stderr);
  t.equal((JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { objects: unknown[] }).objects.length, 2, 'written where the caller is');
  const streamed = run('export', '--collection', 'main/rw', '--as', 'alice');
  t.equal((JSON.parse(streamed.stdout) as { objects: unknown[] }).objects.length, 2, 'or to its standard output');

  write(configPath, configWith('suspended'));
  const applied = cli('apply-config', env);
  t.equal(applied.status, 0, applied.err);
  t.match(applied.out, `configuration applied: 2 API roots, 4 partners (by the running server, pid ${server.child.pid}`);
  t.equal(await get(port, 'bob'), 401, 'the suspended partner is refused on its next request');
  t.equal(await get(port, 'alice'), 200, 'the others are served');

  write(otherPath, configWith('active'));
  const elsewhere = cli('apply-config', { ...env, TAXII_CONFIG: otherPath });
  t.equal(elsewhere.status, 1, 'another configuration file is refused');
  t.match(elsewhere.err, `serves ${configPath}, not ${otherPath}; edit that file`);
  t.equal(await get(port, 'bob'), 401, 'and changed nothing');

  const invalid = cli('apply-config', { ...env, TAXII_CONFIG: (write(otherPath, '{"server": {'), otherPath) });
  t.equal(invalid.status, 1, 'an invalid file is refused before the server is asked');

  // SIGHUP itself, with a file that does not parse: nothing changes, the server says why.
  write(configPath, '{"api_roots": [');
  server.child.kill('SIGHUP');
  const refused = await until('the refusal', () => server.lines.find((l) => String(l['msg']).startsWith('configuration not applied')));
  t.equal(refused['level'], 50, 'logged as an error');
  t.match(JSON.parse(readFileSync(join(dataDir, 'taxii-exchange.applied.json'), 'utf8')), { ok: false });
  t.equal(await get(port, 'alice'), 200, 'still serving');

  write(configPath, configWith('active'));
  server.child.kill('SIGHUP');
  t.equal(await until('bob resumed', async () => ((await get(port, 'bob')) === 200 ? 200 : undefined)), 200, 'SIGHUP: bob is served again');

  server.child.kill('SIGTERM');
  t.equal((await server.exited).code, 0);
  t.notOk(existsSync(join(dataDir, 'taxii-exchange.lock')), 'the directory is released on exit');
  const afterwards = cli('migrate', env);
  t.equal(afterwards.status, 0, `migrate runs once the server is gone: ${afterwards.err}`);
});

t.test('PostgreSQL: SIGHUP re-applies the configuration; apply-config writes to the database', { skip: testDatabaseUrl === undefined && 'needs TAXII_TEST_DATABASE_URL' }, async (t) => {
  const testDb = await openTestDb();
  t.teardown(() => testDb.close());
  const env = { DATABASE_URL: testDb.url as string, TAXII_CONFIG: configPath };
  write(configPath, configWith('active'));
  const { server, port } = await start(env);
  t.teardown(() => void server.child.kill('SIGKILL'));
  t.equal(await get(port, 'bob'), 200);
  write(configPath, configWith('suspended'));
  server.child.kill('SIGHUP');
  t.equal(await until('bob refused', async () => ((await get(port, 'bob')) === 401 ? 401 : undefined)), 401, 'SIGHUP: refused on the next request');
  write(configPath, configWith('active'));
  const applied = cli('apply-config', env);
  t.equal(applied.status, 0, applied.err);
  t.equal(await get(port, 'bob'), 200, 'apply-config: served on the next request');
  server.child.kill('SIGTERM');
  t.equal((await server.exited).code, 0);
});
