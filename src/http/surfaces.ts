/**
 * The server's three surfaces, and which hooks apply to each:
 *
 * - TAXII: Accept negotiation, partner authentication, partner rate limits, the
 *   TAXII media type on every answer;
 * - the admin API: its own users and hooks (see admin-api.ts), JSON;
 * - operations (health, metrics, the OpenAPI document, the web console's files):
 *   for load balancers, monitoring, tooling and browsers, never partner
 *   credentials; each route sets its own content type and access rule.
 */
import type { FastifyRequest } from 'fastify';

export type Surface = 'taxii' | 'admin' | 'operations';

/** The route config of every admin API route. */
export const ADMIN_ROUTE = { surface: 'admin' } as const;

/** The route config of every operations route. */
export const OPERATIONS_ROUTE = { surface: 'operations' } as const;

export const ADMIN_PREFIX = '/admin/api';

/** The web console's files (console-static.ts): operations routes, never TAXII. */
export const CONSOLE_PREFIX = '/console';

/** Which surface a request is on: its route's, or for a path no route matched, by prefix. */
export function surfaceOf(request: FastifyRequest): Surface {
  const configured = (request.routeOptions.config as { surface?: Surface } | undefined)?.surface;
  if (configured !== undefined) return configured;
  const { url } = request;
  return url === ADMIN_PREFIX || url.startsWith(`${ADMIN_PREFIX}/`) || url.startsWith(`${ADMIN_PREFIX}?`) ? 'admin' : 'taxii';
}
