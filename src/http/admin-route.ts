/**
 * Which routes are the admin API's: the TAXII hooks (Accept negotiation, partner
 * authentication, partner rate limits, the TAXII media type) leave them alone,
 * and the admin API's own hooks apply instead (see admin-api.ts).
 */
import type { FastifyRequest } from 'fastify';

/** The route config of every admin API route. */
export const ADMIN_ROUTE = { adminApi: true } as const;

export const ADMIN_PREFIX = '/admin/api';

/** An admin API route, or any path under its prefix (its own not-found answer included). */
export function isAdminRoute(request: FastifyRequest): boolean {
  if ((request.routeOptions.config as { adminApi?: boolean } | undefined)?.adminApi === true) return true;
  return request.url === ADMIN_PREFIX || request.url.startsWith(`${ADMIN_PREFIX}/`) || request.url.startsWith(`${ADMIN_PREFIX}?`);
}
