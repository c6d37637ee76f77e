import { describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import { WebSocket } from 'ws';
import { admittedFans } from '../support/booking.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { uniquePhone } from '../support/http.js';
import { useTestServer } from '../support/server.js';
import { connected, firstEvent, queueSocket } from '../support/sockets.js';
import { bulkFans } from '../support/users.js';
import { until } from '../support/wait.js';

const ALLOWED = 'https://tickets.example.com';
const ctx = useTestServer({
  QUEUE_TICK_MS: '50',
  LEADER_LEASE_MS: '600',
  RATE_LIMIT_ENABLED: 'true',
  CORS_ORIGINS: ALLOWED,
  SOCKETS_PER_IP: '3',
});

describe('/metrics', () => {
  it('exposes queue sizes, admissions, notice latency, booking outcomes, sockets, leadership and HTTP latency by route', async () => {
    const { concertId, scheduleIds } = await createConcert(ctx.api);
    await setQueuePolicy(ctx.api, concertId, { paused: true });
    const [fan] = await bulkFans(ctx.server, 1);
    const joined = await ctx.api.post(`/concerts/${concertId}/queue`, undefined, {
      token: fan!.token,
    });
    const socket = await connected(queueSocket(ctx.server.url, joined.body.queueToken));
    await setQueuePolicy(ctx.api, concertId, { paused: false });
    await firstEvent(socket, 'queue:admitted');
    const auth = { token: fan!.token, headers: { 'x-queue-token': joined.body.queueToken } };
    const seats = await ctx.api.get(`/schedules/${scheduleIds[0]}/seats`, auth);
    const held = await ctx.api.post(
      '/reservations',
      { scheduleId: scheduleIds[0], seatIds: [seats.body[0].id] },
      auth,
    );
    await ctx.api.get(`/reservations/${held.body.id}`, { token: fan!.token });

    const res = await fetch(`${ctx.server.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    socket.disconnect();
    expect(text).toMatch(
      new RegExp(`lineup_queue_active\\{concert="${concertId}",instance_id="[^"]+"\\} 1`),
    );
    expect(text).toMatch(new RegExp(`lineup_queue_waiting\\{concert="${concertId}"`));
    expect(text).toMatch(
      new RegExp(`lineup_queue_admissions_total\\{concert="${concertId}",instance_id="[^"]+"\\} 1`),
    );
    expect(text).toMatch(/lineup_admission_notice_seconds_count\{[^}]*\} 1/);
    expect(text).toMatch(/lineup_booking_outcomes_total\{kind="hold",outcome="ok",[^}]*\} 1/);
    expect(text).toMatch(/lineup_sockets\{[^}]*\} 1/);
    expect(text).toMatch(/lineup_queue_leader\{[^}]*\} 1/);
    expect(text).toMatch(/lineup_leader_changes_total\{to="leader",[^}]*\} 1/);
    expect(text).toMatch(/lineup_nodejs_eventloop_lag_seconds/);
    expect(text).toMatch(
      /lineup_http_request_duration_seconds_count\{[^}]*method="GET",route="\/reservations\/:id",status="200"/,
    );
  });
});

describe('abuse limits', () => {
  it('answers 429 RATE_LIMITED with Retry-After past the per-user join limit', async () => {
    const { concertId } = await createConcert(ctx.api);
    const [fan] = await bulkFans(ctx.server, 1);
    const answers = [];
    for (let i = 0; i < 12; i++)
      answers.push(
        await ctx.api.post(`/concerts/${concertId}/queue`, undefined, { token: fan!.token }),
      );
    expect(answers.slice(0, 10).every((r) => r.status < 300)).toBe(true);
    const limited = answers[10]!;
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('limits logins per phone and sign-ups per address', async () => {
    const phone = uniquePhone();
    expect(
      (await ctx.api.post('/users', { name: 'Rate', phone, password: 'password123' })).status,
    ).toBe(201);
    const logins = [];
    for (let i = 0; i < 11; i++)
      logins.push(
        (await ctx.api.post('/auth/login', { phone, password: 'wrong-password' })).status,
      );
    expect(logins.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(logins[10]).toBe(429);
    const signUps = [];
    for (let i = 0; i < 20; i++)
      signUps.push(
        (await ctx.api.post('/users', { name: 'x', phone: uniquePhone(), password: 'password123' }))
          .status,
      );
    // One sign-up above plus 19 here fill the 20-per-minute allowance of this address.
    expect(signUps.slice(0, 19).every((s) => s === 201)).toBe(true);
    expect(signUps[19]).toBe(429);
  });

  it('caps concurrent sockets per address', async () => {
    const tokens = await waitingTokens(4);
    await noConnections();
    const first = await Promise.all(
      tokens.slice(0, 3).map((t) => connected(queueSocket(ctx.server.url, t))),
    );
    const fourth = await connected(queueSocket(ctx.server.url, tokens[3]!)).catch((e: Error) => e);
    expect(fourth).toBeInstanceOf(Error);
    first[0]!.disconnect();
    await until(async () =>
      connected(queueSocket(ctx.server.url, tokens[3]!)).then(
        (s) => (s.disconnect(), true),
        () => false,
      ),
    );
    for (const s of first) s.disconnect();
  });

  it('connects exactly the cap out of a burst of parallel handshakes', async () => {
    const tokens = await waitingTokens(8);
    await noConnections();
    // The handshake's checks are asynchronous (token, Redis): here they take 300 ms, so every
    // handshake of the burst is under way before the first one completes.
    let slow = true;
    ctx.server.gateway.io.of('/queue').use((_socket, next) => {
      if (slow) setTimeout(next, 300);
      else next();
    });
    const sockets = tokens.map((t) => queueSocket(ctx.server.url, t));
    const outcomes = await Promise.all(
      sockets.map((s) =>
        connected(s).then(
          () => 'connected',
          () => 'refused',
        ),
      ),
    );
    slow = false;
    for (const s of sockets) s.disconnect();
    expect(outcomes.filter((o) => o === 'connected')).toHaveLength(3);
  });

  it('counts raw engine.io connections that never join the namespace', async () => {
    const [token] = await waitingTokens(1);
    await noConnections();
    const url = `${ctx.server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`;
    const raw = (): Promise<WebSocket> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.once('message', () => resolve(ws)); // engine.io's open packet
        ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
        ws.once('error', reject);
      });
    const held = [await raw(), await raw(), await raw()];
    await expect(raw()).rejects.toThrow('HTTP 400');
    await expect(connected(queueSocket(ctx.server.url, token!))).rejects.toBeInstanceOf(Error);
    held[0]!.close();
    await until(async () =>
      connected(queueSocket(ctx.server.url, token!)).then(
        (s) => (s.disconnect(), true),
        () => false,
      ),
    );
    for (const ws of held) ws.close();
  });
});

/** Queue tokens of `count` fans waiting in a paused line. */
async function waitingTokens(count: number): Promise<string[]> {
  const { concertId } = await createConcert(ctx.api);
  await setQueuePolicy(ctx.api, concertId, { paused: true });
  const tokens: string[] = [];
  for (const f of await bulkFans(ctx.server, count))
    tokens.push(
      (await ctx.api.post(`/concerts/${concertId}/queue`, undefined, { token: f.token })).body
        .queueToken,
    );
  return tokens;
}

/** Until the sockets of earlier tests have gone (the cap counts each until its TCP close). */
async function noConnections(): Promise<void> {
  await until(() => ctx.server.gateway.io.engine.clientsCount === 0, 5_000, 'no connections');
}

describe('browser safety', () => {
  it('sends helmet headers, relaxing the CSP only for /docs', async () => {
    const health = await fetch(`${ctx.server.url}/healthz`);
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('content-security-policy')).toContain("script-src 'self';");
    const docs = await fetch(`${ctx.server.url}/docs/`);
    expect(docs.headers.get('content-security-policy')).toContain(
      "script-src 'self' 'unsafe-inline'",
    );
  });

  it('allows the configured origins only, for HTTP and for sockets', async () => {
    const preflight = (origin: string) =>
      fetch(`${ctx.server.url}/users`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
    expect((await preflight(ALLOWED)).headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(
      (await preflight('https://evil.example')).headers.get('access-control-allow-origin'),
    ).toBeNull();

    const { concertId } = await createConcert(ctx.api);
    const [fan] = await admittedFans(ctx.server, concertId, 1, 0);
    const open = (origin: string) =>
      io(`${ctx.server.url}/queue`, {
        transports: ['websocket'],
        auth: { token: fan!.queueToken },
        extraHeaders: { origin },
        reconnection: false,
        forceNew: true,
      });
    const good = await connected(open(ALLOWED));
    good.disconnect();
    await expect(connected(open('https://evil.example'))).rejects.toBeInstanceOf(Error);
  });
});
