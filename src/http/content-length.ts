/**
 * max_content_length (taxii-2.1.md TR16): the one place a request body is held
 * to it. The limit is the API root's, read from the database with the collection
 * on each request, so it is the value the API root resource reports, and a
 * change applied to a running server holds from the next request on.
 */
import { Transform, type Readable } from 'node:stream';
import { taxiiError, type TaxiiError } from '../errors.js';

/**
 * The largest max_content_length the configuration allows (schemas/config.schema.json):
 * the framework's own body limit, which the checks here keep from ever being reached.
 */
export const CONTENT_LENGTH_CEILING = 1024 * 1024 * 1024;

function tooLarge(limit: number): TaxiiError {
  return taxiiError('TOO_LARGE', `The body exceeds max_content_length (${limit} bytes) of this API root.`);
}

/**
 * The declared size of the body, checked before any of it is read: undefined when the
 * body is chunked (no Content-Length).
 */
export function declaredLength(header: string | undefined, limit: number): number | undefined {
  if (header === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(header)) {
    throw taxiiError('MALFORMED', 'Content-Length must be the body size as a decimal number of bytes (RFC 9110 §8.6).');
  }
  const declared = Number(header);
  if (declared > limit) throw tooLarge(limit);
  return declared;
}

/**
 * The body as it arrives, cut off with 413 once it passes `limit` (a chunked body
 * declares no size; one with Content-Length cannot pass it). Equal to the limit is allowed.
 */
export function limitedBody(payload: Readable, limit: number): Readable {
  let received = 0;
  const limited = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > limit) callback(tooLarge(limit));
      else callback(null, chunk);
    },
  });
  payload.on('error', (err) => limited.destroy(err));
  return payload.pipe(limited);
}
