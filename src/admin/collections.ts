/**
 * Collections, partner groups and grants for operators (issue 12), the service
 * the command line calls. Collections and groups created here are the command
 * line's; those of the configuration file are the file's and are not changed here.
 * Grants are managed by whoever made them: the command line may grant any
 * partner or group any collection, and revokes only its own grants.
 */
import { randomUUID } from 'node:crypto';
import { ALIAS } from '../config/names.js';
import { taxiiError } from '../errors.js';
import { STRICTNESS_LEVELS, type Strictness } from '../stix/object-validator.js';
import { TLP_LEVELS, levelOf } from '../stix/tlp.js';
import {
  createCollectionAdminStore, type CollectionRecord, type CollectionSettings, type Grantee, type GroupRecord,
} from '../store/collection-admin.js';
import type { Db } from '../store/db.js';
import { checkName, refuse, tlpOf } from './input.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RESERVED_ALIAS = 'stix-definitions';

export interface CollectionInput {
  readonly title?: string;
  readonly description?: string;
  readonly alias?: string;
  readonly defaultTlp?: string;
  readonly maxTlp?: string;
  readonly validation?: string;
  readonly granular?: string;
}

/** `base` with the given changes, each checked. */
function settingsOf(base: CollectionSettings, input: CollectionInput): CollectionSettings {
  if (input.title !== undefined && input.title.trim() === '') refuse('title: must not be empty');
  if (input.alias !== undefined && input.alias !== '' && (!ALIAS.test(input.alias) || input.alias === RESERVED_ALIAS)) {
    refuse(`alias "${input.alias}": lower-case letters, digits, _ and - (at most 63), not "${RESERVED_ALIAS}"`);
  }
  if (input.validation !== undefined && !STRICTNESS_LEVELS.includes(input.validation as Strictness)) {
    refuse(`validation "${input.validation}": one of ${STRICTNESS_LEVELS.join(', ')}`);
  }
  if (input.granular !== undefined && input.granular !== 'withhold' && input.granular !== 'redact') refuse(`granular "${input.granular}": withhold or redact`);
  const settings: CollectionSettings = {
    title: input.title ?? base.title,
    description: input.description === undefined ? base.description : input.description === '' ? null : input.description,
    alias: input.alias === undefined ? base.alias : input.alias === '' ? null : input.alias,
    defaultTlp: input.defaultTlp === undefined ? base.defaultTlp : tlpOf('default TLP', input.defaultTlp),
    maxTlp: input.maxTlp === undefined ? base.maxTlp : tlpOf('maximum TLP', input.maxTlp),
    validation: (input.validation as Strictness | undefined) ?? base.validation,
    granular: (input.granular as 'withhold' | 'redact' | undefined) ?? base.granular,
  };
  if (settings.defaultTlp > settings.maxTlp) refuse(`the default TLP (${TLP_LEVELS[settings.defaultTlp]}) is above the maximum (${TLP_LEVELS[settings.maxTlp]})`);
  return settings;
}

/** The defaults of a collection in the configuration file. */
const DEFAULTS: CollectionSettings = {
  title: '', description: null, alias: null, defaultTlp: levelOf('amber'), maxTlp: levelOf('red'), validation: 'standard', granular: 'withhold',
};

export interface CollectionAdmin {
  add(rootId: string, input: CollectionInput, id?: string): Promise<CollectionRecord>;
  list(rootId?: string): Promise<CollectionRecord[]>;
  /** `ROOT/ALIAS-OR-ID`. */
  show(path: string): Promise<CollectionRecord>;
  set(path: string, input: CollectionInput): Promise<CollectionRecord>;
  addGroup(id: string): Promise<GroupRecord>;
  addMember(groupId: string, partnerId: string): Promise<GroupRecord>;
  removeMember(groupId: string, partnerId: string): Promise<GroupRecord>;
  /** `grantee`: a partner id, or `@group`. */
  grant(grantee: string, path: string, rights: { readonly read: boolean; readonly write: boolean }): Promise<CollectionRecord>;
  revoke(grantee: string, path: string): Promise<CollectionRecord>;
}

export function createCollectionAdmin(db: Db): CollectionAdmin {
  const store = createCollectionAdminStore(db);

  const resolve = async (path: string): Promise<CollectionRecord> => {
    const slash = path.indexOf('/');
    if (slash <= 0 || slash === path.length - 1) refuse(`collection "${path}": give it as API-ROOT/ALIAS-OR-ID, e.g. alliance/shared-indicators`);
    const [rootId, idOrAlias] = [path.slice(0, slash), path.slice(slash + 1)];
    const found = await store.find(rootId, idOrAlias);
    if (found === undefined) throw taxiiError('NOT_FOUND', `no collection ${idOrAlias} in API root ${rootId}`);
    return found;
  };
  const own = (collection: CollectionRecord, path: string) => {
    if (collection.managedBy === 'config') {
      throw taxiiError('CONFLICT', `collection ${path} is defined in the configuration file: change it there and run apply-config`);
    }
  };
  const ownGroup = async (id: string): Promise<GroupRecord> => {
    const group = await store.findGroup(id);
    if (group === undefined) throw taxiiError('NOT_FOUND', `no group ${id}`);
    if (group.managedBy === 'config') throw taxiiError('CONFLICT', `group ${id} is defined in the configuration file: change it there and run apply-config`);
    return group;
  };
  const granteeOf = async (text: string): Promise<Grantee> => {
    if (text.startsWith('@')) {
      const group = text.slice(1);
      if ((await store.findGroup(group)) === undefined) throw taxiiError('NOT_FOUND', `no group ${group}`);
      return { group };
    }
    if (!(await store.partnerExists(text))) throw taxiiError('NOT_FOUND', `no partner ${text} (a group is written @GROUP)`);
    return { partner: text };
  };

  return {
    async add(rootId, input, id = randomUUID()) {
      if (input.title === undefined) refuse('title: required (--title)');
      if (!UUID.test(id)) refuse(`id "${id}": a UUID in lower case`);
      if (!(await store.rootExists(rootId))) throw taxiiError('NOT_FOUND', `no API root ${rootId} (API roots are defined in the configuration file)`);
      const settings = settingsOf(DEFAULTS, input);
      const created = await store.create(id, rootId, settings);
      if (created === 'id taken') throw taxiiError('CONFLICT', `collection ${id} exists already`);
      if (created === 'alias taken') throw taxiiError('CONFLICT', `alias ${settings.alias} is taken in API root ${rootId}`);
      return (await store.find(rootId, id)) as CollectionRecord;
    },
    list: (rootId) => store.list(rootId),
    show: resolve,
    async set(path, input) {
      const collection = await resolve(path);
      own(collection, path);
      const settings = settingsOf(collection, input);
      if (!(await store.update(collection, settings))) throw taxiiError('CONFLICT', `alias ${settings.alias} is taken in API root ${collection.apiRoot}`);
      return (await store.find(collection.apiRoot, collection.id)) as CollectionRecord;
    },
    async addGroup(id) {
      checkName('group id', id);
      if (!(await store.createGroup(id))) throw taxiiError('CONFLICT', `group ${id} exists already`);
      return (await store.findGroup(id)) as GroupRecord;
    },
    async addMember(groupId, partnerId) {
      await ownGroup(groupId);
      if (!(await store.partnerExists(partnerId))) throw taxiiError('NOT_FOUND', `no partner ${partnerId}`);
      if (!(await store.addMember(groupId, partnerId))) throw taxiiError('CONFLICT', `${partnerId} is a member of ${groupId} already`);
      return (await store.findGroup(groupId)) as GroupRecord;
    },
    async removeMember(groupId, partnerId) {
      await ownGroup(groupId);
      if (!(await store.removeMember(groupId, partnerId))) throw taxiiError('NOT_FOUND', `${partnerId} is not a member of ${groupId}`);
      return (await store.findGroup(groupId)) as GroupRecord;
    },
    async grant(grantee, path, rights) {
      if (!rights.read && !rights.write) refuse('grant: give --read, --write or both (revoke takes a grant away)');
      const collection = await resolve(path);
      await store.grant(collection, await granteeOf(grantee), rights.read, rights.write);
      return (await store.find(collection.apiRoot, collection.id)) as CollectionRecord;
    },
    async revoke(grantee, path) {
      const collection = await resolve(path);
      if (!(await store.revoke(collection, await granteeOf(grantee)))) {
        const fromFile = collection.grants.some((g) => g.to === grantee && g.managedBy === 'config');
        throw taxiiError(
          fromFile ? 'CONFLICT' : 'NOT_FOUND',
          fromFile ? `${grantee} is granted ${path} in the configuration file: change it there and run apply-config` : `${grantee} holds no grant of ${path} from the command line`,
        );
      }
      return (await store.find(collection.apiRoot, collection.id)) as CollectionRecord;
    },
  };
}
