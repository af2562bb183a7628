/**
 * Partners and their API keys as operators manage them (issue 12): every statement
 * the admin service (src/admin/) needs, named. Rows carry who manages them
 * (migration 0009): the command line changes only its own.
 */
import type { TlpLevel } from '../stix/tlp.js';
import type { Db, Queryable } from './db.js';

export type ManagedBy = 'config' | 'admin';

export interface PartnerSummary {
  readonly id: string;
  readonly name: string;
  readonly status: 'active' | 'suspended' | 'removed';
  readonly clearance: TlpLevel;
  readonly communities: readonly string[];
  readonly identity: string | null;
  /** Client certificates naming the partner, as canonical texts (config/certificates.ts). */
  readonly certificates: readonly string[];
  /** Whether it must present one of them besides its key or token. */
  readonly requireCertificate: boolean;
  readonly managedBy: ManagedBy;
}

export interface KeyRecord {
  readonly id: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

export interface PartnerDetail extends PartnerSummary {
  /** Keys issued by the command line (keys from the file have no id). */
  readonly keys: readonly KeyRecord[];
  /** Keys given in the configuration file (their count only). */
  readonly fileKeys: number;
  readonly groups: readonly string[];
  readonly grants: readonly { readonly collection: string; readonly apiRoot: string; readonly group: string | null; readonly read: boolean; readonly write: boolean }[];
}

export interface NewPartner {
  readonly id: string;
  readonly name: string;
  readonly clearance: TlpLevel;
  readonly communities: readonly string[];
  readonly identity: string | null;
  readonly certificates: readonly string[];
  readonly requireCertificate: boolean;
}

export interface PartnerChanges {
  readonly name?: string;
  readonly clearance?: TlpLevel;
  readonly communities?: readonly string[];
  readonly identity?: string | null;
  readonly certificates?: readonly string[];
  readonly requireCertificate?: boolean;
  readonly status?: 'active' | 'suspended';
}

const PARTNER_COLUMNS = 'p.id, p.name, p.status, p.clearance, p.communities, p.identity, p.certificates, p.require_certificate, p.managed_by';

interface PartnerRow {
  id: string;
  name: string;
  status: PartnerSummary['status'];
  clearance: number;
  communities: string[];
  identity: string | null;
  certificates: string[];
  require_certificate: boolean;
  managed_by: ManagedBy;
}

const toSummary = (r: PartnerRow): PartnerSummary => ({
  id: r.id,
  name: r.name,
  status: r.status,
  clearance: Number(r.clearance) as TlpLevel,
  communities: r.communities,
  identity: r.identity,
  certificates: r.certificates,
  requireCertificate: r.require_certificate,
  managedBy: r.managed_by,
});

export interface PartnerAdminStore {
  list(): Promise<PartnerSummary[]>;
  find(id: string): Promise<PartnerSummary | undefined>;
  detail(id: string): Promise<PartnerDetail | undefined>;
  /** Inserts a partner managed by the command line with its first key; false when the id is taken. */
  create(partner: NewPartner, key: { readonly id: string; readonly hash: string }, now: number): Promise<boolean>;
  /** Changes a partner the command line manages; false when there is none. */
  update(id: string, changes: PartnerChanges): Promise<boolean>;
  addKey(partnerId: string, key: { readonly id: string; readonly hash: string }, now: number): Promise<void>;
  /** Revokes a key of the partner; false when it has no such key, or it is revoked already. */
  revokeKey(partnerId: string, keyId: string, now: number): Promise<boolean>;
  /** Partners other than this one (not removed) that any of these certificate texts names. */
  certificateHolders(texts: readonly string[], except: string): Promise<string[]>;
}

const INSERT_PARTNER = `INSERT INTO partners (id, name, status, api_key_hashes, clearance, communities, identity, certificates, require_certificate, managed_by)
  VALUES ($1, $2, 'active', '{}', $3, $4::text[], $5, $6::text[], $7, 'admin') ON CONFLICT (id) DO NOTHING RETURNING 1`;
const INSERT_KEY = 'INSERT INTO partner_keys (id, partner_id, hash, created_at) VALUES ($1, $2, $3, $4::bigint)';

async function insertKey(tx: Queryable, partnerId: string, key: { id: string; hash: string }, now: number): Promise<void> {
  await tx.query(INSERT_KEY, [key.id, partnerId, key.hash, String(now)], { name: 'insert_partner_key' });
}

export function createPartnerAdminStore(db: Db): PartnerAdminStore {
  return {
    async list() {
      const rows = await db.query<PartnerRow>(`SELECT ${PARTNER_COLUMNS} FROM partners p WHERE p.status <> 'removed' ORDER BY p.id`, [], {
        name: 'admin_list_partners',
      });
      return rows.map(toSummary);
    },
    async find(id) {
      const rows = await db.query<PartnerRow>(`SELECT ${PARTNER_COLUMNS} FROM partners p WHERE p.id = $1`, [id], { name: 'admin_find_partner' });
      return rows[0] && toSummary(rows[0]);
    },
    async detail(id) {
      const rows = await db.query<PartnerRow & { file_keys: number; keys: KeyRecordRow[] | null; groups: string[] | null; grants: GrantRow[] | null }>(
        `SELECT ${PARTNER_COLUMNS}, cardinality(p.api_key_hashes) AS file_keys,
           (SELECT json_agg(json_build_object('id', k.id, 'created_at', k.created_at, 'revoked_at', k.revoked_at) ORDER BY k.created_at, k.id)
              FROM partner_keys k WHERE k.partner_id = p.id) AS keys,
           (SELECT array_agg(m.group_id ORDER BY m.group_id) FROM group_members m WHERE m.partner_id = p.id) AS groups,
           (SELECT json_agg(json_build_object('collection', c.id::text, 'api_root', c.api_root_id, 'group', g.group_id,
                                              'read', g.can_read, 'write', g.can_write) ORDER BY c.api_root_id, c.id, g.group_id)
              FROM grants g JOIN collections c ON c.id = g.collection_id AND c.active
              WHERE g.partner_id = p.id OR g.group_id IN (SELECT group_id FROM group_members WHERE partner_id = p.id)) AS grants
         FROM partners p WHERE p.id = $1`,
        [id],
        { name: 'admin_partner_detail' },
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      return {
        ...toSummary(row),
        fileKeys: Number(row.file_keys),
        keys: (row.keys ?? []).map((k) => ({ id: k.id, createdAt: Number(k.created_at), revokedAt: k.revoked_at === null ? null : Number(k.revoked_at) })),
        groups: row.groups ?? [],
        grants: (row.grants ?? []).map((g) => ({ collection: g.collection, apiRoot: g.api_root, group: g.group, read: g.read, write: g.write })),
      };
    },
    async create(partner, key, now) {
      return db.transaction(async (tx) => {
        const inserted = await tx.query(
          INSERT_PARTNER,
          [partner.id, partner.name, partner.clearance, partner.communities, partner.identity, partner.certificates, partner.requireCertificate],
          { name: 'admin_insert_partner' },
        );
        if (inserted.length === 0) return false;
        await insertKey(tx, partner.id, key, now);
        return true;
      });
    },
    async update(id, changes) {
      const rows = await db.query(
        `UPDATE partners SET name = coalesce($2, name), clearance = coalesce($3, clearance), communities = coalesce($4::text[], communities),
           identity = CASE WHEN $5::boolean THEN $6 ELSE identity END, status = coalesce($7, status),
           certificates = coalesce($8::text[], certificates), require_certificate = coalesce($9::boolean, require_certificate)
         WHERE id = $1 AND managed_by = 'admin' AND status <> 'removed' RETURNING 1`,
        [id, changes.name ?? null, changes.clearance ?? null, changes.communities ?? null, changes.identity !== undefined, changes.identity ?? null, changes.status ?? null,
          changes.certificates ?? null, changes.requireCertificate ?? null],
        { name: 'admin_update_partner' },
      );
      return rows.length > 0;
    },
    async addKey(partnerId, key, now) {
      await insertKey(db, partnerId, key, now);
    },
    async revokeKey(partnerId, keyId, now) {
      const rows = await db.query(
        'UPDATE partner_keys SET revoked_at = $3::bigint WHERE id = $1 AND partner_id = $2 AND revoked_at IS NULL RETURNING 1',
        [keyId, partnerId, String(now)],
        { name: 'admin_revoke_key' },
      );
      return rows.length > 0;
    },
    async certificateHolders(texts, except) {
      const rows = await db.query<{ id: string }>(
        "SELECT id FROM partners WHERE certificates && $1::text[] AND id <> $2 AND status <> 'removed' ORDER BY id",
        [texts, except],
        { name: 'admin_certificate_holders' },
      );
      return rows.map((r) => r.id);
    },
  };
}

interface KeyRecordRow {
  id: string;
  created_at: number | string;
  revoked_at: number | string | null;
}

interface GrantRow {
  collection: string;
  api_root: string;
  group: string | null;
  read: boolean;
  write: boolean;
}
