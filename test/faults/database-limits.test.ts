/**
 * Issue 10, defects 4 and 8: the database is reachable but will not serve in time.
 * A collection row locked by someone else beyond lock_timeout (and, on a server
 * configured the other way round, beyond statement_timeout); a frozen database
 * (every PostgreSQL process stopped with SIGSTOP: sockets open, no answer); fewer
 * connections than the pool wants (a role's CONNECTION LIMIT, then a small
 * max_connections). Each is a 503 with Retry-After within a bounded time, never a
 * 500 or a hang, and reads keep their connections while writers wait.
 */
import t from 'tap';
import { freePort } from '../helpers/throwaway-cluster.js';
import { faultConfig, skipReason, sleep, startServer, faultCluster } from './harness.js';
import { catchUp, checkAnswers, checkStore, waitUntilServing } from './invariants.js';
import { createPoller, describe, envelope, send, SHARED, SHARED_ID, startLoad, tally, type Outcome } from './load.js';

const DATABASE = 'taxii_faults';
const LIMITED_DATABASE = 'taxii_faults_limited';
const LIMITED_ROLE = 'taxii_limited';
const LIMITED_CONNECTIONS = 3;
/** Server A: lock_timeout below statement_timeout (the usual order). */
const A = { lock: 2, statement: 10, acquire: 3, pool: 4 };
/** Server B: statement_timeout below lock_timeout, so a lock wait ends by statement_timeout. */
const B = { lock: 10, statement: 1, acquire: 3, pool: 4 };
/** Two client-side query timeouts of server B (statement timeout + 5 s each) and a little more. */
const FREEZE_MS = 2 * (B.statement + 5) * 1000 + 1_000;
/** A read while writers wait must stay well under the timeouts. */
const FAST_READ_MS = 2_000;

const skip = skipReason();

function descriptionOf(o: Outcome): string {
  try {
    return String((JSON.parse(o.text) as { description?: unknown }).description ?? '');
  } catch {
    return '';
  }
}

if (skip !== undefined) t.plan(0, skip);
else {
  const { defer, cluster } = await faultCluster(t, DATABASE);
  await cluster.createLimitedRole(LIMITED_ROLE, LIMITED_CONNECTIONS);
  await cluster.createDatabase(LIMITED_DATABASE, LIMITED_ROLE);

  const serverWith = (database: string, user: string, s: typeof A) => {
    const config = faultConfig({
      database_statement_timeout_seconds: s.statement,
      database_lock_timeout_seconds: s.lock,
      database_acquire_timeout_seconds: s.acquire,
    });
    defer(() => config.remove());
    return async () => {
      const server = startServer({ databaseUrl: cluster.url(database, user), port: await freePort(), configPath: config.path, poolSize: s.pool });
      defer(() => server.stop());
      await server.ready();
      return server;
    };
  };
  // A migrates first; B and the limited server (another database) then start together.
  const serverA = await serverWith(DATABASE, 'postgres', A)();
  const [serverB, limited] = await Promise.all([serverWith(DATABASE, 'postgres', B)(), serverWith(LIMITED_DATABASE, LIMITED_ROLE, { ...A, pool: 10 })()]);

  // One poller syncs the shared database through every scenario of this file.
  const poller = createPoller();

  /** A lone POST while the collection row is locked, and discovery and a page read meanwhile. */
  const lonePostUnderLock = async (port: number) => {
    const lock = await cluster.holdCollectionLock(DATABASE, SHARED_ID, 6);
    try {
      const [post, discovery, page] = await Promise.all([
        send(port, 'POST', `${SHARED}objects/`, envelope(200)),
        sleep(300).then(() => send(port, 'GET', '/taxii2/')),
        sleep(600).then(() => send(port, 'GET', `${SHARED}objects/?limit=100`)),
      ]);
      return { post, discovery, page };
    } finally {
      await lock.release();
    }
  };

  t.test('issue 10 defect 4: a collection row locked beyond lock_timeout makes POST a 503 within about the lock timeout; reads stay fast', async (t) => {
    const { post, discovery, page } = await lonePostUnderLock(serverA.port);
    t.equal(post.status, 503, 'the POST is a 503', { answer: describe(post) });
    t.ok(post.retryAfter !== undefined, 'with Retry-After');
    t.match(descriptionOf(post), /lock timeout/, 'saying the lock was not granted in time');
    t.ok(post.ms >= A.lock * 1000 - 200 && post.ms < A.lock * 1000 + 2_000, `after about lock_timeout (${A.lock} s): ${post.ms} ms`);
    t.equal(discovery.status, 200, 'GET /taxii2/ meanwhile is 200');
    t.ok(discovery.ms < FAST_READ_MS, `in ${discovery.ms} ms`);
    t.equal(page.status, 200, 'a page of objects meanwhile is 200');
    t.ok(page.ms < FAST_READ_MS, `in ${page.ms} ms`);
    await waitUntilServing(serverA.port, 5_000);
  });

  t.test('issue 10 defect 4: with statement_timeout below lock_timeout, the lock wait ends as a 503 after the statement timeout', async (t) => {
    const { post, discovery, page } = await lonePostUnderLock(serverB.port);
    t.equal(post.status, 503, 'the POST is a 503', { answer: describe(post) });
    t.ok(post.retryAfter !== undefined, 'with Retry-After');
    t.match(descriptionOf(post), /statement timeout/, 'saying the statement took too long');
    t.ok(post.ms >= B.statement * 1000 - 200 && post.ms < B.statement * 1000 + 2_000, `after about statement_timeout (${B.statement} s): ${post.ms} ms`);
    t.ok(discovery.status === 200 && discovery.ms < FAST_READ_MS, `GET /taxii2/ meanwhile: ${describe(discovery)}`);
    t.ok(page.status === 200 && page.ms < FAST_READ_MS, `a page meanwhile: ${describe(page)}`);
    await waitUntilServing(serverB.port, 5_000);
  });

  t.test('issue 10 defect 4: writers queued on a locked collection hold at most the transaction slots; every POST is a 503 in bounded time and readers keep their connections', async (t) => {
    // Six writers against a pool of 4, of which 2 may run transactions.
    const load = startLoad({ ports: [serverA.port], writers: 6, envelopeSize: 200, pollers: [poller], readers: 2 });
    t.teardown(() => load.stop());
    await sleep(1_500);
    const lock = await cluster.holdCollectionLock(DATABASE, SHARED_ID, 9);
    const locked = Date.now();
    await lock.released;
    const released = Date.now();
    await sleep(2_000);
    await load.stop();
    t.comment(`answers: ${JSON.stringify(tally(load.outcomes))}`);

    // A POST that committed just before the lock was taken may still be saving its status.
    const posts = load.outcomes.filter((o) => o.method === 'POST' && o.startedAt + o.ms > locked + 500 && o.startedAt + o.ms < released);
    const reads = load.outcomes.filter((o) => o.method === 'GET' && o.startedAt > locked && o.startedAt + o.ms < released);
    t.ok(posts.length >= 6, `POSTs answered while the row was locked (${posts.length})`);
    t.same(posts.filter((o) => o.status !== 503).map(describe), [], 'every one a 503');
    // At worst a writer waits for a transaction slot, then for a connection (each up to the
    // acquire timeout), then for the lock.
    const bound = (A.lock + 2 * A.acquire + 2) * 1000;
    t.same(posts.filter((o) => o.ms > bound).map(describe), [], `each within lock_timeout + 2 × acquire timeout + 2 s (${bound} ms)`);
    t.ok(posts.some((o) => /lock timeout/.test(descriptionOf(o))), 'some waited on the lock until lock_timeout');
    t.comment(`POSTs refused while waiting for a transaction slot: ${posts.filter((o) => /busy writing/.test(descriptionOf(o))).length}`);
    t.ok(reads.length > 10, `reads answered while the row was locked (${reads.length})`);
    t.same(reads.filter((o) => o.status !== 200).map(describe), [], 'every read a 200');
    t.same(reads.filter((o) => o.ms > FAST_READ_MS).map(describe), [], `every read within ${FAST_READ_MS} ms`);
    checkAnswers(t, 'around the lock', load.outcomes);
    t.ok(load.outcomes.some((o) => o.method === 'POST' && o.status === 202 && o.startedAt > released), 'POSTs succeed again once the lock is released');
    await checkStore(t, cluster, DATABASE, load.accepted);
    await catchUp(t, cluster, DATABASE, poller, serverA.port);
  });

  t.test('issue 10 defect 8: a database that stops answering (SIGSTOP) is a 503 within the client-side query timeout, not a hang', async (t) => {
    const ingest = startLoad({ ports: [serverB.port], writers: 2, envelopeSize: 200, pollers: [poller], readers: 0 });
    t.teardown(() => ingest.stop());
    await sleep(1_500);
    await ingest.stop();
    // The only POST from now on is caught inside its transaction, waiting for the row lock, when the database freezes.
    const load = startLoad({ ports: [serverB.port], writers: 0, envelopeSize: 0, pollers: [poller], readers: 1 });
    t.teardown(() => load.stop());
    const lock = await cluster.holdCollectionLock(DATABASE, SHARED_ID, 60);
    const probe = send(serverB.port, 'POST', `${SHARED}objects/`, envelope(50));
    const probeSent = Date.now();
    const waitingForLock = async () => (await cluster.activity(DATABASE)).some((b) => b.waitEventType === 'Lock');
    let caught = await waitingForLock();
    while (!caught && Date.now() - probeSent < 5_000) {
      await sleep(10);
      caught = await waitingForLock();
    }
    t.ok(caught, 'the POST waits for the row lock, inside its transaction, when the database freezes');
    let frozen = Date.now();
    let thawed = Number.POSITIVE_INFINITY;
    try {
      cluster.freeze();
      frozen = Date.now();
      // Longer than two client-side query timeouts, so that a request waiting for two of them would show.
      await sleep(FREEZE_MS);
    } finally {
      // Taken before the thaw: a request answered after it (within the release below) is no answer of the freeze.
      thawed = Date.now();
      cluster.thaw();
      await lock.release();
    }
    const probed = await probe;
    const { afterMs } = await waitUntilServing(serverB.port, 15_000);
    await load.stop();
    t.comment(`answers: ${JSON.stringify(tally(load.outcomes))}; serving again ${afterMs} ms after the thaw`);
    t.ok(serverB.alive(), 'the server process is still running', { problems: serverB.problems() });
    // statement_timeout cannot fire in a stopped backend; the client-side query timeout
    // (statement timeout + 5 s) does, or the acquire timeout when a new connection is needed.
    const queryTimeoutMs = (B.statement + 5) * 1000;
    t.equal(probed.status, 503, 'the POST frozen inside its transaction is a 503', { answer: describe(probed) });
    t.ok(probed.startedAt + probed.ms - frozen < queryTimeoutMs + 2_000,
      `answered within the query timeout (${queryTimeoutMs} ms) + 2 s of the freeze: ${probed.startedAt + probed.ms - frozen} ms`);
    const inFreeze = load.outcomes.filter((o) => o.startedAt > frozen && o.startedAt + o.ms < thawed);
    t.ok(inFreeze.length > 0, `requests were answered while the database was frozen (${inFreeze.length})`);
    t.same(inFreeze.filter((o) => o.status !== 503).map(describe), [], 'every one a 503');
    const bound = queryTimeoutMs + B.acquire * 1000;
    checkAnswers(t, 'around the freeze', [...ingest.outcomes, ...load.outcomes]);
    t.same(load.outcomes.filter((o) => o.ms > bound).map(describe), [], `no read took longer than ${bound} ms`);
    await checkStore(t, cluster, DATABASE, ingest.accepted);
    await catchUp(t, cluster, DATABASE, poller, serverB.port);
  });

  t.test(`issue 10 defect 8: a role with CONNECTION LIMIT ${LIMITED_CONNECTIONS}, below the pool size of 10, gets 503 not 500`, async (t) => {
    const load = startLoad({ ports: [limited.port], writers: 4, envelopeSize: 200, pollers: 1, readers: 3, backoffMs: 50 });
    t.teardown(() => load.stop());
    await sleep(6_000);
    await load.stop();
    t.comment(`answers: ${JSON.stringify(tally(load.outcomes))}`);
    t.ok(limited.alive(), 'the server process is still running', { problems: limited.problems() });
    checkAnswers(t, 'over the connection limit', load.outcomes);
    const refused = load.outcomes.filter((o) => o.status === 503);
    t.ok(refused.length > 0, 'the limit was reached (some 503)');
    t.ok(load.outcomes.some((o) => o.status === 202) && load.outcomes.some((o) => o.status === 200), 'while other requests succeed');
    await waitUntilServing(limited.port, 10_000);
    await checkStore(t, cluster, LIMITED_DATABASE, load.accepted);
    const limitedPoller = load.pollers[0];
    if (limitedPoller !== undefined) await catchUp(t, cluster, LIMITED_DATABASE, limitedPoller, limited.port);
  });

  t.test('issue 10 defect 8: max_connections below what two servers\' pools want gets 503 not 500', async (t) => {
    await limited.stop();
    await cluster.restart({ maxConnections: 5, superuserReserved: 0 });
    const load = startLoad({ ports: [serverA.port, serverB.port], writers: 4, envelopeSize: 200, pollers: [poller], readers: 4, backoffMs: 50 });
    t.teardown(() => load.stop());
    await sleep(6_000);
    await load.stop();
    t.comment(`answers: ${JSON.stringify(tally(load.outcomes))}`);
    t.ok(serverA.alive() && serverB.alive(), 'both server processes are still running', { problems: serverA.problems() + serverB.problems() });
    checkAnswers(t, 'over max_connections', load.outcomes);
    t.ok(load.outcomes.some((o) => o.status === 503), 'max_connections was reached (some 503)');
    t.ok(load.outcomes.some((o) => o.status === 202) && load.outcomes.some((o) => o.status === 200), 'while other requests succeed');
    // Room again for the servers' pools and for the checks below.
    await cluster.restart({ maxConnections: 40 });
    await waitUntilServing(serverA.port, 15_000);
    await waitUntilServing(serverB.port, 15_000);
    await checkStore(t, cluster, DATABASE, load.accepted);
    await catchUp(t, cluster, DATABASE, poller, serverA.port);
  });
}
