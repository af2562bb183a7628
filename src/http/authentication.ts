/**
 * Authentication (T6–T8): HTTP Basic (partner id + API key) and Bearer JWT whose
 * `sub` names the partner. Every request must authenticate; failures are 401 with
 * a WWW-Authenticate challenge.
 */
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import type { Config } from '../config/types.js';
import { taxiiError } from '../errors.js';

const SYMMETRIC = /^HS/;

async function fromBasic(authenticator: Authenticator, encoded: string): Promise<Principal | undefined> {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return undefined;
  return authenticator.basic(decoded.slice(0, colon), decoded.slice(colon + 1));
}

async function fromBearer(request: FastifyRequest, authenticator: Authenticator): Promise<Principal | undefined> {
  let claims: { sub?: unknown };
  try {
    claims = await request.jwtVerify<{ sub?: unknown }>();
  } catch {
    return undefined;
  }
  return typeof claims.sub === 'string' ? authenticator.subject(claims.sub) : undefined;
}

export async function registerAuthentication(app: FastifyInstance, config: Config, authenticator: Authenticator): Promise<void> {
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
  app.decorateRequest('principal', undefined);
  app.decorateRequest('writeTarget', undefined);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization ?? '';
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    let principal: Principal | undefined;
    if (scheme === 'basic' && config.auth.basic) principal = await fromBasic(authenticator, value);
    else if (scheme === 'bearer' && jwt !== undefined) principal = await fromBearer(request, authenticator);
    if (principal === undefined) {
      throw taxiiError(
        'UNAUTHENTICATED',
        header === ''
          ? 'Send credentials: HTTP Basic with your partner id and API key, or a Bearer token.'
          : 'The credentials were not accepted (unknown partner, wrong key, invalid or expired token, or suspended partner).',
      );
    }
    request.principal = principal;
  });
}
