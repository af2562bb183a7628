/** When the store analyses object_versions, and that a failed analysis never fails the write that triggered it. */
import t from 'tap';
import type { Db } from '../../src/store/db.js';
import { createPlannerStatistics } from '../../src/store/planner-statistics.js';

/** A database whose table holds `rows` rows; an analysis makes reltuples catch up with them. */
function fakeDb(options: { failAnalyse?: boolean } = {}) {
  const calls: string[] = [];
  let reltuples = -1;
  const state = { rows: 0 };
  const db = {
    kind: 'pglite',
    async query<R extends object>(): Promise<R[]> {
      calls.push('reltuples');
      return [{ tuples: reltuples } as unknown as R];
    },
    async exec(sql: string) {
      calls.push(sql);
      if (options.failAnalyse === true) throw new Error('permission denied');
      reltuples = state.rows;
    },
    transaction: () => Promise.reject(new Error('unused')),
    close: async () => undefined,
    connections: () => ({ open: 1, idle: 1, waiting: 0 }),
  } satisfies Db;
  return { db, calls, state };
}

t.test('analyses once a few thousand rows arrived, then whenever the table doubled', async (t) => {
  const fake = fakeDb();
  const statistics = createPlannerStatistics(fake.db);
  const add = async (n: number) => {
    fake.state.rows += n;
    fake.calls.length = 0;
    await statistics.rowsAdded(n);
    return fake.calls.filter((c) => c.startsWith('ANALYZE')).length;
  };
  t.equal(await add(4_999), 0, 'below the minimum: nothing');
  t.same(fake.calls, [], 'not even a query');
  t.equal(await add(1), 1, 'never analysed: analysed at 5,000 rows');
  t.equal(await add(4_999), 0);
  t.equal(await add(1), 1, 'doubled (10,000): analysed');
  t.equal(await add(9_999), 0, 'not yet doubled');
  t.same(fake.calls, [], 'and no query to find out');
  t.equal(await add(1), 1, 'doubled again (20,000)');
});

t.test('a failed analysis is swallowed: the rows are stored, the request succeeds', async (t) => {
  const fake = fakeDb({ failAnalyse: true });
  const statistics = createPlannerStatistics(fake.db);
  await t.resolves(statistics.rowsAdded(10_000));
  t.ok(fake.calls.includes('ANALYZE object_versions'), 'it was tried');
  await t.resolves(statistics.rowsAdded(10_000), 'and is tried again later');
});
