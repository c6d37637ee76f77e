import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgressTracker } from '@lineup/client-sdk';
import type { QueueProgress } from '@lineup/client-sdk/contract';
import type { RunningServer } from '../../src/server.js';
import { QueueTokens } from '../../src/modules/queue/queue-tokens.crypto.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { startCluster } from '../support/server.js';
import {
  connected,
  firstEvent,
  placesOf,
  queueSocket,
  seen,
  type FanSocket,
} from '../support/sockets.js';
import { until } from '../support/wait.js';

// SPEC §5 protocol across 3 instances, the leader ticked by hand: what a fan computes from its
// status and the line's frames is what GET /queue/status says as of the same tick.
let db: TestDatabase;
let servers: RunningServer[] = [];
let api: Client;
let queueTokens: QueueTokens;
const sockets: FanSocket[] = [];
let nextUser = 5_000_000;

beforeAll(async () => {
  db = await createTestDatabase();
  servers = await startCluster(
    3,
    db.url,
    { LEADER_LEASE_MS: '600000', QUEUE_MAX_WAITING: '5000' },
    { startLeader: false },
  );
  api = client(servers[0]!.url);
  queueTokens = new QueueTokens(servers[0]!.config.queueTokenSecret);
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await Promise.all(servers.map((s) => s.close()));
  await db?.drop();
});

interface Fan {
  userId: number;
  token: string;
  socket?: FanSocket;
}

/** `count` fans in a concert's line (joined straight in Redis: users need not exist for it). */
async function line(concertId: number, count: number, saleOpensAt = Date.now() - 60_000) {
  const store = servers[0]!.services.queueStore;
  await store.registerConcert(concertId);
  const fans: Fan[] = [];
  for (let i = 0; i < count; i++) {
    const userId = nextUser++;
    const joined = await store.join(concertId, userId, saleOpensAt, 5_000);
    fans.push({ userId, token: await queueTokens.sign({ userId, concertId, eid: joined.eid! }) });
  }
  return fans;
}

/** Each fan's socket, on instance i % 3, once its first status came. */
async function connectAll(fans: Fan[]): Promise<void> {
  for (const [i, fan] of fans.entries()) {
    fan.socket = queueSocket(servers[i % 3]!.url, fan.token);
    sockets.push(fan.socket);
  }
  await Promise.all(fans.map((f) => connected(f.socket!)));
  await Promise.all(fans.map((f) => firstEvent(f.socket!, 'queue:status')));
}

async function tick(): Promise<QueueProgress> {
  const frames: QueueProgress[] = [];
  const off = servers[0]!.services.queueEvents.subscribe((e) => {
    if (e.type === 'tick') frames.push(e.frame);
  });
  const leader = servers[0]!.services.queueLeader;
  await leader.maintainLease();
  expect(leader.isLeader).toBe(true);
  await leader.tick();
  off();
  return frames.at(-1)!;
}

const poll = (fan: Fan) => api.get('/queue/status', { headers: { 'x-queue-token': fan.token } });
const http = async (fan: Fan) => (await poll(fan)).body;

/** Waits until every fan's computed place is as of `tick`, then compares it with HTTP's. */
async function expectExact(fans: Fan[], tick: number): Promise<void> {
  await until(
    () => fans.every((f) => (placesOf(f.socket!).at(-1)?.tick ?? 0) >= tick),
    15_000,
    `every socket at tick ${tick}`,
  );
  for (const fan of fans) {
    const computed = placesOf(fan.socket!).at(-1)!;
    const answer = await poll(fan);
    const truth = answer.body;
    // The poll says which tick it is exact as of (what the load runner's check relies on).
    expect(answer.headers.get('queue-tick')).toBe(String(tick));
    expect({ status: computed.status, position: computed.position }).toEqual({
      status: truth.status,
      position: truth.position,
    });
    expect(computed.estimatedWaitSeconds).toBe(truth.estimatedWaitSeconds);
  }
}

function neverIncreased(fans: Fan[]): void {
  for (const fan of fans) {
    const positions = placesOf(fan.socket!)
      .filter((s) => s.status === 'waiting')
      .map((s) => s.position!);
    for (let i = 1; i < positions.length; i++)
      expect(positions[i]).toBeLessThanOrEqual(positions[i - 1]!);
  }
}

describe('frames applied in order', () => {
  it('give the HTTP position after every tick, with admissions and departures, on 3 instances', async () => {
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, { maxActive: 3, admitPerMinute: 60_000 });
    const fans = await line(concertId, 40);
    await connectAll(fans);
    let waiting = [...fans];
    for (let round = 0; round < 6; round++) {
      // Two fans leave between ticks (one near the head, one further back), then a tick admits.
      for (const gone of [waiting[3], waiting[waiting.length - 5]]) {
        await servers[round % 3]!.services.queue.leave(gone!.token);
        waiting = waiting.filter((f) => f !== gone);
      }
      const frame = await tick();
      expect(frame.departed).toHaveLength(2);
      const admitted = waiting.slice(0, frame.admitted);
      waiting = waiting.slice(frame.admitted);
      await Promise.all(admitted.map((f) => firstEvent(f.socket!, 'queue:admitted')));
      await expectExact(waiting, frame.tick);
      for (const f of admitted) await servers[1]!.services.queue.endAdmission(f.userId, concertId);
    }
    neverIncreased(fans);
    // Frames did the work: each waiting fan's server sent it one status (at connect).
    for (const fan of waiting) expect(seen(fan.socket!, 'queue:status')).toHaveLength(1);
  });
});

describe('a gap in tick numbers', () => {
  it('makes the client ask queue:sync, whose answer is exact as of the latest tick', async () => {
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, { maxActive: 1, admitPerMinute: 60_000 });
    const fans = await line(concertId, 6);
    await connectAll(fans);
    const fan = fans[5]!;
    // A client of its own that loses one frame.
    const tracker = new ProgressTracker();
    tracker.onStatus(seen(fan.socket!, 'queue:status')[0]!);
    const outcomes: { sync: boolean }[] = [];
    let dropped = false;
    fan.socket!.on('queue:progress', (frame) => {
      if (!dropped) return void (dropped = true);
      outcomes.push(tracker.onFrame(frame));
    });
    for (const f of fans.slice(0, 2)) {
      await tick();
      await servers[2]!.services.queue.endAdmission(f.userId, concertId);
    }
    const last = await tick(); // admits a third fan
    await until(() => outcomes.length >= 2, 10_000, 'frames after the lost one');
    expect(outcomes[0]!.sync).toBe(true);
    const answer = await fan.socket!.emitWithAck('queue:sync');
    expect(answer.ok).toBe(true);
    if (!answer.ok) return;
    expect(answer.data.tick).toBeGreaterThanOrEqual(last.tick);
    const applied = tracker.onStatus(answer.data);
    expect(tracker.status).toMatchObject({
      position: (await http(fan)).position,
      status: 'waiting',
    });
    expect(tracker.status!.position).toBe(3); // 6th, three admitted
    expect(applied.sync).toBe(false);
  });
});

describe('a tick with more than 256 departures', () => {
  it('has departed: null, and every waiting socket gets its own status for that tick', async () => {
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, { paused: true });
    const fans = await line(concertId, 320);
    const watched = fans.filter((_, i) => i % 10 === 0 || i >= 300); // 47 sockets
    await connectAll(watched);
    await tick();
    const leaving = fans.filter((f) => !watched.includes(f)).slice(0, 270);
    for (const f of leaving) await servers[0]!.services.queue.leave(f.token);
    const frame = await tick();
    expect(frame.departed).toBeNull();
    await expectExact(watched, frame.tick);
    for (const fan of watched) {
      const statuses = seen(fan.socket!, 'queue:status');
      expect(statuses).toHaveLength(2);
      expect(statuses[1]!.tick).toBeGreaterThanOrEqual(frame.tick);
    }
    // The next tick's frame applies again.
    const next = await tick();
    expect(next.departed).toEqual([]);
    await expectExact(watched, next.tick);
  });
});

describe('the pre-queue shuffle', () => {
  it('pre-queue fans show the pre-queue size, then get their shuffled places as statuses', async () => {
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, { paused: true });
    const opensAt = Date.now() + 2_500;
    const fans = await line(concertId, 12, opensAt);
    await connectAll(fans);
    const before = await tick();
    expect(before).toMatchObject({ prequeue: 12, departed: [] });
    await expectExact(fans, before.tick);
    expect(placesOf(fans[0]!.socket!).at(-1)).toMatchObject({ status: 'prequeue', position: 12 });
    // Three fans leave the pre-queue: the others see it shrink through the frames.
    for (const f of fans.splice(0, 3)) await servers[1]!.services.queue.leave(f.token);
    const shrunk = await tick();
    expect(shrunk.prequeue).toBe(9);
    await expectExact(fans, shrunk.tick);

    await until(() => Date.now() > opensAt + 50, 10_000, 'the sale opens');
    const shuffled = await tick();
    expect(shuffled).toMatchObject({ departed: null, prequeue: 0 });
    await expectExact(fans, shuffled.tick);
    const places = fans.map((f) => placesOf(f.socket!).at(-1)!);
    expect(places.every((p) => p.status === 'waiting' && p.ticket !== null)).toBe(true);
    expect(places.map((p) => p.position).sort((a, b) => a! - b!)).toEqual(
      fans.map((_, i) => i + 1),
    );
    // Afterwards frames apply to the shuffled places.
    await setQueuePolicy(api, concertId, { paused: false, maxActive: 2 });
    const moving = await tick();
    expect(moving.admitted).toBe(2);
    const rest = fans.filter((f) => placesOf(f.socket!).at(-1)!.position! > 2);
    await expectExact(rest, moving.tick);
    neverIncreased(fans);
  });
});
