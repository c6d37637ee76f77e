import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { QueueTokens } from '../../src/modules/queue/queue-tokens.crypto.js';
import { admittedFans } from '../support/booking.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { useTestServer } from '../support/server.js';
import { bulkFans, type TestFan } from '../support/users.js';
import { until } from '../support/wait.js';

const ctx = useTestServer({ QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' });
let concertId: number;
let otherConcertId: number;
let active: TestFan & { queueToken: string };
let waiting: TestFan & { queueToken: string };

beforeAll(async () => {
  ({ concertId } = await createConcert(ctx.api));
  ({ concertId: otherConcertId } = await createConcert(ctx.api));
  await setQueuePolicy(ctx.api, concertId, { maxActive: 1 });
  const [a, b] = await bulkFans(ctx.server, 2);
  const ja = await ctx.api.post(`/concerts/${concertId}/queue`, undefined, { token: a!.token });
  const jb = await ctx.api.post(`/concerts/${concertId}/queue`, undefined, { token: b!.token });
  active = { ...a!, queueToken: ja.body.queueToken };
  waiting = { ...b!, queueToken: jb.body.queueToken };
  await until(async () => (await schedules(active)).status === 200);
});

function schedules(f: { token: string; queueToken?: string }, concert = concertId) {
  const headers: Record<string, string> = f.queueToken ? { 'x-queue-token': f.queueToken } : {};
  return ctx.api.get(`/concerts/${concert}/schedules`, { token: f.token, headers });
}

describe('the [admitted] guard', () => {
  it('lets an active fan through, with availability counted from the inventory', async () => {
    const res = await schedules(active);
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(1);
    expect(res.body[0]).toMatchObject({
      totalSeats: 20,
      availableSeats: 20,
      venue: { name: expect.any(String) },
    });
    expect(res.body[0].prices).toEqual({ VIP: 150_000, R: 120_000, S: 90_000, A: 60_000 });
  });

  it('answers 403 NOT_ADMITTED with the position while waiting', async () => {
    const res = await schedules(waiting);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({
      code: 'NOT_ADMITTED',
      details: { status: 'waiting', position: 1 },
    });
  });

  it('answers 401 for a missing, forged or another user’s queue token, and without an access token', async () => {
    expect((await schedules({ token: active.token })).body.error.code).toBe('QUEUE_TOKEN_INVALID');
    const forged = new QueueTokens('not-the-server-secret-at-all').sign({
      userId: active.id,
      concertId,
      eid: 1,
    });
    const res = await schedules({ token: active.token, queueToken: await forged });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('QUEUE_TOKEN_INVALID');
    const stolen = await schedules({ token: waiting.token, queueToken: active.queueToken });
    expect(stolen.status).toBe(401);
    expect(stolen.body.error.code).toBe('QUEUE_TOKEN_INVALID');
    const anonymous = await ctx.api.get(`/concerts/${concertId}/schedules`, {
      headers: { 'x-queue-token': active.queueToken },
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('answers 403 for a token of another concert', async () => {
    const res = await schedules(active, otherConcertId);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('NOT_ADMITTED');
  });

  it('answers 410 ADMISSION_EXPIRED once the admission has ended', async () => {
    await ctx.server.services.queue.endAdmission(active.id, concertId); // as booking does after payment
    const res = await schedules(active);
    expect(res.status).toBe(410);
    expect(res.body.error).toMatchObject({
      code: 'ADMISSION_EXPIRED',
      details: { reason: 'completed' },
    });
  });
});

describe('queue status and leave', () => {
  it('answer 401 for a forged token and 404 for a token without an entry', async () => {
    const forged = await new QueueTokens('not-the-server-secret-at-all').sign({
      userId: 1,
      concertId,
      eid: 1,
    });
    expect(
      (await ctx.api.get('/queue/status', { headers: { 'x-queue-token': forged } })).status,
    ).toBe(401);
    expect((await ctx.api.get('/queue/status')).body.error.code).toBe('QUEUE_TOKEN_INVALID');
    expect((await ctx.api.del('/queue', { headers: { 'x-queue-token': forged } })).status).toBe(
      401,
    );
    const genuine = await new QueueTokens(ctx.server.config.queueTokenSecret).sign({
      userId: 1,
      concertId: otherConcertId,
      eid: 7,
    });
    const status = await ctx.api.get('/queue/status', { headers: { 'x-queue-token': genuine } });
    expect(status.status).toBe(404);
    expect(status.body.error.code).toBe('QUEUE_ENTRY_NOT_FOUND');
    expect((await ctx.api.del('/queue', { headers: { 'x-queue-token': genuine } })).status).toBe(
      404,
    );
  });
});

describe('operators', () => {
  it('see counts, policy and the leader, and change the policy of a running line', async () => {
    const admin = { token: 'test-admin-token' };
    const res = await ctx.api.get(`/admin/concerts/${concertId}/queue`, admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      waiting: expect.any(Number),
      prequeue: 0,
      active: expect.any(Number),
      admittedTotal: expect.any(Number),
      policy: { maxActive: 1, admitPerMinute: 600, maxWaiting: 10_000, paused: false },
      leader: { instanceId: ctx.server.config.instanceId, since: expect.any(String) },
    });
    const patched = await ctx.api.patch(
      `/admin/concerts/${concertId}/queue`,
      { paused: true, admitPerMinute: 120 },
      admin,
    );
    expect(patched.body.policy).toMatchObject({ paused: true, admitPerMinute: 120, maxActive: 1 });
    for (const bad of [
      {},
      { maxActive: 0 },
      { paused: 'yes' },
      { maxActive: 1.5 },
      { unknown: 1 },
    ]) {
      const r = await ctx.api.patch(`/admin/concerts/${concertId}/queue`, bad, admin);
      expect(r.status).toBe(400);
    }
    expect((await ctx.api.get(`/admin/concerts/999999/queue`, admin)).status).toBe(404);
    expect((await ctx.api.get(`/admin/concerts/${concertId}/queue`)).status).toBe(401);
  });
});

describe('refused booking requests', () => {
  it('are answered from memory and Redis: a burst of them sends PostgreSQL no query', async () => {
    const fixture = await createConcert(ctx.api, { seats: 10 });
    const scheduleId = fixture.scheduleIds[0]!;
    await setQueuePolicy(ctx.api, fixture.concertId, { maxActive: 10, admitPerMinute: 60_000 });
    const [holder, buyer, refused, leaver] = await admittedFans(ctx.server, fixture.concertId, 4);
    const seats = await ctx.api.get(`/schedules/${scheduleId}/seats`, holder!.auth);
    const [s1, s2, s3] = (seats.body as { id: number }[]).map((s) => s.id);
    const hold = (fan: { token: string }, queueToken: string | undefined, seatIds: number[]) =>
      ctx.api.post(
        '/reservations',
        { scheduleId, seatIds },
        {
          token: fan.token,
          headers: {
            'idempotency-key': randomUUID(),
            ...(queueToken ? { 'x-queue-token': queueToken } : {}),
          },
        },
      );
    expect((await hold(holder!, holder!.queueToken, [s1!])).status).toBe(201);
    const bought = await hold(buyer!, buyer!.queueToken, [s2!]);
    const paid = await ctx.api.post(`/reservations/${bought.body.id}/payment`, undefined, buyer!);
    expect(paid.status).toBe(200); // s2 sold; the buyer's admission ended
    expect((await ctx.api.del('/queue', { headers: leaver!.auth.headers })).status).toBe(204);
    await setQueuePolicy(ctx.api, fixture.concertId, { paused: true });
    const [waiter] = await bulkFans(ctx.server, 1);
    const joined = await ctx.api.post(`/concerts/${fixture.concertId}/queue`, undefined, waiter!);
    expect(joined.body.status).toBe('waiting');
    const waiterAuth = {
      token: waiter!.token,
      headers: { 'x-queue-token': joined.body.queueToken },
    };
    const forged = await new QueueTokens('not-the-server-secret-at-all').sign({
      userId: refused!.id,
      concertId: fixture.concertId,
      eid: 1,
    });

    // The leader's background work also queries PostgreSQL (booking chores; the queue leader's
    // line retirement reads sale windows every 30 ticks): only requests are observed here.
    ctx.server.services.bookingChores.stop();
    await ctx.server.services.queueLeader.stop();
    const knex = ctx.server.orm.em.getConnection().getKnex();
    const queries: string[] = [];
    const observe = (q: { sql: string }) => queries.push(q.sql);
    knex.on('query', observe);
    // The hot path's prepared statements (holds, payments, seat maps) bypass the ORM: watched too.
    const observePrepared = (name: string) => queries.push(`prepared ${name}`);
    ctx.server.services.db.watchers.add(observePrepared);
    try {
      const refusals: [Promise<{ status: number; body: any }>, number, string][] = [];
      for (let i = 0; i < 20; i++) {
        refusals.push(
          [hold(refused!, refused!.queueToken, [s1!]), 409, 'SEAT_UNAVAILABLE'], // held
          [hold(refused!, refused!.queueToken, [s3!, s2!]), 409, 'SEAT_UNAVAILABLE'], // sold
          [hold(waiter!, joined.body.queueToken, [s3!]), 403, 'NOT_ADMITTED'],
          [hold(buyer!, buyer!.queueToken, [s3!]), 410, 'ADMISSION_EXPIRED'], // paid
          [hold(leaver!, leaver!.queueToken, [s3!]), 410, 'ADMISSION_EXPIRED'], // left
          [hold(refused!, undefined, [s3!]), 401, 'QUEUE_TOKEN_INVALID'],
          [hold(refused!, forged, [s3!]), 401, 'QUEUE_TOKEN_INVALID'],
          [hold(refused!, joined.body.queueToken, [s3!]), 401, 'QUEUE_TOKEN_INVALID'], // not theirs
          [ctx.api.get(`/schedules/${scheduleId}/seats`, waiterAuth), 403, 'NOT_ADMITTED'],
          [ctx.api.get(`/schedules/${scheduleId}/seats`, buyer!.auth), 410, 'ADMISSION_EXPIRED'],
          [
            ctx.api.get(`/schedules/${scheduleId}/seats`, { token: refused!.token }),
            401,
            'QUEUE_TOKEN_INVALID',
          ],
        );
      }
      const answers = await Promise.all(refusals.map(([res]) => res));
      answers.forEach((res, i) => {
        const [, status, code] = refusals[i]!;
        expect({ status: res.status, code: res.body.error?.code }).toEqual({ status, code });
      });
      expect(queries).toEqual([]);

      // The observation is real: an admitted fan's seat map does query PostgreSQL.
      expect((await ctx.api.get(`/schedules/${scheduleId}/seats`, refused!.auth)).status).toBe(200);
      expect(queries.length).toBeGreaterThan(0);
    } finally {
      knex.off('query', observe);
      ctx.server.services.db.watchers.delete(observePrepared);
      ctx.server.services.bookingChores.start();
    }
  });
});
