import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { RunningServer } from '../../src/server.js';
import { Hs256 } from '../../src/infra/crypto/hs256.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis-server.js';
import { startTestServer } from '../support/server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { until } from '../support/wait.js';
import { bulkFans, type TestFan } from '../support/users.js';

// Issue 13 "cheaper joins": a join is ONE Redis round trip — the per-user and per-address rate
// limits are counted by the join script itself — and a status poll is one too. Counted with
// MONITOR on a private redis-server: every command a client sends is one line (commands run
// inside a script are listed with the source "lua" and are not round trips). The rate limits,
// authentication and error answers stay as SPEC §4 says: attacked below with limits on.
let db: TestDatabase;
let redisServer: PrivateRedis;
let probe: Redis;
/** The server reaches the private Redis through this proxy, so a test can cut it. */
let proxy: TcpProxy;
let server: RunningServer;
let api: Client;
/** What the server logged (at info). */
const lines: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  redisServer = await startPrivateRedis();
  probe = new Redis(redisServer.url);
  proxy = await startTcpProxy([`127.0.0.1:${redisServer.port}`]);
  server = await startTestServer(
    db.url,
    { REDIS_URL: proxy.url.replace('http:', 'redis:'), RATE_LIMIT_ENABLED: 'true' },
    // No leader: no ticks, so the only commands during a request are the request's own.
    {
      startLeader: false,
      logger: pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }),
    },
  );
  api = client(server.url);
});
afterAll(async () => {
  await server?.close();
  await proxy?.close();
  probe?.disconnect();
  await redisServer?.stop();
  await db?.drop();
});

/** The commands clients sent Redis (not those run inside scripts) while `work` ran. */
async function roundTrips(work: () => Promise<unknown>): Promise<string[]> {
  const monitor = await probe.monitor();
  const seen: { source: string; command: string }[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) =>
    seen.push({ source, command: String(args[0]).toLowerCase() }),
  );
  // MONITOR lists commands in execution order: the marker's echo closes the window.
  const marker = `end-of-window-${Math.random()}`;
  const closed = new Promise<void>((resolve) =>
    monitor.on('monitor', (_t: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'echo' && args[1] === marker) resolve();
    }),
  );
  await work();
  await probe.echo(marker);
  await closed;
  monitor.disconnect();
  // A connection's first call of a script may be an EVAL (ioredis), later ones EVALSHA.
  return seen
    .filter((s) => s.source !== 'lua' && s.command !== 'echo')
    .map((s) => (s.command === 'eval' ? 'evalsha' : s.command));
}

const join = (concertId: number, fan: TestFan) =>
  api.post(`/concerts/${concertId}/queue`, undefined, { token: fan.token });

describe('the join path', () => {
  it('joins in one Redis round trip (new place 201, existing place 200), rate limits included', async () => {
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, { paused: true });
    const [first, fan] = await bulkFans(server, 2);
    // The first join on an instance loads the concert's sale window (and registers the line).
    expect((await join(concertId, first!)).status).toBe(201);

    let created: Awaited<ReturnType<typeof join>> | undefined;
    expect(
      await roundTrips(async () => {
        created = await join(concertId, fan!);
      }),
    ).toEqual(['evalsha']);
    expect(created!.status).toBe(201);
    expect(created!.body).toMatchObject({ concertId, status: 'waiting', position: 2 });

    let again: Awaited<ReturnType<typeof join>> | undefined;
    expect(
      await roundTrips(async () => {
        again = await join(concertId, fan!);
      }),
    ).toEqual(['evalsha']);
    expect(again!.status).toBe(200);
    expect(again!.body).toMatchObject({ concertId, status: 'waiting', position: 2 });

    let status: Awaited<ReturnType<typeof join>> | undefined;
    expect(
      await roundTrips(async () => {
        status = await api.get('/queue/status', {
          headers: { 'x-queue-token': created!.body.queueToken },
        });
      }),
    ).toEqual(['evalsha']);
    expect(status!.status).toBe(200);
    expect(status!.body).toMatchObject({ concertId, status: 'waiting', position: 2 });
  });

  it('refuses the 11th join of a user within 10 s with 429 RATE_LIMITED and Retry-After, other fans unaffected', async () => {
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, { paused: true });
    const [fan, other] = await bulkFans(server, 2);
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await join(concertId, fan!));
    expect(answers.map((a) => a.status)).toEqual([201, ...Array(9).fill(200), 429, 429]);
    for (const limited of answers.slice(10)) {
      expect(limited.body.error.code).toBe('RATE_LIMITED');
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(10);
      expect(limited.body.error.details.retryAfterSeconds).toBe(retryAfter);
    }
    expect((await join(concertId, other!)).status).toBe(201);
  });

  it('refuses the 601st join from one address within 10 s, and that fan is not in line', async () => {
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, { paused: true, maxWaiting: 1_000 });
    const fans = await bulkFans(server, 601);
    // The first join over HTTP opens the address' 10 s window; joins 2..599 go through the same
    // script with the same counter straight from the store (600 HTTP requests can take longer
    // than the window on a loaded machine); the 600th and 601st come over HTTP again.
    expect((await join(concertId, fans[0]!)).status).toBe(201);
    const [counter] = await probe.keys(`${server.config.redisKeyPrefix}{c:${concertId}}:rl:addr:*`);
    expect(counter).toBeDefined();
    const address = counter!.slice(counter!.indexOf(':rl:addr:') + ':rl:addr:'.length);
    const limits = {
      address,
      perUser: { points: 10, durationMs: 10_000 },
      perAddress: { points: 600, durationMs: 10_000 },
    };
    const store = server.services.queueStore;
    const direct = await Promise.all(
      fans
        .slice(1, 599)
        .map((f) => store.join(concertId, f.id, Date.now() - 60_000, 1_000, limits)),
    );
    expect(direct.every((r) => r.created)).toBe(true);
    expect((await join(concertId, fans[599]!)).status).toBe(201);
    const refused = await join(concertId, fans[600]!);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(10);
    const stats = await api.get(`/admin/concerts/${concertId}/queue`, {
      token: 'test-admin-token',
    });
    expect(stats.body.waiting).toBe(600);
  });

  it('answers a missing, forged, expired or queue-audience token with 401 UNAUTHENTICATED and counts nothing', async () => {
    const { concertId } = await createConcert(api);
    const [fan] = await bulkFans(server, 1);
    const joined = await join(concertId, fan!);
    expect(joined.status).toBe(201);
    const secret = server.config.authJwtSecret;
    const expired = new Hs256(secret, { audience: 'lineup:access' }).sign(
      { sub: String(fan!.id) },
      -10,
    );
    const forged = new Hs256('not-the-secret-not-the-secret-xx', {
      audience: 'lineup:access',
    }).sign({ sub: String(fan!.id) }, 3600);
    for (const token of [undefined, 'garbage', forged, expired, joined.body.queueToken]) {
      const res = await api.post(`/concerts/${concertId}/queue`, undefined, { token });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('answers bad input in the envelope: 400 VALIDATION_FAILED, 400 MALFORMED_JSON, 404 CONCERT_NOT_FOUND', async () => {
    const [fan] = await bulkFans(server, 1);
    const bad = await api.post('/concerts/abc/queue', undefined, { token: fan!.token });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    expect(bad.body.error.details.issues.length).toBeGreaterThan(0);
    const malformed = await api.post('/concerts/1/queue', undefined, {
      token: fan!.token,
      raw: '{"challenge":',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('MALFORMED_JSON');
    const missing = await api.post('/concerts/999999/queue', undefined, { token: fan!.token });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('CONCERT_NOT_FOUND');
  });

  it('limits joins to concerts this instance does not know before looking each up (429 after 10)', async () => {
    const [fan] = await bulkFans(server, 1);
    const answers = [];
    for (let i = 0; i < 11; i++)
      answers.push(
        await api.post(`/concerts/${900_000 + i}/queue`, undefined, { token: fan!.token }),
      );
    expect(answers.slice(0, 10).map((a) => a.status)).toEqual(Array(10).fill(404));
    expect(answers[10]!.status).toBe(429);
    expect(answers[10]!.body.error.code).toBe('RATE_LIMITED');
  });

  it('writes no per-request info line for joins and polls, but logs their failures with the request id, credentials redacted', async () => {
    const { concertId } = await createConcert(api);
    const [fan] = await bulkFans(server, 1);
    const joined = await join(concertId, fan!);
    expect(joined.status).toBe(201);
    const queueToken = joined.body.queueToken as string;
    const headers = { 'x-queue-token': queueToken };
    expect((await api.get('/queue/status', { headers })).status).toBe(200);
    expect((await api.get('/concerts')).status).toBe(200);
    const records = () => lines.map((l) => JSON.parse(l) as Record<string, any>);
    const requestLines = records().filter((r) => r.req && r.res);
    expect(requestLines.some((r) => r.req.url === '/concerts')).toBe(true);
    const hot = (url: string) => /^\/concerts\/\d+\/queue$|^\/queue\/status$/.test(url);
    expect(requestLines.filter((r) => hot(r.req.url))).toEqual([]);

    const backends = proxy.backends;
    proxy.backends = [];
    proxy.dropAll();
    const failed = [await join(concertId, fan!), await api.get('/queue/status', { headers })];
    expect(failed.map((f) => f.status)).toEqual([503, 503]);
    for (const [i, url] of [`/concerts/${concertId}/queue`, '/queue/status'].entries()) {
      expect(failed[i]!.body.error.code).toBe('SERVICE_UNAVAILABLE');
      const id = failed[i]!.headers.get('x-request-id');
      expect(id).toBeTruthy();
      const line = records().find((r) => r.req?.url === url && /request failed/.test(r.msg));
      expect(line, `${url} error line`).toBeDefined();
      expect(line!.req.id).toBe(id);
      expect(line!.level).toBe(50);
    }
    proxy.backends = backends;
    await until(async () => (await api.get('/readyz')).status === 200, 15_000, 'Redis back');
    const output = lines.join('');
    for (const secret of [fan!.token, queueToken])
      expect(output).not.toContain(secret.split('.').pop()!);
  });
});
