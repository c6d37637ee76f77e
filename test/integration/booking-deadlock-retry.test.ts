import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { admittedFans, counterMismatches, doubleBookings } from '../support/booking.js';
import { sql } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { useTestServer } from '../support/server.js';
import { until } from '../support/wait.js';

// A hold or payment is one statement, one transaction. When PostgreSQL picks it as a deadlock's
// victim (40P01; e.g. a duplicate request of the previous release during a rolling deploy, which
// takes its locks in another order) nothing of it was applied, so it is run again instead of
// answering 500. Here another session takes the schedule's counter row, waits until the hold
// waits for that row, then asks for the fan's wallet, which the hold has locked: a deadlock. That
// session waits 10 s before checking for one, the server's 1 s, so the hold is the victim.
const ctx = useTestServer();
const open: pg.Client[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.end().catch(() => undefined)));
});

async function session(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: ctx.db.url });
  await c.connect();
  open.push(c);
  return c;
}

/** Backends of this database waiting for a lock, other than `except`. */
async function lockWaiters(except: number): Promise<number> {
  const [row] = await sql<{ n: number }>(
    ctx.db.url,
    `select count(*)::int as n from pg_stat_activity
     where datname = current_database() and wait_event_type = 'Lock' and pid <> $1`,
    [except],
  );
  return row!.n;
}

describe('a booking statement chosen as a deadlock victim', () => {
  it('is run again: the hold is made (201), not a 500', async () => {
    const { concertId, scheduleIds } = await createConcert(ctx.api, { seats: 4 });
    await setQueuePolicy(ctx.api, concertId, { maxActive: 10, admitPerMinute: 600_000 });
    const [fan] = await admittedFans(ctx.server, concertId, 1);
    const scheduleId = scheduleIds[0]!;
    const [seat] = await sql<{ seat_id: number }>(
      ctx.db.url,
      `select seat_id from schedule_seats where schedule_id = $1 order by seat_id limit 1`,
      [scheduleId],
    );

    const other = await session();
    const otherPid = (await other.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!
      .pid;
    await other.query(`begin`);
    await other.query(`set local deadlock_timeout = '10s'`);
    await other.query(`select 1 from schedules where id = $1 for no key update`, [scheduleId]);

    const answer = ctx.api.post(
      '/reservations',
      { scheduleId, seatIds: [seat!.seat_id] },
      { token: fan!.token, headers: { ...fan!.auth.headers, 'idempotency-key': randomUUID() } },
    );
    // The hold has its wallet and seat locked and waits for the counter row (its last write).
    await until(async () => (await lockWaiters(otherPid)) === 1, 10_000, 'the hold waiting');
    const walletWait = other.query(`select 1 from wallets where user_id = $1 for update`, [
      fan!.id,
    ]);
    // The server's backend finds the cycle after its deadlock_timeout and aborts the hold; its
    // locks go, so this session gets the wallet, and the hold's second run waits for it.
    await walletWait;
    await other.query(`commit`);
    const res = await answer;
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const body = res.body as { status: string; seats: { id: number }[] };
    expect(body.status).toBe('held');
    expect(body.seats.map((s) => s.id)).toEqual([seat!.seat_id]);
    expect(await counterMismatches(ctx.server)).toEqual([]);
    expect(await doubleBookings(ctx.server)).toEqual([]);
  });
});
