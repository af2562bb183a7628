/**
 * The admin API (issue 12): the command line's administration as JSON over HTTP,
 * under /admin/api/, for automation and the web console. It calls the same admin
 * services (src/admin/) and gives the same JSON shapes (admin/views.ts). It is
 * off unless the configuration names admin users (`admin_api.users`), whose keys
 * are configured and hashed like partners' and are never partner credentials:
 * partner keys are not accepted here, and admin keys are not accepted anywhere
 * else. Every change is recorded in the audit trail as `api:<admin>`.
 */
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createAuditQueries } from '../admin/audit.js';
import { createCollectionAdmin, type CollectionInput } from '../admin/collections.js';
import { createPartnerAdmin, type PartnerInput } from '../admin/partners.js';
import { issueToken, parseTtl } from '../admin/tokens.js';
import { auditJson, collectionJson, groupJson, keyJson, partnerDetailJson, partnerJson } from '../admin/views.js';
import { createAuthenticator } from '../auth/authenticator.js';
import type { PartnerRecord } from '../auth/partners.js';
import type { AdminApiConfig, AdminUser } from '../config/types.js';
import { taxiiError } from '../errors.js';
import { levelOf } from '../stix/tlp.js';
import type { AppDeps } from './context.js';
import { ADMIN_PREFIX, ADMIN_ROUTE } from './surfaces.js';
import type { AuthThrottle } from './auth-throttle.js';
import { adminStatsRoutes } from './admin-stats.js';
import { parseBasic } from './authentication.js';
import { consoleLogins, SESSION_PATH } from './console-session.js';

type Body = Record<string, unknown>;

/** A JSON object body (the content-type parser gives one, or refuses). */
function bodyOf(request: FastifyRequest): Body {
  const body = request.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw taxiiError('BAD_PARAMETER', 'The body must be a JSON object.');
  return body as Body;
}

function text(body: Body, field: string, required = false): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (required) throw taxiiError('BAD_PARAMETER', `${field}: required`);
    return undefined;
  }
  if (typeof value !== 'string') throw taxiiError('BAD_PARAMETER', `${field}: a string`);
  return value;
}

function texts(body: Body, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw taxiiError('BAD_PARAMETER', `${field}: a list of strings`);
  return value as string[];
}

function flag(body: Body, field: string): boolean {
  return optionalFlag(body, field) ?? false;
}

function optionalFlag(body: Body, field: string): boolean | undefined {
  const value = body[field];
  if (value !== undefined && typeof value !== 'boolean') throw taxiiError('BAD_PARAMETER', `${field}: true or false`);
  return value;
}

function knownFields(body: Body, allowed: readonly string[]): void {
  const unknown = Object.keys(body).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw taxiiError('BAD_PARAMETER', `${unknown}: not a field here (fields: ${allowed.join(', ')})`);
}

const PARTNER_FIELDS = ['name', 'clearance', 'communities', 'identity', 'certificates', 'require_certificate'] as const;

function partnerInput(body: Body): PartnerInput {
  const [name, clearance, communities, certificates] = [text(body, 'name'), text(body, 'clearance'), texts(body, 'communities'), texts(body, 'certificates')];
  const identity = body['identity'] === null ? null : text(body, 'identity');
  const requireCertificate = optionalFlag(body, 'require_certificate');
  return {
    ...(name !== undefined && { name }),
    ...(clearance !== undefined && { clearance }),
    ...(communities !== undefined && { communities }),
    ...(identity !== undefined && { identity }),
    ...(certificates !== undefined && { certificates }),
    ...(requireCertificate !== undefined && { requireCertificate }),
  };
}

const COLLECTION_FIELDS = ['title', 'description', 'alias', 'default_tlp', 'max_tlp', 'validation', 'granular'] as const;

function collectionInput(body: Body): CollectionInput {
  const field = (name: (typeof COLLECTION_FIELDS)[number]) => text(body, name);
  const input: Record<string, string> = {};
  const names: Record<(typeof COLLECTION_FIELDS)[number], keyof CollectionInput> = {
    title: 'title', description: 'description', alias: 'alias', default_tlp: 'defaultTlp', max_tlp: 'maxTlp', validation: 'validation', granular: 'granular',
  };
  for (const f of COLLECTION_FIELDS) {
    const value = field(f);
    if (value !== undefined) input[names[f]] = value;
  }
  return input as CollectionInput;
}

/** Admin users as the authenticator looks them up: never a partner, never readable as one. */
function adminLookup(users: readonly AdminUser[]) {
  const byId = new Map(users.map((u) => [u.id, u]));
  return {
    async findPartner(id: string): Promise<PartnerRecord | undefined> {
      const user = byId.get(id);
      if (user === undefined) return undefined;
      return {
        id, name: id, status: 'active', apiKeyHashes: user.apiKeyHashes, clearance: levelOf('clear'), communities: [], identity: null,
        certificates: [], requireCertificate: false, rateLimits: {}, groupRateLimits: [],
      };
    },
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The admin user of an admin API request. */
    adminId?: string;
  }
}

export async function adminApiRoutes(app: FastifyInstance, deps: AppDeps, adminApi: AdminApiConfig, throttle: AuthThrottle): Promise<void> {
  const { store, config } = deps;
  const admins = createAuthenticator(adminLookup(adminApi.users), { cacheSeconds: config.server.credentialCacheSeconds, defaultRateLimits: config.server.rateLimits });
  const logins = adminApi.console === undefined ? undefined : consoleLogins(store, admins, throttle, adminApi.console.sessionSeconds, config.server.tls !== undefined);
  const partners = createPartnerAdmin(store.db);
  const collections = createCollectionAdmin(store.db);
  const audit = createAuditQueries(store);

  /** Records a change once made; the answer says so when it could not be recorded. */
  const recorded = async (request: FastifyRequest, via: string, detail: Record<string, unknown>) => {
    try {
      await store.audit.record({
        actorKind: 'admin', actor: `api:${request.adminId ?? '?'}`, address: request.ip, action: 'admin', via,
        apiRoot: null, collectionId: null, requestId: request.id, detail,
      });
      deps.metrics?.audited('admin');
    } catch (err) {
      request.log.error({ err }, 'admin change not recorded in the audit trail');
      throw taxiiError('UNAVAILABLE', `${via} was done, but could not be recorded in the audit trail; check the server's log.`, undefined, 5);
    }
  };

  await app.register(async (api) => {
    api.addContentTypeParser(/^application\/json\s*(;.*)?$/i, { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, body === '' ? {} : JSON.parse(body as string));
      } catch (err) {
        done(taxiiError('BAD_JSON', `The request body is not valid JSON: ${(err as Error).message}`), undefined);
      }
    });

    if (logins !== undefined) await api.register(cookie);

    api.addHook('onRequest', async (request) => {
      // Logging in to the console is how a session starts: it checks the admin's key itself.
      if (logins !== undefined && request.method === 'POST' && request.routeOptions.url === `${ADMIN_PREFIX}${SESSION_PATH}`) return;
      const header = request.headers.authorization ?? '';
      const credentials = header.toLowerCase().startsWith('basic ') ? parseBasic(header) : undefined;
      if (credentials === undefined && logins !== undefined) {
        const admin = await logins.adminOf(request);
        if (admin !== undefined) {
          request.adminId = admin;
          return;
        }
      }
      if (credentials !== undefined) {
        const result = await admins.basic(credentials.partnerId, credentials.apiKey, () => throttle.attempt(request.ip, `admin:${credentials.partnerId}`));
        if ('principal' in result) {
          request.adminId = result.principal.partnerId;
          return;
        }
        request.log.warn({ authentication: { scheme: 'basic', admin: credentials.partnerId.slice(0, 64), address: request.ip, reason: result.refused } }, 'admin authentication failed');
      } else throttle.failedWithoutHashing(request.ip);
      throw taxiiError('UNAUTHENTICATED', 'The admin API takes HTTP Basic with an admin user and its key (admin_api.users in the configuration); partner credentials are not accepted here.');
    });

    api.setNotFoundHandler(async (request) => {
      throw taxiiError('NOT_FOUND', `No admin API resource at ${request.method} ${request.url.split('?')[0] ?? ''} (see openapi.yaml, tag admin).`);
    });

    const route = { config: ADMIN_ROUTE };
    const created = (reply: FastifyReply, value: unknown) => reply.code(201).send(value);
    logins?.routes(api);

    // Partners and their keys and tokens.
    api.get('/partners', route, async () => ({ partners: (await partners.list()).map(partnerJson) }));
    api.post('/partners', route, async (request, reply) => {
      const body = bodyOf(request);
      knownFields(body, ['id', ...PARTNER_FIELDS]);
      const id = text(body, 'id', true) as string;
      if (text(body, 'name', true) === undefined) throw taxiiError('BAD_PARAMETER', 'name: required');
      const { partner, key } = await partners.add(id, partnerInput(body));
      await recorded(request, 'partner add', { arguments: [id], options: { ...body } });
      return created(reply, { partner: partnerJson(partner), key: keyJson(key) });
    });
    api.get<{ Params: { id: string } }>('/partners/:id', route, async (request) => partnerDetailJson(await partners.show(request.params.id)));
    api.patch<{ Params: { id: string } }>('/partners/:id', route, async (request) => {
      const body = bodyOf(request);
      knownFields(body, [...PARTNER_FIELDS, 'status']);
      const { id } = request.params;
      const status = text(body, 'status');
      if (status !== undefined && status !== 'active' && status !== 'suspended') throw taxiiError('BAD_PARAMETER', 'status: active or suspended');
      const input = partnerInput(body);
      let partner = Object.keys(input).length > 0 ? await partners.set(id, input) : await partners.show(id);
      if (status === 'suspended' && partner.status !== 'suspended') partner = await partners.suspend(id);
      if (status === 'active' && partner.status !== 'active') partner = await partners.resume(id);
      await recorded(request, 'partner set', { arguments: [id], options: { ...body } });
      return partnerJson(partner);
    });
    api.post<{ Params: { id: string } }>('/partners/:id/keys', route, async (request, reply) => {
      const key = await partners.addKey(request.params.id);
      await recorded(request, 'key add', { arguments: [request.params.id], options: {} });
      return created(reply, { partner: request.params.id, key: keyJson(key) });
    });
    api.delete<{ Params: { id: string; key: string } }>('/partners/:id/keys/:key', route, async (request, reply) => {
      await partners.revokeKey(request.params.id, request.params.key);
      await recorded(request, 'key revoke', { arguments: [request.params.id, request.params.key], options: {} });
      return reply.code(204).send();
    });
    api.post<{ Params: { id: string } }>('/partners/:id/tokens', route, async (request, reply) => {
      const body = bodyOf(request);
      knownFields(body, ['ttl']);
      const ttl = text(body, 'ttl') ?? '1h';
      const issued = await issueToken(store.db, config.auth.jwt, request.params.id, parseTtl(ttl));
      await recorded(request, 'token issue', { arguments: [request.params.id], options: { ttl } });
      return created(reply, { partner: request.params.id, token: issued.token, expires: new Date(issued.expiresAt).toISOString() });
    });

    // Collections and grants; groups.
    api.get<{ Querystring: { api_root?: string } }>('/collections', route, async (request) => ({
      collections: (await collections.list(request.query.api_root)).map(collectionJson),
    }));
    api.post('/collections', route, async (request, reply) => {
      const body = bodyOf(request);
      knownFields(body, ['api_root', ...COLLECTION_FIELDS]);
      const root = text(body, 'api_root', true) as string;
      const collection = await collections.add(root, collectionInput(body));
      await recorded(request, 'collection add', { arguments: [root], options: { ...body } });
      return created(reply, collectionJson(collection));
    });
    const path = (p: { root: string; collection: string }) => `${p.root}/${p.collection}`;
    api.get<{ Params: { root: string; collection: string } }>('/collections/:root/:collection', route, async (request) =>
      collectionJson(await collections.show(path(request.params))));
    api.patch<{ Params: { root: string; collection: string } }>('/collections/:root/:collection', route, async (request) => {
      const body = bodyOf(request);
      knownFields(body, COLLECTION_FIELDS);
      const collection = await collections.set(path(request.params), collectionInput(body));
      await recorded(request, 'collection set', { arguments: [path(request.params)], options: { ...body } });
      return collectionJson(collection);
    });
    api.put<{ Params: { root: string; collection: string; grantee: string } }>('/collections/:root/:collection/grants/:grantee', route, async (request) => {
      const body = bodyOf(request);
      knownFields(body, ['read', 'write']);
      const rights = { read: flag(body, 'read'), write: flag(body, 'write') };
      const collection = await collections.grant(request.params.grantee, path(request.params), rights);
      await recorded(request, 'grant', { arguments: [request.params.grantee, path(request.params)], options: rights });
      return collectionJson(collection);
    });
    api.delete<{ Params: { root: string; collection: string; grantee: string } }>('/collections/:root/:collection/grants/:grantee', route, async (request) => {
      const collection = await collections.revoke(request.params.grantee, path(request.params));
      await recorded(request, 'revoke', { arguments: [request.params.grantee, path(request.params)], options: {} });
      return collectionJson(collection);
    });
    api.post('/groups', route, async (request, reply) => {
      const body = bodyOf(request);
      knownFields(body, ['id']);
      const id = text(body, 'id', true) as string;
      const group = await collections.addGroup(id);
      await recorded(request, 'group add', { arguments: [id], options: {} });
      return created(reply, groupJson(group));
    });
    api.put<{ Params: { group: string; partner: string } }>('/groups/:group/members/:partner', route, async (request) => {
      const group = await collections.addMember(request.params.group, request.params.partner);
      await recorded(request, 'group add-member', { arguments: [request.params.group, request.params.partner], options: {} });
      return groupJson(group);
    });
    api.delete<{ Params: { group: string; partner: string } }>('/groups/:group/members/:partner', route, async (request) => {
      const group = await collections.removeMember(request.params.group, request.params.partner);
      await recorded(request, 'group remove-member', { arguments: [request.params.group, request.params.partner], options: {} });
      return groupJson(group);
    });

    // The audit trail.
    api.get<{ Querystring: Record<string, string | undefined> }>('/audit', route, async (request) => {
      const q = request.query;
      const limit = q['limit'] === undefined ? undefined : Number(q['limit']);
      const known = ['object', 'partner', 'collection', 'since', 'until', 'limit'];
      const unknown = Object.keys(q).find((k) => !known.includes(k));
      if (unknown !== undefined) throw taxiiError('BAD_PARAMETER', `${unknown}: not a parameter here (parameters: ${known.join(', ')})`);
      const pick = (k: string) => (typeof q[k] === 'string' ? { [k]: q[k] } : {});
      const records = await audit.find({
        ...pick('object'), ...pick('partner'), ...pick('collection'), ...pick('since'), ...pick('until'),
        ...(limit !== undefined && { limit }),
      });
      return { events: records.map(auditJson) };
    });
    adminStatsRoutes(api, deps);
  }, { prefix: ADMIN_PREFIX });
}
