import { Cluster } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisClient } from '../../infra/redis/scripts.js';

/** The commands the socket.io Redis adapters send without awaiting or catching them. */
const FIRE_AND_FORGET = [
  'publish',
  'spublish',
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
] as const;

/**
 * The socket.io Redis adapter's publisher and subscriber connections, made safe for a Redis outage.
 *
 * The adapter (`@socket.io/redis-adapter`, classic and sharded) publishes and subscribes without
 * handling the returned promise. While Redis is unreachable each of those calls rejects, and an
 * unhandled rejection ends a Node 20 process: one Redis blip during a broadcast would take every
 * instance down. Here each such rejection is logged instead.
 *
 * The subscriber also waits for Redis instead of failing its commands (no retry limit): ioredis
 * re-subscribes after a reconnect only to channels whose SUBSCRIBE succeeded, so an instance that
 * booted while Redis was down would otherwise never hear the other instances' broadcasts.
 */
export function adapterClients(
  redis: RedisClient,
  logger: Logger,
): { pub: RedisClient; sub: RedisClient } {
  const pub = redis.duplicate();
  const sub =
    redis instanceof Cluster
      ? redis.duplicate(undefined, {
          redisOptions: { ...redis.options.redisOptions, maxRetriesPerRequest: null },
        })
      : redis.duplicate({ maxRetriesPerRequest: null });
  for (const [role, client] of [
    ['publisher', pub],
    ['subscriber', sub],
  ] as const) {
    client.on('error', (err: Error) =>
      logger.warn({ err: err.message, role }, 'socket.io adapter redis error'),
    );
    catchFireAndForget(client, (command, err) =>
      logger.warn({ err: err.message, role, command }, 'socket.io adapter redis command failed'),
    );
  }
  return { pub, sub };
}

/** Attaches a rejection handler to every promise the listed commands return (same promise back). */
function catchFireAndForget(
  client: RedisClient,
  onError: (command: string, err: Error) => void,
): void {
  const target = client as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const command of FIRE_AND_FORGET) {
    const original = target[command];
    if (typeof original !== 'function') continue;
    target[command] = (...args: unknown[]) => {
      const result = original.apply(client, args);
      if (result instanceof Promise) result.catch((err: Error) => onError(command, err));
      return result;
    };
  }
}
