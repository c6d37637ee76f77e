import { Cluster, Redis, ReplyError, type RedisOptions } from 'ioredis';
import { RedisUnavailableError } from '../dependency-errors.js';
import type { RedisClient } from './scripts.js';

// Fail fast when Redis is unreachable (a request gets 503 within about a second rather than
// hanging) and keep reconnecting in the background. A partition that sends no reset leaves the
// connection open and every command waiting for TCP to give up (many minutes): the command
// timeout answers those with an error (503) instead. It is far above any command Lineup sends.
const REDIS_COMMAND_TIMEOUT_MS = 3_000;
const OPTIONS: RedisOptions = {
  // Commands issued in the same event-loop turn go out as one socket write. Without it every
  // command was its own write system call: ~15 % of a booking instance's CPU under load (profile
  // of issue 14), and the seat storm's 256 requests in flight each paid for their own. A single
  // server's connection does it by corking its socket for the turn (AppRedis.coalesceWrites);
  // a cluster's by ioredis' autopipelining (one pipeline per node and turn).
  enableAutoPipelining: true,
  maxRetriesPerRequest: 2,
  connectTimeout: 2_000,
  commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  retryStrategy: (times) => Math.min(times * 100, 1_000),
};

type Command = Parameters<Redis['sendCommand']>[0];

/**
 * A command's failure without an answer from Redis (closed, refused, timed out, retries used up,
 * cluster not ready) becomes a RedisUnavailableError, so the error middleware can tell it from a
 * bug by its class: ioredis reports these as plain Errors. A reply (ReplyError) stays as it is.
 */
function classifyFailures(command: Command): void {
  const reject = command.reject;
  command.reject = (err: Error) =>
    reject(
      err instanceof ReplyError || err instanceof RedisUnavailableError
        ? err
        : new RedisUnavailableError(err),
    );
}

class AppRedis extends Redis {
  private corked = false;

  override sendCommand(command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown {
    classifyFailures(command);
    if (!stream) this.coalesceWrites();
    return super.sendCommand(command, stream);
  }

  /**
   * A connection like this one (ioredis' own makes a plain Redis): the socket.io adapter's
   * publisher is one, and a payment's or a tick's broadcasts then share a turn's write too.
   */
  override duplicate(override?: Partial<RedisOptions>): Redis {
    return new AppRedis({ ...this.options, ...override });
  }

  /**
   * Commands sent during one turn of the event loop leave in one socket write (pipelining across
   * requests): the connection is corked at the turn's first command and uncorked once the turn's
   * I/O callbacks have run (setImmediate). Under a join storm a turn serves many requests, and a
   * write per command was the largest single entry of a join's profile (a syscall, and a wake-up
   * of Redis, each); BENCHMARKS.md "Join and status poll". Order is kept (one stream); a command
   * waits at most for the rest of the turn.
   */
  private coalesceWrites(): void {
    if (this.corked || this.status !== 'ready') return;
    const socket = this.stream;
    socket.cork();
    this.corked = true;
    setImmediate(() => {
      this.corked = false;
      socket.uncork();
    });
  }
}

class AppCluster extends Cluster {
  override sendCommand(
    command: Command,
    stream?: Parameters<Cluster['sendCommand']>[1],
    node?: unknown,
  ): unknown {
    classifyFailures(command);
    return super.sendCommand(command, stream, node);
  }
}

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
    return new AppCluster(source.redisClusterNodes, {
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
  // No autopipelining on a single server: coalesceWrites already sends a turn's commands in one
  // write, and autopipelining bypasses it at a cost per turn and command (a Pipeline object that
  // copies every defined script, a second promise and a nextTick per command): 4-9 µs of CPU per
  // EVALSHA in a microbenchmark; ioredis' share of a join's profile 11-12 % -> 9 % (BENCHMARKS.md
  // "Join and status poll, third pass").
  return new AppRedis(source.redisUrl, {
    ...OPTIONS,
    enableAutoPipelining: false,
    connectionName: name,
  });
}
