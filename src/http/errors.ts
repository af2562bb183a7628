/**
 * One error path: TaxiiErrors, Fastify's own errors and anything unexpected all
 * leave as the TAXII error resource (TR18). 5xx bodies never echo internals.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { TaxiiError, taxiiError, toErrorResource, type ErrorName } from '../errors.js';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import { transientFailure } from '../store/db-errors.js';
import { TAXII_MEDIA_TYPE } from '../taxii/media-types.js';

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
    if (status === 408) return taxiiError('TIMEOUT', 'The request did not arrive in time.');
    if (status === 413) return taxiiError('TOO_LARGE', 'The request body is too large.');
    if (status === 415) return taxiiError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Type.');
    return taxiiError('MALFORMED', `${STATUS_CODES[status] ?? 'Client error'}: ${error.message}`);
  }
  return undefined;
}

/** What Node's HTTP parser reports before Fastify sees a request, as a TAXII error. */
function clientErrorOf(code: string | undefined): TaxiiError {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return taxiiError('HEADERS_TOO_LARGE', 'The URL or headers are too long; send fewer match[...] values per request.');
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return taxiiError('TIMEOUT', 'The request (headers and body) did not arrive within the time this server allows.');
  }
  return taxiiError('MALFORMED', 'The HTTP request could not be parsed.');
}

/** A TAXII error written straight to a socket, for what never reaches Fastify. */
function rawErrorResponse(failure: TaxiiError): string {
  const body = JSON.stringify(toErrorResource(failure, randomUUID()));
  return (
    `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status] ?? 'Error'}\r\n` +
    `Content-Type: ${TAXII_MEDIA_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

// How long the answer to an earlier pipelined request may take before the connection is dropped.
const PENDING_ANSWER_MS = 30_000;

/**
 * Answers `failure` on a connection Node's HTTP handling has given up on, then closes
 * it. When a pipelined request before the bad one is still being answered (and has
 * arrived whole), its answer goes out first and the error after it (RFC 9112 §9.3.2):
 * the client must not read the error as the answer to its valid request. A failure
 * of the request still arriving (a timeout, a broken body) is answered at once.
 */
export function answerOnSocket(socket: Socket, failure: TaxiiError): void {
  const answer = () => {
    if (socket.writable) socket.write(rawErrorResponse(failure));
    socket.destroySoon();
  };
  const pending = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
  if (pending !== undefined && !pending.writableFinished && pending.req.complete) {
    const giveUp = setTimeout(() => socket.destroy(), PENDING_ANSWER_MS);
    giveUp.unref();
    pending.once('finish', () => {
      clearTimeout(giveUp);
      answer();
    });
    pending.once('close', () => socket.destroySoon());
    return;
  }
  // An answer already under way cannot be replaced by another.
  if (pending?.headersSent === true) {
    socket.destroy();
    return;
  }
  answer();
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (a URL or headers
 * over the size limit, a request that does not arrive in time, bytes that are not
 * HTTP) still get a TAXII error resource; the connection is then closed.
 */
export function writeClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  answerOnSocket(socket, clientErrorOf(error.code));
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

/**
 * A 503 is expected while the database is away or busy: one warning line with its cause,
 * not an error with a stack for each of the hundreds of requests an outage refuses.
 */
function logUnavailable(request: FastifyRequest, error: TaxiiError): void {
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const code = (cause as { code?: unknown } | undefined)?.code;
  request.log.warn(
    { unavailable: { description: error.description, ...(cause !== undefined && { cause: cause.message }), ...(typeof code === 'string' && { code }) } },
    'service unavailable',
  );
}

export function registerErrorHandling(app: FastifyInstance, challenge: string): void {
  const sendError = (reply: FastifyReply, request: FastifyRequest, error: TaxiiError): FastifyReply => {
    // A route that challenges otherwise (the metrics' bearer token) has said so already.
    if (error.status === 401 && !reply.hasHeader('www-authenticate')) reply.header('www-authenticate', challenge);
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
    // Refused before its body arrived: reading the rest only to discard it would let a
    // client trickle a body on a connection it has no right to hold.
    if (!request.raw.complete) reply.header('connection', 'close');
    return reply.code(error.status).send(toErrorResource(error, request.id));
  };
  app.setErrorHandler((error: FastifyError | TaxiiError, request, reply) => {
    if (error instanceof TaxiiError) {
      if (error.status === 503) logUnavailable(request, error);
      else if (error.status >= 500) request.log.error({ err: error }, 'request failed');
      return sendError(reply, request, error);
    }
    const mapped = fromFastifyError(error);
    if (mapped !== undefined) return sendError(reply, request, mapped);
    const transient = transientFailure(error);
    if (transient !== undefined) {
      logUnavailable(request, Object.assign(transient, { cause: error }));
      return sendError(reply, request, transient);
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
