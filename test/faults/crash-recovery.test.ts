/**
 * A server killed (SIGKILL) in the middle of ingestion, alone and together with
 * PostgreSQL (pg_ctl stop -m immediate: a crash, recovered from the WAL at start):
 * once started again, every object a 202 status reported stored is there, no
 * status is left pending, and nothing is stored twice or out of date_added order.
 * A 202 is only sent once its transaction has committed.
 */
import t from 'tap';
import { freePort } from '../helpers/throwaway-cluster.js';
import { faultConfig, skipReason, sleep, startServer, faultCluster, waitFor, type ServerProcess } from './harness.js';
import { catchUp, checkAnswers, checkStore, waitUntilServing } from './invariants.js';
import { createPoller, describe, send, startLoad, tally } from './load.js';

const DATABASE = 'taxii_faults';
const skip = skipReason();

if (skip !== undefined) t.plan(0, skip);
else {
  const { defer, cluster } = await faultCluster(t, DATABASE);
  const config = faultConfig({});
  defer(() => config.remove());
  const port = await freePort();
  const start = async (): Promise<ServerProcess> => {
    const server = startServer({ databaseUrl: cluster.url(DATABASE), port, configPath: config.path, poolSize: 10 });
    defer(() => server.stop());
    await server.ready();
    return server;
  };
  let server = await start();
  // One poller syncs the collection across every kill and restart (next tokens survive restarts).
  const poller = createPoller();

  for (const withDatabase of [false, true]) {
    const what = withDatabase ? 'the server and PostgreSQL (pg_ctl stop -m immediate) killed' : 'the server killed (SIGKILL)';
    t.test(`issue 10: ${what} during ingestion loses no object a 202 reported stored`, async (t) => {
      const load = startLoad({ ports: [port], writers: 3, envelopeSize: 300, pollers: [poller], readers: 1 });
      t.teardown(() => load.stop());
      await sleep(2_000);
      // The kill lands while a writer's transaction holds written rows.
      await waitFor('a write transaction in progress', 10_000, async () =>
        (await cluster.activity(DATABASE)).some((b) => b.writing) ? true : undefined);
      server.child.kill('SIGKILL');
      const killedAt = Date.now();
      if (withDatabase) await cluster.stop('immediate');
      await server.exited;
      await load.stop();
      const accepted = [...load.accepted];
      t.comment(`answers before the kill: ${JSON.stringify(tally(load.outcomes))}`);
      t.ok(accepted.length > 0, `statuses received before the kill (${accepted.length})`);
      // Requests in flight at the kill, or sent to the dead server, get no answer.
      checkAnswers(t, 'before the kill', load.outcomes, (o) => o.status === 0 && o.startedAt + o.ms >= killedAt);

      if (withDatabase) await cluster.start();
      server = await start();
      await waitUntilServing(port, 15_000);
      await checkStore(t, cluster, DATABASE, accepted);
      const last = accepted[accepted.length - 1];
      if (last !== undefined) {
        const status = await send(port, 'GET', `/alliance/status/${last.statusId}/`);
        t.equal(status.status, 200, 'the last status received before the kill is served after the restart', { answer: describe(status) });
      }
      await catchUp(t, cluster, DATABASE, poller, port);
    });
  }
}
