/**
 * Content negotiation (taxii-2.1.md §2, TR1/TR2): 406 for an Accept without the
 * TAXII 2.1 type, and every response, errors included, typed exactly
 * `application/taxii+json;version=2.1`.
 */
import type { FastifyInstance } from 'fastify';
import { taxiiError } from '../errors.js';
import { acceptsTaxii21, TAXII_MEDIA_TYPE } from '../taxii/media-types.js';

export function registerNegotiation(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const manifest = /\/manifest\/?(\?|$)/.test(request.url);
    if (!acceptsTaxii21(request.headers.accept, manifest)) {
      throw taxiiError(
        'NOT_ACCEPTABLE',
        `This server speaks TAXII 2.1 only; send Accept: ${TAXII_MEDIA_TYPE} (got ${request.headers.accept ?? 'no Accept header'}).`,
      );
    }
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-type', TAXII_MEDIA_TYPE);
    return payload;
  });
}
