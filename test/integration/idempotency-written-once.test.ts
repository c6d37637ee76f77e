import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  admittedFans,
  counterMismatches,
  doubleBookings,
  ledgerMismatches,
  type AdmittedFan,
} from '../support/booking.js';
import { sql } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import type { HttpResponse } from '../support/http.js';
import { useTestServer } from '../support/server.js';
import { until } from '../support/wait.js';

// A keyed hold or payment writes its Idempotency-Key's record once, completed with its answer, in
// the statement of the effect (migration 20261228000000), where it was claimed and then completed:
// two writes. These count the writes, and attack what the claim used to guard: duplicates fired
// together, and the same key with another body, on holds and on payments alike.
const ctx = useTestServer();

async function fansOn(seats: number, count: number) {
  const { concertId, scheduleIds } = await createConcert(ctx.api, { seats });
  await setQueuePolicy(ctx.api, concertId, { maxActive: 100, admitPerMinute: 600_000 });
  const fans = await admittedFans(ctx.server, concertId, count);
  const scheduleId = scheduleIds[0]!;
  const seatIds = (
    await sql<{ seat_id: number }>(
      ctx.db.url,
      `select seat_id from schedule_seats where schedule_id = $1 order by seat_id`,
      [scheduleId],
    )
  ).map((r) => r.seat_id);
  return { fans, scheduleId, seatIds };
}

const hold = (scheduleId: number, fan: AdmittedFan, key: string, seatIds: number[]) =>
  ctx.api.post(
    '/reservations',
    { scheduleId, seatIds },
    { token: fan.token, headers: { ...fan.auth.headers, 'idempotency-key': key } },
  );

const pay = (fan: AdmittedFan, reservationId: number, key: string) =>
  ctx.api.post(`/reservations/${reservationId}/payment`, undefined, {
    token: fan.token,
    headers: { 'idempotency-key': key },
  });

const copies = <T>(n: number, f: () => Promise<T>) => Promise.all(Array.from({ length: n }, f));

async function count(table: string, where: string, values: unknown[]): Promise<number> {
  const [row] = await sql<{ n: number }>(
    ctx.db.url,
    `select count(*)::int as n from ${table} where ${where}`,
    values,
  );
  return row!.n;
}

interface KeyWrites {
  ins: number;
  upd: number;
  del: number;
  rows: number;
}

/** idempotency_keys' row writes as the statistics have them (this file's own database), and its rows. */
async function keyWrites(): Promise<KeyWrites> {
  const [row] = await sql<KeyWrites>(
    ctx.db.url,
    `select n_tup_ins::int as ins, n_tup_upd::int as upd, n_tup_del::int as del,
       (select count(*)::int from idempotency_keys) as rows
     from pg_stat_user_tables where relname = 'idempotency_keys'`,
  );
  return row!;
}

/**
 * The writes once the server's connections have reported them: a backend sends its counts when
 * idle, all of a transaction's at once, so once the inserts account for `rows` new rows (every
 * request here inserts its row, in the old design as in the new), so do the updates and deletes.
 */
async function settledWrites(rowsAdded: (w: KeyWrites) => boolean): Promise<KeyWrites> {
  let last!: KeyWrites;
  await until(
    async () => rowsAdded((last = await keyWrites())),
    30_000,
    'idempotency_keys statistics reported',
  );
  return last;
}

/**
 * Every 2xx answer to one key the same body, exactly one of them not a replay (no 409: each first
 * request is one short statement, well within the wait for it); `reused` answers 422 REUSED.
 */
function oneEffect(responses: HttpResponse[], okStatus: number, reused = 0) {
  const ok = responses.filter((r) => r.status === okStatus);
  for (const r of ok) expect(r.body).toEqual(ok[0]!.body);
  expect(ok.filter((r) => r.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
  const rest = responses.filter((r) => r.status !== okStatus);
  expect(rest.map((r) => [r.status, r.body.error?.code])).toEqual(
    Array.from({ length: reused }, () => [422, 'IDEMPOTENCY_KEY_REUSED']),
  );
  return ok[0]!;
}

describe('writes to idempotency_keys', () => {
  it('one per keyed hold and one per keyed payment, replays none', async () => {
    const N = 6;
    const { fans, scheduleId, seatIds } = await fansOn(20, N);
    // Nothing wrote a key yet in this database; wait for whatever was reported to be complete.
    const before = await settledWrites((w) => w.ins - w.del === w.rows);
    const holds = [];
    for (const [i, fan] of fans.entries()) {
      const held = await hold(scheduleId, fan, randomUUID(), [seatIds[i]!]);
      expect(held.status).toBe(201);
      holds.push({ fan, id: held.body.id as number });
    }
    const payKeys = [];
    for (const { fan, id } of holds) {
      const key = randomUUID();
      const paid = await pay(fan, id, key);
      expect(paid.status).toBe(200);
      payKeys.push({ fan, id, key, body: paid.body });
    }
    // Replays read the record and write nothing.
    for (const { fan, id, key, body } of payKeys) {
      const again = await pay(fan, id, key);
      expect([again.status, again.body]).toEqual([200, body]);
    }
    const after = await settledWrites(
      (w) => w.rows - before.rows === 2 * N && w.ins - before.ins >= 2 * N,
    );
    expect({
      inserted: after.ins - before.ins,
      updated: after.upd - before.upd,
      deleted: after.del - before.del,
    }).toEqual({ inserted: 2 * N, updated: 0, deleted: 0 });
    expect(await count('idempotency_keys', `status <> 'completed'`, [])).toBe(0);
  });
});

describe('duplicates fired together, many times', () => {
  it('holds and payments: one effect each, every answer the first one (a replay)', async () => {
    const ROUNDS = 12;
    const COPIES = 8;
    const { fans, scheduleId, seatIds } = await fansOn(2 * ROUNDS, ROUNDS);
    await Promise.all(
      fans.map(async (fan, i) => {
        const seats = seatIds.slice(2 * i, 2 * i + 2);
        const holdKey = randomUUID();
        const held = oneEffect(
          await copies(COPIES, () => hold(scheduleId, fan, holdKey, seats)),
          201,
        );
        const payKey = randomUUID();
        const paid = oneEffect(await copies(COPIES, () => pay(fan, held.body.id, payKey)), 200);
        expect(paid.body.balance).toBe(1_000_000 - held.body.amount);
      }),
    );
    const ids = fans.map((f) => f.id);
    expect(await count('reservations', 'user_id = any($1::int[])', [ids])).toBe(ROUNDS);
    expect(await count('payments', 'user_id = any($1::int[])', [ids])).toBe(ROUNDS);
    expect(
      await count('point_ledger', `type = 'payment' and user_id = any($1::int[])`, [ids]),
    ).toBe(ROUNDS);
    expect(await count('idempotency_keys', 'user_id = any($1::int[])', [ids])).toBe(2 * ROUNDS);
    expect(await counterMismatches(ctx.server)).toEqual([]);
    expect(await doubleBookings(ctx.server)).toEqual([]);
    expect(await ledgerMismatches(ctx.server)).toEqual([]);
  });

  it('the same key with two bodies at once: one effect, its answers, 422 for the other body', async () => {
    const ROUNDS = 8;
    const COPIES = 4;
    const { fans, scheduleId, seatIds } = await fansOn(4 * ROUNDS, ROUNDS);
    await Promise.all(
      fans.map(async (fan, i) => {
        const [a, b, c, d] = seatIds.slice(4 * i, 4 * i + 4) as [number, number, number, number];
        const key = randomUUID();
        const both = await Promise.all([
          ...Array.from({ length: COPIES }, () => hold(scheduleId, fan, key, [a])),
          ...Array.from({ length: COPIES }, () => hold(scheduleId, fan, key, [b])),
        ]);
        oneEffect(both, 201, COPIES);
        // Payments: the same key on two reservations (two paths: two bodies).
        const r1 = await hold(scheduleId, fan, randomUUID(), [c]);
        const r2 = await hold(scheduleId, fan, randomUUID(), [d]);
        expect([r1.status, r2.status]).toEqual([201, 201]);
        const payKey = randomUUID();
        const paid = await Promise.all([
          ...Array.from({ length: COPIES }, () => pay(fan, r1.body.id, payKey)),
          ...Array.from({ length: COPIES }, () => pay(fan, r2.body.id, payKey)),
        ]);
        oneEffect(paid, 200, COPIES);
      }),
    );
    const ids = fans.map((f) => f.id);
    // Per fan: one hold of the two bodies, and the two reservations to pay, one of them paid.
    expect(await count('reservations', 'user_id = any($1::int[])', [ids])).toBe(3 * ROUNDS);
    expect(await count('payments', 'user_id = any($1::int[])', [ids])).toBe(ROUNDS);
    expect(await counterMismatches(ctx.server)).toEqual([]);
    expect(await doubleBookings(ctx.server)).toEqual([]);
    expect(await ledgerMismatches(ctx.server)).toEqual([]);
  });
});
