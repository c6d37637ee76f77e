// Retries of the Idempotency-Key calls (issue 18), with a scripted fetch: what is retried, with
// which key, after how long. The same behaviour against the real server: sdk-lifecycle.test.ts.
import { describe, expect, it } from 'vitest';
import { LineupClient, LineupError } from '@lineup/client-sdk';
import { retryDelay, retryPolicy } from '../../client-sdk/src/retry.js';

const envelope = (code: string) => JSON.stringify({ error: { code, message: code } });

function scripted(answers: (() => Response | Promise<Response>)[]) {
  const sent: { at: number; key: string | undefined }[] = [];
  const fetch = async (_url: string, init?: RequestInit) => {
    sent.push({
      at: Date.now(),
      key: (init?.headers as Record<string, string>)['Idempotency-Key'],
    });
    const next = answers.length > 1 ? answers.shift()! : answers[0]!;
    return next();
  };
  return { sent, fetch };
}

const ok = () => new Response(JSON.stringify({ balance: 5_000 }), { status: 200 });

describe('retries of charge, hold, payment and withdrawal', () => {
  it('retries 503 after Retry-After, with the same key every time', async () => {
    const { sent, fetch } = scripted([
      () =>
        new Response(envelope('SERVICE_UNAVAILABLE'), {
          status: 503,
          headers: { 'Retry-After': '1' },
        }),
      ok,
    ]);
    const sdk = new LineupClient({ baseUrl: 'http://api.test', fetch, retry: { minDelayMs: 1 } });
    expect(await sdk.charge(5_000)).toEqual({ balance: 5_000 });
    expect(sent).toHaveLength(2);
    expect(sent[1]!.key).toBe(sent[0]!.key);
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it('gives up after `retries` and throws the last error; does not retry other errors', async () => {
    const down = scripted([() => new Response(envelope('SERVICE_UNAVAILABLE'), { status: 503 })]);
    const sdk = new LineupClient({ baseUrl: 'http://api.test', fetch: down.fetch });
    const err = await sdk
      .withdrawPoints(1_000, { retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    expect(down.sent).toHaveLength(3);
    expect(new Set(down.sent.map((s) => s.key)).size).toBe(1);

    for (const [code, status] of [
      ['SEAT_UNAVAILABLE', 409],
      ['IDEMPOTENCY_KEY_REUSED', 422],
      ['INTERNAL_ERROR', 500],
      ['RATE_LIMITED', 429],
    ] as const) {
      const refused = scripted([() => new Response(envelope(code), { status })]);
      const client = new LineupClient({
        baseUrl: 'http://api.test',
        fetch: refused.fetch,
        retry: true,
      });
      await expect(client.pay(1)).rejects.toMatchObject({ code });
      expect(refused.sent).toHaveLength(1);
    }
  });

  it('retries network errors; a time limit during the backoff ends with TIMEOUT', async () => {
    let calls = 0;
    const flaky = scripted([
      () => {
        calls++;
        throw new TypeError('fetch failed');
      },
    ]);
    const sdk = new LineupClient({ baseUrl: 'http://api.test', fetch: flaky.fetch });
    const err = await sdk
      .hold({ scheduleId: 1, seatIds: [1] }, 'qt', {
        timeoutMs: 300,
        retry: { retries: 100, minDelayMs: 50, maxDelayMs: 50 },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LineupError);
    expect((err as LineupError).code).toBe('TIMEOUT');
    expect(calls).toBeGreaterThan(1);
    // GETs and other calls carry no key.
    const plain = scripted([ok]);
    await new LineupClient({ baseUrl: 'http://api.test', fetch: plain.fetch }).balance();
    expect(plain.sent[0]!.key).toBeUndefined();
  });

  it('backs off exponentially with full jitter, capped, and never below Retry-After', () => {
    const policy = retryPolicy({ minDelayMs: 100, maxDelayMs: 1_000 })!;
    const err = new LineupError({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    const top = () => 0.999_999;
    expect([0, 1, 2, 3, 4, 10].map((n) => retryDelay(n, policy, err, top))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
    expect(retryDelay(3, policy, err, () => 0)).toBe(0);
    const later = new LineupError({ code: 'QUEUE_FULL', status: 503, retryAfterSeconds: 3 });
    expect(retryDelay(0, policy, later, top)).toBe(3_000);
    expect(retryPolicy(false)).toBeUndefined();
    expect(retryPolicy(true)).toEqual({ retries: 3, minDelayMs: 200, maxDelayMs: 5_000 });
  });
});
