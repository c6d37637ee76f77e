import { describe, expect, it } from 'vitest';
import { sql } from '../support/db.js';
import { signUp } from '../support/http.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

interface LedgerStats {
  rows: number;
  sum: number;
  distinct_after: number;
  min_after: number;
  max_after: number;
}

async function ledgerStats(userId: number): Promise<LedgerStats> {
  const [row] = await sql<Record<keyof LedgerStats, string>>(
    ctx.db.url,
    `select count(*) as rows, coalesce(sum(amount), 0) as sum,
            count(distinct balance_after) as distinct_after,
            coalesce(min(balance_after), 0) as min_after, coalesce(max(balance_after), 0) as max_after
     from point_ledger where user_id = $1`,
    [userId],
  );
  return {
    rows: Number(row!.rows),
    sum: Number(row!.sum),
    distinct_after: Number(row!.distinct_after),
    min_after: Number(row!.min_after),
    max_after: Number(row!.max_after),
  };
}

async function walletBalance(userId: number): Promise<number> {
  const [row] = await sql<{ balance: string }>(
    ctx.db.url,
    `select balance from wallets where user_id = $1`,
    [userId],
  );
  return Number(row!.balance);
}

const charge = (token: string, amount: number) =>
  ctx.api.post('/users/me/points/charge', { amount }, { token });

describe('charging points', () => {
  it('200 concurrent charges all land: balance = ledger sum, one row per charge', async () => {
    const fan = await signUp(ctx.api);
    const responses = await Promise.all(
      Array.from({ length: 200 }, () => charge(fan.token, 1_000)),
    );

    expect(responses.map((r) => r.status)).toEqual(Array(200).fill(200));
    const balances = responses.map((r) => r.body.balance as number).sort((a, b) => a - b);
    // Each response saw a different balance: the changes were serialised, none was lost.
    expect(balances).toEqual(Array.from({ length: 200 }, (_, i) => (i + 1) * 1_000));

    const final = await ctx.api.get('/users/me/points', { token: fan.token });
    expect(final.body).toEqual({ balance: 200_000 });
    expect(await walletBalance(fan.id)).toBe(200_000);
    expect(await ledgerStats(fan.id)).toEqual({
      rows: 200,
      sum: 200_000,
      distinct_after: 200,
      min_after: 1_000,
      max_after: 200_000,
    });
  });

  it('concurrent charges that would cross the 10,000,000 cap: exactly the ones that fit succeed', async () => {
    const fan = await signUp(ctx.api);
    for (let i = 0; i < 9; i++) expect((await charge(fan.token, 1_000_000)).status).toBe(200);
    expect((await charge(fan.token, 500_000)).body).toEqual({ balance: 9_500_000 });

    const responses = await Promise.all(
      Array.from({ length: 20 }, () => charge(fan.token, 100_000)),
    );

    const ok = responses.filter((r) => r.status === 200);
    const rejected = responses.filter((r) => r.status !== 200);
    expect(ok).toHaveLength(5);
    expect(ok.every((r) => r.body.balance <= 10_000_000)).toBe(true);
    expect(rejected).toHaveLength(15);
    for (const r of rejected) {
      expect(r.status).toBe(422);
      expect(r.body.error.code).toBe('BALANCE_LIMIT_EXCEEDED');
    }
    expect(await walletBalance(fan.id)).toBe(10_000_000);
    // The rejected charges wrote nothing: 10 preload rows + 5 successful ones.
    const stats = await ledgerStats(fan.id);
    expect(stats).toMatchObject({ rows: 15, sum: 10_000_000, max_after: 10_000_000 });

    const over = await charge(fan.token, 1_000);
    expect(over.status).toBe(422);
    expect(over.body.error).toMatchObject({
      code: 'BALANCE_LIMIT_EXCEEDED',
      details: { balance: 10_000_000, cap: 10_000_000 },
    });
  });

  it.each([999, 1_000_001, 0, -1_000, 2_000_000])(
    'refuses a charge of %d with 422 CHARGE_AMOUNT_OUT_OF_RANGE and writes nothing',
    async (amount) => {
      const fan = await signUp(ctx.api);
      const res = await charge(fan.token, amount);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('CHARGE_AMOUNT_OUT_OF_RANGE');
      expect(await ledgerStats(fan.id)).toMatchObject({ rows: 0, sum: 0 });
      expect(await walletBalance(fan.id)).toBe(0);
    },
  );

  it('accepts the exact bounds 1,000 and 1,000,000', async () => {
    const fan = await signUp(ctx.api);
    expect((await charge(fan.token, 1_000)).body).toEqual({ balance: 1_000 });
    expect((await charge(fan.token, 1_000_000)).body).toEqual({ balance: 1_001_000 });
  });

  it('needs an access token', async () => {
    const res = await ctx.api.post('/users/me/points/charge', { amount: 1_000 });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });
});

describe('point history', () => {
  it('pages newest first; the cursor walks every row exactly once and ends with null', async () => {
    const fan = await signUp(ctx.api);
    // 21 charges of distinct amounts (21 = 3 full pages of 7: the last page must still end).
    for (let i = 1; i <= 21; i++) await charge(fan.token, i * 1_000);
    const ledger = await sql<{ id: string }>(
      ctx.db.url,
      `select id from point_ledger where user_id = $1 order by id desc`,
      [fan.id],
    );

    const seen: number[] = [];
    const pageSizes: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=7&cursor=${cursor}` : '?limit=7';
      const page = await ctx.api.get(`/users/me/points/history${query}`, { token: fan.token });
      expect(page.status).toBe(200);
      pageSizes.push(page.body.items.length);
      seen.push(...page.body.items.map((item: { id: number }) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor !== null && pageSizes.length < 10);

    expect(pageSizes).toEqual([7, 7, 7]);
    expect(seen).toEqual(ledger.map((r) => Number(r.id)));
    expect(new Set(seen).size).toBe(21);
  });

  it('returns items in the SPEC shape, the default limit of 20, and nothing of other fans', async () => {
    const fan = await signUp(ctx.api);
    const other = await signUp(ctx.api);
    await charge(other.token, 5_000);
    for (let i = 0; i < 22; i++) await charge(fan.token, 1_000);

    const first = await ctx.api.get('/users/me/points/history', { token: fan.token });
    expect(first.body.items).toHaveLength(20);
    expect(first.body.items[0]).toEqual({
      id: expect.any(Number),
      type: 'charge',
      amount: 1_000,
      balanceAfter: 22_000,
      reservationId: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });
    const balancesAfter = first.body.items.map((i: { balanceAfter: number }) => i.balanceAfter);
    expect(balancesAfter).toEqual([...balancesAfter].sort((a, b) => b - a));

    const rest = await ctx.api.get(`/users/me/points/history?cursor=${first.body.nextCursor}`, {
      token: fan.token,
    });
    expect(rest.body.items.map((i: { balanceAfter: number }) => i.balanceAfter)).toEqual([
      2_000, 1_000,
    ]);
    expect(rest.body.nextCursor).toBeNull();

    const empty = await ctx.api.get('/users/me/points/history', {
      token: (await signUp(ctx.api)).token,
    });
    expect(empty.body).toEqual({ items: [], nextCursor: null });
  });
});
