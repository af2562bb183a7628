/**
 * Content negotiation (taxii-2.1.md §2, TR1/TR2): 406 for an Accept without the
 * TAXII 2.1 type, and every response, errors included, typed exactly
 * `application/taxii+json;version=2.1`.
 */
import type { FastifyInstance } from 'fastify';
import { taxiiError } from '../errors.js';
import { acceptsTaxii21, TAXII_MEDIA_TYPE } from '../taxii/media-types.js';
import { surfaceOf } from './surfaces.js';

export function registerNegotiation(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (surfaceOf(request) !== 'taxii') return;
    const manifest = /\/manifest\/?(\?|$)/.test(request.url);
    if (!acceptsTaxii21(request.headers.accept, manifest)) {
      throw taxiiError(
        'NOT_ACCEPTABLE',
        `This server speaks TAXII 2.1 only; send Accept: ${TAXII_MEDIA_TYPE} (got ${request.headers.accept ?? 'no Accept header'}).`,
      );
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const surface = surfaceOf(request);
    // Operations routes type their own answers; their refusals are JSON, like the admin API's.
    if (surface === 'admin' || (surface === 'operations' && (reply.statusCode >= 400 || !reply.hasHeader('content-type')))) {
      reply.header('content-type', 'application/json; charset=utf-8');
      return payload;
    }
    if (surface === 'operations') return payload;
    reply.header('content-type', TAXII_MEDIA_TYPE);
    return payload;
  });
}
