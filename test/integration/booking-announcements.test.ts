import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeatsChanged } from '@lineup/client-sdk/contract';
import type { RunningServer } from '../../src/server.js';
import { coalesce } from '../../src/modules/realtime/seat-change-batches.events.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { admittedFans } from '../support/booking.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { flushPrefix, startTestServer } from '../support/server.js';
import { connected, queueSocket, seen } from '../support/sockets.js';
import { until } from '../support/wait.js';

// Seat changes are coalesced per schedule (SEAT_CHANGES_WINDOW_MS). The window here is far longer
// than the test, so nothing leaves before the explicit flush: what the socket receives is decided
// by the coalescing alone, not by timing.
let db: TestDatabase;
let server: RunningServer;
let api: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db.url, {
    QUEUE_TICK_MS: '50',
    LEADER_LEASE_MS: '600',
    SEAT_CHANGES_WINDOW_MS: '600000',
  });
  api = client(server.url);
});
afterAll(async () => {
  await server?.close();
  if (server) await flushPrefix(server.config.redisKeyPrefix);
  await db?.drop();
});

type Seat = { id: number; status: string };

describe('seats:changed coalesced per schedule', () => {
  it('delivers every change of many commits in one frame whose version a client can apply', async () => {
    const { concertId, scheduleIds } = await createConcert(api, { seats: 30 });
    const scheduleId = scheduleIds[0]!;
    await setQueuePolicy(api, concertId, { maxActive: 100, admitPerMinute: 60_000 });
    const fans = await admittedFans(server, concertId, 9);
    const watcher = fans[0]!;
    const socket = await connected(queueSocket(server.url, watcher.queueToken));
    try {
      expect(await socket.emitWithAck('seats:subscribe', { scheduleId })).toMatchObject({
        ok: true,
      });
      const before = await api.get(`/schedules/${scheduleId}/seats`, watcher.auth);
      const map = new Map((before.body as Seat[]).map((s) => [s.id, s.status]));
      let version = Number(before.headers.get('seat-map-version'));
      const ids = [...map.keys()];
      const perCommit: SeatsChanged[] = [];
      server.services.seatEvents.subscribe((p) => perCommit.push(p));

      // 8 holds of 2 seats at once, then 3 payments and a cancel: 12 commits, one after another
      // in version order on this instance.
      const held = await Promise.all(
        fans.slice(1).map(async (fan, i) => {
          const res = await api.post(
            '/reservations',
            { scheduleId, seatIds: [ids[2 * i]!, ids[2 * i + 1]!] },
            { token: fan.token, headers: fan.auth.headers },
          );
          expect(res.status).toBe(201);
          return { fan, id: res.body.id as number };
        }),
      );
      for (const { fan, id } of held.slice(0, 3)) {
        const res = await api.post(`/reservations/${id}/payment`, undefined, { token: fan.token });
        expect(res.status).toBe(200);
      }
      const { fan, id } = held[3]!;
      expect((await api.del(`/reservations/${id}`, { token: fan.token })).status).toBe(200);
      expect(perCommit).toHaveLength(12);
      expect(seen(socket, 'seats:changed')).toHaveLength(0); // still in its window

      server.services.seatEvents.flush();
      await until(() => seen(socket, 'seats:changed').length > 0, 10_000, 'seats:changed');
      const frames = seen(socket, 'seats:changed');
      expect(frames).toHaveLength(1);
      const frame = frames[0]!;
      expect(frame.changes).toHaveLength(16 + 6 + 2);
      // Applied the way the contract tells a client to (SeatsChanged.version).
      expect(frame.version - frame.changes.length).toBe(version);
      for (const c of frame.changes) map.set(c.seatId, c.status);
      version = frame.version;

      const after = await api.get(`/schedules/${scheduleId}/seats`, watcher.auth);
      expect(Number(after.headers.get('seat-map-version'))).toBe(version);
      expect(Object.fromEntries(map)).toEqual(
        Object.fromEntries((after.body as Seat[]).map((s) => [s.id, s.status])),
      );
      expect(frame.availableSeats).toBe(perCommit.at(-1)!.availableSeats);
      expect(frame.availableSeats).toBe([...map.values()].filter((s) => s === 'available').length);
    } finally {
      socket.close();
    }
  });

  it('keeps frames apart where versions leave a gap, and sends them in version order', () => {
    const frame = (version: number, seatIds: number[], availableSeats: number): SeatsChanged => ({
      scheduleId: 1,
      version,
      availableSeats,
      changes: seatIds.map((seatId) => ({ seatId, status: 'held' })),
    });
    // 11..12, then 13 (contiguous), a gap (14 came from another instance), then 15..16.
    const out = coalesce([frame(16, [7, 8], 2), frame(12, [1, 2], 6), frame(13, [3], 5)]);
    expect(out).toEqual([frame(13, [1, 2, 3], 5), frame(16, [7, 8], 2)]);
    expect(coalesce([frame(5, [1], 9)])).toEqual([frame(5, [1], 9)]);
  });
});

describe('seat locks', () => {
  it('leave no lock behind: released with the commit, on a refusal by PostgreSQL, and never taken for a refused seat', async () => {
    const { concertId, scheduleIds } = await createConcert(api, { seats: 10 });
    const scheduleId = scheduleIds[0]!;
    await setQueuePolicy(api, concertId, { maxActive: 100, admitPerMinute: 60_000 });
    const [a, b] = await admittedFans(server, concertId, 2);
    const locks = `${server.config.redisKeyPrefix}{s:${scheduleId}}:lock:seats`;
    const ids = ((await api.get(`/schedules/${scheduleId}/seats`, a!.auth)).body as Seat[]).map(
      (s) => s.id,
    );
    const hold = (fan: typeof a, seatIds: number[]) =>
      api.post(
        '/reservations',
        { scheduleId, seatIds },
        { token: fan!.token, headers: fan!.auth.headers },
      );

    expect((await hold(a, ids.slice(0, 3))).status).toBe(201);
    expect(await server.redis.hlen(locks)).toBe(0);
    // Refused by the filter in Redis: nothing locked.
    expect((await hold(b, [ids[2]!, ids[5]!])).body.error.code).toBe('SEAT_UNAVAILABLE');
    expect(await server.redis.hlen(locks)).toBe(0);
    // Locked, then refused by PostgreSQL (a fan's limit of 4): the locks go with the refusal.
    expect((await hold(a, ids.slice(5, 7))).body.error.code).toBe('SEAT_LIMIT_EXCEEDED');
    expect(await server.redis.hlen(locks)).toBe(0);
    expect((await hold(b, ids.slice(5, 7))).status).toBe(201);
  });
});
