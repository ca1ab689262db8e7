// Password guessing is limited per account and per client address, whatever else the request
// carries (a valid token for another account changes nothing): every attempt is counted under
// both keys before it is forwarded (the account as a hash of the lower-cased email, so no address
// is stored), so concurrent guesses cannot slip past the limit; a key over its limit gets 429
// before the password is even checked. An attempt that did not fail is taken back, so a user who
// types their password right is never locked out by their own logins.
import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { sendError } from '../platform/http/app.js';
import { spanEvent } from '../platform/telemetry/index.js';
import { tooMany, type WindowCounter } from './rate-limit.js';

export interface LoginLimitSettings {
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
  windowMs: number;
}

function accountOf(body: unknown): string | undefined {
  if (!Buffer.isBuffer(body)) return undefined;
  try {
    const email = (JSON.parse(body.toString('utf8')) as { email?: unknown }).email;
    if (typeof email !== 'string') return undefined;
    return createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 32);
  } catch {
    return undefined;
  }
}

export function loginLimit(counter: WindowCounter, s: LoginLimitSettings) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const keys: [string, number][] = [[`login:ip:${req.ip ?? 'unknown'}`, s.maxFailuresPerAddress]];
    const account = accountOf(req.body);
    if (account) keys.push([`login:account:${account}`, s.maxFailuresPerAccount]);
    const counted = await Promise.all(keys.map(([key]) => counter.hit(key, s.windowMs)));
    const over = counted.findIndex((c, i) => c !== undefined && c.count > keys[i]![1]);
    if (over >= 0) {
      spanEvent('login.limited', { scope: keys[over]![0].split(':')[1] ?? '' });
      sendError(
        res,
        tooMany('too many failed logins; try again later', counted[over]!.ttlMs, s.windowMs),
      );
      return;
    }
    res.once('finish', () => {
      if (res.statusCode !== 401) for (const [key] of keys) void counter.undo(key);
    });
    next();
  };
}
