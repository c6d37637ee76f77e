import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import {
  QueueConnection,
  type LineupError,
  type QueueEnded,
  type QueueMode,
} from '@lineup/client-sdk';
// Internal helpers (not exported by the package).
import { backoffDelay, concertIdOfToken } from '../../client-sdk/src/queue-helpers.js';
import { StatusPoller } from '../../client-sdk/src/status-poller.js';

describe('backoffDelay', () => {
  const opts = { reconnectionDelay: 100, reconnectionDelayMax: 1_000, randomizationFactor: 0.5 };

  it('doubles from reconnectionDelay up to reconnectionDelayMax', () => {
    const middle = () => 0.5; // no jitter
    expect([0, 1, 2, 3, 4, 5, 40].map((n) => backoffDelay(n, opts, middle))).toEqual([
      100, 200, 400, 800, 1_000, 1_000, 1_000,
    ]);
  });

  it('jitters by +-randomizationFactor, never past the maximum nor below zero', () => {
    expect(backoffDelay(1, opts, () => 0)).toBe(100);
    expect(backoffDelay(1, opts, () => 0.999_999)).toBe(300);
    expect(backoffDelay(5, opts, () => 0.999_999)).toBe(1_000);
    expect(backoffDelay(5, opts, () => 0)).toBe(500);
    expect(backoffDelay(0, { ...opts, randomizationFactor: 0 }, () => 0)).toBe(100);
  });
});

describe('concertIdOfToken', () => {
  it('reads the concertId claim of a JWT without verifying it', () => {
    const payload = Buffer.from(JSON.stringify({ sub: '5', concertId: 42, eid: 1 })).toString(
      'base64url',
    );
    expect(concertIdOfToken(`h.${payload}.sig`)).toBe(42);
    expect(concertIdOfToken('garbage')).toBeUndefined();
    expect(concertIdOfToken('a.!!!.c')).toBeUndefined();
  });
});

/** A local port nobody listens on: sockets to it fail at once. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

const token = `h.${Buffer.from(JSON.stringify({ concertId: 7 })).toString('base64url')}.s`;
const statusBody = (status: string, position: number | null) =>
  JSON.stringify({
    concertId: 7,
    status,
    position,
    estimatedWaitSeconds: null,
    activeUntil: status === 'active' ? new Date(Date.now() + 60_000).toISOString() : null,
  });
const envelope = (code: string, details?: object) =>
  JSON.stringify({ error: { code, message: code, details } });

const opened: QueueConnection[] = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});

/** A QueueConnection whose socket cannot connect, polling through a scripted fetch. */
async function pollingConnection(answers: (() => Response)[]) {
  const requests: { url: string; headers: Record<string, string> }[] = [];
  const conn = new QueueConnection({
    baseUrl: 'http://api.test',
    socketUrl: await deadUrl(),
    queueToken: token,
    pollIntervalMs: 20,
    fallbackAfterMs: 50,
    socket: { reconnectionDelay: 1_000, reconnectionDelayMax: 1_000 },
    fetch: async (url, init) => {
      requests.push({ url, headers: init?.headers as Record<string, string> });
      const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
      return answer();
    },
  });
  opened.push(conn);
  const events = {
    status: [] as string[],
    admitted: 0,
    ended: [] as QueueEnded[],
    errors: [] as LineupError[],
    modes: [] as QueueMode[],
  };
  conn.on('status', (s) => events.status.push(s.status));
  conn.on('admitted', () => events.admitted++);
  conn.on('ended', (e) => events.ended.push(e));
  conn.on('error', (e) => events.errors.push(e));
  conn.on('mode', (m) => events.modes.push(m));
  return { conn, events, requests };
}

async function until(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('QueueConnection polling (socket unreachable, scripted HTTP)', () => {
  it('polls GET /queue/status with the token and admits once', async () => {
    const { conn, events, requests } = await pollingConnection([
      () => new Response(statusBody('waiting', 2), { status: 200 }),
      () => new Response(envelope('SERVICE_UNAVAILABLE'), { status: 503 }),
      () => new Response(statusBody('waiting', 1), { status: 200 }),
      () => new Response(statusBody('active', null), { status: 200 }),
    ]);
    conn.connect();
    expect(conn.mode).toBe('socket');
    await until(() => events.status.filter((s) => s === 'active').length >= 3);
    expect(events.modes).toEqual(['polling']);
    expect(events.status.slice(0, 3)).toEqual(['waiting', 'waiting', 'active']);
    expect(events.admitted).toBe(1);
    expect(events.errors).toEqual([]);
    expect(conn.status?.status).toBe('active');
    expect(requests[0]!.url).toBe('http://api.test/queue/status');
    expect(requests[0]!.headers['X-Queue-Token']).toBe(token);
    await expect(conn.waitForAdmission()).resolves.toMatchObject({ concertId: 7 });
  });

  it('ends on 410 with the reason of details.reason, else expired; stops polling', async () => {
    for (const [details, reason] of [
      [{ reason: 'completed' }, 'completed'],
      [undefined, 'expired'],
      [{ reason: 'bogus' }, 'expired'],
    ] as const) {
      const { conn, events, requests } = await pollingConnection([
        () => new Response(envelope('ADMISSION_EXPIRED', details), { status: 410 }),
      ]);
      const admission = conn
        .connect()
        .waitForAdmission()
        .catch((e: unknown) => e);
      await until(() => events.ended.length > 0);
      expect(events.ended).toEqual([{ concertId: 7, reason }]);
      expect(await admission).toMatchObject({ code: 'QUEUE_ENDED', details: { reason } });
      expect(conn.isClosed).toBe(true);
      const polls = requests.length;
      await new Promise((r) => setTimeout(r, 100));
      expect(requests.length).toBe(polls);
    }
  });

  it('stops with an error on 401 QUEUE_TOKEN_INVALID and 404 QUEUE_ENTRY_NOT_FOUND', async () => {
    for (const [status, code] of [
      [401, 'QUEUE_TOKEN_INVALID'],
      [404, 'QUEUE_ENTRY_NOT_FOUND'],
    ] as const) {
      const { conn, events } = await pollingConnection([
        () => new Response(envelope(code), { status }),
      ]);
      conn.connect();
      await until(() => events.errors.length > 0);
      expect(events.errors.map((e) => [e.code, e.status])).toEqual([[code, status]]);
      expect(events.ended).toEqual([]);
      expect(conn.isClosed).toBe(true);
    }
  });

  it('leaves with DELETE /queue when the socket is not connected', async () => {
    const { conn, events, requests } = await pollingConnection([
      () => new Response(null, { status: 204 }),
    ]);
    await conn.leave();
    expect(requests.map((r) => r.url)).toEqual(['http://api.test/queue']);
    expect(events.ended).toEqual([{ concertId: 7, reason: 'left' }]);
    await conn.leave(); // already over: nothing more
    expect(requests).toHaveLength(1);
  });

  it('rejects socket calls when not connected in time', async () => {
    const { conn } = await pollingConnection([
      () => new Response(statusBody('waiting', 1), { status: 200 }),
    ]);
    await expect(conn.subscribeSeats(1)).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    conn.connect();
    const pending = conn.subscribeSeats(1);
    conn.close();
    await expect(pending).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect(() => conn.connect()).toThrow(/closed/);
  });
});

describe('StatusPoller', () => {
  it('runs one loop even when restarted while a poll is in flight, and respects Retry-After', async () => {
    let calls = 0;
    let release: (() => void) | undefined;
    const statuses: string[] = [];
    const poller = new StatusPoller({
      baseUrl: 'http://api.test',
      queueToken: token,
      intervalMs: 20,
      fetch: async () => {
        calls++;
        if (calls === 1) await new Promise<void>((r) => (release = r));
        if (calls === 3) {
          return new Response(envelope('RATE_LIMITED'), {
            status: 429,
            headers: { 'Retry-After': '1' },
          });
        }
        return new Response(statusBody('waiting', 1), { status: 200 });
      },
      onStatus: (s) => statuses.push(s.status),
      onEnded: () => undefined,
      onFatal: () => undefined,
    });
    poller.start();
    await until(() => release !== undefined);
    poller.stop();
    poller.start(); // a second run while the first answer is still pending
    release!();
    await new Promise((r) => setTimeout(r, 300));
    poller.stop();
    // Run 1's answer is dropped; run 2 polled once, then got 429 with Retry-After: 1 s.
    expect(calls).toBe(3);
    expect(statuses).toEqual(['waiting']);
    expect(poller.running).toBe(false);
  });
});
