/**
 * The soak's partners and the server configuration file that names them: one API
 * root, two collections, each pusher and poller a partner of its own with a random
 * API key that the server reads from an environment variable ({"env": …}).
 */
import { randomBytes } from 'node:crypto';
import { levelOf, type TlpName } from '../src/stix/tlp.js';
import type { SoakTask } from './soak-load.js';

export const ROOT = 'soak';
export const COLLECTIONS: readonly string[] = ['6c0d2f4a-8e1b-4a7c-9d3e-5f2a1b0c8d7e', 'a4e7b2c9-3d5f-4e1a-8b6c-0d9f2e7a1c3b'];
/** Clearances of the pollers in turn; RED ones join the community the corpus' recipients marking names. */
const CLEARANCES: readonly TlpName[] = ['red', 'amber', 'green'];
const RED_COMMUNITY = 'bench-red';

export interface Partner {
  readonly partner: string;
  readonly key: string;
  /** The environment variable that hands the key to the server. */
  readonly env: string;
  /** Index into COLLECTIONS. */
  readonly collection: number;
  readonly clearance: TlpName;
  readonly communities: string[];
}

export interface Partners {
  readonly pushers: readonly Partner[];
  readonly pollers: readonly Partner[];
}

/** Pushers and pollers alternate between the collections; pollers also between clearances. */
export function createPartners(pushers: number, pollers: number): Partners {
  const key = () => `soak-${randomBytes(18).toString('base64url')}`;
  return {
    pushers: Array.from({ length: pushers }, (_, i): Partner => ({
      partner: `soak-pusher-${i + 1}`, key: key(), env: `TAXII_SOAK_KEY_PUSHER_${i + 1}`, collection: i % COLLECTIONS.length,
      clearance: 'amber', communities: [],
    })),
    pollers: Array.from({ length: pollers }, (_, i): Partner => {
      const clearance = CLEARANCES[Math.floor(i / COLLECTIONS.length) % CLEARANCES.length] as TlpName;
      const n = String(i + 1).padStart(3, '0');
      return {
        partner: `soak-poller-${n}`, key: key(), env: `TAXII_SOAK_KEY_POLLER_${n}`, collection: i % COLLECTIONS.length,
        clearance, communities: clearance === 'red' ? [RED_COMMUNITY] : [],
      };
    }),
  };
}

/** The environment variables that carry the keys. */
export function keyEnvironment({ pushers, pollers }: Partners): Record<string, string> {
  return Object.fromEntries([...pushers, ...pollers].map((p) => [p.env, p.key]));
}

export interface ServerSettings {
  readonly unlimitedRates: boolean;
  /** server.credential_cache_seconds; undefined keeps the server's default. */
  readonly credentialCacheSeconds: number | undefined;
}

export function soakConfig({ pushers, pollers }: Partners, settings: ServerSettings): object {
  const groups = COLLECTIONS.flatMap((_, c) => [
    { id: `pushers-${c + 1}`, members: pushers.filter((p) => p.collection === c).map((p) => p.partner) },
    { id: `pollers-${c + 1}`, members: pollers.filter((p) => p.collection === c).map((p) => p.partner) },
  ]).filter((g) => g.members.length > 0);
  const grant = (id: string, write: boolean) => (groups.some((g) => g.id === id) ? [{ group: id, read: true, write }] : []);
  return {
    server: {
      title: 'taxii-exchange soak',
      default_api_root: ROOT,
      page_size: { default: 100, max: 1000 },
      // Limits meant for one partner's address: here every partner connects from 127.0.0.1.
      limits: { max_connections_per_address: 1000, auth_failures_per_address_per_minute: 1000 },
      ...(settings.unlimitedRates && { rate_limits: { reads_per_minute: 'unlimited', writes_per_minute: 'unlimited' } }),
      ...(settings.credentialCacheSeconds !== undefined && { credential_cache_seconds: settings.credentialCacheSeconds }),
    },
    auth: { basic: true },
    api_roots: [{
      id: ROOT, title: 'Soak', max_content_length: 10 * 1024 * 1024,
      collections: COLLECTIONS.map((id, c) => ({
        id, alias: `soak-${c + 1}`, title: `Soak collection ${c + 1}`, default_tlp: 'amber', max_tlp: 'red', validation: 'standard',
        grants: [...grant(`pushers-${c + 1}`, true), ...grant(`pollers-${c + 1}`, false)],
      })),
    }],
    groups,
    partners: [...pushers, ...pollers].map((p) => ({
      id: p.partner, name: p.partner, clearance: p.clearance, communities: p.communities, api_keys: [{ env: p.env }],
    })),
  };
}

/** The partners as the load process sees them; the read policy matches the collections above. */
export function taskPartners({ pushers, pollers }: Partners): Pick<SoakTask, 'collections' | 'pushers' | 'pollers' | 'policy'> {
  return {
    collections: COLLECTIONS,
    pushers: pushers.map(({ partner, key, collection }) => ({ partner, key, collection })),
    pollers: pollers.map(({ partner, key, collection, clearance, communities }) => ({
      partner, key, collection, reader: { partnerId: partner, clearance: levelOf(clearance), communities },
    })),
    policy: { defaultTlp: levelOf('amber'), granular: 'withhold', hideDangling: true },
  };
}
