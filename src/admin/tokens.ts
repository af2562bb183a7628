/**
 * Bearer tokens for partners (issue 12, `token issue`): a JWT the server itself
 * accepts, signed with the configured key, with the partner as subject and the
 * configured issuer and audience. Only a shared-secret algorithm (HS256/384/512)
 * can sign here: with RS/ES the server holds a public key only, and tokens come
 * from the identity provider that holds the private one.
 */
import { createSigner, type Algorithm } from 'fast-jwt';
import type { JwtConfig } from '../config/types.js';
import { taxiiError } from '../errors.js';
import type { Db } from '../store/db.js';
import { createPartnerAdminStore } from '../store/partner-admin.js';

/** The longest lifetime a token may be given: a leaked token cannot be revoked, only outlived. */
export const MAX_TTL_SECONDS = 30 * 24 * 3600;
const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90s`, `15m`, `1h`, `7d` in seconds. */
export function parseTtl(text: string): number {
  const match = /^([1-9][0-9]{0,6})([smhd])$/.exec(text);
  if (match === null) throw taxiiError('BAD_PARAMETER', `ttl "${text}": a number and a unit, s, m, h or d (e.g. 1h)`);
  const seconds = Number(match[1]) * (UNITS[match[2] as string] as number);
  if (seconds > MAX_TTL_SECONDS) throw taxiiError('BAD_PARAMETER', `ttl "${text}": at most 30 days`);
  return seconds;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: number;
}

export async function issueToken(db: Db, jwt: JwtConfig | undefined, partnerId: string, ttlSeconds: number, now: number = Date.now()): Promise<IssuedToken> {
  if (jwt === undefined) throw taxiiError('CONFLICT', 'JWT authentication is not configured (auth.jwt in the configuration file)');
  if (!/^HS(256|384|512)$/.test(jwt.algorithm)) {
    throw taxiiError('CONFLICT', `auth.jwt uses ${jwt.algorithm}: the server holds only the public key; tokens come from your identity provider`);
  }
  const partner = await createPartnerAdminStore(db).find(partnerId);
  if (partner === undefined || partner.status === 'removed') throw taxiiError('NOT_FOUND', `no partner ${partnerId}`);
  if (partner.status !== 'active') throw taxiiError('CONFLICT', `partner ${partnerId} is ${partner.status}: its tokens would be refused`);
  const sign = createSigner({
    key: jwt.key,
    algorithm: jwt.algorithm as Algorithm,
    clockTimestamp: now,
    expiresIn: ttlSeconds * 1000,
    ...(jwt.issuer !== undefined && { iss: jwt.issuer }),
    ...(jwt.audience !== undefined && { aud: jwt.audience }),
  });
  return { token: sign({ sub: partnerId }), expiresAt: now + ttlSeconds * 1000 };
}
