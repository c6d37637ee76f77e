import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { admittedFans, doubleBookings, type AdmittedFan } from '../support/booking.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client } from '../support/http.js';
import { flushPrefix, startCluster } from '../support/server.js';

// Stampedes on seats, against three instances sharing PostgreSQL and Redis.
let db: TestDatabase;
let servers: RunningServer[];

beforeAll(async () => {
  db = await createTestDatabase();
  servers = await startCluster(3, db.url, { QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' });
});
afterAll(async () => {
  await Promise.all(servers?.map((s) => s.close()) ?? []);
  if (servers?.[0]) await flushPrefix(servers[0].config.redisKeyPrefix);
  await db?.drop();
});

const SPEC_ANSWERS = new Set(['SEAT_UNAVAILABLE', 'SEAT_LIMIT_EXCEEDED']);
const databaseWrites = () =>
  servers.reduce((n, s) => n + s.services.booking.counters.holdDatabaseWrites, 0);

/**
 * `fans` admitted fans fighting over `seats` seats. The venue has a seat for every fan (a line
 * admits no more fans than seats: SPEC §2 "Sold-out awareness"); they all go for the first `seats`.
 */
async function setup(fans: number, seats: number) {
  const api = client(servers[0]!.url);
  const { concertId, scheduleIds } = await createConcert(api, { seats: Math.max(seats, fans) });
  await setQueuePolicy(api, concertId, {
    maxActive: fans,
    admitPerMinute: 600_000,
    maxWaiting: fans,
  });
  const admitted = await admittedFans(servers[0]!, concertId, fans, 0);
  const seatIds = (await api.get(`/schedules/${scheduleIds[0]}/seats`, admitted[0]!.auth)).body
    .map((s: { id: number }) => s.id)
    .slice(0, seats) as number[];
  return { scheduleId: scheduleIds[0]!, fans: admitted, seatIds };
}

function holdFrom(i: number, fan: AdmittedFan, scheduleId: number, seatIds: number[]) {
  const started = performance.now();
  return client(servers[i % 3]!.url)
    .post('/reservations', { scheduleId, seatIds }, fan.auth)
    .then((res) => ({ ...res, ms: performance.now() - started }));
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

describe('seat stampedes', () => {
  it('1,000 fans holding the same seat at once: exactly one 201, every other answer 409 SEAT_UNAVAILABLE', async () => {
    const { scheduleId, fans, seatIds } = await setup(1_000, 10);
    const writesBefore = databaseWrites();
    const results = await Promise.all(
      fans.map((fan, i) => holdFrom(i, fan, scheduleId, [seatIds[0]!])),
    );
    const writes = databaseWrites() - writesBefore;

    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(999);
    for (const r of refused) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('SEAT_UNAVAILABLE');
    }
    const ms = results.map((r) => r.ms).sort((a, b) => a - b);
    console.log(
      `hold storm: 1,000 requests, ${writes} reached the database write; latency p50 ${percentile(ms, 50).toFixed(1)} ms, p99 ${percentile(ms, 99).toFixed(1)} ms`,
    );
    expect(writes).toBeLessThan(1_000); // the Redis locks kept most requests away
    expect(await doubleBookings(servers[0]!)).toEqual([]);
  });

  it('500 fans holding random overlapping sets of 1-4 seats among 50: no seat in two live holds, only SPEC answers', async () => {
    const { scheduleId, fans, seatIds } = await setup(500, 50);
    const picks = fans.map(() => {
      const n = 1 + Math.floor(Math.random() * 4);
      return [
        ...new Set(
          Array.from({ length: n }, () => seatIds[Math.floor(Math.random() * seatIds.length)]!),
        ),
      ];
    });
    const results = await Promise.all(
      fans.map((fan, i) => holdFrom(i, fan, scheduleId, picks[i]!)),
    );
    for (const r of results) {
      if (r.status !== 201) {
        expect(r.status).toBe(409);
        expect(SPEC_ANSWERS.has(r.body.error.code)).toBe(true);
      }
    }
    const held = results
      .filter((r) => r.status === 201)
      .flatMap((r) => r.body.seats.map((s: { id: number }) => s.id));
    expect(new Set(held).size).toBe(held.length);
    expect(held.length).toBeGreaterThan(0);
    expect(await doubleBookings(servers[0]!)).toEqual([]);
  });
});
