/**
 * `taxii-exchange partner …` and `key …` as an operator runs them (issue 12): the
 * commands of the command line, in-process (each opens the database itself), on an
 * embedded data directory (or on a PostgreSQL database of its own in CI's
 * PostgreSQL run), and once as a child process for the exit code. --help
 * everywhere, --json where it lists things, exit 0 on success, a one-line reason
 * and exit 1 (2 for usage errors) on failure.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { capturedOutput } from '../helpers/captured-output.js';
import { runCommand } from '../../src/bin/commands.js';
import { openTestDb, testDatabaseUrl } from '../helpers/database.js';

const CLI = resolve(fileURLToPath(import.meta.url), '../../../src/bin/cli.ts');
const dir = mkdtempSync(join(tmpdir(), 'taxii-partner-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// On PostgreSQL a database of this file's own, which each command opens itself.
const testDb = testDatabaseUrl === undefined ? undefined : await openTestDb();
if (testDb !== undefined) t.teardown(() => testDb.close());
const database: Record<string, string> = testDb === undefined ? { TAXII_DATA_DIR: join(dir, 'data') } : { DATABASE_URL: testDb.url as string };

const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TAXII_') && !k.startsWith('PG') && k !== 'DATABASE_URL'));

async function cli(...args: string[]) {
  const { output, captured } = capturedOutput();
  const status = await runCommand(args, { ...inherited, ...database }, output);
  return { status, out: captured.out, err: captured.err };
}

t.test('help: the command, each group, each subcommand', async (t) => {
  t.match(await cli('--help'), { status: 0, out: /partner <add\|list\|show\|set\|suspend\|resume>/ });
  t.match(await cli('partner', '--help'), { status: 0, out: /partner add ID --name NAME[\s\S]*partner resume ID/ });
  t.match(await cli('key', 'revoke', '--help'), { status: 0, out: /usage: taxii-exchange key revoke PARTNER KEY-ID/ });
});

t.test('onboarding, listing, rotating, suspending', async (t) => {
  const added = await cli('partner', 'add', 'cert-de', '--name', 'CERT-DE', '--clearance', 'green', '--community', 'eu', '--community', 'nato', '--json');
  t.equal(added.status, 0, added.err);
  const created = JSON.parse(added.out) as { partner: Record<string, unknown>; key: { id: string; secret: string } };
  t.match(created.partner, { id: 'cert-de', clearance: 'green', communities: ['eu', 'nato'], managed_by: 'administration', status: 'active' });
  t.match(created.key.id, /^k[0-9a-f]{10}$/);

  const human = await cli('partner', 'add', 'cert-pl', '--name', 'CERT Polska');
  t.equal(human.status, 0);
  t.match(human.out, /^partner added: cert-pl \(CERT Polska\): active, clearance amber, no communities\nAPI key \(shown once; give it to the partner now\): \S{40,}\nkey id k[0-9a-f]{10}; .*revoke with: taxii-exchange key revoke cert-pl k[0-9a-f]{10}\n$/);

  const list = await cli('partner', 'list', '--json');
  t.equal(list.status, 0);
  t.same((JSON.parse(list.out) as { id: string }[]).map((p) => p.id), ['cert-de', 'cert-pl']);
  t.match((await cli('partner', 'list')).out, /cert-de \(CERT-DE\): active, clearance green, communities eu, nato\ncert-pl/);

  const key = await cli('key', 'add', 'cert-de', '--json');
  t.equal(key.status, 0);
  const second = JSON.parse(key.out) as { key: { id: string } };
  t.match(await cli('key', 'revoke', 'cert-de', created.key.id), { status: 0, out: `key ${created.key.id} of cert-de revoked\n` });
  const shown = JSON.parse((await cli('partner', 'show', 'cert-de', '--json')).out) as { keys: { id: string; revoked: string | null }[] };
  t.match(shown.keys, [{ id: created.key.id, revoked: /^\d{4}-/ }, { id: second.key.id, revoked: null }]);

  t.match(await cli('partner', 'suspend', 'cert-de'), { status: 0, out: /^partner suspended: cert-de \(CERT-DE\): suspended/ });
  t.match(await cli('partner', 'resume', 'cert-de'), { status: 0, out: /^partner resumed: cert-de \(CERT-DE\): active/ });
  t.match(await cli('partner', 'set', 'cert-de', '--clearance', 'red'), { status: 0, out: /clearance red/ });
  const fingerprint = `sha256:${'AB:'.repeat(31)}AB`;
  t.match(await cli('partner', 'set', 'cert-de', '--certificate', fingerprint, '--certificate', 'subject:CN=feed, O=CERT-DE', '--require-certificate', 'yes'), { status: 0 });
  t.match((await cli('partner', 'show', 'cert-de')).out, `client certificate: sha256:${'ab'.repeat(32)}\nclient certificate: subject:CN=feed,O=CERT-DE\nmust present its client certificate besides its key or token\n`);
  t.match(await cli('partner', 'set', 'cert-de', '--certificate', '', '--require-certificate', 'no'), { status: 0 }, '--certificate "" clears the list');
  t.match(JSON.parse((await cli('partner', 'show', 'cert-de', '--json')).out), { certificates: [], require_certificate: false });
  // The demo configuration (TAXII_CONFIG unset) has no JWT authentication.
  t.match(await cli('token', 'issue', 'cert-de', '--ttl', '1h'), { status: 1, err: /JWT authentication is not configured/ });
});

t.test('collections, groups and grants', async (t) => {
  // The test database holds no API root of a configuration file: a command cannot create one.
  t.match(await cli('collection', 'add', 'alliance', '--title', 'x'), { status: 1, err: /no API root alliance \(API roots are defined in the configuration file\)/ });
  t.match(await cli('group', 'add', 'analysts'), { status: 0, out: 'group analysts: no members\n' });
  t.match(await cli('group', 'add-member', 'analysts', 'cert-de'), { status: 0, out: 'group analysts: cert-de\n' });
  t.match(await cli('grant', '--help'), { status: 0, out: /usage: taxii-exchange grant PARTNER\|@GROUP API-ROOT\/ALIAS-OR-ID/ });
  t.match(await cli('grant', '@analysts', 'alliance/x'), { status: 1, err: /give --read, --write or both/ });
  t.match(await cli('collection', 'list', '--json'), { status: 0, out: '[]\n' });
  t.match(await cli('collection', 'list', 'alliance'), { status: 0, out: '' }, 'an optional API root');
});

t.test('failures: a one-line reason, exit 1; usage errors exit 2', async (t) => {
  const oneLine = (r: Awaited<ReturnType<typeof cli>>) => r.err.trim().split('\n').length === 1;
  const exists = await cli('partner', 'add', 'cert-de', '--name', 'x');
  t.match(exists, { status: 1, err: 'taxii-exchange: partner cert-de exists already\n' });
  const unknown = await cli('partner', 'show', 'nobody');
  t.match(unknown, { status: 1, err: 'taxii-exchange: no partner nobody\n' });
  t.ok(oneLine(unknown));
  t.match(await cli('key', 'revoke', 'cert-de', 'k0000000000'), { status: 1, err: /has no active key k0000000000/ });
  const bogus = await cli('partner', 'add', 'x', '--name', 'y', '--bogus');
  t.match(bogus, { status: 2, err: /^taxii-exchange: partner add: Unknown option '--bogus' \(usage: taxii-exchange partner add ID/ });
  t.ok(oneLine(bogus));
  t.match(await cli('partner', 'add'), { status: 2, err: /partner add: expected ID/ });
  t.match(await cli('partner', 'explode'), { status: 2, err: /partner: unknown subcommand "explode"/ });
  t.match(await cli('partner', 'set', 'cert-de'), { status: 2, err: /nothing to change/ });
  t.match(await cli('partner', 'set', 'cert-de', '--require-certificate', 'maybe'), { status: 2, err: /--require-certificate: yes or no, not "maybe"/ });
  t.match(await cli('partner', 'set', 'cert-de', '--certificate', 'md5:abc'), { status: 1, err: /certificate "md5:abc": sha256:<64 hex digits>/ });
});

t.test('as a process: the exit code and the whole output reach the shell', async (t) => {
  const result = spawnSync(process.execPath, [...process.execArgv, CLI, 'partner', 'show', 'nobody'], { encoding: 'utf8', env: { ...inherited, ...database }, timeout: 90_000 });
  t.equal(result.status, 1);
  t.equal(result.stderr, 'taxii-exchange: no partner nobody\n');
  const listed = spawnSync(process.execPath, [...process.execArgv, CLI, 'partner', 'list', '--json'], { encoding: 'utf8', env: { ...inherited, ...database }, timeout: 90_000 });
  t.equal(listed.status, 0);
  t.equal((JSON.parse(listed.stdout) as unknown[]).length, 2);
});
