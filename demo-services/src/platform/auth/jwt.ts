// HS256 tokens issued by users and verified by the gateway and by every service that needs the
// caller's identity (defence in depth: a service never trusts a header set by someone else).
import { SignJWT, jwtVerify, errors } from 'jose';

export interface TokenSettings {
  JWT_SECRET: string;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
}

export interface Principal {
  id: string;
  email: string;
}

export class TokenError extends Error {
  constructor(
    message: string,
    readonly reason: 'missing' | 'malformed' | 'expired' | 'invalid',
  ) {
    super(message);
  }
}

export function createTokenService(settings: TokenSettings, ttlSeconds = 3600) {
  const key = new TextEncoder().encode(settings.JWT_SECRET);
  return {
    async sign(principal: Principal): Promise<string> {
      return new SignJWT({ email: principal.email })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(principal.id)
        .setIssuer(settings.JWT_ISSUER)
        .setAudience(settings.JWT_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key);
    },
    async verify(authorization: string | undefined): Promise<Principal> {
      if (!authorization) throw new TokenError('missing bearer token', 'missing');
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!match?.[1])
        throw new TokenError('authorization header must be "Bearer <token>"', 'malformed');
      try {
        const { payload } = await jwtVerify(match[1], key, {
          issuer: settings.JWT_ISSUER,
          audience: settings.JWT_AUDIENCE,
          algorithms: ['HS256'],
        });
        if (typeof payload.sub !== 'string')
          throw new TokenError('token has no subject', 'invalid');
        return { id: payload.sub, email: typeof payload.email === 'string' ? payload.email : '' };
      } catch (err) {
        if (err instanceof TokenError) throw err;
        if (err instanceof errors.JWTExpired) throw new TokenError('token expired', 'expired');
        if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid)
          throw new TokenError('malformed token', 'malformed');
        throw new TokenError('invalid token', 'invalid');
      }
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
