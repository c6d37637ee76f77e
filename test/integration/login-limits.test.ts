import { describe, expect, it } from 'vitest';
import { LOGIN_FAILURE_RULES } from '../../src/infra/http/rate-limits.js';
import { uniquePhone, type HttpResponse } from '../support/http.js';
import { useTestServer } from '../support/server.js';

// Failed-login limits: guessing is stopped, but nobody can lock an owner out by guessing wrong
// from somewhere else. Addresses are varied with X-Forwarded-For (the server trusts it from
// loopback, as behind a proxy).

const PASSWORD = 'the-right-password';
const {
  loginFailsPerPhoneAndIp: PAIR,
  loginFailsPerIp: ADDRESS,
  loginFailsPerPhone: PHONE,
} = LOGIN_FAILURE_RULES;
const ctx = useTestServer({ RATE_LIMIT_ENABLED: 'true' });

let addresses = 0;
/** A client address no other test has used. */
function freshAddress(): string {
  addresses += 1;
  return `198.51.${Math.floor(addresses / 250)}.${(addresses % 250) + 1}`;
}

async function account(): Promise<string> {
  const phone = uniquePhone();
  const res = await ctx.api.post('/users', { name: 'Owner', phone, password: PASSWORD });
  expect(res.status).toBe(201);
  return phone;
}

function login(phone: string, password: string, address: string): Promise<HttpResponse> {
  return ctx.api.post(
    '/auth/login',
    { phone, password },
    { headers: { 'x-forwarded-for': address } },
  );
}

/** `count` wrong passwords, `parallel` at a time; the statuses in order. */
async function guesses(
  count: number,
  target: (i: number) => { phone: string; address: string },
  parallel = 1,
): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - i) }, (_, j) => {
      const { phone, address } = target(i + j);
      return login(phone, 'a-wrong-password', address);
    });
    statuses.push(...(await Promise.all(batch)).map((r) => r.status));
  }
  return statuses;
}

function expectRateLimited(res: HttpResponse): void {
  expect(res.status).toBe(429);
  expect(res.body.error.code).toBe('RATE_LIMITED');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('failed-login limits', () => {
  it('let the owner in from another address after a stranger guessed wrong 12 times', async () => {
    const phone = await account();
    const stranger = freshAddress();
    const statuses = await guesses(12, () => ({ phone, address: stranger }));
    expect(statuses.slice(0, PAIR.points).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(PAIR.points)).toEqual([429, 429]);

    const owner = await login(phone, PASSWORD, freshAddress());
    expect(owner.status).toBe(200);
    expect(owner.body.accessToken).toEqual(expect.any(String));
  });

  it('stop guessing one phone from one address, the right password included, with Retry-After', async () => {
    const phone = await account();
    const address = freshAddress();
    const statuses = await guesses(PAIR.points, () => ({ phone, address }));
    expect(statuses.every((s) => s === 401)).toBe(true);
    expectRateLimited(await login(phone, 'another-wrong-one', address));
    expectRateLimited(await login(phone, PASSWORD, address));
    // A parallel burst is cut at the limit too: no more than PAIR.points guesses get an answer.
    const burstPhone = await account();
    const burstAddress = freshAddress();
    const burst = await guesses(
      PAIR.points + 10,
      () => ({ phone: burstPhone, address: burstAddress }),
      PAIR.points + 10,
    );
    expect(burst.filter((s) => s === 401)).toHaveLength(PAIR.points);
    expect(burst.filter((s) => s === 429)).toHaveLength(10);
  });

  it('stop one address guessing many phones, and only that address', async () => {
    const address = freshAddress();
    const phones = Array.from({ length: Math.ceil(ADDRESS.points / (PAIR.points - 1)) }, () =>
      uniquePhone(),
    );
    // Fewer than PAIR.points per phone: only the address's own count can end this.
    const statuses = await guesses(
      ADDRESS.points,
      (i) => ({ phone: phones[i % phones.length]!, address }),
      10,
    );
    expect(statuses.every((s) => s === 401)).toBe(true);
    expectRateLimited(await login(uniquePhone(), 'a-wrong-password', address));

    const phone = await account();
    expectRateLimited(await login(phone, PASSWORD, address));
    expect((await login(phone, PASSWORD, freshAddress())).status).toBe(200);
  });

  it('stop a guess of one phone spread over many addresses at the per-phone ceiling', async () => {
    expect(PHONE.points).toBeGreaterThanOrEqual(5 * PAIR.points); // much higher than the pair's
    const phone = await account();
    const perAddress = PAIR.points - 1;
    const spread = Array.from({ length: Math.ceil(PHONE.points / perAddress) }, freshAddress);
    const statuses = await guesses(
      PHONE.points,
      (i) => ({ phone, address: spread[Math.floor(i / perAddress)]! }),
      10,
    );
    expect(statuses.every((s) => s === 401)).toBe(true);
    expectRateLimited(await login(phone, 'a-wrong-password', freshAddress()));
    // The price of stopping a distributed guess: the phone waits out the ceiling's window.
    expectRateLimited(await login(phone, PASSWORD, freshAddress()));
    // Other phones from those addresses are unaffected.
    const other = await account();
    expect((await login(other, PASSWORD, spread[0]!)).status).toBe(200);
  });

  it('forget the failures of a phone and address once the password is right', async () => {
    const phone = await account();
    const address = freshAddress();
    expect(
      (await guesses(PAIR.points - 1, () => ({ phone, address }))).every((s) => s === 401),
    ).toBe(true);
    expect((await login(phone, PASSWORD, address)).status).toBe(200);
    // A full allowance again, not the one failure that was left.
    const again = await guesses(PAIR.points, () => ({ phone, address }));
    expect(again.every((s) => s === 401)).toBe(true);
    expectRateLimited(await login(phone, 'a-wrong-password', address));
  });
});
