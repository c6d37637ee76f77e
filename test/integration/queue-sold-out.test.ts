import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueProgress } from '@lineup/client-sdk/contract';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { givePoints } from '../support/booking.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { flushPrefix, startCluster } from '../support/server.js';
import { connected, queueSocket, seen, type FanSocket } from '../support/sockets.js';
import { bulkFans, type TestFan } from '../support/users.js';
import { until } from '../support/wait.js';

// SPEC §2 "Sold-out awareness". The rule (admit-9.lua): every admitted fan who holds nothing yet
// claims one available seat, an admitted fan who holds seats claims none (it can buy those), so a
// tick admits at most available − (active − admitted fans holding) new fans. Sold out = no seat of
// a schedule on sale available; heldSeats = seats held, which may come back.
const HOLD_SECONDS = 5;
let db: TestDatabase;
let servers: RunningServer[];
let api: Client;
const sockets: FanSocket[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  servers = await startCluster(2, db.url, {
    QUEUE_TICK_MS: '50',
    LEADER_LEASE_MS: '600',
    HOLD_SECONDS: String(HOLD_SECONDS),
  });
  api = client(servers[0]!.url);
  // No sweeper: a hold past its time comes back lazily (the tick counts it as available).
  for (const s of servers) s.services.bookingChores.stop();
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await Promise.all(servers?.map((s) => s.close()) ?? []);
  if (servers?.[0]) await flushPrefix(servers[0].config.redisKeyPrefix);
  await db?.drop();
});

interface Fan extends TestFan {
  queueToken: string;
  auth: { token: string; headers: Record<string, string> };
}

function meta(concertId: number) {
  return servers[0]!.services.queueStore.keys.concert(concertId).meta;
}

async function tickOf(concertId: number): Promise<number> {
  return Number((await servers[0]!.redis.hget(meta(concertId), 'tick')) ?? 0);
}

/** Lets `n` more ticks of the line run (so a wrong admission would have happened). */
async function ticksPass(concertId: number, n = 10): Promise<void> {
  const from = await tickOf(concertId);
  await until(async () => (await tickOf(concertId)) >= from + n, 15_000, `${n} ticks`);
}

async function counts(concertId: number) {
  return servers[0]!.services.queue.counts(concertId);
}

/** Waits until `admitted` fans in all were admitted, then checks no more come for 10 ticks. */
async function admissionsSettleAt(concertId: number, admitted: number): Promise<void> {
  await until(
    async () => (await counts(concertId)).admittedTotal >= admitted,
    15_000,
    `${admitted} admitted`,
  );
  await ticksPass(concertId);
  expect((await counts(concertId)).admittedTotal).toBe(admitted);
}

async function isActive(fan: Fan): Promise<boolean> {
  const res = await api.get('/queue/status', { headers: fan.auth.headers });
  return res.status === 200 && res.body.status === 'active';
}

async function seatIds(fan: Fan, scheduleId: number): Promise<number[]> {
  const res = await api.get(`/schedules/${scheduleId}/seats`, fan.auth);
  expect(res.status).toBe(200);
  return (res.body as { id: number }[]).map((s) => s.id);
}

async function hold(fan: Fan, scheduleId: number, ids: number[]): Promise<number> {
  const res = await api.post('/reservations', { scheduleId, seatIds: ids }, fan.auth);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as number;
}

async function pay(fan: Fan, reservationId: number): Promise<void> {
  const res = await api.post(`/reservations/${reservationId}/payment`, undefined, {
    token: fan.token,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

async function leave(fan: Fan): Promise<void> {
  expect((await api.del('/queue', { headers: fan.auth.headers })).status).toBe(204);
}

describe('sold-out awareness', () => {
  it('admits no more fans than seats, stops when sold out, and resumes by exactly the seats that came back (lapsed hold, cancel, refund)', async () => {
    const { concertId, scheduleIds } = await createConcert(api, { seats: 4 });
    const scheduleId = scheduleIds[0]!;
    await setQueuePolicy(api, concertId, { maxActive: 100, admitPerMinute: 600_000 });
    const users = await bulkFans(servers[0]!, 10);
    await givePoints(
      servers[0]!,
      users.map((u) => u.id),
      1_000_000,
    );
    // In order, so the line admits them in this order.
    const fans: Fan[] = [];
    for (const user of users) {
      const res = await api.post(`/concerts/${concertId}/queue`, undefined, { token: user.token });
      expect(res.status).toBe(201);
      const headers = { 'x-queue-token': res.body.queueToken as string };
      fans.push({ ...user, queueToken: res.body.queueToken, auth: { token: user.token, headers } });
    }
    const [a, b, c, d, e, f, g, h] = fans as [Fan, Fan, Fan, Fan, Fan, Fan, Fan, Fan];

    // Four seats: four fans admitted, the fifth never, though the rate would allow all ten.
    await admissionsSettleAt(concertId, 4);
    expect(await Promise.all([a, b, c, d, e].map(isActive))).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);

    // A waiting fan's socket on the second instance hears the frames.
    const socket = queueSocket(servers[1]!.url, h.queueToken);
    sockets.push(socket);
    await connected(socket);

    // Sold out: B holds two seats, C one, both pay; A holds the last one (for HOLD_SECONDS). D,
    // admitted with nothing left to buy, leaves.
    const seats = await seatIds(a, scheduleId);
    const bHold = await hold(b, scheduleId, [seats[1]!, seats[2]!]);
    await pay(b, bHold);
    await pay(c, await hold(c, scheduleId, [seats[3]!]));
    await hold(a, scheduleId, [seats[0]!]);
    await leave(d);
    await ticksPass(concertId);
    expect((await counts(concertId)).admittedTotal).toBe(4);

    // Every waiting fan is told: in its status (either instance) and in the frames.
    for (const server of servers) {
      const status = await client(server.url).get('/queue/status', { headers: h.auth.headers });
      expect(status.body).toMatchObject({ status: 'waiting', soldOut: true, heldSeats: 1 });
    }
    await until(
      () => seen(socket, 'queue:progress').some((p: QueueProgress) => p.soldOut),
      5_000,
      'a sold-out frame',
    );
    expect(seen(socket, 'queue:progress').at(-1)).toMatchObject({ soldOut: true, heldSeats: 1 });
    const metrics = await (await fetch(`${servers[1]!.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`lineup_queue_sold_out\\{concert="${concertId}"[^}]*\\} 1`));
    expect(metrics).toMatch(
      new RegExp(`lineup_queue_held_seats\\{concert="${concertId}"[^}]*\\} 1`),
    );

    // A lapsed hold (nobody expired it: the tick counts it as available): A leaves the line, its
    // hold runs out, one seat comes back and exactly one fan (E) is admitted.
    await leave(a);
    await ticksPass(concertId);
    expect((await counts(concertId)).admittedTotal).toBe(4);
    await admissionsSettleAt(concertId, 5);
    expect(await isActive(e)).toBe(true);
    expect(await isActive(f)).toBe(false);
    const available = await client(servers[1]!.url).get('/queue/status', {
      headers: h.auth.headers,
    });
    expect(available.body).toMatchObject({ soldOut: false, heldSeats: 0 });

    // A cancel: E holds the seat (sold out again), then cancels. E is still admitted and could
    // take it again, so nobody new comes in until E leaves; then exactly one (F).
    const eHold = await hold(e, scheduleId, [seats[0]!]);
    await until(
      async () =>
        (await client(servers[1]!.url).get('/queue/status', { headers: h.auth.headers })).body
          .soldOut === true,
      5_000,
      'sold out again',
    );
    expect((await api.del(`/reservations/${eHold}`, { token: e.token })).status).toBe(200);
    await ticksPass(concertId);
    expect((await counts(concertId)).admittedTotal).toBe(5);
    await leave(e);
    await admissionsSettleAt(concertId, 6);
    expect(await isActive(f)).toBe(true);
    expect(await isActive(g)).toBe(false);

    // A refund: F buys the last seat (sold out, F's admission completes); B's refund brings two
    // seats back: exactly two fans (G, H) are admitted.
    await pay(f, await hold(f, scheduleId, [seats[0]!]));
    await ticksPass(concertId);
    expect((await counts(concertId)).admittedTotal).toBe(6);
    expect(seen(socket, 'queue:progress').at(-1)).toMatchObject({ soldOut: true, heldSeats: 0 });
    const refund = await api.post(`/reservations/${bHold}/refund`, undefined, { token: b.token });
    expect(refund.status, JSON.stringify(refund.body)).toBe(200);
    await admissionsSettleAt(concertId, 8);
    expect(await Promise.all([g, h].map(isActive))).toEqual([true, true]);
    expect((await counts(concertId)).waiting).toBe(2);
  });

  it('never lets admitted fans who hold nothing outnumber the available seats', async () => {
    const { concertId, scheduleIds } = await createConcert(api, { seats: 6 });
    await setQueuePolicy(api, concertId, { maxActive: 100, admitPerMinute: 600_000 });
    const users = await bulkFans(servers[0]!, 12);
    const fans: Fan[] = [];
    for (const user of users) {
      const res = await api.post(`/concerts/${concertId}/queue`, undefined, { token: user.token });
      const headers = { 'x-queue-token': res.body.queueToken as string };
      fans.push({ ...user, queueToken: res.body.queueToken, auth: { token: user.token, headers } });
    }
    await admissionsSettleAt(concertId, 6);
    // Two admitted fans hold two seats each: 2 seats left, 4 admitted fans holding nothing claim
    // more than that already, so nobody is admitted.
    const seats = await seatIds(fans[0]!, scheduleIds[0]!);
    await hold(fans[0]!, scheduleIds[0]!, seats.slice(0, 2));
    await hold(fans[1]!, scheduleIds[0]!, seats.slice(2, 4));
    await ticksPass(concertId);
    expect((await counts(concertId)).admittedTotal).toBe(6);
    // Three of those four leave: 2 seats, 1 claimed, so exactly one more fan comes in.
    for (const fan of fans.slice(3, 6)) await leave(fan);
    await admissionsSettleAt(concertId, 7);
    expect(await isActive(fans[6]!)).toBe(true);
    const status = await api.get('/queue/status', { headers: fans[7]!.auth.headers });
    expect(status.body).toMatchObject({ status: 'waiting', soldOut: false, heldSeats: 4 });
  });
});
