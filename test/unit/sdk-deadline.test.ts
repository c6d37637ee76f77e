// A call's Deadline makes its AbortController only when something can abort the call (the
// caller's signal or a time limit): what cancels still cancels, and an uncancellable call hands
// fetch no signal (the load runner sends thousands a second; each controller cost CPU).
import { describe, expect, it } from 'vitest';
import { ABORTED, LineupClient, LineupError, TIMEOUT } from '@lineup/client-sdk';
import { Deadline } from '../../client-sdk/src/cancel.js';

/** A fetch that notes the signal it got and answers when told to (or fails when it aborts). */
function heldFetch() {
  const signals: (AbortSignal | undefined)[] = [];
  let answer: (() => void) | undefined;
  const fetch = (_url: string, init?: RequestInit) =>
    new Promise<Response>((resolve, reject) => {
      const signal = init?.signal ?? undefined;
      signals.push(signal);
      signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      answer = () => resolve(new Response('{"balance":7}', { status: 200 }));
    });
  return { fetch, signals, answer: () => answer?.() };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (err: unknown) => err as LineupError,
  );

describe('call deadlines', () => {
  it('gives fetch no signal when nothing can cancel the call', async () => {
    const f = heldFetch();
    const api = new LineupClient({ baseUrl: 'http://api.test', fetch: f.fetch });
    const pending = api.balance();
    await Promise.resolve();
    f.answer();
    expect(await pending).toEqual({ balance: 7 });
    expect(f.signals).toEqual([undefined]);
  });

  it("still aborts on the caller's signal and times out on timeoutMs", async () => {
    const f = heldFetch();
    const api = new LineupClient({ baseUrl: 'http://api.test', fetch: f.fetch });
    const controller = new AbortController();
    const aborted = failure(api.balance({ signal: controller.signal }));
    controller.abort();
    expect(await aborted).toMatchObject({ code: ABORTED });
    expect(await failure(api.balance({ timeoutMs: 20 }))).toMatchObject({ code: TIMEOUT });
    const timedClient = new LineupClient({
      baseUrl: 'http://api.test',
      fetch: f.fetch,
      timeoutMs: 20,
    });
    expect(await failure(timedClient.balance())).toMatchObject({ code: TIMEOUT });
    expect(f.signals.every((s) => s instanceof AbortSignal)).toBe(true);
    expect(f.signals).toHaveLength(3);
  });

  it('an uncancellable deadline never fires, sleeps, and still offers a signal when asked', async () => {
    const d = new Deadline('GET /x');
    expect(d.cancellable).toBe(false);
    expect(d.error).toBeUndefined();
    expect(() => d.check()).not.toThrow();
    let fired = false;
    const off = d.onFire(() => (fired = true));
    await d.sleep(5);
    off();
    d.dispose();
    expect(fired).toBe(false);
    expect(d.signal.aborted).toBe(false);
  });

  it('a cancellable deadline fires its listeners once with the error', async () => {
    const d = new Deadline('GET /x', { timeoutMs: 10 });
    expect(d.cancellable).toBe(true);
    const heard: string[] = [];
    d.onFire((err) => heard.push(err.code));
    await expect(d.sleep(1_000)).rejects.toMatchObject({ code: TIMEOUT });
    expect(heard).toEqual([TIMEOUT]);
    expect(d.error?.code).toBe(TIMEOUT);
    expect(() => d.check()).toThrow(LineupError);
  });
});
