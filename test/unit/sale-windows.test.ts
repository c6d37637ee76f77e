import { describe, expect, it } from 'vitest';
import { SaleWindowCache, type SaleWindow } from '../../src/modules/queue/sale-windows.cache.js';

const WINDOW: SaleWindow = { saleOpensAt: 1_000, saleEndsAt: 9_000 };

/** A loader that counts its calls and answers only when released (a slow database). */
function gatedLoader(answer: () => SaleWindow = () => WINDOW) {
  const calls: number[] = [];
  const gates: { release: () => void; fail: (err: Error) => void }[] = [];
  const load = (concertId: number) =>
    new Promise<SaleWindow>((resolve, reject) => {
      calls.push(concertId);
      gates.push({ release: () => resolve(answer()), fail: reject });
    });
  return { load, calls, gates };
}

describe('sale window cache', () => {
  it('answers a storm of concurrent misses with one load per concert', async () => {
    const { load, calls, gates } = gatedLoader();
    const cache = new SaleWindowCache(load, 5_000, () => 0);

    const storm = Array.from({ length: 500 }, (_, i) => cache.get(i % 2 === 0 ? 1 : 2));
    expect(calls.sort()).toEqual([1, 2]);
    for (const gate of gates) gate.release();
    expect(await Promise.all(storm)).toEqual(storm.map(() => WINDOW));

    await cache.get(1); // cached now
    expect(calls).toHaveLength(2);
  });

  it('loads again once the entry is older than the TTL', async () => {
    let now = 0;
    let opensAt = 1_000;
    const { load, calls, gates } = gatedLoader(() => ({ saleOpensAt: opensAt, saleEndsAt: null }));
    const cache = new SaleWindowCache(load, 5_000, () => now);

    const first = cache.get(7);
    gates[0]!.release();
    expect((await first).saleOpensAt).toBe(1_000);

    now = 4_999;
    opensAt = 2_000;
    expect((await cache.get(7)).saleOpensAt).toBe(1_000);
    expect(calls).toHaveLength(1);

    now = 5_000;
    const [a, b] = [cache.get(7), cache.get(7)];
    expect(calls).toHaveLength(2);
    gates[1]!.release();
    expect((await a).saleOpensAt).toBe(2_000);
    expect((await b).saleOpensAt).toBe(2_000);
  });

  it('rejects every waiter of a failed load and keeps nothing, so the next call loads again', async () => {
    const { load, calls, gates } = gatedLoader();
    const cache = new SaleWindowCache(load, 5_000, () => 0);

    const waiters = [cache.get(3), cache.get(3), cache.get(3)];
    gates[0]!.fail(new Error('database down'));
    for (const w of waiters) await expect(w).rejects.toThrow('database down');

    const retry = cache.get(3);
    expect(calls).toHaveLength(2);
    gates[1]!.release();
    expect(await retry).toEqual(WINDOW);
  });
});
