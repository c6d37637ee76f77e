// Safe retries of the calls that carry an Idempotency-Key (charge, hold, payment, withdrawal):
// the server replays the first answer for the same key, so sending again cannot charge, hold or pay
// twice. Opt-in, bounded, exponential backoff with full jitter; Retry-After is honoured. Not
// p-retry: its hooks would carry as much code (which codes retry, the Retry-After floor, the
// call's one Deadline for every attempt and every wait) and it would ship in every page bundle.
import type { Deadline } from './cancel.js';
import { LineupError, NETWORK_ERROR } from './errors.js';

export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** The first backoff step (default 200 ms); step n is min(maxDelayMs, minDelayMs * 2^n). */
  minDelayMs?: number;
  /** The largest backoff step (default 5,000 ms). A longer `Retry-After` is still honoured. */
  maxDelayMs?: number;
}

/** How a retried call is configured: `true` = the defaults, `false`/undefined = no retries. */
export type RetrySetting = boolean | RetryOptions;

const DEFAULTS: Required<RetryOptions> = { retries: 3, minDelayMs: 200, maxDelayMs: 5_000 };

/** The options in force, or undefined when retries are off. */
export function retryPolicy(setting: RetrySetting | undefined): Required<RetryOptions> | undefined {
  if (!setting) return undefined;
  return setting === true ? DEFAULTS : { ...DEFAULTS, ...withoutUndefined(setting) };
}

/**
 * Whether a failed attempt may be sent again with the same Idempotency-Key: no answer at all
 * (NETWORK_ERROR: the request may or may not have reached the server, the key makes it safe),
 * 503 (SERVICE_UNAVAILABLE: a dependency is down), or 409 IDEMPOTENCY_KEY_IN_USE (the first
 * attempt is still running: the retry will replay its answer). Never the caller's ABORTED/TIMEOUT.
 */
export function isRetryable(err: unknown): err is LineupError {
  return (
    err instanceof LineupError &&
    (err.code === NETWORK_ERROR || err.status === 503 || err.code === 'IDEMPOTENCY_KEY_IN_USE')
  );
}

/** The wait before retry `attempt` (0-based): full jitter, at least the server's Retry-After. */
export function retryDelay(
  attempt: number,
  policy: Required<RetryOptions>,
  err: LineupError,
  random: () => number = Math.random,
): number {
  const step = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.min(attempt, 30));
  const jittered = Math.round(random() * step);
  const retryAfterMs = (err.retryAfterSeconds ?? 0) * 1000;
  return Math.max(jittered, retryAfterMs);
}

/** Runs `attempt` until it succeeds, fails for good, the retries run out, or the deadline fires. */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  setting: RetrySetting | undefined,
  deadline: Deadline,
): Promise<T> {
  const policy = retryPolicy(setting);
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!policy || n >= policy.retries || !isRetryable(err) || deadline.error) throw err;
      await deadline.sleep(retryDelay(n, policy, err));
    }
  }
}

/**
 * A fresh Idempotency-Key (a random UUID v4). Uses `crypto.getRandomValues`, which, unlike
 * `crypto.randomUUID`, also exists on pages served over plain HTTP.
 */
export function newIdempotencyKey(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
