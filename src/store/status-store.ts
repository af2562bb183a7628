/**
 * Status resources of Add Objects requests (taxii-2.1.md §9.3, E3). Persisted,
 * bound to the submitting partner (TR19), kept for the configured retention.
 */
import type { StatusDetail, StatusRecord } from '../taxii/status.js';
import { toNumber, type Db } from './db.js';
import { NOW_MICROS } from './sql-time.js';

export interface NewStatus {
  readonly id: string;
  readonly apiRootId: string;
  readonly collectionId: string;
  readonly partnerId: string;
  readonly requestTimestamp: number;
  readonly totalCount: number;
  readonly successes: readonly StatusDetail[];
  readonly failures: readonly StatusDetail[];
}

export interface StatusStore {
  /**
   * Stores the status of a processed request. Requests are processed while the client
   * waits, so a status is stored once, complete: no client can ask for it earlier,
   * since it learns the id from the response.
   */
  saveComplete(status: NewStatus): Promise<void>;
  /** Only the submitting partner finds its statuses (TR19). */
  find(id: string, apiRootId: string, partnerId: string): Promise<StatusRecord | undefined>;
  /** Removes statuses last updated before `olderThan` (µs); returns how many. */
  purge(olderThan: number): Promise<number>;
  /** How many are kept, by state (metrics). */
  countByState(): Promise<Record<'pending' | 'complete', number>>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function jsonList(list: readonly StatusDetail[]): string | null {
  return list.length === 0 ? null : JSON.stringify(list);
}

function parseList(value: unknown): StatusDetail[] {
  if (value === null || value === undefined) return [];
  return (typeof value === 'string' ? JSON.parse(value) : value) as StatusDetail[];
}

export function createStatusStore(db: Db): StatusStore {
  return {
    async saveComplete(s) {
      await db.query(
        `INSERT INTO statuses (id, api_root_id, collection_id, partner_id, status, request_timestamp, total_count,
           success_count, failure_count, pending_count, successes, failures, updated_at)
         VALUES ($1::uuid, $2, $3::uuid, $4, 'complete', $5::bigint, $6, $7, $8, 0, $9, $10, ${NOW_MICROS})`,
        [s.id, s.apiRootId, s.collectionId, s.partnerId, String(s.requestTimestamp), s.totalCount,
          s.successes.length, s.failures.length, jsonList(s.successes), jsonList(s.failures)],
        { name: 'save_status' },
      );
    },
    async find(id, apiRootId, partnerId) {
      if (!UUID.test(id)) return undefined;
      const rows = await db.query<{
        id: string; status: 'pending' | 'complete'; request_timestamp: unknown; total_count: number;
        successes: unknown; failures: unknown; pendings: unknown;
      }>(
        `SELECT id::text AS id, status, request_timestamp, total_count, successes, failures, pendings
         FROM statuses WHERE id = $1::uuid AND api_root_id = $2 AND partner_id = $3`,
        [id.toLowerCase(), apiRootId, partnerId],
        { name: 'find_status', prepare: true },
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      return {
        id: row.id,
        status: row.status,
        requestTimestamp: toNumber(row.request_timestamp),
        totalCount: Number(row.total_count),
        successes: parseList(row.successes),
        failures: parseList(row.failures),
        pendings: parseList(row.pendings),
      };
    },
    async purge(olderThan) {
      const rows = await db.query('DELETE FROM statuses WHERE updated_at < $1::bigint RETURNING 1', [String(olderThan)], { name: 'purge_statuses' });
      return rows.length;
    },

    async countByState() {
      const rows = await db.query<{ status: 'pending' | 'complete'; n: unknown }>(
        'SELECT status, count(*) AS n FROM statuses GROUP BY status', [], { name: 'count_statuses_by_state', prepare: true });
      const counts = { pending: 0, complete: 0 };
      for (const r of rows) counts[r.status] = Number(r.n);
      return counts;
    },
  };
}
