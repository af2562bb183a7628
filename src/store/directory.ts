/**
 * Who is calling and what they may touch: partners, API roots and collections
 * as seen by one partner. Read from the database on every request, so suspending
 * a partner or removing a grant takes effect on the partner's next request.
 */
import type { PartnerLookup, PartnerRecord } from '../auth/partners.js';
import type { TlpLevel } from '../stix/tlp.js';
import type { Strictness } from '../stix/object-validator.js';
import type { ApiRootRecord, CollectionView } from '../taxii/collections.js';
import type { Db, QueryOptions } from './db.js';
import { fromStoredLimits } from './stored-limits.js';

/** Lookups by key, run on every request: their plans never depend on the values. */
const prepared = (name: string): QueryOptions => ({ name, prepare: true });

interface CollectionRow {
  id: string;
  api_root_id: string;
  alias: string | null;
  title: string;
  description: string | null;
  can_read: boolean;
  can_write: boolean;
  default_tlp: number;
  max_tlp: number;
  require_marking: boolean;
  require_creator_identity: boolean;
  granular_mode: 'withhold' | 'redact';
  hide_dangling: boolean;
  validation: Strictness;
  max_content_length: unknown;
}

const GRANTED = `
  FROM collections c
  JOIN api_roots r ON r.id = c.api_root_id AND r.active
  JOIN grants g ON g.collection_id = c.id
  WHERE c.active
    AND (g.partner_id = $1 OR g.group_id IN (SELECT group_id FROM group_members WHERE partner_id = $1))`;

const COLLECTION_COLUMNS = `c.id::text AS id, c.api_root_id, c.alias, c.title, c.description,
  bool_or(g.can_read) AS can_read, bool_or(g.can_write) AS can_write, c.default_tlp, c.max_tlp,
  c.require_marking, c.require_creator_identity, c.granular_mode, c.hide_dangling, c.validation,
  r.max_content_length`;

function toView(row: CollectionRow): CollectionView {
  return {
    id: row.id,
    apiRootId: row.api_root_id,
    alias: row.alias,
    title: row.title,
    description: row.description,
    canRead: row.can_read,
    canWrite: row.can_write,
    policy: {
      defaultTlp: Number(row.default_tlp) as TlpLevel,
      maxTlp: Number(row.max_tlp) as TlpLevel,
      requireMarking: row.require_marking,
      requireCreatorIdentity: row.require_creator_identity,
      granular: row.granular_mode,
      hideDanglingRelationships: row.hide_dangling,
    },
    validation: row.validation,
    maxContentLength: Number(row.max_content_length),
  };
}

export interface Directory extends PartnerLookup {
  /** Partners (not removed) named by any of these client-certificate texts (config/certificates.ts). */
  partnersByCertificate(texts: readonly string[]): Promise<string[]>;
  /** API roots in which the partner holds at least one grant. */
  apiRootsFor(partnerId: string): Promise<ApiRootRecord[]>;
  apiRootFor(partnerId: string, rootId: string): Promise<ApiRootRecord | undefined>;
  /** Collections the partner can read or write, in a stable order (T33). */
  collectionsFor(partnerId: string, rootId: string): Promise<CollectionView[]>;
  /** By UUID or alias (TR21); undefined when absent or not granted at all. */
  collectionFor(partnerId: string, rootId: string, idOrAlias: string): Promise<CollectionView | undefined>;
}

export function createDirectory(db: Db): Directory {
  const rootQuery = (extra: string) => `
    SELECT r.id, r.title, r.description, r.max_content_length
    FROM api_roots r
    WHERE r.active ${extra} AND EXISTS (
      SELECT 1 FROM collections c JOIN grants g ON g.collection_id = c.id
      WHERE c.api_root_id = r.id AND c.active AND (g.can_read OR g.can_write)
        AND (g.partner_id = $1 OR g.group_id IN (SELECT group_id FROM group_members WHERE partner_id = $1)))
    ORDER BY r.id`;
  const toRoot = (r: { id: string; title: string; description: string | null; max_content_length: unknown }) => ({
    id: r.id,
    title: r.title,
    description: r.description,
    maxContentLength: Number(r.max_content_length),
  });
  return {
    async findPartner(id) {
      const rows = await db.query<{
        id: string; name: string; status: PartnerRecord['status']; api_key_hashes: string[];
        clearance: number; communities: string[]; identity: string | null; certificates: string[]; require_certificate: boolean;
        reads_per_minute: number | null; writes_per_minute: number | null;
        group_reads: (number | null)[] | null; group_writes: (number | null)[] | null;
      }>(
        `SELECT p.id, p.name, p.status,
           p.api_key_hashes || coalesce((SELECT array_agg(k.hash) FROM partner_keys k WHERE k.partner_id = p.id AND k.revoked_at IS NULL), '{}') AS api_key_hashes,
           p.clearance, p.communities, p.identity, p.certificates, p.require_certificate,
           p.reads_per_minute, p.writes_per_minute, g.reads AS group_reads, g.writes AS group_writes
         FROM partners p
         LEFT JOIN LATERAL (SELECT array_agg(pg.reads_per_minute) AS reads, array_agg(pg.writes_per_minute) AS writes
                            FROM group_members m JOIN partner_groups pg ON pg.id = m.group_id
                            WHERE m.partner_id = p.id) g ON true
         WHERE p.id = $1`, [id], prepared('find_partner'));
      const row = rows[0];
      const groupReads = row?.group_reads ?? [];
      const groupWrites = row?.group_writes ?? [];
      return (
        row && {
          id: row.id,
          name: row.name,
          status: row.status,
          apiKeyHashes: row.api_key_hashes,
          clearance: Number(row.clearance) as TlpLevel,
          communities: row.communities,
          identity: row.identity,
          certificates: row.certificates,
          requireCertificate: row.require_certificate,
          rateLimits: fromStoredLimits(row.reads_per_minute, row.writes_per_minute),
          groupRateLimits: groupReads.map((reads, i) => fromStoredLimits(reads, groupWrites[i] ?? null)),
        }
      );
    },
    async partnersByCertificate(texts) {
      const rows = await db.query<{ id: string }>(
        "SELECT id FROM partners WHERE certificates && $1::text[] AND status <> 'removed' ORDER BY id", [texts], prepared('partners_by_certificate'));
      return rows.map((r) => r.id);
    },
    async apiRootsFor(partnerId) {
      const rows = await db.query<Parameters<typeof toRoot>[0]>(rootQuery(''), [partnerId], prepared('api_roots_for_partner'));
      return rows.map(toRoot);
    },
    async apiRootFor(partnerId, rootId) {
      const rows = await db.query<Parameters<typeof toRoot>[0]>(rootQuery('AND r.id = $2'), [partnerId, rootId], prepared('api_root_for_partner'));
      return rows[0] && toRoot(rows[0]);
    },
    async collectionsFor(partnerId, rootId) {
      const rows = await db.query<CollectionRow>(
        `SELECT ${COLLECTION_COLUMNS} ${GRANTED} AND c.api_root_id = $2
         GROUP BY c.id, r.id HAVING bool_or(g.can_read OR g.can_write) ORDER BY c.id`,
        [partnerId, rootId],
        prepared('collections_for_partner'),
      );
      return rows.map(toView);
    },
    async collectionFor(partnerId, rootId, idOrAlias) {
      const rows = await db.query<CollectionRow>(
        `SELECT ${COLLECTION_COLUMNS} ${GRANTED} AND c.api_root_id = $2 AND (c.id::text = $3 OR c.alias = $3)
         GROUP BY c.id, r.id HAVING bool_or(g.can_read OR g.can_write)`,
        [partnerId, rootId, idOrAlias.toLowerCase()],
        prepared('collection_for_partner'),
      );
      return rows[0] && toView(rows[0]);
    },
  };
}
