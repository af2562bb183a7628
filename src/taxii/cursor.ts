/**
 * Stateless `next` tokens (TR14): base64url(JSON payload) "." base64url(HMAC-SHA256).
 * A token is bound to the endpoint (collection and object), the caller and the
 * filters, and expires. It carries the filters when they are small, so a client
 * may send `next` without repeating them; a client that repeats them must repeat
 * them unchanged.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { taxiiError } from '../errors.js';
import { canonicalJson } from '../stix/canonical.js';
import type { ObjectFilter } from './query.js';

const EMBED_LIMIT = 2048;

interface CursorPayload {
  /** scope: endpoint + collection (+ object) */
  s: string;
  /** partner id */
  p: string;
  /** filter hash */
  h: string;
  /** embedded filter (when small) */
  f?: ObjectFilter;
  /** date_added (µs) of the last item delivered */
  a: number;
  /** expiry, seconds since epoch */
  x: number;
}

export interface CursorScope {
  readonly scope: string;
  readonly partnerId: string;
}

export interface CursorCodec {
  encode(scope: CursorScope, filter: ObjectFilter, after: number): string;
  /**
   * Verifies a token for this scope. `filter` is the filter of the current request, or
   * undefined when the request carried no filter parameters at all.
   */
  decode(token: string, scope: CursorScope, filter: ObjectFilter | undefined): { filter: ObjectFilter; after: number };
}

export function filterHash(filter: ObjectFilter): string {
  return createHash('sha256').update(canonicalJson(normalizeFilter(filter))).digest('base64url').slice(0, 22);
}

function sorted(list: readonly string[] | undefined): string[] | undefined {
  return list === undefined ? undefined : [...new Set(list)].sort();
}

/** Order-insensitive form: comma lists are ORed sets (T44). */
export function normalizeFilter(filter: ObjectFilter): ObjectFilter {
  const versions = filter.versions.all
    ? filter.versions
    : { ...filter.versions, keys: sorted(filter.versions.keys) ?? [] };
  return {
    ...(filter.ids !== undefined && { ids: sorted(filter.ids) }),
    ...(filter.types !== undefined && { types: sorted(filter.types) }),
    versions,
    ...(filter.specVersions !== undefined && { specVersions: sorted(filter.specVersions) }),
    ...(filter.addedAfter !== undefined && { addedAfter: filter.addedAfter }),
  };
}

export function createCursorCodec(secret: Buffer, ttlSeconds: number, now: () => number = Date.now): CursorCodec {
  const sign = (body: string): Buffer => createHmac('sha256', secret).update(body).digest();
  const invalid = (why: string) =>
    taxiiError('BAD_CURSOR', `${why}. Start again from the first page (without next).`);

  return {
    encode(scope, filter, after) {
      const normalized = normalizeFilter(filter);
      const payload: CursorPayload = {
        s: scope.scope,
        p: scope.partnerId,
        h: filterHash(normalized),
        a: after,
        x: Math.floor(now() / 1000) + ttlSeconds,
      };
      if (JSON.stringify(normalized).length <= EMBED_LIMIT) payload.f = normalized;
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${body}.${sign(body).toString('base64url')}`;
    },

    decode(token, scope, filter) {
      const dot = token.indexOf('.');
      if (dot < 1 || token.length > 8192) throw invalid('The next token is malformed');
      const body = token.slice(0, dot);
      const mac = Buffer.from(token.slice(dot + 1), 'base64url');
      const expected = sign(body);
      if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
        throw invalid('The next token was not issued by this server or has been altered');
      }
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as CursorPayload;
      if (payload.x < Math.floor(now() / 1000)) throw invalid('The next token has expired');
      if (payload.s !== scope.scope || payload.p !== scope.partnerId) {
        throw invalid('The next token belongs to another collection, object or caller');
      }
      if (filter === undefined) {
        if (payload.f === undefined) {
          throw taxiiError('BAD_CURSOR', 'This next token needs the original filter parameters; repeat them with next.');
        }
        return { filter: payload.f, after: payload.a };
      }
      if (filterHash(filter) !== payload.h) {
        throw taxiiError(
          'BAD_CURSOR',
          'The filter parameters differ from those of the request that issued this next token; repeat them unchanged or omit them.',
        );
      }
      return { filter, after: payload.a };
    },
  };
}
