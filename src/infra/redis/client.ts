import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisClient } from './scripts.js';

// Fail fast when Redis is unreachable (a request gets 503 within about a second rather than
// hanging) and keep reconnecting in the background. A partition that sends no reset leaves the
// connection open and every command waiting for TCP to give up (many minutes): the command
// timeout answers those with an error (503) instead. It is far above any command Lineup sends.
const REDIS_COMMAND_TIMEOUT_MS = 3_000;
const OPTIONS: RedisOptions = {
  maxRetriesPerRequest: 2,
  connectTimeout: 2_000,
  commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  retryStrategy: (times) => Math.min(times * 100, 1_000),
};

/**
 * The app's Redis connection: a single server from REDIS_URL, or — with REDIS_CLUSTER_NODES — a
 * Redis Cluster client. Every multi-key operation in Lineup stays inside one hash slot
 * (`{c:<concert>}`, `{s:<schedule>}`, `{leader}`), so the same code runs on both.
 */
export function createRedis(
  source: { redisUrl: string; redisClusterNodes: { host: string; port: number }[] | null },
  name = 'lineup',
): RedisClient {
  if (source.redisClusterNodes) {
    return new Cluster(source.redisClusterNodes, {
      redisOptions: { ...OPTIONS, connectionName: name },
      clusterRetryStrategy: (times) => Math.min(times * 100, 1_000),
      // The sharded socket.io adapter SSUBSCRIBEs on a duplicate of this client (duplicates keep
      // these options). A shard channel must be subscribed on the master owning its slot: without
      // this option ioredis sends every SSUBSCRIBE to its one cluster-wide subscriber connection
      // on an arbitrary node, which answers MOVED to each retry ("Too many Cluster redirections").
      // With it (ioredis >= 5.9) it keeps one subscriber per master and routes by slot; those
      // connect lazily, only once a channel in their slots is subscribed.
      shardedSubscribers: true,
    });
  }
  return new Redis(source.redisUrl, { ...OPTIONS, connectionName: name });
}
