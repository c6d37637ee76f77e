import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { flushPrefix, startCluster, startTestServer } from '../support/server.js';
import {
  connected,
  firstEvent,
  placesOf,
  queueSocket,
  seen,
  type FanSocket,
} from '../support/sockets.js';
import { bulkFans, type TestFan } from '../support/users.js';
import { until } from '../support/wait.js';

// Positions on the socket are exact as of a tick of the line (SPEC §5), and the line only moves
// at a tick: what a fan reads at connect, plus the next ticks' deltas, is what HTTP says then.
let db: TestDatabase;
/** Two instances with a slow tick (2 s), so a leave and a connect fit between two ticks. */
let slow: RunningServer[];
/** One instance whose leader a test drives tick by tick. */
let manual: RunningServer;
const opened: FanSocket[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  [slow, manual] = await Promise.all([
    startCluster(2, db.url, { QUEUE_TICK_MS: '2000' }),
    startTestServer(db.url, {}, { startLeader: false }),
  ]);
});
afterEach(() => {
  for (const s of opened.splice(0)) s.disconnect();
});
afterAll(async () => {
  await Promise.all([...(slow ?? []), manual].filter(Boolean).map((s) => s.close()));
  for (const s of [slow?.[0], manual]) if (s) await flushPrefix(s.config.redisKeyPrefix);
  await db?.drop();
});

const open = (server: RunningServer, token: string) => {
  const socket = queueSocket(server.url, token);
  opened.push(socket);
  return socket;
};

async function joinAll(api: Client, concertId: number, fans: TestFan[]) {
  const joined: { token: string; position: number }[] = [];
  for (const fan of fans) {
    const res = await api.post(`/concerts/${concertId}/queue`, undefined, { token: fan.token });
    joined.push({ token: res.body.queueToken, position: res.body.position });
  }
  return joined;
}

function recordTicks(servers: RunningServer[], concertId: number): number[] {
  const ticks: number[] = [];
  for (const s of servers)
    s.services.queueEvents.subscribe(
      (e) => e.type === 'tick' && e.frame.concertId === concertId && ticks.push(e.frame.tick),
    );
  return ticks;
}

describe('a leave between two ticks', () => {
  it('is counted once: socket positions never increase and equal HTTP’s after each tick', async () => {
    const api = client(slow[0]!.url);
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, { paused: true });
    const ticks = recordTicks(slow, concertId);
    const joined = await joinAll(api, concertId, await bulkFans(slow[0]!, 6));
    const httpPosition = async (token: string) =>
      (await api.get('/queue/status', { headers: { 'x-queue-token': token } })).body.position;

    // Right after a tick, so the leave and the connect below come before the next one.
    const before = ticks.length;
    await until(() => ticks.length > before, 5_000, 'a tick');
    const asOf = ticks.at(-1)!;
    expect(
      (await api.del('/queue', { headers: { 'x-queue-token': joined[1]!.token } })).status,
    ).toBe(204);
    const socket = await connected(open(slow[1]!, joined[5]!.token));
    const first = await firstEvent(socket, 'queue:status');
    // A seventh fan joins in the same gap: its join answer and its socket agree.
    const [late] = await joinAll(api, concertId, await bulkFans(slow[0]!, 1));
    const lateSocket = await connected(open(slow[0]!, late!.token));
    const lateFirst = await firstEvent(lateSocket, 'queue:status');
    expect(ticks.at(-1)).toBe(asOf); // all of it before the next tick: the reported scenario

    for (let k = 1; k <= 3; k++) {
      const tick = asOf + k;
      await until(() => ticks.includes(tick), 5_000, `tick ${tick}`);
      for (const [s, token] of [
        [socket, joined[5]!.token],
        [lateSocket, late!.token],
      ] as const) {
        // The paused line does not move: the tick's frame gives the position of this tick.
        await until(() => (placesOf(s).at(-1)?.tick ?? 0) >= tick, 5_000, 'the frame');
        expect(placesOf(s).at(-1)!.position).toBe(await httpPosition(token));
      }
    }
    for (const s of [socket, lateSocket]) {
      const positions = placesOf(s).map((st) => st.position!);
      for (let i = 1; i < positions.length; i++)
        expect(positions[i]).toBeLessThanOrEqual(positions[i - 1]!);
    }
    // As of tick `asOf` fan 2 was still in line: fan 6 was 6th, the newcomer 7th.
    expect(first).toMatchObject({ status: 'waiting', position: 6, tick: asOf });
    expect(first.ticket).toEqual(expect.any(Number));
    expect(lateFirst).toMatchObject({ position: 7, tick: asOf, ticket: expect.any(Number) });
    expect(late!.position).toBe(7);
    expect(placesOf(socket).at(-1)!.position).toBe(5);
    expect(placesOf(lateSocket).at(-1)!.position).toBe(6);
    // The leave reached the sockets as a departed ticket in one frame, not as statuses.
    expect(seen(socket, 'queue:status')).toHaveLength(1);
  });
});

describe('the first tick of a line joined after its sale opened', () => {
  it('has applicable frames (no shuffle), so no instance re-reads its fans', async () => {
    const api = client(manual.url);
    const { concertId } = await createConcert(api); // on sale since yesterday
    await setQueuePolicy(api, concertId, { paused: true });
    const shuffles: boolean[] = [];
    manual.services.queueEvents.subscribe(
      (e) =>
        e.type === 'tick' &&
        e.frame.concertId === concertId &&
        shuffles.push(e.frame.departed === null),
    );
    const joined = await joinAll(api, concertId, await bulkFans(manual, 3));
    const sockets = await Promise.all(joined.map((j) => connected(open(manual, j.token))));
    await Promise.all(sockets.map((s) => firstEvent(s, 'queue:status')));

    // Count the gateway's resynchronisation reads (one pipelined status read of all local fans).
    const store = manual.services.queueStore;
    const statuses = store.statuses.bind(store);
    let rereads = 0;
    store.statuses = (...args) => (rereads++, statuses(...args));
    try {
      const leader = manual.services.queueLeader;
      await leader.maintainLease();
      expect(leader.isLeader).toBe(true);
      for (let i = 0; i < 3; i++) await leader.tick();
      await leader.stop({ release: true });
    } finally {
      store.statuses = statuses;
    }
    expect(shuffles).toEqual([false, false, false]);
    expect(rereads).toBe(0);
  });
});
