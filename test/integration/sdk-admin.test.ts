// The operators' client (issue 18) against a real server: venues, concerts, schedules, queue stats,
// policy, pause/resume and closing a line, with the server's refusals as typed LineupErrors.
import { describe, expect, it } from 'vitest';
import {
  AdminQueueStats,
  ConcertCreated,
  isLineupError,
  LineupAdmin,
  LineupClient,
  LineupError,
  QueueConnection,
  ScheduleCreated,
  VenueCreated,
} from '@lineup/client-sdk';
import { uniquePhone } from '../support/http.js';
import { ADMIN_TOKEN, useTestServer } from '../support/server.js';
import { until } from '../support/wait.js';

const ctx = useTestServer({ QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' });

const DAY = 86_400_000;

describe('LineupAdmin', () => {
  it('creates a venue, a concert and a schedule; reads, changes, pauses and closes the line', async () => {
    const admin = new LineupAdmin({ baseUrl: ctx.server.url, adminToken: ADMIN_TOKEN });
    const venue = VenueCreated.parse(
      await admin.createVenue({
        name: `Hall ${Math.random()}`,
        rows: [{ name: 'A', seats: 10, grade: 'VIP' }],
      }),
    );
    expect(venue.seatCount).toBe(10);
    const concert = ConcertCreated.parse(
      await admin.createConcert({
        title: 'Admin SDK',
        artist: 'Tester',
        saleOpensAt: new Date(Date.now() - DAY).toISOString(),
      }),
    );
    const schedule = ScheduleCreated.parse(
      await admin.createSchedule(concert.id, {
        venueId: venue.id,
        startsAt: new Date(Date.now() + 10 * DAY).toISOString(),
        prices: { VIP: 100_000, R: 80_000, S: 60_000, A: 40_000 },
      }),
    );
    expect(schedule).toMatchObject({ concertId: concert.id, totalSeats: 10 });
    expect((await admin.concerts()).map((c) => c.id)).toContain(concert.id);

    expect(await admin.pause(concert.id)).toMatchObject({ paused: true });
    const policy = await admin.updatePolicy(concert.id, { maxActive: 3 });
    expect(policy).toMatchObject({ maxActive: 3, paused: true });

    const fan = new LineupClient({ baseUrl: ctx.server.url });
    await fan.signUp({ name: 'Fan', phone: uniquePhone(), password: 'password123' });
    const { queueToken } = await fan.joinQueue(concert.id);
    const stats = AdminQueueStats.parse(await admin.queueStats(concert.id));
    expect(stats).toMatchObject({ waiting: 1, active: 0, policy: { maxActive: 3, paused: true } });

    const room = new QueueConnection({ baseUrl: ctx.server.url, queueToken }).connect();
    try {
      await until(() => room.connected, 10_000, 'socket connected');
      const ended = new Promise((resolve) => room.once('ended', resolve));
      expect(await admin.closeQueue(concert.id)).toEqual({ ended: 1 });
      expect(await ended).toEqual({ concertId: concert.id, reason: 'closed' });
      const late = new LineupClient({ baseUrl: ctx.server.url });
      await late.signUp({ name: 'Late', phone: uniquePhone(), password: 'password123' });
      const refused = await late.joinQueue(concert.id).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'SALE_ENDED', status: 409 });
    } finally {
      room.close();
    }
    expect(await admin.resume(concert.id)).toMatchObject({ paused: false });
    await until(async () => (await admin.queueStats(concert.id)).waiting === 0, 5_000, 'empty');
  });

  it('a wrong token is 401 UNAUTHENTICATED; bad input 400 with issues; unknown concert 404', async () => {
    const wrong = new LineupAdmin({ baseUrl: ctx.server.url, adminToken: 'not-the-token' });
    const denied = await wrong.queueStats(1).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(LineupError);
    expect(denied).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(String((denied as Error).message)).not.toContain('not-the-token');

    const admin = new LineupAdmin({ baseUrl: ctx.server.url, adminToken: ADMIN_TOKEN });
    const invalid = await admin
      .createVenue({ name: 'x', rows: [{ name: 'A', seats: 0, grade: 'VIP' }] })
      .catch((e: unknown) => e);
    if (!isLineupError(invalid, 'VALIDATION_FAILED')) throw invalid;
    expect(invalid.details?.issues.length).toBeGreaterThan(0);
    const missing = await admin.closeQueue(999_999).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'CONCERT_NOT_FOUND', status: 404 });
    const aborted = await admin
      .queueStats(1, { signal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    expect(aborted).toMatchObject({ code: 'ABORTED' });
  });
});
