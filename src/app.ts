/**
 * buildApp: the Fastify application from its dependencies. Production (server.ts)
 * and the tests call this same function.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { createAuthenticator } from './auth/authenticator.js';
import type { Config } from './config/types.js';
import { taxiiError } from './errors.js';
import { adminApiRoutes } from './http/admin-api.js';
import { consoleRoutes } from './http/console-static.js';
import { createAuthThrottle } from './http/auth-throttle.js';
import { registerAuthentication } from './http/authentication.js';
import { createBodyAdmission } from './http/body-admission.js';
import { registerCompression } from './http/compression.js';
import { capConnections, serverOptions } from './http/connection-limits.js';
import type { AppDeps } from './http/context.js';
import { authChallenge, frameworkError, registerErrorHandling, writeClientError } from './http/errors.js';
import { handleNodeDefaults } from './http/node-defaults.js';
import { registerNegotiation } from './http/negotiation.js';
import { createRateLimiter, registerRateLimits } from './http/rate-limit.js';
import { collectionRoutes } from './http/routes/collections.js';
import { objectRoutes } from './http/routes/objects.js';
import { countRequests, createMetrics, metricsRoute, registrySource, type MetricsSource } from './http/metrics.js';
import { refuseUntrustedCertificates, tlsOptions } from './http/tls.js';
import { contractRoute, healthRoutes } from './http/routes/health.js';
import { discoveryRoutes } from './http/routes/root.js';
import { createWorkTracker } from './http/work-tracker.js';
import type { ObjectValidator, Strictness } from './stix/object-validator.js';
import { createValidators } from './stix/validators.js';
import type { Store } from './store/index.js';
import { createCursorCodec } from './taxii/cursor.js';

export interface BuildOptions {
  readonly config: Config;
  readonly store: Store;
  /** Key for signing `next` tokens; shared by every process on the same database. */
  readonly cursorSecret: Buffer;
  readonly logger?: FastifyBaseLogger | boolean;
  /** Per strictness level; built from the project's STIX schemas when absent. */
  readonly validators?: Readonly<Record<Strictness, ObjectValidator>>;
  /** What /metrics serves; this app's own registry when absent (a worker asks its primary instead). */
  readonly metricsSource?: MetricsSource;
}

const OTHER_BODY_LIMIT = 64 * 1024;
const TAXII_BODY = /^application\/taxii\+json\s*(;.*)?$/i;
// I-JSON (RFC 7493 §2.1) and RFC 8259 §8.1: JSON text exchanged between systems is UTF-8.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The server's options: plain HTTP, or with `server.tls` HTTPS, which Fastify builds
 * from its `https` object alone (its `http` one is then ignored), so the same
 * timeouts and header bound go there too.
 */
function listening(limits: Config['server']['limits'], config: Config) {
  const { http, ...rest } = serverOptions(limits, config.server.maxMatchValues);
  return config.server.tls === undefined ? { ...rest, http } : { ...rest, https: { ...http, ...tlsOptions(config.server.tls) } };
}

export async function buildApp(options: BuildOptions): Promise<FastifyInstance> {
  const { config, store } = options;
  const { limits } = config.server;
  const app = Fastify({
    ...(typeof options.logger === 'object' ? { loggerInstance: options.logger } : { logger: options.logger ?? false }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 600 },
    // Only Add Objects takes a body; its route raises this to max_content_length (http/content-length.ts).
    bodyLimit: OTHER_BODY_LIMIT,
    genReqId: () => randomUUID(),
    // In-flight and keep-alive requests finish normally while the server closes (see http/shutdown.ts).
    return503OnClosing: false,
    clientErrorHandler: writeClientError,
    frameworkErrors: frameworkError,
    ...listening(limits, config),
    // X-Forwarded-For only from the configured reverse proxies (request.ip is then the client's).
    ...(config.server.trustedProxies !== undefined && { trustProxy: [...config.server.trustedProxies] }),
  });
  capConnections(app.server, limits.maxConnections, limits.maxConnectionsPerAddress);
  handleNodeDefaults(app.server);
  app.decorate('writesInProgress', createWorkTracker());
  // Every route as registered, for the OpenAPI contract test (test/http/openapi-contract.test.ts).
  const routes: { method: string; url: string }[] = [];
  app.decorate('routeTable', routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  const metrics = config.metrics === undefined ? undefined : createMetrics(store, { partnerLabels: config.metrics.partnerLabels });
  app.decorate('metrics', metrics);

  const deps: AppDeps = {
    config,
    store,
    validators: options.validators ?? createValidators(),
    cursors: createCursorCodec(options.cursorSecret, config.server.cursorTtlSeconds),
    authenticator: createAuthenticator(store.directory, {
      cacheSeconds: config.server.credentialCacheSeconds,
      defaultRateLimits: config.server.rateLimits,
    }),
    bodies: createBodyAdmission(limits.bodyBytesInFlight, limits.partnerBodyBytesInFlight),
    writes: app.writesInProgress,
    metrics,
  };

  registerErrorHandling(app, authChallenge(config.auth.basic, config.auth.jwt !== undefined));
  if (config.server.tls !== undefined) refuseUntrustedCertificates(app, config.server.tls);
  if (metrics !== undefined) countRequests(app, metrics);
  app.addHook('onRequest', async (request) => {
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is malformed.
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      throw taxiiError('MALFORMED', 'An HTTP/1.1 request must carry a Host header (RFC 9112 §3.2).');
    }
  });
  registerNegotiation(app);
  registerCompression(app);
  const throttle = createAuthThrottle(limits);
  await registerAuthentication(app, config, deps.authenticator, throttle, (texts) => store.directory.partnersByCertificate(texts));
  registerRateLimits(app, createRateLimiter(store.rateWindows, app.log));
  // PostgreSQL text cannot hold NUL: a path naming one names nothing that exists.
  app.addHook('onRequest', async (request) => {
    for (const value of Object.values(request.params as Record<string, string>)) {
      if (value.includes('\u0000')) throw taxiiError('NOT_FOUND', 'No TAXII resource at this path.');
    }
  });

  // Bodies are kept as text: objects are stored exactly as received (see ingest.ts). Bytes
  // that are not UTF-8 are refused rather than silently replaced, so what is stored is
  // exactly what was sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(TAXII_BODY, { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, UTF8.decode(body as Buffer));
    } catch {
      done(taxiiError('BAD_JSON', 'The request body is not valid UTF-8 (RFC 8259 §8.1, I-JSON RFC 7493 §2.1).'), undefined);
    }
  });

  healthRoutes(app, store.db);
  contractRoute(app);
  if (metrics !== undefined && config.metrics !== undefined && config.metrics.tokenHashes.length > 0) {
    metricsRoute(app, options.metricsSource ?? registrySource(metrics.registry), config.metrics.tokenHashes, throttle);
  }
  discoveryRoutes(app, deps);
  collectionRoutes(app, deps);
  objectRoutes(app, deps);
  if (config.adminApi !== undefined) await adminApiRoutes(app, deps, config.adminApi, throttle);
  if (config.adminApi?.console !== undefined) await consoleRoutes(app);
  return app;
}
