import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestContext } from '../../src/infra/logger.js';
import { SEAT_MAP_CHANGES } from '../../src/modules/booking/booking.statements.js';
import { SCHEDULES_WITH_AVAILABILITY } from '../../src/modules/catalogue/catalogue.statements.js';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, sql, type TestDatabase } from '../support/db.js';
import { admittedFans, counterMismatches, doubleBookings } from '../support/booking.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { flushPrefix, startCluster } from '../support/server.js';
import { until } from '../support/wait.js';

// Availability without counting (issue 14): per-schedule counters kept in the transactions that
// change seats, a seat map patched from the seat version, a hold and a payment in few round trips.
let db: TestDatabase;
let servers: RunningServer[];
let api: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  servers = await startCluster(2, db.url, {
    QUEUE_TICK_MS: '50',
    LEADER_LEASE_MS: '600',
    HOLD_SECONDS: '2',
  });
  api = client(servers[0]!.url);
  // The sweeper would hide lazy expiry: these tests read lapsed holds before anything wrote them.
  for (const s of servers) s.services.bookingChores.stop();
});
afterAll(async () => {
  await Promise.all(servers?.map((s) => s.close()) ?? []);
  if (servers?.[0]) await flushPrefix(servers[0].config.redisKeyPrefix);
  await db?.drop();
});

/** Every PostgreSQL statement `server` sends while serving requests with this X-Request-Id. */
function statementsOf(server: RunningServer, reqId: string): { sent: string[]; stop(): void } {
  const sent: string[] = [];
  const mine = () => requestContext.getStore()?.reqId === reqId;
  const onOrm = (q: { sql: string }) => mine() && sent.push(q.sql);
  const onPrepared = (name: string) => mine() && sent.push(`prepared ${name}`);
  const knex = server.orm.em.getKnex();
  knex.on('query', onOrm);
  server.services.db.watchers.add(onPrepared);
  return {
    sent,
    stop: () => {
      knex.off('query', onOrm);
      server.services.db.watchers.delete(onPrepared);
    },
  };
}

async function counted<T>(server: RunningServer, work: (reqId: string) => Promise<T>) {
  const reqId = `rt-${randomUUID()}`;
  const watch = statementsOf(server, reqId);
  try {
    return { result: await work(reqId), sent: watch.sent };
  } finally {
    watch.stop();
  }
}

describe('round trips to PostgreSQL', () => {
  it('a hold and a payment take one statement each, with or without an Idempotency-Key', async () => {
    const { concertId, scheduleIds } = await createConcert(api, { seats: 20 });
    await setQueuePolicy(api, concertId, { maxActive: 10, admitPerMinute: 60_000 });
    const [fan, other] = await admittedFans(servers[0]!, concertId, 2);
    const scheduleId = scheduleIds[0]!;
    const seats = (await api.get(`/schedules/${scheduleId}/seats`, fan!.auth)).body as {
      id: number;
    }[];
    const server = servers[0]!;
    const hold = (reqId: string, seatIds: number[], key?: string) =>
      api.post(
        '/reservations',
        { scheduleId, seatIds },
        {
          token: fan!.token,
          headers: {
            ...fan!.auth.headers,
            'x-request-id': reqId,
            ...(key ? { 'idempotency-key': key } : {}),
          },
        },
      );

    const plain = await counted(server, (id) => hold(id, [seats[0]!.id]));
    expect(plain.result.status).toBe(201);
    expect(plain.sent).toEqual(['prepared booking_hold']);

    const keyed = await counted(server, (id) => hold(id, [seats[1]!.id], randomUUID()));
    expect(keyed.result.status).toBe(201);
    // The key's claim, the hold and the claim's completion: one statement.
    expect(keyed.sent).toEqual(['prepared booking_hold_keyed']);

    const pay = await counted(server, (id) =>
      api.post(`/reservations/${keyed.result.body.id}/payment`, undefined, {
        token: fan!.token,
        headers: { 'x-request-id': id, 'idempotency-key': randomUUID() },
      }),
    );
    expect(pay.result.status).toBe(200);
    expect(pay.sent).toEqual(['prepared booking_pay_keyed']);

    // A refusal from Redis (the seat is taken) never reaches PostgreSQL.
    const refused = await counted(server, (id) =>
      api.post(
        '/reservations',
        { scheduleId, seatIds: [seats[0]!.id] },
        { token: other!.token, headers: { ...other!.auth.headers, 'x-request-id': id } },
      ),
    );
    expect(refused.result.status).toBe(409);
    expect(refused.sent).toEqual([]);
  });
});

describe('availability without counting', () => {
  it('the schedules list reads no seat, however many seats and schedules there are', async () => {
    const small = await createConcert(api, { seats: 10, schedules: 1 });
    const large = await createConcert(api, { seats: 300, schedules: 4 });
    for (const c of [small, large])
      await setQueuePolicy(api, c.concertId, { maxActive: 10, admitPerMinute: 60_000 });
    const [fanS] = await admittedFans(servers[0]!, small.concertId, 1);
    const [fanL] = await admittedFans(servers[0]!, large.concertId, 1);
    const list = async (concertId: number, fan: typeof fanS) =>
      counted(servers[0]!, (reqId) =>
        api.get(`/concerts/${concertId}/schedules`, {
          token: fan!.token,
          headers: { ...fan!.auth.headers, 'x-request-id': reqId },
        }),
      );
    // What never changes about a schedule is read at an instance's first list (its own statement).
    await list(small.concertId, fanS);
    await list(large.concertId, fanL);
    const s = await list(small.concertId, fanS);
    const l = await list(large.concertId, fanL);
    expect(l.result.body.map((x: { availableSeats: number }) => x.availableSeats)).toEqual([
      300, 300, 300, 300,
    ]);
    // One statement (the concert's existence and its list together), for 1 x 10 and 4 x 300 seats.
    expect(s.sent).toEqual(['prepared catalogue_schedules']);
    expect(l.sent).toEqual(['prepared catalogue_schedules']);

    // It touches no schedule_seats row (no lapsed hold to add).
    const plan = await sql<{ 'QUERY PLAN': unknown }>(
      db.url,
      `explain (analyze, format json) ${SCHEDULES_WITH_AVAILABILITY.text}`,
      [large.concertId, new Date()],
    );
    expect(seatRowsIn(plan[0]!['QUERY PLAN'])).toBe(0);
  });

  it('counts lapsed holds as available before any sweep, in the list and the seat map', async () => {
    const { concertId, scheduleIds } = await createConcert(api, { seats: 10 });
    await setQueuePolicy(api, concertId, { maxActive: 10, admitPerMinute: 60_000 });
    const [a, b] = await admittedFans(servers[0]!, concertId, 2);
    const scheduleId = scheduleIds[0]!;
    const seatIds = (
      (await api.get(`/schedules/${scheduleId}/seats`, a!.auth)).body as { id: number }[]
    ).map((x) => x.id);
    const held = await api.post(
      '/reservations',
      { scheduleId, seatIds: seatIds.slice(0, 3) },
      a!.auth,
    );
    expect(held.status).toBe(201);
    const available = async () =>
      (await api.get(`/concerts/${concertId}/schedules`, b!.auth)).body[0].availableSeats;
    expect(await available()).toBe(7);
    await until(async () => (await available()) === 10, 10_000, 'lapsed hold counts as available');
    const map = await client(servers[1]!.url).get(`/schedules/${scheduleId}/seats`, b!.auth);
    expect(map.body.every((x: { status: string }) => x.status === 'available')).toBe(true);
    // Nothing wrote the expiry yet: the counter still says held, as the seats do.
    expect(
      (await sql(db.url, `select status from reservations where id = $1`, [held.body.id]))[0],
    ).toEqual({ status: 'held' });
    expect(await counterMismatches(servers[0]!)).toEqual([]);
    // A new hold on a lapsed seat expires the old hold in the same transaction.
    const again = await api.post('/reservations', { scheduleId, seatIds: [seatIds[0]!] }, b!.auth);
    expect(again.status).toBe(201);
    expect(await counterMismatches(servers[0]!)).toEqual([]);
    expect(
      (
        await sql(db.url, `select available_seats, held_seats from schedules where id = $1`, [
          scheduleId,
        ])
      )[0],
    ).toEqual({ available_seats: 9, held_seats: 1 });
  });

  it("seatsOnSale: available and held across a concert's schedules on sale, from the counters", async () => {
    const { concertId, scheduleIds } = await createConcert(api, { seats: 10, schedules: 2 });
    await setQueuePolicy(api, concertId, { maxActive: 10, admitPerMinute: 60_000 });
    const [a] = await admittedFans(servers[0]!, concertId, 1);
    const seats = (await api.get(`/schedules/${scheduleIds[1]}/seats`, a!.auth)).body;
    const held = await api.post(
      '/reservations',
      { scheduleId: scheduleIds[1], seatIds: [seats[0].id, seats[1].id] },
      a!.auth,
    );
    expect(held.status).toBe(201);
    expect(await servers[1]!.services.catalogue.seatsOnSale(concertId)).toEqual({
      available: 18,
      held: 2,
    });
  });
});

describe('the seat map cache', () => {
  it('is patched on every instance with exactly the seats changed since its version', async () => {
    const { concertId, scheduleIds } = await createConcert(api, { seats: 20 });
    await setQueuePolicy(api, concertId, { maxActive: 10, admitPerMinute: 60_000 });
    const [a, b] = await admittedFans(servers[0]!, concertId, 2);
    const scheduleId = scheduleIds[0]!;
    const apis = servers.map((s) => client(s.url));
    const first = await apis[1]!.get(`/schedules/${scheduleId}/seats`, b!.auth);
    const v0 = Number(first.headers.get('seat-map-version'));
    const ids = first.body.map((x: { id: number }) => x.id);

    // Held through instance 1: instance 2's cached map shows it at once, with the new version.
    const held = await apis[0]!.post(
      '/reservations',
      { scheduleId, seatIds: [ids[3], ids[4]] },
      a!.auth,
    );
    expect(held.status).toBe(201);
    const second = await apis[1]!.get(`/schedules/${scheduleId}/seats`, b!.auth);
    expect(Number(second.headers.get('seat-map-version'))).toBe(v0 + 2);
    expect(
      second.body
        .filter((x: { status: string }) => x.status === 'held')
        .map((x: { id: number }) => x.id),
    ).toEqual([ids[3], ids[4]]);
    const paid = await apis[0]!.post(`/reservations/${held.body.id}/payment`, undefined, a!);
    expect(paid.status).toBe(200);
    const third = await apis[1]!.get(`/schedules/${scheduleId}/seats?status=available`, b!.auth);
    expect(Number(third.headers.get('seat-map-version'))).toBe(v0 + 4);
    expect(third.body).toHaveLength(18);

    // When nothing changed, a read costs one statement that reads no seat.
    const cached = await counted(servers[1]!, (reqId) =>
      apis[1]!.get(`/schedules/${scheduleId}/seats`, {
        token: b!.token,
        headers: { ...b!.auth.headers, 'x-request-id': reqId },
      }),
    );
    expect(cached.sent).toEqual(['prepared booking_seat_map_changes']);
    const explain = await sql<{ 'QUERY PLAN': unknown }>(
      db.url,
      `explain (analyze, format json) ${SEAT_MAP_CHANGES.text}`,
      [scheduleId, v0 + 4],
    );
    expect(seatRowsIn(explain[0]!['QUERY PLAN'])).toBe(0);
  });
});

describe('counters under a concurrent mix', () => {
  it('stay equal to the seats after concurrent holds, lazy expiries, cancels, payments and refunds', async () => {
    const { concertId, scheduleIds } = await createConcert(api, { seats: 30 });
    await setQueuePolicy(api, concertId, { maxActive: 100, admitPerMinute: 600_000 });
    const fans = await admittedFans(servers[0]!, concertId, 30, 2_000_000);
    const scheduleId = scheduleIds[0]!;
    const seatIds = (
      await sql<{ seat_id: number }>(
        db.url,
        `select seat_id from schedule_seats where schedule_id = $1`,
        [scheduleId],
      )
    ).map((r) => r.seat_id);
    const pick = () => seatIds[Math.floor(Math.random() * seatIds.length)]!;
    // Holds of the schedule that meet on an instance go together (booking_hold_many): attacked too.
    let batches = 0;
    const watch = (name: string) => void (name === 'booking_hold_many' && batches++);
    for (const s of servers) s.services.db.watchers.add(watch);
    await Promise.all(
      fans.map(async (fan, i) => {
        const http = client(servers[i % 2]!.url);
        for (let op = 0; op < 12; op++) {
          const res = await http.post(
            '/reservations',
            { scheduleId, seatIds: [...new Set([pick(), pick()])] },
            fan.auth,
          );
          if (res.status !== 201) continue;
          const roll = Math.random();
          if (roll < 0.3) await http.del(`/reservations/${res.body.id}`, { token: fan.token });
          else if (roll < 0.6) {
            const paid = await http.post(`/reservations/${res.body.id}/payment`, undefined, fan);
            if (paid.status === 200 && Math.random() < 0.5)
              await http.post(`/reservations/${res.body.id}/refund`, undefined, fan);
            if (paid.status === 200) return; // paying ends the admission
          } // else: left to lapse (HOLD_SECONDS=2), freed lazily by a later hold
        }
      }),
    ).finally(() => servers.forEach((s) => s.services.db.watchers.delete(watch)));
    expect(batches).toBeGreaterThan(0);
    expect(await counterMismatches(servers[0]!)).toEqual([]);
    expect(await doubleBookings(servers[0]!)).toEqual([]);
    // The sweeper's expiries keep them equal too.
    // (Chores run on the leader, whichever instance that is.)
    for (const s of servers) s.services.bookingChores.start();
    await until(
      async () =>
        (await sql(db.url, `select 1 from reservations where status = 'held'`)).length === 0,
      15_000,
      'every hold swept',
    );
    for (const s of servers) s.services.bookingChores.stop();
    expect(await counterMismatches(servers[0]!)).toEqual([]);
  });
});

/** Rows that nodes scanning schedule_seats produced, over an EXPLAIN ANALYZE plan (JSON). */
function seatRowsIn(plan: unknown): number {
  let rows = 0;
  const visit = (node: Record<string, unknown>) => {
    if (node['Relation Name'] === 'schedule_seats') rows += Number(node['Actual Rows'] ?? 0);
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) visit(child);
  };
  for (const p of plan as { Plan: Record<string, unknown> }[]) visit(p.Plan);
  return rows;
}
