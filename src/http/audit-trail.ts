/**
 * What each TAXII request disclosed or changed, recorded before it is answered
 * (issue 12). An unrecorded disclosure is worse than a retry: when the audit trail
 * cannot be written, the request fails with 503 and nothing is served.
 */
import type { FastifyRequest } from 'fastify';
import { taxiiError } from '../errors.js';
import { AuditUnavailable, type AuditEvent, type Commit, type EventContext, type PullRecording } from '../store/audit-store.js';
import type { CollectionView } from '../taxii/collections.js';
import type { AppDeps } from './context.js';
import { principalOf } from './lookups.js';

/** Seconds a client is told to wait before retrying a request the audit trail could not record. */
const RETRY_AFTER_SECONDS = 5;

export type ReadVia = 'objects' | 'object' | 'versions' | 'manifest';

async function record(deps: AppDeps, request: FastifyRequest, collection: CollectionView, event: Pick<AuditEvent, 'action' | 'via' | 'objectIds' | 'versions'>) {
  if (!deps.config.server.audit.enabled) return;
  try {
    await deps.store.audit.record({ ...contextOf(request, collection, event.via), ...event }, readCommit(deps));
    deps.metrics?.audited(event.action);
  } catch (err) {
    request.log.error({ err }, 'audit trail not written; the request is refused');
    throw unavailable();
  }
}

/** A read: every version it serves (nothing is recorded for a read that serves none, or for HEAD). */
export async function recordPull(
  deps: AppDeps,
  request: FastifyRequest,
  collection: CollectionView,
  via: ReadVia,
  disclosed: { readonly objectIds: readonly string[]; readonly versions: readonly string[] },
): Promise<void> {
  // HEAD runs the GET handler but sends no body: nothing is disclosed.
  if (disclosed.objectIds.length === 0 || request.method === 'HEAD') return;
  await record(deps, request, collection, { action: 'pull', via, objectIds: disclosed.objectIds, versions: disclosed.versions });
}

/**
 * Who pulls, for a read whose statement records its own pull (undefined when the
 * audit trail is off, and for HEAD, which discloses nothing).
 */
export function pullRecording(deps: AppDeps, request: FastifyRequest, collection: CollectionView, via: ReadVia): PullRecording | undefined {
  if (!deps.config.server.audit.enabled || request.method === 'HEAD') return undefined;
  return { event: contextOf(request, collection, via), commit: readCommit(deps) };
}

/** Reads wait for their record's flush only when configured to (README, "Audit trail"). */
function readCommit(deps: AppDeps): Commit {
  return deps.config.server.audit.flushReads ? 'flushed' : 'unflushed';
}

/** Who does it, from where, in which collection, by which request. */
function contextOf(request: FastifyRequest, collection: CollectionView, via: string): EventContext {
  return {
    actorKind: 'partner',
    actor: principalOf(request).partnerId,
    address: request.ip,
    via,
    apiRoot: collection.apiRootId,
    collectionId: collection.id,
    requestId: request.id,
  };
}

/** Who pushes, for Add Objects (undefined when the audit trail is off): see ingest.ts. */
export function pushContext(deps: AppDeps, request: FastifyRequest, collection: CollectionView): EventContext | undefined {
  return deps.config.server.audit.enabled ? contextOf(request, collection, 'add-objects') : undefined;
}

/** A push the audit trail could not record was rolled back: 503, as for a read. */
export function unrecorded(request: FastifyRequest, err: unknown): never {
  if (!(err instanceof AuditUnavailable)) throw err;
  request.log.error({ err }, 'audit trail not written; the request is refused');
  throw unavailable();
}

function unavailable() {
  return taxiiError('UNAVAILABLE', 'The server could not record this request in its audit trail, so it did not carry it out; retry shortly.', undefined, RETRY_AFTER_SECONDS);
}

/** Delete Objects: the versions it removed (undefined when the audit trail is off). */
export function deleteEvent(deps: AppDeps, request: FastifyRequest, collection: CollectionView, objectId: string) {
  if (!deps.config.server.audit.enabled) return undefined;
  const context = contextOf(request, collection, 'delete');
  return (versions: readonly string[]): AuditEvent => ({ ...context, action: 'delete', objectIds: versions.map(() => objectId), versions });
}
