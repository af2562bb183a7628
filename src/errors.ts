/**
 * The error catalogue. Every error that crosses a module boundary is a TaxiiError
 * built from one of these entries; the HTTP error handler turns it into the TAXII
 * error resource (taxii-2.1.md §9.9, TR18).
 */

export interface ErrorKind {
  readonly code: string;
  readonly status: number;
  readonly title: string;
}

function kind(code: string, status: number, title: string): ErrorKind {
  return Object.freeze({ code, status, title });
}

export const Errors = Object.freeze({
  BAD_PARAMETER: kind('TAXII_ERR_REQUEST_BAD_PARAMETER', 400, 'Invalid query parameter'),
  BAD_CURSOR: kind('TAXII_ERR_REQUEST_BAD_CURSOR', 400, 'Invalid next token'),
  BAD_JSON: kind('TAXII_ERR_REQUEST_BAD_JSON', 400, 'Request body is not valid JSON'),
  MALFORMED: kind('TAXII_ERR_REQUEST_MALFORMED', 400, 'Bad request'),
  UNAUTHENTICATED: kind('TAXII_ERR_AUTH_UNAUTHENTICATED', 401, 'Authentication required'),
  FORBIDDEN: kind('TAXII_ERR_AUTH_FORBIDDEN', 403, 'Forbidden'),
  NOT_FOUND: kind('TAXII_ERR_RESOURCE_NOT_FOUND', 404, 'Not found'),
  NOT_ACCEPTABLE: kind('TAXII_ERR_MEDIA_NOT_ACCEPTABLE', 406, 'Not acceptable'),
  TIMEOUT: kind('TAXII_ERR_REQUEST_TIMEOUT', 408, 'Request timeout'),
  CONFLICT: kind('TAXII_ERR_RESOURCE_CONFLICT', 409, 'Conflict'),
  TOO_LARGE: kind('TAXII_ERR_REQUEST_TOO_LARGE', 413, 'Request body too large'),
  UNSUPPORTED_MEDIA_TYPE: kind('TAXII_ERR_MEDIA_UNSUPPORTED', 415, 'Unsupported media type'),
  EXPECTATION_FAILED: kind('TAXII_ERR_REQUEST_EXPECTATION_FAILED', 417, 'Expectation failed'),
  UNPROCESSABLE: kind('TAXII_ERR_CONTENT_UNPROCESSABLE', 422, 'Unprocessable content'),
  RATE_LIMITED: kind('TAXII_ERR_REQUEST_RATE_LIMITED', 429, 'Too many requests'),
  AUTH_THROTTLED: kind('TAXII_ERR_AUTH_THROTTLED', 429, 'Too many failed authentications'),
  HEADERS_TOO_LARGE: kind('TAXII_ERR_REQUEST_HEADERS_TOO_LARGE', 431, 'Request header fields too large'),
  INTERNAL: kind('TAXII_ERR_SERVER_INTERNAL', 500, 'Internal server error'),
  UNAVAILABLE: kind('TAXII_ERR_SERVER_UNAVAILABLE', 503, 'Service unavailable'),
});

export type ErrorName = keyof typeof Errors;

export class TaxiiError extends Error {
  readonly kind: ErrorKind;
  readonly description: string;
  readonly details: Record<string, unknown> | undefined;
  /** For 429 and 503: seconds after which a retry may succeed (the Retry-After header). */
  readonly retryAfterSeconds: number | undefined;

  constructor(kind: ErrorKind, description: string, details?: Record<string, unknown>, retryAfterSeconds?: number) {
    super(description);
    this.name = 'TaxiiError';
    this.kind = kind;
    this.description = description;
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  get status(): number {
    return this.kind.status;
  }
}

export function taxiiError(
  name: ErrorName,
  description: string,
  details?: Record<string, unknown>,
  retryAfterSeconds?: number,
): TaxiiError {
  return new TaxiiError(Errors[name], description, details, retryAfterSeconds);
}

/** The TAXII error resource (§3.6.1); `http_status` is a string by the spec. */
export interface ErrorResource {
  title: string;
  description?: string;
  error_id?: string;
  error_code: string;
  http_status: string;
  details?: Record<string, unknown>;
}

export function toErrorResource(error: TaxiiError, errorId: string): ErrorResource {
  const resource: ErrorResource = {
    title: error.kind.title,
    description: error.description,
    error_id: errorId,
    error_code: error.kind.code,
    http_status: String(error.kind.status),
  };
  if (error.details !== undefined) resource.details = error.details;
  return resource;
}
