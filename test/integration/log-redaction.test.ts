import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino, type Logger } from 'pino';
import { createLogger } from '../../src/infra/logger.js';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert } from '../support/fixtures.js';
import { client, uniquePhone, type Client, type HttpResponse } from '../support/http.js';
import { ADMIN_TOKEN, flushPrefix, startTestServer } from '../support/server.js';
import { connected, queueSocket } from '../support/sockets.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { until } from '../support/wait.js';

// Issue 18: whoever reads the logs must not be able to act as a fan or an operator. A real
// instance writes its log lines into `lines`; it is driven through every path that carries a
// credential (sign-up and login with a password, access tokens, a queue token over HTTP and in
// socket handshakes, ADMIN_TOKEN, cookies), including 5xx answers with PostgreSQL cut off behind a
// TCP proxy. No secret may appear in any line, while each request line still
// says method, url and status. Run twice: with the server's own logger (createLogger) and with a
// bare pino logger passed in StartOptions, so the request, error and socket logging redact
// whatever logger they are given.

const PASSWORD = 'Pa55-word-never-logged-7431';
const WRONG_PASSWORD = 'Wr0ng-password-never-logged-2290';
const COOKIE = 'session=cookie-value-never-logged-5512';
const FORGED = 'Bearer forged-operator-guess-never-logged-8820';

interface Capture {
  name: string;
  logger: (lines: string[]) => Logger;
}

const loggers: Capture[] = [
  {
    name: "the server's logger (createLogger)",
    logger: (lines) => createLogger('trace', 'redaction-test', { write: (l) => lines.push(l) }),
  },
  {
    name: 'a bare pino logger given in StartOptions',
    logger: (lines) => pino({ level: 'trace' }, { write: (l: string) => lines.push(l) }),
  },
];

describe.each(loggers)('no credentials in the logs: $name', ({ logger }) => {
  let db: TestDatabase;
  let pgProxy: TcpProxy;
  let server: RunningServer;
  let api: Client;
  const lines: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const pg = new URL(db.url);
    pgProxy = await startTcpProxy([`${pg.hostname}:${pg.port || 5432}`]);
    const viaProxy = new URL(db.url);
    viaProxy.host = new URL(pgProxy.url).host;
    server = await startTestServer(
      viaProxy.toString(),
      { QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' },
      { logger: logger(lines) },
    );
    api = client(server.url);
  });
  afterAll(async () => {
    await server?.close();
    await pgProxy?.close();
    if (server) await flushPrefix(server.config.redisKeyPrefix);
    await db?.drop();
  });

  it('writes no token, password, cookie or ADMIN_TOKEN, and still says method, url and status', async () => {
    const secrets: Record<string, string> = {
      password: PASSWORD,
      'wrong password': WRONG_PASSWORD,
      cookie: COOKIE.split('=')[1]!,
      'forged admin token': FORGED.split(' ')[1]!,
      ADMIN_TOKEN,
      AUTH_JWT_SECRET: server.config.authJwtSecret,
      QUEUE_TOKEN_SECRET: server.config.queueTokenSecret,
    };
    const keep = (name: string, token: string) => {
      // A JWT's signature alone is enough to tell it apart; its header is the same for all.
      secrets[name] = token;
      secrets[`${name} (signature)`] = token.split('.').pop()!;
    };
    const { concertId } = await createConcert(api);
    const phone = uniquePhone();

    // Sign-up and login carry the password in the body; their answers carry access tokens.
    const signedUp = await api.post(
      '/users',
      { name: 'Log Fan', phone, password: PASSWORD },
      { headers: { cookie: COOKIE } },
    );
    expect(signedUp.status).toBe(201);
    const loggedIn = await api.post('/auth/login', { phone, password: PASSWORD });
    expect(loggedIn.status).toBe(200);
    expect((await api.post('/auth/login', { phone, password: WRONG_PASSWORD })).status).toBe(401);
    const token = loggedIn.body.accessToken as string;
    keep('access token (sign-up)', signedUp.body.accessToken as string);
    keep('access token (login)', token);

    // Authenticated calls, a join, the queue token over HTTP and in socket handshakes.
    expect((await api.get('/users/me/points', { token })).status).toBe(200);
    const charged = await api.post(
      '/users/me/points/charge',
      { amount: 5_000 },
      { token, headers: { 'idempotency-key': 'log-test-charge', cookie: COOKIE } },
    );
    expect(charged.status).toBe(200);
    const joined = await api.post(`/concerts/${concertId}/queue`, undefined, { token });
    expect(joined.status).toBe(201);
    const queueToken = joined.body.queueToken as string;
    keep('queue token', queueToken);
    const statusOf = () => api.get('/queue/status', { headers: { 'x-queue-token': queueToken } });
    expect((await statusOf()).status).toBe(200);
    const socket = await connected(queueSocket(server.url, queueToken));
    socket.disconnect();
    const refused = queueSocket(server.url, `${queueToken}x`);
    await expect(connected(refused)).rejects.toThrow('QUEUE_TOKEN_INVALID');
    refused.disconnect();

    // Operators: the right ADMIN_TOKEN, and a wrong one (a guess is a credential too).
    expect(
      (await api.get(`/admin/concerts/${concertId}/queue`, { token: ADMIN_TOKEN })).status,
    ).toBe(200);
    const forged = await api.get(`/admin/concerts/${concertId}/queue`, {
      headers: { authorization: FORGED },
    });
    expect(forged.status).toBe(401);

    // An admitted fan: schedules need the access token, the queue token and PostgreSQL.
    const schedules = () =>
      api.get(`/concerts/${concertId}/schedules`, {
        token,
        headers: { 'x-queue-token': queueToken },
      });
    await until(async () => (await schedules()).status === 200, 10_000, 'admitted');

    // PostgreSQL cut off: every call below answers 5xx and is logged as an error.
    const pgBackends = pgProxy.backends;
    pgProxy.backends = [];
    pgProxy.dropAll();
    const failures: HttpResponse[] = [
      await api.get('/users/me/points', { token }),
      await api.post('/auth/login', { phone, password: PASSWORD }),
      await api.post('/users', { name: 'Down', phone: uniquePhone(), password: PASSWORD }),
      await api.post(
        '/admin/concerts',
        { title: 'T', artist: 'A', saleOpensAt: new Date().toISOString() },
        { token: ADMIN_TOKEN, headers: { cookie: COOKIE } },
      ),
      await schedules(),
    ];
    // A socket handshake while a dependency is down (the queue itself lives in Redis).
    const whileDown = await connected(queueSocket(server.url, queueToken));
    whileDown.disconnect();
    pgProxy.backends = pgBackends;
    await until(async () => (await api.get('/readyz')).status === 200, 15_000, 'ready again');

    expect(failures.map((f) => f.status)).toEqual([503, 503, 503, 503, 503]);

    // What the server wrote.
    const output = lines.join('');
    const leaked = Object.entries(secrets)
      .filter(([, secret]) => output.includes(secret))
      .map(([name, secret]) => `${name}: …${hint(output, secret)}…`);
    expect(leaked).toEqual([]);
    const records = lines.map((l) => JSON.parse(l) as LogRecord);
    const requestLine = (method: string, url: string, status: number) =>
      records.find(
        (r) => r.req?.method === method && r.req.url === url && r.res?.statusCode === status,
      );
    // Each request line still says what happened, and that credentials were sent.
    const points = requestLine('GET', '/users/me/points', 200);
    expect(points?.req?.headers?.authorization).toBe('[redacted]');
    // The hot routes (join, status poll, the booking flow's reads and writes) write no
    // per-request line; their failures are logged with the same redaction (queue-join-cost.test.ts).
    expect(requestLine('GET', '/queue/status', 200)).toBeUndefined();
    const hotFailure = records.find(
      (r) =>
        r.req?.method === 'GET' &&
        r.req.url === `/concerts/${concertId}/schedules` &&
        /request failed: SERVICE_UNAVAILABLE/.test(r.msg ?? ''),
    );
    expect(hotFailure?.req?.headers?.authorization).toBe('[redacted]');
    expect(requestLine('POST', '/users', 201)?.req?.headers?.cookie).toBe('[redacted]');
    expect(requestLine('GET', `/admin/concerts/${concertId}/queue`, 401)).toBeDefined();
    for (const [method, url] of [
      ['GET', '/users/me/points'],
      ['POST', '/auth/login'],
      ['POST', '/users'],
      ['POST', '/admin/concerts'],
    ] as const) {
      expect(requestLine(method, url, 503), `${method} ${url} 503`).toBeDefined();
      // The error middleware's line for the same request (with the failure) is clean too.
      expect(
        records.some((r) => r.req?.url === url && /request failed/.test(r.msg ?? '')),
        `${method} ${url} error line`,
      ).toBe(true);
    }
  });
});

describe('a failed query in the logs', () => {
  let db: TestDatabase;
  let server: RunningServer;
  const lines: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(
      db.url,
      {},
      { logger: pino({ level: 'info' }, { write: (l: string) => lines.push(l) }) },
    );
  });
  afterAll(async () => {
    await server?.close();
    if (server) await flushPrefix(server.config.redisKeyPrefix);
    await db?.drop();
  });

  it('carries the statement without its values, nor the row PostgreSQL quotes', async () => {
    const hash = 'scrypt$hash-value-never-logged-6604';
    const phone = uniquePhone();
    const failure = await server.orm.em
      .fork()
      .execute(`insert into users (name, phone, password_hash) values (?, ?, ?)`, [
        null,
        phone,
        hash,
      ])
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    // PostgreSQL's own answer quotes the row, password hash included.
    expect((failure as { detail?: string }).detail).toContain(hash);
    server.logger.error({ err: failure }, 'query failed');

    const line = lines.find((l) => l.includes('query failed'));
    expect(line).toBeDefined();
    expect(line).not.toContain(hash);
    expect(line).not.toContain(phone);
    const err = JSON.parse(line!).err as { message: string; code: string; table: string };
    expect(err.message).toBe(
      `insert into users (name, phone, password_hash) values (NULL, '?', '?') - null value in column "name" of relation "users" violates not-null constraint`,
    );
    expect(err).toMatchObject({ code: '23502', table: 'users' });
  });
});

interface LogRecord {
  msg?: string;
  req?: { method?: string; url?: string; headers?: Record<string, string> };
  res?: { statusCode?: number };
}

/** Where a secret was found (a little context, the secret itself masked). */
function hint(output: string, secret: string): string {
  const at = output.indexOf(secret);
  if (at < 0) return 'none';
  const around = output.slice(Math.max(0, at - 100), at + secret.length + 20);
  return around.replace(secret, '<SECRET>');
}
