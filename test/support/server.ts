import { afterAll, beforeAll, inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/config/index.js';
import { startServer, type RunningServer, type StartOptions } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { REDIS_URL } from './env.js';
import { client, type Client } from './http.js';

export const ADMIN_TOKEN = 'test-admin-token';

/** A unique Redis key prefix for one test file (or one group of instances sharing a queue). */
export function testKeyPrefix(): string {
  return `lineup-test:${randomBytes(4).toString('hex')}:`;
}

export function testConfig(databaseUrl: string, env: Record<string, string> = {}): Config {
  const clusterNodes = inject('redisClusterNodes');
  return loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    REDIS_KEY_PREFIX: testKeyPrefix(),
    ADMIN_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SEED_ON_EMPTY: 'false',
    // Tests hammer single endpoints from one address; the rate-limit test turns this back on.
    RATE_LIMIT_ENABLED: 'false',
    // In the `cluster` project every server runs on the local Redis Cluster.
    ...(clusterNodes ? { REDIS_CLUSTER_NODES: clusterNodes } : {}),
    ...env,
  });
}

/** Boots a real instance on a random port (port 0). */
export function startTestServer(
  databaseUrl: string,
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<RunningServer> {
  return startServer(testConfig(databaseUrl, env), options);
}

/** Several instances sharing one database and one Redis key prefix (one "deployment"). */
export async function startCluster(
  count: number,
  databaseUrl: string,
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<RunningServer[]> {
  const prefix = env.REDIS_KEY_PREFIX ?? testKeyPrefix();
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      startTestServer(
        databaseUrl,
        { REDIS_KEY_PREFIX: prefix, INSTANCE_ID: `instance-${i + 1}`, ...env },
        options,
      ),
    ),
  );
}

/** Deletes every key under a prefix (test clean-up). */
export async function flushPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** What `useTestServer()` gives a test file; filled in by its `beforeAll`. */
export interface TestServer {
  /** The file's own database (a copy of the migrated template). */
  db: TestDatabase;
  server: RunningServer;
  /** An HTTP client for `server.url`. */
  api: Client;
}

/**
 * The usual set-up of a test file: its own database, one instance on it with its own Redis key
 * prefix, and a client, made before the file's tests (before its own `beforeAll` hooks registered
 * after this call) and closed, flushed and dropped after them.
 */
export function useTestServer(
  env: Record<string, string> = {},
  options: StartOptions = {},
): TestServer {
  const ctx = {} as TestServer;
  beforeAll(async () => {
    ctx.db = await createTestDatabase();
    ctx.server = await startTestServer(ctx.db.url, env, options);
    ctx.api = client(ctx.server.url);
  });
  afterAll(async () => {
    await ctx.server?.close();
    if (ctx.server) await flushPrefix(ctx.server.config.redisKeyPrefix);
    await ctx.db?.drop();
  });
  return ctx;
}
