import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { IdempotencyMarks } from '../../src/modules/idempotency/idempotency.store.js';
import { admittedFans, type AdmittedFan } from '../support/booking.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { flushPrefix, startTestServer, testKeyPrefix } from '../support/server.js';

// Issue 14: a hold's Redis round trips, counted as socket writes of the serving instance's Redis
// connection (it sends an event-loop turn's commands in one write: redis-write-coalescing.test.ts).
// A seat storm is nearly all refusals: the seat test travels with the admission check, so a
// refusal costs one round trip; a hold's seat locks and its Idempotency-Key mark share one. The
// leader (ticks, chores) runs on another instance of the same deployment, so the counted
// connection carries only the request's own commands.
let db: TestDatabase;
let leader: RunningServer;
let server: RunningServer;
let api: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  const env = { REDIS_KEY_PREFIX: testKeyPrefix(), QUEUE_TICK_MS: '50' };
  leader = await startTestServer(db.url, { ...env, INSTANCE_ID: 'leader' });
  server = await startTestServer(
    db.url,
    { ...env, INSTANCE_ID: 'counted' },
    { startLeader: false },
  );
  api = client(server.url);
});
afterAll(async () => {
  await server?.close();
  await leader?.close();
  if (leader) await flushPrefix(leader.config.redisKeyPrefix);
  await db?.drop();
});

/** Socket writes of the counted instance's Redis connection (one per write syscall) during `work`. */
async function redisWrites<T>(work: () => Promise<T>): Promise<{ writes: number; result: T }> {
  type Write = (...a: unknown[]) => unknown;
  const socket = (server.redis as unknown as { stream: Record<'_write' | '_writev', Write> })
    .stream;
  const [single, vector] = [socket._write, socket._writev];
  let writes = 0;
  socket._write = (...a: unknown[]) => {
    writes++;
    return single.apply(socket, a);
  };
  socket._writev = (...a: unknown[]) => {
    writes++;
    return vector.apply(socket, a);
  };
  try {
    return { result: await work(), writes };
  } finally {
    socket._write = single;
    socket._writev = vector;
  }
}

async function setup(fans: number) {
  const { concertId, scheduleIds } = await createConcert(api, { seats: 20 });
  await setQueuePolicy(api, concertId, { maxActive: 100, admitPerMinute: 600_000 });
  const admitted = await admittedFans(leader, concertId, fans);
  const scheduleId = scheduleIds[0]!;
  const seatIds = (await api.get(`/schedules/${scheduleId}/seats`, admitted[0]!.auth)).body.map(
    (s: { id: number }) => s.id,
  ) as number[];
  return { scheduleId, fans: admitted, seatIds };
}

function hold(fan: AdmittedFan, scheduleId: number, seatIds: number[], key?: string) {
  const headers = { ...fan.auth.headers, ...(key ? { 'idempotency-key': key } : {}) };
  return api.post('/reservations', { scheduleId, seatIds }, { token: fan.token, headers });
}

const locksKey = (scheduleId: number) =>
  `${server.config.redisKeyPrefix}{s:${scheduleId}}:lock:seats`;
const markKey = (userId: number, key: string) =>
  `${server.config.redisKeyPrefix}{u:${userId}}:idem:${IdempotencyMarks.tag(userId, key)}`;

describe("a hold's Redis round trips", () => {
  it('refuses a taken seat after one round trip (the seat test and key mark travel with the admission check)', async () => {
    const { scheduleId, fans, seatIds } = await setup(3);
    // Warm-up: the instance has read the schedule and loaded its scripts.
    expect((await hold(fans[0]!, scheduleId, [seatIds[0]!])).status).toBe(201);

    const refused = await redisWrites(() => hold(fans[1]!, scheduleId, [seatIds[0]!]));
    expect(refused.result.status).toBe(409);
    expect(refused.result.body.error).toMatchObject({
      code: 'SEAT_UNAVAILABLE',
      details: { seatIds: [seatIds[0]] },
    });
    expect(refused.writes).toBe(1);
    // With an Idempotency-Key (every SDK hold has one): whether a first request may have answered
    // is read in that same write.
    const keyed = await redisWrites(() => hold(fans[1]!, scheduleId, [seatIds[0]!], randomUUID()));
    expect(keyed.result.status).toBe(409);
    expect(keyed.result.body.error.code).toBe('SEAT_UNAVAILABLE');
    expect(keyed.writes).toBe(1);

    // A seat refused while a lock is on it: the same single round trip.
    await server.redis.hset(locksKey(scheduleId), String(seatIds[5]), `${Date.now() + 60_000}|x/`);
    const locked = await redisWrites(() => hold(fans[2]!, scheduleId, [seatIds[5]!]));
    expect(locked.result.status).toBe(409);
    expect(locked.writes).toBe(1);
    await server.redis.hdel(locksKey(scheduleId), String(seatIds[5]));
  });

  it('holds with an Idempotency-Key in three round trips: admission and seat test, lock and key mark, filter and release', async () => {
    const { scheduleId, fans, seatIds } = await setup(2);
    expect((await hold(fans[0]!, scheduleId, [seatIds[0]!], randomUUID())).status).toBe(201);

    const key = randomUUID();
    const held = await redisWrites(() => hold(fans[1]!, scheduleId, [seatIds[1]!], key));
    expect(held.result.status).toBe(201);
    expect(held.writes).toBe(3);
    // Its locks are released, its key marked (a refused retry looks its answer up: SPEC §3.3).
    expect(await server.redis.hlen(locksKey(scheduleId))).toBe(0);
    expect(Number(await server.redis.get(markKey(fans[1]!.id, key)))).toBe(1);
    const retry = await hold(fans[1]!, scheduleId, [seatIds[1]!], key);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(held.result.body);
  });

  it('leaves no lock behind for a fan refused by the admission check, though the seat was tested', async () => {
    const { scheduleId, fans, seatIds } = await setup(1);
    const fan = fans[0]!;
    const forged = { ...fan, auth: { ...fan.auth, headers: { 'x-queue-token': 'not-a-token' } } };
    const res = await hold(forged, scheduleId, [seatIds[3]!], randomUUID());
    expect(res.status).toBe(401);
    expect(await server.redis.hlen(locksKey(scheduleId))).toBe(0);
    // The seat is free for the admitted fan.
    expect((await hold(fan, scheduleId, [seatIds[3]!])).status).toBe(201);
  });

  it('takes back the key marks of holds the lock refused after the seat test found the seat free', async () => {
    const { scheduleId, fans, seatIds } = await setup(8);
    // Sent together: every seat test finds the seat free, one lock wins.
    const keys = fans.map(() => randomUUID());
    const answers = await Promise.all(
      fans.map((f, i) => hold(f, scheduleId, [seatIds[7]!], keys[i])),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, ...Array(7).fill(409)]);
    const marks = await Promise.all(fans.map((f, i) => server.redis.get(markKey(f.id, keys[i]!))));
    const winner = answers.findIndex((a) => a.status === 201);
    expect(marks).toEqual(fans.map((_, i) => (i === winner ? '1' : null)));
    // A refused fan's retry with its key is refused again (no answer to replay), not 409 IN_USE.
    const loser = winner === 0 ? 1 : 0;
    const retry = await hold(fans[loser]!, scheduleId, [seatIds[7]!], keys[loser]);
    expect(retry.body.error.code).toBe('SEAT_UNAVAILABLE');
  });
});
