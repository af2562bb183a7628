/** Discovery (E1), API root information (E2) and status (E3). */
import type { FastifyInstance } from 'fastify';
import { taxiiError } from '../../errors.js';
import { TAXII_MEDIA_TYPE } from '../../taxii/media-types.js';
import type { AppDeps } from '../context.js';
import { principalOf, visibleApiRoot } from '../lookups.js';
import { statusResource } from '../resources.js';

export function discoveryRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { server } = deps.config;

  app.get('/taxii2/', async (request) => {
    const roots = await deps.store.directory.apiRootsFor(principalOf(request).partnerId);
    const urls = roots.map((r) => `/${r.id}/`);
    const defaultUrl = server.defaultApiRoot === undefined ? undefined : `/${server.defaultApiRoot}/`;
    return {
      title: server.title,
      ...(server.description !== undefined && { description: server.description }),
      ...(server.contact !== undefined && { contact: server.contact }),
      // §9.1: default MUST be one of api_roots, so only when the caller sees it.
      ...(defaultUrl !== undefined && urls.includes(defaultUrl) && { default: defaultUrl }),
      ...(urls.length > 0 && { api_roots: urls }),
    };
  });

  app.get<{ Params: { root: string } }>('/:root/', async (request) => {
    const root = await visibleApiRoot(deps, request, request.params.root);
    return {
      title: root.title,
      ...(root.description !== null && { description: root.description }),
      versions: [TAXII_MEDIA_TYPE],
      max_content_length: root.maxContentLength,
    };
  });

  app.get<{ Params: { root: string; statusId: string } }>('/:root/status/:statusId/', async (request) => {
    const root = await visibleApiRoot(deps, request, request.params.root);
    const status = await deps.store.statuses.find(request.params.statusId, root.id, principalOf(request).partnerId);
    if (status === undefined) {
      throw taxiiError('NOT_FOUND', `No status ${request.params.statusId} of yours in this API root (statuses are kept ${deps.config.server.statusRetentionHours} hours).`);
    }
    return statusResource(status);
  });
}
