// Where the test services live. CI and developers use the local PostgreSQL and Redis.
export const PG_ADMIN_URL =
  process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Every test database is named lineup_t_<pid of the vitest run>_..., so a run only cleans up its own or dead runs' databases. */
export const TEST_DB_PREFIX = 'lineup_t_';

export function databaseUrl(name: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
    runId: string;
    /** Set by the cluster project: host:port,... of a local Redis Cluster. */
    redisClusterNodes?: string;
  }
}
