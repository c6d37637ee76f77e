import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  LineupClient,
  LineupError,
  PaymentResponse,
  QueueConnection,
  RefundResponse,
  Reservation,
  ReservationList,
  SeatList,
  type QueueAdmitted,
  type QueueConnectionOptions,
  type QueueEnded,
  type QueueMode,
  type QueueStatus,
  type SeatsChanged,
} from '@lineup/client-sdk';
import { createConcert, setQueuePolicy, type ConcertFixture } from '../support/fixtures.js';
import { client, uniquePhone } from '../support/http.js';
import { flushPrefix, startCluster, useTestServer } from '../support/server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { until } from '../support/wait.js';

const ctx = useTestServer({ QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' });
let concert: ConcertFixture;
const connections: QueueConnection[] = [];
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  concert = await createConcert(ctx.api, { seats: 20 });
});
afterEach(async () => {
  for (const c of connections.splice(0)) c.close();
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

/** A signed-up fan with their own client (the SDK keeps the token it got). */
async function newFan(): Promise<{ sdk: LineupClient; phone: string; id: number }> {
  const sdk = new LineupClient({ baseUrl: ctx.server.url });
  const phone = uniquePhone();
  const res = await sdk.signUp({ name: 'SDK Fan', phone, password: 'password123' });
  return { sdk, phone, id: res.user.id };
}

/** The error a promise rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<LineupError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (err: unknown) => ({ err }),
  );
  if (!('err' in outcome)) throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
  expect(outcome.err).toBeInstanceOf(LineupError);
  return outcome.err as LineupError;
}

/** A local URL nobody listens on. */
async function deadUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** A QueueConnection that records every event it emits. */
function watch(options: QueueConnectionOptions) {
  const conn = new QueueConnection(options);
  connections.push(conn);
  const events = {
    status: [] as QueueStatus[],
    admitted: [] as QueueAdmitted[],
    ended: [] as QueueEnded[],
    seats: [] as SeatsChanged[],
    modes: [] as QueueMode[],
    errors: [] as LineupError[],
  };
  conn.on('status', (s) => events.status.push(s));
  conn.on('admitted', (a) => events.admitted.push(a));
  conn.on('ended', (e) => events.ended.push(e));
  conn.on('seats', (s) => events.seats.push(s));
  conn.on('mode', (m) => events.modes.push(m));
  conn.on('error', (e) => events.errors.push(e));
  return { conn, events };
}

/** A paused concert with one fan in line: resume it to admit them. */
async function fanWaiting() {
  const fixture = await createConcert(ctx.api);
  await setQueuePolicy(ctx.api, fixture.concertId, { paused: true });
  const fan = await newFan();
  const joined = await fan.sdk.joinQueue(fixture.concertId);
  return { ...fixture, ...fan, queueToken: joined.queueToken };
}

describe('LineupClient against a real server', () => {
  it('signs up, logs in, charges with a replayed Idempotency-Key, and lists the history', async () => {
    const fan = await newFan();
    expect(fan.sdk.accessToken).toEqual(expect.any(String));
    expect(await fan.sdk.balance()).toEqual({ balance: 0 });

    const first = await fan.sdk.charge(10_000, { idempotencyKey: 'sdk-charge-1' });
    const replay = await fan.sdk.charge(10_000, { idempotencyKey: 'sdk-charge-1' });
    expect(first).toEqual({ balance: 10_000 });
    expect(replay).toEqual({ balance: 10_000 });
    expect(await fan.sdk.charge(2_000)).toEqual({ balance: 12_000 });
    const reused = await failure(fan.sdk.charge(3_000, { idempotencyKey: 'sdk-charge-1' }));
    expect(reused).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422 });

    const page = await fan.sdk.history({ limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ type: 'charge', amount: 2_000, balanceAfter: 12_000 });
    expect(page.nextCursor).toEqual(expect.any(String));
    const rest = await fan.sdk.history({ cursor: page.nextCursor! });
    expect(rest.items.map((i) => i.amount)).toEqual([10_000]);
    expect(rest.nextCursor).toBeNull();

    const other = new LineupClient({ baseUrl: `${ctx.server.url}/` });
    const login = await other.login({ phone: fan.phone, password: 'password123' });
    expect(login.expiresIn).toBeGreaterThan(0);
    expect(other.accessToken).toBe(login.accessToken);
    expect(await other.balance()).toEqual({ balance: 12_000 });
  });

  it('withdraws points with a replayed Idempotency-Key; refusals are LineupErrors', async () => {
    const fan = await newFan();
    await fan.sdk.charge(10_000);
    const first = await fan.sdk.withdrawPoints(4_000, { idempotencyKey: 'sdk-withdraw-1' });
    const replay = await fan.sdk.withdrawPoints(4_000, { idempotencyKey: 'sdk-withdraw-1' });
    expect(first).toEqual({ balance: 6_000 });
    expect(replay).toEqual({ balance: 6_000 });
    const reused = await failure(
      fan.sdk.withdrawPoints(5_000, { idempotencyKey: 'sdk-withdraw-1' }),
    );
    expect(reused).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422 });
    expect(await failure(fan.sdk.withdrawPoints(6_001))).toMatchObject({
      code: 'INSUFFICIENT_POINTS',
      status: 402,
      details: { amount: 6_001, balance: 6_000 },
    });
    expect(await failure(fan.sdk.withdrawPoints(999))).toMatchObject({
      code: 'WITHDRAW_AMOUNT_OUT_OF_RANGE',
      status: 422,
    });
    const page = await fan.sdk.history();
    expect(page.items.map((i) => [i.type, i.amount, i.balanceAfter])).toEqual([
      ['withdrawal', -4_000, 6_000],
      ['charge', 10_000, 10_000],
    ]);
  });

  it('throws LineupError with the SPEC code and status', async () => {
    const fan = await newFan();
    const taken = await failure(
      new LineupClient({ baseUrl: ctx.server.url }).signUp({
        name: 'Again',
        phone: fan.phone,
        password: 'password123',
      }),
    );
    expect(taken).toMatchObject({ code: 'PHONE_TAKEN', status: 409 });

    const wrong = await failure(
      new LineupClient({ baseUrl: ctx.server.url }).login({
        phone: fan.phone,
        password: 'nope-nope',
      }),
    );
    expect(wrong).toMatchObject({ code: 'INVALID_CREDENTIALS', status: 401 });

    const range = await failure(fan.sdk.charge(10));
    expect(range).toMatchObject({ code: 'CHARGE_AMOUNT_OUT_OF_RANGE', status: 422 });

    const badToken = await failure(fan.sdk.queueStatus('not-a-queue-token'));
    expect(badToken).toMatchObject({ code: 'QUEUE_TOKEN_INVALID', status: 401 });

    const invalid = await failure(fan.sdk.charge(1.5));
    expect(invalid.code).toBe('VALIDATION_FAILED');
    expect(invalid.details?.issues).toEqual(expect.any(Array));

    fan.sdk.setAccessToken(undefined);
    expect(await failure(fan.sdk.balance())).toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
    });
  });

  it('reports NETWORK_ERROR with status 0 when nothing listens', async () => {
    const nowhere = new LineupClient({ baseUrl: await deadUrl() });
    const err = await failure(nowhere.concerts());
    expect(err).toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
    expect(err.cause).toBeDefined();
  });

  it('lists concerts, joins the line once, reads the status, sees schedules when admitted, leaves', async () => {
    const fan = await newFan();
    const concerts = await fan.sdk.concerts();
    expect(concerts.find((c) => c.id === concert.concertId)).toMatchObject({
      title: 'Test Concert',
      schedules: [{ id: concert.scheduleIds[0], venue: { id: concert.venueId } }],
    });

    const joined = await fan.sdk.joinQueue(concert.concertId);
    expect(joined).toMatchObject({ concertId: concert.concertId, created: true });
    expect(joined.queueToken).toEqual(expect.any(String));
    const again = await fan.sdk.joinQueue(concert.concertId);
    expect(again.created).toBe(false);

    await until(
      async () => (await fan.sdk.queueStatus(joined.queueToken)).status === 'active',
      15_000,
      'admission',
    );
    const status = await fan.sdk.queueStatus(joined.queueToken);
    expect(status).toMatchObject({ concertId: concert.concertId, position: null });
    expect(Date.parse(status.activeUntil!)).toBeGreaterThan(Date.now());

    const schedules = await fan.sdk.schedules(concert.concertId, joined.queueToken);
    expect(schedules).toEqual([
      expect.objectContaining({
        id: concert.scheduleIds[0],
        totalSeats: 20,
        availableSeats: 20,
        prices: { VIP: 150_000, R: 120_000, S: 90_000, A: 60_000 },
      }),
    ]);

    await fan.sdk.leaveQueue(joined.queueToken);
    const ended = await failure(fan.sdk.queueStatus(joined.queueToken));
    expect(ended).toMatchObject({
      code: 'ADMISSION_EXPIRED',
      status: 410,
      details: { reason: 'left' },
    });
  });

  it('answers NOT_ADMITTED with the position while waiting, and CONCERT_NOT_FOUND', async () => {
    const waiting = await fanWaiting();
    const notYet = await failure(waiting.sdk.schedules(waiting.concertId, waiting.queueToken));
    expect(notYet).toMatchObject({
      code: 'NOT_ADMITTED',
      status: 403,
      details: { status: 'waiting', position: 1 },
    });
    expect(await failure(waiting.sdk.joinQueue(999_999))).toMatchObject({
      code: 'CONCERT_NOT_FOUND',
      status: 404,
    });
  });
});

describe('LineupClient booking calls', () => {
  it('hold, read, cancel, pay and refund, with answers that match the contract', async () => {
    const { concertId, scheduleIds } = await createConcert(ctx.api, { seats: 40 });
    const scheduleId = scheduleIds[0]!;
    const fan = await newFan();
    const { queueToken } = await fan.sdk.joinQueue(concertId);
    await until(
      async () => (await fan.sdk.queueStatus(queueToken)).status === 'active',
      15_000,
      'admission',
    );
    const seats = SeatList.parse(await fan.sdk.seats(scheduleId, queueToken));
    expect(seats).toHaveLength(40);
    const cheap = seats.filter((s) => s.grade === 'A');
    const [a, b] = cheap;

    const first = Reservation.parse(
      await fan.sdk.hold({ scheduleId, seatIds: [a!.id, b!.id] }, queueToken),
    );
    expect(first).toMatchObject({ status: 'held', concertId, scheduleId, amount: 120_000 });
    const available = await fan.sdk.seats(scheduleId, queueToken, { status: 'available' });
    expect(available.map((s) => s.id)).not.toContain(a!.id);
    expect(available).toHaveLength(38);
    expect(Reservation.parse(await fan.sdk.cancelReservation(first.id)).status).toBe('canceled');
    expect(
      await failure(
        fan.sdk.hold({ scheduleId, seatIds: cheap.slice(0, 5).map((s) => s.id) }, queueToken),
      ),
    ).toMatchObject({ code: 'SEAT_LIMIT_EXCEEDED', status: 422 });

    const held = await fan.sdk.hold({ scheduleId, seatIds: [a!.id] }, queueToken, {
      idempotencyKey: 'sdk-hold-1',
    });
    const replayed = await fan.sdk.hold({ scheduleId, seatIds: [a!.id] }, queueToken, {
      idempotencyKey: 'sdk-hold-1',
    });
    expect(replayed.id).toBe(held.id);
    expect(Reservation.parse(await fan.sdk.reservation(held.id))).toEqual(held);

    expect(await failure(fan.sdk.pay(held.id))).toMatchObject({
      code: 'INSUFFICIENT_POINTS',
      status: 402,
    });
    await fan.sdk.charge(100_000);
    const paid = PaymentResponse.parse(await fan.sdk.pay(held.id, { idempotencyKey: 'sdk-pay-1' }));
    expect(paid).toMatchObject({ reservationId: held.id, amount: 60_000, balance: 40_000 });
    expect((await fan.sdk.pay(held.id, { idempotencyKey: 'sdk-pay-1' })).paymentId).toBe(
      paid.paymentId,
    );
    expect(await failure(fan.sdk.pay(held.id))).toMatchObject({
      code: 'ALREADY_PAID',
      status: 409,
    });

    const mine = ReservationList.parse(await fan.sdk.myReservations());
    expect(mine.map((r) => [r.id, r.status]).sort()).toEqual(
      [
        [first.id, 'canceled'],
        [held.id, 'paid'],
      ].sort(),
    );
    const refund = RefundResponse.parse(await fan.sdk.refund(held.id));
    expect(refund).toEqual({ reservationId: held.id, refundedAmount: 60_000, balance: 100_000 });
    expect((await fan.sdk.reservation(held.id)).status).toBe('refunded');
    expect(await failure(fan.sdk.reservation(999_999))).toMatchObject({
      code: 'RESERVATION_NOT_FOUND',
      status: 404,
    });
  });
});

describe('QueueConnection falls back to polling when the socket cannot connect', () => {
  it('polls GET /queue/status, emits status, and admits exactly once', async () => {
    const fan = await fanWaiting();
    const { conn, events } = watch({
      baseUrl: ctx.server.url,
      socketUrl: await deadUrl(),
      queueToken: fan.queueToken,
      pollIntervalMs: 100,
      fallbackAfterMs: 300,
      socket: { reconnectionDelay: 200, reconnectionDelayMax: 400 },
    });
    const admission = conn.connect().waitForAdmission();
    await until(() => conn.mode === 'polling', 5_000, 'polling mode');
    expect(events.modes).toEqual(['polling']);
    await until(() => events.status.length >= 2, 5_000, 'polled statuses');
    expect(events.status[0]).toMatchObject({
      concertId: fan.concertId,
      status: 'waiting',
      position: 1,
      activeUntil: null,
    });
    expect(events.admitted).toEqual([]);

    await setQueuePolicy(ctx.api, fan.concertId, { paused: false });
    const admitted = await admission;
    expect(admitted.concertId).toBe(fan.concertId);
    expect(Date.parse(admitted.activeUntil)).toBeGreaterThan(Date.now());
    const polledSince = events.status.length;
    await until(() => events.status.length >= polledSince + 3, 5_000, 'more polls');
    expect(events.admitted).toHaveLength(1);
    expect(events.status.at(-1)?.status).toBe('active');
    expect(conn.status?.status).toBe('active');
    expect(events.errors).toEqual([]);
    expect(conn.mode).toBe('polling');

    // The admission is real: the booking endpoints let the fan in.
    expect(await fan.sdk.schedules(fan.concertId, fan.queueToken)).toHaveLength(1);

    // Leaving while polling goes over HTTP.
    await conn.leave();
    expect(events.ended).toEqual([{ concertId: fan.concertId, reason: 'left' }]);
    expect(conn.isClosed).toBe(true);
    expect((await failure(fan.sdk.queueStatus(fan.queueToken))).status).toBe(410);
  });

  it('ends with the reason from a 410 while polling', async () => {
    const fan = await fanWaiting();
    await setQueuePolicy(ctx.api, fan.concertId, { paused: false });
    const { conn, events } = watch({
      baseUrl: ctx.server.url,
      socketUrl: await deadUrl(),
      queueToken: fan.queueToken,
      pollIntervalMs: 100,
      fallbackAfterMs: 200,
    });
    await conn.connect().waitForAdmission();
    await ctx.server.services.queue.endAdmission(fan.id, fan.concertId); // as payment does
    await until(() => events.ended.length > 0, 5_000, 'ended');
    expect(events.ended).toEqual([{ concertId: fan.concertId, reason: 'completed' }]);
    expect(events.errors).toEqual([]);
    expect(conn.isClosed).toBe(true);
  });

  it('switches back to the socket once WebSocket upgrades get through', async () => {
    const fan = await fanWaiting();
    const proxy = await startTcpProxy([new URL(ctx.server.url).host], { dropUpgrades: true });
    proxies.push(proxy);
    const { conn, events } = watch({
      baseUrl: proxy.url,
      queueToken: fan.queueToken,
      pollIntervalMs: 100,
      fallbackAfterMs: 300,
      socket: { reconnectionDelay: 100, reconnectionDelayMax: 200 },
    });
    conn.connect();
    await until(() => events.status.length > 0 && conn.mode === 'polling', 5_000, 'polling');
    proxy.dropUpgrades = false;
    await until(() => conn.mode === 'socket', 5_000, 'socket mode');
    expect(events.modes).toEqual(['polling', 'socket']);
    expect(conn.connected).toBe(true);

    await setQueuePolicy(ctx.api, fan.concertId, { paused: false });
    await conn.waitForAdmission();
    await sleep(300);
    expect(events.admitted).toHaveLength(1);
    expect(events.errors).toEqual([]);
  });
});

describe('QueueConnection over the socket', () => {
  it('hears status and one admission, subscribes to seats, and leaves over the socket', async () => {
    const fan = await fanWaiting();
    const { conn, events } = watch({
      baseUrl: ctx.server.url,
      queueToken: fan.queueToken,
      fallbackAfterMs: 5_000,
    });
    conn.connect();
    await until(() => events.status.length > 0, 5_000, 'first status');
    expect(conn.connected).toBe(true);
    expect(events.status[0]).toMatchObject({ status: 'waiting', position: 1 });

    // Not admitted yet: the server refuses the subscription with its code.
    const refused = await failure(conn.subscribeSeats(fan.scheduleIds[0]!));
    expect(refused.code).toBe('NOT_ADMITTED');

    await setQueuePolicy(ctx.api, fan.concertId, { paused: false });
    const admitted = await conn.waitForAdmission();
    expect(admitted.concertId).toBe(fan.concertId);
    expect(await conn.subscribeSeats(fan.scheduleIds[0]!)).toEqual({
      scheduleId: fan.scheduleIds[0],
    });

    // A hold by another admitted fan reaches the subscriber as seats:changed.
    const other = await newFan();
    const { queueToken } = await other.sdk.joinQueue(fan.concertId);
    await until(
      async () => (await other.sdk.queueStatus(queueToken)).status === 'active',
      15_000,
      'second admission',
    );
    const [seat] = await other.sdk.seats(fan.scheduleIds[0]!, queueToken, { status: 'available' });
    await other.sdk.hold({ scheduleId: fan.scheduleIds[0]!, seatIds: [seat!.id] }, queueToken);
    await until(() => events.seats.length > 0, 5_000, 'seats:changed');
    expect(events.seats[0]).toMatchObject({
      scheduleId: fan.scheduleIds[0],
      availableSeats: 19,
      changes: [{ seatId: seat!.id, status: 'held' }],
    });
    expect(await conn.unsubscribeSeats(fan.scheduleIds[0]!)).toEqual({
      scheduleId: fan.scheduleIds[0],
    });

    await conn.leave();
    expect(events.ended).toEqual([{ concertId: fan.concertId, reason: 'left' }]);
    expect(events.admitted).toHaveLength(1);
    expect(events.modes).toEqual([]);
    expect(conn.isClosed).toBe(true);
    expect((await failure(fan.sdk.queueStatus(fan.queueToken))).details).toMatchObject({
      reason: 'left',
    });
  });

  it('stops with an error, and does not poll, when the handshake refuses the token', async () => {
    const { conn, events } = watch({
      baseUrl: ctx.server.url,
      queueToken: 'forged',
      fallbackAfterMs: 200,
    });
    conn.connect();
    await until(() => events.errors.length > 0, 5_000, 'error');
    expect(events.errors.map((e) => e.code)).toEqual(['QUEUE_TOKEN_INVALID']);
    await sleep(400);
    expect(events.modes).toEqual([]);
    expect(events.status).toEqual([]);
    expect(conn.isClosed).toBe(true);
  });

  it('reconnects after the server disconnects it, and keeps seat subscriptions', async () => {
    const fan = await fanWaiting();
    await setQueuePolicy(ctx.api, fan.concertId, { paused: false });
    const { conn, events } = watch({
      baseUrl: ctx.server.url,
      queueToken: fan.queueToken,
      socket: { reconnectionDelay: 50, reconnectionDelayMax: 100 },
    });
    await conn.connect().waitForAdmission();
    await conn.subscribeSeats(fan.scheduleIds[0]!);
    await until(() => events.status.length > 0, 5_000, 'status');
    const before = events.status.length;

    ctx.server.gateway.io.of('/queue').disconnectSockets(); // 'io server disconnect'
    await until(() => !conn.connected, 5_000, 'disconnect');
    await until(() => conn.connected && events.status.length > before, 5_000, 'reconnect');
    expect(events.status.at(-1)?.status).toBe('active');
    expect(events.admitted).toHaveLength(1);

    // The subscription was renewed on the new connection.
    await sleep(200);
    const [seat] = await fan.sdk.seats(fan.scheduleIds[0]!, fan.queueToken, {
      status: 'available',
    });
    await fan.sdk.hold({ scheduleId: fan.scheduleIds[0]!, seatIds: [seat!.id] }, fan.queueToken);
    await until(() => events.seats.length > 0, 5_000, 'seats:changed after reconnect');
    expect(events.seats[0]!.changes).toEqual([{ seatId: seat!.id, status: 'held' }]);
    expect(events.errors).toEqual([]);
  });
  it('moves to another instance when its instance shuts down, keeping its place', async () => {
    const cluster = await startCluster(2, ctx.db.url, {
      QUEUE_TICK_MS: '50',
      LEADER_LEASE_MS: '600',
    });
    const proxy = await startTcpProxy(cluster.map((s) => new URL(s.url).host));
    proxies.push(proxy);
    try {
      const viaProxy = client(proxy.url);
      const { concertId } = await createConcert(viaProxy);
      await setQueuePolicy(viaProxy, concertId, { paused: true });
      const ahead = new LineupClient({ baseUrl: proxy.url });
      await ahead.signUp({ name: 'Ahead', phone: uniquePhone(), password: 'password123' });
      await ahead.joinQueue(concertId);
      const fan = new LineupClient({ baseUrl: proxy.url });
      await fan.signUp({ name: 'Mover', phone: uniquePhone(), password: 'password123' });
      const { queueToken } = await fan.joinQueue(concertId);

      const { conn, events } = watch({
        baseUrl: proxy.url,
        queueToken,
        socket: { reconnectionDelay: 100, reconnectionDelayMax: 300 },
      });
      conn.connect();
      await until(() => events.status.length > 0, 5_000, 'first status');
      expect(events.status[0]).toMatchObject({ status: 'waiting', position: 2 });
      const holder = cluster.find((s) => s.gateway.localSockets > 0)!;
      const before = events.status.length;
      await holder.close();
      await until(() => conn.connected && events.status.length > before, 10_000, 'moved');
      expect(cluster.find((s) => s !== holder)!.gateway.localSockets).toBe(1);
      expect(events.status.at(-1)).toMatchObject({ status: 'waiting', position: 2 });

      await setQueuePolicy(viaProxy, concertId, { paused: false });
      await conn.waitForAdmission();
      await sleep(200);
      expect(events.admitted).toHaveLength(1);
      expect(events.errors).toEqual([]);
      expect(events.modes).toEqual([]);
    } finally {
      await Promise.all(cluster.map((s) => s.close()));
      await flushPrefix(cluster[0]!.config.redisKeyPrefix);
    }
  });
});
