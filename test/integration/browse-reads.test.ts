import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestContext } from '../../src/infra/logger.js';
import { SEAT_MAP, SEAT_MAP_CHANGES } from '../../src/modules/booking/booking.statements.js';
import { SCHEDULES_WITH_AVAILABILITY } from '../../src/modules/catalogue/catalogue.statements.js';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, sql, type TestDatabase } from '../support/db.js';
import { admittedFans, type AdmittedFan } from '../support/booking.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { flushPrefix, startCluster } from '../support/server.js';
import { until } from '../support/wait.js';

// The two reads every fan makes before a hold (issue 14): the schedules list and the seat map.
// PostgreSQL's work per call does not grow with the number of schedules, each statement is planned
// once per connection, the instance serves an unchanged seat map from its serialized answer, and
// no read is staler than its own snapshot, whichever instance answered the write before it.
let db: TestDatabase;
let servers: RunningServer[];
let apis: Client[];

beforeAll(async () => {
  db = await createTestDatabase();
  servers = await startCluster(2, db.url, {
    QUEUE_TICK_MS: '50',
    LEADER_LEASE_MS: '600',
    HOLD_SECONDS: '2',
  });
  apis = servers.map((s) => client(s.url));
  // The sweeper would hide lazy expiry: these tests read lapsed holds before anything wrote them.
  for (const s of servers) s.services.bookingChores.stop();
});
afterAll(async () => {
  await Promise.all(servers?.map((s) => s.close()) ?? []);
  if (servers?.[0]) await flushPrefix(servers[0].config.redisKeyPrefix);
  await db?.drop();
});

async function concertWithFans(seats: number, schedules: number, fans: number) {
  const concert = await createConcert(apis[0]!, { seats, schedules });
  await setQueuePolicy(apis[0]!, concert.concertId, { maxActive: 10, admitPerMinute: 60_000 });
  return { ...concert, fans: await admittedFans(servers[0]!, concert.concertId, fans) };
}

async function seatIdsOf(scheduleId: number, fan: AdmittedFan): Promise<number[]> {
  const map = await apis[0]!.get(`/schedules/${scheduleId}/seats`, fan.auth);
  return (map.body as { id: number }[]).map((s) => s.id);
}

async function hold(via: number, fan: AdmittedFan, scheduleId: number, seatIds: number[]) {
  const res = await apis[via]!.post('/reservations', { scheduleId, seatIds }, fan.auth);
  expect(res.status).toBe(201);
}

/** The prepared statements `server` sends while serving one request (by its X-Request-Id). */
async function statementsSent(server: RunningServer, send: (reqId: string) => Promise<unknown>) {
  const reqId = `br-${randomUUID()}`;
  const sent: string[] = [];
  const watch = (name: string) => requestContext.getStore()?.reqId === reqId && sent.push(name);
  server.services.db.watchers.add(watch);
  try {
    await send(reqId);
  } finally {
    server.services.db.watchers.delete(watch);
  }
  return sent;
}

/** Per relation, the times plan nodes reading it ran and the rows they produced (EXPLAIN ANALYZE). */
function relationsIn(plan: unknown): Record<string, { loops: number; rows: number }> {
  const out: Record<string, { loops: number; rows: number }> = {};
  const visit = (node: Record<string, unknown>) => {
    const name = node['Relation Name'] as string | undefined;
    if (name) {
      const seen = (out[name] ??= { loops: 0, rows: 0 });
      seen.loops += Number(node['Actual Loops'] ?? 0);
      seen.rows += Number(node['Actual Rows'] ?? 0) * Number(node['Actual Loops'] ?? 0);
    }
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) visit(child);
  };
  for (const p of plan as { Plan: Record<string, unknown> }[]) visit(p.Plan);
  return out;
}

/** Runs a statement as the app does (prepared) `times` times on one connection; its plan counts. */
async function plansOf(statement: { name: string; text: string }, values: unknown[], times = 8) {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    for (let i = 0; i < times; i++) await c.query({ ...statement, values });
    const [row] = (
      await c.query<{ generic_plans: string; custom_plans: string }>(
        `select generic_plans, custom_plans from pg_prepared_statements where name = $1`,
        [statement.name],
      )
    ).rows;
    // The plan the connection keeps, run: what each later call costs.
    await c.query(`prepare probe as ${statement.text}`);
    await c.query(`set plan_cache_mode = force_generic_plan`);
    const params = values.map((v) => (v instanceof Date ? `'${v.toISOString()}'` : String(v)));
    const explained = await c.query<{ 'QUERY PLAN': unknown }>(
      `explain (analyze, format json) execute probe(${params.join(', ')})`,
    );
    return {
      generic: Number(row!.generic_plans),
      custom: Number(row!.custom_plans),
      relations: relationsIn(explained.rows[0]!['QUERY PLAN']),
    };
  } finally {
    await c.end();
  }
}

describe('the schedules list', () => {
  it('costs PostgreSQL one statement whose work does not grow with the number of schedules', async () => {
    const { concertId, scheduleIds, fans } = await concertWithFans(10, 12, 1);
    const fan = fans[0]!;
    // Live holds on some schedules: the list must still not look at seats schedule by schedule.
    await hold(0, fan, scheduleIds[3]!, (await seatIdsOf(scheduleIds[3]!, fan)).slice(0, 2));
    await hold(0, fan, scheduleIds[7]!, (await seatIdsOf(scheduleIds[7]!, fan)).slice(0, 1));
    const list = (reqId: string) =>
      apis[1]!.get(`/concerts/${concertId}/schedules`, {
        token: fan.token,
        headers: { ...fan.auth.headers, 'x-request-id': reqId },
      });
    // What never changes about the schedules is read once per instance.
    expect(await statementsSent(servers[1]!, list)).toEqual([
      'catalogue_schedules',
      'catalogue_schedule_facts',
    ]);
    expect(await statementsSent(servers[1]!, list)).toEqual(['catalogue_schedules']);

    const plans = await plansOf(SCHEDULES_WITH_AVAILABILITY, [concertId, new Date()]);
    expect(plans.custom).toBeLessThanOrEqual(5);
    // Seats are looked up only for lapsed holds (none here), not once per schedule.
    expect(plans.relations.schedule_seats?.rows ?? 0).toBe(0);
    expect(plans.relations.schedule_seats?.loops ?? 0).toBeLessThanOrEqual(1);
    expect(plans.relations.reservations?.loops ?? 0).toBeLessThanOrEqual(1);
  });

  it('says what the counters and the seats say, lapsed holds counted per schedule', async () => {
    const { concertId, scheduleIds, fans } = await concertWithFans(10, 6, 2);
    const [a, b] = fans as [AdmittedFan, AdmittedFan];
    const seats = await Promise.all(scheduleIds.map((id) => seatIdsOf(id, a)));
    await hold(0, a, scheduleIds[1]!, seats[1]!.slice(0, 3));
    await hold(1, a, scheduleIds[4]!, seats[4]!.slice(0, 2));
    const available = async (via: number) =>
      (
        (await apis[via]!.get(`/concerts/${concertId}/schedules`, b.auth)).body as {
          availableSeats: number;
        }[]
      ).map((s) => s.availableSeats);
    expect(await available(1)).toEqual([10, 7, 10, 10, 8, 10]);
    // HOLD_SECONDS=2 and no sweeper: the holds lapse and nothing writes it.
    await until(async () => (await available(0)).join() === '10,10,10,10,10,10', 10_000, 'lapsed');
    // Live holds next to the lapsed ones, on the lapsed hold's schedule too.
    await hold(1, b, scheduleIds[4]!, [seats[4]![5]!]);
    await hold(0, b, scheduleIds[5]!, seats[5]!.slice(0, 2));
    expect(await available(1)).toEqual([10, 10, 10, 10, 9, 8]);
    expect(
      (
        await sql(
          db.url,
          `select count(*)::int as n from reservations where status = 'held' and concert_id = $1`,
          [concertId],
        )
      )[0],
    ).toEqual({ n: 4 });

    // The whole answer, item for item, as the statement before issue 14 built it from the seats.
    const body = (await apis[0]!.get(`/concerts/${concertId}/schedules`, b.auth)).body;
    const [reference] = await sql<{ schedules: unknown }>(db.url, REFERENCE_LIST, [
      concertId,
      new Date(),
    ]);
    expect(body).toEqual(reference!.schedules);
  });
});

// The schedules list as one statement built it before issue 14 (lapsed holds counted per schedule).
const REFERENCE_LIST = `select coalesce((
    select json_agg(json_build_object('id', s.id, 'startsAt', booking_iso(s.starts_at),
        'venue', json_build_object('id', v.id, 'name', v.name), 'totalSeats', s.total_seats,
        'availableSeats', s.available_seats + (select count(*) from schedule_seats ss
           where ss.schedule_id = s.id and ss.status = 'held' and ss.held_until <= $2),
        'prices', json_build_object('VIP', s.price_vip, 'R', s.price_r, 'S', s.price_s,
                                    'A', s.price_a))
      order by s.starts_at, s.id)
    from schedules s join venues v on v.id = s.venue_id
    where s.concert_id = c.id and s.starts_at > $2), '[]') as schedules
  from concerts c where c.id = $1`;

describe('the seat map', () => {
  it('has statements planned once per connection; the changes read no seat when none changed', async () => {
    const { scheduleIds } = await concertWithFans(20, 1, 0);
    const [{ version }] = (await sql(
      db.url,
      `select seat_version::int as version from schedules
      where id = $1`,
      [scheduleIds[0]],
    )) as [{ version: number }];
    const whole = await plansOf(SEAT_MAP, [scheduleIds[0]]);
    expect(whole.custom).toBeLessThanOrEqual(5);
    expect(whole.generic).toBeGreaterThan(0);
    expect(whole.relations.schedule_seats?.rows).toBe(20);
    const changes = await plansOf(SEAT_MAP_CHANGES, [scheduleIds[0], version]);
    expect(changes.custom).toBeLessThanOrEqual(5);
    expect(changes.generic).toBeGreaterThan(0);
    expect(changes.relations.schedule_seats?.rows ?? 0).toBe(0);
  });

  it('is read whole once per instance: concurrent first reads share it, then ask what changed', async () => {
    const { scheduleIds, fans } = await concertWithFans(20, 1, 1);
    const fan = fans[0]!;
    const sent: string[] = [];
    const watch = (name: string) => sent.push(name);
    servers[1]!.services.db.watchers.add(watch);
    try {
      const maps = await Promise.all(
        Array.from({ length: 8 }, () =>
          apis[1]!.get(`/schedules/${scheduleIds[0]}/seats`, fan.auth),
        ),
      );
      for (const map of maps) expect(map.body).toHaveLength(20);
    } finally {
      servers[1]!.services.db.watchers.delete(watch);
    }
    expect(sent.filter((name) => name === SEAT_MAP.name)).toHaveLength(1);
    expect(sent.filter((name) => name === SEAT_MAP_CHANGES.name)).toHaveLength(7);
  });

  it('serves an answer kept per version until a held seat passes its deadline', async () => {
    const { scheduleIds, fans } = await concertWithFans(20, 1, 2);
    const [a, b] = fans as [AdmittedFan, AdmittedFan];
    const scheduleId = scheduleIds[0]!;
    const ids = await seatIdsOf(scheduleId, a);
    const reservations = servers[1]!.services.booking.reservations;
    const first = await reservations.seatsAnswer(scheduleId, 'available');
    // Unchanged: the same answer, not built again.
    expect((await reservations.seatsAnswer(scheduleId, 'available')).json).toBe(first.json);

    // A hold through the other instance shows in the next read here.
    await hold(0, a, scheduleId, [ids[2]!, ids[3]!]);
    const map = async (query = '') =>
      (await apis[1]!.get(`/schedules/${scheduleId}/seats${query}`, b.auth)).body as {
        id: number;
        status: string;
      }[];
    const held = (await map()).filter((s) => s.status === 'held').map((s) => s.id);
    expect(held).toEqual([ids[2], ids[3]]);
    expect((await map('?status=available')).map((s) => s.id)).not.toContain(ids[2]);
    const version = (await reservations.seatsAnswer(scheduleId)).version;

    // Past the hold's deadline the same version reads otherwise: no kept answer is served.
    await until(async () => (await map('?status=available')).length === 20, 10_000, 'lapsed');
    expect((await map()).every((s) => s.status === 'available')).toBe(true);
    expect((await reservations.seatsAnswer(scheduleId)).version).toBe(version);
  });
});
