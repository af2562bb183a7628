/** Get objects (E7), add objects (E8), get an object (E9), delete (E10), versions (E11), manifest (E6). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { taxiiError } from '../../errors.js';
import { ALREADY_PRESENT, addObjects, parseEnvelope } from '../../ingest.js';
import { STIX_MEDIA_TYPE, isTaxii21ContentType } from '../../taxii/media-types.js';
import { PARAMS, parseQuery, type ParamSet, type RawQuery } from '../../taxii/query-params.js';
import type { AppDeps } from '../context.js';
import { boundsOf, cursorScope, finishPage, toPageQuery, type PageBounds } from '../paging.js';
import { principalOf, readableCollection, visibleCollection } from '../lookups.js';
import type { ObjectRow } from '../../store/object-store.js';
import type { PageQuery } from '../../taxii/query.js';
import { readScope, servedText, type ReadScope } from '../../policy/read-scope.js';
import { statusResource } from '../resources.js';
import { createIngestBudget } from '../ingest-budget.js';
import { refuseCodedBody } from '../compression.js';
import { CONTENT_LENGTH_CEILING, declaredLength, limitedBody } from '../content-length.js';
import { formatMicros } from '../../stix/timestamps.js';
import { deleteEvent, pullRecording, pushContext, recordPull, unrecorded } from '../audit-trail.js';
import type { CollectionView } from '../../taxii/collections.js';

interface CollectionParams {
  root: string;
  collection: string;
}
interface ObjectParams extends CollectionParams {
  object: string;
}

/**
 * Envelope body built from stored JSON texts (joined with commas) without
 * re-serialising them. It is encoded to UTF-8 once, here: sent as a string, a
 * page of 1,000 objects would be measured, then encoded again while written, and
 * its large strings collected later (about 3 ms of a page's 12 ms of server CPU).
 */
function envelopeBody(paging: Record<string, unknown>, joined: string): Buffer {
  if (joined === '') return Buffer.from(JSON.stringify(paging));
  const head = JSON.stringify(paging);
  const prefix = head === '{}' ? '{' : `${head.slice(0, -1)},`;
  return Buffer.concat([Buffer.from(`${prefix}"objects":[`), Buffer.from(joined), CLOSE_ENVELOPE]);
}
const CLOSE_ENVELOPE = Buffer.from(']}');

export function objectRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { server } = deps.config;
  const ingestBudget = createIngestBudget();
  const parse = (request: FastifyRequest, params: ParamSet) => parseQuery(request.query as RawQuery, params, server);

  /** The shared start of every paged read: a readable collection, the page query and a finisher. */
  const pagedRead = async (
    request: FastifyRequest<{ Params: CollectionParams & { object?: string } }>,
    reply: FastifyReply,
    kind: 'objects' | 'manifest' | 'object' | 'versions',
    params: ParamSet,
  ) => {
    const collection = await readableCollection(deps, request, request.params.root, request.params.collection);
    const objectKey = request.params.object === undefined ? [] : [request.params.object];
    const cursorBinding = cursorScope(kind, principalOf(request), collection.id, ...objectKey);
    const query = toPageQuery(parse(request, params), server, deps.cursors, cursorBinding);
    const finish = (page: PageBounds) => finishPage(reply, page, query, deps.cursors, cursorBinding);
    return { collection, query, finish, scope: readScope(principalOf(request), collection, 'read') };
  };

  /** Stored texts as this reader may receive them (granular redaction, issue 4), joined with commas. */
  const served = (rows: readonly ObjectRow[], scope: ReadScope) => rows.map((r) => servedText(scope, r)).join(',');

  /**
   * A page of objects: assembled by the database when every row can be served as
   * stored (the common case; the same statement records the pull), else row by row
   * with redaction, recorded next.
   */
  const objectsPage = async (request: FastifyRequest, collection: CollectionView, via: 'objects' | 'object', query: PageQuery, scope: ReadScope) => {
    const record = pullRecording(deps, request, collection, via);
    const joined = await deps.store.objects.listObjectsJoined(collection.id, query, scope, record).catch((err: unknown) => unrecorded(request, err));
    if (joined !== undefined) {
      if (record !== undefined && joined.count > 0) deps.metrics?.audited('pull');
      countServed(request, collection, joined.count);
      return { bounds: joined as PageBounds, joined: joined.joined };
    }
    const page = await deps.store.objects.listObjects(collection.id, query, scope);
    await recordPull(deps, request, collection, via, { objectIds: page.items.map((r) => r.objectId), versions: page.items.map((r) => r.version) });
    countServed(request, collection, page.items.length);
    return { bounds: boundsOf(page), joined: served(page.items, scope) };
  };

  /** What a read served, for the metrics (a HEAD serves nothing). */
  const countServed = (request: FastifyRequest, collection: CollectionView, objects: number) => {
    if (objects > 0 && request.method !== 'HEAD') deps.metrics?.served(collection, principalOf(request).partnerId, objects);
  };

  const notFound = (objectId: string, collectionId: string) =>
    taxiiError('NOT_FOUND', `No object ${objectId} in collection ${collectionId}.`);

  app.get<{ Params: CollectionParams }>('/:root/collections/:collection/objects/', async (request, reply) => {
    const { collection, query, finish, scope } = await pagedRead(request, reply, 'objects', PARAMS.objects);
    const page = await objectsPage(request, collection, 'objects', query, scope);
    return reply.send(envelopeBody(finish(page.bounds), page.joined));
  });

  app.get<{ Params: CollectionParams }>('/:root/collections/:collection/manifest/', async (request, reply) => {
    const { collection, query, finish, scope } = await pagedRead(request, reply, 'manifest', PARAMS.objects);
    const page = await deps.store.objects.listManifest(collection.id, query, scope);
    await recordPull(deps, request, collection, 'manifest', { objectIds: page.items.map((r) => r.id), versions: page.items.map((r) => r.version) });
    countServed(request, collection, page.items.length);
    const paging = finish(boundsOf(page));
    if (page.items.length === 0) return paging;
    return {
      ...paging,
      objects: page.items.map((r) => ({
        id: r.id,
        date_added: formatMicros(r.dateAdded),
        version: r.version,
        media_type: r.specVersion === '2.1' ? STIX_MEDIA_TYPE : `application/stix+json;version=${r.specVersion}`,
      })),
    };
  });

  app.get<{ Params: ObjectParams }>('/:root/collections/:collection/objects/:object/', async (request, reply) => {
    const { collection, query, finish, scope } = await pagedRead(request, reply, 'object', PARAMS.object);
    const objectId = request.params.object;
    const page = await objectsPage(request, collection, 'object', { ...query, filter: { ...query.filter, ids: [objectId] } }, scope);
    // TR25: an unknown (or wholly invisible) object is 404; a known one whose versions are all filtered out is {}.
    if (page.joined === '' && !(await deps.store.objects.exists(collection.id, objectId, scope))) throw notFound(objectId, collection.id);
    return reply.send(envelopeBody(finish(page.bounds), page.joined));
  });

  app.get<{ Params: ObjectParams }>('/:root/collections/:collection/objects/:object/versions/', async (request, reply) => {
    const { collection, query, finish, scope } = await pagedRead(request, reply, 'versions', PARAMS.versions);
    const objectId = request.params.object;
    const page = await deps.store.objects.listVersions(collection.id, objectId, query, scope);
    if (page.items.length === 0 && !(await deps.store.objects.exists(collection.id, objectId, scope))) throw notFound(objectId, collection.id);
    await recordPull(deps, request, collection, 'versions', { objectIds: page.items.map(() => objectId), versions: page.items.map((v) => v.version) });
    countServed(request, collection, page.items.length);
    const paging = finish(boundsOf(page));
    return page.items.length === 0 ? paging : { ...paging, versions: page.items.map((v) => v.version) };
  });

  app.delete<{ Params: ObjectParams }>('/:root/collections/:collection/objects/:object/', async (request, reply) => {
    const collection = await visibleCollection(deps, request, request.params.root, request.params.collection);
    // T75: deleting needs both rights; one without the other is 403.
    if (!collection.canRead || !collection.canWrite) {
      throw taxiiError('FORBIDDEN', `You may not delete objects from collection ${collection.id} (needs read and write).`);
    }
    const parsed = parse(request, PARAMS.delete);
    // TR26: without match[version] every version is deleted.
    const versionGiven = (request.query as RawQuery)['match[version]'] !== undefined;
    const filter = versionGiven ? parsed.filter : { ...parsed.filter, versions: { all: true as const } };
    const audit = deleteEvent(deps, request, collection, request.params.object);
    const deleted = await deps.writes.track(() =>
      deps.store.objects.remove(collection.id, request.params.object, filter, readScope(principalOf(request), collection, 'delete'), audit))
      .catch((err: unknown) => unrecorded(request, err));
    if (deleted === 0) {
      throw taxiiError('NOT_FOUND', `No object ${request.params.object} (or no version matching the filters) in collection ${collection.id}.`);
    }
    if (audit !== undefined) deps.metrics?.audited('delete');
    return reply.code(200).send();
  });

  /**
   * Everything that can be refused before the body is read is refused before it is
   * read, in this order: 404 (collection not visible), 403, 415, 413 (TR16), then
   * 429/503 when the body would not fit in what this partner or process may hold.
   */
  const admitPost = async (request: FastifyRequest<{ Params: CollectionParams }>, reply: FastifyReply) => {
    const collection = await visibleCollection(deps, request, request.params.root, request.params.collection);
    if (!collection.canWrite) throw taxiiError('FORBIDDEN', `You may not add objects to collection ${collection.id}.`);
    if (!isTaxii21ContentType(request.headers['content-type'])) {
      throw taxiiError('UNSUPPORTED_MEDIA_TYPE', 'Send the envelope as Content-Type: application/taxii+json;version=2.1.');
    }
    refuseCodedBody(request, reply);
    const limit = collection.maxContentLength;
    const declared = declaredLength(request.headers['content-length'], limit);
    // A chunked body may be as large as the limit allows.
    const release = deps.bodies.admit(principalOf(request).partnerId, declared ?? limit);
    // 'close' comes once the answer is sent or the connection is gone, whichever way the request ends.
    reply.raw.once('close', release);
    request.writeTarget = collection;
    return limit;
  };

  app.post<{ Params: CollectionParams; Body: string }>(
    '/:root/collections/:collection/objects/',
    {
      bodyLimit: CONTENT_LENGTH_CEILING,
      preParsing: async (request, reply, payload) => limitedBody(payload, await admitPost(request, reply)),
    },
    async (request, reply) => {
      const target = request.writeTarget;
      if (target === undefined) throw new Error('POST objects without an admitted collection');
      const body = typeof request.body === 'string' ? request.body : '';
      const size = Buffer.byteLength(body);
      // Admitted once the body is here, so a slow sender holds no share of the budget.
      const release = await ingestBudget.admit(size);
      let status;
      try {
        status = await deps.writes.track(() => addObjects(deps.store, deps.validators[target.validation], {
          apiRootId: target.apiRootId,
          collectionId: target.id,
          policy: target.policy,
          partnerId: principalOf(request).partnerId,
          partnerIdentity: principalOf(request).identity,
          scope: readScope(principalOf(request), target, 'post'),
          requestTimestamp: Date.now() * 1000,
          envelope: parseEnvelope(body),
          audit: pushContext(deps, request, target),
        })).catch((err: unknown) => unrecorded(request, err));
      } finally {
        release();
      }
      if (deps.metrics !== undefined) {
        const present = status.successes.filter((s) => s.message === ALREADY_PRESENT).length;
        deps.metrics.received(target, principalOf(request).partnerId, { stored: status.successes.length - present, present, refused: status.failures.length });
        if (deps.config.server.audit.enabled) deps.metrics.audited('push');
      }
      return reply.code(202).send(statusResource(status));
    },
  );
}

