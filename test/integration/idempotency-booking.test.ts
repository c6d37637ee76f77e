import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  admittedFans,
  counterMismatches,
  doubleBookings,
  givePoints,
  ledgerMismatches,
  type AdmittedFan,
} from '../support/booking.js';
import { requestHash } from '../../src/modules/idempotency/idempotency.service.js';
import { sql } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import type { HttpResponse } from '../support/http.js';
import { useTestServer } from '../support/server.js';
import { until } from '../support/wait.js';

// A hold and a payment claim their Idempotency-Key in the statement that does the work (migration
// 20261222000000): one round trip, and the claim commits or rolls back with the effect. These
// attack that path: duplicates in parallel, a first request still running, another body, failed
// first attempts, and a randomized mix after which the counters must still equal the seats.
const ctx = useTestServer();

async function fansOn(seats: number, count: number, points?: number) {
  const { concertId, scheduleIds } = await createConcert(ctx.api, { seats });
  await setQueuePolicy(ctx.api, concertId, { maxActive: 100, admitPerMinute: 600_000 });
  const fans = await admittedFans(ctx.server, concertId, count, points);
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

function holdWith(scheduleId: number) {
  return (fan: AdmittedFan, key: string, seatIds: number[]) =>
    ctx.api.post(
      '/reservations',
      { scheduleId, seatIds },
      { token: fan.token, headers: { ...fan.auth.headers, 'idempotency-key': key } },
    );
}

const pay = (fan: AdmittedFan, reservationId: number, key: string) =>
  ctx.api.post(`/reservations/${reservationId}/payment`, undefined, {
    token: fan.token,
    headers: { 'idempotency-key': key },
  });

async function count(table: string, where: string, values: unknown[]): Promise<number> {
  const [row] = await sql<{ n: number }>(
    ctx.db.url,
    `select count(*)::int as n from ${table} where ${where}`,
    values,
  );
  return row!.n;
}

const keyRows = (userId: number, key: string) =>
  sql(ctx.db.url, `select status from idempotency_keys where user_id = $1 and key = $2`, [
    userId,
    key,
  ]);

/** Answers to one key: the first's body (2xx) for all that got one, the rest 409 IN_USE. */
function expectOneAnswer(responses: HttpResponse[], okStatus: number) {
  const ok = responses.filter((r) => r.status === okStatus);
  expect(ok.length).toBeGreaterThanOrEqual(1);
  for (const r of ok) expect(r.body).toEqual(ok[0]!.body);
  expect(ok.filter((r) => r.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
  for (const r of responses.filter((r) => r.status !== okStatus)) {
    expect({ status: r.status, code: r.body.error?.code }).toEqual({
      status: 409,
      code: 'IDEMPOTENCY_KEY_IN_USE',
    });
  }
  return ok[0]!;
}

/** Locks a fan's wallet row from outside, so the fan's next hold or payment waits inside its statement. */
async function lockWallet(userId: number) {
  const blocker = new pg.Client({ connectionString: ctx.db.url });
  await blocker.connect();
  await blocker.query('begin');
  await blocker.query('select 1 from wallets where user_id = $1 for update', [userId]);
  return {
    release: async () => {
      await blocker.query('commit');
      await blocker.end();
    },
  };
}

/** Statements calling `fn` that wait on a lock (the blocked first request, its duplicates). */
async function waitingIn(fn: string): Promise<number> {
  return count(
    'pg_stat_activity',
    `datname = current_database() and wait_event_type = 'Lock' and query like $1`,
    [`%${fn}(%`],
  );
}

describe('parallel duplicates with one Idempotency-Key', () => {
  it('holds: one reservation, every answer the first body or 409 IN_USE', async () => {
    const { fans, scheduleId, seatIds } = await fansOn(10, 1);
    const fan = fans[0]!;
    const key = randomUUID();
    const hold = holdWith(scheduleId);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => hold(fan, key, seatIds.slice(0, 2))),
    );
    const first = expectOneAnswer(responses, 201);
    expect(await count('reservations', 'user_id = $1', [fan.id])).toBe(1);
    expect(await count('schedule_seats', `reservation_id = $1`, [first.body.id])).toBe(2);
    // Later retries replay it too.
    const later = await hold(fan, key, seatIds.slice(0, 2));
    expect(later.body).toEqual(first.body);
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    expect(await counterMismatches(ctx.server)).toEqual([]);
  });

  it('payments: one debit, one ledger row, every answer the first body or 409 IN_USE', async () => {
    const { fans, scheduleId, seatIds } = await fansOn(10, 1);
    const fan = fans[0]!;
    const held = await holdWith(scheduleId)(fan, randomUUID(), [seatIds[0]!]);
    expect(held.status).toBe(201);
    const key = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => pay(fan, held.body.id, key)),
    );
    const first = expectOneAnswer(responses, 200);
    expect(first.body.balance).toBe(1_000_000 - held.body.amount);
    expect(await count('payments', 'reservation_id = $1', [held.body.id])).toBe(1);
    expect(await count('point_ledger', `user_id = $1 and type = 'payment'`, [fan.id])).toBe(1);
    expect(await ledgerMismatches(ctx.server)).toEqual([]);
    expect(await counterMismatches(ctx.server)).toEqual([]);
  });

  it('payments wait for a first one still running: its answer once it commits, 409 IN_USE before', async () => {
    const { fans, scheduleId, seatIds } = await fansOn(10, 1);
    const fan = fans[0]!;
    const held = await holdWith(scheduleId)(fan, randomUUID(), [seatIds[0]!]);
    const key = randomUUID();
    const wallet = await lockWallet(fan.id);
    let first: Promise<HttpResponse>;
    try {
      first = pay(fan, held.body.id, key);
      await until(async () => (await waitingIn('booking_pay')) === 1, 10_000, 'first pay waits');
      // The duplicate waits on the key's unique index (not on the wallet): waitForFirstMs, then 409.
      const duplicate = await pay(fan, held.body.id, key);
      expect({ status: duplicate.status, code: duplicate.body.error?.code }).toEqual({
        status: 409,
        code: 'IDEMPOTENCY_KEY_IN_USE',
      });
      // A duplicate that arrives while the first runs and outlives it gets the first's answer.
      const patient = pay(fan, held.body.id, key);
      await until(async () => (await waitingIn('booking_pay')) === 2, 10_000, 'duplicate waits');
      await wallet.release();
      const [a, b] = await Promise.all([first, patient]);
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      expect(b.body).toEqual(a.body);
      expect(b.headers.get('idempotent-replayed')).toBe('true');
    } finally {
      await wallet.release().catch(() => undefined);
    }
    expect(await count('payments', 'reservation_id = $1', [held.body.id])).toBe(1);
    expect(await ledgerMismatches(ctx.server)).toEqual([]);
  });
});

describe('the same key with another body', () => {
  it('gets 422 IDEMPOTENCY_KEY_REUSED on a hold and on a payment, and changes nothing', async () => {
    const { fans, scheduleId, seatIds } = await fansOn(10, 1);
    const fan = fans[0]!;
    const hold = holdWith(scheduleId);
    const holdKey = randomUUID();
    const held = await hold(fan, holdKey, [seatIds[0]!]);
    expect(held.status).toBe(201);
    const other = await hold(fan, holdKey, [seatIds[1]!]);
    expect({ status: other.status, code: other.body.error?.code }).toEqual({
      status: 422,
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    // The hold's key on a payment is another request (method, path and body make the request).
    const payWithHoldKey = await pay(fan, held.body.id, holdKey);
    expect(payWithHoldKey.status).toBe(422);
    expect(payWithHoldKey.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await count('payments', 'reservation_id = $1', [held.body.id])).toBe(0);
    expect(await count('reservations', 'user_id = $1', [fan.id])).toBe(1);
    expect(
      await count('schedule_seats', `status <> 'available' and schedule_id = $1`, [scheduleId]),
    ).toBe(1);
    expect(await counterMismatches(ctx.server)).toEqual([]);
  });
});

describe('a failed first attempt', () => {
  it('leaves the key free: a hold refused inside PostgreSQL, retried with the same key, succeeds', async () => {
    const { fans, scheduleId, seatIds } = await fansOn(10, 1);
    const fan = fans[0]!;
    const hold = holdWith(scheduleId);
    const three = await hold(fan, randomUUID(), seatIds.slice(0, 3));
    expect(three.status).toBe(201);
    // Two more would be five of at most four: refused by the statement (alreadyHeldOrBought).
    const key = randomUUID();
    const refused = await hold(fan, key, seatIds.slice(3, 5));
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('SEAT_LIMIT_EXCEEDED');
    expect(await keyRows(fan.id, key)).toEqual([]);
    expect((await ctx.api.del(`/reservations/${three.body.id}`, { token: fan.token })).status).toBe(
      200,
    );

    const retry = await hold(fan, key, seatIds.slice(3, 5));
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(await keyRows(fan.id, key)).toEqual([{ status: 'completed' }]);
    expect((await hold(fan, key, seatIds.slice(3, 5))).body).toEqual(retry.body);
    expect(await counterMismatches(ctx.server)).toEqual([]);
  });

  it('leaves the key free: a payment short of points (a refusal that commits) succeeds on retry', async () => {
    const { fans, scheduleId, seatIds } = await fansOn(10, 1, 0);
    const fan = fans[0]!;
    const held = await holdWith(scheduleId)(fan, randomUUID(), [seatIds[0]!]);
    expect(held.status).toBe(201);
    const key = randomUUID();
    const short = await pay(fan, held.body.id, key);
    expect(short.status).toBe(402);
    expect(short.body.error.details.failedAttempts).toBe(1);
    expect(await keyRows(fan.id, key)).toEqual([]);
    await givePoints(ctx.server, [fan.id], held.body.amount);

    const retry = await pay(fan, held.body.id, key);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.body.balance).toBe(0);
    const again = await pay(fan, held.body.id, key);
    expect(again.body).toEqual(retry.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await count('payments', 'reservation_id = $1', [held.body.id])).toBe(1);
    expect(await ledgerMismatches(ctx.server)).toEqual([]);
  });
});

describe('a claim left by the two-statement path (a previous release during a rolling deploy)', () => {
  /** Plants an in-progress claim of this payment, as the previous release made it before paying. */
  const plant = (userId: number, key: string, reservationId: number, lockedFor: string) =>
    sql(
      ctx.db.url,
      `insert into idempotency_keys (user_id, key, request_hash, status, locked_until)
       values ($1, $2, $3, 'in_progress', now() + $4::interval)`,
      [
        userId,
        key,
        requestHash({ method: 'POST', path: `/reservations/${reservationId}/payment`, body: null }),
        lockedFor,
      ],
    );

  it('answers 409 IN_USE while its lock lives, and is taken over once it lapsed: one payment', async () => {
    const { fans, scheduleId, seatIds } = await fansOn(10, 1);
    const fan = fans[0]!;
    const held = await holdWith(scheduleId)(fan, randomUUID(), [seatIds[0]!]);
    expect(held.status).toBe(201);
    const live = randomUUID();
    await plant(fan.id, live, held.body.id, '10 minutes');
    const busy = await pay(fan, held.body.id, live);
    expect({ status: busy.status, code: busy.body.error?.code }).toEqual({
      status: 409,
      code: 'IDEMPOTENCY_KEY_IN_USE',
    });
    expect(await keyRows(fan.id, live)).toEqual([{ status: 'in_progress' }]);
    expect(await count('payments', 'reservation_id = $1', [held.body.id])).toBe(0);

    const lapsed = randomUUID();
    await plant(fan.id, lapsed, held.body.id, '-1 minute');
    const taken = await pay(fan, held.body.id, lapsed);
    expect(taken.status).toBe(200);
    expect(taken.headers.get('idempotent-replayed')).toBeNull();
    expect(await keyRows(fan.id, lapsed)).toEqual([{ status: 'completed' }]);
    const replay = await pay(fan, held.body.id, lapsed);
    expect(replay.body).toEqual(taken.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await count('payments', 'reservation_id = $1', [held.body.id])).toBe(1);
  });
});

describe('a randomized mix of keyed holds, duplicates, reused keys, payments and cancels', () => {
  it('ends with one effect per key, counters equal to the seats, no seat twice, wallets on their ledger', async () => {
    const seed = Date.now() % 100_000;
    const random = mulberry32(seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
    const { fans, scheduleId, seatIds } = await fansOn(24, 16, 400_000);
    const hold = holdWith(scheduleId);
    /** Every answer per key, to check after the mix. */
    const answers = new Map<string, { kind: 'hold' | 'pay'; responses: HttpResponse[] }>();
    const record = (key: string, kind: 'hold' | 'pay', rs: HttpResponse[]) => {
      const entry = answers.get(key) ?? { kind, responses: [] };
      entry.responses.push(...rs);
      answers.set(key, entry);
    };
    const copies = <T>(n: number, f: () => Promise<T>) => Promise.all(Array.from({ length: n }, f));

    await Promise.all(
      fans.map(async (fan) => {
        for (let round = 0; round < 3; round++) {
          const seats = [pick(seatIds), pick(seatIds)].filter((s, i, a) => a.indexOf(s) === i);
          const key = randomUUID();
          const held = await copies(1 + Math.floor(random() * 3), () => hold(fan, key, seats));
          record(key, 'hold', held);
          // Now and then the same key with another body (its own answers are checked below).
          if (random() < 0.3) {
            const reused = await hold(fan, key, [pick(seatIds)]);
            expect([409, 422, 201]).toContain(reused.status);
            if (reused.status === 201) record(key, 'hold', [reused]);
          }
          const ok = held.find((r) => r.status === 201);
          if (!ok) continue;
          const action = random();
          if (action < 0.45) {
            const payKey = randomUUID();
            const paid = await copies(1 + Math.floor(random() * 3), () =>
              pay(fan, ok.body.id, payKey),
            );
            record(payKey, 'pay', paid);
            if (paid.some((r) => r.status === 200)) return; // paying ends the fan's admission
          } else if (action < 0.75) {
            await ctx.api.del(`/reservations/${ok.body.id}`, { token: fan.token });
          }
        }
      }),
    );

    let holdsMade = 0;
    let paymentsMade = 0;
    for (const [key, { kind, responses }] of answers) {
      const okStatus = kind === 'hold' ? 201 : 200;
      const ok = responses.filter((r) => r.status === okStatus);
      for (const r of ok) expect(r.body, `key ${key} (seed ${seed})`).toEqual(ok[0]!.body);
      const firsts = ok.filter((r) => r.headers.get('idempotent-replayed') !== 'true').length;
      expect(firsts, `key ${key} (seed ${seed})`).toBeLessThanOrEqual(1);
      if (kind === 'hold') holdsMade += firsts;
      else paymentsMade += firsts;
      for (const r of responses.filter((r) => r.status >= 500)) {
        throw new Error(`seed ${seed}: ${r.status} ${JSON.stringify(r.body)}`);
      }
    }
    const ids = fans.map((f) => f.id);
    expect(await count('reservations', 'user_id = any($1::int[])', [ids])).toBe(holdsMade);
    expect(await count('payments', 'user_id = any($1::int[])', [ids])).toBe(paymentsMade);
    expect(holdsMade).toBeGreaterThan(0);
    expect(await counterMismatches(ctx.server), `seed ${seed}`).toEqual([]);
    expect(await doubleBookings(ctx.server), `seed ${seed}`).toEqual([]);
    expect(await ledgerMismatches(ctx.server), `seed ${seed}`).toEqual([]);
    // No claim is left behind in progress: each committed with its effect or rolled back.
    expect(
      await count('idempotency_keys', `status = 'in_progress' and user_id = any($1::int[])`, [ids]),
    ).toBe(0);
  });
});

/** A small seeded generator, so a failing mix can be told by its seed. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
