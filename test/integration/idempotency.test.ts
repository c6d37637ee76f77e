import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { requestHash } from '../../src/modules/idempotency/idempotency.service.js';
import { admittedFans } from '../support/booking.js';
import { createTestDatabase, sql } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, signUp } from '../support/http.js';
import { flushPrefix, startTestServer, useTestServer } from '../support/server.js';
import { until } from '../support/wait.js';

const ctx = useTestServer();

const CHARGE_PATH = '/users/me/points/charge';

const charge = (token: string, amount: number, key?: string) =>
  ctx.api.post(CHARGE_PATH, { amount }, { token, headers: key ? { 'idempotency-key': key } : {} });

async function ledgerRows(userId: number): Promise<number> {
  const [row] = await sql<{ n: string }>(
    ctx.db.url,
    `select count(*) as n from point_ledger where user_id = $1`,
    [userId],
  );
  return Number(row!.n);
}

async function keyRows(userId: number, key: string) {
  return sql<{ status: string; response_status: number | null; response_body: unknown }>(
    ctx.db.url,
    `select status, response_status, response_body from idempotency_keys where user_id = $1 and key = $2`,
    [userId, key],
  );
}

/** Plants a claim as if another request with this key and body were running (or had died). */
async function plantClaim(userId: number, key: string, amount: number, lockedFor: string) {
  const hash = requestHash({ method: 'POST', path: CHARGE_PATH, body: { amount } });
  await sql(
    ctx.db.url,
    `insert into idempotency_keys (user_id, key, request_hash, status, locked_until)
     values ($1, $2, $3, 'in_progress', now() + $4::interval)`,
    [userId, key, hash, lockedFor],
  );
}

describe('Idempotency-Key on POST /users/me/points/charge', () => {
  it('replays the first response for the same key and body; the charge happens once', async () => {
    const fan = await signUp(ctx.api);
    const key = randomUUID();
    const first = await charge(fan.token, 5_000, key);
    const second = await charge(fan.token, 5_000, key);

    expect(first.status).toBe(200);
    expect(first.body).toEqual({ balance: 5_000 });
    expect(second.status).toBe(first.status);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await ledgerRows(fan.id)).toBe(1);
    // Only the answer's body is kept: the route chooses the status, the same for the replay.
    expect(await keyRows(fan.id, key)).toEqual([
      { status: 'completed', response_status: null, response_body: { balance: 5_000 } },
    ]);
  });

  it('10 concurrent requests with one key: one effect, every answer the same 200 (or 409 in use)', async () => {
    const fan = await signUp(ctx.api);
    const key = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => charge(fan.token, 7_000, key)),
    );

    const ok = responses.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of ok) expect(r.body).toEqual({ balance: 7_000 });
    for (const r of responses.filter((r) => r.status !== 200)) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('IDEMPOTENCY_KEY_IN_USE');
    }
    // Exactly one of them did the work; the others replayed it.
    expect(ok.filter((r) => r.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
    expect(await ledgerRows(fan.id)).toBe(1);
    expect((await ctx.api.get('/users/me/points', { token: fan.token })).body).toEqual({
      balance: 7_000,
    });
  });

  it('refuses the same key with another body: 422 IDEMPOTENCY_KEY_REUSED, nothing charged', async () => {
    const fan = await signUp(ctx.api);
    const key = randomUUID();
    expect((await charge(fan.token, 1_000, key)).status).toBe(200);
    const reused = await charge(fan.token, 2_000, key);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await ledgerRows(fan.id)).toBe(1);
  });

  it('treats bodies with the same content as the same request (key order, no extra effect)', async () => {
    const fan = await signUp(ctx.api);
    const key = randomUUID();
    const first = await charge(fan.token, 3_000, key);
    const again = await ctx.api.post(CHARGE_PATH, undefined, {
      token: fan.token,
      raw: '{ "amount" : 3000 }',
      headers: { 'idempotency-key': key },
    });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await ledgerRows(fan.id)).toBe(1);
  });

  it('scopes keys per user: another fan may use the same key for their own charge', async () => {
    const a = await signUp(ctx.api);
    const b = await signUp(ctx.api);
    const key = randomUUID();
    expect((await charge(a.token, 4_000, key)).body).toEqual({ balance: 4_000 });
    const forB = await charge(b.token, 6_000, key);
    expect(forB.status).toBe(200);
    expect(forB.body).toEqual({ balance: 6_000 });
    expect(forB.headers.get('idempotent-replayed')).toBeNull();
    expect(await ledgerRows(a.id)).toBe(1);
    expect(await ledgerRows(b.id)).toBe(1);
  });

  it('answers 409 IDEMPOTENCY_KEY_IN_USE while a live claim holds the key, and charges nothing', async () => {
    const fan = await signUp(ctx.api);
    const key = randomUUID();
    await plantClaim(fan.id, key, 8_000, '10 minutes');

    const res = await charge(fan.token, 8_000, key);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('IDEMPOTENCY_KEY_IN_USE');
    expect(await ledgerRows(fan.id)).toBe(0);
    expect((await keyRows(fan.id, key))[0]?.status).toBe('in_progress');
  });

  it('takes over a claim whose lock expired (its holder died) and charges exactly once', async () => {
    const fan = await signUp(ctx.api);
    const key = randomUUID();
    await plantClaim(fan.id, key, 9_000, '-1 minute');

    const taken = await charge(fan.token, 9_000, key);
    expect(taken.status).toBe(200);
    expect(taken.body).toEqual({ balance: 9_000 });
    const replay = await charge(fan.token, 9_000, key);
    expect(replay.body).toEqual({ balance: 9_000 });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await ledgerRows(fan.id)).toBe(1);
    expect((await keyRows(fan.id, key))[0]?.status).toBe('completed');
  });

  it('releases the key after a failed attempt: the retry runs again and may carry a corrected body', async () => {
    const fan = await signUp(ctx.api);
    const key = randomUUID();
    const failed = await charge(fan.token, 999, key);
    expect(failed.status).toBe(422);
    expect(failed.body.error.code).toBe('CHARGE_AMOUNT_OUT_OF_RANGE');
    expect(await keyRows(fan.id, key)).toEqual([]);

    const sameAgain = await charge(fan.token, 999, key);
    expect(sameAgain.status).toBe(422);
    expect(sameAgain.body.error.code).toBe('CHARGE_AMOUNT_OUT_OF_RANGE');

    const corrected = await charge(fan.token, 1_000, key);
    expect(corrected.status).toBe(200);
    expect(corrected.body).toEqual({ balance: 1_000 });
    // From now on the key belongs to the successful request.
    expect((await charge(fan.token, 999, key)).body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await ledgerRows(fan.id)).toBe(1);
  });

  it('releases the key when the cap refuses the charge, so a retry after spending can succeed', async () => {
    const fan = await signUp(ctx.api);
    for (let i = 0; i < 10; i++) await charge(fan.token, 1_000_000);
    const key = randomUUID();
    const refused = await charge(fan.token, 1_000, key);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('BALANCE_LIMIT_EXCEEDED');
    expect(await keyRows(fan.id, key)).toEqual([]);
    expect(await ledgerRows(fan.id)).toBe(10);
  });

  it('charges every time without a key (no accidental deduplication)', async () => {
    const fan = await signUp(ctx.api);
    await charge(fan.token, 1_000);
    await charge(fan.token, 1_000);
    expect(await ledgerRows(fan.id)).toBe(2);
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['with spaces', 'two words'],
  ])('rejects an invalid Idempotency-Key (%s) with 400 and charges nothing', async (_, key) => {
    const fan = await signUp(ctx.api);
    const res = await ctx.api.post(
      CHARGE_PATH,
      { amount: 1_000 },
      { token: fan.token, headers: { 'idempotency-key': key } },
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.issues[0].path).toBe('headers.idempotency-key');
    expect(await ledgerRows(fan.id)).toBe(0);
  });
});

describe('Idempotency-Key on POST /reservations', () => {
  async function admittedFan() {
    const { concertId, scheduleIds } = await createConcert(ctx.api, { seats: 10 });
    await setQueuePolicy(ctx.api, concertId, { maxActive: 10, admitPerMinute: 60_000 });
    const [fan] = await admittedFans(ctx.server, concertId, 1);
    const scheduleId = scheduleIds[0]!;
    const seats = await ctx.api.get(`/schedules/${scheduleId}/seats`, fan!.auth);
    const seatIds = (seats.body as { id: number }[]).map((s) => s.id);
    const hold = (key: string, ids: number[]) =>
      ctx.api.post(
        '/reservations',
        { scheduleId, seatIds: ids },
        { token: fan!.token, headers: { ...fan!.auth.headers, 'idempotency-key': key } },
      );
    return { fan: fan!, seatIds, hold };
  }

  async function reservationsOf(userId: number): Promise<number> {
    const [row] = await sql<{ n: string }>(
      ctx.db.url,
      `select count(*) as n from reservations where user_id = $1`,
      [userId],
    );
    return Number(row!.n);
  }

  it('answers 409 IDEMPOTENCY_KEY_IN_USE to the same key while the first hold runs, whatever the body; then its answer, and 422 to another body', async () => {
    const { fan, seatIds, hold } = await admittedFan();
    const [s1, s2, s3] = seatIds;
    const key = randomUUID();
    // Keeps the first hold inside its statement: it waits for the fan's wallet row, locked here.
    const blocker = new pg.Client({ connectionString: ctx.db.url });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('select 1 from wallets where user_id = $1 for update', [fan.id]);
    const first = hold(key, [s1!]);
    try {
      // The hold claims its key in the statement that holds (one transaction): nobody sees the
      // claim before it commits, so the first request is seen waiting on the wallet instead.
      await until(
        async () =>
          (
            await sql(
              ctx.db.url,
              `select 1 from pg_stat_activity where datname = current_database()
               and wait_event_type = 'Lock' and query like '%booking_hold(%'`,
            )
          ).length === 1,
        10_000,
        'first hold waiting',
      );
      // The same body and another one on its seat meet its seat lock, tagged with the key; another
      // body on other seats reaches PostgreSQL and waits on the key's unique index. All wait
      // waitForFirstMs for the first request, then answer 409: it still runs.
      const answers = await Promise.all([
        hold(key, [s1!]),
        hold(key, [s1!, s2!]),
        hold(key, [s3!]),
      ]);
      for (const r of answers) {
        expect({ status: r.status, code: r.body.error?.code }).toEqual({
          status: 409,
          code: 'IDEMPOTENCY_KEY_IN_USE',
        });
      }
    } finally {
      await blocker.query('commit');
      await blocker.end();
    }
    const held = await first;
    expect(held.status).toBe(201);
    const retry = await hold(key, [s1!]);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(held.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    for (const body of [[s1!, s2!], [s3!]]) {
      const otherBody = await hold(key, body);
      expect({ status: otherBody.status, code: otherBody.body.error?.code }).toEqual({
        status: 422,
        code: 'IDEMPOTENCY_KEY_REUSED',
      });
    }
    expect(await reservationsOf(fan.id)).toBe(1);
  });

  it('replays the hold to a retry after paying for it ended the admission (the replay comes before the guard)', async () => {
    const { fan, seatIds, hold } = await admittedFan();
    const key = randomUUID();
    const held = await hold(key, [seatIds[0]!]);
    expect(held.status).toBe(201);
    const paid = await ctx.api.post(`/reservations/${held.body.id}/payment`, undefined, fan);
    expect(paid.status).toBe(200);
    expect((await ctx.api.get('/queue/status', { headers: fan.auth.headers })).status).toBe(410);

    const retry = await hold(key, [seatIds[0]!]);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(held.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const otherBody = await hold(key, [seatIds[1]!]);
    expect({ status: otherBody.status, code: otherBody.body.error?.code }).toEqual({
      status: 422,
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    const fresh = await hold(randomUUID(), [seatIds[1]!]);
    expect({ status: fresh.status, code: fresh.body.error?.code }).toEqual({
      status: 410,
      code: 'ADMISSION_EXPIRED',
    });
    expect(await reservationsOf(fan.id)).toBe(1);
  });
});

describe('keys past the retention period', () => {
  it('are purged by the leader, in bounded batches; younger keys stay', async () => {
    // Its own database: this deployment's leader purges with a 10-second retention.
    const ownDb = await createTestDatabase();
    const short = await startTestServer(ownDb.url, { IDEMPOTENCY_RETENTION_SECONDS: '10' });
    try {
      const shortApi = client(short.url);
      const fan = await signUp(shortApi);
      short.services.bookingChores.stop();
      await sql(
        ownDb.url,
        `insert into idempotency_keys (user_id, key, request_hash, status, locked_until, created_at)
         select $1, 'old-' || g, 'h', 'completed', now(), now() - interval '1 day'
         from generate_series(1, 2500) g`,
        [fan.id],
      );
      const count = async (like: string) =>
        Number(
          (
            await sql<{ n: string }>(
              ownDb.url,
              `select count(*) as n from idempotency_keys where user_id = $1 and key like $2`,
              [fan.id, like],
            )
          )[0]!.n,
        );
      // One round's work is bounded: one batch of 1,000 here, however many are due.
      expect(await short.services.idempotency.purgeExpired(1_000, 1)).toBe(1_000);
      expect(await count('old-%')).toBe(1_500);

      const young = `young-${randomUUID()}`;
      const charged = await shortApi.post(
        CHARGE_PATH,
        { amount: 1_000 },
        { token: fan.token, headers: { 'idempotency-key': young } },
      );
      expect(charged.status).toBe(200);
      short.services.bookingChores.start();
      await until(async () => (await count('old-%')) === 0, 10_000, 'old keys purged');
      expect(await count(young)).toBe(1);
    } finally {
      await short.close();
      await flushPrefix(short.config.redisKeyPrefix);
      await ownDb.drop();
    }
  });
});
