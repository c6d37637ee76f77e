import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client } from '../support/http.js';
import { commandCalls, startPrivateRedis, type PrivateRedis } from '../support/redis-server.js';
import { startTestServer } from '../support/server.js';

// SPEC §5 "Cost": a tick must not cost O(waiting fans) Redis commands. Measured on a private
// redis-server (INFO commandstats is server-wide), counting commands run inside scripts too.
let db: TestDatabase;
let redisServer: PrivateRedis;
let probe: Redis;
const servers: RunningServer[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  redisServer = await startPrivateRedis();
  probe = new Redis(redisServer.url);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  probe?.disconnect();
  await redisServer?.stop();
  await db?.drop();
});

/** One deployment (own key prefix) with one concert and `waiting` fans in line. */
async function lineOf(waiting: number): Promise<RunningServer> {
  const server = await startTestServer(
    db.url,
    { REDIS_URL: redisServer.url },
    { startLeader: false },
  );
  servers.push(server);
  // Booking's leader chores read Redis on their own timers; none may land inside a measured tick.
  server.services.bookingChores.stop();
  const api = client(server.url);
  const { concertId } = await createConcert(api);
  await setQueuePolicy(api, concertId, { maxActive: 5, maxWaiting: 20_000 });
  const store = server.services.queueStore;
  await store.registerConcert(concertId);
  for (let i = 0; i < waiting; i += 1_000) {
    await Promise.all(
      Array.from({ length: Math.min(1_000, waiting - i) }, (_, j) =>
        store.join(concertId, 100_000 + i + j, Date.now() - 60_000, 20_000),
      ),
    );
  }
  await server.services.queueLeader.maintainLease();
  expect(server.services.queueLeader.isLeader).toBe(true);
  return server;
}

async function commandsOfOneTick(
  server: RunningServer,
): Promise<{ total: number; byCommand: Record<string, number> }> {
  const before = await commandCalls(probe);
  await server.services.queueLeader.tick();
  const after = await commandCalls(probe);
  const byCommand: Record<string, number> = {};
  for (const [cmd, calls] of Object.entries(after)) {
    const delta = calls - (before[cmd] ?? 0);
    if (delta > 0 && cmd !== 'info') byCommand[cmd] = delta;
  }
  return { total: Object.values(byCommand).reduce((a, b) => a + b, 0), byCommand };
}

describe('cost of an admission tick', () => {
  it('is the same number of Redis commands for 10 and for 10,000 waiting fans', async () => {
    // Warm-up on a separate line, so script loading (EVALSHA misses) is not counted.
    const warm = await lineOf(10);
    await warm.services.queueLeader.tick();
    await warm.services.queueLeader.stop({ release: true });

    const small = await lineOf(10);
    const smallTick = await commandsOfOneTick(small);
    await small.services.queueLeader.stop({ release: true });
    const large = await lineOf(10_000);
    const largeTick = await commandsOfOneTick(large);

    console.log(
      `Redis commands per tick: 10 waiting = ${smallTick.total}, 10,000 waiting = ${largeTick.total}`,
    );
    console.log('  10 waiting:', JSON.stringify(smallTick.byCommand));
    console.log('  10,000 waiting:', JSON.stringify(largeTick.byCommand));
    // The tick really ran its scripts (EVAL on a connection's first use of one, then EVALSHA).
    const scripts = (t: typeof smallTick) => (t.byCommand.eval ?? 0) + (t.byCommand.evalsha ?? 0);
    expect(scripts(smallTick)).toBeGreaterThan(0);
    expect(Math.abs(largeTick.total - smallTick.total)).toBeLessThanOrEqual(2);
  });
});
