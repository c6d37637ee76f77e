import { describe, expect, it } from 'vitest';
import { AdminConcertOverviewList, AdminVenueList } from '@lineup/client-sdk/contract';
import { admittedFans } from '../support/booking.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { ADMIN_TOKEN, useTestServer } from '../support/server.js';
import { until } from '../support/wait.js';

// What the operators' console reads (GET /admin/concerts, GET /admin/venues, the admission
// history in a line's stats): admin only, every concert's seats and line in one answer.

// A 50 ms tick: the history closes a bucket every 10 ticks (0.5 s).
const ctx = useTestServer({ QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' });
const admin = { token: ADMIN_TOKEN };

describe('operators only', () => {
  it('refuses the console routes without the ADMIN_TOKEN (401) and with a fan-like token', async () => {
    for (const path of ['/admin/concerts', '/admin/venues']) {
      expect((await ctx.api.get(path)).status).toBe(401);
      const wrong = await ctx.api.get(path, { token: 'not-the-admin-token' });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('GET /admin/concerts', () => {
  it('gives each concert its seats by state, sold-out state, line and admission history', async () => {
    const concert = await createConcert(ctx.api, { seats: 2 });
    const before = await ctx.api.get('/admin/concerts', admin);
    expect(before.status).toBe(200);
    const parsed = AdminConcertOverviewList.parse(before.body);
    const mine = parsed.find((c) => c.id === concert.concertId)!;
    expect(mine.soldOut).toBe(false);
    expect(mine.schedules).toEqual([
      expect.objectContaining({
        id: concert.scheduleIds[0],
        totalSeats: 2,
        availableSeats: 2,
        heldSeats: 0,
        soldSeats: 0,
      }),
    ]);
    expect(mine.queue.policy.paused).toBe(false);
    expect(mine.queue.admissionHistory.bucketSeconds).toBe(0.5);

    // Two fans are admitted (a seat each); one holds both seats: sold out, the seats held.
    const fans = await admittedFans(ctx.server, concert.concertId, 2, 0);
    const seats = await ctx.api.get(`/schedules/${concert.scheduleIds[0]}/seats`, fans[0]!.auth);
    const hold = await ctx.api.post(
      '/reservations',
      { scheduleId: concert.scheduleIds[0], seatIds: seats.body.map((s: { id: number }) => s.id) },
      fans[0]!.auth,
    );
    expect(hold.status).toBe(201);
    let line = mine;
    await until(
      async () => {
        const res = await ctx.api.get('/admin/concerts', admin);
        line = AdminConcertOverviewList.parse(res.body).find((c) => c.id === concert.concertId)!;
        const recorded = line.queue.admissionHistory.buckets.reduce((n, b) => n + b.admitted, 0);
        return recorded >= 2;
      },
      15_000,
      'admissions recorded in the history',
    );
    expect(line.soldOut).toBe(true);
    expect(line.schedules[0]).toMatchObject({ availableSeats: 0, heldSeats: 2, soldSeats: 0 });
    expect(line.queue.active).toBe(2);
    expect(line.queue.leader?.instanceId).toBe(ctx.server.config.instanceId);
    // Buckets are in time order, each a whole count.
    const at = line.queue.admissionHistory.buckets.map((b) => Date.parse(b.at));
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('shows a paused line as paused', async () => {
    const concert = await createConcert(ctx.api, { seats: 10 });
    await setQueuePolicy(ctx.api, concert.concertId, { paused: true });
    const res = await ctx.api.get('/admin/concerts', admin);
    const line = AdminConcertOverviewList.parse(res.body).find((c) => c.id === concert.concertId)!;
    expect(line.queue.policy.paused).toBe(true);
  });

  it('keeps at most 30 buckets of history per line', async () => {
    const { concertId } = await createConcert(ctx.api, { seats: 10 });
    await setQueuePolicy(ctx.api, concertId, { maxActive: 5 }); // a line the leader ticks
    const history = ctx.server.services.queue;
    await until(
      async () => (await history.stats(concertId)).admissionHistory.buckets.length >= 30,
      30_000,
      '30 buckets',
    );
    await new Promise((r) => setTimeout(r, 1_200));
    expect((await history.stats(concertId)).admissionHistory.buckets.length).toBe(30);
  });
});

describe('GET /admin/venues', () => {
  it('lists venues with their seat counts, newest first', async () => {
    const created = await ctx.api.post(
      '/admin/venues',
      {
        name: `Console Hall ${Date.now()}`,
        rows: [
          { name: 'A', seats: 8, grade: 'VIP' },
          { name: 'B', seats: 12, grade: 'R' },
        ],
      },
      admin,
    );
    expect(created.status).toBe(201);
    const res = await ctx.api.get('/admin/venues', admin);
    expect(res.status).toBe(200);
    const venues = AdminVenueList.parse(res.body);
    expect(venues[0]).toEqual({ id: created.body.id, name: created.body.name, seatCount: 20 });
  });
});
