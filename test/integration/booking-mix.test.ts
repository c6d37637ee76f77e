import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, sql, type TestDatabase } from '../support/db.js';
import {
  admittedFans,
  counterMismatches,
  doubleBookings,
  ledgerMismatches,
  type AdmittedFan,
} from '../support/booking.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { flushPrefix, startCluster } from '../support/server.js';
import { until } from '../support/wait.js';

// A randomized mix of 2,000 charges, holds, cancels, payments, expiries and refunds by 50 fans
// over two instances; afterwards the books must balance exactly.
let db: TestDatabase;
let servers: RunningServer[];

beforeAll(async () => {
  db = await createTestDatabase();
  servers = await startCluster(2, db.url, {
    QUEUE_TICK_MS: '50',
    LEADER_LEASE_MS: '600',
    HOLD_SECONDS: '2',
  });
});
afterAll(async () => {
  await Promise.all(servers?.map((s) => s.close()) ?? []);
  if (servers?.[0]) await flushPrefix(servers[0].config.redisKeyPrefix);
  await db?.drop();
});

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)]!;

describe('a randomized booking mix', () => {
  it('leaves every balance equal to its ledger, no seat sold twice, every sold seat in exactly one paid reservation', async () => {
    const admin = client(servers[0]!.url);
    // One schedule inside the refund window, one outside it. A seat for every fan (a line admits
    // no more fans than seats: SPEC §2 "Sold-out awareness"); the fans go for the first 40.
    const refundable = await createConcert(admin, { seats: 100, startsInDays: 10 });
    const late = await createConcert(admin, { seats: 100, startsInDays: 2 });
    for (const c of [refundable, late])
      await setQueuePolicy(admin, c.concertId, { maxActive: 100, admitPerMinute: 600_000 });
    const fans = await admittedFans(servers[0]!, refundable.concertId, 50, 300_000);
    const schedules = [
      { concertId: refundable.concertId, scheduleId: refundable.scheduleIds[0]! },
      { concertId: late.concertId, scheduleId: late.scheduleIds[0]! },
    ];
    const seatsOf = new Map<number, number[]>();
    for (const s of schedules) {
      const rows = await sql<{ seat_id: number }>(
        db.url,
        `select seat_id from schedule_seats where schedule_id = $1 order by seat_id limit 40`,
        [s.scheduleId],
      );
      seatsOf.set(
        s.scheduleId,
        rows.map((r) => r.seat_id),
      );
    }

    const statuses: Record<string, number> = {};
    const record = (op: string, status: number) => {
      statuses[`${op} ${status}`] = (statuses[`${op} ${status}`] ?? 0) + 1;
      expect(status, `${op} answered ${status}`).toBeLessThan(500);
    };

    /** A fan's queue token per concert (joining again when an admission ended). */
    async function admission(
      api: Client,
      fan: AdmittedFan,
      concertId: number,
      tokens: Map<number, string>,
    ) {
      if (!tokens.has(concertId)) {
        const res = await api.post(`/concerts/${concertId}/queue`, undefined, { token: fan.token });
        tokens.set(concertId, res.body.queueToken);
      }
      return { token: fan.token, headers: { 'x-queue-token': tokens.get(concertId)! } };
    }

    async function fanLoop(fan: AdmittedFan, index: number) {
      const api = client(servers[index % 2]!.url);
      const tokens = new Map<number, string>([[refundable.concertId, fan.queueToken]]);
      const mine: number[] = [];
      for (let op = 0; op < 40; op++) {
        const roll = Math.random();
        if (roll < 0.15) {
          const amount = pick([500, 1_000, 50_000, 1_000_000, 2_000_000]);
          const res = await api.post(
            '/users/me/points/charge',
            { amount },
            { token: fan.token, headers: { 'idempotency-key': `c-${fan.id}-${op % 7}` } },
          );
          record('charge', res.status);
        } else if (roll < 0.5) {
          const s = pick(schedules);
          const auth = await admission(api, fan, s.concertId, tokens);
          const seatIds = [
            ...new Set([pick(seatsOf.get(s.scheduleId)!), pick(seatsOf.get(s.scheduleId)!)]),
          ];
          const res = await api.post('/reservations', { scheduleId: s.scheduleId, seatIds }, auth);
          record('hold', res.status);
          if (res.status === 201) mine.push(res.body.id);
          if (res.status === 410 || res.status === 403) tokens.delete(s.concertId); // admission ended: join again
        } else if (roll < 0.6 && mine.length) {
          record(
            'cancel',
            (await api.del(`/reservations/${pick(mine)}`, { token: fan.token })).status,
          );
        } else if (roll < 0.85 && mine.length) {
          const id = pick(mine);
          const res = await api.post(`/reservations/${id}/payment`, undefined, {
            token: fan.token,
            headers: { 'idempotency-key': `p-${id}` },
          });
          record('pay', res.status);
          if (res.status === 200) tokens.clear(); // paying ends the admission
        } else if (mine.length) {
          record(
            'refund',
            (await api.post(`/reservations/${pick(mine)}/refund`, undefined, { token: fan.token }))
              .status,
          );
        } else {
          record('balance', (await api.get('/users/me/points', { token: fan.token })).status);
        }
      }
    }

    await Promise.all(fans.map(fanLoop));
    console.log('booking mix answers:', JSON.stringify(statuses));
    // The per-schedule counters agree with the seats at every commit, lapsed holds unswept or not.
    expect(await counterMismatches(servers[0]!)).toEqual([]);
    // Let every remaining hold expire and the sweeper catch up.
    await until(
      async () =>
        (await sql(db.url, `select count(*)::int as n from reservations where status = 'held'`))[0]!
          .n === 0,
      15_000,
    );

    const total = Object.values(statuses).reduce((a, b) => a + b, 0);
    expect(total).toBe(2_000);
    for (const op of ['hold 201', 'pay 200', 'cancel 200', 'refund 200'])
      expect(statuses[op] ?? 0, op).toBeGreaterThan(0);
    expect(await ledgerMismatches(servers[0]!)).toEqual([]);
    expect(await doubleBookings(servers[0]!)).toEqual([]);
    expect(await counterMismatches(servers[0]!)).toEqual([]);
    const bad = await sql(
      db.url,
      `select user_id from wallets where balance < 0 or balance > 10000000`,
    );
    expect(bad).toEqual([]);
    const paidSeats = await sql(
      db.url,
      `select count(*)::int as n from reservation_items ri join reservations r on r.id = ri.reservation_id where r.status = 'paid'`,
    );
    const sold = await sql(
      db.url,
      `select count(*)::int as n from schedule_seats where status = 'sold'`,
    );
    expect(sold[0]!.n).toBe(paidSeats[0]!.n);
  });
});
