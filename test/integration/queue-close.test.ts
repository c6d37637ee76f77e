import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { ADMIN_TOKEN, flushPrefix, startCluster } from '../support/server.js';
import { connected, firstEvent, queueSocket, seen } from '../support/sockets.js';
import { bulkFans } from '../support/users.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { until } from '../support/wait.js';

// Operators close a line (SPEC §4): every waiting and pre-queue place ends with reason 'closed'
// on every socket, whichever instance holds it; later joins get 409 SALE_ENDED.
let db: TestDatabase;
let servers: RunningServer[];
let apis: Client[];
const admin = { token: ADMIN_TOKEN };

beforeAll(async () => {
  db = await createTestDatabase();
  servers = await startCluster(3, db.url, { QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' });
  apis = servers.map((s) => client(s.url));
});
afterAll(async () => {
  await Promise.all((servers ?? []).map((s) => s.close()));
  if (servers?.[0]) await flushPrefix(servers[0].config.redisKeyPrefix);
  await db?.drop();
});

async function join(api: Client, concertId: number, token: string) {
  return api.post(`/concerts/${concertId}/queue`, undefined, { token });
}

describe('POST /admin/concerts/:id/queue/close', () => {
  it('ends every waiting and pre-queue place on every instance; admitted fans stay; later joins 409', async () => {
    const [api] = apis;
    const { concertId } = await createConcert(api!);
    const { concertId: early } = await createConcert(api!, {
      saleOpensAt: new Date(Date.now() + 3_600_000),
    });
    const { concertId: other } = await createConcert(api!);
    await setQueuePolicy(api!, concertId, { maxActive: 1 });
    const fans = await bulkFans(servers[0]!, 8);
    // Fan 0 is admitted first (maxActive 1); fans 1..5 wait; fans 6, 7 are in the pre-queue of
    // `early`; fan 7 also waits in `other`, which stays open.
    const first = await join(api!, concertId, fans[0]!.token);
    const firstSocket = await connected(queueSocket(servers[0]!.url, first.body.queueToken));
    await until(
      async () =>
        (await api!.get('/queue/status', { headers: { 'x-queue-token': first.body.queueToken } }))
          .body.status === 'active',
      10_000,
      'first fan admitted',
    );
    const waitingTokens: string[] = [];
    for (const fan of fans.slice(1, 6)) {
      const res = await join(api!, concertId, fan.token);
      expect(res.body.status).toBe('waiting');
      waitingTokens.push(res.body.queueToken);
    }
    const preTokens: string[] = [];
    for (const fan of fans.slice(6)) {
      const res = await join(api!, early, fan.token);
      expect(res.body.status).toBe('prequeue');
      preTokens.push(res.body.queueToken);
    }
    const otherJoin = await join(api!, other, fans[7]!.token);
    const otherSocket = await connected(queueSocket(servers[2]!.url, otherJoin.body.queueToken));

    // Sockets spread over the three instances, two for one fan.
    const waitingSockets = await Promise.all(
      [...waitingTokens, waitingTokens[0]!].map((t, i) =>
        connected(queueSocket(servers[i % 3]!.url, t)),
      ),
    );
    const preSockets = await Promise.all(
      preTokens.map((t, i) => connected(queueSocket(servers[(i + 1) % 3]!.url, t))),
    );

    const closed = await apis[1]!.post(
      `/admin/concerts/${concertId}/queue/close`,
      undefined,
      admin,
    );
    expect(closed.status).toBe(200);
    expect(closed.body).toEqual({ ended: 5 });
    for (const socket of waitingSockets)
      expect(await firstEvent(socket, 'queue:ended')).toEqual({ concertId, reason: 'closed' });
    for (const t of waitingTokens) {
      const status = await apis[2]!.get('/queue/status', { headers: { 'x-queue-token': t } });
      expect(status.status).toBe(410);
      expect(status.body.error.details.reason).toBe('closed');
    }
    // The admitted fan keeps its admission and is told nothing.
    const firstStatus = await api!.get('/queue/status', {
      headers: { 'x-queue-token': first.body.queueToken },
    });
    expect(firstStatus.body.status).toBe('active');
    expect(seen(firstSocket, 'queue:ended')).toEqual([]);

    const preClosed = await api!.post(`/admin/concerts/${early}/queue/close`, undefined, admin);
    expect(preClosed.body).toEqual({ ended: 2 });
    for (const socket of preSockets)
      expect(await firstEvent(socket, 'queue:ended')).toEqual({
        concertId: early,
        reason: 'closed',
      });

    // Later joins, on any instance, of newcomers and of fans who were in line: 409 SALE_ENDED.
    for (const [i, fan] of [fans[1]!, fans[6]!, ...(await bulkFans(servers[0]!, 1))].entries()) {
      for (const id of [concertId, early]) {
        const late = await join(apis[i % 3]!, id, fan.token);
        expect(late.status).toBe(409);
        expect(late.body.error.code).toBe('SALE_ENDED');
      }
    }
    // Closing again ends nobody; the other concert's line is untouched.
    expect(
      (await api!.post(`/admin/concerts/${concertId}/queue/close`, undefined, admin)).body,
    ).toEqual({
      ended: 0,
    });
    await sleep(200);
    expect(seen(otherSocket, 'queue:ended')).toEqual([]);
    expect((await join(api!, other, fans[7]!.token)).status).toBe(200);

    for (const s of [firstSocket, otherSocket, ...waitingSockets, ...preSockets]) s.disconnect();
  });

  it('answers 404 for an unknown concert and 401 without the admin token, changing nothing', async () => {
    const [api] = apis;
    const missing = await api!.post('/admin/concerts/999999/queue/close', undefined, admin);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('CONCERT_NOT_FOUND');
    const { concertId } = await createConcert(api!);
    const [fan] = await bulkFans(servers[0]!, 1);
    const joined = await join(api!, concertId, fan!.token);
    const anon = await api!.post(`/admin/concerts/${concertId}/queue/close`, undefined, {
      token: fan!.token,
    });
    expect(anon.status).toBe(401);
    expect((await join(api!, concertId, fan!.token)).status).toBe(200);
    expect(joined.status).toBe(201);
  });
});
