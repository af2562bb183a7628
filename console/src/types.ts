/** What the admin API answers (openapi.yaml, tag admin), as far as the console reads it. */

export const TLP_NAMES = ['clear', 'green', 'amber', 'amber+strict', 'red', 'none'] as const;
export type TlpName = (typeof TLP_NAMES)[number];

export interface CollectionOverview {
  readonly api_root: string;
  readonly id: string;
  readonly alias: string | null;
  readonly title: string;
  readonly objects: number;
  readonly versions: number;
  readonly tlp: Readonly<Record<TlpName, number>>;
}

export interface Overview {
  readonly generated_at: string;
  readonly collections: readonly CollectionOverview[];
  readonly partners: { readonly total: number; readonly active: number; readonly suspended: number; readonly seen_last_24h: number };
}

export interface TrafficDay {
  readonly day: string;
  readonly partner: string;
  readonly received: number;
  readonly served: number;
}

export interface Traffic {
  readonly days: number;
  readonly from: string;
  readonly until: string;
  readonly series: readonly TrafficDay[];
}

export interface Partner {
  readonly id: string;
  readonly name: string;
  readonly status: 'active' | 'suspended' | 'removed';
  readonly clearance: string;
  readonly communities: readonly string[];
  readonly identity: string | null;
  readonly managed_by: string;
}

export interface NewKey {
  readonly id: string;
  readonly secret: string;
}

export interface Grant {
  /** A partner id, or `@group`. */
  readonly to: string;
  readonly read: boolean;
  readonly write: boolean;
  readonly managed_by: string;
}

export interface Collection {
  readonly api_root: string;
  readonly id: string;
  readonly alias: string | null;
  readonly title: string;
  readonly description: string | null;
  readonly default_tlp: string;
  readonly max_tlp: string;
  readonly validation: string;
  readonly granular: string;
  readonly managed_by: string;
  readonly grants: readonly Grant[];
}

export interface AuditEvent {
  readonly at: string;
  readonly actor: string;
  readonly actor_kind: 'partner' | 'admin';
  readonly action: 'pull' | 'push' | 'delete' | 'admin';
  readonly via: string;
  readonly address: string | null;
  readonly api_root: string | null;
  readonly collection: string | null;
  readonly objects: readonly { readonly id: string; readonly version?: string; readonly outcome?: string }[];
}

export interface ObjectSummary {
  readonly id: string;
  readonly type: string;
  readonly version: string;
  readonly date_added: string;
  readonly tlp: string | null;
}

export interface PartnerAccess {
  readonly partner: string;
  readonly receives: boolean;
  readonly decision: string;
  readonly because: string;
}

export interface StoredVersion {
  readonly version: string;
  readonly date_added: string;
  readonly submitted_by: string;
  readonly tlp: string | null;
  readonly granular_tlp: string | null;
  readonly recipients: { readonly partners: readonly string[]; readonly communities: readonly string[] } | null;
  readonly object: unknown;
  readonly access?: PartnerAccess;
}
