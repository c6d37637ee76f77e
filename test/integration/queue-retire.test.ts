import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { REDIS_URL } from '../support/env.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { useTestServer } from '../support/server.js';
import { connected, firstEvent, queueSocket } from '../support/sockets.js';
import { bulkFans } from '../support/users.js';
import { until } from '../support/wait.js';

// After a concert (every schedule started) its line leaves the leader's work and Redis.
const ctx = useTestServer({ QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' });
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  redis?.disconnect();
});

/** Every Redis key of one concert's line (they share the hash tag), with its time to live. */
async function keysOf(concertId: number): Promise<Map<string, number>> {
  const tag = `${ctx.server.config.redisKeyPrefix}{c:${concertId}}:`;
  const keys = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${tag}*`, 'COUNT', 1000);
    for (const key of batch) keys.set(key.slice(tag.length), await redis.ttl(key));
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

describe('a concert whose schedules have all started', () => {
  it('leaves the leader’s work, its fans are told the line closed, and its Redis keys go', async () => {
    const startsAt = Date.now() + 4_000;
    const { concertId } = await createConcert(ctx.api, { startsInDays: 4 / 86_400 });
    const { concertId: running } = await createConcert(ctx.api); // another concert, still on sale
    await setQueuePolicy(ctx.api, concertId, { maxActive: 1, paused: true });
    const [admitted, waiting, other] = await bulkFans(ctx.server, 3);
    const tokens: string[] = [];
    for (const fan of [admitted!, waiting!]) {
      const res = await ctx.api.post(`/concerts/${concertId}/queue`, undefined, {
        token: fan.token,
      });
      tokens.push(res.body.queueToken);
    }
    await ctx.api.post(`/concerts/${running}/queue`, undefined, { token: other!.token });
    const sockets = await Promise.all(tokens.map((t) => connected(queueSocket(ctx.server.url, t))));
    await setQueuePolicy(ctx.api, concertId, { paused: false });
    await firstEvent(sockets[0]!, 'queue:admitted');
    let ticks = 0;
    ctx.server.services.queueEvents.subscribe(
      (e) => e.type === 'tick' && e.frame.concertId === concertId && ticks++,
    );
    const registered = () => ctx.server.services.queueStore.concerts();
    expect(await registered()).toContain(concertId);
    expect((await keysOf(concertId)).has('waiting')).toBe(true);

    await until(async () => !(await registered()).includes(concertId), 10_000, 'line retired');
    expect(Date.now()).toBeGreaterThanOrEqual(startsAt);
    expect(await registered()).toContain(running);
    for (const socket of sockets) {
      expect(await firstEvent(socket, 'queue:ended')).toEqual({ concertId, reason: 'closed' });
      socket.disconnect();
    }

    // No more ticks for it; of its keys only ended records and the tombstone stay, expiring.
    const ticksThen = ticks;
    await sleep(300);
    expect(ticks).toBe(ticksThen);
    const left = await keysOf(concertId);
    expect([...left.keys()].sort()).toEqual(['ended', 'meta']);
    for (const ttl of left.values()) expect(ttl).toBeGreaterThan(0);
    expect(left.get('ended')).toBeLessThanOrEqual(86_400);

    const status = await ctx.api.get('/queue/status', { headers: { 'x-queue-token': tokens[1]! } });
    expect(status.status).toBe(410);
    expect(status.body.error.details.reason).toBe('closed');
    const late = await ctx.api.post(`/concerts/${concertId}/queue`, undefined, {
      token: waiting!.token,
    });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('SALE_ENDED');
  });
});
