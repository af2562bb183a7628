/**
 * Authentication (T6–T8): HTTP Basic (partner id + API key) and Bearer JWT whose
 * `sub` names the partner. Every request must authenticate; failures are 401 with
 * a WWW-Authenticate challenge, and are logged with the partner id named and the
 * client address (never the key). Failed attempts are rationed (auth-throttle.ts).
 */
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authentication, Authenticator, Principal } from '../auth/authenticator.js';
import type { Config } from '../config/types.js';
import { taxiiError } from '../errors.js';
import type { AuthThrottle } from './auth-throttle.js';
import { surfaceOf } from './surfaces.js';
import { presentedCertificate } from './tls.js';

const SYMMETRIC = /^HS/;
// RFC 7617 §2 and RFC 7235 §2.1: the scheme, one or more spaces, a token68. Canonical base64
// only: Buffer.from(…, 'base64') would skip any garbage around it.
const BASIC = /^basic +([A-Za-z0-9+/]+={0,2})$/i;
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** user-id and password of a Basic credential, or undefined when it is not exactly one. */
export function parseBasic(header: string): { partnerId: string; apiKey: string } | undefined {
  const token = BASIC.exec(header)?.[1];
  if (token === undefined || token.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(token, 'base64');
  if (bytes.toString('base64') !== token) return undefined;
  let decoded: string;
  try {
    decoded = UTF8.decode(bytes);
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  if (colon < 1) return undefined;
  return { partnerId: decoded.slice(0, colon), apiKey: decoded.slice(colon + 1) };
}

/** The partner id as it may appear in a log line: bounded, printable. */
function loggable(partnerId: string): string {
  return partnerId.slice(0, 128).replace(/[\u0000-\u001f\u007f]/g, '?');
}

/**
 * A partner's certificate rules, once its key or token is accepted: one that must
 * present a certificate of its own presents one; a certificate presented with
 * another partner's credentials, of a partner that names certificates, is not one
 * of them. Returns the reason for refusing, if any.
 */
function certificateMismatch(principal: Principal, presented: readonly string[] | undefined): string | undefined {
  const own = presented !== undefined && principal.certificates.some((c) => presented.includes(c));
  if (principal.requireCertificate && !own) return 'certificate required';
  if (presented !== undefined && principal.certificates.length > 0 && !own) return 'certificate of another';
  return undefined;
}

export async function registerAuthentication(
  app: FastifyInstance,
  config: Config,
  authenticator: Authenticator,
  throttle: AuthThrottle,
  byCertificate: (texts: readonly string[]) => Promise<string[]>,
): Promise<void> {
  const jwt = config.auth.jwt;
  if (jwt !== undefined) {
    await app.register(fastifyJwt, {
      secret: SYMMETRIC.test(jwt.algorithm) ? jwt.key : { public: jwt.key },
      verify: {
        algorithms: [jwt.algorithm as 'HS256'],
        ...(jwt.issuer !== undefined && { allowedIss: jwt.issuer }),
        ...(jwt.audience !== undefined && { allowedAud: jwt.audience }),
        // A configured issuer or audience must be present, not merely right when present.
        requiredClaims: ['sub', 'exp', ...(jwt.issuer !== undefined ? ['iss'] : []), ...(jwt.audience !== undefined ? ['aud'] : [])],
      },
    });
  }

  const fromBasic = async (request: FastifyRequest, header: string): Promise<{ partnerId: string; result: Authentication }> => {
    const credentials = parseBasic(header);
    if (credentials === undefined) {
      throttle.failedWithoutHashing(request.ip);
      return { partnerId: '', result: { refused: 'malformed credentials' } };
    }
    const { partnerId, apiKey } = credentials;
    return { partnerId, result: await authenticator.basic(partnerId, apiKey, () => throttle.attempt(request.ip, partnerId)) };
  };

  const fromBearer = async (request: FastifyRequest, header: string): Promise<{ partnerId: string; result: Authentication }> => {
    throttle.check(request.ip);
    let claims: { sub?: unknown };
    try {
      if (!BEARER.test(header)) throw new Error('not a token68');
      claims = await request.jwtVerify<{ sub?: unknown }>();
    } catch {
      throttle.failedWithoutHashing(request.ip);
      return { partnerId: '', result: { refused: 'malformed credentials' } };
    }
    const partnerId = typeof claims.sub === 'string' ? claims.sub : '';
    const result = await authenticator.subject(partnerId);
    if ('refused' in result) throttle.failedWithoutHashing(request.ip);
    return { partnerId, result };
  };

  app.decorateRequest('principal', undefined);
  app.decorateRequest('writeTarget', undefined);
  app.addHook('onRequest', async (request) => {
    // Only TAXII routes take partners: the admin API authenticates its own users, operations routes have their own rule (surfaces.ts).
    if (surfaceOf(request) !== 'taxii') return;
    const header = request.headers.authorization ?? '';
    const scheme = header.slice(0, header.indexOf(' ')).toLowerCase();
    let attempt: { partnerId: string; result: Authentication } | undefined;
    if (scheme === 'basic' && config.auth.basic) attempt = await fromBasic(request, header);
    else if (scheme === 'bearer' && jwt !== undefined) attempt = await fromBearer(request, header);
    const result = attempt?.result;
    const presented = presentedCertificate(request);
    if (result !== undefined && 'principal' in result) {
      const mismatch = certificateMismatch(result.principal, presented);
      if (mismatch === undefined) {
        request.principal = result.principal;
        return;
      }
      request.log.warn({ authentication: { scheme, partnerId: loggable(result.principal.partnerId), address: request.ip, reason: mismatch } }, 'authentication failed');
      throw taxiiError('UNAUTHENTICATED', mismatch === 'certificate required'
        ? 'This partner must also present its client certificate.'
        : 'The client certificate is not one of the partner these credentials name.');
    }
    // No credentials: a certificate that names exactly one partner authenticates it, unless
    // that partner must present its key or token as well (require_certificate: both).
    if (attempt === undefined && header === '' && presented !== undefined) {
      const named = await byCertificate(presented);
      const byCert = named.length === 1 ? await authenticator.subject(named[0] as string) : undefined;
      if (byCert !== undefined && 'principal' in byCert && !byCert.principal.requireCertificate) {
        request.principal = byCert.principal;
        return;
      }
      const reason = named.length > 1 ? 'certificate names several partners'
        : byCert === undefined ? 'certificate names no partner'
        : 'principal' in byCert ? 'key or token required too' : byCert.refused;
      request.log.warn({ authentication: { scheme: 'certificate', partnerId: loggable(named[0] ?? ''), address: request.ip, reason } }, 'authentication failed');
    }
    if (attempt !== undefined && result !== undefined) {
      request.log.warn(
        { authentication: { scheme, partnerId: loggable(attempt.partnerId), address: request.ip, reason: result.refused } },
        'authentication failed',
      );
    }
    throw taxiiError(
      'UNAUTHENTICATED',
      header === ''
        ? 'Send credentials: HTTP Basic with your partner id and API key, or a Bearer token.'
        : 'The credentials were not accepted (unknown partner, wrong key, invalid or expired token, or suspended partner).',
    );
  });
}
