/**
 * Response compression: gzip or br, as the request's Accept-Encoding allows
 * (RFC 9110 §12.5.3), for JSON bodies of at least COMPRESSION_MIN_BYTES. Request
 * bodies must not be content-coded: 415 (RFC 9110 §15.5.16).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { taxiiError } from '../errors.js';

/** Below this many bytes the headers and the CPU cost more than the bytes saved. */
export const COMPRESSION_MIN_BYTES = 1024;

export type ContentCoding = 'br' | 'gzip';

/*
 * Settings measured on pages of 1000 real STIX objects (0.6-1.7 MB of JSON from
 * shared/data: ATT&CK and OASIS bundles), one core, Node 20 zlib:
 *   br quality 1: 230-320 MB/s, ratio 5.2    br quality 4: 50-75 MB/s, ratio 6.0
 *   gzip level 1: 110-130 MB/s, ratio 4.35   gzip level 3: ~10% slower, ratio 4.55
 *   gzip level 6 (zlib default): 55-65 MB/s, ratio 5.0; br 11 (default): <1 MB/s
 * Brotli quality 1 is both the cheapest and the smallest, so br wins ties in q.
 * Higher settings (gzip 4-6, br 2-4) cost 1.5-4x the CPU for 5-15% fewer bytes.
 */
const GZIP_OPTIONS = { level: 1 };
const BROTLI_QUALITY = 1;

// On libuv's thread pool: a 1 MB page does not hold up other requests.
const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

function compress(body: Buffer, coding: ContentCoding): Promise<Buffer> {
  if (coding === 'gzip') return gzipAsync(body, GZIP_OPTIONS);
  return brotliAsync(body, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
}

/** Weights by coding name (lower case) from an Accept-Encoding value; malformed members are ignored. */
function parseAcceptEncoding(header: string): Map<string, number> {
  const weights = new Map<string, number>();
  for (const member of header.split(',')) {
    const [name = '', ...params] = member.split(';').map((part) => part.trim().toLowerCase());
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) continue;
    let q = 1;
    for (const param of params) {
      const match = /^q\s*=\s*(\S*)$/.exec(param);
      if (match === null) continue;
      // RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
      q = /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(match[1] ?? '') ? Number(match[1]) : Number.NaN;
    }
    const key = name === 'x-gzip' ? 'gzip' : name; // RFC 9110 §8.4.1.3
    if (!Number.isNaN(q) && !weights.has(key)) weights.set(key, q);
  }
  return weights;
}

/**
 * The coding to send, or undefined for identity. No Accept-Encoding means
 * identity: RFC 9110 lets the server pick any coding then, but old clients that
 * send none rarely decode one. At equal weight br beats gzip (see above) and a
 * coding beats identity; identity wins only with a strictly higher weight. A
 * header refusing everything, identity too, still gets identity: answering 406
 * to a request that was otherwise fine helps nobody.
 */
export function negotiateEncoding(header: string | undefined): ContentCoding | undefined {
  if (header === undefined) return undefined;
  const weights = parseAcceptEncoding(header);
  const star = weights.get('*');
  const weightOf = (coding: string) => weights.get(coding) ?? star ?? 0;
  const identity = weights.get('identity') ?? star ?? 0;
  const br = weightOf('br');
  const gz = weightOf('gzip');
  const best: ContentCoding = br >= gz ? 'br' : 'gzip';
  const q = Math.max(br, gz);
  return q > 0 && q >= identity ? best : undefined;
}

/** Adds Accept-Encoding to Vary unless it (or `*`) is already there. */
function varyOnAcceptEncoding(reply: FastifyReply): void {
  const current = reply.getHeader('vary');
  const list = Array.isArray(current) ? current.join(', ') : current === undefined ? '' : String(current);
  const names = list.split(',').map((name) => name.trim().toLowerCase());
  if (names.includes('accept-encoding') || names.includes('*')) return;
  reply.header('vary', list.trim() === '' ? 'Accept-Encoding' : `${list}, Accept-Encoding`);
}

/** Content codings of a request body other than identity (RFC 9110 §8.4). */
function requestCodings(request: FastifyRequest): string[] {
  const header = request.headers['content-encoding'];
  if (header === undefined) return [];
  return header.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
}

/**
 * Refuses a content-coded request body (415 with Accept-Encoding: identity), before
 * the body is read: decoded as text, coded bytes would only look like bad JSON.
 */
export function refuseCodedBody(request: FastifyRequest, reply: FastifyReply): void {
  const codings = requestCodings(request);
  if (codings.length === 0) return;
  reply.header('accept-encoding', 'identity');
  throw taxiiError(
    'UNSUPPORTED_MEDIA_TYPE',
    `Request bodies must not be content-coded (got Content-Encoding: ${codings.join(', ')}); send the envelope uncompressed.`,
  );
}

export function registerCompression(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    const status = reply.statusCode;
    if (status === 204 || status < 200 || reply.hasHeader('content-encoding')) return payload;
    // Every representation of a resource may be coded, so caches key it on Accept-Encoding,
    // small ones and HEAD answers included.
    varyOnAcceptEncoding(reply);
    if (request.method === 'HEAD' || status === 304) return payload;
    const coding = negotiateEncoding(request.headers['accept-encoding']);
    if (coding === undefined) return payload;
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    if (body.length < COMPRESSION_MIN_BYTES) return payload;
    let coded: Buffer;
    try {
      coded = await compress(body, coding);
    } catch (err) {
      request.log.warn({ err, coding }, 'compression failed; sending the body uncompressed');
      return payload;
    }
    if (coded.length >= body.length) return payload;
    reply.header('content-encoding', coding);
    // Fastify sets Content-Length from the payload this hook returns.
    reply.removeHeader('content-length');
    return coded;
  });
}
