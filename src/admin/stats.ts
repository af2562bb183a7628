/**
 * What the exchange holds and what flows through it (issue 15): the figures of
 * the web console's overview and partner pages, for operators with curl too.
 * Read-only; the filters are checked and resolved here as the audit queries
 * resolve theirs (admin/audit.ts), so the same names mean the same things.
 */
import { taxiiError } from '../errors.js';
import { createConsoleStats, type CollectionFigures, type PartnerActivity, type PartnerFigures, type Refusal, type Traffic } from '../store/console-stats.js';
import type { Store } from '../store/index.js';
import { createCollectionAdmin } from './collections.js';
import { wholeNumber } from './input.js';

export interface Overview {
  readonly collections: readonly CollectionFigures[];
  /** Its `at` is when the overview was made. */
  readonly partners: PartnerFigures;
}

export interface TrafficFilter {
  /** How many UTC days, today included, as typed (a whole number). */
  readonly days?: string;
  readonly partner?: string;
  /** ROOT/ALIAS-OR-ID */
  readonly collection?: string;
}

export interface TrafficReport extends Traffic {
  readonly days: number;
}

export const DEFAULT_TRAFFIC_DAYS = 30;
const DEFAULT_REFUSALS = 50;
const MAX_REFUSALS = 1000;
/** A year, leap day included. */
export const MAX_TRAFFIC_DAYS = 366;


export interface AdminStats {
  overview(): Promise<Overview>;
  /** Per UTC day and partner, oldest day first. */
  traffic(filter: TrafficFilter): Promise<TrafficReport>;
  /** When each partner last pulled and pushed (those that ever did). */
  activity(): Promise<PartnerActivity[]>;
  /** The latest refusals in a collection (ROOT/ALIAS-OR-ID), with their reasons. */
  refusals(collection: string, limit?: string): Promise<Refusal[]>;
}

export function createAdminStats(store: Store): AdminStats {
  const stats = createConsoleStats(store.db);
  const collections = createCollectionAdmin(store.db);
  return {
    async overview() {
      const [figures, partners] = await Promise.all([stats.collections(), stats.partners()]);
      return { collections: figures, partners };
    },

    async traffic(filter) {
      const days = wholeNumber('days', filter.days, MAX_TRAFFIC_DAYS, DEFAULT_TRAFFIC_DAYS);
      const collectionId = filter.collection === undefined ? undefined : (await collections.show(filter.collection)).id;
      if (filter.partner !== undefined && (await store.directory.findPartner(filter.partner)) === undefined) {
        // As the audit queries: a removed partner's history is still asked for by id; only a name never seen is refused.
        const seen = await store.audit.find({ actor: filter.partner, limit: 1 });
        if (seen.length === 0) throw taxiiError('NOT_FOUND', `no partner "${filter.partner}", and nothing recorded for it`);
      }
      const traffic = await stats.traffic({
        days,
        ...(filter.partner !== undefined && { partner: filter.partner }),
        ...(collectionId !== undefined && { collectionId }),
      });
      return { days, ...traffic };
    },

    activity: () => stats.activity(),

    async refusals(collection, limit) {
      return stats.refusals((await collections.show(collection)).id, wholeNumber('limit', limit, MAX_REFUSALS, DEFAULT_REFUSALS));
    },
  };
}
