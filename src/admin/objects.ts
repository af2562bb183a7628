/**
 * What a collection holds, object by object, for an operator (issue 15, the
 * console's objects page): the latest versions of a type, and an object's versions
 * as stored, with their markings and, for a partner, whether it receives each one
 * and why, decided by the read rule itself (policy/read-scope.ts).
 */
import { taxiiError } from '../errors.js';
import { explainReadDecision, readDecision, readScope, type ReadDecision } from '../policy/read-scope.js';
import { isStixIdentifier, isTypeName } from '../stix/common-properties.js';
import type { Store } from '../store/index.js';
import { createObjectInspection, type StoredObjectSummary, type StoredVersionDetail } from '../store/object-inspection.js';
import { createCollectionAdmin } from './collections.js';
import { refuse, wholeNumber } from './input.js';

export const DEFAULT_OBJECT_LIMIT = 50;
const MAX_OBJECT_LIMIT = 1000;
/** An object has rarely more; a page of them is what a person reads. */
const MAX_VERSIONS = 500;

export interface PartnerAccess {
  readonly partner: string;
  readonly receives: boolean;
  /** Which step of the read rule decides; `no-grant` and `suspended` come before the rule. */
  readonly decision: ReadDecision | 'no-grant' | 'suspended';
  readonly because: string;
}

export interface InspectedVersion extends StoredVersionDetail {
  readonly access?: PartnerAccess;
}

export interface ObjectQueries {
  latest(collectionPath: string, filter: { readonly type?: string; readonly limit?: string }): Promise<StoredObjectSummary[]>;
  /** `partner`: also say whether that partner receives each version, and why. */
  versions(collectionPath: string, objectId: string, partner?: string): Promise<InspectedVersion[]>;
}

export function createObjectQueries(store: Store): ObjectQueries {
  const collections = createCollectionAdmin(store.db);
  const inspection = createObjectInspection(store.db);

  /** How the partner meets each version: the read rule on its facts (references and copies aside). */
  const accessOf = async (partnerId: string, rootId: string, collectionId: string) => {
    const partner = await store.directory.findPartner(partnerId);
    if (partner === undefined || partner.status === 'removed') throw taxiiError('NOT_FOUND', `no partner "${partnerId}"`);
    if (partner.status === 'suspended') {
      return (): PartnerAccess => ({ partner: partnerId, receives: false, decision: 'suspended', because: `${partnerId} is suspended: every request it makes is refused` });
    }
    const view = await store.directory.collectionFor(partnerId, rootId, collectionId);
    if (view === undefined || (!view.canRead && !view.canWrite)) {
      return (): PartnerAccess => ({ partner: partnerId, receives: false, decision: 'no-grant', because: `${partnerId} holds no grant on this collection` });
    }
    const scope = readScope({ partnerId, clearance: partner.clearance, communities: partner.communities }, view, 'read');
    return (v: StoredVersionDetail): PartnerAccess => {
      const decision = readDecision(scope, v);
      const receives = decision === 'own-submission' || decision === 'always-visible' || decision === 'cleared';
      return { partner: partnerId, receives, decision, because: explainReadDecision(decision, scope, v) };
    };
  };

  return {
    async latest(collectionPath, filter) {
      if (filter.type !== undefined && !isTypeName(filter.type)) refuse(`type "${filter.type}": a STIX type name such as indicator`);
      const collection = await collections.show(collectionPath);
      return inspection.latest(collection.id, filter.type, wholeNumber('limit', filter.limit, MAX_OBJECT_LIMIT, DEFAULT_OBJECT_LIMIT));
    },
    async versions(collectionPath, objectId, partner) {
      if (!isStixIdentifier(objectId)) refuse(`object "${objectId}": a STIX identifier such as indicator--<UUID>`);
      const collection = await collections.show(collectionPath);
      const versions = await inspection.versions(collection.id, objectId, MAX_VERSIONS);
      if (versions.length === 0) throw taxiiError('NOT_FOUND', `no object ${objectId} in ${collectionPath}`);
      if (partner === undefined) return versions;
      const access = await accessOf(partner, collection.apiRoot, collection.id);
      return versions.map((v) => ({ ...v, access: access(v) }));
    },
  };
}
