import type { Request, RequestHandler } from 'express';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisClient } from '../redis/scripts.js';
import { AppError } from '../app-error.js';

interface Rule {
  points: number;
  durationSeconds: number;
}

// Per user and per address. Per-address limits are generous: a stadium's Wi-Fi puts thousands of
// honest fans behind a few addresses; the per-user limits are what stop a refresh bot.
const RULES = {
  signUpPerIp: { points: 20, durationSeconds: 60 },
  // Every login attempt, to bound the scrypt work one address can ask for.
  loginPerIp: { points: 300, durationSeconds: 60 },
  joinPerUser: { points: 10, durationSeconds: 10 },
  joinPerIp: { points: 600, durationSeconds: 10 },
} satisfies Record<string, Rule>;
export type RateLimitRule = keyof typeof RULES;

/**
 * Failed logins. Counting failures per phone alone would let anyone lock an owner out with a few
 * wrong passwords; so the tight limit is per (phone, address), cleared by a success, the
 * address has its own, and only a much higher ceiling counts one phone from every address (a
 * guess spread over many addresses still ends).
 */
export const LOGIN_FAILURE_RULES = {
  loginFailsPerPhoneAndIp: { points: 10, durationSeconds: 15 * 60 },
  loginFailsPerIp: { points: 100, durationSeconds: 15 * 60 },
  loginFailsPerPhone: { points: 100, durationSeconds: 60 * 60 },
} satisfies Record<string, Rule>;

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
    for (const [name, rule] of Object.entries(RULES) as [RateLimitRule, Rule][])
      this.limiters.set(name, limiter(redis, prefix, name, rule));
  }

  /** Middleware consuming one point of `rule` for the key `keyOf(req)` (after validation). */
  limit(rule: RateLimitRule, keyOf: (req: Request) => string | number | undefined): RequestHandler {
    return async (req, _res, next) => {
      const key = keyOf(req);
      if (key === undefined) return next();
      try {
        await this.consume(rule, key);
        next();
      } catch (err) {
        next(err);
      }
    };
  }

  /** Consumes one point of `rule` for `key`; throws 429 RATE_LIMITED over the limit. */
  async consume(rule: RateLimitRule, key: string | number): Promise<void> {
    if (!this.enabled) return;
    try {
      await this.limiters.get(rule)!.consume(String(key));
    } catch (err) {
      if (err instanceof RateLimiterRes) throw rateLimited(err.msBeforeNext);
      // the store failed: fail open
    }
  }

  /**
   * `rule` as a fixed window for a Lua script that counts it in the same call as its work (the
   * join); points 0 when limits are off.
   */
  window(rule: RateLimitRule): { points: number; durationMs: number } {
    const r = RULES[rule];
    return this.enabled
      ? { points: r.points, durationMs: r.durationSeconds * 1000 }
      : { points: 0, durationMs: 0 };
  }
}

/** One login attempt, counted as a failure until it is known to have succeeded. */
export interface LoginAttempt {
  /** The password was right: the (phone, address) failures are forgiven, this one uncounted. */
  succeeded(): Promise<void>;
  /** Neither success nor failure (a dependency failed): uncounted. */
  abandoned(): Promise<void>;
}

const UNCOUNTED: LoginAttempt = { succeeded: async () => {}, abandoned: async () => {} };

/**
 * The failed-login limits (LOGIN_FAILURE_RULES). An attempt counts as a failure from the moment
 * it starts, so a burst of parallel guesses is cut at the limit exactly, and is given back when
 * it succeeds. A refused attempt counts nowhere else: a stranger hammering one (phone, address)
 * pair does not use up the phone's ceiling. If Redis fails, logins pass.
 */
export class LoginLimits {
  private readonly pair: RateLimiterRedis;
  private readonly address: RateLimiterRedis;
  private readonly phone: RateLimiterRedis;

  constructor(
    redis: RedisClient,
    prefix: string,
    private readonly enabled: boolean,
  ) {
    const rules = LOGIN_FAILURE_RULES;
    this.pair = limiter(redis, prefix, 'loginFailsPerPhoneAndIp', rules.loginFailsPerPhoneAndIp);
    this.address = limiter(redis, prefix, 'loginFailsPerIp', rules.loginFailsPerIp);
    this.phone = limiter(redis, prefix, 'loginFailsPerPhone', rules.loginFailsPerPhone);
  }

  /** Starts an attempt, or throws 429 RATE_LIMITED when one of its counters is full. */
  async begin(phone: string, address: string): Promise<LoginAttempt> {
    if (!this.enabled) return UNCOUNTED;
    const counters: [RateLimiterRedis, string][] = [
      [this.pair, `${phone}|${address}`],
      [this.address, address],
      [this.phone, phone],
    ];
    const results = await Promise.allSettled(counters.map(([l, key]) => l.consume(key)));
    const refusals = results.flatMap((r) =>
      r.status === 'rejected' && r.reason instanceof RateLimiterRes ? [r.reason] : [],
    );
    const giveBack = (from: [RateLimiterRedis, string][]) =>
      Promise.all(from.map(([l, key]) => l.reward(key).catch(() => undefined)));
    const counted = counters.filter((_, i) => results[i]!.status === 'fulfilled');
    if (refusals.length > 0) {
      await giveBack(counted);
      throw rateLimited(Math.max(...refusals.map((r) => r.msBeforeNext)));
    }
    return {
      succeeded: async () => {
        await Promise.all([
          this.pair.delete(counters[0]![1]).catch(() => undefined),
          giveBack(counted.filter(([l]) => l !== this.pair)),
        ]);
      },
      abandoned: async () => void (await giveBack(counted)),
    };
  }
}

function limiter(redis: RedisClient, prefix: string, name: string, rule: Rule) {
  return new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${prefix}rl:${name}`,
    points: rule.points,
    duration: rule.durationSeconds,
  });
}

export function rateLimited(msBeforeNext: number): AppError {
  const retryAfter = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new AppError('RATE_LIMITED', {
    details: { retryAfterSeconds: retryAfter },
    headers: { 'Retry-After': String(retryAfter) },
  });
}
