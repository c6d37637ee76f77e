import { ConnectionException, DriverException } from '@mikro-orm/core';
import { knex } from '@mikro-orm/knex';
import pg from 'pg';

// Which failures mean "a dependency (PostgreSQL, Redis) is unavailable: retry later" (503
// SERVICE_UNAVAILABLE) rather than a bug (500): decided by what kind of error it is — its class,
// PostgreSQL's SQLSTATE, Node's system error — never by the wording of a driver's message.

/**
 * Redis did not give a verdict on a command (connection closed or refused, command timed out,
 * retries exhausted, cluster not ready). ioredis reports these as plain `Error`s; the app's client
 * (src/infra/redis/client.ts) re-throws them as this class. Replies from Redis (ReplyError) are
 * not wrapped: they are verdicts.
 */
export class RedisUnavailableError extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
    this.name = 'RedisUnavailableError';
  }
}

/**
 * PostgreSQL did not answer a statement or a connection attempt (refused, cut, closed under the
 * query): pg reports these as plain Errors; the app's knex dialect (src/infra/db/pg-dialect.ts)
 * re-throws them as this class. Answers from the server (pg's DatabaseError) are not wrapped.
 */
export class PostgresUnavailableError extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
    this.name = 'PostgresUnavailableError';
  }
}

/**
 * SQLSTATE classes that mean "try again later": 08 connection exception, 53 insufficient resources
 * (e.g. 53300 too many connections), 57P operator intervention (backend terminated, server shutting
 * down or starting). 40001/40P01 (serialization failure, deadlock) are not here: the services
 * retry those themselves where it matters.
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P)/;

/** Node system errors of a socket that could not reach, or lost, its peer. */
const NETWORK_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL's SQLSTATE of an error the server sent (pg's DatabaseError, or MikroORM's exception
 * wrapping one), else undefined (the error did not come from a PostgreSQL answer).
 */
export function sqlStateOf(err: unknown): string | undefined {
  for (const e of causes(err)) {
    if (e instanceof pg.DatabaseError) return e.code;
    // MikroORM copies the driver error's own fields onto its exception; `severity` is one only
    // a server answer has.
    const fields = e as { code?: unknown; severity?: unknown };
    if (
      e instanceof DriverException &&
      typeof fields.severity === 'string' &&
      typeof fields.code === 'string'
    ) {
      return fields.code;
    }
  }
  return undefined;
}

/** True for a PostgreSQL unique violation (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  return sqlStateOf(err) === '23505';
}

/** Connection-level failures of PostgreSQL or Redis: the client should retry, it did nothing wrong. */
export function isDependencyDown(err: unknown): boolean {
  const state = sqlStateOf(err);
  if (state !== undefined) return UNAVAILABLE_SQLSTATE.test(state);
  for (const e of causes(err)) {
    if (
      e instanceof RedisUnavailableError ||
      e instanceof PostgresUnavailableError ||
      e instanceof ConnectionException
    ) {
      return true;
    }
    // Wrapped by MikroORM but no answer from PostgreSQL behind it: the driver lost or never got a
    // connection (terminated under the query, closed client, pool acquire timeout, a transaction
    // whose connection died). A query PostgreSQL refused carries a SQLSTATE (above).
    if (e instanceof DriverException) return true;
    // The pool stayed exhausted for its whole acquire timeout: overloaded, not broken.
    if (e instanceof knex.KnexTimeoutError) return true;
    if (isNetworkSystemError(e)) return true;
  }
  return false;
}

function isNetworkSystemError(e: unknown): boolean {
  const s = e as { code?: unknown; syscall?: unknown };
  return typeof s?.syscall === 'string' && typeof s.code === 'string' && NETWORK_ERRNO.has(s.code);
}

/** The error and its causes (bounded: a cycle of causes must not hang a request). */
function* causes(err: unknown): Generator<unknown> {
  let e: unknown = err;
  for (let depth = 0; depth < 8 && e !== null && e !== undefined; depth++) {
    yield e;
    e = (e as { cause?: unknown }).cause;
  }
}
