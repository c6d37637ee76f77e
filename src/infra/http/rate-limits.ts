import type { Request, RequestHandler } from 'express';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisClient } from '../redis/scripts.js';
import { AppError } from './errors.js';

interface Rule {
  points: number;
  durationSeconds: number;
}

// Per user and per address. Per-address limits are generous: a stadium's Wi-Fi puts thousands of
// honest fans behind a few addresses; the per-user limits are what stop a refresh bot.
const RULES = {
  signUpPerIp: { points: 20, durationSeconds: 60 },
  loginPerIp: { points: 60, durationSeconds: 60 },
  loginPerPhone: { points: 10, durationSeconds: 60 },
  joinPerUser: { points: 10, durationSeconds: 10 },
  joinPerIp: { points: 600, durationSeconds: 10 },
} satisfies Record<string, Rule>;
export type RateLimitRule = keyof typeof RULES;

/**
 * Redis-backed rate limits (rate-limiter-flexible), shared by every instance. Over the limit:
 * 429 RATE_LIMITED with Retry-After. If Redis itself fails, requests pass: the limits protect
 * the service, they must not take login down with Redis.
 */
export class RateLimits {
  private readonly limiters = new Map<RateLimitRule, RateLimiterRedis>();

  constructor(
    redis: RedisClient,
    prefix: string,
    private readonly enabled: boolean,
  ) {
    for (const [name, rule] of Object.entries(RULES) as [RateLimitRule, Rule][]) {
      this.limiters.set(
        name,
        new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `${prefix}rl:${name}`,
          points: rule.points,
          duration: rule.durationSeconds,
        }),
      );
    }
  }

  /** Middleware consuming one point of `rule` for the key `keyOf(req)` (after validation). */
  limit(rule: RateLimitRule, keyOf: (req: Request) => string | number | undefined): RequestHandler {
    return async (req, _res, next) => {
      if (!this.enabled) return next();
      const key = keyOf(req);
      if (key === undefined) return next();
      try {
        await this.limiters.get(rule)!.consume(String(key));
        next();
      } catch (err) {
        if (err instanceof RateLimiterRes) {
          const retryAfter = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
          return next(
            new AppError('RATE_LIMITED', {
              details: { retryAfterSeconds: retryAfter },
              headers: { 'Retry-After': String(retryAfter) },
            }),
          );
        }
        next(); // the store failed: fail open
      }
    };
  }
}
