import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/infra/app-error.js';
import {
  BookingStatements,
  SEAT_MAP_CHANGES,
  type HoldCall,
} from '../../src/modules/booking/booking.statements.js';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, sql, type TestDatabase } from '../support/db.js';
import { admittedFans, counterMismatches, doubleBookings } from '../support/booking.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { bulkFans } from '../support/users.js';
import { flushPrefix, startCluster } from '../support/server.js';
import { until } from '../support/wait.js';

// Holds of one schedule committed together (issue 14): the holds that queue behind one in flight
// go to PostgreSQL as one booking_hold_many, which writes the schedule's counter row once.
let db: TestDatabase;
let server: RunningServer;
let api: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  server = (await startCluster(1, db.url, { QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' }))[0]!;
  api = client(server!.url);
});
afterAll(async () => {
  await server?.close();
  if (server) await flushPrefix(server.config.redisKeyPrefix);
  await db?.drop();
});

async function schedule(seats: number) {
  const { concertId, scheduleIds } = await createConcert(api, { seats });
  const scheduleId = scheduleIds[0]!;
  const seatIds = (
    await sql<{ seat_id: number }>(
      db.url,
      `select seat_id from schedule_seats where schedule_id = $1 order by seat_id`,
      [scheduleId],
    )
  ).map((r) => r.seat_id);
  return { concertId, scheduleId, seatIds };
}

const version = async (scheduleId: number) =>
  Number(
    (
      await sql<{ v: string }>(db.url, `select seat_version as v from schedules where id = $1`, [
        scheduleId,
      ])
    )[0]!.v,
  );

describe('holds of one schedule in flight together', () => {
  it('40 concurrent holds through one instance: all granted in far fewer round trips, versions as if one by one', async () => {
    const { concertId, scheduleId } = await schedule(60);
    await setQueuePolicy(api, concertId, { maxActive: 100, admitPerMinute: 600_000 });
    const fans = await admittedFans(server, concertId, 40);
    const seatIds = (await api.get(`/schedules/${scheduleId}/seats`, fans[0]!.auth)).body.map(
      (s: { id: number }) => s.id,
    ) as number[];
    const v0 = await version(scheduleId);
    const sent: string[] = [];
    const watch = (name: string) => void sent.push(name);
    server.services.db.watchers.add(watch);
    const answers = await Promise.all(
      fans.map((fan, i) =>
        api.post('/reservations', { scheduleId, seatIds: [seatIds[i]] }, fan.auth),
      ),
    ).finally(() => server.services.db.watchers.delete(watch));
    expect(answers.map((a) => a.status)).toEqual(fans.map(() => 201));
    const holds = sent.filter((n) => n.startsWith('booking_hold'));
    // Alone, each hold is one statement: 40. The lane sends what queued behind one in flight.
    expect(holds).toContain('booking_hold_many');
    expect(holds.length).toBeLessThanOrEqual(20);

    const rows = await sql<{ seat_id: number; v: string }>(
      db.url,
      `select seat_id, changed_version as v from schedule_seats where schedule_id = $1 and status = 'held'`,
      [scheduleId],
    );
    expect(rows.map((r) => r.seat_id).sort((a, b) => a - b)).toEqual(
      seatIds.slice(0, 40).sort((a, b) => a - b),
    );
    // One seat per hold: versions v0+1 .. v0+40, each once.
    expect(rows.map((r) => Number(r.v)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => v0 + 1 + i),
    );
    expect(await version(scheduleId)).toBe(v0 + 40);
    const map = await api.get(`/schedules/${scheduleId}/seats`, fans[0]!.auth);
    expect(Number(map.headers.get('seat-map-version'))).toBe(v0 + 40);
    expect(
      map.body
        .filter((s: { status: string }) => s.status === 'held')
        .map((s: { id: number }) => s.id)
        .sort((a: number, b: number) => a - b),
    ).toEqual(seatIds.slice(0, 40).sort((a, b) => a - b));
    // Read as of any version in between: exactly the seats changed after it.
    const changes = await sql<{ seats: unknown[] }>(db.url, SEAT_MAP_CHANGES.text, [
      scheduleId,
      v0 + 25,
    ]);
    expect(changes[0]!.seats).toHaveLength(15);
    expect(await counterMismatches(server)).toEqual([]);
    expect(await doubleBookings(server)).toEqual([]);
  });

  it('each hold of a batch answers what it would have alone: its own version and availability', async () => {
    const { concertId, scheduleId, seatIds } = await schedule(50);
    const users = (await bulkFans(server, 40)).map((f) => f.id);
    const statements = new BookingStatements(server.services.db);
    const v0 = await version(scheduleId);
    const before = server.services.db.roundTrips;
    const call = (userId: number, seats: number[]): HoldCall => ({
      userId,
      concertId,
      scheduleId,
      seatIds: seats,
      maxSeats: 4,
      holdSeconds: 600,
      queueEntryId: 0,
      now: new Date(),
      claim: null,
    });
    // Two seats each for the first 5, one for the rest.
    const requests = users.map((u, i) =>
      call(u, i < 5 ? [seatIds[2 * i]!, seatIds[2 * i + 1]!] : [seatIds[5 + i]!]),
    );
    const answers = await Promise.all(requests.map((r) => statements.hold(r)));
    // The first alone, then 32, then 7: three statements.
    expect(server.services.db.roundTrips - before).toBe(3);
    const held = answers.map((a) => {
      if ('replay' in a) throw new Error('no key: no replay');
      return a;
    });
    const versions = held.map((a) => a.version);
    expect(new Set(versions).size).toBe(40);
    // Each answer's availability is as of its version: 50 seats minus those held up to it.
    for (const a of held) expect(a.availableSeats).toBe(50 - (a.version - v0));
    // The versions the seats carry are their holds' versions.
    const rows = await sql<{ seat_id: number; v: string }>(
      db.url,
      `select seat_id, changed_version as v from schedule_seats where schedule_id = $1 and status = 'held'`,
      [scheduleId],
    );
    const byseat = new Map(rows.map((r) => [r.seat_id, Number(r.v)]));
    for (const a of held) for (const s of a.body.seats) expect(byseat.get(s.id)).toBe(a.version);
    expect(await version(scheduleId)).toBe(v0 + 45);
    expect(await counterMismatches(server)).toEqual([]);
  });
});

/** An answer without what differs between two runs of the same holds: ids and timestamps. */
function comparable(answer: unknown): unknown {
  return JSON.parse(
    JSON.stringify(answer, (k, v: unknown) =>
      ['id', 'createdAt', 'expiresAt'].includes(k) && typeof v !== 'object' ? k : v,
    ),
  );
}

describe('a batch with mixed outcomes', () => {
  async function mixed() {
    const { concertId, scheduleId, seatIds: s } = await schedule(20);
    const [u1, u2, u3, u4] = (await bulkFans(server, 4)).map((f) => f.id);
    const call = (
      userId: number,
      seats: number[],
      key: [string, string] | null = null,
    ): HoldCall => ({
      userId,
      concertId,
      scheduleId,
      seatIds: seats,
      maxSeats: 4,
      holdSeconds: 600,
      queueEntryId: 7,
      now: new Date(),
      claim: key && { key: key[0], hash: key[1], waitMs: 1000 },
    });
    const statements = new BookingStatements(server.services.db);
    // Before the batch: a seat held in PostgreSQL (no Redis lock: the statement is called
    // directly) and a keyed hold whose key will be replayed.
    await statements.hold(call(u4!, [s[0]!]));
    const first = await statements.hold(call(u3!, [s[1]!], ['k-first', 'h1']));
    const holds = [
      call(u1!, [s[2]!]), // ok
      call(u2!, [s[0]!]), // taken in PostgreSQL
      call(u2!, s.slice(3, 8)), // over the seat limit
      call(u2!, [999_999]), // no such seat
      call(u3!, [s[1]!], ['k-first', 'h1']), // replayed
      call(u1!, [s[8]!]), // ok: the same fan again
      call(u1!, s.slice(9, 12)), // over the limit with the batch's two
      call(u2!, [s[2]!]), // taken by the first of the batch
      call(u3!, [s[12]!, s[13]!], ['k-new', 'h2']), // ok, keyed
      call(u3!, [s[14]!], ['k-first', 'other']), // the key reused for another request
      call(2_147_483_000, [s[15]!]), // no such user
      call(u4!, [s[15]!]), // ok
    ];
    return { concertId, scheduleId, s, u4: u4!, holds, first, call, statements };
  }

  const toSql = (h: HoldCall) => ({
    ...h,
    key: h.claim?.key ?? null,
    hash: h.claim?.hash ?? null,
    waitMs: h.claim?.waitMs ?? null,
    claim: undefined,
  });

  it('answers, element by element, exactly what the holds alone answer one after another (SQL)', async () => {
    const { holds } = await mixed();
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query('begin');
      const batch = (
        await c.query<{ r: unknown[] }>('select booking_hold_many($1::jsonb) as r', [
          JSON.stringify(holds.map(toSql)),
        ])
      ).rows[0]!.r;
      await c.query('rollback');
      await c.query('begin');
      const alone: unknown[] = [];
      for (const h of holds) {
        const args = [h.userId, h.concertId, h.scheduleId, h.seatIds, h.maxSeats, h.holdSeconds];
        await c.query('savepoint s');
        try {
          const r = h.claim
            ? await c.query(
                'select booking_hold($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) as r',
                [...args, h.queueEntryId, h.now, h.claim.key, h.claim.hash, h.claim.waitMs],
              )
            : await c.query(
                'select booking_hold($1, $2, $3, $4, $5, $6, $7, $8, null::bigint) as r',
                [...args, h.queueEntryId, h.now],
              );
          alone.push(r.rows[0].r);
          await c.query('release savepoint s');
        } catch (err) {
          const e = err as { code: string; message: string; detail?: string; constraint?: string };
          alone.push({
            error: {
              code: e.code,
              message: e.message,
              detail: e.detail ?? null,
              constraint: e.constraint ?? null,
            },
          });
          await c.query('rollback to savepoint s');
        }
      }
      await c.query('rollback');
      expect(comparable(batch)).toEqual(comparable(alone));
      // Not vacuous: four holds, one replay, seven refusals of five kinds.
      const kinds = (alone as { error?: { message: string }; replay?: unknown }[]).map((a) =>
        a.error ? a.error.message : a.replay ? 'replay' : 'held',
      );
      expect(kinds).toEqual([
        'held',
        'SEAT_UNAVAILABLE',
        'SEAT_LIMIT_EXCEEDED',
        'SEAT_NOT_FOUND',
        'replay',
        'held',
        'SEAT_LIMIT_EXCEEDED',
        'SEAT_UNAVAILABLE',
        'held',
        'IDEMPOTENCY_KEY_REUSED',
        'USER_NOT_FOUND',
        'held',
      ]);
    } finally {
      await c.query('rollback').catch(() => undefined);
      await c.end();
    }
  });

  it('through the lane: one statement, each caller its own answer or refusal, the refused leave nothing', async () => {
    const { scheduleId, s, u4, holds, first, call, statements } = await mixed();
    // A hold kept in flight (its fan's wallet locked here), so that the twelve queue behind it.
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    const sent: string[] = [];
    const watch = (name: string) => void sent.push(name);
    server.services.db.watchers.add(watch);
    let settled: PromiseSettledResult<unknown>[];
    try {
      await blocker.query('begin');
      await blocker.query('select 1 from wallets where user_id = $1 for update', [u4]);
      const pilot = statements.hold(call(u4, [s[16]!]));
      await oneWaitingForALock(db.url, 'booking_hold(', 'pilot hold waiting');
      const answers = holds.map((h) => statements.hold(h));
      await blocker.query('commit');
      await pilot;
      settled = await Promise.allSettled(answers);
    } finally {
      server.services.db.watchers.delete(watch);
      await blocker.end();
    }
    expect(sent).toEqual(['booking_hold', 'booking_hold_many']);
    const outcome = settled.map((r) =>
      r.status === 'rejected'
        ? r.reason instanceof AppError
          ? { code: r.reason.code, details: r.reason.details }
          : { thrown: String(r.reason) }
        : 'replay' in (r.value as object)
          ? { replay: (r.value as { replay: unknown }).replay }
          : {
              held: (r.value as { body: { seats: { id: number }[] } }).body.seats.map((x) => x.id),
            },
    );
    expect(outcome).toEqual([
      { held: [s[2]] },
      { code: 'SEAT_UNAVAILABLE', details: { seatIds: [s[0]] } },
      { code: 'SEAT_LIMIT_EXCEEDED', details: { max: 4, alreadyHeldOrBought: 0 } },
      { code: 'SEAT_NOT_FOUND', details: { seatIds: [999_999] } },
      { replay: (first as { body: unknown }).body },
      { held: [s[8]] },
      { code: 'SEAT_LIMIT_EXCEEDED', details: { max: 4, alreadyHeldOrBought: 2 } },
      { code: 'SEAT_UNAVAILABLE', details: { seatIds: [s[2]] } },
      { held: [s[12], s[13]] },
      { code: 'IDEMPOTENCY_KEY_REUSED', details: undefined },
      { code: 'USER_NOT_FOUND', details: undefined },
      { held: [s[15]] },
    ]);
    // Committed: the two before, the pilot and the four held; nothing of the refused.
    const rows = await sql<{ user_id: number; seats: number[] }>(
      db.url,
      `select r.user_id, array_agg(ri.seat_id order by ri.seat_id) as seats
       from reservations r join reservation_items ri on ri.reservation_id = r.id
       where r.schedule_id = $1 group by r.id order by r.id`,
      [scheduleId],
    );
    expect(rows.map((r) => r.seats)).toEqual([
      [s[0]],
      [s[1]],
      [s[16]],
      [s[2]],
      [s[8]],
      [s[12], s[13]],
      [s[15]],
    ]);
    expect(
      (await sql(db.url, `select key from idempotency_keys order by key`)).map((r) => r.key),
    ).toEqual(expect.arrayContaining(['k-first', 'k-new']));
    expect(await counterMismatches(server)).toEqual([]);
    expect(await doubleBookings(server)).toEqual([]);
  });
});

describe('a batch element that would wait', () => {
  it('runs again alone when its Idempotency-Key is busy: the batch does not wait, the hold does', async () => {
    const { seats: s, users, statements, call } = await threeFansOnTenSeats();
    const [u1, u2, u3] = users;
    // Another transaction holds u2's key (as a duplicate of that request would, still running).
    const sent = await withOtherSession(async (other) => {
      await other.query(`select pg_advisory_xact_lock($1, hashtext('busy-key'))`, [u2]);
      const pilot = statements.hold(call(u1!, s[0]!));
      const keyed = statements.hold(call(u2!, s[1]!, 'busy-key'));
      const plain = statements.hold(call(u3!, s[2]!));
      await pilot;
      // The plain hold of the batch committed without waiting for the busy key.
      expect('body' in (await plain)).toBe(true);
      let keyedDone = false;
      void keyed.then(() => (keyedDone = true));
      await oneWaitingForALock(db.url, 'booking_hold(', 'the keyed hold waiting alone');
      expect(keyedDone).toBe(false);
      await other.query('commit');
      const held = await keyed;
      expect('body' in held && held.body.seats.map((x) => x.id)).toEqual([s[1]]);
    });
    expect(sent).toEqual(['booking_hold', 'booking_hold_many', 'booking_hold_keyed']);
    expect(await counterMismatches(server)).toEqual([]);
  });
});

describe('a batch element chosen as a deadlock victim', () => {
  it('runs again alone: the batch commits its other holds, the victim is held after it', async () => {
    const { seats: s, users, statements, call } = await threeFansOnTenSeats();
    const [u1, u2, u3] = users;
    // Another session holds u3's wallet, and checks for deadlocks after 10 s (the server's
    // backends after 1 s): in the cycle below, the batch's element is the victim.
    const sent = await withOtherSession(async (other) => {
      await other.query(`set local deadlock_timeout = '10s'`);
      await other.query('select 1 from wallets where user_id = $1 for update', [u3]);
      // The pilot is in flight: the next two wait for it and go together.
      const pilot = statements.hold(call(u1!, s[0]!));
      const first = statements.hold(call(u2!, s[1]!));
      const victim = statements.hold(call(u3!, s[2]!));
      await pilot;
      // The batch holds u2's wallet (its first element) and waits for u3's (this session's).
      await oneWaitingForALock(db.url, 'booking_hold_many', 'the batch waiting for the wallet');
      // Now this session waits for the batch: a cycle, which the batch's backend breaks by
      // aborting its element; the batch commits, so this session gets u2's wallet.
      await other.query('select 1 from wallets where user_id = $1 for update', [u2]);
      const held = await first;
      expect('body' in held && held.body.seats.map((x) => x.id)).toEqual([s[1]]);
      await other.query('commit');
      const again = await victim;
      expect('body' in again && again.body.seats.map((x) => x.id)).toEqual([s[2]]);
    });
    expect(sent).toEqual(['booking_hold', 'booking_hold_many', 'booking_hold']);
    expect(await counterMismatches(server)).toEqual([]);
    expect(await doubleBookings(server)).toEqual([]);
  });
});

describe('booking_hold_many on its own (SQL)', () => {
  it('keeps the counters equal to the seats under a random mix of batched and single holds', async () => {
    const { concertId, scheduleId, seatIds } = await schedule(40);
    const users = (await bulkFans(server, 12)).map((f) => f.id);
    const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;
    const element = () => ({
      userId: pick(users),
      concertId,
      scheduleId,
      seatIds: [...new Set([pick(seatIds), pick(seatIds)])].slice(
        0,
        1 + Math.floor(Math.random() * 2),
      ),
      maxSeats: 6,
      // Now and then a hold that lapses at once: a later hold of its seats expires it first.
      holdSeconds: Math.random() < 0.2 ? -1 : 600,
      queueEntryId: null,
      now: new Date(),
      key: Math.random() < 0.3 ? `k-${Math.floor(Math.random() * 6)}` : null,
      hash: pick(['h1', 'h2']),
      waitMs: 200,
    });
    const outcomes: Record<string, number> = {};
    const count = (what: string) => (outcomes[what] = (outcomes[what] ?? 0) + 1);
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        try {
          for (let round = 0; round < 40; round++) {
            try {
              if (Math.random() < 0.5) {
                const batch = Array.from({ length: 2 + Math.floor(Math.random() * 6) }, element);
                const r = await c.query<{ r: { error?: { message: string }; body?: unknown }[] }>(
                  'select booking_hold_many($1::jsonb) as r',
                  [JSON.stringify(batch)],
                );
                for (const a of r.rows[0]!.r)
                  count(
                    a.error ? `batch ${a.error.message}` : a.body ? 'batch held' : 'batch replay',
                  );
              } else {
                const h = element();
                await c.query(
                  `select booking_hold($1, $2, $3, $4, $5, $6, null, now(), null::bigint) as r`,
                  [h.userId, concertId, scheduleId, h.seatIds, h.maxSeats, h.holdSeconds],
                );
                count('single held');
              }
            } catch (err) {
              count(`failed ${(err as Error).message}`);
            }
          }
        } finally {
          await c.end();
        }
      }),
    );
    expect(outcomes['batch held']).toBeGreaterThan(10);
    expect(outcomes['batch SEAT_UNAVAILABLE']).toBeGreaterThan(0);
    expect(await counterMismatches(server)).toEqual([]);
    expect(await doubleBookings(server)).toEqual([]);
    // The seats' versions: distinct per hold, none above the schedule's, none left at -1.
    const [bad] = await sql<{ n: string }>(
      db.url,
      `select count(*) as n from schedule_seats ss join schedules s on s.id = ss.schedule_id
       where ss.schedule_id = $1 and (ss.changed_version < 0 or ss.changed_version > s.seat_version)`,
      [scheduleId],
    );
    expect(Number(bad!.n)).toBe(0);
  });
});

/** Until exactly one statement of this database calling `fn` waits for a lock. */
async function oneWaitingForALock(url: string, fn: string, what: string): Promise<void> {
  await until(
    async () =>
      (
        await sql(
          url,
          `select 1 from pg_stat_activity where datname = current_database()
           and wait_event_type = 'Lock' and query like '%' || $1 || '%'`,
          [fn],
        )
      ).length === 1,
    10_000,
    what,
  );
}

/** A schedule of 10 seats, 3 fans, the server's statements and a hold call for them. */
async function threeFansOnTenSeats() {
  const { concertId, scheduleId, seatIds } = await schedule(10);
  const users = (await bulkFans(server, 3)).map((f) => f.id);
  const statements = new BookingStatements(server.services.db);
  return { seats: seatIds, users, statements, call: holdCall(concertId, scheduleId) };
}

/** A single hold's call for this schedule: one seat, with or without an Idempotency-Key. */
function holdCall(concertId: number, scheduleId: number) {
  return (userId: number, seat: number, key: string | null = null): HoldCall => ({
    userId,
    concertId,
    scheduleId,
    seatIds: [seat],
    maxSeats: 4,
    holdSeconds: 600,
    queueEntryId: 1,
    now: new Date(),
    claim: key === null ? null : { key, hash: 'h', waitMs: 10_000 },
  });
}

/**
 * Runs `body` with another session in an open transaction (rolled back after, unless `body`
 * committed it), and returns the statements the server sent meanwhile.
 */
async function withOtherSession(body: (other: pg.Client) => Promise<void>): Promise<string[]> {
  const other = new pg.Client({ connectionString: db.url });
  await other.connect();
  const sent: string[] = [];
  const watch = (name: string) => void sent.push(name);
  server.services.db.watchers.add(watch);
  try {
    await other.query('begin');
    await body(other);
  } finally {
    server.services.db.watchers.delete(watch);
    await other.query('rollback').catch(() => undefined);
    await other.end();
  }
  return sent;
}
