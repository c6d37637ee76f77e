import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueConnection } from '@lineup/client-sdk';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, sql, type TestDatabase } from '../support/db.js';
import {
  admittedFans,
  doubleBookings,
  ledgerMismatches,
  type AdmittedFan,
} from '../support/booking.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type HttpResponse } from '../support/http.js';
import { flushPrefix, startCluster } from '../support/server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { bulkFans } from '../support/users.js';
import { until } from '../support/wait.js';

// SIGTERM runs RunningServer.close() (src/main.ts); here one of three instances behind a load
// balancer gets it while fans wait on sockets and others hold and pay.
let db: TestDatabase;
let servers: RunningServer[];
let proxy: TcpProxy;
const connections: QueueConnection[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  servers = await startCluster(3, db.url, { QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' });
  proxy = await startTcpProxy(servers.map((s) => `127.0.0.1:${s.port}`));
});
afterAll(async () => {
  for (const c of connections) c.close();
  await Promise.all(servers?.map((s) => s.close()) ?? []);
  await proxy?.close();
  if (servers?.[0]) await flushPrefix(servers[0].config.redisKeyPrefix);
  await db?.drop();
});

/** What a client does on a dropped connection: send the same request again (same key). */
async function withRetry(send: () => Promise<HttpResponse>): Promise<HttpResponse> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

describe('an instance shut down while fans wait and book', () => {
  it('finishes its requests, moves its sockets to the others, and loses no place or booking', async () => {
    const api = client(proxy.url);
    const waitingLine = await createConcert(api);
    await setQueuePolicy(api, waitingLine.concertId, { paused: true });
    const waiting = await bulkFans(servers[0]!, 30);
    const positions = new Map<number, number>();
    for (const fan of waiting) {
      const res = await api.post(`/concerts/${waitingLine.concertId}/queue`, undefined, {
        token: fan.token,
      });
      positions.set(fan.id, res.body.position);
      connections.push(
        new QueueConnection({
          baseUrl: proxy.url,
          queueToken: res.body.queueToken,
          socket: { reconnectionDelay: 100, reconnectionDelayMax: 500 },
        }).connect(),
      );
    }
    await until(
      () => connections.every((c) => c.connected && c.status !== undefined),
      15_000,
      'sockets connected',
    );

    const sale = await createConcert(api, { seats: 40 });
    await setQueuePolicy(api, sale.concertId, { maxActive: 40, admitPerMinute: 600_000 });
    const buyers = await admittedFans(servers[0]!, sale.concertId, 40);
    const seats = (await api.get(`/schedules/${sale.scheduleIds[0]}/seats`, buyers[0]!.auth))
      .body as { id: number }[];
    const victim = servers[1]!;
    const onVictim = () => victim.gateway.localSockets;
    expect(onVictim()).toBeGreaterThan(0);

    const book = async (fan: AdmittedFan, i: number) => {
      const hold = await withRetry(() =>
        api.post(
          '/reservations',
          { scheduleId: sale.scheduleIds[0], seatIds: [seats[i]!.id] },
          { ...fan.auth, headers: { ...fan.auth.headers, 'idempotency-key': `h-${fan.id}` } },
        ),
      );
      const paid = await withRetry(() =>
        api.post(`/reservations/${hold.body.id}/payment`, undefined, {
          token: fan.token,
          headers: { 'idempotency-key': `p-${fan.id}` },
        }),
      );
      return { hold, paid };
    };
    const bookings = Promise.all(buyers.map(book));
    await new Promise((r) => setTimeout(r, 20));
    await victim.close(); // what SIGTERM does

    const results = await bookings;
    for (const { hold, paid } of results) {
      expect(hold.status).toBe(201);
      expect(paid.status).toBe(200);
    }
    // Every socket is connected again, elsewhere, with the place it had.
    await until(() => connections.every((c) => c.connected), 15_000, 'sockets reconnected');
    expect(
      servers.filter((s) => s !== victim).reduce((n, s) => n + s.gateway.localSockets, 0),
    ).toBe(30);
    await until(
      () => connections.every((c, i) => c.status?.position === positions.get(waiting[i]!.id)),
      10_000,
      'positions restored',
    );
    const [line] = await sql<{ n: number }>(db.url, `select count(*)::int as n from payments`);
    expect(line!.n).toBe(40);
    expect(await ledgerMismatches(servers[0]!)).toEqual([]);
    expect(await doubleBookings(servers[0]!)).toEqual([]);
    const stats = await client(servers[0]!.url).get(
      `/admin/concerts/${waitingLine.concertId}/queue`,
      { token: 'test-admin-token' },
    );
    expect(stats.body.waiting).toBe(30);
  });
});
