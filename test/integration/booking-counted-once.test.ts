import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, sql, type TestDatabase } from '../support/db.js';

// A hold's and a payment's seat write counted once per statement (migration 20261223000000):
// the schedule's row is written once per hold and per payment, however many seats, the hold locks
// its seats without reading the rest of the schedule, and the counters still equal the seats.
let db: TestDatabase;
const SEATS = 2_000;

beforeAll(async () => {
  db = await createTestDatabase();
  await sql(
    db.url,
    `insert into venues (name) values ('counted-once');
     insert into seats (venue_id, label, grade)
       select v.id, 'S' || g, (array['VIP','R','S','A'])[1 + g % 4]
       from venues v, generate_series(1, ${SEATS}) g where v.name = 'counted-once';
     insert into concerts (title, artist, sale_opens_at) values ('c', 'a', now() - interval '1 day');
     insert into schedules (concert_id, venue_id, starts_at, price_vip, price_r, price_s, price_a)
       select c.id, v.id, now() + interval '10 days', 100, 80, 60, 40
       from concerts c, venues v where v.name = 'counted-once';
     insert into schedule_seats (schedule_id, seat_id) select s.id, st.id from schedules s, seats st;
     insert into users (name, phone, password_hash) values ('u', 'p-counted-once', 'x');
     insert into wallets (user_id, balance) select id, 1000000 from users;
     analyze;`,
  );
});
afterAll(async () => {
  await db?.drop();
});

/**
 * Runs `text` in a transaction; what it did to schedules and schedule_seats, from the stats. A
 * connection of its own: PostgreSQL 15's pg_stat_xact_* also count a backend's earlier
 * transactions whose stats it has not flushed yet.
 */
async function inTransaction(text: string, params: unknown[]) {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query('begin');
  try {
    const r = (await c.query<{ r: { error?: string } }>(text, params)).rows[0]!.r;
    const stats = await c.query<{ relname: string; upd: string; read: string }>(
      `select relname, n_tup_upd as upd, coalesce(idx_tup_fetch, 0) + seq_tup_read as read
       from pg_stat_xact_user_tables where relname in ('schedules', 'schedule_seats')`,
    );
    await c.query('commit');
    const of = (t: string) => stats.rows.find((s) => s.relname === t)!;
    return {
      r,
      scheduleWrites: Number(of('schedules').upd),
      seatsRead: Number(of('schedule_seats').read),
    };
  } catch (err) {
    await c.query('rollback');
    throw err;
  } finally {
    await c.end();
  }
}

async function countersMatch() {
  const [s] = await sql<{ ok: boolean; version: string; stamped: string }>(
    db.url,
    `select s.available_seats = count(*) filter (where ss.status = 'available')
        and s.held_seats = count(*) filter (where ss.status = 'held') as ok,
        s.seat_version as version, max(ss.changed_version) as stamped
     from schedules s join schedule_seats ss on ss.schedule_id = s.id group by s.id`,
  );
  return s!;
}

describe('a hold and a payment of several seats', () => {
  it('write the schedule row once each, read only their own seats, and keep the counters equal', async () => {
    const [ids] = await sql<{ user: number; concert: number; schedule: number; seats: number[] }>(
      db.url,
      `select (select id from users) as user, (select id from concerts) as concert,
              (select id from schedules) as schedule,
              (select array_agg(seat_id order by seat_id) from schedule_seats) as seats`,
    );
    const seatIds = ids!.seats.slice(100, 104);
    const before = await countersMatch();

    const hold = await inTransaction(
      `select booking_hold($1, $2, $3, $4, 10, 600, null, now(), 'hold-1', 'h', 30, 1000) as r`,
      [ids!.user, ids!.concert, ids!.schedule, seatIds],
    );
    expect(hold.r.error).toBeUndefined();
    expect(hold.scheduleWrites).toBe(1);
    expect(hold.seatsRead).toBeLessThan(50);
    const held = await countersMatch();
    expect(held.ok).toBe(true);
    expect(Number(held.version)).toBe(Number(before.version) + seatIds.length);
    expect(held.stamped).toBe(held.version);

    const reservationId = (hold.r as unknown as { body: { id: number } }).body.id;
    const pay = await inTransaction(`select booking_pay($1, $2, 5, 'pay-1', 'h', 30, 1000) as r`, [
      ids!.user,
      reservationId,
    ]);
    expect(pay.r.error).toBeUndefined();
    expect(pay.scheduleWrites).toBe(1);
    const paid = await countersMatch();
    expect(paid.ok).toBe(true);
    expect(Number(paid.version)).toBe(Number(held.version) + seatIds.length);
    const [sold] = await sql<{ n: string }>(
      db.url,
      `select count(*) as n from schedule_seats where status = 'sold' and changed_version = $1`,
      [paid.version],
    );
    expect(Number(sold!.n)).toBe(seatIds.length);
  });

  it('a seat written by anyone else (raw SQL here) is still counted by the trigger', async () => {
    const before = await countersMatch();
    await sql(
      db.url,
      `update schedule_seats set status = 'held', held_until = now() + interval '1 hour'
       where id in (select id from schedule_seats where status = 'available' order by id limit 3)`,
    );
    const after = await countersMatch();
    expect(after.ok).toBe(true);
    expect(Number(after.version)).toBe(Number(before.version) + 3);
  });
});

describe('a hold of a seat already taken', () => {
  it('is refused before it writes anything: no schedule row, no reservation', async () => {
    const [ids] = await sql<{ user: number; concert: number; schedule: number; seat: number }>(
      db.url,
      `select (select id from users) as user, (select id from concerts) as concert,
              (select id from schedules) as schedule,
              (select min(seat_id) from schedule_seats where status = 'available') as seat`,
    );
    const hold = `select booking_hold($1, $2, $3, $4, 100, 600, null, now(), $5, 'h', 30, 1000) as r`;
    const args = (key: string) => [ids!.user, ids!.concert, ids!.schedule, [ids!.seat], key];
    await sql(db.url, hold, args('taken-1'));
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query('begin');
      await c.query('savepoint refused');
      const err = await c.query(hold, args('taken-2')).then(
        () => null,
        (e: { message: string; detail?: string }) => e,
      );
      await c.query('rollback to savepoint refused');
      expect(err?.message).toBe('SEAT_UNAVAILABLE');
      expect(JSON.parse(err!.detail!)).toEqual({ seatIds: [ids!.seat] });
      // Rolled-back writes still count in the transaction's stats.
      const stats = await c.query<{ relname: string; ins: string; upd: string }>(
        `select relname, n_tup_ins as ins, n_tup_upd as upd from pg_stat_xact_user_tables
         where relname in ('schedules', 'reservations')`,
      );
      const of = (t: string) => stats.rows.find((r) => r.relname === t)!;
      expect(Number(of('schedules').upd)).toBe(0);
      expect(Number(of('reservations').ins)).toBe(0);
      await c.query('rollback');
    } finally {
      await c.end();
    }
  });
});
