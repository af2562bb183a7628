/**
 * Issue 10, defect 3: with TAXII_WORKERS=2, a worker that dies while the database
 * is down must be replaced once it is back. Before the fix the supervisor took the
 * replacement's failed start for a broken configuration and stopped every worker,
 * ending the service. Then several server processes (the two workers and a
 * separate server) write to one database at once while their connections are
 * terminated: date_added stays unique and in order, nothing is lost or doubled.
 */
import t from 'tap';
import { freePort } from '../helpers/throwaway-cluster.js';
import { eventually, faultConfig, skipReason, sleep, startServer, faultCluster, waitFor } from './harness.js';
import { catchUp, checkAnswers, checkStore, waitUntilServing } from './invariants.js';
import { createPoller, startLoad, tally, type Outcome } from './load.js';

const DATABASE = 'taxii_faults';
const OUTAGE_MS = 5_000;
const skip = skipReason();

if (skip !== undefined) t.plan(0, skip);
else {
  const { defer, cluster } = await faultCluster(t, DATABASE);
  const config = faultConfig({ database_acquire_timeout_seconds: 3, database_statement_timeout_seconds: 10 });
  defer(() => config.remove());
  const server = startServer({ databaseUrl: cluster.url(DATABASE), port: await freePort(), configPath: config.path, workers: 2, poolSize: 3 });
  defer(() => server.stop());
  await server.ready();
  // One poller syncs the collection through both scenarios, from whichever process answers.
  const poller = createPoller();
  const readyWorkers = () => server.lines.filter((l) => l['msg'] === 'worker ready');

  t.test('issue 10 defect 3: TAXII_WORKERS=2 survives a worker dying during a database outage and serves again without a restart', async (t) => {
    const first = await waitFor('two ready workers', 30_000, () => (readyWorkers().length >= 2 ? readyWorkers() : undefined));
    const victim = Number(first[0]?.['pid']);
    const load = startLoad({ ports: [server.port], writers: 2, envelopeSize: 200, pollers: [poller], readers: 1 });
    t.teardown(() => load.stop());
    await sleep(1_500);
    t.ok(load.accepted.length > 0, 'objects are accepted before the outage');

    await cluster.stop('fast');
    const down = Date.now();
    let killedAt = down;
    let during: Outcome[] = [];
    let up = Date.now();
    try {
      process.kill(victim, 'SIGKILL');
      killedAt = Date.now();
      const retried = await eventually(15_000, () => server.lines.find((l) => l['msg'] === 'replacement worker failed to start; retrying'));
      t.match(retried, { code: 1 }, 'the replacement started while the database was down fails, and is retried');
      t.notOk(server.lines.some((l) => l['msg'] === 'worker stopped before it listened; stopping the server'), 'the supervisor does not give up');
      t.ok(server.alive(), 'the primary keeps running', { problems: server.problems() });
      await sleep(Math.max(0, down + OUTAGE_MS - Date.now()));
      during = load.outcomes.filter((o) => o.startedAt > killedAt + 1_000);
    } finally {
      up = Date.now();
      await cluster.start();
    }

    const replacement = await waitFor('the replacement worker to be ready', 45_000, () => {
      if (!server.alive()) throw new Error(`the server stopped:\n${server.problems()}`);
      return readyWorkers()[2];
    });
    t.comment(`replacement ready ${Date.now() - up} ms after the database came back`);
    t.not(replacement['pid'], victim, 'a new worker process');
    await waitUntilServing(server.port, 15_000);
    const served = Date.now();
    await sleep(2_000);
    await load.stop();
    t.comment(`answers: ${JSON.stringify(tally(load.outcomes))}`);

    t.ok(server.alive(), 'the service is still running', { problems: server.problems() });
    t.notOk(server.lines.some((l) => l['msg'] === 'worker stopped before it listened; stopping the server'), 'the supervisor never gave up');
    const inOutage = during.filter((o: Outcome) => o.startedAt + o.ms < up);
    t.ok(inOutage.length > 0, `the surviving worker answered during the outage (${inOutage.length})`);
    t.same(inOutage.filter((o) => o.status !== 503).map((o) => o.status), [], 'with 503');
    // Only requests caught by the kill go unanswered: those in flight on the killed worker
    // (their connection is reset), and, now and then, one whose connection node:cluster's
    // primary was handing to that worker as it died, which is then never answered (the
    // client's own timeout ends it; SECURITY.md, "Not covered"). Any other is a failure.
    const caughtByTheKill = (o: Outcome) => o.status === 0 && o.startedAt >= killedAt - 2_000 && o.startedAt <= killedAt + 500;
    checkAnswers(t, 'around the outage', load.outcomes, caughtByTheKill);
    const servingPids = new Set(server.lines.filter((l) => l['msg'] === 'request completed' && Number(l['time']) > served).map((l) => l['pid']));
    t.ok(servingPids.has(replacement['pid']), 'the replacement serves requests');
    t.equal(servingPids.size, 2, 'two workers serve again');
    await checkStore(t, cluster, DATABASE, load.accepted);
    await catchUp(t, cluster, DATABASE, poller, server.port);
  });

  t.test('issue 10 defect 1: three server processes (two workers and a separate server) write to one database while their connections are terminated', async (t) => {
    const started = Date.now();
    const load = startLoad({ ports: [server.port], writers: 2, envelopeSize: 200, pollers: 0, readers: 0 });
    t.teardown(() => load.stop());
    // A second server starts (migrates, applies the configuration) while the first is ingesting.
    const other = startServer({ databaseUrl: cluster.url(DATABASE), port: await freePort(), configPath: config.path, poolSize: 4 });
    defer(() => other.stop());
    await other.ready();
    const both = startLoad({ ports: [server.port, other.port], writers: 4, envelopeSize: 200, pollers: [poller], readers: 1 });
    t.teardown(() => both.stop());
    await sleep(1_000);
    let kills = 0;
    const until = Date.now() + 4_000;
    while (Date.now() < until) {
      kills += (await cluster.terminateBackends(DATABASE)).length;
      await sleep(400);
    }
    await sleep(1_000);
    await Promise.all([load.stop(), both.stop()]);
    const outcomes = [...load.outcomes, ...both.outcomes];
    t.comment(`answers: ${JSON.stringify(tally(outcomes))}; backends terminated: ${kills}`);
    t.ok(server.alive() && other.alive(), 'every server process is still running', { problems: server.problems() + other.problems() });
    checkAnswers(t, 'three writers on one database', outcomes);
    await waitUntilServing(server.port, 15_000);
    await waitUntilServing(other.port, 15_000);
    const writers = new Set(
      [...server.lines, ...other.lines].filter((l) => l['msg'] === 'request completed' && Number(l['time']) > started && (l['res'] as { statusCode?: number } | undefined)?.statusCode === 202).map((l) => l['pid']),
    );
    t.ok(writers.size >= 3, `objects were accepted by ${writers.size} processes`);
    await checkStore(t, cluster, DATABASE, [...load.accepted, ...both.accepted]);
    await catchUp(t, cluster, DATABASE, poller, other.port);
  });
}
