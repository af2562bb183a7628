/**
 * An operator's look at what a collection stores (issue 15, the console's objects
 * page): the latest versions of a type, and every stored version of one object with
 * the facts the read rule decides on. Never a partner's read: no read scope applies.
 */
import type { VersionFacts } from '../policy/read-scope.js';
import type { TlpLevel } from '../stix/tlp.js';
import { toNumber, type Db } from './db.js';

export interface StoredObjectSummary {
  readonly objectId: string;
  readonly objectType: string;
  readonly version: string;
  /** Microseconds since the epoch. */
  readonly dateAdded: number;
  readonly tlpLevel: TlpLevel | null;
}

export interface StoredVersionDetail extends VersionFacts {
  readonly objectId: string;
  readonly version: string;
  readonly dateAdded: number;
  /** The object exactly as received. */
  readonly raw: string;
}

export interface ObjectInspection {
  /** Latest versions, newest first; of one type when given. */
  latest(collectionId: string, type: string | undefined, limit: number): Promise<StoredObjectSummary[]>;
  /** Every stored version of the object (copies too), oldest first. */
  versions(collectionId: string, objectId: string, limit: number): Promise<StoredVersionDetail[]>;
}

const LATEST = {
  name: 'inspect_latest_objects',
  text: `SELECT object_id, object_type, version, date_added, tlp_level FROM object_versions
    WHERE collection_id = $1 AND is_last AND ($2::text IS NULL OR object_type = $2)
    ORDER BY date_added DESC LIMIT $3`,
};

const VERSIONS = {
  name: 'inspect_object_versions',
  text: `SELECT object_id, object_type, version, date_added, submitted_by, tlp_level, granular_level, granular_required_level,
      recipient_partners, recipient_communities, raw
    FROM object_versions WHERE collection_id = $1 AND object_id = $2
    ORDER BY version_key, date_added LIMIT $3`,
};

const level = (value: unknown): TlpLevel | null => (value === null ? null : (Number(value) as TlpLevel));

export function createObjectInspection(db: Db): ObjectInspection {
  return {
    async latest(collectionId, type, limit) {
      const rows = await db.query<{ object_id: string; object_type: string; version: string; date_added: unknown; tlp_level: unknown }>(
        LATEST.text, [collectionId, type ?? null, limit], { name: LATEST.name },
      );
      return rows.map((r) => ({ objectId: r.object_id, objectType: r.object_type, version: r.version, dateAdded: toNumber(r.date_added), tlpLevel: level(r.tlp_level) }));
    },
    async versions(collectionId, objectId, limit) {
      const rows = await db.query<{
        object_id: string; object_type: string; version: string; date_added: unknown; submitted_by: string; tlp_level: unknown;
        granular_level: unknown; granular_required_level: unknown; recipient_partners: string[] | null; recipient_communities: string[] | null; raw: string;
      }>(VERSIONS.text, [collectionId, objectId, limit], { name: VERSIONS.name });
      return rows.map((r) => ({
        objectId: r.object_id,
        objectType: r.object_type,
        version: r.version,
        dateAdded: toNumber(r.date_added),
        submittedBy: r.submitted_by,
        tlpLevel: level(r.tlp_level),
        granularLevel: level(r.granular_level),
        granularRequiredLevel: level(r.granular_required_level),
        recipientPartners: r.recipient_partners,
        recipientCommunities: r.recipient_communities,
        raw: r.raw,
      }));
    },
  };
}
