/**
 * One error path: TaxiiErrors, Fastify's own errors and anything unexpected all
 * leave as the TAXII error resource (TR18). 5xx bodies never echo internals.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { TaxiiError, taxiiError, toErrorResource, type ErrorName } from '../errors.js';
import { TAXII_MEDIA_TYPE } from '../taxii/media-types.js';

import { STATUS_CODES } from 'node:http';

/** The WWW-Authenticate challenges for the schemes this server accepts (T8). */
export function authChallenge(basic: boolean, bearer: boolean): string {
  return [basic && 'Basic realm="taxii-exchange"', bearer && 'Bearer realm="taxii-exchange"'].filter(Boolean).join(', ');
}

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
    const title = STATUS_CODES[status] ?? 'Client error';
    return new TaxiiError({ code: 'TAXII_ERR_REQUEST_REJECTED', status, title }, `${title}: ${error.message}`);
  }
  return undefined;
}

// Connection-level failures of the database: the request may succeed later.
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P02', '57P03', '53300']);

function isDatabaseUnavailable(error: { code?: unknown }): boolean {
  const code = typeof error.code === 'string' ? error.code : '';
  return UNAVAILABLE_CODES.has(code) || code.startsWith('08');
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (e.g. a URL or
 * headers over the size limit) still get a TAXII error resource.
 */
export function writeClientError(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) return;
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify({
    title: tooLarge ? 'Request header fields too large' : 'Bad request',
    description: tooLarge
      ? 'The URL or headers are too long; send fewer match[...] values per request.'
      : 'The HTTP request could not be parsed.',
    error_id: randomUUID(),
    error_code: tooLarge ? 'TAXII_ERR_REQUEST_HEADERS_TOO_LARGE' : 'TAXII_ERR_REQUEST_MALFORMED',
    http_status: String(status),
  });
  socket.end(
    `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `Content-Type: ${TAXII_MEDIA_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Fastify's router errors (frameworkErrors option): a malformed percent-encoding is
 * a 400; a path segment longer than any id can be names nothing, so 404.
 */
export function frameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const resource =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? taxiiError('NOT_FOUND', 'No TAXII resource at this path (a path segment is longer than any identifier).')
      : taxiiError('BAD_PARAMETER', 'The URL is malformed (invalid percent-encoding).');
  // These replies bypass the hooks, so the exact TAXII Content-Type is written by hand (TR2).
  const body = JSON.stringify(toErrorResource(resource, request.id));
  reply.hijack();
  reply.raw.writeHead(resource.status, { 'content-type': TAXII_MEDIA_TYPE, 'content-length': Buffer.byteLength(body) });
  reply.raw.end(body);
}

export function registerErrorHandling(app: FastifyInstance, challenge: string): void {
  const sendError = (reply: FastifyReply, request: FastifyRequest, error: TaxiiError): FastifyReply => {
    if (error.status === 401) reply.header('www-authenticate', challenge);
    return reply.code(error.status).send(toErrorResource(error, request.id));
  };
  app.setErrorHandler((error: FastifyError | TaxiiError, request, reply) => {
    if (error instanceof TaxiiError) {
      if (error.status >= 500) request.log.error({ err: error }, 'request failed');
      return sendError(reply, request, error);
    }
    const mapped = fromFastifyError(error);
    if (mapped !== undefined) return sendError(reply, request, mapped);
    if (isDatabaseUnavailable(error)) {
      request.log.error({ err: error }, 'database unavailable');
      return sendError(reply, request, taxiiError('UNAVAILABLE', 'The database is unavailable; retry later.'));
    }
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
