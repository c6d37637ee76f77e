import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningServer } from '../../src/server.js';
import type { QueueEvent } from '../../src/modules/queue/queue.events.js';
import { LATE_TICKET_OFFSET } from '../../src/modules/queue/queue.store.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { flushPrefix, startCluster } from '../support/server.js';
import { bulkFans } from '../support/users.js';

let db: TestDatabase;
let servers: RunningServer[];
let api: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  servers = await startCluster(2, db.url, { QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' });
  api = client(servers[0]!.url);
});
afterAll(async () => {
  await Promise.all(servers?.map((s) => s.close()) ?? []);
  if (servers?.[0]) await flushPrefix(servers[0].config.redisKeyPrefix);
  await db?.drop();
});

describe('pre-queue', () => {
  it('shuffles early arrivals with a random permutation and puts all of them ahead of later arrivals', async () => {
    // Room for 200 sequential joins before the sale opens on a loaded machine (2.5 s was not, nor
    // was 6 s at a load average of 17 on 2 cores).
    const opensAt = new Date(Date.now() + 12_000);
    // A seat for each of the 250 fans: a line admits no more fans than seats (SPEC §2).
    const { concertId } = await createConcert(api, { saleOpensAt: opensAt, seats: 250 });
    // Admissions wait until the test has seen the shuffled line.
    await setQueuePolicy(api, concertId, {
      paused: true,
      maxActive: 1_000,
      admitPerMinute: 60_000,
    });
    const early = await bulkFans(servers[0]!, 200);
    const late = await bulkFans(servers[0]!, 50);

    const ticks: Extract<QueueEvent, { type: 'tick' }>['frame'][] = [];
    const admissions: Extract<QueueEvent, { type: 'admitted' }>[] = [];
    const admitted: number[] = [];
    for (const s of servers) {
      s.services.queueEvents.subscribe((e) => {
        if (e.type === 'tick' && e.frame.concertId === concertId) ticks.push(e.frame);
        if (e.type === 'admitted' && e.concertId === concertId) {
          admitted.push(e.userId);
          admissions.push(e);
        }
      });
    }

    const tokens = new Map<number, string>();
    for (const [i, fan] of early.entries()) {
      const res = await client(servers[i % 2]!.url).post(
        `/concerts/${concertId}/queue`,
        undefined,
        { token: fan.token },
      );
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ status: 'prequeue', position: i + 1 }); // the size of the pre-queue
      tokens.set(fan.id, res.body.queueToken);
    }
    expect(Date.now()).toBeLessThan(opensAt.getTime()); // the joins above really were early
    const statusOf = async (id: number) =>
      (await api.get('/queue/status', { headers: { 'x-queue-token': tokens.get(id)! } })).body;
    expect(await statusOf(early[0]!.id)).toMatchObject({ status: 'prequeue', position: 200 });

    await sleep(opensAt.getTime() - Date.now() + 10);
    for (const fan of late) {
      const res = await api.post(`/concerts/${concertId}/queue`, undefined, { token: fan.token });
      expect(res.status).toBe(201);
      // Whether or not the shuffle has landed yet, the late fan is behind the whole pre-queue.
      expect(res.body.status).toBe('waiting');
      expect(res.body.position).toBeGreaterThan(200);
      tokens.set(fan.id, res.body.queueToken);
    }
    // The shuffle's frame cannot be applied: every place changed (SPEC §5).
    await until(() => ticks.some((t) => t.departed === null && t.prequeue === 0));

    // Every early fan now has a place in 1..200, a permutation: no loss, no duplicate.
    const earlyPositions = await Promise.all(
      early.map(async (f) => (await statusOf(f.id)).position as number),
    );
    expect([...earlyPositions].sort((a, b) => a - b)).toEqual(early.map((_, i) => i + 1));
    // ...which is not the join order (a chance of 1 in 200! to fail by luck).
    expect(earlyPositions).not.toEqual(early.map((_, i) => i + 1));
    const latePositions = await Promise.all(
      late.map(async (f) => (await statusOf(f.id)).position as number),
    );
    expect(latePositions).toEqual(late.map((_, i) => 201 + i));

    // Admission then follows exactly that line: the shuffled pre-queue, then the late fans in order.
    await setQueuePolicy(api, concertId, { paused: false });
    await until(() => admitted.length === 250);
    const expected = [...early]
      .map((f, i) => ({ id: f.id, position: earlyPositions[i]! }))
      .sort((a, b) => a.position - b.position)
      .map((f) => f.id);
    expect(admitted).toEqual([...expected, ...late.map((f) => f.id)]);
    const tickets = admissions.sort((a, b) => a.tick - b.tick).map((a) => a.ticket);
    expect(tickets.slice(0, 200)).toEqual(early.map((_, i) => i + 1));
    expect(tickets.slice(200).every((t) => t > LATE_TICKET_OFFSET)).toBe(true);
  });
});

async function until(cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}
