import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, sql, type TestDatabase } from '../support/db.js';
import { admittedFans, doubleBookings, ledgerMismatches } from '../support/booking.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client } from '../support/http.js';
import { flushPrefix, startTestServer } from '../support/server.js';
import { until } from '../support/wait.js';

// The database is the final word (SPEC §3.1): these servers run with the Redis seat locks
// switched off, or expiring 1 ms after they are taken (so mid-transaction), and must still
// never put a seat in two live holds or sell it twice.
let db: TestDatabase;
let noLocks: RunningServer;
let earlyExpiry: RunningServer;
let shortHolds: RunningServer;
const servers = () => [noLocks, earlyExpiry, shortHolds].filter(Boolean);
const env = { QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' };

beforeAll(async () => {
  db = await createTestDatabase();
  noLocks = await startTestServer(db.url, env, { seatLocks: { enabled: false } });
  earlyExpiry = await startTestServer(db.url, env, { seatLocks: { ttlMs: 1 } });
  shortHolds = await startTestServer(db.url, { ...env, HOLD_SECONDS: '1' });
});
afterAll(async () => {
  await Promise.all(servers().map((s) => s.close()));
  for (const s of servers()) await flushPrefix(s.config.redisKeyPrefix);
  await db?.drop();
});

/**
 * `fans` admitted fans and the `seats` seats they go for. The venue has a seat for every fan (a line
 * admits no more fans than seats: SPEC §2 "Sold-out awareness"); the scene is its first `seats`.
 */
async function scene(server: RunningServer, fans: number, seats: number, points = 1_000_000) {
  const api = client(server.url);
  const { concertId, scheduleIds } = await createConcert(api, { seats: Math.max(seats, fans) });
  await setQueuePolicy(api, concertId, { maxActive: fans, admitPerMinute: 600_000 });
  const admitted = await admittedFans(server, concertId, fans, points);
  const seatIds = (await api.get(`/schedules/${scheduleIds[0]}/seats`, admitted[0]!.auth)).body
    .map((s: { id: number }) => s.id)
    .slice(0, seats) as number[];
  return { api, scheduleId: scheduleIds[0]!, fans: admitted, seatIds };
}

const randomSeats = (seatIds: number[]) => [
  ...new Set(
    Array.from(
      { length: 1 + Math.floor(Math.random() * 4) },
      () => seatIds[Math.floor(Math.random() * seatIds.length)]!,
    ),
  ),
];

describe.each([
  ['switched off', () => noLocks],
  ['expiring in the middle of the transaction', () => earlyExpiry],
])('with the Redis seat locks %s', (_label, server) => {
  it('still holds no seat twice and sells none twice under 400 concurrent overlapping holds and payments', async () => {
    const { api, scheduleId, fans, seatIds } = await scene(server(), 400, 30);
    const holds = await Promise.all(
      fans.map((f) =>
        api.post('/reservations', { scheduleId, seatIds: randomSeats(seatIds) }, f.auth),
      ),
    );
    for (const r of holds) expect([201, 409]).toContain(r.status);
    expect(holds.some((r) => r.status === 201)).toBe(true);
    expect(holds.some((r) => r.status === 409)).toBe(true); // the database refused what Redis let through
    expect(await doubleBookings(server())).toEqual([]);

    const held = holds.map((r, i) => ({ r, fan: fans[i]! })).filter(({ r }) => r.status === 201);
    const paid = await Promise.all(
      held.map(({ r, fan }) =>
        api.post(`/reservations/${r.body.id}/payment`, undefined, { token: fan.token }),
      ),
    );
    expect(paid.every((p) => p.status === 200)).toBe(true);
    expect(await doubleBookings(server())).toEqual([]);
    const [{ sold }] = (await sql(
      db.url,
      `select count(*)::int as sold from schedule_seats where schedule_id = $1 and status = 'sold'`,
      [scheduleId],
    )) as [{ sold: number }];
    expect(sold).toBe(held.reduce((n, { r }) => n + r.body.seats.length, 0));
  });
});

describe('payment', () => {
  async function heldBy(server: RunningServer, points = 1_000_000) {
    const { api, scheduleId, fans, seatIds } = await scene(server, 1, 5, points);
    const fan = fans[0]!;
    const res = await api.post('/reservations', { scheduleId, seatIds: [seatIds[0]!] }, fan.auth);
    return { api, fan, reservation: res.body, seatIds, scheduleId };
  }
  const paymentsOf = async (reservationId: number) =>
    (
      await sql(db.url, `select count(*)::int as n from payments where reservation_id = $1`, [
        reservationId,
      ])
    )[0]!.n;
  const debitsOf = async (userId: number) =>
    (
      await sql(
        db.url,
        `select count(*)::int as n from point_ledger where user_id = $1 and type = 'payment'`,
        [userId],
      )
    )[0]!.n;

  it('10 concurrent submissions with one Idempotency-Key: one debit, one payment, the same answer', async () => {
    const { api, fan, reservation } = await heldBy(noLocks);
    const headers = { 'idempotency-key': `pay-${reservation.id}` };
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        api.post(`/reservations/${reservation.id}/payment`, undefined, {
          token: fan.token,
          headers,
        }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    for (const r of ok) expect(r.body).toEqual(ok[0]!.body);
    for (const r of results.filter((r) => r.status !== 200))
      expect(r.body.error.code).toBe('IDEMPOTENCY_KEY_IN_USE');
    const again = await api.post(`/reservations/${reservation.id}/payment`, undefined, {
      token: fan.token,
      headers,
    });
    expect(again.body).toEqual(ok[0]!.body);
    expect(await paymentsOf(reservation.id)).toBe(1);
    expect(await debitsOf(fan.id)).toBe(1);
  });

  it('10 concurrent submissions without a key: one 200, the rest 409 ALREADY_PAID', async () => {
    const { api, fan, reservation } = await heldBy(noLocks);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        api.post(`/reservations/${reservation.id}/payment`, undefined, { token: fan.token }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 200))
      expect(r.body.error.code).toBe('ALREADY_PAID');
    expect(await paymentsOf(reservation.id)).toBe(1);
    expect(await debitsOf(fan.id)).toBe(1);
    expect(await ledgerMismatches(noLocks)).toEqual([]);
  });

  it('of an expired hold: 410 HOLD_EXPIRED, balance unchanged, seat available to others at once', async () => {
    const { api, fan, reservation, scheduleId, seatIds } = await heldBy(shortHolds, 500_000);
    await sleep(1_100); // HOLD_SECONDS=1 on this server
    const res = await api.post(`/reservations/${reservation.id}/payment`, undefined, {
      token: fan.token,
    });
    expect(res.status).toBe(410);
    expect(res.body.error.code).toBe('HOLD_EXPIRED');
    expect((await api.get('/users/me/points', { token: fan.token })).body.balance).toBe(500_000);
    expect(
      (await api.get(`/reservations/${reservation.id}`, { token: fan.token })).body.status,
    ).toBe('expired');
    const seats = (await api.get(`/schedules/${scheduleId}/seats`, fan.auth)).body;
    expect(seats.find((s: { id: number }) => s.id === seatIds[0])!.status).toBe('available');
    expect(await debitsOf(fan.id)).toBe(0);
  });

  it('holds expire by themselves: the sweeper marks them and announces the freed seats', async () => {
    const events: { scheduleId: number; changes: { status: string }[] }[] = [];
    // Each server here has its own Redis prefix, so its own leader and sweeper, all on the one
    // database: whichever sweeps the hold first announces it, on its own instance's events.
    for (const s of servers()) s.services.seatEvents.subscribe((p) => events.push(p));
    const { api, fan, reservation, scheduleId } = await heldBy(shortHolds);
    await until(
      async () =>
        (await sql(db.url, `select status from reservations where id = $1`, [reservation.id]))[0]!
          .status === 'expired',
      10_000,
    );
    // The announcement follows the commit, after seat changes are coalesced
    // (SEAT_CHANGES_WINDOW_MS): it may arrive just after the row reads expired.
    await until(
      () =>
        events.some(
          (e) => e.scheduleId === scheduleId && e.changes.every((c) => c.status === 'available'),
        ),
      10_000,
      'the freed seats are announced',
    );
    const seats = (await api.get(`/schedules/${scheduleId}/seats?status=available`, fan.auth)).body;
    expect(seats).toHaveLength(5);
  });
});
