/**
 * Prometheus metrics (issue 13), kept with prom-client: what the server serves,
 * receives and refuses, and how its process and database pool fare. Every app
 * counts into a registry of its own; `metricsRoute` serves it at /metrics on the
 * TAXII port for a bearer token, and server.ts on a listener of its own. With
 * TAXII_WORKERS the primary adds up the workers' registries (metrics-cluster.ts).
 *
 * Labels stay bounded: routes are Fastify's route patterns, collections are the
 * configured ones, partners are the first `partner_labels` seen (then `other`).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { verifyApiKey } from '../config/api-keys.js';
import { taxiiError } from '../errors.js';
import type { AuthThrottle } from './auth-throttle.js';
import { OPERATIONS_ROUTE } from './surfaces.js';
import type { AuditAction } from '../store/audit-store.js';
import type { Store } from '../store/index.js';
import type { CollectionView } from '../taxii/collections.js';

export interface Metrics {
  readonly registry: Registry;
  /** Objects a read served to a partner. */
  served(collection: CollectionView, partner: string, objects: number): void;
  /** What became of a push's objects. */
  received(collection: CollectionView, partner: string, counts: { readonly stored: number; readonly present: number; readonly refused: number }): void;
  /** An event written to the audit trail. */
  audited(action: AuditAction): void;
}

/** The first `max` partner ids keep their name in labels; later ones are `other`. */
function partnerLabels(max: number): (partner: string) => string {
  const named = new Set<string>();
  return (partner) => {
    if (named.has(partner)) return partner;
    if (named.size >= max) return 'other';
    named.add(partner);
    return partner;
  };
}

const collectionLabel = (c: CollectionView) => `${c.apiRootId}/${c.alias ?? c.id}`;

/** Request durations in seconds: from a cached discovery to a page of 1,000 over a slow link. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(store: Store, options: { readonly partnerLabels: number }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const partner = partnerLabels(options.partnerLabels);
  const objects = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['collection', 'partner'] as const, registers: [registry] });
  const served = objects('taxii_objects_served_total', 'Object versions served by reads (objects, object, versions pages and manifests count what they list).');
  const stored = objects('taxii_objects_stored_total', 'Objects stored by Add Objects.');
  const present = objects('taxii_objects_already_present_total', 'Objects sent by Add Objects that were already stored.');
  const refused = objects('taxii_objects_refused_total', 'Objects refused by Add Objects (validation or write policy).');
  const audit = new Counter({ name: 'taxii_audit_events_total', help: 'Events written to the audit trail.', labelNames: ['action'] as const, registers: [registry] });

  // Read from the database when scraped. With workers every one would read the same rows: the first counts.
  new Gauge({
    name: 'taxii_status_resources',
    help: 'Status resources kept, by state.',
    labelNames: ['state'] as const,
    registers: [registry],
    aggregator: 'first',
    async collect() {
      const counts = await store.statuses.countByState();
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'taxii_db_connections',
    help: 'Database connections of this process: in use, idle, and requests waiting for one.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const { open, idle, waiting } = store.db.connections();
      this.set({ state: 'in_use' }, open - idle);
      this.set({ state: 'idle' }, idle);
      this.set({ state: 'waiting' }, waiting);
    },
  });

  return {
    registry,
    served: (c, p, n) => served.inc({ collection: collectionLabel(c), partner: partner(p) }, n),
    received(c, p, counts) {
      const labels = { collection: collectionLabel(c), partner: partner(p) };
      stored.inc(labels, counts.stored);
      present.inc(labels, counts.present);
      refused.inc(labels, counts.refused);
    },
    audited: (action) => audit.inc({ action }),
  };
}

/** Every request: how many, how long, and which were refused by a rate limit or throttle. */
export function countRequests(app: FastifyInstance, metrics: Metrics): void {
  const requests = new Counter({
    name: 'taxii_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [metrics.registry],
  });
  const duration = new Histogram({
    name: 'taxii_http_request_duration_seconds',
    help: 'Time from a request\'s arrival to its answer, by method and route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: DURATION_BUCKETS,
    registers: [metrics.registry],
  });
  const limited = new Counter({
    name: 'taxii_rate_limited_total',
    help: 'Requests refused with 429 (a partner\'s rate limit, or failed authentications throttled).',
    labelNames: ['route'] as const,
    registers: [metrics.registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    if (reply.statusCode === 429) limited.inc({ route });
  });
}

/** What /metrics answers: this process's registry, or with workers every process's added up. */
export type MetricsSource = () => Promise<{ readonly contentType: string; readonly text: string }>;

/** One process's registry as what /metrics answers. */
export function registrySource(registry: Registry): MetricsSource {
  return async () => ({ contentType: registry.contentType, text: await registry.metrics() });
}

/** When the metrics could not be collected: a scrape after this many seconds may succeed. */
const METRICS_RETRY_AFTER_S = 5;

/** A verified token is not hashed again for this long (Prometheus scrapes every few seconds). */
const VERIFIED_TOKEN_MS = 60_000;

/**
 * /metrics on the TAXII port, for a bearer token whose scrypt hash is configured:
 * a token is checked like an API key (failures throttled per address) and, once
 * verified, remembered by its SHA-256 for a minute.
 */
export function metricsRoute(app: FastifyInstance, source: MetricsSource, tokenHashes: readonly string[], throttle: AuthThrottle): void {
  const verified = new Map<string, number>();
  const known = async (token: string, address: string): Promise<boolean> => {
    const digest = createHash('sha256').update(token).digest('base64');
    if ((verified.get(digest) ?? 0) > Date.now()) return true;
    const outcome = await throttle.attempt(address, 'metrics');
    let ok = false;
    for (const hash of tokenHashes) if (!ok) ok = await verifyApiKey(token, hash);
    outcome(ok);
    if (ok) verified.set(digest, Date.now() + VERIFIED_TOKEN_MS);
    return ok;
  };
  app.get('/metrics', { config: OPERATIONS_ROUTE }, async (request, reply) => {
    throttle.check(request.ip);
    const header = request.headers.authorization ?? '';
    const token = /^bearer /i.test(header) ? header.slice(7).trim() : '';
    if (token === '') throttle.failedWithoutHashing(request.ip);
    if (token === '' || !(await known(token, request.ip))) {
      reply.header('www-authenticate', 'Bearer realm="taxii-exchange metrics"');
      throw taxiiError('UNAUTHENTICATED', 'Metrics need Authorization: Bearer with a token of metrics.tokens in the configuration.');
    }
    let answer: Awaited<ReturnType<MetricsSource>>;
    try {
      answer = await source();
    } catch (err) {
      // With workers, the primary adds up every worker's registry: it may be busy or stopping.
      request.log.warn({ err }, 'metrics could not be collected');
      throw taxiiError('UNAVAILABLE', 'The metrics could not be collected in time (with TAXII_WORKERS, from every worker); try again.', undefined, METRICS_RETRY_AFTER_S);
    }
    return reply.type(answer.contentType).send(answer.text);
  });
}
