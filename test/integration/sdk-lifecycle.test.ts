// Issue 18, the SDK's lifecycle against a real server: close() settles every pending promise,
// AbortSignal/timeouts give ABORTED/TIMEOUT (never NETWORK_ERROR), statuses() as an async
// iterator, leaving an entry that already ended resolves, forced polling, and safe retries of
// the Idempotency-Key calls.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { LineupClient, LineupError, QueueConnection, type QueueStatus } from '@lineup/client-sdk';
import { requestHash } from '../../src/modules/idempotency/idempotency.service.js';
import { sql } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { uniquePhone } from '../support/http.js';
import { useTestServer } from '../support/server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { until } from '../support/wait.js';

const ctx = useTestServer({ QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' });
const connections: QueueConnection[] = [];
const proxies: TcpProxy[] = [];

afterEach(async () => {
  for (const c of connections.splice(0)) c.close();
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

async function newFan(options: Partial<ConstructorParameters<typeof LineupClient>[0]> = {}) {
  const sdk = new LineupClient({ baseUrl: ctx.server.url, ...options });
  const res = await sdk.signUp({ name: 'Fan', phone: uniquePhone(), password: 'password123' });
  return { sdk, id: res.user.id };
}

/** A fan waiting in a paused line: resume the concert to admit them. */
async function fanWaiting(seats = 20) {
  const fixture = await createConcert(ctx.api, { seats });
  await setQueuePolicy(ctx.api, fixture.concertId, { paused: true });
  const fan = await newFan();
  const joined = await fan.sdk.joinQueue(fixture.concertId);
  return { ...fixture, ...fan, queueToken: joined.queueToken };
}

function track(conn: QueueConnection): QueueConnection {
  connections.push(conn);
  return conn;
}

async function failure(promise: Promise<unknown>): Promise<LineupError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (err: unknown) => ({ err }),
  );
  if (!('err' in outcome)) throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
  expect(outcome.err).toBeInstanceOf(LineupError);
  return outcome.err as LineupError;
}

/** An HTTP server that accepts requests and never answers (a hung upstream). */
async function silentServer(): Promise<{ url: string; server: Server }> {
  const hung = createHttpServer(() => undefined);
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  const { port } = hung.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server: hung };
}

describe('close() and waitForAdmission()', () => {
  it('close() rejects a pending waitForAdmission with CONNECTION_CLOSED', async () => {
    const fan = await fanWaiting();
    const conn = track(fan.sdk.queueConnection(fan.queueToken).connect());
    await until(() => conn.connected, 10_000, 'socket connected');
    const waiting = conn.waitForAdmission();
    const again = conn.waitForAdmission();
    conn.close();
    expect(await failure(waiting)).toMatchObject({ code: 'CONNECTION_CLOSED', status: 0 });
    expect(await failure(again)).toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect(await failure(conn.waitForAdmission())).toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect(conn.listenerCount('admitted')).toBe(0);
  });

  it('a signal aborts the wait with ABORTED and a time limit with TIMEOUT; the connection stays open', async () => {
    const fan = await fanWaiting();
    const conn = track(fan.sdk.queueConnection(fan.queueToken).connect());
    const controller = new AbortController();
    const aborted = conn.waitForAdmission({ signal: controller.signal });
    controller.abort();
    expect(await failure(aborted)).toMatchObject({ code: 'ABORTED', status: 0 });
    const started = Date.now();
    expect(await failure(conn.waitForAdmission({ timeoutMs: 150 }))).toMatchObject({
      code: 'TIMEOUT',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(await failure(conn.waitForAdmission({ signal: AbortSignal.abort() }))).toMatchObject({
      code: 'ABORTED',
    });
    expect(conn.isClosed).toBe(false);

    const admitted = conn.waitForAdmission({ timeoutMs: 20_000 });
    await setQueuePolicy(ctx.api, fan.concertId, { paused: false });
    await expect(admitted).resolves.toMatchObject({ concertId: fan.concertId });
    expect(conn.listenerCount('admitted')).toBe(0);
  });
});

describe('statuses() as an async iterator', () => {
  it('yields waiting statuses then the active one, and break removes its listeners', async () => {
    const fan = await fanWaiting();
    const conn = track(fan.sdk.queueConnection(fan.queueToken).connect());
    const seen: QueueStatus[] = [];
    const resumed = (async () => {
      await until(() => seen.length >= 2, 10_000, 'two statuses');
      await setQueuePolicy(ctx.api, fan.concertId, { paused: false });
    })();
    for await (const s of conn.statuses()) {
      seen.push(s);
      if (s.status === 'active') break;
    }
    await resumed;
    expect(seen[0]).toMatchObject({ status: 'waiting', position: 1 });
    expect(seen.at(-1)).toMatchObject({ status: 'active', concertId: fan.concertId });
    expect(conn.listenerCount('status')).toBe(0);
    expect(conn.listenerCount('admitted')).toBe(0);
    expect(conn.isClosed).toBe(false);
  });

  it('ends when the entry ends and when the connection is closed; throws ABORTED on abort', async () => {
    const fan = await fanWaiting();
    const conn = track(fan.sdk.queueConnection(fan.queueToken).connect());
    const loop = async (iterable: AsyncIterable<QueueStatus>) => {
      let n = 0;
      for await (const _ of iterable) n++;
      return n;
    };
    const untilLeft = loop(conn.statuses());
    await until(() => conn.status !== undefined, 10_000, 'first status');
    const result = await conn.leave();
    expect(result).toEqual({ left: true, reason: 'left' });
    expect(await untilLeft).toBeGreaterThanOrEqual(1);
    expect(await loop(conn.statuses())).toBe(0); // already over

    const other = await fanWaiting();
    const conn2 = track(other.sdk.queueConnection(other.queueToken).connect());
    const untilClosed = loop(conn2.statuses());
    await until(() => conn2.status !== undefined, 10_000, 'first status');
    conn2.close();
    expect(await untilClosed).toBeGreaterThanOrEqual(1);

    const third = await fanWaiting();
    const conn3 = track(third.sdk.queueConnection(third.queueToken).connect());
    const controller = new AbortController();
    const untilAborted = loop(conn3.statuses({ signal: controller.signal }));
    await until(() => conn3.status !== undefined, 10_000, 'first status');
    controller.abort();
    expect(await failure(untilAborted)).toMatchObject({ code: 'ABORTED' });
    expect(conn3.listenerCount('status')).toBe(0);
  });
});

describe('leaving an entry that already ended', () => {
  it('resolves after payment ended the admission (reason completed), over HTTP and the connection', async () => {
    const fan = await fanWaiting(20);
    await setQueuePolicy(ctx.api, fan.concertId, { paused: false });
    const conn = track(fan.sdk.queueConnection(fan.queueToken).connect());
    await conn.waitForAdmission({ timeoutMs: 20_000 });
    const [seat] = await fan.sdk.seats(fan.scheduleIds[0]!, fan.queueToken, {
      status: 'available',
    });
    const hold = await fan.sdk.hold(
      { scheduleId: fan.scheduleIds[0]!, seatIds: [seat!.id] },
      fan.queueToken,
    );
    await fan.sdk.charge(200_000);
    await fan.sdk.pay(hold.id);
    // Payment ends the admission: the queue token no longer books.
    expect(await failure(fan.sdk.seats(fan.scheduleIds[0]!, fan.queueToken))).toMatchObject({
      code: 'ADMISSION_EXPIRED',
      status: 410,
    });
    expect(await fan.sdk.leaveQueue(fan.queueToken)).toEqual({ left: false, reason: 'completed' });
    expect(await conn.leave()).toEqual({ left: false, reason: 'completed' });
    expect(conn.isClosed).toBe(true);
  });

  it('a second leaveQueue resolves with left: false; a bad token still throws', async () => {
    const fan = await fanWaiting();
    expect(await fan.sdk.leaveQueue(fan.queueToken)).toEqual({ left: true, reason: 'left' });
    expect(await fan.sdk.leaveQueue(fan.queueToken)).toEqual({ left: false, reason: 'left' });
    expect(await failure(fan.sdk.leaveQueue('not-a-token'))).toMatchObject({
      code: 'QUEUE_TOKEN_INVALID',
      status: 401,
    });
  });
});

describe('socket refusals keep the status the server means', () => {
  it('an acknowledged NOT_ADMITTED is 403 and a refused handshake 401, not 0', async () => {
    const fan = await fanWaiting();
    const conn = track(fan.sdk.queueConnection(fan.queueToken).connect());
    await until(() => conn.connected, 10_000, 'socket connected');
    const refused = await failure(conn.subscribeSeats(fan.scheduleIds[0]!));
    expect(refused).toMatchObject({ code: 'NOT_ADMITTED', status: 403 });
    expect(refused.isClientSide).toBe(false);

    const bad = track(fan.sdk.queueConnection('not-a-token').connect());
    const error = await failure(bad.waitForAdmission());
    expect(error).toMatchObject({ code: 'QUEUE_TOKEN_INVALID', status: 401 });
  });
});

describe('forcePolling', () => {
  it('never opens a socket: polls from connect(), admits, and leaves over HTTP', async () => {
    const fan = await fanWaiting();
    const sockets = () => ctx.server.gateway.io.of('/queue').sockets.size;
    const before = sockets();
    const conn = track(
      fan.sdk.queueConnection(fan.queueToken, { forcePolling: true, pollIntervalMs: 100 }),
    );
    const modes: string[] = [];
    conn.on('mode', (m) => modes.push(m));
    conn.connect();
    expect(conn.mode).toBe('polling');
    expect(modes).toEqual(['polling']);
    await until(() => conn.status?.status === 'waiting', 10_000, 'a polled status');
    expect(conn.connected).toBe(false);
    expect(sockets()).toBe(before);
    expect(await failure(conn.subscribeSeats(fan.scheduleIds[0]!))).toMatchObject({
      code: 'NOT_CONNECTED',
    });
    await setQueuePolicy(ctx.api, fan.concertId, { paused: false });
    await conn.waitForAdmission({ timeoutMs: 20_000 });
    expect(await conn.leave()).toEqual({ left: true, reason: 'left' });
  });
});

describe('cancelling HTTP calls', () => {
  it('ABORTED for the caller signal, TIMEOUT for the time limit, NETWORK_ERROR only for the network', async () => {
    const hung = await silentServer();
    try {
      const sdk = new LineupClient({ baseUrl: hung.url });
      const controller = new AbortController();
      const pending = sdk.concerts({ signal: controller.signal });
      setTimeout(() => controller.abort(new Error('user went away')), 50);
      const aborted = await failure(pending);
      expect(aborted).toMatchObject({ code: 'ABORTED', status: 0 });
      expect((aborted.cause as Error).message).toBe('user went away');
      expect(await failure(sdk.balance({ timeoutMs: 100 }))).toMatchObject({ code: 'TIMEOUT' });
      const limited = new LineupClient({ baseUrl: hung.url, timeoutMs: 80 });
      expect(await failure(limited.charge(5_000))).toMatchObject({ code: 'TIMEOUT' });
    } finally {
      hung.server.closeAllConnections();
      hung.server.close();
    }
    // Aborted before it starts: nothing is sent.
    const fan = await newFan();
    expect(await failure(fan.sdk.charge(5_000, { signal: AbortSignal.abort() }))).toMatchObject({
      code: 'ABORTED',
    });
    expect(await fan.sdk.balance()).toEqual({ balance: 0 });
  });
});

async function plantClaim(userId: number, key: string, amount: number, lockedFor: string) {
  const hash = requestHash({ method: 'POST', path: '/users/me/points/charge', body: { amount } });
  await sql(
    ctx.db.url,
    `insert into idempotency_keys (user_id, key, request_hash, status, locked_until)
     values ($1, $2, $3, 'in_progress', now() + $4::interval)`,
    [userId, key, hash, lockedFor],
  );
}

async function chargeRows(userId: number): Promise<number> {
  const rows = await sql<{ n: string }>(
    ctx.db.url,
    `select count(*) as n from point_ledger where user_id = $1 and type = 'charge'`,
    [userId],
  );
  return Number(rows[0]!.n);
}

describe('safe retries with an Idempotency-Key', () => {
  it('makes a key when none is given: two charges are two charges, each sent with its own key', async () => {
    const keys: string[] = [];
    const fan = await newFan({
      fetch: (url, init) => {
        const key = (init?.headers as Record<string, string> | undefined)?.['Idempotency-Key'];
        if (key) keys.push(key);
        return fetch(url, init);
      },
    });
    await fan.sdk.charge(1_000);
    await fan.sdk.charge(1_000);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
    for (const key of keys)
      expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await fan.sdk.balance()).toEqual({ balance: 2_000 });
  });

  it('retries IDEMPOTENCY_KEY_IN_USE with the same key until the first claim gives way; charges once', async () => {
    const sent: { key: string | undefined; status: number }[] = [];
    const fan = await newFan({
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        const key = (init?.headers as Record<string, string> | undefined)?.['Idempotency-Key'];
        if (key) sent.push({ key, status: res.status });
        return res;
      },
    });
    const key = randomUUID();
    await plantClaim(fan.id, key, 8_000, '10 minutes');
    // Without retries the caller sees the 409.
    expect(await failure(fan.sdk.charge(8_000, { idempotencyKey: key }))).toMatchObject({
      code: 'IDEMPOTENCY_KEY_IN_USE',
      status: 409,
    });
    const other = randomUUID();
    // The server itself waits up to 3 s for a running first request before answering 409.
    await plantClaim(fan.id, other, 8_000, '4500 milliseconds');
    const charged = await fan.sdk.charge(8_000, {
      idempotencyKey: other,
      retry: { retries: 20, minDelayMs: 100, maxDelayMs: 300 },
    });
    expect(charged).toEqual({ balance: 8_000 });
    const attempts = sent.filter((s) => s.key === other);
    expect(attempts.length).toBeGreaterThan(1);
    expect(attempts.slice(0, -1).every((a) => a.status === 409)).toBe(true);
    expect(attempts.at(-1)!.status).toBe(200);
    expect(await chargeRows(fan.id)).toBe(1);
  });

  it('retries a network failure with the same key: the second attempt reaches the server, one charge', async () => {
    const proxy = await startTcpProxy([]);
    proxies.push(proxy);
    const fan = await newFan();
    const viaProxy = new LineupClient({
      baseUrl: proxy.url,
      accessToken: fan.sdk.accessToken,
      retry: { retries: 10, minDelayMs: 50, maxDelayMs: 200 },
    });
    const target = new URL(ctx.server.url).host;
    setTimeout(() => proxy.backends.push(target), 300);
    expect(await viaProxy.charge(3_000)).toEqual({ balance: 3_000 });
    expect(await chargeRows(fan.id)).toBe(1);
    // Off by default: the same outage is reported at once.
    const noRetry = new LineupClient({ baseUrl: (await startDeadProxy()).url });
    expect(await failure(noRetry.charge(3_000))).toMatchObject({ code: 'NETWORK_ERROR' });
  });
});

async function startDeadProxy(): Promise<TcpProxy> {
  const proxy = await startTcpProxy([]);
  proxies.push(proxy);
  return proxy;
}
