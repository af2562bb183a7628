/**
 * Logins of the web console (issue 15) to the admin API. An admin logs in once with
 * its admin user and key; the browser then holds the session in a cookie that no
 * script can read (HttpOnly), that no other site's page sends (SameSite=Strict), and
 * that only travels over TLS when the server has it (Secure). Every change made with
 * the cookie also carries the session's CSRF token in a header, which only the
 * console's own page can read (from the login answer or GET /admin/api/session), and
 * a request whose Origin is another site is refused outright. Partner credentials
 * never open a session: the admin users are checked, as for HTTP Basic.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth/authenticator.js';
import { taxiiError } from '../errors.js';
import { createConsoleSessions, type ConsoleSession } from '../store/console-sessions.js';
import type { Store } from '../store/index.js';
import type { AuthThrottle } from './auth-throttle.js';
import { ADMIN_PREFIX, ADMIN_ROUTE } from './surfaces.js';

export const SESSION_COOKIE = 'taxii_console';
/** Sent by the console's page with every request, so that a 401 does not make the browser ask for Basic credentials. */
export const CONSOLE_HEADER = 'x-taxii-console';
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_PATH = '/session';

const SAFE_METHODS = new Set(['GET', 'HEAD']);

export interface ConsoleLogins {
  /** The admin of a request that carries a console session, after the CSRF checks; undefined without one. */
  adminOf(request: FastifyRequest): Promise<string | undefined>;
  /** POST, GET and DELETE /admin/api/session. */
  routes(api: FastifyInstance): void;
}

/** A request from a page of another site: its Origin is not this server's. */
function crossSite(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  return origin !== `${request.protocol}://${request.host}`;
}

function refuseCrossSite(request: FastifyRequest): void {
  if (crossSite(request)) throw taxiiError('FORBIDDEN', 'A request from a page of another site is refused here.');
}

function sessionJson(session: ConsoleSession) {
  return { admin: session.admin, csrf_token: session.csrfToken, expires: new Date(session.expiresAt).toISOString() };
}

export function consoleLogins(store: Store, admins: Authenticator, throttle: AuthThrottle, sessionSeconds: number, tls: boolean): ConsoleLogins {
  const sessions = createConsoleSessions(store.db);
  const cookie = { path: ADMIN_PREFIX, httpOnly: true, sameSite: 'strict', secure: tls } as const;

  const sessionOf = async (request: FastifyRequest): Promise<{ token: string; session: ConsoleSession } | undefined> => {
    const token = request.cookies[SESSION_COOKIE];
    if (token === undefined || token === '') return undefined;
    const session = await sessions.find(token);
    return session === undefined ? undefined : { token, session };
  };

  const recordLogin = async (request: FastifyRequest, admin: string, via: string) => {
    await store.audit.record({
      actorKind: 'admin', actor: `api:${admin}`, address: request.ip, action: 'admin', via,
      apiRoot: null, collectionId: null, requestId: request.id, detail: {},
    });
  };

  return {
    async adminOf(request) {
      const found = await sessionOf(request);
      if (found === undefined) return undefined;
      refuseCrossSite(request);
      if (!SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== found.session.csrfToken) {
        throw taxiiError('FORBIDDEN', `A change made with a console session carries its CSRF token in the ${CSRF_HEADER} header (GET ${ADMIN_PREFIX}${SESSION_PATH} gives it).`);
      }
      return found.session.admin;
    },

    routes(api) {
      // A browser answers a Basic challenge with its own login prompt, which the page cannot
      // dismiss: the console's requests are challenged with the console's own scheme instead.
      api.addHook('onSend', async (request, reply, payload) => {
        if (reply.statusCode === 401 && request.headers[CONSOLE_HEADER] !== undefined) reply.header('www-authenticate', 'Console realm="taxii-exchange"');
        return payload;
      });
      const route = { config: ADMIN_ROUTE };
      api.post(SESSION_PATH, route, async (request, reply: FastifyReply) => {
        refuseCrossSite(request);
        const body = request.body as Record<string, unknown> | undefined;
        const user = body?.['user'];
        const key = body?.['key'];
        if (typeof user !== 'string' || typeof key !== 'string' || user === '' || key === '') {
          throw taxiiError('BAD_PARAMETER', 'Log in with {"user": "<admin user>", "key": "<its key>"} (admin_api.users in the configuration).');
        }
        const result = await admins.basic(user, key, () => throttle.attempt(request.ip, `admin:${user}`));
        if (!('principal' in result)) {
          request.log.warn({ authentication: { scheme: 'console', admin: user.slice(0, 64), address: request.ip, reason: result.refused } }, 'console login failed');
          throw taxiiError('UNAUTHENTICATED', 'Wrong admin user or key; partner credentials do not open the console.');
        }
        const opened = await sessions.open(result.principal.partnerId, sessionSeconds);
        await recordLogin(request, opened.admin, 'console login');
        reply.setCookie(SESSION_COOKIE, opened.token, { ...cookie, maxAge: sessionSeconds });
        return reply.code(201).send(sessionJson(opened));
      });
      api.get(SESSION_PATH, route, async (request) => {
        const found = await sessionOf(request);
        if (found === undefined) throw taxiiError('UNAUTHENTICATED', 'No console session: log in first.');
        return sessionJson(found.session);
      });
      api.delete(SESSION_PATH, route, async (request, reply: FastifyReply) => {
        const found = await sessionOf(request);
        if (found !== undefined) {
          await sessions.close(found.token);
          await recordLogin(request, found.session.admin, 'console logout');
        }
        reply.clearCookie(SESSION_COOKIE, cookie);
        return reply.code(204).send();
      });
    },
  };
}
