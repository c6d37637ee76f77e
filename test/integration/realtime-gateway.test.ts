import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import type { RunningServer } from '../../src/server.js';
import { QUEUE_TOKEN_AUDIENCE, QueueTokens } from '../../src/modules/queue/queue-tokens.crypto.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { flushPrefix, startCluster } from '../support/server.js';
import {
  connected,
  firstEvent,
  nextEvent,
  queueSocket,
  seen,
  type FanSocket,
} from '../support/sockets.js';
import { bulkFans, type TestFan } from '../support/users.js';
import { until } from '../support/wait.js';

let db: TestDatabase;
let servers: RunningServer[];
let api: Client;
const opened: FanSocket[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  servers = await startCluster(3, db.url, { QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' });
  api = client(servers[0]!.url);
});
afterEach(() => {
  for (const s of opened.splice(0)) s.disconnect();
});
afterAll(async () => {
  await Promise.all(servers?.map((s) => s.close()) ?? []);
  if (servers?.[0]) await flushPrefix(servers[0].config.redisKeyPrefix);
  await db?.drop();
});

const open = (server: RunningServer, token: string) => {
  const socket = queueSocket(server.url, token);
  opened.push(socket);
  return socket;
};

async function join(concertId: number, fan: TestFan): Promise<string> {
  const res = await api.post(`/concerts/${concertId}/queue`, undefined, { token: fan.token });
  return res.body.queueToken;
}

describe('admission reaches the fan on whichever instance holds the socket', () => {
  it('is delivered by a leader on another instance, once, to every socket of the fan', async () => {
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, { paused: true });
    const [fan] = await bulkFans(servers[0]!, 1);
    const token = await join(concertId, fan!);
    await until(() => servers.some((s) => s.services.queueLeader.isLeader));
    const leader = servers.find((s) => s.services.queueLeader.isLeader)!;
    const followers = servers.filter((s) => s !== leader);

    const sockets = await Promise.all(followers.map((s) => connected(open(s, token))));
    const first = await Promise.all(sockets.map((s) => firstEvent(s, 'queue:status')));
    expect(first.every((st) => st.status === 'waiting' && st.position === 1)).toBe(true);
    const admitted = Promise.all(sockets.map((s) => nextEvent(s, 'queue:admitted')));

    await setQueuePolicy(api, concertId, { paused: false });
    for (const payload of await admitted) {
      expect(payload.concertId).toBe(concertId);
      expect(Date.parse(payload.activeUntil)).toBeGreaterThan(Date.now());
    }
    await sleep(300);
    expect(sockets.map((s) => seen(s, 'queue:admitted').length)).toEqual([1, 1]);
    // A socket opened after admission gets its status: active.
    const late = await connected(open(leader, token));
    expect((await firstEvent(late, 'queue:status')).status).toBe('active');
  });
});

describe('handshake', () => {
  it('refuses forged, expired and unknown-entry tokens with the SPEC codes', async () => {
    const { concertId } = await createConcert(api);
    const { concertId: other } = await createConcert(api);
    const [fan] = await bulkFans(servers[0]!, 1);
    const token = await join(concertId, fan!);
    const secret = new TextEncoder().encode(servers[0]!.config.queueTokenSecret);
    const forged = await new QueueTokens('some-other-secret-0123456789').sign({
      userId: fan!.id,
      concertId,
      eid: 1,
    });
    const expired = await new SignJWT({ concertId, eid: 1 })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience(QUEUE_TOKEN_AUDIENCE)
      .setSubject(String(fan!.id))
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(secret);
    const otherConcert = await new QueueTokens(servers[0]!.config.queueTokenSecret).sign({
      userId: fan!.id,
      concertId: other,
      eid: 1,
    });

    for (const [bad, code] of [
      [forged, 'QUEUE_TOKEN_INVALID'],
      [expired, 'QUEUE_TOKEN_INVALID'],
      ['not-a-jwt', 'QUEUE_TOKEN_INVALID'],
      [otherConcert, 'QUEUE_ENTRY_NOT_FOUND'],
    ] as const) {
      const err = (await connected(open(servers[1]!, bad)).catch(
        (e: Error & { data?: unknown }) => e,
      )) as Error & { data?: { code: string } };
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toBe(code);
      expect(err.data).toEqual({ code });
    }
    await connected(open(servers[1]!, token)); // the genuine one still works
    await api.del('/queue', { headers: { 'x-queue-token': token } });
    const ended = (await connected(open(servers[2]!, token)).catch((e: Error) => e)) as Error;
    expect(ended.message).toBe('ADMISSION_EXPIRED');
  });
});

describe('seats and leaving over the socket', () => {
  it('lets only an active fan subscribe to seat changes, which reach it from any instance', async () => {
    const { concertId, scheduleIds } = await createConcert(api);
    await setQueuePolicy(api, concertId, { maxActive: 1 });
    const [first, second] = await bulkFans(servers[0]!, 2);
    const activeToken = await join(concertId, first!);
    const waitingToken = await join(concertId, second!);
    const active = await connected(open(servers[0]!, activeToken));
    const waiting = await connected(open(servers[1]!, waitingToken));
    await until(
      async () =>
        (await api.get('/queue/status', { headers: { 'x-queue-token': activeToken } })).body
          .status === 'active',
    );

    const refused = await waiting.emitWithAck('seats:subscribe', { scheduleId: scheduleIds[0]! });
    expect(refused).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
    const bad = await active.emitWithAck('seats:subscribe', { scheduleId: 'x' as never });
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    const unknown = await active.emitWithAck('seats:subscribe', { scheduleId: 999_999 });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'SCHEDULE_NOT_FOUND' } });
    expect(await active.emitWithAck('seats:subscribe', { scheduleId: scheduleIds[0]! })).toEqual({
      ok: true,
      data: { scheduleId: scheduleIds[0] },
    });

    const changed = nextEvent(active, 'seats:changed');
    const change = {
      scheduleId: scheduleIds[0]!,
      availableSeats: 19,
      version: 1,
      changes: [{ seatId: 1, status: 'held' as const }],
    };
    servers[2]!.services.seatEvents.seatsChanged(change); // as booking on a third instance would
    expect(await changed).toEqual(change);

    // Leaving over the socket ends the entry and frees the slot for the waiting fan.
    const ended = nextEvent(active, 'queue:ended');
    const admitted = nextEvent(waiting, 'queue:admitted');
    expect(await active.emitWithAck('queue:leave')).toEqual({ ok: true, data: null });
    expect(await ended).toEqual({ concertId, reason: 'left' });
    await admitted;
  });
});

describe('an admission that ends', () => {
  it('stops the seat updates of every socket of the fan, on every instance, whoever ended it', async () => {
    const { concertId, scheduleIds } = await createConcert(api);
    await setQueuePolicy(api, concertId, { maxActive: 3, paused: true });
    const [leaving, staying, sameInstance] = await bulkFans(servers[0]!, 3);
    const tokens = [await join(concertId, leaving!), await join(concertId, staying!)];
    tokens.push(await join(concertId, sameInstance!));
    // The leaving fan has a socket on two instances; the others watch on the same two.
    const watched = await Promise.all(
      [
        [servers[0]!, tokens[0]!],
        [servers[1]!, tokens[0]!],
        [servers[1]!, tokens[1]!],
        [servers[0]!, tokens[2]!],
      ].map(([server, token]) => connected(open(server as RunningServer, token as string))),
    );
    const [leaving0, leaving1, staying1, staying0] = watched as [
      FanSocket,
      FanSocket,
      FanSocket,
      FanSocket,
    ];
    await setQueuePolicy(api, concertId, { paused: false });
    await Promise.all(watched.map((s) => firstEvent(s, 'queue:admitted')));
    for (const s of watched)
      expect(await s.emitWithAck('seats:subscribe', { scheduleId: scheduleIds[0]! })).toMatchObject(
        { ok: true },
      );
    const change = (availableSeats: number) => ({
      scheduleId: scheduleIds[0]!,
      availableSeats,
      version: 20 - availableSeats,
      changes: [{ seatId: 1, status: 'held' as const }],
    });
    servers[2]!.services.seatEvents.seatsChanged(change(19));
    await until(() => watched.every((s) => seen(s, 'seats:changed').length === 1));

    // Ended on a third instance (as booking does after a payment there).
    await servers[2]!.services.queue.endAdmission(leaving!.id, concertId);
    await Promise.all([leaving0, leaving1].map((s) => firstEvent(s, 'queue:ended')));
    servers[2]!.services.seatEvents.seatsChanged(change(18));
    // The others, on the same two instances, hear it; by then the leaving fan's sockets would have.
    await until(() => [staying0, staying1].every((s) => seen(s, 'seats:changed').length === 2));
    await sleep(100);
    expect(seen(leaving0, 'seats:changed').map((c) => c.availableSeats)).toEqual([19]);
    expect(seen(leaving1, 'seats:changed').map((c) => c.availableSeats)).toEqual([19]);
    expect(
      await leaving0.emitWithAck('seats:subscribe', { scheduleId: scheduleIds[0]! }),
    ).toMatchObject({ ok: false, error: { code: 'ADMISSION_EXPIRED' } });
  });
});
