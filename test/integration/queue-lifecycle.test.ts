import { beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { useTestServer } from '../support/server.js';
import { connected, firstEvent, queueSocket, seen } from '../support/sockets.js';
import { bulkFans, type TestFan } from '../support/users.js';
import { until } from '../support/wait.js';

// Durations are shrunk through configuration (1 s idle/abandon, 50 ms ticks), not faked.
const ctx = useTestServer({
  QUEUE_TICK_MS: '50',
  LEADER_LEASE_MS: '600',
  ABANDON_SECONDS: '1',
});
const admitted: number[] = [];

beforeAll(async () => {
  ctx.server.services.queueEvents.subscribe(
    (e) => e.type === 'admitted' && admitted.push(e.userId),
  );
});

interface Joined extends TestFan {
  queueToken: string;
}

async function joinAll(concertId: number, fans: TestFan[]): Promise<Joined[]> {
  const out: Joined[] = [];
  for (const fan of fans) {
    const res = await ctx.api.post(`/concerts/${concertId}/queue`, undefined, { token: fan.token });
    out.push({ ...fan, queueToken: res.body.queueToken });
  }
  return out;
}
const status = (f: Joined) =>
  ctx.api.get('/queue/status', { headers: { 'x-queue-token': f.queueToken } });
const guarded = (f: Joined, concertId: number) =>
  ctx.api.get(`/concerts/${concertId}/schedules`, {
    token: f.token,
    headers: { 'x-queue-token': f.queueToken },
  });

/** The endings published for a concert's fans from now on. */
function recordEnded(concertId: number): { userId: number; reason: string }[] {
  const ended: { userId: number; reason: string }[] = [];
  ctx.server.services.queueEvents.subscribe(
    (e) =>
      e.type === 'ended' &&
      e.concertId === concertId &&
      ended.push({ userId: e.userId, reason: e.reason }),
  );
  return ended;
}

/** Polls status every 200 ms (a sign of life, as the page does) until stopped. */
function keepAlive(fans: Joined[]): () => void {
  let on = true;
  void (async () => {
    while (on) {
      await Promise.all(fans.map(status));
      await sleep(200);
    }
  })();
  return () => (on = false);
}

describe('admission ends and the slot is refilled', () => {
  it('after the idle timeout', async () => {
    const { concertId } = await createConcert(ctx.api);
    await setQueuePolicy(ctx.api, concertId, { maxActive: 1, activeIdleSeconds: 1 });
    const [a, b] = await joinAll(concertId, await bulkFans(ctx.server, 2));
    const stop = keepAlive([b!]);
    await until(async () => (await status(a!)).body.status === 'active');
    await until(
      async () => (await status(b!)).body.status === 'active',
      5_000,
      'b admitted after a idled out',
    );
    stop();
    const ended = await status(a!);
    expect(ended.status).toBe(410);
    expect(ended.body.error).toMatchObject({
      code: 'ADMISSION_EXPIRED',
      details: { reason: 'expired' },
    });
  });

  it('after the maximum time, even for a fan who keeps booking', async () => {
    const { concertId } = await createConcert(ctx.api);
    await setQueuePolicy(ctx.api, concertId, {
      maxActive: 1,
      activeIdleSeconds: 1,
      activeMaxSeconds: 2,
    });
    const [a, b] = await joinAll(concertId, await bulkFans(ctx.server, 2));
    const stop = keepAlive([b!]);
    await until(async () => (await status(a!)).body.status === 'active');
    const admittedAt = Date.now();
    // Guarded requests every 300 ms keep pushing back the 1 s idle deadline...
    while ((await guarded(a!, concertId)).status === 200) await sleep(300);
    // ...but not past the 2 s maximum.
    expect(Date.now() - admittedAt).toBeGreaterThanOrEqual(1_500);
    expect((await guarded(a!, concertId)).body.error.code).toBe('ADMISSION_EXPIRED');
    await until(async () => (await status(b!)).body.status === 'active');
    stop();
  });

  it('when the fan leaves', async () => {
    const { concertId } = await createConcert(ctx.api);
    await setQueuePolicy(ctx.api, concertId, { maxActive: 1 });
    const [a, b] = await joinAll(concertId, await bulkFans(ctx.server, 2));
    const stop = keepAlive([b!]);
    await until(async () => (await status(a!)).body.status === 'active');
    expect((await status(b!)).body).toMatchObject({ status: 'waiting', position: 1 });
    expect(
      (await ctx.api.del('/queue', { headers: { 'x-queue-token': a!.queueToken } })).status,
    ).toBe(204);
    await until(async () => (await status(b!)).body.status === 'active');
    stop();
    expect((await status(a!)).body.error.details.reason).toBe('left');
  });
});

describe('abandoned places', () => {
  it('are removed when nobody polls or connects, and never admitted', async () => {
    const { concertId } = await createConcert(ctx.api);
    await setQueuePolicy(ctx.api, concertId, { paused: true, maxActive: 10 });
    const [silent1, alive, silent2] = await joinAll(concertId, await bulkFans(ctx.server, 3));
    const stop = keepAlive([alive!]);
    await sleep(1_600);
    for (const f of [silent1!, silent2!]) {
      const res = await status(f);
      expect(res.status).toBe(410);
      expect(res.body.error.details.reason).toBe('removed');
    }
    expect((await status(alive!)).body).toMatchObject({ status: 'waiting', position: 1 });
    await setQueuePolicy(ctx.api, concertId, { paused: false });
    await until(async () => (await status(alive!)).body.status === 'active');
    stop();
    await sleep(200);
    expect(admitted).toContain(alive!.id);
    expect(admitted).not.toContain(silent1!.id);
    expect(admitted).not.toContain(silent2!.id);
  });
});

describe('admitted fans without a sign of life', () => {
  it('lose the admission after ABANDON_SECONDS with no socket and no request (expired), and the slot is refilled', async () => {
    const { concertId } = await createConcert(ctx.api);
    await setQueuePolicy(ctx.api, concertId, { maxActive: 1 }); // idle deadline: the default 300 s
    const [gone, next] = await joinAll(concertId, await bulkFans(ctx.server, 2));
    const stop = keepAlive([next!]);
    const ended = recordEnded(concertId);
    try {
      await until(() => admitted.includes(gone!.id), 5_000, 'first fan admitted');
      // Its client has gone: no socket, no request. The line moves on within a few seconds.
      await until(() => admitted.includes(next!.id), 5_000, 'slot refilled');
    } finally {
      stop();
    }
    expect(ended).toContainEqual({ userId: gone!.id, reason: 'expired' });
    const res = await status(gone!);
    expect(res.status).toBe(410);
    expect(res.body.error.details.reason).toBe('expired');
  });

  it('keep it while a socket is connected (the booking page), with no request at all', async () => {
    const { concertId } = await createConcert(ctx.api);
    await setQueuePolicy(ctx.api, concertId, { maxActive: 1, paused: true });
    const [onPage, next] = await joinAll(concertId, await bulkFans(ctx.server, 2));
    const stop = keepAlive([next!]);
    const ended = recordEnded(concertId);
    const socket = await connected(queueSocket(ctx.server.url, onPage!.queueToken));
    try {
      await setQueuePolicy(ctx.api, concertId, { paused: false });
      await firstEvent(socket, 'queue:admitted');
      await sleep(3_000); // three times ABANDON_SECONDS
      expect(ended).not.toContainEqual(expect.objectContaining({ userId: onPage!.id }));
      expect(seen(socket, 'queue:ended')).toEqual([]);
      expect(admitted).not.toContain(next!.id);
      expect((await status(onPage!)).body.status).toBe('active');
    } finally {
      socket.disconnect();
      stop();
    }
  });
});

describe('leaving and joining again', () => {
  it('sends the fan to the back, with a new token; the old token is dead', async () => {
    const { concertId } = await createConcert(ctx.api);
    await setQueuePolicy(ctx.api, concertId, { paused: true });
    const [a, b, c] = await joinAll(concertId, await bulkFans(ctx.server, 3));
    const stop = keepAlive([a!, b!, c!]);
    expect(
      (await ctx.api.del('/queue', { headers: { 'x-queue-token': a!.queueToken } })).status,
    ).toBe(204);
    // Positions are exact as of a tick (SPEC §5): b moves up at the next one.
    await until(async () => (await status(b!)).body.position === 1, 5_000, 'b moved up');
    const again = await ctx.api.post(`/concerts/${concertId}/queue`, undefined, {
      token: a!.token,
    });
    expect(again.status).toBe(201);
    expect(again.body.position).toBe(3);
    expect(again.body.queueToken).not.toBe(a!.queueToken);
    expect((await status(a!)).status).toBe(410);
    stop();
  });
});
