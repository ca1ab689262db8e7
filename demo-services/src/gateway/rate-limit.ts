// Per-client rate limiting in Redis: a fixed window per client that starts with the client's first
// request (so there is no shared boundary where every client's budget resets at once), keyed by
// the token's subject or, for anonymous calls, the IP address; shared by every gateway instance.
// Redis being down or hung fails open, fast: losing rate limiting is better than losing the API.
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

const UNDO_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return { 0, 0 } end
return { redis.call('DECR', KEYS[1]), redis.call('PTTL', KEYS[1]) }`;

export interface RateLimitSettings {
  max: number;
  windowMs: number;
  keyPrefix: string;
}

/**
 * Fixed-window counters in Redis with a deadline. A failed or slow call opens a short cool-down in
 * which every check passes at once (no request waits on a Redis that is known to be away), and
 * the warning is logged once per interval with the number of checks it skipped.
 */
export class WindowCounter {
  private skipUntil = 0;
  private lastWarning = 0;
  private skipped = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly cooldownMs = 1000,
    private readonly warnEveryMs = 30_000,
  ) {}

  /** Counts one hit; undefined when Redis cannot answer now. */
  hit(key: string, windowMs: number): Promise<{ count: number; ttlMs: number } | undefined> {
    return this.call(SCRIPT, key, windowMs);
  }

  /** Takes one hit back (it turned out not to count). */
  async undo(key: string): Promise<void> {
    await this.call(UNDO_SCRIPT, key);
  }

  private async call(
    script: string,
    key: string,
    ...args: (string | number)[]
  ): Promise<{ count: number; ttlMs: number } | undefined> {
    if (Date.now() < this.skipUntil) {
      this.skipped++;
      return undefined;
    }
    try {
      const [count, ttlMs] = (await this.redis.eval(
        script,
        1,
        `${this.keyPrefix}${key}`,
        ...args,
      )) as [number, number];
      return { count, ttlMs };
    } catch (err) {
      this.skipUntil = Date.now() + this.cooldownMs;
      this.skipped++;
      if (Date.now() - this.lastWarning >= this.warnEveryMs) {
        log.warn(
          { err: (err as Error).message, checksSkipped: this.skipped },
          'rate limiter unavailable, allowing requests',
        );
        this.lastWarning = Date.now();
        this.skipped = 0;
      }
      return undefined;
    }
  }
}

export function tooMany(what: string, ttlMs: number, windowMs: number): HttpError {
  const retryAfter = String(Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : windowMs) / 1000)));
  rejections.inc();
  return new HttpError(429, 'rate_limited', what, undefined, { 'Retry-After': retryAfter });
}

export function rateLimit(counter: WindowCounter, tokens: TokenService, s: RateLimitSettings) {
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
    const result = await counter.hit(client, s.windowMs);
    if (!result) {
      next();
      return;
    }
    res.setHeader('RateLimit-Limit', String(s.max));
    res.setHeader('RateLimit-Remaining', String(Math.max(0, s.max - result.count)));
    if (result.count > s.max) {
      sendError(
        res,
        tooMany(
          `too many requests: limit is ${s.max} per ${s.windowMs} ms`,
          result.ttlMs,
          s.windowMs,
        ),
      );
      return;
    }
    next();
  };
}
