/**
 * One error path: TaxiiErrors, Fastify's own errors and anything unexpected all
 * leave as the TAXII error resource (TR18). 5xx bodies never echo internals.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Errors, TaxiiError, taxiiError, toErrorResource, type ErrorName } from '../errors.js';

export const AUTH_CHALLENGE = 'Basic realm="taxii-exchange", Bearer realm="taxii-exchange"';

const FASTIFY_CODES: Record<string, { name: ErrorName; description: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { name: 'TOO_LARGE', description: 'The request body exceeds max_content_length of this API root.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    name: 'UNSUPPORTED_MEDIA_TYPE',
    description: 'Send the body as Content-Type: application/taxii+json;version=2.1.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { name: 'BAD_JSON', description: 'Content-Length does not match the body.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { name: 'BAD_JSON', description: 'The request body is empty.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { name: 'BAD_JSON', description: 'The request body is not valid JSON.' },
};

function fromFastifyError(error: FastifyError): TaxiiError | undefined {
  const known = error.code === undefined ? undefined : FASTIFY_CODES[error.code];
  if (known !== undefined) return taxiiError(known.name, known.description);
  if (error.validation !== undefined) return taxiiError('BAD_PARAMETER', error.message);
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    if (status === 413) return taxiiError('TOO_LARGE', 'The request body is too large.');
    if (status === 415) return taxiiError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Type.');
    return new TaxiiError({ ...Errors.BAD_PARAMETER, status }, 'The request could not be processed.');
  }
  return undefined;
}

export function sendError(reply: FastifyReply, request: FastifyRequest, error: TaxiiError): FastifyReply {
  if (error.status === 401) reply.header('www-authenticate', AUTH_CHALLENGE);
  return reply.code(error.status).send(toErrorResource(error, request.id));
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | TaxiiError, request, reply) => {
    if (error instanceof TaxiiError) {
      if (error.status >= 500) request.log.error({ err: error }, 'request failed');
      return sendError(reply, request, error);
    }
    const mapped = fromFastifyError(error);
    if (mapped !== undefined) return sendError(reply, request, mapped);
    request.log.error({ err: error }, 'unexpected error');
    return sendError(
      reply,
      request,
      taxiiError('INTERNAL', `The server could not complete the request; quote error_id ${request.id} to the operator.`),
    );
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, request, taxiiError('NOT_FOUND', `No TAXII resource at ${request.url.split('?')[0] ?? '/'}.`)),
  );
}
