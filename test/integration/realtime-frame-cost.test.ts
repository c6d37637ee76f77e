import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { RunningServer } from '../../src/server.js';
import { QueueTokens } from '../../src/modules/queue/queue-tokens.crypto.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client } from '../support/http.js';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { commandCalls, startPrivateRedis, type PrivateRedis } from '../support/redis-server.js';
import { startCluster } from '../support/server.js';
import { until } from '../support/wait.js';

// SPEC §5 "Cost": keeping N waiting sockets informed costs O(1) Redis commands and O(1)
// encodings per tick per concert. Two instances on a private redis-server (INFO commandstats is
// server-wide), the leader ticked by hand, 100 then 10,000 lightweight raw sockets.
let db: TestDatabase;
let redisServer: PrivateRedis;
let probe: Redis;
let servers: RunningServer[] = [];
let fans: ChildProcess | undefined;

interface FansReport {
  minLastFrame: number;
  statusesPerFan: [number, number];
  frames: number;
}

/** Sends a message to the raw sockets' process and waits for the answer carrying `key`. */
function ask<T>(message: object, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (answer: Record<string, unknown>) => {
      if (answer.error) reject(new Error(String(answer.error)));
      else if (key in answer) resolve(answer[key] as T);
      else return;
      fans!.off('message', onMessage);
    };
    fans!.on('message', onMessage);
    fans!.send(message);
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  redisServer = await startPrivateRedis();
  probe = new Redis(redisServer.url);
  servers = await startCluster(
    2,
    db.url,
    {
      REDIS_URL: redisServer.url,
      SOCKETS_PER_IP: '20000',
      QUEUE_MAX_WAITING: '20000',
      // No timer may add commands or frames inside a measured tick: signs of life every 20 min,
      // the stalled-line heartbeat every 150 s (ticks here are run by hand).
      ABANDON_SECONDS: '3600',
      QUEUE_PUSH_INTERVAL_MS: '600000',
      // Ticks are run by hand, with minutes of socket opening between them.
      LEADER_LEASE_MS: '600000',
    },
    { startLeader: false },
  );
  // Booking's leader chores (seat-filter repair every SEAT_RECONCILE_MS, hold expiry) read Redis
  // on their own timers: one landing inside a slow measured tick was counted as the tick's.
  for (const s of servers) s.services.bookingChores.stop();
});
afterAll(async () => {
  fans?.kill();
  await Promise.all(servers.map((s) => s.close()));
  probe?.disconnect();
  await redisServer?.stop();
  await db?.drop();
});

interface TickCost {
  commands: number;
  byCommand: Record<string, number>;
  encodings: number;
}

/** Runs one tick by hand and waits until every socket has its frame. */
async function oneTick(): Promise<TickCost> {
  let encodings = 0;
  const restore = servers.map((s) => {
    const encoder = s.gateway.io.encoder;
    const encode = encoder.encode.bind(encoder);
    encoder.encode = (packet) => (encodings++, encode(packet));
    return () => (encoder.encode = encode);
  });
  try {
    const leader = servers[0]!.services.queueLeader;
    await leader.maintainLease();
    expect(leader.isLeader).toBe(true);
    const before = await commandCalls(probe);
    const last = (await ask<FansReport>({ report: true }, 'report')).minLastFrame;
    await leader.tick();
    await until(
      async () => (await ask<FansReport>({ report: true }, 'report')).minLastFrame > last,
      60_000,
      'every socket has the frame',
    );
    const after = await commandCalls(probe);
    const byCommand: Record<string, number> = {};
    for (const [cmd, calls] of Object.entries(after)) {
      const delta = calls - (before[cmd] ?? 0);
      if (delta > 0 && cmd !== 'info') byCommand[cmd] = delta;
    }
    const commands = Object.values(byCommand).reduce((a, b) => a + b, 0);
    return { commands, byCommand, encodings };
  } finally {
    for (const r of restore) r();
  }
}

describe('keeping waiting sockets informed', () => {
  it('costs the same Redis commands and encodings per tick for 100 and 10,000 sockets', async () => {
    const api = client(servers[0]!.url);
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, { paused: true, maxWaiting: 20_000 });
    const store = servers[0]!.services.queueStore;
    await store.registerConcert(concertId);
    const queueTokens = new QueueTokens(servers[0]!.config.queueTokenSecret);
    const tokens: string[] = [];
    for (let i = 0; i < 10_000; i += 500) {
      tokens.push(
        ...(await Promise.all(
          Array.from({ length: 500 }, async (_, j) => {
            const userId = 1_000_000 + i + j;
            const joined = await store.join(concertId, userId, Date.now() - 60_000, 20_000);
            return queueTokens.sign({ userId, concertId, eid: joined.eid! });
          }),
        )),
      );
    }
    const leader = servers[0]!.services.queueLeader;
    await leader.maintainLease();
    expect(leader.isLeader).toBe(true);
    const urls = servers.map((s) => s.url);

    // The raw sockets live in a child process (10,000 of them and their server ends would not
    // fit in this process's file descriptors).
    fans = fork(fileURLToPath(new URL('../support/raw-fan-process.mjs', import.meta.url)));
    await new Promise((resolve) => fans!.once('message', resolve)); // ready
    expect(await ask({ open: { urls, tokens: tokens.slice(0, 100) } }, 'opened')).toBe(100);
    await oneTick(); // warm-up: scripts loaded, every instance has seen the line
    const small = await oneTick();
    expect(await ask({ open: { urls, tokens: tokens.slice(100) } }, 'opened')).toBe(10_000);
    await oneTick();
    const large = await oneTick();

    console.log(
      `per tick: 100 sockets = ${small.commands} Redis commands, ${small.encodings} encodings; ` +
        `10,000 sockets = ${large.commands} Redis commands, ${large.encodings} encodings`,
    );
    console.log('  100:', JSON.stringify(small.byCommand));
    console.log('  10,000:', JSON.stringify(large.byCommand));
    // One encoding per instance (the frame, broadcast to its room), whatever the sockets.
    expect(small.encodings).toBe(servers.length);
    expect(large.encodings).toBe(servers.length);
    // The tick's scripts and one adapter message: the same commands for 100 and 10,000 sockets.
    expect(small.byCommand.publish).toBe(1);
    expect(large.commands).toBe(small.commands);
    // Each socket got no status after its first one (frames only).
    const report = await ask<FansReport>({ report: true }, 'report');
    expect(report.statusesPerFan).toEqual([1, 1]);
  }, 300_000);
});
