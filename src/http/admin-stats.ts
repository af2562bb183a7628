/**
 * The admin API's read-only views for operators and the web console (issue 15):
 * the overview of every collection and of the partners, the traffic per day and
 * partner, and a collection's objects with their versions (and whether a partner
 * receives each). Registered inside the admin API (admin-api.ts), whose admin
 * authentication and errors they share.
 */
import type { FastifyInstance } from 'fastify';
import { createObjectQueries } from '../admin/objects.js';
import { createAdminStats } from '../admin/stats.js';
import { activityJson, inspectedVersionJson, objectSummaryJson, overviewJson, refusalJson, trafficJson } from '../admin/views.js';
import { taxiiError } from '../errors.js';
import type { AppDeps } from './context.js';
import { ADMIN_ROUTE } from './surfaces.js';

type Query = Record<string, string | string[] | undefined>;

const TRAFFIC_PARAMETERS = ['days', 'partner', 'collection'] as const;

/** The query's values by name; refuses a parameter not in `known`, or given twice (the querystring parser makes that a list). */
function parameters<K extends string>(query: Query, known: readonly K[]): Partial<Record<K, string>> {
  const values: Partial<Record<K, string>> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!(known as readonly string[]).includes(name)) {
      const takes = known.length === 0 ? 'this resource takes none' : `parameters: ${known.join(', ')}`;
      throw taxiiError('BAD_PARAMETER', `${name}: not a parameter here (${takes})`);
    }
    if (Array.isArray(value)) throw taxiiError('BAD_PARAMETER', `${name}: given more than once`);
    if (value !== undefined) values[name as K] = value;
  }
  return values;
}

export function adminStatsRoutes(api: FastifyInstance, deps: Pick<AppDeps, 'store'>): void {
  const stats = createAdminStats(deps.store);
  const route = { config: ADMIN_ROUTE };

  api.get<{ Querystring: Query }>('/overview', route, async (request) => {
    parameters(request.query, []);
    return overviewJson(await stats.overview());
  });

  api.get<{ Querystring: Query }>('/traffic', route, async (request) => trafficJson(await stats.traffic(parameters(request.query, TRAFFIC_PARAMETERS))));

  api.get<{ Querystring: Query }>('/activity', route, async (request) => {
    parameters(request.query, []);
    return { partners: (await stats.activity()).map(activityJson) };
  });

  const objects = createObjectQueries(deps.store);
  type CollectionParams = { root: string; collection: string };
  const path = (p: CollectionParams) => `${p.root}/${p.collection}`;
  api.get<{ Params: CollectionParams; Querystring: Query }>('/collections/:root/:collection/objects', route, async (request) => ({
    objects: (await objects.latest(path(request.params), parameters(request.query, ['type', 'limit'] as const))).map(objectSummaryJson),
  }));
  api.get<{ Params: CollectionParams; Querystring: Query }>('/collections/:root/:collection/refusals', route, async (request) => {
    const { limit } = parameters(request.query, ['limit'] as const);
    return { refusals: (await stats.refusals(path(request.params), limit)).map(refusalJson) };
  });
  api.get<{ Params: CollectionParams & { id: string }; Querystring: Query }>('/collections/:root/:collection/objects/:id', route, async (request) => {
    const { partner } = parameters(request.query, ['partner'] as const);
    const versions = await objects.versions(path(request.params), request.params.id, partner);
    return { id: request.params.id, versions: versions.map(inspectedVersionJson) };
  });
}
