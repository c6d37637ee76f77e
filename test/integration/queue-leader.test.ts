import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningServer } from '../../src/server.js';
import type { QueueEvent } from '../../src/modules/queue/queue.events.js';
import { LATE_TICKET_OFFSET } from '../../src/modules/queue/queue.store.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client } from '../support/http.js';
import { flushPrefix, startCluster } from '../support/server.js';
import { bulkFans } from '../support/users.js';

const LEASE_MS = 600;
let db: TestDatabase;
let servers: RunningServer[];
let redis: RunningServer['redis'];

beforeAll(async () => {
  db = await createTestDatabase();
  servers = await startCluster(3, db.url, {
    QUEUE_TICK_MS: '50',
    LEADER_LEASE_MS: String(LEASE_MS),
  });
  redis = servers[0]!.redis; // single Redis or Cluster, whichever the servers use
});
afterAll(async () => {
  await Promise.all(servers?.map((s) => s.close()) ?? []);
  if (servers?.[0]) await flushPrefix(servers[0].config.redisKeyPrefix);
  await db?.drop();
});

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

const leaderOf = (list: RunningServer[]) => list.find((s) => s.services.queueLeader.isLeader);

describe('one fenced leader', () => {
  it('admits in queue order, never above maxActive, while the leader is killed and another takes over', async () => {
    const api = client(servers[0]!.url);
    const { concertId } = await createConcert(api);
    const MAX_ACTIVE = 5;
    await setQueuePolicy(api, concertId, {
      paused: true,
      maxActive: MAX_ACTIVE,
      admitPerMinute: 60_000,
    });
    const fans = await bulkFans(servers[0]!, 120);
    for (const [i, fan] of fans.entries()) {
      const res = await client(servers[i % 3]!.url).post(
        `/concerts/${concertId}/queue`,
        undefined,
        { token: fan.token },
      );
      expect(res.status).toBe(201);
    }
    const joinOrder = fans.map((f) => f.id);

    const admissions: Extract<QueueEvent, { type: 'admitted' }>[] = [];
    const admittedUsers = new Set<number>();
    for (const s of servers) {
      s.services.queueEvents.subscribe((e) => {
        if (e.type !== 'admitted' || e.concertId !== concertId) return;
        admissions.push(e);
        admittedUsers.add(e.userId);
      });
    }
    let takeoverAt = 0;
    for (const s of servers)
      s.services.queueLeader.onLeadershipChange(
        (leading) => leading && (takeoverAt ||= Date.now()),
      );

    // Sample the active count continuously, and keep finishing admissions so the line moves.
    const activeKey = servers[0]!.services.queueStore.keys.concert(concertId).active;
    let maxSeen = 0;
    let samples = 0;
    let running = true;
    const sampler = (async () => {
      while (running) {
        maxSeen = Math.max(maxSeen, await redis.zcard(activeKey));
        samples++;
      }
    })();
    const completer = (async () => {
      while (running) {
        const active = await redis.zrange(activeKey, 0, 1);
        for (const user of active) {
          await servers[1]!.services.queue.endAdmission(Number(user), concertId);
        }
        await sleep(20);
      }
    })();

    await setQueuePolicy(api, concertId, { paused: false });
    await until(() => admittedUsers.size >= 40);

    // Kill the leader: its loops stop and its lease is left to expire, as after a crash.
    const victim = leaderOf(servers)!;
    takeoverAt = 0;
    const killedAt = Date.now();
    await victim.services.queueLeader.stop({ release: false });
    const survivors = servers.filter((s) => s !== victim);
    await until(() => takeoverAt > 0);
    const takeoverMs = takeoverAt - killedAt;
    console.log(`leader takeover after kill: ${takeoverMs} ms (lease ${LEASE_MS} ms)`);
    expect(leaderOf(survivors)).toBeDefined();
    expect(takeoverMs).toBeLessThanOrEqual(2 * LEASE_MS);

    await until(() => admittedUsers.size === fans.length, 30_000);
    running = false;
    await Promise.all([sampler, completer]);

    expect(samples).toBeGreaterThan(100);
    expect(maxSeen).toBeLessThanOrEqual(MAX_ACTIVE);
    // Tick numbers come from Redis, so they order the ticks of both leaders (the sort is stable:
    // within a tick, the order of admission).
    const tickets = admissions.sort((a, b) => a.tick - b.tick).map((a) => a.ticket);
    expect(tickets).toEqual([...tickets].sort((a, b) => a - b));
    // Fans joined one after another, so their tickets are LATE + 1..120 in join order, and the
    // admissions, taken across both leaders, are exactly that sequence.
    expect(tickets).toEqual(joinOrder.map((_, i) => LATE_TICKET_OFFSET + i + 1));
    expect([...admittedUsers]).toEqual(joinOrder);
    victim.services.queueLeader.start(); // rejoin as a follower for the next test
  });

  it('refuses every write of a former leader that was paused and lost its lease', async () => {
    const api = client(servers[0]!.url);
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, { paused: true, maxActive: 10 });
    const fans = await bulkFans(servers[0]!, 3);
    for (const fan of fans)
      await api.post(`/concerts/${concertId}/queue`, undefined, { token: fan.token });
    await until(() => leaderOf(servers) !== undefined);

    // The leader is paused (no renewals) right after renewing, holding on to its lease token.
    const paused = leaderOf(servers)!;
    const staleLease = paused.services.queueLeader.currentLease!;
    await paused.services.queueLeader.stop({ release: false });
    const others = servers.filter((s) => s !== paused);
    await until(() => leaderOf(others) !== undefined);
    const newLeader = leaderOf(others)!;
    expect(newLeader.services.queueLeader.currentLease!.token).not.toBe(staleLease.token);

    // While the new leader leads, the stale one wakes up and runs its tick: refused everywhere.
    const whileNewLeads = await paused.services.queueLeader.runConcertTicks(staleLease);
    expect(whileNewLeads.length).toBeGreaterThan(0);
    expect(whileNewLeads.every((r) => r.fenced && r.admit === null)).toBe(true);

    // Now stop everyone, let all leases run out, and open admissions: the stale leader still
    // cannot admit, although a slot and fans are waiting.
    await Promise.all(others.map((s) => s.services.queueLeader.stop({ release: false })));
    await sleep(LEASE_MS + 100);
    await setQueuePolicy(api, concertId, { paused: false });
    const afterExpiry = await paused.services.queueLeader.runConcertTicks(staleLease);
    expect(afterExpiry.find((r) => r.concertId === concertId)?.fenced).toBe(true);
    const activeKey = servers[0]!.services.queueStore.keys.concert(concertId).active;
    expect(await redis.zcard(activeKey)).toBe(0);

    // The current leader's lease copy was not displaced by the stale writes: a live leader admits.
    for (const s of servers) s.services.queueLeader.start();
    await until(async () => (await redis.zcard(activeKey)) === 3);
  });
});
