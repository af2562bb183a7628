/**
 * The embedded database's data directory (src/store/db.ts, issue 13's lean embedded
 * default): created in a child process (initdb in WebAssembly leaves a process with
 * memory it never gives back), moved in with its mark last, opened with bounded memory
 * settings, and an interrupted creation is refused in words rather than opened.
 */
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../src/store/db.js';

const work = mkdtempSync(join(tmpdir(), 'taxii-embedded-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

t.test('a new data directory is created, then opened with the bounded settings; its data survives a reopen', async (t) => {
  const dataDir = join(work, 'new');
  mkdirSync(join(dataDir, '.initdb-left-by-a-crash'), { recursive: true });
  const db = await openDb({ dataDir });
  try {
    t.ok(existsSync(join(dataDir, 'PG_VERSION')), 'the directory holds a database');
    t.same(readdirSync(dataDir).filter((entry) => entry.startsWith('.initdb-')), [], 'no staging directory is left, an earlier one included');
    const [settings] = await db.query<{ shared_buffers: string; work_mem: string }>(
      "SELECT current_setting('shared_buffers') AS shared_buffers, current_setting('work_mem') AS work_mem",
    );
    t.same(settings, { shared_buffers: '8MB', work_mem: '2MB' });
    await db.exec('CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)');
  } finally {
    await db.close();
  }
  const reopened = await openDb({ dataDir });
  try {
    t.same(await reopened.query('SELECT n FROM kept'), [{ n: 42 }], 'reopened, not created again');
  } finally {
    await reopened.close();
  }
});

t.test('a database whose creation was interrupted is refused with what to do', async (t) => {
  const dataDir = join(work, 'interrupted');
  mkdirSync(join(dataDir, 'base'), { recursive: true });
  await t.rejects(openDb({ dataDir }), /holds a database whose creation was interrupted \(no PG_VERSION\); remove the directory and start again/);
});

t.test('the in-memory database has the same bounded settings', async (t) => {
  const db = await openDb({});
  try {
    t.same(await db.query("SELECT current_setting('shared_buffers') AS shared_buffers"), [{ shared_buffers: '8MB' }]);
  } finally {
    await db.close();
  }
});
