/**
 * Keeps the query planner's statistics for object_versions current while a
 * collection grows. Page reads are keyset scans that stop after `limit` rows;
 * with statistics from when the table was small the planner instead reads every
 * row after `added_after` and sorts them, and a page costs the whole collection.
 * PostgreSQL's autovacuum re-analyses eventually (after a minute, after 10%
 * growth); PGlite has no autovacuum at all. So the store analyses the table
 * itself whenever it has doubled since the last analysis, in the request that
 * crosses the mark: a handful of analyses over a table's life (each samples a
 * fixed 30,000 rows), and between them PostgreSQL reads the ends of the
 * date_added index for keys beyond its histogram.
 */
import type { Db } from './db.js';

/** Fewer new rows than this never trigger an analysis (keeps small databases and tests quiet). */
const MIN_NEW_ROWS = 5_000;
const GROWTH = 1;

export interface PlannerStatistics {
  /** Records stored rows; analyses the table when it has grown enough since the last analysis. */
  rowsAdded(count: number): Promise<void>;
}

export function createPlannerStatistics(db: Db): PlannerStatistics {
  let sinceAnalysis = 0;
  let analysedRows: number | undefined;
  let running = false;
  const tuples = async () => {
    // reltuples is -1 for a table never analysed (PostgreSQL 14+).
    const rows = await db.query<{ tuples: number }>("SELECT reltuples::float8 AS tuples FROM pg_class WHERE relname = 'object_versions'", [], { name: 'estimate_versions' });
    return Math.max(0, Number(rows[0]?.tuples ?? 0));
  };
  return {
    async rowsAdded(count) {
      sinceAnalysis += count;
      if (sinceAnalysis < MIN_NEW_ROWS || running) return;
      running = true;
      try {
        analysedRows ??= await tuples();
        if (sinceAnalysis < analysedRows * GROWTH) return;
        sinceAnalysis = 0;
        await db.exec('ANALYZE object_versions');
        analysedRows = await tuples();
      } catch {
        // Only the plans suffer (autovacuum analyses too, on PostgreSQL): the rows are stored,
        // and the request that stored them must not fail for this.
      } finally {
        running = false;
      }
    },
  };
}
