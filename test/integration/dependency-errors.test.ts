import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { knex } from '@mikro-orm/knex';
import { createOrm, type Orm } from '../../src/infra/db/orm.js';
import {
  isDependencyDown,
  isUniqueViolation,
  RedisUnavailableError,
  sqlStateOf,
} from '../../src/infra/dependency-errors.js';
import { toAppError } from '../../src/infra/http/error.middleware.js';
import { createRedis } from '../../src/infra/redis/client.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { REDIS_URL } from '../support/env.js';
import { startTcpProxy, unusedPort, type TcpProxy } from '../support/tcp-proxy.js';

// Real failures of the real drivers, classified by their class and SQLSTATE (never by the wording of
// a message): 503 SERVICE_UNAVAILABLE when a dependency cannot answer, 500 for anything else.

let db: TestDatabase;
let orm: Orm;
let proxy: TcpProxy;
let proxiedOrm: Orm;

const caught = async (work: () => Promise<unknown>): Promise<unknown> => {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
};

beforeAll(async () => {
  db = await createTestDatabase();
  orm = await createOrm(db.url);
  const target = new URL(db.url);
  proxy = await startTcpProxy([`${target.hostname}:${target.port || 5432}`]);
  const viaProxy = new URL(db.url);
  viaProxy.host = new URL(proxy.url).host;
  proxiedOrm = await createOrm(viaProxy.toString());
});
afterAll(async () => {
  await proxiedOrm?.close(true);
  await orm?.close(true);
  await proxy?.close();
  await db?.drop();
});

describe('PostgreSQL', () => {
  it('a unique violation is SQLSTATE 23505: a verdict, not an outage (500 unless a service handles it)', async () => {
    const em = orm.em.fork();
    await em.execute(`create table dup_probe (id int primary key)`);
    await em.execute(`insert into dup_probe values (1)`);
    const err = await caught(() => em.execute(`insert into dup_probe values (1)`));
    expect(sqlStateOf(err)).toBe('23505');
    expect(isUniqueViolation(err)).toBe(true);
    expect(isDependencyDown(err)).toBe(false);
    expect(toAppError(err).code).toBe('INTERNAL_ERROR');
  });

  it('a syntax error (42601) is a bug: 500', async () => {
    const err = await caught(() => orm.em.fork().execute(`selec 1`));
    expect(sqlStateOf(err)).toBe('42601');
    expect(toAppError(err).code).toBe('INTERNAL_ERROR');
  });

  it('a backend terminated under its query (57P01) is 503', async () => {
    const em = orm.em.fork();
    const running = caught(() => em.execute(`select pg_sleep(10)`));
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      for (let i = 0; i < 50; i++) {
        const { rowCount } = await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
           where datname = current_database() and query like 'select pg_sleep(10)%' and pid <> pg_backend_pid()`,
        );
        if (rowCount) break;
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await admin.end();
    }
    const err = await running;
    expect(sqlStateOf(err)).toBe('57P01');
    expect(toAppError(err).code).toBe('SERVICE_UNAVAILABLE');
  });

  it('an outage behind a TCP proxy (connection cut under the query, then refused) is 503', async () => {
    const em = proxiedOrm.em.fork();
    await em.execute('select 1');
    const running = caught(() => em.execute(`select pg_sleep(10)`));
    await new Promise((r) => setTimeout(r, 100));
    const backends = proxy.backends;
    proxy.backends = [];
    proxy.dropAll();
    const cut = await running;
    expect(sqlStateOf(cut)).toBeUndefined();
    expect(toAppError(cut).code).toBe('SERVICE_UNAVAILABLE');
    const refused = await caught(() => proxiedOrm.em.fork().execute('select 1'));
    expect(toAppError(refused).code).toBe('SERVICE_UNAVAILABLE');
    proxy.backends = backends;
  });

  it('a refused connection (nobody listening) is 503', async () => {
    const url = new URL(db.url);
    url.port = String(await unusedPort());
    const err = await caught(async () => {
      const down = await createOrm(url.toString());
      try {
        await down.em.fork().execute('select 1');
      } finally {
        await down.close(true);
      }
    });
    expect(toAppError(err).code).toBe('SERVICE_UNAVAILABLE');
  });

  it.each([
    ['53300', 'too many clients'],
    ['57P03', 'the database system is starting up'],
    ['08006', 'connection failure'],
  ])('a server answer with SQLSTATE %s is 503', (code, message) => {
    const err = Object.assign(new pg.DatabaseError(message, 0, 'error'), { code });
    expect(toAppError(err).code).toBe('SERVICE_UNAVAILABLE');
    expect(toAppError(new Error('wrapped', { cause: err })).code).toBe('SERVICE_UNAVAILABLE');
  });

  it('the pool exhausted for its acquire timeout (KnexTimeoutError) is 503', () => {
    expect(
      toAppError(new knex.KnexTimeoutError('Knex: Timeout acquiring a connection.')).code,
    ).toBe('SERVICE_UNAVAILABLE');
  });
});

describe('Redis', () => {
  it('a refused connection is a RedisUnavailableError: 503', async () => {
    const redis = createRedis({
      redisUrl: `redis://127.0.0.1:${await unusedPort()}`,
      redisClusterNodes: null,
    });
    redis.on('error', () => undefined);
    try {
      const err = await caught(() => redis.get('x'));
      expect(err).toBeInstanceOf(RedisUnavailableError);
      expect(toAppError(err).code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      redis.disconnect();
    }
  });

  it('a reply error (WRONGTYPE) is a verdict: 500', async () => {
    const redis = createRedis({ redisUrl: REDIS_URL, redisClusterNodes: null });
    const key = `depErr:${process.pid}:${Date.now()}`;
    try {
      await redis.set(key, 'x', 'EX', 60);
      const err = await caught(() => redis.lpush(key, 'y'));
      expect(err).not.toBeInstanceOf(RedisUnavailableError);
      expect(toAppError(err).code).toBe('INTERNAL_ERROR');
      // A pipeline's failed command is classified the same way.
      const [[pipeErr]] = (await redis.pipeline().lpush(key, 'y').exec()) as [[Error, unknown]];
      expect(toAppError(pipeErr).code).toBe('INTERNAL_ERROR');
    } finally {
      await redis.del(key);
      redis.disconnect();
    }
  });
});

it('a bug stays a 500, whatever its message says', () => {
  expect(toAppError(new TypeError("Cannot read properties of undefined (reading 'id')")).code).toBe(
    'INTERNAL_ERROR',
  );
  expect(toAppError(new Error('Connection terminated unexpectedly')).code).toBe('INTERNAL_ERROR');
});
