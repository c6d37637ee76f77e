import { describe, expect, it } from 'vitest';
import { pino, type Logger } from 'pino';
import { redactSql, redactText, redactUrl, withRedaction } from '../../src/infra/log-redaction.js';
import { createLogger } from '../../src/infra/logger.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLW5ldmVyLWxvZ2dlZA-unit_test_sig';
const SECRET = 'unit-secret-never-logged-3141';

function capture(make: (write: (line: string) => void) => Logger) {
  const lines: string[] = [];
  return { logger: make((l) => lines.push(l)), output: () => lines.join('') };
}

const loggers = {
  createLogger: (write: (l: string) => void) => createLogger('trace', 'unit', { write }),
  'withRedaction(bare pino)': (write: (l: string) => void) =>
    withRedaction(pino({ level: 'trace' }, { write })),
};

describe.each(Object.entries(loggers))('what %s writes', (_, make) => {
  it('censors credentials in any object a line carries, keeping what is not a credential', () => {
    const { logger, output } = capture(make);
    logger.info(
      {
        handshake: {
          auth: { token: JWT },
          headers: { authorization: `Bearer ${SECRET}`, cookie: SECRET, host: 'h' },
          query: { token: SECRET },
          address: '10.0.0.1',
        },
      },
      'socket connected',
    );
    logger.info({ body: { phone: '010', password: SECRET } }, 'a body');
    logger.info({ password: SECRET, accessToken: JWT, queueToken: JWT, token: JWT }, 'fields');
    logger.warn({ socket: { handshake: { auth: { token: JWT } } } }, 'nested handshake');
    const err = Object.assign(new Error(`request failed with Bearer ${SECRET}`), {
      config: { headers: { authorization: SECRET } },
      apiKey: SECRET,
      status: 502,
    });
    logger.error({ err }, 'upstream');
    expect(output()).not.toContain(SECRET);
    expect(output()).not.toContain(JWT.split('.')[2]);
    expect(output()).toContain('10.0.0.1');
    expect(output()).toContain('"status":502');
  });
});

describe('the redaction helpers', () => {
  it('censors credential query parameters and leaves other URLs alone', () => {
    expect(redactUrl('/queue/status?token=abc&x=1')).toBe('/queue/status?token=%5Bredacted%5D&x=1');
    expect(redactUrl('/a?access_token=abc&API-KEY=k')).toBe(
      '/a?access_token=%5Bredacted%5D&API-KEY=%5Bredacted%5D',
    );
    expect(redactUrl('/users/me/points/history?cursor=12&limit=5')).toBe(
      '/users/me/points/history?cursor=12&limit=5',
    );
    expect(redactUrl('/concerts')).toBe('/concerts');
  });

  it('censors bearer tokens and JWTs in text', () => {
    expect(redactText(`got Bearer ${SECRET}, then ${JWT}.`)).toBe(
      'got [redacted], then [redacted].',
    );
    expect(redactText('Cannot read properties of undefined')).toBe(
      'Cannot read properties of undefined',
    );
  });

  it('takes the values out of a failed statement, and only out of statements', () => {
    expect(
      redactSql(
        `DriverException: insert into users (name, password_hash) values ('O''Neil', 'scrypt$x') - boom\n - detail: Failing row contains (1, O'Neil, scrypt$x).\n    at x`,
      ),
    ).toBe(
      `DriverException: insert into users (name, password_hash) values ('?', '?') - boom\n    at x`,
    );
    expect(redactSql(`select 1 from wallets where phone = '010' - Connection terminated`)).toBe(
      `select 1 from wallets where phone = '?' - Connection terminated`,
    );
    expect(redactSql(`Cannot read properties of undefined (reading 'id')`)).toBe(
      `Cannot read properties of undefined (reading 'id')`,
    );
  });
});
