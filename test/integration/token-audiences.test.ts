import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hs256 } from '../../src/infra/crypto/hs256.js';
import { ACCESS_TOKEN_AUDIENCE } from '../../src/modules/accounts/access-tokens.crypto.js';
import type { RunningServer } from '../../src/server.js';
import { admittedFans, type AdmittedFan } from '../support/booking.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { flushPrefix, startTestServer } from '../support/server.js';
import { connected, queueSocket } from '../support/sockets.js';
import { claimsOf } from '../support/users.js';

// Access and queue tokens are both HS256 JWTs. Outside production one secret may sign both
// (production refuses that at boot), so only their audience (`aud`) tells them apart: a token of
// one kind must never pass for the other, whatever the secrets.

const SHARED_SECRET = 'one-secret-for-both-token-kinds-0123456789';
let db: TestDatabase;
let server: RunningServer;
let api: Client;
let fan: AdmittedFan;
let scheduleId: number;
let concertId: number;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db.url, {
    AUTH_JWT_SECRET: SHARED_SECRET,
    QUEUE_TOKEN_SECRET: SHARED_SECRET,
    QUEUE_TICK_MS: '50',
    LEADER_LEASE_MS: '600',
  });
  api = client(server.url);
  const concert = await createConcert(api);
  concertId = concert.concertId;
  scheduleId = concert.scheduleIds[0]!;
  [fan] = (await admittedFans(server, concertId, 1)) as [AdmittedFan];
});
afterAll(async () => {
  await server?.close();
  if (server) await flushPrefix(server.config.redisKeyPrefix);
  await db?.drop();
});

/**
 * An access token (its audience, the shared secret) that also carries the fan's queue claims:
 * only the audience check can refuse it as a queue token.
 */
function accessTokenWithQueueClaims(): string {
  const { concertId: c, eid } = claimsOf(fan.queueToken);
  return new Hs256(SHARED_SECRET, { audience: ACCESS_TOKEN_AUDIENCE }).sign(
    { sub: String(fan.id), concertId: c, eid },
    600,
  );
}

describe('token audiences under one shared secret', () => {
  it('gives each kind its own aud', () => {
    expect(server.config.queueTokenSecret).toBe(server.config.authJwtSecret);
    expect(claimsOf(fan.token).aud).toBe('lineup:access');
    expect(claimsOf(fan.queueToken).aud).toBe('lineup:queue');
  });

  it('refuses a queue token as Authorization: Bearer with 401 UNAUTHENTICATED', async () => {
    // The genuine pair works.
    expect((await api.get('/users/me/points', { token: fan.token })).status).toBe(200);
    expect((await api.get(`/schedules/${scheduleId}/seats`, fan.auth)).status).toBe(200);

    const asBearer = { token: fan.queueToken, headers: { 'x-queue-token': fan.queueToken } };
    for (const res of [
      await api.get('/users/me/points', asBearer),
      await api.get('/users/me/reservations', asBearer),
      await api.post('/users/me/points/charge', { amount: 1_000 }, asBearer),
      await api.post(`/concerts/${concertId}/queue`, undefined, asBearer),
      await api.get(`/schedules/${scheduleId}/seats`, asBearer),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('refuses an access token as X-Queue-Token with 401 QUEUE_TOKEN_INVALID', async () => {
    expect((await api.get('/queue/status', fan.auth)).status).toBe(200);

    for (const token of [fan.token, accessTokenWithQueueClaims()]) {
      const asQueueToken = { token: fan.token, headers: { 'x-queue-token': token } };
      for (const res of [
        await api.get('/queue/status', asQueueToken),
        await api.get(`/schedules/${scheduleId}/seats`, asQueueToken),
        await api.del('/queue', asQueueToken),
      ]) {
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('QUEUE_TOKEN_INVALID');
      }
    }
    // The fan is still admitted: nothing was done with the wrong token.
    expect((await api.get('/queue/status', fan.auth)).body.status).toBe('active');
  });

  it('refuses an access token as the socket auth token with QUEUE_TOKEN_INVALID', async () => {
    const good = await connected(queueSocket(server.url, fan.queueToken));
    good.disconnect();
    for (const token of [fan.token, accessTokenWithQueueClaims()]) {
      const err = (await connected(queueSocket(server.url, token)).catch(
        (e: Error & { data?: { code: string } }) => e,
      )) as Error & { data?: { code: string } };
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toBe('QUEUE_TOKEN_INVALID');
      expect(err.data?.code).toBe('QUEUE_TOKEN_INVALID');
    }
  });
});
