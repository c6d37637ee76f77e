import type { RedisClient } from './redis/scripts.js';
import type { Orm } from './db/orm.js';

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref(),
    ),
  ]);
}

export type CheckResult = 'up' | 'down';

/** Asks each dependency a trivial question with a short deadline. */
export async function checkDependencies(orm: Orm, redis: RedisClient, timeoutMs = 1_000) {
  const [postgres, redisState] = await Promise.all([
    within(timeoutMs, orm.em.fork().execute('select 1')).then(
      () => 'up' as CheckResult,
      () => 'down' as CheckResult,
    ),
    within(timeoutMs, redis.ping()).then(
      () => 'up' as CheckResult,
      () => 'down' as CheckResult,
    ),
  ]);
  return { postgres, redis: redisState };
}
