import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PoolResult {
  /** Items started before the deadline. */
  started: number;
  seconds: number;
  /** True when the deadline stopped the run before every item started. */
  cutShort: boolean;
}

/**
 * Runs `work` over `items` with at most `concurrency` in flight: a closed loop, "as fast as the
 * system answers". Bounded in count (the items) and in time (no item starts after `deadlineMs`).
 * Not p-limit / p-map: neither stops starting items at a deadline nor says how many started.
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
  deadlineMs = 600_000,
): Promise<PoolResult> {
  const started = performance.now();
  const stopAt = started + deadlineMs;
  let next = 0;
  const lane = async () => {
    while (next < items.length && performance.now() < stopAt) {
      const i = next++;
      await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
  return {
    started: next,
    seconds: (performance.now() - started) / 1000,
    cutShort: next < items.length,
  };
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it did. */
export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const stopAt = Date.now() + timeoutMs;
  while (Date.now() < stopAt) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return check();
}

export const errorCode = (err: unknown): string => {
  // LineupError (the SPEC code or the SDK's own), a socket handshake code, or a Node errno.
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') {
    // A network failure says which: NETWORK_ERROR:ECONNRESET, NETWORK_ERROR:timeout...
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (err.code === 'NETWORK_ERROR' && cause)
      return `${err.code}:${cause.code ?? '?'}${/reused connection: false/.test(cause.message ?? '') ? ':fresh' : ''}`;
    return err.code;
  }
  return err instanceof Error ? err.message.slice(0, 60) : String(err).slice(0, 60);
};
