import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client, type HttpResponse } from '../support/http.js';
import { flushPrefix, startCluster } from '../support/server.js';
import { bulkFans, claimsOf, type TestFan } from '../support/users.js';

// Joins spread over three real instances sharing one Redis and one database.
let db: TestDatabase;
let servers: RunningServer[];
let apis: Client[];

beforeAll(async () => {
  db = await createTestDatabase();
  servers = await startCluster(3, db.url, { QUEUE_TICK_MS: '100', LEADER_LEASE_MS: '600' });
  apis = servers.map((s) => client(s.url));
});
afterAll(async () => {
  await Promise.all(servers?.map((s) => s.close()) ?? []);
  if (servers?.[0]) await flushPrefix(servers[0].config.redisKeyPrefix);
  await db?.drop();
});

const join = (i: number, concertId: number, fan: TestFan) =>
  apis[i % apis.length]!.post(`/concerts/${concertId}/queue`, undefined, { token: fan.token });

describe('joining the line', () => {
  it('gives 2,000 concurrent fans on 3 instances the distinct positions 1..2,000, in the order their joins were accepted', async () => {
    const { concertId } = await createConcert(apis[0]!);
    // Paused: nobody is admitted, so every position is the fan's place at the moment of joining.
    await setQueuePolicy(apis[0]!, concertId, { paused: true, maxWaiting: 5_000 });
    const fans = await bulkFans(servers[0]!, 2_000);

    const responses = await Promise.all(fans.map((fan, i) => join(i, concertId, fan)));
    expect(responses.map((r) => r.status)).toEqual(fans.map(() => 201));

    const positions = responses.map((r) => r.body.position as number);
    expect(new Set(positions).size).toBe(2_000);
    expect(Math.min(...positions)).toBe(1);
    expect(Math.max(...positions)).toBe(2_000);
    // The entry id in the token is the order in which Redis accepted the joins.
    const byAcceptance = [...responses].sort((a, b) => eid(a) - eid(b));
    expect(byAcceptance.map((r) => r.body.position)).toEqual(positions.map((_, i) => i + 1));
    for (const r of responses)
      expect(r.body).toMatchObject({ concertId, status: 'waiting', activeUntil: null });

    // Joining again — on another instance — returns the same place and the same token claims.
    const again = await Promise.all(
      fans.slice(0, 200).map((fan, i) => join(i + 1, concertId, fan)),
    );
    again.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.body.position).toBe(responses[i]!.body.position);
      const { iat: _a, exp: _b, ...claims } = claimsOf(r.body.queueToken);
      const { iat: _c, exp: _d, ...first } = claimsOf(responses[i]!.body.queueToken);
      expect(claims).toEqual(first);
      expect(claims).toMatchObject({ sub: String(fans[i]!.id), concertId });
    });

    const stats = await apis[2]!.get(`/admin/concerts/${concertId}/queue`, {
      token: 'test-admin-token',
    });
    expect(stats.body).toMatchObject({ waiting: 2_000, active: 0, prequeue: 0 });
  });

  it('turns away the 1,001st distinct fan with 503 QUEUE_FULL and Retry-After when maxWaiting is 1,000', async () => {
    const { concertId } = await createConcert(apis[0]!);
    await setQueuePolicy(apis[0]!, concertId, { paused: true, maxWaiting: 1_000 });
    const fans = await bulkFans(servers[0]!, 1_100);

    const responses = await Promise.all(fans.map((fan, i) => join(i, concertId, fan)));
    const accepted = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status === 503);
    expect(accepted).toHaveLength(1_000);
    expect(refused).toHaveLength(100);
    for (const r of refused) {
      expect(r.body.error.code).toBe('QUEUE_FULL');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // A fan already in line still gets their place back when the line is full.
    const inLine = fans[responses.findIndex((r) => r.status === 201)]!;
    expect((await join(0, concertId, inLine)).status).toBe(200);
  });

  it('answers 404 CONCERT_NOT_FOUND and 409 SALE_ENDED', async () => {
    const [fan] = await bulkFans(servers[0]!, 1);
    expect((await join(0, 999_999, fan!)).body.error.code).toBe('CONCERT_NOT_FOUND');
    const res = await apis[0]!.post(
      '/admin/concerts',
      { title: 'Over', artist: 'Nobody', saleOpensAt: new Date().toISOString() },
      { token: 'test-admin-token' },
    );
    const ended = await join(0, res.body.id, fan!); // no schedule left to sell
    expect(ended.status).toBe(409);
    expect(ended.body.error.code).toBe('SALE_ENDED');
  });
});

function eid(r: HttpResponse): number {
  return claimsOf(r.body.queueToken).eid as number;
}
