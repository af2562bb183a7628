/**
 * Request counts per key and one-minute window, shared by every server process on
 * one PostgreSQL database (migration 0007), so a partner's rate limit holds across
 * TAXII_WORKERS and machines. Processes add what they counted since their last
 * sync and learn the totals of the current and the previous window.
 */
import { toNumber, type Db } from './db.js';

export const WINDOW_MS = 60_000;

export interface WindowCounts {
  /** Every process's requests in the current window, this sync's included. */
  readonly current: number;
  readonly previous: number;
}

export interface RateWindows {
  /** Adds `increments` (0 to only read) to `windowStart`'s counts; returns the totals of each key. */
  add(windowStart: number, increments: ReadonlyMap<string, number>): Promise<Map<string, WindowCounts>>;
  /** Forgets windows that no estimate uses any more. */
  purge(before: number): Promise<void>;
}

const ADD_TO_WINDOW = `
  WITH added AS (
    INSERT INTO rate_windows (key, window_start, count)
    SELECT u.key, $1::bigint, u.count FROM unnest($2::text[], $3::int[]) AS u(key, count)
    ON CONFLICT (key, window_start) DO UPDATE SET count = rate_windows.count + excluded.count
    RETURNING key, count)
  SELECT a.key, a.count AS current, coalesce(p.count, 0) AS previous
  FROM added a LEFT JOIN rate_windows p ON p.key = a.key AND p.window_start = $1::bigint - ${WINDOW_MS}`;

const PURGE_WINDOWS = 'DELETE FROM rate_windows WHERE window_start < $1::bigint';

export function createRateWindows(db: Db): RateWindows {
  return {
    async add(windowStart, increments) {
      const keys = [...increments.keys()];
      const rows = await db.query<{ key: string; current: unknown; previous: unknown }>(
        ADD_TO_WINDOW,
        [String(windowStart), keys, keys.map((k) => increments.get(k) ?? 0)],
        { name: 'add_to_rate_window' },
      );
      return new Map(rows.map((r) => [r.key, { current: toNumber(r.current), previous: toNumber(r.previous) }]));
    },
    async purge(before) {
      await db.query(PURGE_WINDOWS, [String(before)], { name: 'purge_rate_windows' });
    },
  };
}
