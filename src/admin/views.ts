/**
 * The JSON shapes of what the admin services return: one shape per thing, used by
 * the command line's --json output and by the admin API alike.
 */
import { nameOf } from '../stix/tlp.js';
import { formatMicros } from '../stix/timestamps.js';
import type { AuditRecord } from '../store/audit-store.js';
import type { CollectionRecord, GroupRecord } from '../store/collection-admin.js';
import type { ManagedBy, PartnerDetail, PartnerSummary } from '../store/partner-admin.js';
import type { IssuedKey } from './partners.js';
import type { Overview, TrafficReport } from './stats.js';
import type { InspectedVersion } from './objects.js';
import type { StoredObjectSummary } from '../store/object-inspection.js';
import type { PartnerActivity, Refusal } from '../store/console-stats.js';
import type { TlpLevel } from '../stix/tlp.js';

/** Who may change it: the configuration file, or administration (the command line and the admin API). */
export const managedByJson = (m: ManagedBy) => (m === 'config' ? 'configuration file' : 'administration');

export const partnerJson = (p: PartnerSummary) => ({
  id: p.id, name: p.name, status: p.status, clearance: nameOf(p.clearance), communities: p.communities,
  identity: p.identity, certificates: p.certificates, require_certificate: p.requireCertificate, managed_by: managedByJson(p.managedBy),
});

export const partnerDetailJson = (p: PartnerDetail) => ({
  ...partnerJson(p),
  keys: p.keys.map((k) => ({ id: k.id, created: new Date(k.createdAt).toISOString(), revoked: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString() })),
  keys_in_configuration_file: p.fileKeys,
  groups: p.groups,
  grants: p.grants.map((g) => ({ api_root: g.apiRoot, collection: g.collection, via_group: g.group, read: g.read, write: g.write })),
});

/** A new key: its secret is in this answer and nowhere else, ever. */
export const keyJson = (k: IssuedKey) => ({ id: k.id, secret: k.secret });

export const collectionJson = (c: CollectionRecord) => ({
  api_root: c.apiRoot, id: c.id, alias: c.alias, title: c.title, description: c.description, default_tlp: nameOf(c.defaultTlp),
  max_tlp: nameOf(c.maxTlp), validation: c.validation, granular: c.granular, managed_by: managedByJson(c.managedBy),
  grants: c.grants.map((g) => ({ to: g.to, read: g.read, write: g.write, managed_by: managedByJson(g.managedBy) })),
});

export const groupJson = (g: GroupRecord) => ({ id: g.id, members: g.members, managed_by: managedByJson(g.managedBy) });

export const auditJson = (r: AuditRecord) => ({
  at: formatMicros(r.at),
  actor: r.actor,
  actor_kind: r.actorKind,
  action: r.action,
  via: r.via,
  address: r.address,
  api_root: r.apiRoot,
  collection: r.collection,
  collection_id: r.collectionId,
  request_id: r.requestId,
  objects: r.objectIds.map((id, i) => ({ id, version: r.versions[i], ...(r.outcomes !== undefined && { outcome: r.outcomes[i] }) })),
  ...(r.detail !== undefined && { detail: r.detail }),
});

/** Every collection with its figures, and the partners' (issue 15); `none` counts latest versions without a TLP marking. */
export const overviewJson = (o: Overview) => ({
  generated_at: formatMicros(o.partners.at),
  collections: o.collections.map((c) => ({
    api_root: c.apiRoot, id: c.id, alias: c.alias, title: c.title, objects: c.objects, versions: c.versions,
    tlp: { ...c.latestByTlp, none: c.latestUnmarked },
  })),
  partners: { total: o.partners.total, active: o.partners.active, suspended: o.partners.suspended, seen_last_24h: o.partners.seenLast24h },
});

export const trafficJson = (t: TrafficReport) => ({
  days: t.days,
  from: formatMicros(t.from),
  until: formatMicros(t.until),
  series: t.series.map((s) => ({ day: s.day, partner: s.partner, received: s.received, served: s.served })),
});

const tlpJson = (level: TlpLevel | null) => (level === null ? null : nameOf(level));

export const objectSummaryJson = (o: StoredObjectSummary) => ({
  id: o.objectId, type: o.objectType, version: o.version, date_added: formatMicros(o.dateAdded), tlp: tlpJson(o.tlpLevel),
});

/** A stored version as an operator reads it: the object as received, and what the read rule decides on. */
export const inspectedVersionJson = (v: InspectedVersion) => ({
  version: v.version,
  date_added: formatMicros(v.dateAdded),
  submitted_by: v.submittedBy,
  tlp: tlpJson(v.tlpLevel),
  granular_tlp: tlpJson(v.granularLevel),
  recipients: v.recipientPartners === null && v.recipientCommunities === null ? null : { partners: v.recipientPartners ?? [], communities: v.recipientCommunities ?? [] },
  object: JSON.parse(v.raw) as unknown,
  ...(v.access !== undefined && { access: v.access }),
});

export const activityJson = (a: PartnerActivity) => ({
  partner: a.partner,
  last_pull: a.lastPull === null ? null : formatMicros(a.lastPull),
  last_push: a.lastPush === null ? null : formatMicros(a.lastPush),
});

export const refusalJson = (r: Refusal) => ({ at: formatMicros(r.at), partner: r.partner, id: r.id, version: r.version, reason: r.reason });
