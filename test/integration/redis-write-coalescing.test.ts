import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createRedis } from '../../src/infra/redis/client.js';
import { REDIS_URL } from '../support/env.js';
import { testKeyPrefix } from '../support/server.js';

// The app's Redis connection sends the commands of one event-loop turn in one socket write
// (src/infra/redis/client.ts): under a join storm each turn serves many requests, and a write
// per command cost a syscall and a wake-up of Redis per join. Counted on the real socket.
let redis: Redis;
const prefix = testKeyPrefix();

beforeAll(async () => {
  redis = createRedis({ redisUrl: REDIS_URL, redisClusterNodes: null }) as Redis;
  await redis.ping();
});
afterAll(async () => {
  await redis.del(`${prefix}n`);
  redis.disconnect();
});

/** Socket writes (one per write syscall) of `client` while `work` runs. */
async function socketWrites(work: () => Promise<unknown>, client: Redis = redis): Promise<number> {
  const socket = client.stream as unknown as Record<
    '_write' | '_writev',
    (...a: unknown[]) => void
  >;
  const [single, vector] = [socket._write, socket._writev];
  let writes = 0;
  socket._write = (...a) => {
    writes++;
    single.apply(socket, a);
  };
  socket._writev = (...a) => {
    writes++;
    vector.apply(socket, a);
  };
  try {
    await work();
  } finally {
    socket._write = single;
    socket._writev = vector;
  }
  return writes;
}

describe('the app Redis connection', () => {
  it('sends the commands of one event-loop turn in one write, in order, answering each', async () => {
    const key = `${prefix}n`;
    let replies: unknown[] = [];
    const writes = await socketWrites(async () => {
      replies = await Promise.all(Array.from({ length: 50 }, () => redis.incr(key)));
    });
    expect(writes).toBe(1);
    expect(replies).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('does not hold a command past its turn', async () => {
    const key = `${prefix}n`;
    const writes = await socketWrites(async () => {
      for (let i = 0; i < 3; i++) await redis.get(key); // one turn each
    });
    expect(writes).toBe(3);
  });

  it("coalesces on its duplicates too (the socket.io adapter's publisher)", async () => {
    const pub = redis.duplicate();
    try {
      await pub.ping();
      const writes = await socketWrites(
        () =>
          Promise.all(Array.from({ length: 20 }, (_, i) => pub.publish(`${prefix}ch`, String(i)))),
        pub,
      );
      expect(writes).toBe(1);
    } finally {
      pub.disconnect();
    }
  });
});
