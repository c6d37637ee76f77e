import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { requestHash } from '../../src/modules/idempotency/idempotency.service.js';
import { admittedFans, givePoints, ledgerMismatches } from '../support/booking.js';
import { sql } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { signUp, type HttpResponse } from '../support/http.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer({ QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' });

const WITHDRAW_PATH = '/users/me/points/withdraw';

const withdraw = (token: string, amount: number, key?: string) =>
  ctx.api.post(
    WITHDRAW_PATH,
    { amount },
    { token, headers: key ? { 'idempotency-key': key } : {} },
  );
const charge = (token: string, amount: number) =>
  ctx.api.post('/users/me/points/charge', { amount }, { token });

interface LedgerRow {
  id: number;
  type: string;
  amount: number;
  balanceAfter: number;
}

/** The fan's ledger in the order its rows were written (the wallet row lock's order). */
async function ledger(userId: number): Promise<LedgerRow[]> {
  const rows = await sql<{ id: string; type: string; amount: string; balance_after: string }>(
    ctx.db.url,
    `select id, type, amount, balance_after from point_ledger where user_id = $1 order by id`,
    [userId],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    type: r.type,
    amount: Number(r.amount),
    balanceAfter: Number(r.balance_after),
  }));
}

async function walletBalance(userId: number): Promise<number> {
  const [row] = await sql<{ balance: string }>(
    ctx.db.url,
    `select balance from wallets where user_id = $1`,
    [userId],
  );
  return Number(row!.balance);
}

/**
 * Every row's balance follows from the one before it, none below zero or over the cap, and the
 * wallet equals the sum: no change was lost, doubled or applied on a stale balance.
 */
async function expectConsistentWallet(userId: number): Promise<LedgerRow[]> {
  const rows = await ledger(userId);
  let running = 0;
  for (const row of rows) {
    running += row.amount;
    expect(row.balanceAfter, `ledger row ${row.id}`).toBe(running);
    expect(row.balanceAfter).toBeGreaterThanOrEqual(0);
    expect(row.balanceAfter).toBeLessThanOrEqual(10_000_000);
  }
  expect(await walletBalance(userId)).toBe(running);
  return rows;
}

const statuses = (responses: HttpResponse[]) =>
  responses.reduce<Record<string, number>>((m, r) => {
    const k = r.status === 200 ? '200' : `${r.status} ${r.body?.error?.code}`;
    m[k] = (m[k] ?? 0) + 1;
    return m;
  }, {});

describe('POST /users/me/points/withdraw', () => {
  it('withdraws from 1,000 up to the whole balance; a withdrawal ledger row with the balance after it', async () => {
    const fan = await signUp(ctx.api);
    await charge(fan.token, 50_000);

    const first = await withdraw(fan.token, 1_000);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ balance: 49_000 });
    const all = await withdraw(fan.token, 49_000);
    expect(all.body).toEqual({ balance: 0 });
    expect((await ctx.api.get('/users/me/points', { token: fan.token })).body).toEqual({
      balance: 0,
    });

    const history = await ctx.api.get('/users/me/points/history', { token: fan.token });
    expect(history.body.items).toEqual([
      {
        id: expect.any(Number),
        type: 'withdrawal',
        amount: -49_000,
        balanceAfter: 0,
        reservationId: null,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      },
      expect.objectContaining({ type: 'withdrawal', amount: -1_000, balanceAfter: 49_000 }),
      expect.objectContaining({ type: 'charge', amount: 50_000, balanceAfter: 50_000 }),
    ]);
    await expectConsistentWallet(fan.id);
  });

  it('refuses more than the balance with 402 INSUFFICIENT_POINTS and writes nothing', async () => {
    const fan = await signUp(ctx.api);
    await charge(fan.token, 5_000);
    for (const amount of [5_001, 1_000_000, 10_000_000]) {
      const res = await withdraw(fan.token, amount);
      expect(res.status).toBe(402);
      expect(res.body.error).toMatchObject({
        code: 'INSUFFICIENT_POINTS',
        details: { amount, balance: 5_000 },
      });
    }
    const empty = await signUp(ctx.api);
    expect((await withdraw(empty.token, 1_000)).body.error.code).toBe('INSUFFICIENT_POINTS');
    expect(await ledger(empty.id)).toEqual([]);
    expect((await ledger(fan.id)).map((r) => r.type)).toEqual(['charge']);
    expect(await walletBalance(fan.id)).toBe(5_000);
  });

  it.each([999, 0, -1_000, 10_000_001, Number.MAX_SAFE_INTEGER])(
    'refuses %d with 422 WITHDRAW_AMOUNT_OUT_OF_RANGE and writes nothing',
    async (amount) => {
      const fan = await signUp(ctx.api);
      await charge(fan.token, 1_000_000);
      const res = await withdraw(fan.token, amount);
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({
        code: 'WITHDRAW_AMOUNT_OUT_OF_RANGE',
        details: { min: 1_000, max: 10_000_000 },
      });
      expect((await ledger(fan.id)).map((r) => r.type)).toEqual(['charge']);
      expect(await walletBalance(fan.id)).toBe(1_000_000);
    },
  );

  it.each([
    ['a fraction', { amount: 1_000.5 }],
    ['a string', { amount: '1000' }],
    ['no amount', {}],
    ['an extra field', { amount: 1_000, to: 'elsewhere' }],
    ['beyond a safe integer', { amount: 2 ** 60 }],
  ])('answers 400 VALIDATION_FAILED for %s', async (_, body) => {
    const fan = await signUp(ctx.api);
    await charge(fan.token, 10_000);
    const res = await ctx.api.post(WITHDRAW_PATH, body, { token: fan.token });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(await walletBalance(fan.id)).toBe(10_000);
  });

  it('needs an access token', async () => {
    const res = await ctx.api.post(WITHDRAW_PATH, { amount: 1_000 });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });
});

describe('Idempotency-Key on a withdrawal (as for a charge)', () => {
  it('replays the first answer for the same key and body; the withdrawal happens once', async () => {
    const fan = await signUp(ctx.api);
    await charge(fan.token, 10_000);
    const key = randomUUID();
    const first = await withdraw(fan.token, 3_000, key);
    const again = await withdraw(fan.token, 3_000, key);
    expect(first.body).toEqual({ balance: 7_000 });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ balance: 7_000 });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await ledger(fan.id)).filter((r) => r.type === 'withdrawal')).toHaveLength(1);
    expect(await walletBalance(fan.id)).toBe(7_000);
  });

  it('refuses the same key with another body (422 IDEMPOTENCY_KEY_REUSED) or on the charge path', async () => {
    const fan = await signUp(ctx.api);
    await charge(fan.token, 10_000);
    const key = randomUUID();
    expect((await withdraw(fan.token, 2_000, key)).status).toBe(200);
    const other = await withdraw(fan.token, 4_000, key);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const asCharge = await ctx.api.post(
      '/users/me/points/charge',
      { amount: 2_000 },
      { token: fan.token, headers: { 'idempotency-key': key } },
    );
    expect(asCharge.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await walletBalance(fan.id)).toBe(8_000);
  });

  it('answers 409 IDEMPOTENCY_KEY_IN_USE while the first request with the key is running', async () => {
    const fan = await signUp(ctx.api);
    await charge(fan.token, 10_000);
    const key = randomUUID();
    // A claim as the first request leaves it while it runs.
    const hash = requestHash({ method: 'POST', path: WITHDRAW_PATH, body: { amount: 5_000 } });
    await sql(
      ctx.db.url,
      `insert into idempotency_keys (user_id, key, request_hash, status, locked_until)
       values ($1, $2, $3, 'in_progress', now() + interval '10 minutes')`,
      [fan.id, key, hash],
    );
    const res = await withdraw(fan.token, 5_000, key);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('IDEMPOTENCY_KEY_IN_USE');
    expect(await walletBalance(fan.id)).toBe(10_000);
  });

  it('10 concurrent retries with one key withdraw once', async () => {
    const fan = await signUp(ctx.api);
    await charge(fan.token, 10_000);
    const key = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => withdraw(fan.token, 6_000, key)),
    );
    for (const r of responses) {
      if (r.status === 200) expect(r.body).toEqual({ balance: 4_000 });
      else expect(r.body.error.code).toBe('IDEMPOTENCY_KEY_IN_USE');
    }
    expect((await ledger(fan.id)).filter((r) => r.type === 'withdrawal')).toHaveLength(1);
    expect(await walletBalance(fan.id)).toBe(4_000);
  });
});

describe('concurrent withdrawals on one wallet', () => {
  it('40 withdrawals of 3,000 from 100,000: exactly 33 succeed, the balance ends at 1,000', async () => {
    const fan = await signUp(ctx.api);
    await charge(fan.token, 100_000);
    const responses = await Promise.all(
      Array.from({ length: 40 }, () => withdraw(fan.token, 3_000)),
    );
    expect(statuses(responses)).toEqual({ '200': 33, '402 INSUFFICIENT_POINTS': 7 });
    // Serialised: each success saw a different balance.
    const after = responses
      .filter((r) => r.status === 200)
      .map((r) => r.body.balance as number)
      .sort((a, b) => b - a);
    expect(after).toEqual(Array.from({ length: 33 }, (_, i) => 97_000 - i * 3_000));
    const rows = await expectConsistentWallet(fan.id);
    expect(rows.filter((r) => r.type === 'withdrawal')).toHaveLength(33);
    expect(await walletBalance(fan.id)).toBe(1_000);
  });

  it('withdrawals racing charges and payments: balance = ledger sum, never below zero, exactly the withdrawals that fit', async () => {
    // The amounts make the outcome independent of the order the wallet sees them in: with
    // B0 = 7,500,000, 8 payments (P = 1,200,000) and 20 charges of 10,000 (C = 200,000), three
    // withdrawals of 2,000,000 fit even if every payment goes first and no charge has landed
    // (B0 - P >= 3 x 2,000,000), a fourth never fits (B0 + C < 4 x 2,000,000), and every payment
    // fits whatever went before it (B0 - 3 x 2,000,000 >= P).
    const { concertId, scheduleIds } = await createConcert(ctx.api, { seats: 10, schedules: 2 });
    await setQueuePolicy(ctx.api, concertId, { maxActive: 10, admitPerMinute: 600_000 });
    const [fan] = await admittedFans(ctx.server, concertId, 1, 0);
    const holdIds: number[] = [];
    for (const scheduleId of scheduleIds) {
      const seats = (await ctx.api.get(`/schedules/${scheduleId}/seats`, fan!.auth)).body as {
        id: number;
        grade: string;
      }[];
      const vip = seats.filter((s) => s.grade === 'VIP').slice(0, 4);
      for (const seat of vip) {
        const hold = await ctx.api.post(
          '/reservations',
          { scheduleId, seatIds: [seat.id] },
          fan!.auth,
        );
        expect(hold.status, JSON.stringify(hold.body)).toBe(201);
        expect(hold.body.amount).toBe(150_000);
        holdIds.push(hold.body.id as number);
      }
    }
    await givePoints(ctx.server, [fan!.id], 7_500_000);

    const token = fan!.token;
    const requests: Promise<[string, HttpResponse]>[] = [
      ...Array.from({ length: 30 }, () =>
        withdraw(token, 2_000_000).then((r): [string, HttpResponse] => ['withdraw', r]),
      ),
      ...Array.from({ length: 20 }, () =>
        charge(token, 10_000).then((r): [string, HttpResponse] => ['charge', r]),
      ),
      ...holdIds.map((id) =>
        ctx.api
          .post(`/reservations/${id}/payment`, undefined, { token })
          .then((r): [string, HttpResponse] => ['pay', r]),
      ),
    ];
    // Shuffled, so no kind of request systematically reaches the wallet first.
    requests.sort(() => Math.random() - 0.5);
    const results = await Promise.all(requests);
    const of = (kind: string) => results.filter(([k]) => k === kind).map(([, r]) => r);

    expect(statuses(of('withdraw'))).toEqual({ '200': 3, '402 INSUFFICIENT_POINTS': 27 });
    expect(statuses(of('charge'))).toEqual({ '200': 20 });
    expect(statuses(of('pay'))).toEqual({ '200': 8 });

    const rows = await expectConsistentWallet(fan!.id);
    const count = (type: string) => rows.filter((r) => r.type === type).length;
    expect([count('withdrawal'), count('charge'), count('payment')]).toEqual([3, 21, 8]);
    expect(await walletBalance(fan!.id)).toBe(7_500_000 + 200_000 - 1_200_000 - 6_000_000);
    expect(await ledgerMismatches(ctx.server)).toEqual([]);
  });
});
