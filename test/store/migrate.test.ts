/** Forward-only migrations (src/store/migrate.ts): idempotent, gap-free, one transaction, one migrator at a time. */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS_DIR } from '../../src/paths.js';
import { openDb, type Db } from '../../src/store/db.js';
import { migrate, readMigrations, type Migration } from '../../src/store/migrate.js';
import { versionKey } from '../../src/stix/timestamps.js';
import { openTestDb, testDatabaseUrl, admin } from '../helpers/database.js';

const FILES = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
const TABLES = ['api_roots', 'audit_events', 'audit_object_first', 'collections', 'console_sessions', 'grants', 'group_members', 'object_versions', 'partner_groups', 'partner_keys', 'partners', 'rate_windows', 'schema_migrations', 'server_secrets', 'statuses'];

const testDb = await openTestDb();
t.teardown(() => testDb.close());

async function tables(db: Db): Promise<string[]> {
  const rows = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
  );
  return rows.map((r) => r.table_name).sort();
}

async function applied(db: Db): Promise<{ version: number; name: string }[]> {
  const rows = await db.query<{ version: unknown; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
  return rows.map((r) => ({ version: Number(r.version), name: r.name }));
}

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'taxii-migrations-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

t.test('the migrations directory is numbered without gaps', async (t) => {
  t.ok(FILES.length > 0, 'there are migrations');
  const migrations = readMigrations();
  t.same(migrations.map((m) => m.name), FILES, 'every .sql file, in order');
  t.same(migrations.map((m) => m.version), FILES.map((_, i) => i + 1));
  t.ok(migrations.every((m) => m.sql.length > 0));
});

t.test('schema_migrations lists every migration file', async (t) => {
  t.same(await applied(testDb.db), FILES.map((name, i) => ({ version: i + 1, name })));
  for (const table of TABLES) t.ok((await tables(testDb.db)).includes(table), `table ${table} exists`);
});

t.test('migrating again applies nothing', async (t) => {
  const before = await tables(testDb.db);
  t.same(await migrate(testDb.db), [], 'first re-run');
  t.same(await migrate(testDb.db), [], 'second re-run');
  t.same(await tables(testDb.db), before, 'schema unchanged');
  t.equal((await applied(testDb.db)).length, FILES.length, 'no rows added');
});

t.test('readMigrations rejects gaps and duplicates, ignores other files', async (t) => {
  const gap = tempDir({ '0001_first.sql': 'SELECT 1;', '0003_third.sql': 'SELECT 3;' });
  t.teardown(() => rmSync(gap, { recursive: true, force: true }));
  t.throws(() => readMigrations(gap), /expected version 2, found 0003_third\.sql/, 'a gap in numbering');

  const late = tempDir({ '0002_second.sql': 'SELECT 2;' });
  t.teardown(() => rmSync(late, { recursive: true, force: true }));
  t.throws(() => readMigrations(late), /expected version 1, found 0002_second\.sql/, 'not starting at 0001');

  const dup = tempDir({ '0001_a.sql': 'SELECT 1;', '0001_b.sql': 'SELECT 1;' });
  t.teardown(() => rmSync(dup, { recursive: true, force: true }));
  t.throws(() => readMigrations(dup), /expected version 2, found 0001_b\.sql/, 'two files with one number');

  const ok = tempDir({
    '0001_first.sql': 'SELECT 1;',
    '0002_second_step.sql': 'SELECT 2;',
    'README.md': 'not a migration',
    '0003_Upper.sql': 'ignored: not the file pattern',
    '0004.sql': 'ignored: no name',
  });
  t.teardown(() => rmSync(ok, { recursive: true, force: true }));
  t.same(readMigrations(ok), [
    { version: 1, name: '0001_first.sql', sql: 'SELECT 1;' },
    { version: 2, name: '0002_second_step.sql', sql: 'SELECT 2;' },
  ]);
  const empty = tempDir({});
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  t.same(readMigrations(empty), []);
});

t.test('0013 gives leap-second versions the key versionKey gives them today', async (t) => {
  const sql = readMigrations().find((m) => m.name === '0013_leap_second_keys.sql')?.sql ?? '';
  const expression = /SET version_key = (.+)\n/.exec(sql)?.[1];
  if (expression === undefined) return t.fail('0013 sets version_key');
  for (const version of ['2016-12-31T23:59:60Z', '2016-12-31T23:59:60.500Z', '2016-12-31T23:59:60.123456789Z', '2016-12-31T23:59:60.000Z']) {
    const [row] = await testDb.db.query<{ key: string }>(`SELECT ${expression} AS key FROM (SELECT $1::text AS version) v`, [version]);
    t.equal(row?.key, versionKey(version), version);
  }
});

t.test('pending migrations run in one transaction', async (t) => {
  const current = readMigrations();
  const n = current.length;
  const good: Migration = { version: n + 1, name: `${String(n + 1).padStart(4, '0')}_good.sql`, sql: 'CREATE TABLE migrate_test_good (x integer);' };
  const bad: Migration = { version: n + 2, name: `${String(n + 2).padStart(4, '0')}_bad.sql`, sql: 'CREATE TABLE migrate_test_bad (x no_such_type);' };
  await t.rejects(migrate(testDb.db, [...current, good, bad]), 'a failing migration fails the run');
  t.notOk((await tables(testDb.db)).includes('migrate_test_good'), 'the good one before it was rolled back too');
  t.equal((await applied(testDb.db)).length, n, 'nothing recorded');
  t.same(await migrate(testDb.db, [...current, good]), [good.name], 'only the new one is applied');
  t.ok((await tables(testDb.db)).includes('migrate_test_good'));
  t.same((await applied(testDb.db)).at(-1), { version: n + 1, name: good.name });
  t.same(await migrate(testDb.db, [...current, good]), []);
});


function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

t.test('two processes migrating one fresh database at once (PostgreSQL only)', async (t) => {
  // PGlite is a single in-process database; there is no second process to race against.
  if (testDatabaseUrl !== undefined) {
    const serverUrl = testDatabaseUrl;
    const name = `taxii_test_${randomBytes(6).toString('hex')}`;
    await admin(serverUrl, `CREATE DATABASE ${name}`);
    const url = withDatabase(serverUrl, name);
    const dbA = await openDb({ databaseUrl: url, poolSize: 2 });
    const dbB = await openDb({ databaseUrl: url, poolSize: 2 });
    t.teardown(async () => {
      await dbA.close();
      await dbB.close();
      await admin(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    });
    const [a, b] = await Promise.all([migrate(dbA), migrate(dbB)]);
    const results = [a, b].sort((x, y) => y.length - x.length);
    t.same(results, [FILES, []], 'exactly one applies everything, the other nothing');
    t.same(await applied(dbA), FILES.map((f, i) => ({ version: i + 1, name: f })), 'each migration recorded once');
    t.same(await tables(dbB), TABLES, 'schema intact');
    t.same(await migrate(dbB), [], 'and a third run applies nothing');
  }
});
