// The credential for /internal endpoints: a token shared by the services (from INTERNAL_TOKEN or
// its file), compared in constant time. Internal endpoints move money and stock; being on the same
// network is not enough to call them.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './errors.js';

export const INTERNAL_TOKEN_HEADER = 'x-internal-token';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** True when `presented` is `expected`; comparing digests keeps the time independent of both. */
export function sameSecret(presented: string | undefined, expected: string | undefined): boolean {
  if (!presented || !expected) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Middleware: 401 unless the request carries the service credential. No token: nobody passes. */
export function requireInternalToken(token: string | undefined) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (sameSecret(req.header(INTERNAL_TOKEN_HEADER), token)) next();
    else
      next(
        new HttpError(401, 'unauthorized', `internal endpoint: ${INTERNAL_TOKEN_HEADER} required`),
      );
  };
}
