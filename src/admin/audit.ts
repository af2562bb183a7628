/**
 * Questions to the audit trail (issue 12): who received this object, what did
 * partner P pull or push, what happened in a collection. The command line and the
 * admin API ask through here; partners have no way to.
 */
import { taxiiError } from '../errors.js';
import { isStixIdentifier } from '../stix/common-properties.js';
import { timestampToMicros } from '../stix/timestamps.js';
import type { AuditRecord } from '../store/audit-store.js';
import { createCollectionAdmin } from './collections.js';
import type { Store } from '../store/index.js';
import { refuse } from './input.js';

export interface AuditFilter {
  readonly object?: string;
  readonly partner?: string;
  /** ROOT/ALIAS-OR-ID */
  readonly collection?: string;
  /** RFC 3339 */
  readonly since?: string;
  readonly until?: string;
  readonly limit?: number;
}

export const DEFAULT_AUDIT_LIMIT = 100;
const MAX_AUDIT_LIMIT = 10_000;

function instant(what: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const micros = timestampToMicros(text);
  if (micros === undefined) refuse(`${what} "${text}": an RFC 3339 UTC timestamp such as 2024-01-31T12:00:00Z`);
  return micros;
}

export interface AuditQueries {
  /** Newest first. */
  find(filter: AuditFilter): Promise<AuditRecord[]>;
}

export function createAuditQueries(store: Store): AuditQueries {
  const collections = createCollectionAdmin(store.db);
  return {
    async find(filter) {
      if (filter.object !== undefined && !isStixIdentifier(filter.object)) refuse(`object "${filter.object}": a STIX identifier such as indicator--<UUID>`);
      const limit = filter.limit ?? DEFAULT_AUDIT_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_LIMIT) refuse(`limit: a whole number from 1 to ${MAX_AUDIT_LIMIT}`);
      const since = instant('since', filter.since);
      const until = instant('until', filter.until);
      let collectionId: string | undefined;
      if (filter.collection !== undefined) {
        collectionId = (await collections.show(filter.collection)).id;
      }
      if (filter.partner !== undefined && (await store.directory.findPartner(filter.partner)) === undefined) {
        // A removed partner's history is still asked for by id; only a name never seen is refused.
        const seen = await store.audit.find({ actor: filter.partner, limit: 1 });
        if (seen.length === 0) throw taxiiError('NOT_FOUND', `no partner "${filter.partner}", and nothing recorded for it`);
      }
      return store.audit.find({
        ...(filter.object !== undefined && { objectId: filter.object }),
        ...(filter.partner !== undefined && { actor: filter.partner }),
        ...(collectionId !== undefined && { collectionId }),
        ...(since !== undefined && { since }),
        ...(until !== undefined && { until }),
        limit,
      });
    },
  };
}
