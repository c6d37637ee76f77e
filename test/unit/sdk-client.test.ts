import { describe, expect, it } from 'vitest';
import { LineupClient, LineupError, NETWORK_ERROR, UNEXPECTED_RESPONSE } from '@lineup/client-sdk';

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that records requests and answers from a queue of canned responses. */
function fakeFetch(...answers: (Response | Error)[]) {
  const sent: Sent[] = [];
  const fetch = async (url: string, init?: RequestInit) => {
    const headers = Object.fromEntries(
      Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [
        k.toLowerCase(),
        v,
      ]),
    );
    sent.push({
      url,
      method: init?.method ?? 'GET',
      headers,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    });
    const next = answers.shift();
    if (!next) throw new Error('no canned answer left');
    if (next instanceof Error) throw next;
    return next;
  };
  return { fetch, sent };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('LineupClient requests', () => {
  it('signs up, keeps the token and sends it as a Bearer token afterwards', async () => {
    const { fetch, sent } = fakeFetch(
      json(201, { user: { id: 1, name: 'A', phone: '01012345678' }, accessToken: 'tok-1' }),
      json(200, { balance: 0 }),
    );
    const api = new LineupClient({ baseUrl: 'http://api.test/', fetch });
    const res = await api.signUp({ name: 'A', phone: '010-1234-5678', password: 'password123' });
    expect(res.user.id).toBe(1);
    expect(api.accessToken).toBe('tok-1');
    expect(await api.balance()).toEqual({ balance: 0 });
    expect(sent[0]).toMatchObject({
      url: 'http://api.test/users',
      method: 'POST',
      body: { name: 'A', phone: '010-1234-5678', password: 'password123' },
    });
    expect(sent[0]!.headers.authorization).toBeUndefined();
    expect(sent[0]!.headers['content-type']).toBe('application/json');
    expect(sent[1]).toMatchObject({
      url: 'http://api.test/users/me/points',
      method: 'GET',
      headers: { authorization: 'Bearer tok-1' },
    });
  });

  it('sends Idempotency-Key, X-Queue-Token and query strings where the SPEC puts them', async () => {
    const reservation = { id: 9, status: 'held' };
    const { fetch, sent } = fakeFetch(
      json(200, { balance: 5_000 }),
      json(200, { items: [], nextCursor: null }),
      json(200, []),
      json(201, reservation),
      json(200, { paymentId: 1 }),
      json(200, []),
    );
    const api = new LineupClient({ baseUrl: 'http://api.test', accessToken: 't', fetch });
    await api.charge(5_000, { idempotencyKey: 'k-1' });
    await api.history({ cursor: '42', limit: 5 });
    await api.seats(3, 'qt', { status: 'available' });
    expect(
      await api.hold({ scheduleId: 3, seatIds: [1, 2] }, 'qt', { idempotencyKey: 'k-2' }),
    ).toEqual(reservation);
    await api.pay(9, { idempotencyKey: 'k-3' });
    await api.schedules(7, 'qt');
    expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST http://api.test/users/me/points/charge',
      'GET http://api.test/users/me/points/history?cursor=42&limit=5',
      'GET http://api.test/schedules/3/seats?status=available',
      'POST http://api.test/reservations',
      'POST http://api.test/reservations/9/payment',
      'GET http://api.test/concerts/7/schedules',
    ]);
    expect(sent[0]!.headers['idempotency-key']).toBe('k-1');
    expect(sent[0]!.body).toEqual({ amount: 5_000 });
    expect(sent[2]!.headers['x-queue-token']).toBe('qt');
    expect(sent[3]!.headers).toMatchObject({ 'x-queue-token': 'qt', 'idempotency-key': 'k-2' });
    expect(sent[3]!.body).toEqual({ scheduleId: 3, seatIds: [1, 2] });
    expect(sent[4]!.headers['idempotency-key']).toBe('k-3');
    expect(sent[4]!.body).toBeUndefined();
    expect(sent[5]!.headers).toMatchObject({ authorization: 'Bearer t', 'x-queue-token': 'qt' });
  });

  it('tells a new place in line (201) from an existing one (200), and leaves with 204', async () => {
    const place = {
      concertId: 1,
      status: 'waiting',
      position: 3,
      estimatedWaitSeconds: null,
      activeUntil: null,
      queueToken: 'qt',
    };
    const { fetch, sent } = fakeFetch(
      json(201, place),
      json(200, place),
      new Response(null, { status: 204 }),
    );
    const api = new LineupClient({ baseUrl: 'http://api.test', accessToken: 't', fetch });
    expect(await api.joinQueue(1)).toEqual({ ...place, created: true });
    expect(await api.joinQueue(1)).toEqual({ ...place, created: false });
    expect(await api.leaveQueue('qt')).toEqual({ left: true, reason: 'left' });
    expect(sent[2]).toMatchObject({ method: 'DELETE', url: 'http://api.test/queue' });
    // The queue token alone identifies the fan here.
    expect(sent[2]!.headers.authorization).toBeUndefined();
  });

  it('throws LineupError for an error envelope, a network failure and a non-JSON answer', async () => {
    const { fetch } = fakeFetch(
      json(
        503,
        { error: { code: 'QUEUE_FULL', message: 'full', details: {} } },
        { 'Retry-After': '30' },
      ),
      new TypeError('fetch failed'),
      new Response('<html></html>', { status: 200 }),
    );
    const api = new LineupClient({ baseUrl: 'http://api.test', accessToken: 't', fetch });
    const full = await api.joinQueue(1).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(LineupError);
    expect(full).toMatchObject({ code: 'QUEUE_FULL', status: 503, retryAfterSeconds: 30 });
    await expect(api.concerts()).rejects.toMatchObject({ code: NETWORK_ERROR, status: 0 });
    await expect(api.concerts()).rejects.toMatchObject({ code: UNEXPECTED_RESPONSE, status: 200 });
  });

  it('forgets the token with setAccessToken(undefined)', async () => {
    const { fetch, sent } = fakeFetch(json(200, []));
    const api = new LineupClient({ baseUrl: 'http://api.test', accessToken: 't', fetch });
    api.setAccessToken(undefined);
    await api.myReservations();
    expect(sent[0]!.headers.authorization).toBeUndefined();
  });
});
