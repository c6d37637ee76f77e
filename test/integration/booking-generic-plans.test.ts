import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, sql, type TestDatabase } from '../support/db.js';

// The booking functions run on generic plans, planned once per connection (migration
// 20261226000000), and those plans read only the rows they are about, by key, on a one-schedule
// database (where a plan made without the call's values finds reading all of a small table
// cheapest) as on a many-schedule one. The session here forces generic plans itself, so the
// plans checked are the generic ones whatever the functions' own settings.
let db: TestDatabase;
const SEATS = 200;
const USERS = 40;

beforeAll(async () => {
  db = await createTestDatabase();
  await addSchedules(1);
  await sql(
    db.url,
    `insert into users (name, phone, password_hash)
       select 'u' || g, 'p-generic-' || g, 'x' from generate_series(1, ${USERS}) g;
     insert into wallets (user_id, balance)
       select id, case phone when 'p-generic-${USERS}' then 0 else 1000000 end from users;
     analyze;`,
  );
});
afterAll(async () => {
  await db?.drop();
});

async function addSchedules(n: number) {
  await sql(
    db.url,
    `insert into venues (name) select 'generic-' || g from generate_series(1, ${n}) g
       on conflict do nothing;
     insert into seats (venue_id, label, grade)
       select v.id, 'S' || g, (array['VIP','R','S','A'])[1 + g % 4]
       from venues v, generate_series(1, ${SEATS}) g
       where not exists (select 1 from seats s where s.venue_id = v.id);
     insert into concerts (title, artist, sale_opens_at)
       select 'c' || g, 'a', now() - interval '1 day' from generate_series(1, ${n}) g;
     insert into schedules (concert_id, venue_id, starts_at, price_vip, price_r, price_s, price_a)
       select c.id, (select min(id) from venues), now() + interval '10 days', 100, 80, 60, 40
       from concerts c where not exists (select 1 from schedules s where s.concert_id = c.id);
     insert into schedule_seats (schedule_id, seat_id)
       select s.id, st.id from schedules s join seats st on st.venue_id = s.venue_id
       where not exists (select 1 from schedule_seats x where x.schedule_id = s.id);
     analyze;`,
  );
}

interface Read {
  relname: string;
  seq: number;
  read: number;
}

/**
 * Holds and pays on one schedule through every path of the functions (keyed and not, a refused
 * hold, a lapsed hold expired by the next one, a failed payment releasing its hold), in one
 * transaction on a new connection forcing generic plans; what each table was read for, from the
 * transaction's stats (nothing else ran on that connection). Rolled back at the end.
 */
async function bookingPaths(scheduleId: number): Promise<{ calls: number; reads: Read[] }> {
  const [ids] = await sql<{ concert: number; seats: number[]; users: number[] }>(
    db.url,
    `select (select concert_id from schedules where id = $1) as concert,
       (select array_agg(seat_id order by seat_id) from schedule_seats
        where schedule_id = $1 and status = 'available') as seats,
       (select array_agg(id order by id) from users) as users`,
    [scheduleId],
  );
  const { concert, seats, users } = ids!;
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  let calls = 0;
  const call = async (text: string, params: unknown[]) => {
    calls++;
    await c.query('savepoint s');
    try {
      const r = (await c.query<{ r: Record<string, unknown> }>(text, params)).rows[0]!.r;
      await c.query('release savepoint s');
      return r;
    } catch (err) {
      await c.query('rollback to savepoint s');
      return { refused: (err as Error).message };
    }
  };
  // Keyed: the overloads of migration 20261228000000 (what the app calls), and now and then
  // (`old`) those of migration 20261222000000 (what the previous release calls).
  const old = (key: string) => key.endsWith('-3') || key.endsWith('-3-pay');
  const hold = (user: number, seatIds: number[], key: string | null, holdSeconds = 600) =>
    key === null
      ? call(`select booking_hold($1, $2, $3, $4, 10, $5, null, now(), null::bigint) as r`, [
          user,
          concert,
          scheduleId,
          seatIds,
          holdSeconds,
        ])
      : call(
          old(key)
            ? `select booking_hold($1, $2, $3, $4, 10, $5, null, now(), $6, 'h', 30, 1000) as r`
            : `select booking_hold($1, $2, $3, $4, 10, $5, null, now(), $6, 'h', 1000) as r`,
          [user, concert, scheduleId, seatIds, holdSeconds, key],
        );
  const pay = (user: number, reservation: unknown, key: string | null) =>
    key === null
      ? call(`select booking_pay($1, $2, 1, null::bigint) as r`, [user, reservation])
      : old(key)
        ? call(`select booking_pay($1, $2, 1, $3, 'h', 30, 1000) as r`, [user, reservation, key])
        : call(`select booking_pay($1, $2, 1, $3, 'h', 1000) as r`, [user, reservation, key]);
  const idOf = (r: Record<string, unknown>) => (r.body as { id: number }).id;
  try {
    await c.query('begin');
    await c.query('set local plan_cache_mode = force_generic_plan');
    let next = 0;
    for (let i = 0; i < 12; i++) {
      const mine = seats.slice(next, next + 1 + (i % 3));
      next += mine.length;
      const key = i % 2 ? `k-${scheduleId}-${i}` : null;
      const held = await hold(users[i]!, mine, key);
      expect(held.refused).toBeUndefined();
      const paid = await pay(users[i]!, idOf(held), key && `${key}-pay`);
      expect(paid.error).toBeUndefined();
    }
    // A taken seat: refused.
    expect((await hold(users[20]!, [seats[0]!], null)).refused).toBe('SEAT_UNAVAILABLE');
    // A hold lapsed as it was made (a negative hold time), expired by the next hold of its seat.
    expect((await hold(users[21]!, seats.slice(next, next + 2), null, -1)).refused).toBeUndefined();
    const taker = await hold(users[22]!, [seats[next]!], 'k-taker');
    expect((taker.freed as unknown[]).length).toBe(1);
    // A payment without the points (the last fan has none), releasing its hold.
    const poor = await hold(users[USERS - 1]!, [seats[next + 5]!], null);
    expect((await pay(users[USERS - 1]!, idOf(poor), null)).error).toBe('INSUFFICIENT_POINTS');
    // Holds committed together (booking_hold_many): a replayed key, a keyed and a plain hold,
    // one refused (a taken seat); counted as the four calls they stand for.
    const element = (user: number, seatIds: number[], key: string | null) => ({
      userId: user,
      concertId: concert,
      scheduleId,
      seatIds,
      maxSeats: 10,
      holdSeconds: 600,
      queueEntryId: null,
      now: new Date(),
      key,
      hash: 'h',
      waitMs: 1000,
    });
    const many = (await call(`select booking_hold_many($1::jsonb) as r`, [
      JSON.stringify([
        element(users[1]!, seats.slice(1, 2), `k-${scheduleId}-1`),
        element(users[23]!, [seats[next + 6]!], 'k-many'),
        element(users[24]!, [seats[next + 7]!, seats[next + 8]!], null),
        element(users[25]!, [seats[0]!], null),
      ]),
    ])) as unknown as { replay?: unknown; body?: unknown; error?: { message: string } }[];
    expect(many.map((a) => (a.replay ? 'replay' : a.body ? 'held' : a.error?.message))).toEqual([
      'replay',
      'held',
      'held',
      'SEAT_UNAVAILABLE',
    ]);
    calls += 3;

    const reads = await c.query<Read>(
      `select t.relname, t.seq_scan::int as seq,
         (t.seq_tup_read + coalesce((select sum(pg_stat_get_xact_tuples_returned(i.indexrelid))
            from pg_index i where i.indrelid = t.relid), 0))::int as read
       from pg_stat_xact_user_tables t order by t.relname`,
    );
    return { calls, reads: reads.rows };
  } finally {
    await c.query('rollback').catch(() => undefined);
    await c.end();
  }
}

function expectKeyedReads({ calls, reads }: { calls: number; reads: Read[] }) {
  // A few rows per call and table (a hold of up to 3 seats reads each of them a few times);
  // reading a whole table (200 seats, or every seat of a schedule) would be far more.
  const wide = reads.filter((r) => r.seq > 0 || r.read > calls * 8);
  expect(wide).toEqual([]);
  return reads;
}

describe('the booking functions', () => {
  it('run with generic plans forced, and never a sequential scan, merge or hash join', async () => {
    const rows = await sql<{ proname: string; proconfig: string[] | null }>(
      db.url,
      `select proname, proconfig from pg_proc
       where proname like 'booking\\_%' and proname <> 'booking_iso' order by 1`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(9);
    for (const r of rows)
      expect({ fn: r.proname, config: r.proconfig }).toEqual({
        fn: r.proname,
        config: [
          'plan_cache_mode=force_generic_plan',
          'enable_seqscan=off',
          'enable_mergejoin=off',
          'enable_hashjoin=off',
        ],
      });
  });

  it('read only the rows they are about on a one-schedule database', async () => {
    const [s] = await sql<{ id: number }>(db.url, `select min(id) as id from schedules`);
    expectKeyedReads(await bookingPaths(s!.id));
  });

  it('and on a many-schedule one', async () => {
    await addSchedules(40);
    const [s] = await sql<{ id: number }>(db.url, `select max(id) as id from schedules`);
    expectKeyedReads(await bookingPaths(s!.id));
  });
});
