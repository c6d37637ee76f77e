import { beforeAll, describe, expect, it } from 'vitest';
import { Hs256 } from '../../src/infra/crypto/hs256.js';
import { ACCESS_TOKEN_AUDIENCE } from '../../src/modules/accounts/access-tokens.crypto.js';
import { admittedFans, type AdmittedFan } from '../support/booking.js';
import { createConcert } from '../support/fixtures.js';
import { useTestServer } from '../support/server.js';
import { connected, queueSocket } from '../support/sockets.js';
import { claimsOf } from '../support/users.js';

// Access and queue tokens are both HS256 JWTs. Outside production one secret may sign both
// (production refuses that at boot), so only their audience (`aud`) tells them apart: a token of
// one kind must never pass for the other, whatever the secrets.

const SHARED_SECRET = 'one-secret-for-both-token-kinds-0123456789';
const ctx = useTestServer({
  AUTH_JWT_SECRET: SHARED_SECRET,
  QUEUE_TOKEN_SECRET: SHARED_SECRET,
  QUEUE_TICK_MS: '50',
  LEADER_LEASE_MS: '600',
});
let fan: AdmittedFan;
let scheduleId: number;
let concertId: number;

beforeAll(async () => {
  const concert = await createConcert(ctx.api);
  concertId = concert.concertId;
  scheduleId = concert.scheduleIds[0]!;
  [fan] = (await admittedFans(ctx.server, concertId, 1)) as [AdmittedFan];
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
    expect(ctx.server.config.queueTokenSecret).toBe(ctx.server.config.authJwtSecret);
    expect(claimsOf(fan.token).aud).toBe('lineup:access');
    expect(claimsOf(fan.queueToken).aud).toBe('lineup:queue');
  });

  it('refuses a queue token as Authorization: Bearer with 401 UNAUTHENTICATED', async () => {
    // The genuine pair works.
    expect((await ctx.api.get('/users/me/points', { token: fan.token })).status).toBe(200);
    expect((await ctx.api.get(`/schedules/${scheduleId}/seats`, fan.auth)).status).toBe(200);

    const asBearer = { token: fan.queueToken, headers: { 'x-queue-token': fan.queueToken } };
    for (const res of [
      await ctx.api.get('/users/me/points', asBearer),
      await ctx.api.get('/users/me/reservations', asBearer),
      await ctx.api.post('/users/me/points/charge', { amount: 1_000 }, asBearer),
      await ctx.api.post(`/concerts/${concertId}/queue`, undefined, asBearer),
      await ctx.api.get(`/schedules/${scheduleId}/seats`, asBearer),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('refuses an access token as X-Queue-Token with 401 QUEUE_TOKEN_INVALID', async () => {
    expect((await ctx.api.get('/queue/status', fan.auth)).status).toBe(200);

    for (const token of [fan.token, accessTokenWithQueueClaims()]) {
      const asQueueToken = { token: fan.token, headers: { 'x-queue-token': token } };
      for (const res of [
        await ctx.api.get('/queue/status', asQueueToken),
        await ctx.api.get(`/schedules/${scheduleId}/seats`, asQueueToken),
        await ctx.api.del('/queue', asQueueToken),
      ]) {
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('QUEUE_TOKEN_INVALID');
      }
    }
    // The fan is still admitted: nothing was done with the wrong token.
    expect((await ctx.api.get('/queue/status', fan.auth)).body.status).toBe('active');
  });

  it('refuses an access token as the socket auth token with QUEUE_TOKEN_INVALID', async () => {
    const good = await connected(queueSocket(ctx.server.url, fan.queueToken));
    good.disconnect();
    for (const token of [fan.token, accessTokenWithQueueClaims()]) {
      const err = (await connected(queueSocket(ctx.server.url, token)).catch(
        (e: Error & { data?: { code: string } }) => e,
      )) as Error & { data?: { code: string } };
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toBe('QUEUE_TOKEN_INVALID');
      expect(err.data?.code).toBe('QUEUE_TOKEN_INVALID');
    }
  });
});
