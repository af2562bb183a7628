/**
 * Issue 10, defects 1 and 8: connections to PostgreSQL lost while the server
 * ingests and is polled. Backends terminated under it (pg_terminate_backend), also
 * as soon as a connection opens, and the whole cluster stopped (fast and immediate)
 * and started again: the server process stays up, answers 2xx or 503 with
 * Retry-After (never 500, never a hang) and serves again once the database is
 * back, without a restart. Meanwhile its health says so (issue 13): /healthz 200,
 * /readyz 503 while the database is away, 200 once it is back.
 */
import t, { type Test } from 'tap';
import { freePort, type Backend } from '../helpers/throwaway-cluster.js';
import { faultConfig, skipReason, sleep, startServer, faultCluster } from './harness.js';
import { catchUp, checkAnswers, checkStore, waitUntilServing } from './invariants.js';
import { createPoller, describe, startLoad, tally, type Load, type Outcome } from './load.js';
import { startPgProxy } from './pg-proxy.js';
import { httpCall } from '../helpers/http-client.js';

const DATABASE = 'taxii_faults';
const skip = skipReason();

if (skip !== undefined) t.plan(0, skip);
else {
  const { defer, cluster } = await faultCluster(t, DATABASE);
  const config = faultConfig({
    database_statement_timeout_seconds: 10,
    database_lock_timeout_seconds: 5,
    database_acquire_timeout_seconds: 5,
  });
  defer(() => config.remove());
  const port = await freePort();
  const startMain = () => {
    const started = startServer({ databaseUrl: cluster.url(DATABASE), port, configPath: config.path, poolSize: 10 });
    defer(() => started.stop());
    return started;
  };
  let server = startMain();
  // A second server on the same database reaches it through a proxy that can kill connections as they open.
  const proxy = await startPgProxy(cluster.port, (pid) => cluster.query('postgres', 'SELECT pg_terminate_backend($1)', [pid]));
  defer(() => proxy.close());
  const proxied = startServer({
    databaseUrl: `postgres://postgres@127.0.0.1:${proxy.port}/${DATABASE}`, port: await freePort(), configPath: config.path, poolSize: 2,
  });
  defer(() => proxied.stop());
  await Promise.all([server.ready(), proxied.ready()]);

  // One poller syncs the collection through every scenario of this file.
  const poller = createPoller();
  /** Load on the main server for one scenario, stopped when it ends however it ends. */
  const load = (t: Test, writers: number): Load => {
    const running = startLoad({ ports: [server.port], writers, envelopeSize: 300, pollers: [poller], readers: 1 });
    t.teardown(() => running.stop());
    return running;
  };
  /** A scenario starts with a running server even when an earlier one killed it (and failed for that). */
  const aliveServer = async (t: Test) => {
    if (server.alive()) return;
    t.comment('the server died in an earlier scenario; starting a new one');
    server = startMain();
    await server.ready();
  };
  /** The invariants once a scenario's load has stopped and the database is back. */
  const settle = async (t: Test, running: Load) => {
    await running.stop();
    t.ok(server.alive(), 'the server process is still running', { problems: server.problems() });
    await checkStore(t, cluster, DATABASE, running.accepted);
    await catchUp(t, cluster, DATABASE, poller, server.port);
  };

  t.test('issue 10 defect 1: a connection dropped during a write does not kill the process; defect 8: it is a 503, not a 500', async (t) => {
    await aliveServer(t);
    const running = load(t, 4);
    await sleep(1_500);
    const kills: Backend[] = [];
    const until = Date.now() + 8_000;
    while (Date.now() < until && server.alive()) {
      kills.push(...(await cluster.terminateBackends(DATABASE)));
      await sleep(100);
    }
    const inWrite = kills.filter((k) => k.writing).length;
    t.ok(kills.length > 10, `backends terminated under load (${kills.length})`);
    t.ok(inWrite > 0, `some of them inside a write transaction (${inWrite}), the connection a checked-out client holds`);
    t.ok(server.alive(), 'the server survived every termination', { problems: server.problems() });
    const { afterMs } = await waitUntilServing(server.port, 15_000);
    t.comment(`answers under terminations: ${JSON.stringify(tally(running.outcomes))}; serving again ${afterMs} ms after the last one`);
    checkAnswers(t, 'under repeated pg_terminate_backend', running.outcomes);
    t.ok(running.outcomes.some((o) => o.status === 202), 'objects were still accepted between terminations');
    await settle(t, running);
  });

  t.test('issue 10 defect 1: a connection terminated as soon as it opens, before the server has read that it is ready, does not kill the process', async (t) => {
    const running = startLoad({ ports: [proxied.port], writers: 4, envelopeSize: 200, pollers: 3, readers: 1 });
    t.teardown(() => running.stop());
    await sleep(1_000);
    // The proxied server (a pool of 2) keeps one connection; each further one it opens, when a
    // transaction and a query both need one, is terminated as it opens. Pages read by the
    // pollers keep the first busy, so that transactions, too, open further ones.
    await cluster.terminateBackends(DATABASE);
    proxy.terminateBeyond = 1;
    try {
      // Five seconds of it, and at least one connection terminated (a loaded machine may take longer to open one).
      const started = Date.now();
      while (Date.now() - started < 5_000 || (proxy.terminated === 0 && Date.now() - started < 20_000)) await sleep(250);
    } finally {
      proxy.terminateBeyond = undefined;
    }
    t.ok(proxy.terminated > 0, `connections terminated as they opened (${proxy.terminated})`);
    t.ok(proxied.alive(), 'the server survived', { problems: proxied.problems() });
    await waitUntilServing(proxied.port, 15_000);
    t.comment(`answers: ${JSON.stringify(tally(running.outcomes))}`);
    checkAnswers(t, 'connections terminated as they open', running.outcomes);
    await running.stop();
    await checkStore(t, cluster, DATABASE, running.accepted);
    await aliveServer(t);
    await catchUp(t, cluster, DATABASE, poller, server.port);
  });

  for (const mode of ['fast', 'immediate'] as const) {
    t.test(`issue 10 defect 8: the database stopped (pg_ctl stop -m ${mode}) during ingestion and polling is a 503 with Retry-After, then the server serves again without a restart`, async (t) => {
      await aliveServer(t);
      const running = load(t, 2);
      await sleep(1_500);
      t.ok(running.accepted.length > 0, 'objects are accepted before the outage');
      await cluster.stop(mode);
      const down = Date.now();
      let back = Date.now();
      const probe = async (path: string) => {
        const res = await httpCall({ port: server.port, path });
        return { status: res.status, body: JSON.parse(res.text) as unknown };
      };
      try {
        await sleep(1_000);
        t.match(await probe('/healthz'), { status: 200, body: { status: 'ok' } }, 'the process is up: /healthz 200');
        t.match(await probe('/readyz'), { status: 503, body: { status: 'not ready', checks: { database: 'unreachable' } } }, 'but not ready: /readyz 503');
        await sleep(2_000);
      } finally {
        back = Date.now();
        await cluster.start();
      }
      const during = running.outcomes.filter((o) => o.startedAt >= down);
      t.ok(server.alive(), 'the server survived the outage', { problems: server.problems() });
      const { afterMs } = await waitUntilServing(server.port, 15_000);
      t.comment(`serving again ${afterMs} ms after the database was started`);
      t.match(await probe('/readyz'), { status: 200, body: { status: 'ready' } }, 'ready again');
      await sleep(1_000);

      const inOutage = during.filter((o: Outcome) => o.startedAt + o.ms < back);
      t.ok(inOutage.length > 3, `requests were answered during the outage (${inOutage.length})`);
      t.same(inOutage.filter((o) => o.status !== 503).map(describe), [], 'every request during the outage is a 503');
      t.same(inOutage.filter((o) => o.ms > 5_000).map(describe), [], 'answered within 5 s (no hang waiting for the database)');
      checkAnswers(t, `around pg_ctl stop -m ${mode}`, running.outcomes);
      const after = running.outcomes.filter((o) => o.startedAt > back + afterMs);
      t.ok(after.some((o) => o.status === 202) && after.some((o) => o.status === 200), 'writes and reads succeed again afterwards');
      await settle(t, running);
    });
  }
}
