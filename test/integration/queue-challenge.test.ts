import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LineupClient, solveChallenge, zeroBits } from '@lineup/client-sdk';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { ADMIN_TOKEN, useTestServer } from '../support/server.js';
import { bulkFans, type TestFan } from '../support/users.js';

// The join challenge (SPEC §2): per-concert challengeBits, a nonce bound to the user, single use,
// limited in time; 428 CHALLENGE_REQUIRED / 403 CHALLENGE_FAILED; re-joins need none. Every
// refusal changes nothing.
const ctx = useTestServer({ QUEUE_CHALLENGE_SECONDS: '3', QUEUE_TICK_MS: '100' });
const admin = { token: ADMIN_TOKEN };
const BITS = 10;

const join = (concertId: number, fan: TestFan, body?: unknown) =>
  ctx.api.post(`/concerts/${concertId}/queue`, body, { token: fan.token });
const challengeFor = async (concertId: number, fan: TestFan) => {
  const res = await ctx.api.get(`/concerts/${concertId}/queue/challenge`, { token: fan.token });
  expect(res.status).toBe(200);
  return res.body as { nonce: string; bits: number; expiresAt: string };
};
const hashBits = (nonce: string, solution: string) =>
  zeroBits(createHash('sha256').update(`${nonce}:${solution}`).digest());
/** A solution that is NOT good enough (fewer zero bits than asked). */
function badSolution(nonce: string, bits: number): string {
  for (let i = 0; ; i++) if (hashBits(nonce, `x${i}`) < bits) return `x${i}`;
}
async function lineSize(concertId: number): Promise<number> {
  const stats = await ctx.api.get(`/admin/concerts/${concertId}/queue`, admin);
  return stats.body.waiting + stats.body.prequeue + stats.body.active;
}

describe('join challenge', () => {
  it('validates challengeBits 0..24 in the policy', async () => {
    const { concertId } = await createConcert(ctx.api);
    for (const bad of [25, -1, 1.5, '8']) {
      const res = await ctx.api.patch(
        `/admin/concerts/${concertId}/queue`,
        { challengeBits: bad },
        admin,
      );
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    const ok = await ctx.api.patch(
      `/admin/concerts/${concertId}/queue`,
      { challengeBits: 24 },
      admin,
    );
    expect(ok.body.policy.challengeBits).toBe(24);
    const stats = await ctx.api.get(`/admin/concerts/${concertId}/queue`, admin);
    expect(stats.body.policy.challengeBits).toBe(24);
  });

  it('asks for a proof, accepts a solved nonce once, lets a fan in line re-join without one', async () => {
    const { concertId } = await createConcert(ctx.api);
    await setQueuePolicy(ctx.api, concertId, { challengeBits: BITS, paused: true });
    const [fan, other] = await bulkFans(ctx.server, 2);

    const required = await join(concertId, fan!);
    expect(required.status).toBe(428);
    expect(required.body.error).toMatchObject({
      code: 'CHALLENGE_REQUIRED',
      details: { bits: BITS },
    });
    expect(await lineSize(concertId)).toBe(0);

    const challenge = await challengeFor(concertId, fan!);
    expect(challenge.bits).toBe(BITS);
    expect(Date.parse(challenge.expiresAt) - Date.now()).toBeGreaterThan(1_000);
    const solution = await solveChallenge(challenge.nonce, challenge.bits);
    expect(solution.length).toBeLessThanOrEqual(64);
    expect(hashBits(challenge.nonce, solution)).toBeGreaterThanOrEqual(BITS);

    // Bad input first: each refused, nothing changes, and the nonce is still good afterwards.
    const refusals: [unknown, number, string, string?][] = [
      [
        { challenge: { nonce: challenge.nonce, solution: 'x'.repeat(65) } },
        400,
        'VALIDATION_FAILED',
      ],
      [{ challenge: { nonce: challenge.nonce, solution: 42 } }, 400, 'VALIDATION_FAILED'],
      [{ challenge: { nonce: challenge.nonce } }, 400, 'VALIDATION_FAILED'],
      [{ challenge: { nonce: challenge.nonce, solution }, extra: 1 }, 400, 'VALIDATION_FAILED'],
      [{ challenge: { nonce: 'garbage', solution } }, 403, 'CHALLENGE_FAILED', 'malformed'],
      [
        {
          challenge: {
            nonce: challenge.nonce.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
            solution,
          },
        },
        403,
        'CHALLENGE_FAILED',
        'not yours',
      ],
      [
        { challenge: { nonce: challenge.nonce, solution: badSolution(challenge.nonce, BITS) } },
        403,
        'CHALLENGE_FAILED',
        'too few zero bits',
      ],
    ];
    for (const [body, status, code, reason] of refusals) {
      const res = await join(concertId, fan!, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.code).toBe(code);
      if (reason) expect(res.body.error.details.reason).toBe(reason);
    }
    // Another user's nonce, correctly solved: refused, and it stays usable by its owner.
    const stolen = await join(concertId, other!, {
      challenge: { nonce: challenge.nonce, solution },
    });
    expect(stolen.status).toBe(403);
    expect(stolen.body.error.details.reason).toBe('not yours');
    expect(await lineSize(concertId)).toBe(0);

    const joined = await join(concertId, fan!, { challenge: { nonce: challenge.nonce, solution } });
    expect(joined.status).toBe(201);
    // Already in line: re-joins without a challenge (or with the used one) get the same place.
    const again = await join(concertId, fan!);
    expect(again.status).toBe(200);
    expect(again.body.ref).toBe(joined.body.ref);
    expect(
      (await join(concertId, fan!, { challenge: { nonce: challenge.nonce, solution } })).status,
    ).toBe(200);

    // Out of line, the used nonce is worth nothing: single use.
    const left = await ctx.api.del('/queue', {
      headers: { 'x-queue-token': joined.body.queueToken },
    });
    expect(left.status).toBe(204);
    const reused = await join(concertId, fan!, { challenge: { nonce: challenge.nonce, solution } });
    expect(reused.status).toBe(403);
    expect(reused.body.error.details.reason).toBe('used');
    expect(await lineSize(concertId)).toBe(0);

    // A nonce of another concert does not open this one.
    const { concertId: second } = await createConcert(ctx.api);
    const elsewhere = await challengeFor(second, fan!);
    const wrongConcert = await join(concertId, fan!, {
      challenge: { nonce: elsewhere.nonce, solution: await solveChallenge(elsewhere.nonce, BITS) },
    });
    expect(wrongConcert.status).toBe(403);
    expect(wrongConcert.body.error.details.reason).toBe('not yours');
  });

  it('refuses an expired nonce; concerts without a challenge need none', async () => {
    const { concertId } = await createConcert(ctx.api);
    await setQueuePolicy(ctx.api, concertId, { challengeBits: 4 });
    const [fan, free] = await bulkFans(ctx.server, 2);
    const challenge = await challengeFor(concertId, fan!);
    const solution = await solveChallenge(challenge.nonce, 4);
    await sleep(Date.parse(challenge.expiresAt) - Date.now() + 50);
    const late = await join(concertId, fan!, { challenge: { nonce: challenge.nonce, solution } });
    expect(late.status).toBe(403);
    expect(late.body.error.details.reason).toBe('expired');
    expect(await lineSize(concertId)).toBe(0);

    const { concertId: open } = await createConcert(ctx.api);
    expect((await challengeFor(open, free!)).bits).toBe(0);
    expect((await join(open, free!)).status).toBe(201);
  });

  it('answers 404 for an unknown concert, 400 for a malformed id, 401 without a user', async () => {
    const [fan] = await bulkFans(ctx.server, 1);
    const missing = await ctx.api.get('/concerts/99999999/queue/challenge', { token: fan!.token });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('CONCERT_NOT_FOUND');
    for (const bad of ['abc', '0', '-1', '1.5']) {
      const res = await ctx.api.get(`/concerts/${bad}/queue/challenge`, { token: fan!.token });
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    // A proof for a concert that does not exist opens nothing: 404, not a challenge verdict.
    const { concertId: real } = await createConcert(ctx.api);
    await setQueuePolicy(ctx.api, real, { challengeBits: 4 });
    const challenge = await challengeFor(real, fan!);
    const solution = await solveChallenge(challenge.nonce, 4);
    const ghost = await join(99999999, fan!, { challenge: { nonce: challenge.nonce, solution } });
    expect(ghost.status).toBe(404);
    expect(ghost.body.error.code).toBe('CONCERT_NOT_FOUND');
    // …and did not use up the nonce: its own concert still takes it.
    expect(
      (await join(real, fan!, { challenge: { nonce: challenge.nonce, solution } })).status,
    ).toBe(201);
    const { concertId } = await createConcert(ctx.api);
    expect((await ctx.api.get(`/concerts/${concertId}/queue/challenge`)).status).toBe(401);
  });

  it('one solved nonce sent by two joins at once puts the fan in line once', async () => {
    const { concertId } = await createConcert(ctx.api);
    await setQueuePolicy(ctx.api, concertId, { challengeBits: 4, paused: true });
    const [fan] = await bulkFans(ctx.server, 1);
    const challenge = await challengeFor(concertId, fan!);
    const body = {
      challenge: { nonce: challenge.nonce, solution: await solveChallenge(challenge.nonce, 4) },
    };
    const answers = await Promise.all([join(concertId, fan!, body), join(concertId, fan!, body)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 201]);
    expect(answers[0]!.body.ref).toBe(answers[1]!.body.ref);
    expect(await lineSize(concertId)).toBe(1);
  });

  it('the SDK solves the challenge when the server asks, reporting progress', async () => {
    const { concertId } = await createConcert(ctx.api);
    await setQueuePolicy(ctx.api, concertId, { challengeBits: BITS });
    const [fan] = await bulkFans(ctx.server, 1);
    const sdk = new LineupClient({ baseUrl: ctx.server.url, accessToken: fan!.token });
    const progress: number[] = [];
    const joined = await sdk.joinQueue(concertId, {
      onChallengeProgress: (tried) => progress.push(tried),
    });
    expect(joined.created).toBe(true);
    expect(progress.length).toBeGreaterThan(0);
    // With solve: false the caller gets the 428 itself.
    const [other] = await bulkFans(ctx.server, 1);
    const sdk2 = new LineupClient({ baseUrl: ctx.server.url, accessToken: other!.token });
    await expect(sdk2.joinQueue(concertId, { solve: false })).rejects.toMatchObject({
      code: 'CHALLENGE_REQUIRED',
      status: 428,
    });
  });
});
