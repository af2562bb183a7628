/**
 * Collections, groups and grants as operators manage them (issue 12): the named
 * statements of the admin service (src/admin/collections.ts). Rows carry who
 * manages them (migration 0009); grants follow into the API root's definitions
 * collection (refreshDefinitionsGrants).
 */
import { DEFINITIONS_ALIAS } from '../policy/definitions.js';
import type { TlpLevel } from '../stix/tlp.js';
import type { Strictness } from '../stix/object-validator.js';
import { refreshDefinitionsGrants } from './config-sync.js';
import type { Db } from './db.js';
import type { ManagedBy } from './partner-admin.js';

export interface CollectionSettings {
  readonly title: string;
  readonly description: string | null;
  readonly alias: string | null;
  readonly defaultTlp: TlpLevel;
  readonly maxTlp: TlpLevel;
  readonly validation: Strictness;
  readonly granular: 'withhold' | 'redact';
}

export interface CollectionRecord extends CollectionSettings {
  readonly id: string;
  readonly apiRoot: string;
  readonly managedBy: ManagedBy;
  /** Grants: to a partner or to a group (`@group`). */
  readonly grants: readonly { readonly to: string; readonly read: boolean; readonly write: boolean; readonly managedBy: ManagedBy }[];
}

export interface GroupRecord {
  readonly id: string;
  readonly managedBy: ManagedBy;
  readonly members: readonly string[];
}

export type Grantee = { readonly partner: string } | { readonly group: string };

const COLLECTION_SELECT = `SELECT c.id::text AS id, c.api_root_id, c.title, c.description, c.alias, c.default_tlp, c.max_tlp, c.validation,
    c.granular_mode, c.managed_by,
    (SELECT json_agg(json_build_object('to', coalesce(g.partner_id, '@' || g.group_id), 'read', g.can_read, 'write', g.can_write,
                                       'managed_by', g.managed_by) ORDER BY coalesce(g.partner_id, '@' || g.group_id))
       FROM grants g WHERE g.collection_id = c.id) AS grants
  FROM collections c JOIN api_roots r ON r.id = c.api_root_id AND r.active
  WHERE c.active AND c.alias IS DISTINCT FROM '${DEFINITIONS_ALIAS}'`;

interface CollectionRow {
  id: string;
  api_root_id: string;
  title: string;
  description: string | null;
  alias: string | null;
  default_tlp: number;
  max_tlp: number;
  validation: Strictness;
  granular_mode: 'withhold' | 'redact';
  managed_by: ManagedBy;
  grants: { to: string; read: boolean; write: boolean; managed_by: ManagedBy }[] | null;
}

const toRecord = (r: CollectionRow): CollectionRecord => ({
  id: r.id,
  apiRoot: r.api_root_id,
  title: r.title,
  description: r.description,
  alias: r.alias,
  defaultTlp: Number(r.default_tlp) as TlpLevel,
  maxTlp: Number(r.max_tlp) as TlpLevel,
  validation: r.validation,
  granular: r.granular_mode,
  managedBy: r.managed_by,
  grants: (r.grants ?? []).map((g) => ({ to: g.to, read: g.read, write: g.write, managedBy: g.managed_by })),
});

export interface CollectionAdminStore {
  rootExists(rootId: string): Promise<boolean>;
  list(rootId?: string): Promise<CollectionRecord[]>;
  /** By id or alias within the API root. */
  find(rootId: string, idOrAlias: string): Promise<CollectionRecord | undefined>;
  create(id: string, rootId: string, settings: CollectionSettings): Promise<'created' | 'alias taken' | 'id taken'>;
  /** False when the alias is taken in the collection's root. */
  update(collection: CollectionRecord, settings: CollectionSettings): Promise<boolean>;
  findGroup(id: string): Promise<GroupRecord | undefined>;
  /** False when the id is taken. */
  createGroup(id: string): Promise<boolean>;
  partnerExists(id: string): Promise<boolean>;
  /** False when already a member. */
  addMember(groupId: string, partnerId: string): Promise<boolean>;
  /** False when not a member (by the command line). */
  removeMember(groupId: string, partnerId: string): Promise<boolean>;
  /** Sets the command line's grant of the collection to the grantee. */
  grant(collection: CollectionRecord, to: Grantee, read: boolean, write: boolean): Promise<void>;
  /** Removes the command line's grant; false when there is none. */
  revoke(collection: CollectionRecord, to: Grantee): Promise<boolean>;
}

const granteeParams = (to: Grantee): [string | null, string | null] =>
  'partner' in to ? [to.partner, null] : [null, to.group];

export function createCollectionAdminStore(db: Db): CollectionAdminStore {
  const aliasTaken = async (rootId: string, alias: string | null, except: string | null) => {
    if (alias === null) return false;
    const rows = await db.query(
      'SELECT 1 FROM collections WHERE api_root_id = $1 AND alias = $2 AND active AND ($3::text IS NULL OR id::text <> $3)',
      [rootId, alias, except],
      { name: 'admin_alias_taken' },
    );
    return rows.length > 0;
  };
  return {
    async rootExists(rootId) {
      return (await db.query('SELECT 1 FROM api_roots WHERE id = $1 AND active', [rootId], { name: 'admin_root_exists' })).length > 0;
    },
    async list(rootId) {
      const rows = await db.query<CollectionRow>(`${COLLECTION_SELECT} AND ($1::text IS NULL OR c.api_root_id = $1) ORDER BY c.api_root_id, c.title, c.id`, [rootId ?? null], {
        name: 'admin_list_collections',
      });
      return rows.map(toRecord);
    },
    async find(rootId, idOrAlias) {
      const rows = await db.query<CollectionRow>(`${COLLECTION_SELECT} AND c.api_root_id = $1 AND (c.id::text = $2 OR c.alias = $2)`, [rootId, idOrAlias.toLowerCase()], {
        name: 'admin_find_collection',
      });
      return rows[0] && toRecord(rows[0]);
    },
    async create(id, rootId, s) {
      if (await aliasTaken(rootId, s.alias, null)) return 'alias taken';
      const rows = await db.query(
        `INSERT INTO collections (id, api_root_id, alias, title, description, active, default_tlp, max_tlp, validation, granular_mode, managed_by)
         VALUES ($1::uuid, $2, $3, $4, $5, true, $6, $7, $8, $9, 'admin') ON CONFLICT (id) DO NOTHING RETURNING 1`,
        [id, rootId, s.alias, s.title, s.description, s.defaultTlp, s.maxTlp, s.validation, s.granular],
        { name: 'admin_insert_collection' },
      );
      return rows.length > 0 ? 'created' : 'id taken';
    },
    async update(collection, s) {
      if (await aliasTaken(collection.apiRoot, s.alias, collection.id)) return false;
      await db.query(
        `UPDATE collections SET alias = $2, title = $3, description = $4, default_tlp = $5, max_tlp = $6, validation = $7, granular_mode = $8
         WHERE id = $1::uuid AND managed_by = 'admin'`,
        [collection.id, s.alias, s.title, s.description, s.defaultTlp, s.maxTlp, s.validation, s.granular],
        { name: 'admin_update_collection' },
      );
      return true;
    },
    async findGroup(id) {
      const rows = await db.query<{ id: string; managed_by: ManagedBy; members: string[] | null }>(
        `SELECT g.id, g.managed_by, (SELECT array_agg(m.partner_id ORDER BY m.partner_id) FROM group_members m WHERE m.group_id = g.id) AS members
         FROM partner_groups g WHERE g.id = $1`,
        [id],
        { name: 'admin_find_group' },
      );
      const row = rows[0];
      return row && { id: row.id, managedBy: row.managed_by, members: row.members ?? [] };
    },
    async createGroup(id) {
      const rows = await db.query("INSERT INTO partner_groups (id, managed_by) VALUES ($1, 'admin') ON CONFLICT (id) DO NOTHING RETURNING 1", [id], {
        name: 'admin_insert_group',
      });
      return rows.length > 0;
    },
    async partnerExists(id) {
      return (await db.query("SELECT 1 FROM partners WHERE id = $1 AND status <> 'removed'", [id], { name: 'admin_partner_exists' })).length > 0;
    },
    async addMember(groupId, partnerId) {
      const rows = await db.query(
        "INSERT INTO group_members (group_id, partner_id, managed_by) VALUES ($1, $2, 'admin') ON CONFLICT DO NOTHING RETURNING 1",
        [groupId, partnerId],
        { name: 'admin_add_member' },
      );
      return rows.length > 0;
    },
    async removeMember(groupId, partnerId) {
      const rows = await db.query("DELETE FROM group_members WHERE group_id = $1 AND partner_id = $2 AND managed_by = 'admin' RETURNING 1", [groupId, partnerId], {
        name: 'admin_remove_member',
      });
      return rows.length > 0;
    },
    async grant(collection, to, read, write) {
      const [partner, group] = granteeParams(to);
      await db.transaction(async (tx) => {
        await tx.query(
          `DELETE FROM grants WHERE collection_id = $1::uuid AND managed_by = 'admin'
             AND partner_id IS NOT DISTINCT FROM $2 AND group_id IS NOT DISTINCT FROM $3`,
          [collection.id, partner, group],
          { name: 'admin_clear_grant' },
        );
        await tx.query(
          "INSERT INTO grants (collection_id, partner_id, group_id, can_read, can_write, managed_by) VALUES ($1::uuid, $2, $3, $4, $5, 'admin')",
          [collection.id, partner, group, read, write],
          { name: 'admin_insert_grant' },
        );
        await refreshDefinitionsGrants(tx, collection.apiRoot);
      });
    },
    async revoke(collection, to) {
      const [partner, group] = granteeParams(to);
      return db.transaction(async (tx) => {
        const rows = await tx.query(
          `DELETE FROM grants WHERE collection_id = $1::uuid AND managed_by = 'admin'
             AND partner_id IS NOT DISTINCT FROM $2 AND group_id IS NOT DISTINCT FROM $3 RETURNING 1`,
          [collection.id, partner, group],
          { name: 'admin_revoke_grant' },
        );
        await refreshDefinitionsGrants(tx, collection.apiRoot);
        return rows.length > 0;
      });
    },
  };
}
