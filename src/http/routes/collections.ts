/** Collections (E4) and collection (E5). */
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../context.js';
import { principalOf, visibleApiRoot, visibleCollection } from '../lookups.js';
import { collectionResource } from '../resources.js';

export function collectionRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get<{ Params: { root: string } }>('/:root/collections/', async (request) => {
    const root = await visibleApiRoot(deps, request, request.params.root);
    const collections = await deps.store.directory.collectionsFor(principalOf(request).partnerId, root.id);
    // §9.4: no collections ⇒ {} (empty lists are not allowed).
    return collections.length === 0 ? {} : { collections: collections.map(collectionResource) };
  });

  app.get<{ Params: { root: string; collection: string } }>('/:root/collections/:collection/', async (request) => {
    const collection = await visibleCollection(deps, request, request.params.root, request.params.collection);
    return collectionResource(collection);
  });
}
