/** Resolving path parameters into what the caller may see; absent and forbidden look the same (404). */
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/authenticator.js';
import { taxiiError } from '../errors.js';
import type { ApiRootRecord, CollectionView } from '../taxii/collections.js';
import type { AppDeps } from './context.js';

export function principalOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (principal === undefined) throw taxiiError('UNAUTHENTICATED', 'Authentication required.');
  return principal;
}

export async function visibleApiRoot(deps: AppDeps, request: FastifyRequest, rootId: string): Promise<ApiRootRecord> {
  const root = await deps.store.directory.apiRootFor(principalOf(request).partnerId, rootId);
  if (root === undefined) throw taxiiError('NOT_FOUND', `No API root /${rootId}/ available to you.`);
  return root;
}

export async function visibleCollection(
  deps: AppDeps,
  request: FastifyRequest,
  rootId: string,
  idOrAlias: string,
): Promise<CollectionView> {
  const collection = await deps.store.directory.collectionFor(principalOf(request).partnerId, rootId, idOrAlias);
  if (collection === undefined) throw taxiiError('NOT_FOUND', `No collection ${idOrAlias} available to you in /${rootId}/.`);
  return collection;
}

/** T64/T66: a visible collection without can_read answers 403. */
export async function readableCollection(
  deps: AppDeps,
  request: FastifyRequest,
  rootId: string,
  idOrAlias: string,
): Promise<CollectionView> {
  const collection = await visibleCollection(deps, request, rootId, idOrAlias);
  if (!collection.canRead) throw taxiiError('FORBIDDEN', `You may not read collection ${collection.id}.`);
  return collection;
}
