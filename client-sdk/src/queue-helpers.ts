import type { ManagerOptions } from 'socket.io-client';
import type { QueueEndReason } from './contract/events.js';
import { QUEUE_END_REASONS } from './contract/names.js';
import { LineupError } from './errors.js';

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

/**
 * When leaving failed because the entry was already over, how it ended: a 410's `details.reason`
 * (`expired` when the server named none we know), `removed` for 404 QUEUE_ENTRY_NOT_FOUND (the
 * entry is gone). Undefined for any other failure, which leaving must report.
 */
export function leftAlready(err: unknown): QueueEndReason | undefined {
  if (!(err instanceof LineupError)) return undefined;
  if (err.status === 410) {
    const reason = err.details?.reason;
    return (QUEUE_END_REASONS as readonly unknown[]).includes(reason)
      ? (reason as QueueEndReason)
      : 'expired';
  }
  if (err.code === 'QUEUE_ENTRY_NOT_FOUND') return 'removed';
  return undefined;
}
