import { describe, expect, it } from 'vitest';
import { isDependencyDown, toAppError } from '../../src/infra/http/error-middleware.js';

// What reaches the error middleware when PostgreSQL or Redis cannot serve: these must become
// 503 SERVICE_UNAVAILABLE (retry later), never a 500.
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('dependency failures', () => {
  it.each([
    ['PostgreSQL at max_connections', pgError('53300', 'sorry, too many clients already')],
    ['a backend terminated by an administrator', pgError('57P01', 'terminating connection')],
    ['a refused connection', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['the server shutting down', pgError('57P02', 'terminating connection due to crash')],
    ['a connection failure of another 08 code', pgError('08P01', 'protocol violation')],
    ['a pg client closed under the query', new Error('Client was closed and is not queryable')],
    [
      'a pg client whose connection failed',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
    [
      'the pool exhausted for its whole acquire timeout',
      Object.assign(new Error('Knex: Timeout acquiring a connection.'), {
        name: 'KnexTimeoutError',
      }),
    ],
    [
      'a cause chain ending in a dependency failure',
      new Error('wrapped', { cause: pgError('53300', 'too many clients') }),
    ],
  ])('%s is SERVICE_UNAVAILABLE', (_name, err) => {
    expect(isDependencyDown(err)).toBe(true);
    expect(toAppError(err).code).toBe('SERVICE_UNAVAILABLE');
  });

  it('a bug stays INTERNAL_ERROR', () => {
    const err = new TypeError("Cannot read properties of undefined (reading 'id')");
    expect(isDependencyDown(err)).toBe(false);
    expect(toAppError(err).code).toBe('INTERNAL_ERROR');
  });
});
