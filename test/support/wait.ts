import { setTimeout as sleep } from 'node:timers/promises';

/** Polls until `cond` holds (tests of time-driven behaviour use short configured durations). */
export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}
