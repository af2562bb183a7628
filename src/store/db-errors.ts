/**
 * Which database failures are transient: the request may succeed if retried, so
 * the client gets 503 with Retry-After (TAXII_ERR_SERVER_UNAVAILABLE), never 500.
 * The one place that knows the drivers' error shapes (node-postgres, PGlite, Node's
 * sockets) and PostgreSQL's SQLSTATE classes.
 */
import { TaxiiError, taxiiError } from '../errors.js';

// SQLSTATE codes (PostgreSQL appendix A) that say "not now" rather than "never".
const TRANSIENT_SQLSTATES = new Set([
  '57P01', // admin_shutdown: the server is stopping, or the backend was terminated
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '25P03', // idle_in_transaction_session_timeout
]);
const TIMEOUT_SQLSTATES = new Map([
  ['57014', 'a database statement took longer than the statement timeout'],
  ['55P03', 'a database lock was not granted within the lock timeout'],
]);

// Socket and file-descriptor errors of the connection to the database.
const TRANSIENT_SYSTEM_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EMFILE', 'ENFILE',
]);

// node-postgres reports a lost or unobtainable connection without a code.
const TRANSIENT_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'is not queryable',
  'Cannot use a pool after calling end on the pool',
  'PGlite is closed',
];

/** Seconds a client should wait before retrying after this kind of failure. */
const RETRY_AFTER_OUTAGE = 5;
const RETRY_AFTER_CONTENTION = 2;

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** A TaxiiError for a transient failure, or undefined when the error is not one. */
export function transientFailure(error: unknown): TaxiiError | undefined {
  if (error instanceof TaxiiError || !(error instanceof Error)) return undefined;
  const code = codeOf(error);
  const timeout = TIMEOUT_SQLSTATES.get(code);
  if (timeout !== undefined) {
    return taxiiError('UNAVAILABLE', `The server is busy (${timeout}); retry later.`, undefined, RETRY_AFTER_CONTENTION);
  }
  // Class 08: connection exception; class 53: insufficient resources (too many connections, disk full, out of memory).
  const transient =
    TRANSIENT_SQLSTATES.has(code) || code.startsWith('08') || code.startsWith('53') || TRANSIENT_SYSTEM_CODES.has(code) ||
    TRANSIENT_MESSAGES.some((m) => error.message.includes(m));
  if (!transient) return undefined;
  return taxiiError('UNAVAILABLE', 'The database is unavailable; retry later.', undefined, RETRY_AFTER_OUTAGE);
}

/**
 * Whether the connection that raised `error` can no longer be trusted (lost, reset,
 * or a statement whose answer never came, still queued on it): it must be destroyed,
 * not rolled back and reused.
 */
export function connectionLost(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof TaxiiError) return false;
  const code = codeOf(error);
  return code.startsWith('08') || code.startsWith('57P0') || TRANSIENT_SYSTEM_CODES.has(code) ||
    TRANSIENT_MESSAGES.some((m) => error.message.includes(m));
}

/** Rethrows a transient failure as the catalogue's 503 (the driver's error as its cause), anything else unchanged. */
export function rethrowDatabaseError(error: unknown): never {
  const transient = transientFailure(error);
  if (transient === undefined) throw error;
  throw Object.assign(transient, { cause: error });
}
