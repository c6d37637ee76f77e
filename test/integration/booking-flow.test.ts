import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../support/db.js';
import {
  admittedFans,
  doubleBookings,
  ledgerMismatches,
  type AdmittedFan,
} from '../support/booking.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { useTestServer } from '../support/server.js';
import { until } from '../support/wait.js';

const ctx = useTestServer({ QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' });
const changes: unknown[] = [];

beforeAll(async () => {
  ctx.server.services.seatEvents.subscribe((p) => changes.push(p));
});

async function concertWithFans(n: number, opts: { startsInDays?: number; points?: number } = {}) {
  const fixture = await createConcert(ctx.api, { seats: 20, startsInDays: opts.startsInDays });
  await setQueuePolicy(ctx.api, fixture.concertId, { maxActive: 100, admitPerMinute: 60_000 });
  const fans = await admittedFans(ctx.server, fixture.concertId, n, opts.points);
  return { ...fixture, scheduleId: fixture.scheduleIds[0]!, fans };
}
const hold = (
  fan: AdmittedFan,
  scheduleId: number,
  seatIds: number[],
  headers: Record<string, string> = {},
) =>
  ctx.api.post(
    '/reservations',
    { scheduleId, seatIds },
    { token: fan.token, headers: { ...fan.auth.headers, ...headers } },
  );
const seatsOf = async (fan: AdmittedFan, scheduleId: number, query = '') =>
  (await ctx.api.get(`/schedules/${scheduleId}/seats${query}`, fan.auth)).body as {
    id: number;
    status: string;
    price: number;
    grade: string;
  }[];

describe('holding, cancelling, paying', () => {
  it('holds seats all or nothing, shows them held to others, and cancels them back to available', async () => {
    const { scheduleId, fans } = await concertWithFans(2);
    const [a, b] = fans as [AdmittedFan, AdmittedFan];
    const seats = await seatsOf(a, scheduleId);
    expect(seats).toHaveLength(20);
    expect(seats.every((s) => s.status === 'available')).toBe(true);
    const [s1, s2, s3] = seats.map((s) => s.id);

    const held = await hold(a, scheduleId, [s2!, s1!]);
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({ status: 'held', scheduleId, paidAt: null });
    expect(held.body.seats.map((s: { id: number }) => s.id)).toEqual([s1, s2]);
    expect(held.body.amount).toBe(seats[0]!.price + seats[1]!.price);

    const clash = await hold(b, scheduleId, [s3!, s2!]);
    expect(clash.status).toBe(409);
    expect(clash.body.error).toMatchObject({
      code: 'SEAT_UNAVAILABLE',
      details: { seatIds: [s2] },
    });
    expect((await seatsOf(b, scheduleId)).find((s) => s.id === s3)!.status).toBe('available'); // all or nothing
    expect((await seatsOf(b, scheduleId, '?status=available')).map((s) => s.id)).not.toContain(s1);

    const schedules = await ctx.api.get(`/concerts/${held.body.concertId}/schedules`, b.auth);
    expect(schedules.body[0].availableSeats).toBe(18);
    expect((await ctx.api.get(`/reservations/${held.body.id}`, { token: b.token })).status).toBe(
      404,
    ); // not b's
    expect((await ctx.api.get('/users/me/reservations', { token: a.token })).body).toHaveLength(1);

    const canceled = await ctx.api.del(`/reservations/${held.body.id}`, { token: a.token });
    expect(canceled.body.status).toBe('canceled');
    expect(
      (await ctx.api.del(`/reservations/${held.body.id}`, { token: a.token })).body.error.code,
    ).toBe('RESERVATION_NOT_HELD');
    expect((await hold(b, scheduleId, [s1!, s2!])).status).toBe(201);
    // Each seat change advances the schedule's seat version by one, in commit order: every event
    // says the version it leads to, so a map at version - changes.length is exactly one behind.
    expect(changes).toEqual([
      {
        scheduleId,
        availableSeats: 18,
        version: 2,
        changes: [
          { seatId: s1, status: 'held' },
          { seatId: s2, status: 'held' },
        ],
      },
      {
        scheduleId,
        availableSeats: 20,
        version: 4,
        changes: [
          { seatId: s1, status: 'available' },
          { seatId: s2, status: 'available' },
        ],
      },
      {
        scheduleId,
        availableSeats: 18,
        version: 6,
        changes: [
          { seatId: s1, status: 'held' },
          { seatId: s2, status: 'held' },
        ],
      },
    ]);
    const map = await ctx.api.get(`/schedules/${scheduleId}/seats`, b.auth);
    expect(map.headers.get('seat-map-version')).toBe('6');
    expect(await doubleBookings(ctx.server)).toEqual([]);
  });

  it('pays in one transaction, ends the admission, and refuses to pay twice', async () => {
    const { scheduleId, concertId, fans } = await concertWithFans(1, { points: 500_000 });
    const fan = fans[0]!;
    const [seat] = await seatsOf(fan, scheduleId);
    const held = await hold(fan, scheduleId, [seat!.id]);
    const paid = await ctx.api.post(`/reservations/${held.body.id}/payment`, undefined, {
      token: fan.token,
    });
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({
      reservationId: held.body.id,
      amount: seat!.price,
      balance: 500_000 - seat!.price,
    });
    expect(
      (await ctx.api.post(`/reservations/${held.body.id}/payment`, undefined, { token: fan.token }))
        .body.error.code,
    ).toBe('ALREADY_PAID');
    const [row] = await sql(
      ctx.db.url,
      `select status from schedule_seats where schedule_id = $1 and seat_id = $2`,
      [scheduleId, seat!.id],
    );
    expect(row!.status).toBe('sold');
    const status = await ctx.api.get('/queue/status', {
      headers: { 'x-queue-token': fan.queueToken },
    });
    expect(status.body.error).toMatchObject({
      code: 'ADMISSION_EXPIRED',
      details: { reason: 'completed' },
    });
    const history = await ctx.api.get('/users/me/points/history', { token: fan.token });
    expect(history.body.items[0]).toMatchObject({
      type: 'payment',
      amount: -seat!.price,
      reservationId: held.body.id,
    });
    expect(await ledgerMismatches(ctx.server)).toEqual([]);
    void concertId;
  });

  it('answers 402 with nothing changed when points are short; the fifth failure releases the hold', async () => {
    const { scheduleId, fans } = await concertWithFans(1, { points: 1_000 });
    const fan = fans[0]!;
    const [seat] = await seatsOf(fan, scheduleId);
    const held = await hold(fan, scheduleId, [seat!.id]);
    for (let i = 1; i <= 5; i++) {
      const res = await ctx.api.post(`/reservations/${held.body.id}/payment`, undefined, {
        token: fan.token,
      });
      expect(res.status).toBe(402);
      expect(res.body.error).toMatchObject({
        code: 'INSUFFICIENT_POINTS',
        details: { attemptsLeft: 5 - i },
      });
      expect((await ctx.api.get('/users/me/points', { token: fan.token })).body.balance).toBe(
        1_000,
      );
    }
    expect(
      (await ctx.api.get(`/reservations/${held.body.id}`, { token: fan.token })).body.status,
    ).toBe('canceled');
    expect(
      (await ctx.api.get('/queue/status', { headers: { 'x-queue-token': fan.queueToken } })).status,
    ).toBe(410);
    expect(await ledgerMismatches(ctx.server)).toEqual([]);
  });

  it('keeps held + sold seats per fan per schedule at 4, across several holds', async () => {
    const { scheduleId, fans } = await concertWithFans(1);
    const fan = fans[0]!;
    const ids = (await seatsOf(fan, scheduleId)).map((s) => s.id);
    expect((await hold(fan, scheduleId, ids.slice(0, 5))).body.error.code).toBe(
      'SEAT_LIMIT_EXCEEDED',
    );
    const first = await hold(fan, scheduleId, ids.slice(0, 3));
    expect(first.status).toBe(201);
    expect((await hold(fan, scheduleId, ids.slice(3, 5))).body.error.code).toBe(
      'SEAT_LIMIT_EXCEEDED',
    );
    await ctx.api.post(`/reservations/${first.body.id}/payment`, undefined, { token: fan.token });
    // Paying ended the admission; sold seats still count when the fan comes back through the line.
    const again = await ctx.api.post(`/concerts/${first.body.concertId}/queue`, undefined, {
      token: fan.token,
    });
    const back = {
      ...fan,
      auth: { token: fan.token, headers: { 'x-queue-token': again.body.queueToken } },
    };
    await until(
      async () =>
        (await ctx.api.get('/queue/status', { headers: back.auth.headers })).body.status ===
        'active',
    );
    expect((await hold(back, scheduleId, ids.slice(3, 5))).body.error.code).toBe(
      'SEAT_LIMIT_EXCEEDED',
    );
    expect((await hold(back, scheduleId, ids.slice(3, 4))).status).toBe(201);
  });
});

describe('the queue entry a hold was made under', () => {
  /** Holds a seat, leaves the line and joins it again: returns the hold and the new place. */
  async function holdThenRejoin(points: number) {
    const { scheduleId, concertId, fans } = await concertWithFans(1, { points });
    const fan = fans[0]!;
    const [seat] = await seatsOf(fan, scheduleId);
    const held = await hold(fan, scheduleId, [seat!.id]);
    expect(held.status).toBe(201);
    expect((await ctx.api.del('/queue', { headers: fan.auth.headers })).status).toBe(204);
    const again = await ctx.api.post(`/concerts/${concertId}/queue`, undefined, {
      token: fan.token,
    });
    expect(again.status).toBe(201); // a new place
    const now = { 'x-queue-token': again.body.queueToken as string };
    await until(
      async () => (await ctx.api.get('/queue/status', { headers: now })).body.status === 'active',
    );
    return { fan, held, now };
  }

  it('is the one payment ends: a place taken since then survives paying the old hold', async () => {
    const { fan, held, now } = await holdThenRejoin(500_000);
    const paid = await ctx.api.post(`/reservations/${held.body.id}/payment`, undefined, {
      token: fan.token,
    });
    expect(paid.status).toBe(200);
    const status = await ctx.api.get('/queue/status', { headers: now });
    expect(status.status).toBe(200);
    expect(status.body.status).toBe('active');
  });

  it('is the one five failed payments end: a place taken since then survives', async () => {
    const { fan, held, now } = await holdThenRejoin(1_000);
    for (let i = 0; i < 5; i++) {
      const res = await ctx.api.post(`/reservations/${held.body.id}/payment`, undefined, {
        token: fan.token,
      });
      expect(res.body.error.code).toBe('INSUFFICIENT_POINTS');
    }
    expect(
      (await ctx.api.get(`/reservations/${held.body.id}`, { token: fan.token })).body.status,
    ).toBe('canceled');
    const status = await ctx.api.get('/queue/status', { headers: now });
    expect(status.status).toBe(200);
    expect(status.body.status).toBe('active');
  });
});

describe("a schedule's Redis seat filter", () => {
  it('lives until a little after the schedule starts, whether its seats are held or sold', async () => {
    const { scheduleId, fans } = await concertWithFans(1, { points: 500_000 });
    const fan = fans[0]!;
    const [a] = await seatsOf(fan, scheduleId);
    const [row] = await sql<{ starts_at: Date }>(
      ctx.db.url,
      `select starts_at from schedules where id = $1`,
      [scheduleId],
    );
    const startsAt = row!.starts_at.getTime();
    const key = `${ctx.server.config.redisKeyPrefix}{s:${scheduleId}}:taken`;
    const expiresAt = async () => Number(await ctx.server.redis.call('PEXPIRETIME', key));

    const held = await hold(fan, scheduleId, [a!.id]);
    expect(held.status).toBe(201);
    expect(await ctx.server.redis.zcard(key)).toBe(1);
    const afterHold = await expiresAt();
    expect(afterHold).toBeGreaterThan(startsAt);
    expect(afterHold).toBeLessThanOrEqual(startsAt + 2 * 3_600_000);

    await ctx.api.post(`/reservations/${held.body.id}/payment`, undefined, { token: fan.token });
    expect(await ctx.server.redis.zscore(key, String(a!.id))).toBe('inf'); // sold
    expect(await expiresAt()).toBe(afterHold);
  });
});

describe('refunds', () => {
  it('refund points and free the seats until 3 days before the show, not after', async () => {
    const early = await concertWithFans(1, { startsInDays: 10, points: 500_000 });
    const late = await concertWithFans(1, { startsInDays: 2, points: 500_000 });
    for (const [fixture, expected] of [
      [early, 200],
      [late, 409],
    ] as const) {
      const fan = fixture.fans[0]!;
      const [seat] = await seatsOf(fan, fixture.scheduleId);
      const held = await hold(fan, fixture.scheduleId, [seat!.id]);
      expect(
        (
          await ctx.api.post(`/reservations/${held.body.id}/refund`, undefined, {
            token: fan.token,
          })
        ).body.error.code,
      ).toBe('NOT_REFUNDABLE');
      await ctx.api.post(`/reservations/${held.body.id}/payment`, undefined, { token: fan.token });
      const refund = await ctx.api.post(`/reservations/${held.body.id}/refund`, undefined, {
        token: fan.token,
      });
      expect(refund.status).toBe(expected);
      if (expected === 200) {
        expect(refund.body).toEqual({
          reservationId: held.body.id,
          refundedAmount: seat!.price,
          balance: 500_000,
        });
        const [row] = await sql(
          ctx.db.url,
          `select status from schedule_seats where schedule_id = $1 and seat_id = $2`,
          [fixture.scheduleId, seat!.id],
        );
        expect(row!.status).toBe('available');
        expect(
          (await ctx.api.get(`/reservations/${held.body.id}`, { token: fan.token })).body.status,
        ).toBe('refunded');
      } else {
        expect(refund.body.error.code).toBe('REFUND_WINDOW_CLOSED');
      }
    }
    expect(await ledgerMismatches(ctx.server)).toEqual([]);
  });
});
