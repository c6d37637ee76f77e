import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { pino } from 'pino';
import { fairnessCommitment, verifyFairness } from '@lineup/client-sdk';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, sql, type TestDatabase } from '../support/db.js';
import { referenceCommitment, referenceOrder } from '../support/fairness-reference.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { flushPrefix, startCluster, testKeyPrefix } from '../support/server.js';
import { connected, queueSocket, type FanSocket } from '../support/sockets.js';
import { bulkFans, claimsOf } from '../support/users.js';
import { until } from '../support/wait.js';

// The provably fair pre-queue (SPEC §2): commitment before the sale, seed and order revealed at
// the shuffle and not a moment before, order = order of admission, recomputable by anyone.
let db: TestDatabase;
let servers: RunningServer[];
let apis: Client[];
const logs: string[] = [];
/** Every response body and socket payload seen before the reveal, as text. */
const seenBefore: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  const prefix = testKeyPrefix();
  servers = await Promise.all(
    [1, 2].map(async (i) => {
      const [s] = await startCluster(
        1,
        db.url,
        {
          REDIS_KEY_PREFIX: prefix,
          INSTANCE_ID: `fair-${i}`,
          QUEUE_TICK_MS: '50',
          LEADER_LEASE_MS: '600',
        },
        { logger: pino({ level: 'info' }, { write: (l: string) => logs.push(l) }) },
      );
      return s!;
    }),
  );
  apis = servers.map((s) => client(s.url));
});
afterAll(async () => {
  await Promise.all(servers?.map((s) => s.close()) ?? []);
  if (servers?.[0]) await flushPrefix(servers[0].config.redisKeyPrefix);
  await db?.drop();
});

async function fairness(api: Client, concertId: number) {
  const res = await api.get(`/concerts/${concertId}/queue/fairness`);
  if (res.body?.seed === null || res.status !== 200) seenBefore.push(JSON.stringify(res.body));
  return res;
}

describe('provably fair pre-queue', () => {
  it('publishes a commitment, reveals seed and order only at the shuffle, and admits in that order', async () => {
    const opensAt = Date.now() + 6_000;
    // A seat for each of the 40 fans: a line admits no more fans than seats (SPEC §2).
    const { concertId } = await createConcert(apis[0]!, {
      saleOpensAt: new Date(opensAt),
      seats: 40,
    });
    await setQueuePolicy(apis[0]!, concertId, {
      paused: true,
      maxActive: 1_000,
      admitPerMinute: 60_000,
    });

    // Before the sale: the commitment only, the same on every instance.
    const before = await fairness(apis[0]!, concertId);
    expect(before.status).toBe(200);
    expect(before.body).toEqual({
      commitment: expect.stringMatching(/^[0-9a-f]{64}$/),
      algorithm: 'fy-sha256-v1',
      seed: null,
      order: null,
    });
    expect(before.headers.get('cache-control')).toBe('public, max-age=1');
    expect((await fairness(apis[1]!, concertId)).body).toEqual(before.body);

    const fans = await bulkFans(servers[0]!, 40);
    const tokens = new Map<number, string>();
    const refs = new Map<number, string>();
    const sockets: FanSocket[] = [];
    const frames: string[] = [];
    for (const [i, fan] of fans.entries()) {
      const res = await apis[i % 2]!.post(`/concerts/${concertId}/queue`, undefined, {
        token: fan.token,
      });
      seenBefore.push(JSON.stringify(res.body));
      expect(res.body.status).toBe('prequeue');
      // ref = first 16 hex of HMAC-SHA256(QUEUE_TOKEN_SECRET, "ref:" + entry id)
      const eid = claimsOf(res.body.queueToken).eid;
      const ref = createHmac('sha256', servers[0]!.config.queueTokenSecret)
        .update(`ref:${eid}`)
        .digest('hex')
        .slice(0, 16);
      expect(res.body.ref).toBe(ref);
      // Joining again: same place, same ref.
      const again = await apis[(i + 1) % 2]!.post(`/concerts/${concertId}/queue`, undefined, {
        token: fan.token,
      });
      expect(again.body.ref).toBe(ref);
      tokens.set(fan.id, res.body.queueToken);
      refs.set(fan.id, ref);
      if (i < 6) {
        const socket = queueSocket(servers[i % 2]!.url, res.body.queueToken);
        socket.onAny((event: string, payload: unknown) =>
          frames.push(JSON.stringify({ event, payload })),
        );
        sockets.push(await connected(socket));
      }
    }
    expect(Date.now()).toBeLessThan(opensAt);
    // An error answer before the sale (bad token, unknown concert) carries no seed either.
    seenBefore.push(JSON.stringify((await apis[0]!.get('/queue/status')).body));
    seenBefore.push(JSON.stringify((await fairness(apis[1]!, 99_999_999)).body));
    seenBefore.push(
      JSON.stringify(
        (await apis[0]!.get(`/admin/concerts/${concertId}/queue`, { token: 'x' })).body,
      ),
    );

    // Poll until the reveal; every answer before it has no seed, and by the time one has, the
    // shuffle has landed (the pre-queue is gone from Redis: they are one atomic step).
    let revealed: { commitment: string; algorithm: string; seed: string; order: string[] } | null =
      null;
    await until(
      async () => {
        const res = await fairness(apis[1]!, concertId);
        if (res.body.seed === null) {
          expect(res.body.order).toBeNull();
          return false;
        }
        revealed = res.body;
        return true;
      },
      15_000,
      'seed revealed',
    );
    const record = revealed!;
    const prefix = servers[0]!.config.redisKeyPrefix;
    expect(
      await servers[0]!.services.queueStore.redis.zcard(`${prefix}{c:${concertId}}:prequeue`),
    ).toBe(0);
    const framesBefore = frames.length;
    expect(framesBefore).toBeGreaterThan(6); // statuses and heartbeats did arrive

    // The commitment matches, the order recomputes (our own implementation and the SDK's).
    expect(record.commitment).toBe(before.body.commitment);
    expect(referenceCommitment(record.seed)).toBe(record.commitment);
    expect(fairnessCommitment(record.seed)).toBe(record.commitment);
    expect([...record.order].sort()).toEqual([...refs.values()].sort());
    expect(referenceOrder([...refs.values()], record.seed)).toEqual(record.order);
    for (const [id, ref] of refs) {
      const verdict = verifyFairness(record, { ref, expectedCommitment: before.body.commitment });
      expect(verdict.ok).toBe(true);
      // The fan's place in the published order is its position in line.
      const status = await apis[0]!.get('/queue/status', {
        headers: { 'x-queue-token': tokens.get(id)! },
      });
      expect(status.body.position).toBe(verdict.place);
    }
    // Stored durably, the same from every instance, cacheable for good.
    const stored = await sql<{ seed: Buffer; revealed_order: string[] }>(
      db.url,
      'select seed, revealed_order from queue_fairness where concert_id = $1',
      [concertId],
    );
    expect(stored[0]!.seed.toString('hex')).toBe(record.seed);
    expect(stored[0]!.revealed_order).toEqual(record.order);
    const other = await fairness(apis[0]!, concertId);
    expect(other.body).toEqual(record);
    expect(other.headers.get('cache-control')).toBe('public, max-age=86400, immutable');

    // Nothing said the seed before the shuffle: no answer, no socket frame, no log line.
    for (const text of [...seenBefore, ...frames]) expect(text).not.toContain(record.seed);
    for (const line of logs) expect(line).not.toContain(record.seed);

    // The order of admission is the published order.
    const admitted: number[] = [];
    for (const s of servers)
      s.services.queueEvents.subscribe(
        (e) => e.type === 'admitted' && e.concertId === concertId && admitted.push(e.userId),
      );
    await setQueuePolicy(apis[0]!, concertId, { paused: false });
    await until(() => admitted.length === 40, 15_000, 'all admitted');
    expect(admitted.map((id) => refs.get(id))).toEqual(record.order);
    for (const s of sockets) s.disconnect();
  });

  it('reveals an empty order when nobody came early, and answers 404/400 for bad concerts', async () => {
    const { concertId } = await createConcert(apis[0]!);
    const [fan] = await bulkFans(servers[0]!, 1);
    await apis[0]!.post(`/concerts/${concertId}/queue`, undefined, { token: fan!.token });
    await until(
      async () => (await apis[1]!.get(`/concerts/${concertId}/queue/fairness`)).body.seed !== null,
      10_000,
      'empty reveal',
    );
    const res = await apis[1]!.get(`/concerts/${concertId}/queue/fairness`);
    expect(verifyFairness(res.body)).toMatchObject({ ok: true, place: undefined });
    expect(res.body.order).toEqual([]);

    const missing = await apis[0]!.get('/concerts/99999999/queue/fairness');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('CONCERT_NOT_FOUND');
    const bad = await apis[0]!.get('/concerts/abc/queue/fairness');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    const rows = await sql(db.url, 'select 1 from queue_fairness where concert_id = 99999999');
    expect(rows).toEqual([]);
  });
});
