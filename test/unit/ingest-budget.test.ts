/** The ingest budget (issue 5: bounded memory): admission order, the lone-envelope rule, release. */
import t from 'tap';
import { createIngestBudget } from '../../src/http/ingest-budget.js';

const tick = () => new Promise((r) => setImmediate(r));

t.test('envelopes within the budget are admitted at once; others wait their turn', async (t) => {
  const budget = createIngestBudget(100);
  const a = await budget.admit(60);
  const b = await budget.admit(40);
  t.equal(budget.inFlight, 100);
  const order: string[] = [];
  const c = budget.admit(50).then((release) => (order.push('c'), release));
  const d = budget.admit(10).then((release) => (order.push('d'), release));
  await tick();
  t.same(order, [], 'nothing fits: both wait, the small one does not overtake');
  a();
  await tick();
  t.same(order, ['c', 'd'], 'freed bytes admit the waiting in arrival order');
  t.equal(budget.inFlight, 100);
  b();
  (await c)();
  (await d)();
  t.equal(budget.inFlight, 0);
});

t.test('an envelope larger than the budget is admitted alone', async (t) => {
  const budget = createIngestBudget(100);
  const small = await budget.admit(10);
  let bigIn = false;
  const big = budget.admit(500).then((release) => ((bigIn = true), release));
  await tick();
  t.notOk(bigIn, 'it waits for the others to finish');
  small();
  const releaseBig = await big;
  t.ok(bigIn);
  let next = false;
  const after = budget.admit(1).then((release) => ((next = true), release));
  await tick();
  t.notOk(next, 'nothing joins it');
  releaseBig();
  releaseBig();
  (await after)();
  t.equal(budget.inFlight, 0, 'releasing twice releases once');
});
