/**
 * Onboarding and managing partners and their API keys (issue 12): the one
 * service the command line (and the admin API) call. A new key is returned once,
 * in clear, and stored only as its scrypt hash. Partners defined in the
 * configuration file are the file's: this service refuses to change them.
 */
import { randomBytes } from 'node:crypto';
import { hashApiKey } from '../config/api-keys.js';
import { parseCertificateText } from '../config/certificates.js';
import { IDENTITY_ID } from '../config/names.js';
import { taxiiError } from '../errors.js';
import { levelOf } from '../stix/tlp.js';
import type { Db } from '../store/db.js';
import { checkName, refuse, tlpOf } from './input.js';
import { createPartnerAdminStore, type PartnerChanges, type PartnerDetail, type PartnerSummary } from '../store/partner-admin.js';


export interface IssuedKey {
  /** Names the key in `key revoke`; not secret. */
  readonly id: string;
  /** The key itself: shown once, never stored. */
  readonly secret: string;
}

export interface PartnerInput {
  readonly name?: string;
  readonly clearance?: string;
  readonly communities?: readonly string[];
  readonly identity?: string | null;
  /** Client certificates naming the partner, each `sha256:…`, `subject:…` or `san:<type>:…`; replaces the list. */
  readonly certificates?: readonly string[];
  readonly requireCertificate?: boolean;
}

function changesOf(input: PartnerInput): PartnerChanges {
  if (input.name !== undefined && input.name.trim() === '') refuse('name: must not be empty');
  if (input.identity !== undefined && input.identity !== null && !IDENTITY_ID.test(input.identity)) {
    refuse(`identity "${input.identity}": a STIX identity id (identity--<UUID>)`);
  }
  const communities = input.communities?.map((c) => checkName('community', c));
  const certificates = input.certificates?.map(
    (c) => parseCertificateText(c) ?? refuse(`certificate "${c}": sha256:<64 hex digits>, subject:<attribute>=<value>,… or san:<dns|email|uri|ip>:<value>`),
  );
  return {
    ...(input.name !== undefined && { name: input.name }),
    ...(input.clearance !== undefined && { clearance: tlpOf('clearance', input.clearance) }),
    ...(communities !== undefined && { communities: [...new Set(communities)] }),
    ...(input.identity !== undefined && { identity: input.identity }),
    ...(certificates !== undefined && { certificates: [...new Set(certificates)] }),
    ...(input.requireCertificate !== undefined && { requireCertificate: input.requireCertificate }),
  };
}

async function issueKey(): Promise<{ key: IssuedKey; hash: string }> {
  const key = { id: `k${randomBytes(5).toString('hex')}`, secret: randomBytes(32).toString('base64url') };
  return { key, hash: await hashApiKey(key.secret) };
}

export interface PartnerAdmin {
  add(id: string, input: PartnerInput): Promise<{ partner: PartnerSummary; key: IssuedKey }>;
  list(): Promise<PartnerSummary[]>;
  show(id: string): Promise<PartnerDetail>;
  set(id: string, input: PartnerInput): Promise<PartnerSummary>;
  suspend(id: string): Promise<PartnerSummary>;
  resume(id: string): Promise<PartnerSummary>;
  addKey(partnerId: string): Promise<IssuedKey>;
  revokeKey(partnerId: string, keyId: string): Promise<void>;
}

export function createPartnerAdmin(db: Db, now: () => number = Date.now): PartnerAdmin {
  const store = createPartnerAdminStore(db);

  /** The partner, which the command line must manage (not the file); else a one-line reason. */
  const managed = async (id: string): Promise<PartnerSummary> => {
    const partner = await store.find(id);
    if (partner === undefined || partner.status === 'removed') throw taxiiError('NOT_FOUND', `no partner ${id}`);
    if (partner.managedBy === 'config') {
      throw taxiiError('CONFLICT', `partner ${id} is defined in the configuration file: change it there and run apply-config`);
    }
    return partner;
  };
  /** A partner's certificates after a change: each names no other partner, and one required has one to present. */
  const checkCertificates = async (id: string, certificates: readonly string[], required: boolean): Promise<void> => {
    if (required && certificates.length === 0) refuse('require_certificate: the partner names no certificate to present (give certificates too)');
    const holders = certificates.length === 0 ? [] : await store.certificateHolders(certificates, id);
    if (holders.length > 0) throw taxiiError('CONFLICT', `a certificate given names partner ${holders.join(', ')} already: a certificate names one partner`);
  };
  const change = async (id: string, changes: PartnerChanges): Promise<PartnerSummary> => {
    const current = await managed(id);
    if (changes.certificates !== undefined || changes.requireCertificate !== undefined) {
      await checkCertificates(id, changes.certificates ?? current.certificates, changes.requireCertificate ?? current.requireCertificate);
    }
    await store.update(id, changes);
    return (await store.find(id)) as PartnerSummary;
  };

  return {
    async add(id, input) {
      checkName('partner id', id);
      if (input.name === undefined) refuse('name: required (--name)');
      const changes = changesOf(input);
      const [certificates, requireCertificate] = [changes.certificates ?? [], changes.requireCertificate ?? false];
      await checkCertificates(id, certificates, requireCertificate);
      const { key, hash } = await issueKey();
      const created = await store.create(
        {
          id, name: input.name, clearance: changes.clearance ?? levelOf('amber'), communities: changes.communities ?? [], identity: changes.identity ?? null,
          certificates, requireCertificate,
        },
        { id: key.id, hash },
        now(),
      );
      if (!created) {
        const existing = await store.find(id);
        throw taxiiError('CONFLICT', `partner ${id} exists already${existing?.managedBy === 'config' ? ' (in the configuration file)' : ''}`);
      }
      return { partner: (await store.find(id)) as PartnerSummary, key };
    },
    list: () => store.list(),
    async show(id) {
      const detail = await store.detail(id);
      if (detail === undefined || detail.status === 'removed') throw taxiiError('NOT_FOUND', `no partner ${id}`);
      return detail;
    },
    set: async (id, input) => change(id, changesOf(input)),
    suspend: (id) => change(id, { status: 'suspended' }),
    resume: (id) => change(id, { status: 'active' }),
    async addKey(partnerId) {
      await managed(partnerId);
      const { key, hash } = await issueKey();
      await store.addKey(partnerId, { id: key.id, hash }, now());
      return key;
    },
    async revokeKey(partnerId, keyId) {
      await managed(partnerId);
      if (!(await store.revokeKey(partnerId, keyId, now()))) throw taxiiError('NOT_FOUND', `partner ${partnerId} has no active key ${keyId}`);
    },
  };
}
