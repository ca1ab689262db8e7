// Per-client rate limiting in Redis: a fixed window per client that starts with the client's first
// request (so there is no shared boundary where every client's budget resets at once), keyed by
// the token's subject or, for anonymous calls, the IP address; shared by every gateway instance. Redis being down fails open:
// losing rate limiting is better than losing the API.
import type { NextFunction, Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { log, metrics } from '../platform/telemetry/index.js';
import { HttpError } from '../platform/http/errors.js';
import { sendError } from '../platform/http/app.js';
import type { TokenService } from '../platform/auth/jwt.js';

const rejections = metrics.counter({
  name: 'rate_limit_rejections_total',
  help: 'Requests rejected by the gateway rate limiter',
});
rejections.inc({}, 0);

const SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('PTTL', KEYS[1]) }`;

export interface RateLimitSettings {
  max: number;
  windowMs: number;
  keyPrefix: string;
}

export function rateLimit(redis: Redis, tokens: TokenService, s: RateLimitSettings) {
  return async (req: Request, res: Response, next: NextFunction) => {
    let client = `ip:${req.ip ?? 'unknown'}`;
    if (req.headers.authorization) {
      try {
        const user = await tokens.verify(req.headers.authorization);
        res.locals.user = user;
        client = `user:${user.id}`;
      } catch {
        // an invalid token is rate limited as the address it came from
      }
    }
    let result: [number, number];
    try {
      result = (await redis.eval(SCRIPT, 1, `${s.keyPrefix}${client}`, s.windowMs)) as [
        number,
        number,
      ];
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'rate limiter unavailable, allowing request');
      next();
      return;
    }
    const [count, ttl] = result;
    res.setHeader('RateLimit-Limit', String(s.max));
    res.setHeader('RateLimit-Remaining', String(Math.max(0, s.max - count)));
    if (count > s.max) {
      rejections.inc();
      const retryAfter = String(Math.max(1, Math.ceil((ttl > 0 ? ttl : s.windowMs) / 1000)));
      sendError(
        res,
        new HttpError(
          429,
          'rate_limited',
          `too many requests: limit is ${s.max} per ${s.windowMs} ms`,
          undefined,
          { 'Retry-After': retryAfter },
        ),
      );
      return;
    }
    next();
  };
}
