/**
 * Applies the declarative configuration to the database, idempotently: API roots,
 * collections, partners, groups and grants are upserted; what the file no longer
 * names is deactivated (roots, collections), marked removed (partners) or deleted
 * (groups, grants). Stored objects and statuses are never touched.
 */
import type { ApiRootConfig, Config } from '../config/types.js';
import { DEFINITIONS_ALIAS, DEFINITIONS_SUBMITTER, definitionObjects, definitionsCollectionId } from '../policy/definitions.js';
import { UNMARKED } from '../policy/write-policy.js';
import type { Db, Queryable } from './db.js';
import { toStoredLimit } from './stored-limits.js';
import { createObjectStore, type IncomingObject } from './object-store.js';

/**
 * The file names something the command line manages (migration 0009): applying it
 * would take that over, so nothing is applied.
 */
export class ManagedElsewhere extends Error {
  constructor(problems: readonly string[]) {
    super(`configuration not applied: ${problems.join('; ')} (created with the taxii-exchange command line; remove it from the file, or remove it with the command line first)`);
    this.name = 'ManagedElsewhere';
  }
}

/** Partners, groups and collections the file names but the command line manages. */
async function takenByAdmin(tx: Queryable, config: Config): Promise<string[]> {
  const collections = config.apiRoots.flatMap((r) => r.collections.map((c) => ({ root: r.id, id: c.id, alias: c.alias ?? null })));
  const rows = await tx.query<{ what: string }>(
    `SELECT 'partner ' || id AS what FROM partners WHERE managed_by = 'admin' AND id = ANY($1::text[])
     UNION ALL SELECT 'group ' || id FROM partner_groups WHERE managed_by = 'admin' AND id = ANY($2::text[])
     UNION ALL SELECT 'collection ' || c.id::text FROM collections c WHERE c.managed_by = 'admin' AND c.id::text = ANY($3::text[])
     UNION ALL SELECT 'collection alias ' || c.api_root_id || '/' || c.alias FROM collections c
       JOIN unnest($4::text[], $5::text[]) AS f(root, alias) ON c.api_root_id = f.root AND c.alias = f.alias
       WHERE c.managed_by = 'admin' AND c.active`,
    [config.partners.map((p) => p.id), config.groups.map((g) => g.id), collections.map((c) => c.id),
      collections.filter((c) => c.alias !== null).map((c) => c.root), collections.flatMap((c) => (c.alias === null ? [] : [c.alias]))],
    { name: 'config_names_taken_by_admin' },
  );
  return rows.map((r) => r.what);
}

export async function applyConfig(db: Db, config: Config): Promise<void> {
  await db.transaction(async (tx) => {
    const taken = await takenByAdmin(tx, config);
    if (taken.length > 0) throw new ManagedElsewhere(taken);
    const rootIds = config.apiRoots.map((r) => r.id);
    for (const root of config.apiRoots) {
      await tx.query(
        `INSERT INTO api_roots (id, title, description, max_content_length, active) VALUES ($1, $2, $3, $4, true)
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description,
           max_content_length = excluded.max_content_length, active = true`,
        [root.id, root.title, root.description ?? null, root.maxContentLength],
        { name: 'upsert_api_root' },
      );
    }
    await tx.query('UPDATE api_roots SET active = false WHERE NOT (id = ANY($1::text[]))', [rootIds], { name: 'deactivate_api_roots' });

    const collections = config.apiRoots.flatMap((r) => r.collections.map((c) => ({ root: r.id, c })));
    // Aliases move between collections safely: clear them first, then set them again.
    await tx.query("UPDATE collections SET alias = NULL, active = false WHERE managed_by = 'config'", [], { name: 'deactivate_collections' });
    for (const { root, c } of collections) {
      await tx.query(
        `INSERT INTO collections (id, api_root_id, alias, title, description, active, default_tlp, max_tlp,
           require_marking, require_creator_identity, granular_mode, hide_dangling, validation)
         VALUES ($1, $2, $3, $4, $5, true, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (id) DO UPDATE SET api_root_id = excluded.api_root_id, alias = excluded.alias,
           title = excluded.title, description = excluded.description, active = true,
           default_tlp = excluded.default_tlp, max_tlp = excluded.max_tlp, require_marking = excluded.require_marking,
           require_creator_identity = excluded.require_creator_identity, granular_mode = excluded.granular_mode,
           hide_dangling = excluded.hide_dangling, validation = excluded.validation`,
        [c.id, root, c.alias ?? null, c.title, c.description ?? null, c.policy.defaultTlp, c.policy.maxTlp,
          c.policy.requireMarking, c.policy.requireCreatorIdentity, c.policy.granular, c.policy.hideDanglingRelationships,
          c.validation],
        { name: 'upsert_collection' },
      );
    }

    for (const p of config.partners) {
      await tx.query(
        `INSERT INTO partners (id, name, status, api_key_hashes, clearance, communities, identity, reads_per_minute, writes_per_minute,
           certificates, require_certificate)
         VALUES ($1, $2, $3, $4::text[], $5, $6::text[], $7, $8, $9, $10::text[], $11)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status, api_key_hashes = excluded.api_key_hashes,
           clearance = excluded.clearance, communities = excluded.communities, identity = excluded.identity,
           reads_per_minute = excluded.reads_per_minute, writes_per_minute = excluded.writes_per_minute,
           certificates = excluded.certificates, require_certificate = excluded.require_certificate`,
        [p.id, p.name, p.status, p.apiKeyHashes, p.clearance, p.communities, p.identity ?? null,
          toStoredLimit(p.rateLimits.readsPerMinute), toStoredLimit(p.rateLimits.writesPerMinute), p.certificates, p.requireCertificate],
        { name: 'upsert_partner' },
      );
    }
    await tx.query(`UPDATE partners SET status = 'removed', api_key_hashes = '{}', certificates = '{}' WHERE NOT (id = ANY($1::text[])) AND managed_by = 'config'`, [
      config.partners.map((p) => p.id),
    ], { name: 'remove_unnamed_partners' });

    await tx.query("DELETE FROM grants WHERE managed_by = 'config'", [], { name: 'clear_grants' });
    await tx.query("DELETE FROM group_members WHERE managed_by = 'config'", [], { name: 'clear_group_members' });
    await tx.query("DELETE FROM partner_groups WHERE NOT (id = ANY($1::text[])) AND managed_by = 'config'", [config.groups.map((g) => g.id)], { name: 'delete_unnamed_groups' });
    for (const g of config.groups) {
      await tx.query(
        `INSERT INTO partner_groups (id, reads_per_minute, writes_per_minute) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET reads_per_minute = excluded.reads_per_minute, writes_per_minute = excluded.writes_per_minute`,
        [g.id, toStoredLimit(g.rateLimits.readsPerMinute), toStoredLimit(g.rateLimits.writesPerMinute)],
        { name: 'upsert_group' },
      );
      for (const member of g.members) {
        await tx.query('INSERT INTO group_members (group_id, partner_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [g.id, member], { name: 'add_group_member' });
      }
    }
    for (const { c } of collections) {
      for (const grant of c.grants) {
        await tx.query(
          'INSERT INTO grants (collection_id, partner_id, group_id, can_read, can_write) VALUES ($1, $2, $3, $4, $5)',
          [c.id, grant.partner ?? null, grant.group ?? null, grant.read, grant.write],
          { name: 'add_grant' },
        );
      }
    }
    for (const root of config.apiRoots) await defineDefinitionsCollection(tx, root);
  });
  const objects = createObjectStore(db);
  for (const root of config.apiRoots) {
    // Idempotent: re-posting an identical definition is a duplicate that stores nothing.
    await objects.add(definitionsCollectionId(root.id), DEFINITIONS_SUBMITTER, definitionObjects().map(toIncoming));
  }
}

/**
 * Every API root serves the STIX definitions the server relies on in a read-only
 * collection, readable by whoever holds a grant in that root (nobody else learns the root exists).
 */
async function defineDefinitionsCollection(tx: Queryable, root: ApiRootConfig): Promise<void> {
  const id = definitionsCollectionId(root.id);
  await tx.query(
    `INSERT INTO collections (id, api_root_id, alias, title, description, active, default_tlp, max_tlp)
     VALUES ($1, $2, $3, 'STIX definitions', $4, true, 0, 0)
     ON CONFLICT (id) DO UPDATE SET api_root_id = excluded.api_root_id, alias = excluded.alias, active = true, default_tlp = 0`,
    [id, root.id, DEFINITIONS_ALIAS, 'TLP 1.0 and 2.0 marking definitions and the extension definitions this server uses (read-only)'],
    { name: 'upsert_definitions_collection' },
  );
  await refreshDefinitionsGrants(tx, root.id);
}

/**
 * Whoever may read or write a collection of the API root may read its definitions
 * collection: those grants follow every grant of the root, the file's and the
 * command line's alike.
 */
export async function refreshDefinitionsGrants(tx: Queryable, rootId: string): Promise<void> {
  const id = definitionsCollectionId(rootId);
  await tx.query('DELETE FROM grants WHERE collection_id = $1::uuid', [id], { name: 'clear_definitions_grants' });
  await tx.query(
    `INSERT INTO grants (collection_id, partner_id, group_id, can_read, can_write)
     SELECT DISTINCT $1::uuid, g.partner_id, g.group_id, true, false
     FROM grants g JOIN collections c ON c.id = g.collection_id
     WHERE c.api_root_id = $2 AND c.active AND c.id <> $1::uuid AND (g.can_read OR g.can_write)`,
    [id, rootId],
    { name: 'derive_definitions_grants' },
  );
}

function toIncoming(object: Record<string, unknown>): IncomingObject {
  const raw = JSON.stringify(object);
  return {
    id: String(object['id']),
    type: String(object['type']),
    version: (object['modified'] ?? object['created']) as string,
    specVersion: '2.1',
    raw,
    facts: UNMARKED,
  };
}
