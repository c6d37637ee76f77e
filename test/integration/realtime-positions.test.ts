import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { QueueStatus } from '@lineup/client-sdk/contract';
import type { RunningServer } from '../../src/server.js';
import type { QueueEvent } from '../../src/modules/queue/queue.events.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { commandCalls, startPrivateRedis, type PrivateRedis } from '../support/redis-server.js';
import { startCluster } from '../support/server.js';
import { connected, firstEvent, queueSocket, seen, type FanSocket } from '../support/sockets.js';
import { bulkFans, type TestFan } from '../support/users.js';
import { until } from '../support/wait.js';

// Three instances on a private redis-server, so INFO commandstats counts only this deployment.
let db: TestDatabase;
let redisServer: PrivateRedis;
let probe: Redis;
let servers: RunningServer[];
let api: Client;
const sockets: FanSocket[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  redisServer = await startPrivateRedis();
  probe = new Redis(redisServer.url);
  servers = await startCluster(3, db.url, {
    REDIS_URL: redisServer.url,
    QUEUE_TICK_MS: '100',
    LEADER_LEASE_MS: '1000',
  });
  api = client(servers[0]!.url);
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await Promise.all(servers?.map((s) => s.close()) ?? []);
  probe?.disconnect();
  await redisServer?.stop();
  await db?.drop();
});

type Tick = Extract<QueueEvent, { type: 'tick' }>;
function recordTicks(concertId: number): Tick[] {
  const ticks: Tick[] = [];
  for (const s of servers)
    s.services.queueEvents.subscribe(
      (e) => e.type === 'tick' && e.concertId === concertId && ticks.push(e),
    );
  return ticks;
}

async function joinAndConnect(concertId: number, fans: TestFan[]) {
  const joined = await Promise.all(
    fans.map(async (fan) => {
      const res = await api.post(`/concerts/${concertId}/queue`, undefined, { token: fan.token });
      return { fan, token: res.body.queueToken as string, initial: res.body.position as number };
    }),
  );
  return joined;
}

async function connectAll(entries: { token: string }[], offset: number): Promise<FanSocket[]> {
  const opened = entries.map((e, i) => queueSocket(servers[(i + offset) % 3]!.url, e.token));
  sockets.push(...opened);
  await Promise.all(opened.map(connected));
  await Promise.all(opened.map((s) => firstEvent(s, 'queue:status')));
  return opened;
}

/** Redis commands per admission tick, averaged over a window of ticks. */
async function commandsPerTick(ticks: Tick[], windowMs = 2_000): Promise<number> {
  const before = await commandCalls(probe);
  const firstTick = ticks.length;
  await sleep(windowMs);
  const after = await commandCalls(probe);
  const count = ticks.length - firstTick;
  const total = Object.entries(after).reduce(
    (sum, [cmd, n]) => (cmd === 'info' ? sum : sum + n - (before[cmd] ?? 0)),
    0,
  );
  return total / count;
}

describe('positions pushed to 1,000 waiting sockets on 3 instances', () => {
  it('cost the same Redis commands per tick for 100 and 1,000 sockets, only decrease, and equal the true rank', async () => {
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, {
      paused: true,
      maxActive: 25,
      admitPerMinute: 60_000,
      maxWaiting: 5_000,
    });
    const ticks = recordTicks(concertId);
    const joined = await joinAndConnect(concertId, await bulkFans(servers[0]!, 1_000));
    expect(new Set(joined.map((j) => j.initial)).size).toBe(1_000);

    const first = await connectAll(joined.slice(0, 100), 0);
    const at100 = await commandsPerTick(ticks);
    const rest = await connectAll(joined.slice(100), 100);
    const at1000 = await commandsPerTick(ticks);
    console.log(
      `Redis commands per tick: 100 waiting sockets = ${at100.toFixed(1)}, 1,000 waiting sockets = ${at1000.toFixed(1)}`,
    );
    expect(Math.abs(at1000 - at100)).toBeLessThanOrEqual(3);

    const all = [...first, ...rest];
    const admittedAt = new Map<FanSocket, number>();
    all.forEach((s) =>
      s.on('queue:admitted', () => {
        admittedAt.set(s, seen(s, 'queue:status').length);
        // Finish the admission at once so the next batch can come in.
        const fan = joined[all.indexOf(s)]!.fan;
        void servers[1]!.services.queue.endAdmission(fan.id, concertId);
      }),
    );
    await setQueuePolicy(api, concertId, { paused: false });
    await until(() => admittedAt.size === 1_000, 60_000, 'every socket admitted');

    // The true rank of a fan after tick t is its initial place minus everyone admitted so far.
    ticks.sort((a, b) => a.tick - b.tick);
    const admittedSoFar = [0];
    for (const t of ticks) admittedSoFar.push(admittedSoFar.at(-1)! + t.admittedTickets.length);
    const batch = Math.max(...ticks.map((t) => t.admittedTickets.length));
    expect(batch).toBeLessThanOrEqual(25);
    expect(ticks.filter((t) => t.admittedTickets.length > 0).length).toBeGreaterThan(30); // many batches

    all.forEach((socket, i) => {
      const { initial } = joined[i]!;
      const trueRanks = new Set(admittedSoFar.map((n) => initial - n));
      const statuses = seen(socket, 'queue:status').slice(
        0,
        admittedAt.get(socket),
      ) as QueueStatus[];
      const positions = statuses.map((s) => s.position!);
      expect(positions[0]).toBe(initial);
      for (let k = 1; k < positions.length; k++)
        expect(positions[k]).toBeLessThanOrEqual(positions[k - 1]!);
      for (const p of positions) expect(trueRanks.has(p)).toBe(true);
      // At the front when admitted: within the batch that admitted it.
      expect(positions.at(-1)).toBeGreaterThanOrEqual(1);
      expect(positions.at(-1)).toBeLessThanOrEqual(batch);
      expect(statuses.every((s) => s.status === 'waiting')).toBe(true);
    });
  });

  it('count every waiting fan down to position 1 before admission when admissions come one at a time', async () => {
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, { paused: true, maxActive: 1, admitPerMinute: 60_000 });
    const joined = await joinAndConnect(concertId, await bulkFans(servers[0]!, 20));
    const all = await connectAll(joined, 0);
    const admitted = new Set<FanSocket>();
    all.forEach((s, i) =>
      s.on('queue:admitted', () => {
        admitted.add(s);
        void servers[2]!.services.queue.endAdmission(joined[i]!.fan.id, concertId);
      }),
    );
    await setQueuePolicy(api, concertId, { paused: false });
    await until(() => admitted.size === 20, 30_000, 'all admitted');
    all.forEach((s, i) => {
      const positions = seen(s, 'queue:status').map((st) => st.position);
      // Every place from the initial one down to 1, in order (repeats are heartbeats).
      expect([...new Set(positions)]).toEqual(
        Array.from({ length: joined[i]!.initial }, (_, k) => joined[i]!.initial - k),
      );
    });
  });
});

describe('a fan admitted while its socket is still in the handshake', () => {
  it('is told of the admission it missed (the queue:admitted went out before it joined its room)', async () => {
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, { paused: true, maxActive: 5 });
    const [fan] = await bulkFans(servers[0]!, 1);
    const { token } = (await joinAndConnect(concertId, [fan!]))[0]!;
    const statusOf = async () =>
      (await api.get('/queue/status', { headers: { 'x-queue-token': token } })).body.status;

    // Runs after the gateway's own middleware has read the fan's entry ("waiting") and before
    // the connection: the line admits the fan right there, and its queue:admitted is sent.
    servers[0]!.gateway.io.of('/queue').use((socket, next) => {
      if (socket.data.claims?.userId !== fan!.id) return next();
      void (async () => {
        await setQueuePolicy(api, concertId, { paused: false });
        await until(async () => (await statusOf()) === 'active', 10_000, 'admitted');
        await sleep(300); // the tick's events reach every instance over Redis
        next();
      })();
    });
    const socket = queueSocket(servers[0]!.url, token);
    sockets.push(socket);
    await connected(socket);
    const admitted = await firstEvent(socket, 'queue:admitted', 5_000);
    expect(admitted).toMatchObject({ concertId, activeUntil: expect.any(String) });
    expect(seen(socket, 'queue:status').at(-1)).toMatchObject({ status: 'active' });
  });
});

describe('the heartbeat', () => {
  it('tells a waiting fan its place at least every QUEUE_PUSH_INTERVAL_MS, about once per interval', async () => {
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, { paused: true }); // nobody moves: only heartbeats
    const [fan] = await bulkFans(servers[0]!, 1);
    const { token } = (await joinAndConnect(concertId, [fan!]))[0]!;
    const socket = queueSocket(servers[1]!.url, token);
    sockets.push(socket);
    const at: number[] = [];
    socket.on('queue:status', () => at.push(Date.now()));
    await connected(socket);
    await sleep(4_200);
    socket.disconnect();

    const interval = servers[1]!.config.queue.pushIntervalMs;
    // From the last of the pushes at connect (there may be two within a few ms) on: heartbeats.
    const beats = at.filter((t) => t - at[0]! > 100);
    const gaps = [beats[0]! - at[0]!, ...beats.slice(1).map((t, i) => t - beats[i]!)];
    // The bound, with room for timer lateness on a loaded machine; and no double pushes.
    expect(Math.max(...gaps)).toBeLessThanOrEqual(interval + 150);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(interval * 0.8);
    expect(beats.length).toBeGreaterThanOrEqual(3);
  });
});
