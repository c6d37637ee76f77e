import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningServer } from '../../src/server.js';
import { admittedFans, type AdmittedFan } from '../support/booking.js';
import { createTestDatabase, sql, type TestDatabase } from '../support/db.js';
import { REDIS_URL } from '../support/env.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { flushPrefix, startTestServer } from '../support/server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { bulkFans } from '../support/users.js';
import { until } from '../support/wait.js';
import { connected, nextEvent, queueSocket } from '../support/sockets.js';

// Redis stays up (the queue must survive), but the app reaches it through a proxy we cut.
let db: TestDatabase;
let proxy: TcpProxy;
let server: RunningServer;
let api: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  const target = new URL(REDIS_URL);
  proxy = await startTcpProxy([`${target.hostname}:${target.port || 6379}`]);
  server = await startTestServer(db.url, {
    REDIS_URL: proxy.url.replace('http:', 'redis:'),
    QUEUE_TICK_MS: '50',
    LEADER_LEASE_MS: '600',
    SEAT_RECONCILE_MS: '250',
  });
  api = client(server.url);
});
afterAll(async () => {
  await server?.close();
  await proxy?.close();
  if (server) await flushPrefix(server.config.redisKeyPrefix);
  await db?.drop();
});

describe('Redis unreachable for 5 s', () => {
  it('keeps the process up, answers 503 (readyz and queue), then resumes with the line intact', async () => {
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, { paused: true, maxActive: 2 });
    const fans = await bulkFans(server, 5);
    const tokens: string[] = [];
    for (const f of fans)
      tokens.push(
        (await api.post(`/concerts/${concertId}/queue`, undefined, { token: f.token })).body
          .queueToken,
      );
    const statusOf = (t: string) => api.get('/queue/status', { headers: { 'x-queue-token': t } });
    const before = await Promise.all(tokens.map(async (t) => (await statusOf(t)).body.position));
    expect(before).toEqual([1, 2, 3, 4, 5]);

    const backends = proxy.backends;
    proxy.backends = [];
    proxy.dropAll();
    const cutAt = Date.now();
    await until(async () => (await api.get('/readyz')).status === 503, 5_000, 'readyz 503');
    const ready = await api.get('/readyz');
    expect(ready.body.error).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      details: { checks: { redis: 'down', postgres: 'up' } },
    });
    const join = await api.post(`/concerts/${concertId}/queue`, undefined, {
      token: (await bulkFans(server, 1))[0]!.token,
    });
    expect(join.status).toBe(503);
    expect(join.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect((await statusOf(tokens[0]!)).body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect((await api.get('/healthz')).status).toBe(200); // the process is up
    expect((await api.get('/concerts')).status).toBe(200); // what needs only PostgreSQL still works
    await sleep(Math.max(0, 5_000 - (Date.now() - cutAt)));

    proxy.backends = backends;
    await until(async () => (await api.get('/readyz')).status === 200, 15_000, 'readyz 200 again');
    const after = await Promise.all(tokens.map(async (t) => (await statusOf(t)).body.position));
    expect(after).toEqual(before);
    // The leader took its lease back: admissions resume.
    await setQueuePolicy(api, concertId, { paused: false });
    await until(
      async () => (await statusOf(tokens[1]!)).body.status === 'active',
      10_000,
      'admissions resumed',
    );
  });
});

describe('Redis partitioned: connections stay open, nothing answers', () => {
  it('answers 503 within seconds instead of hanging, and the same connection works once healed', async () => {
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, { paused: true });
    const [fan] = await bulkFans(server, 1);
    const joined = await api.post(`/concerts/${concertId}/queue`, undefined, { token: fan!.token });
    const headers = { 'x-queue-token': joined.body.queueToken as string };

    proxy.partition(true);
    try {
      const startedAt = Date.now();
      // Without a command timeout the command waits for TCP to give up: many minutes.
      const status = await Promise.race([
        api.get('/queue/status', { headers }),
        sleep(20_000).then(() => ({ status: 0, body: 'still waiting after 20 s' })),
      ]);
      expect(status.status).toBe(503);
      expect(status.body.error.code).toBe('SERVICE_UNAVAILABLE');
      expect(Date.now() - startedAt).toBeLessThan(10_000);
    } finally {
      proxy.partition(false);
    }
    // The bytes held during the partition arrive in order: the connection is not desynchronised.
    await until(async () => (await api.get('/readyz')).status === 200, 15_000, 'readyz 200');
    const after = await api.get('/queue/status', { headers });
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ concertId, status: 'waiting', position: 1 });
  });
});

describe('an instance that boots while Redis is unreachable', () => {
  it('stays up and, once Redis returns, hears the other instances over the socket.io adapter', async () => {
    const target = new URL(REDIS_URL);
    const cut = await startTcpProxy([]);
    // Same deployment (key prefix) as `server`, which stays the only leader.
    const late = await startTestServer(
      db.url,
      {
        REDIS_URL: cut.url.replace('http:', 'redis:'),
        REDIS_KEY_PREFIX: server.config.redisKeyPrefix,
        QUEUE_TICK_MS: '50',
      },
      { startLeader: false },
    );
    try {
      const lateApi = client(late.url);
      expect((await lateApi.get('/readyz')).status).toBe(503);
      await sleep(1_500); // long enough for every command of the boot to have failed
      cut.backends = [`${target.hostname}:${target.port || 6379}`];
      await until(async () => (await lateApi.get('/readyz')).status === 200, 15_000, 'late ready');

      const { concertId, scheduleIds } = await createConcert(api);
      await setQueuePolicy(api, concertId, { maxActive: 5 });
      const [fan] = await bulkFans(server, 1);
      const queueToken = (await api.post(`/concerts/${concertId}/queue`, undefined, fan!)).body
        .queueToken as string;
      await until(
        async () =>
          (await api.get('/queue/status', { headers: { 'x-queue-token': queueToken } })).body
            .status === 'active',
        10_000,
        'fan admitted',
      );
      const socket = await connected(queueSocket(late.url, queueToken));
      try {
        const scheduleId = scheduleIds[0]!;
        expect(await socket.emitWithAck('seats:subscribe', { scheduleId })).toMatchObject({
          ok: true,
        });
        // Published by the other instance: it reaches this socket only through Redis pub/sub,
        // so only if the late instance's subscriptions were made once Redis came back.
        const change = {
          scheduleId,
          availableSeats: 19,
          version: 1,
          changes: [{ seatId: 1, status: 'held' as const }],
        };
        const received = nextEvent(socket, 'seats:changed', 5_000);
        server.services.seatEvents.seatsChanged(change);
        expect(await received).toEqual(change);
      } finally {
        socket.disconnect();
      }
    } finally {
      await late.close();
      await cut.close();
    }
  });
});

describe('Redis cut while a refund or a cancel commits (SPEC §3.6)', () => {
  it.each(['refund', 'cancel'] as const)(
    '%s: the seat is holdable again within seconds of Redis coming back',
    async (kind) => {
      const { concertId, scheduleIds } = await createConcert(api, { seats: 10 });
      const scheduleId = scheduleIds[0]!;
      await setQueuePolicy(api, concertId, { maxActive: 10, admitPerMinute: 60_000 });
      const [owner, other] = await admittedFans(server, concertId, 2);
      const seats = await api.get(`/schedules/${scheduleId}/seats`, owner!.auth);
      const seatId = (seats.body as { id: number }[])[0]!.id;
      const hold = (fan: AdmittedFan) =>
        api.post('/reservations', { scheduleId, seatIds: [seatId] }, fan.auth);
      const held = await hold(owner!);
      expect(held.status).toBe(201);
      if (kind === 'refund') {
        const paid = await api.post(`/reservations/${held.body.id}/payment`, undefined, owner!);
        expect(paid.status).toBe(200);
      }
      expect((await hold(other!)).body.error.code).toBe('SEAT_UNAVAILABLE');

      const backends = proxy.backends;
      proxy.backends = [];
      proxy.dropAll();
      try {
        // Only PostgreSQL is needed to give the seat back; clearing it in Redis fails.
        const undone =
          kind === 'refund'
            ? await api.post(`/reservations/${held.body.id}/refund`, undefined, owner!)
            : await api.del(`/reservations/${held.body.id}`, owner!);
        expect(undone.status).toBe(200);
      } finally {
        proxy.backends = backends;
      }
      const [row] = await sql(
        db.url,
        `select status from schedule_seats where schedule_id = $1 and seat_id = $2`,
        [scheduleId, seatId],
      );
      expect(row!.status).toBe('available');
      await until(async () => (await api.get('/readyz')).status === 200, 15_000, 'Redis back');
      await until(async () => (await hold(other!)).status === 201, 5_000, 'seat holdable again');
    },
  );
});
