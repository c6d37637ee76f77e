import type { ManagerOptions } from 'socket.io-client';

/**
 * The delay before reconnect attempt `attempt` (0-based), as socket.io-client computes its own:
 * reconnectionDelay * 2^attempt, at most reconnectionDelayMax, +-randomizationFactor jitter.
 */
export function backoffDelay(
  attempt: number,
  options: Partial<ManagerOptions> = {},
  random: () => number = Math.random,
): number {
  const base = options.reconnectionDelay ?? 1_000;
  const max = options.reconnectionDelayMax ?? 5_000;
  const jitter = Math.min(1, Math.max(0, options.randomizationFactor ?? 0.5));
  let delay = Math.min(max, base * 2 ** Math.min(attempt, 30));
  if (jitter > 0) delay += (random() * 2 - 1) * jitter * delay;
  return Math.max(0, Math.min(max, Math.round(delay)));
}

/** The `concertId` claim of a queue token (a JWT), read without verifying it; undefined if none. */
export function concertIdOfToken(token: string): number | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const claims = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as {
      concertId?: unknown;
    };
    return typeof claims.concertId === 'number' ? claims.concertId : undefined;
  } catch {
    return undefined;
  }
}

/** A copy without the keys whose value is undefined (so defaults survive `{x: undefined}`). */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
