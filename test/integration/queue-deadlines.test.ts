import { beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { QueueEvent } from '../../src/modules/queue/queue.events.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { useTestServer } from '../support/server.js';
import { bulkFans, type TestFan } from '../support/users.js';
import { until } from '../support/wait.js';

// An admission's deadlines hold by themselves: with no leader sweeping (failover, or a stopped
// leader that still holds its lease), the guard refuses a fan past activeIdleSeconds or
// activeMaxSeconds. The leader here runs only when a test drives it.
const ctx = useTestServer({ LEADER_LEASE_MS: '500' }, { startLeader: false });
const ended: Extract<QueueEvent, { type: 'ended' }>[] = [];

beforeAll(async () => {
  ctx.server.services.queueEvents.subscribe((e) => e.type === 'ended' && ended.push(e));
});

/** Joins the fans and admits them with one tick; then no instance leads or sweeps the line. */
async function admitThenLoseTheLeader(concertId: number, fans: TestFan[]) {
  const tokens: string[] = [];
  for (const fan of fans) {
    const res = await ctx.api.post(`/concerts/${concertId}/queue`, undefined, { token: fan.token });
    tokens.push(res.body.queueToken);
  }
  const leader = ctx.server.services.queueLeader;
  await until(async () => (await leader.maintainLease(), leader.isLeader), 5_000, 'the lease');
  await leader.tick();
  // Nothing renews the lease or ticks from here: the lease lapses, as after a leader's crash.
  return tokens;
}

describe('with no leader running after admission', () => {
  it('the guard refuses an admission past its idle or its hard deadline (410 expired) and tells the fan', async () => {
    const { concertId } = await createConcert(ctx.api);
    await setQueuePolicy(ctx.api, concertId, { activeIdleSeconds: 1, activeMaxSeconds: 2 });
    const [idler, booker] = await bulkFans(ctx.server, 2);
    const [idleToken, bookerToken] = await admitThenLoseTheLeader(concertId, [idler!, booker!]);
    const schedules = (fan: TestFan, queueToken: string) =>
      ctx.api.get(`/concerts/${concertId}/schedules`, {
        token: fan.token,
        headers: { 'x-queue-token': queueToken },
      });
    expect((await schedules(idler!, idleToken!)).status).toBe(200);
    expect((await schedules(booker!, bookerToken!)).status).toBe(200);
    const admittedAt = Date.now();

    // The booker keeps its idle deadline moving; the idler does nothing for longer than 1 s.
    let last = 200;
    while (last === 200 && Date.now() - admittedAt < 5_000) {
      await sleep(300);
      last = (await schedules(booker!, bookerToken!)).status;
      if (Date.now() - admittedAt > 1_400 && !ended.some((e) => e.userId === idler!.id)) {
        const res = await schedules(idler!, idleToken!);
        expect(res.status).toBe(410);
        expect(res.body.error).toMatchObject({
          code: 'ADMISSION_EXPIRED',
          details: { reason: 'expired' },
        });
      }
    }
    // The booker was let through until its 2 s maximum, not beyond.
    expect(Date.now() - admittedAt).toBeGreaterThanOrEqual(1_500);
    expect(Date.now() - admittedAt).toBeLessThan(3_500);
    const refused = await schedules(booker!, bookerToken!);
    expect(refused.status).toBe(410);
    expect(refused.body.error).toMatchObject({
      code: 'ADMISSION_EXPIRED',
      details: { reason: 'expired' },
    });
    // Each ending was told once (queue:ended goes out from these events), and the line agrees.
    for (const fan of [idler!, booker!])
      expect(ended.filter((e) => e.userId === fan.id)).toEqual([
        { type: 'ended', concertId, userId: fan.id, reason: 'expired' },
      ]);
    const status = await ctx.api.get('/queue/status', { headers: { 'x-queue-token': idleToken! } });
    expect(status.status).toBe(410);
    expect((await ctx.server.services.queueStore.counts(concertId)).active).toBe(0);

    // Joining again makes a new place in line (the old admission is over).
    const again = await ctx.api.post(`/concerts/${concertId}/queue`, undefined, {
      token: idler!.token,
    });
    expect(again.status).toBe(201);
    expect(again.body.status).toBe('waiting');
  });

  it('a join of a fan whose admission is overdue ends it and makes a new place', async () => {
    const { concertId } = await createConcert(ctx.api);
    await setQueuePolicy(ctx.api, concertId, { activeIdleSeconds: 1 });
    const [fan] = await bulkFans(ctx.server, 1);
    const [token] = await admitThenLoseTheLeader(concertId, [fan!]);
    await sleep(1_200);
    const again = await ctx.api.post(`/concerts/${concertId}/queue`, undefined, {
      token: fan!.token,
    });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ status: 'waiting', position: 1 });
    expect(ended.filter((e) => e.userId === fan!.id)).toEqual([
      { type: 'ended', concertId, userId: fan!.id, reason: 'expired' },
    ]);
    const old = await ctx.api.get('/queue/status', { headers: { 'x-queue-token': token! } });
    expect(old.status).toBe(410);
  });
});
