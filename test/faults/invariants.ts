/**
 * What must hold after a fault, from the answers the clients got and directly in
 * the database (migrations/ for the schema).
 */
import type { Test } from 'tap';
import type { ThrowawayCluster } from '../helpers/throwaway-cluster.js';
import { waitFor } from './harness.js';
import { SHARED, SHARED_ID, describe, envelope, send, tally, type Accepted, type Outcome, type Poller } from './load.js';

/**
 * Every answer was 2xx or a 503 with Retry-After: never a 500, never another
 * status, never no answer (a hang or a dead server) unless `mayFail` excuses it.
 */
export function checkAnswers(t: Test, label: string, outcomes: readonly Outcome[], mayFail: (o: Outcome) => boolean = () => false): void {
  const bad = outcomes.filter((o) => !((o.status >= 200 && o.status < 300) || o.status === 503) && !mayFail(o));
  t.same(bad.map(describe), [], `${label}: every answer is 2xx or 503 (never 500, never a hang)`, { tally: tally(outcomes) });
  const bare = outcomes.filter((o) => o.status === 503 && o.retryAfter === undefined);
  t.same(bare.map(describe), [], `${label}: every 503 carries Retry-After`);
}

/**
 * Reads the collection until the poller has caught up, with the load stopped:
 * the poller must then have seen every object stored, once.
 */
export async function catchUp(t: Test, cluster: ThrowawayCluster, database: string, poller: Poller, port: number): Promise<void> {
  await waitFor('the poller to catch up', 60_000, async () => {
    const { outcome, caughtUp } = await poller.step(port);
    if (outcome.status !== 200) throw new Error(`catching up: ${describe(outcome)}`);
    return caughtUp ? true : undefined;
  });
  const stored = await cluster.query<{ object_id: string }>(database, 'SELECT DISTINCT object_id FROM object_versions WHERE collection_id = $1::uuid', [SHARED_ID]);
  const missed = stored.map((r) => r.object_id).filter((id) => !poller.seen.has(id));
  t.same(missed.slice(0, 20), [], `the poller saw every stored object (${stored.length}): paging by next and added_after skipped none`, { missed: missed.length });
  t.same(poller.repeated.slice(0, 20), [], 'and none twice');
  t.same(poller.backwards.slice(0, 20), [], 'and date_added only moved forward from page to page');
}

/**
 * The invariants of the store after a fault, read directly in the database: what
 * a 202 reported stored is stored; no status is left pending; no version is stored
 * twice; date_added is unique per collection and below the collection's counter.
 */
export async function checkStore(t: Test, cluster: ThrowawayCluster, database: string, accepted: readonly Accepted[]): Promise<void> {
  const q = <R extends object>(sql: string, params: readonly unknown[] = []) => cluster.query<R>(database, sql, params);
  const reported = accepted.flatMap((a) => a.successes);
  const ids = reported.map((s) => s.id);
  const versions = reported.map((s) => s.version);
  const lost = await q<{ id: string; version: string }>(
    `SELECT r.id, r.version FROM unnest($1::text[], $2::text[]) AS r(id, version)
      WHERE NOT EXISTS (SELECT 1 FROM object_versions o
                         WHERE o.collection_id = $3::uuid AND o.object_id = r.id AND o.version = r.version)`,
    [ids, versions, SHARED_ID],
  );
  t.ok(reported.length > 0, `the load had objects accepted (${reported.length} in ${accepted.length} statuses)`);
  t.same(lost.slice(0, 20), [], 'every object version a 202 status reported in successes is stored', { lost: lost.length });

  const statusIds = accepted.map((a) => a.statusId);
  const statuses = await q<{ n: string }>(`SELECT count(*) AS n FROM statuses WHERE id = ANY($1::uuid[]) AND status = 'complete'`, [statusIds]);
  t.equal(Number(statuses[0]?.n), statusIds.length, 'every status answered with 202 is stored, complete');
  const pending = await q<{ id: string }>(`SELECT id::text FROM statuses WHERE status = 'pending' OR pending_count > 0`);
  t.same(pending, [], 'no status resource is left pending');

  const duplicates = await q<{ object_id: string; version_key: string; n: string }>(
    `SELECT object_id, version_key, count(*) AS n FROM object_versions
      GROUP BY collection_id, object_id, version_key, submitted_by HAVING count(*) > 1 LIMIT 20`,
  );
  t.same(duplicates, [], 'no version is stored twice by one submitter');
  const flags = await q<{ object_id: string; firsts: string; lasts: string }>(
    `SELECT object_id, count(*) FILTER (WHERE is_first) AS firsts, count(*) FILTER (WHERE is_last) AS lasts
       FROM object_versions WHERE NOT has_twin GROUP BY collection_id, object_id
     HAVING count(*) FILTER (WHERE is_first) <> 1 OR count(*) FILTER (WHERE is_last) <> 1 LIMIT 20`,
  );
  t.same(flags, [], 'every object has exactly one first and one last version');
  const dates = await q<{ collection_id: string; rows: string; distinct_dates: string; max_date: string; counter: string }>(
    `SELECT o.collection_id::text, count(*) AS rows, count(DISTINCT o.date_added) AS distinct_dates,
            max(o.date_added) AS max_date, c.last_date_added AS counter
       FROM object_versions o JOIN collections c ON c.id = o.collection_id
      GROUP BY o.collection_id, c.last_date_added`,
  );
  for (const d of dates) {
    t.equal(d.distinct_dates, d.rows, `collection ${d.collection_id}: date_added unique (${d.rows} versions)`);
    t.ok(BigInt(d.counter) >= BigInt(d.max_date), `collection ${d.collection_id}: last_date_added is at least every date_added`);
  }
}

/** Waits until a POST and a read both succeed: the server serves again, without a restart. */
export async function waitUntilServing(port: number, timeoutMs: number): Promise<{ afterMs: number }> {
  const started = Date.now();
  let last: Outcome | undefined;
  try {
    await waitFor('the server to serve again', timeoutMs, async () => {
      const posted = await send(port, 'POST', `${SHARED}objects/`, envelope(5));
      last = posted;
      if (posted.status !== 202) return undefined;
      const read = await send(port, 'GET', `${SHARED}objects/?limit=1`);
      last = read;
      return read.status === 200 ? true : undefined;
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}; last answer: ${last === undefined ? 'none' : describe(last)}`);
  }
  return { afterMs: Date.now() - started };
}
