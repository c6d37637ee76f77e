import { Redis } from 'ioredis';

/**
 * A Redis connection that fails fast when Redis is unreachable (a request gets 503 within a
 * second or so rather than hanging) and keeps reconnecting in the background.
 */
export function createRedis(url: string, name = 'lineup'): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 2,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 100, 1_000),
  });
}
