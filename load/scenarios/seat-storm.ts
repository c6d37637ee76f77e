import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { sumHoldWrites } from '../lib/admin.js';
import { watchCpu } from '../lib/cpu.js';
import type { LoadContext } from '../lib/context.js';
import { errorCode, runPool, until } from '../lib/pool.js';
import { machineInfo, OpStats, round, summarizeOp, type ScenarioResult } from '../lib/report.js';

export interface SeatStormParams {
  /** Admitted fans, each sending one hold request. */
  fans: number;
  /** Seats of the one schedule they race for. */
  seats: number;
  /** Hold requests in flight. */
  concurrency: number;
  joinConcurrency: number;
}

export const seatStormDefaults: SeatStormParams = {
  fans: 10_000,
  seats: 100,
  concurrency: 256,
  joinConcurrency: 256,
};

/**
 * `seat-storm`: N admitted fans race for M seats of one schedule, one hold request each for one
 * seat (every seat wanted by N/M fans, in shuffled order). Expects exactly M holds; counts how
 * many requests reached the database write, twice: the instances' own counter (`GET
 * /admin/stats`, summed) and, with database access, the reservations id sequence (every
 * attempt inserts a reservation row before its conditional UPDATE; a rolled-back insert still
 * consumes an id).
 */
export async function seatStorm(ctx: LoadContext, p: SeatStormParams): Promise<ScenarioResult> {
  const startedAt = new Date().toISOString();
  const { concertId, scheduleIds } = await ctx.admin.concert({
    seats: p.seats,
    // Seats for every fan elsewhere, so the line admits them all (SPEC §2 "Sold-out awareness").
    spareSeats: p.fans,
    title: 'Seat storm',
  });
  const scheduleId = scheduleIds[0]!;
  await ctx.admin.policy(concertId, {
    maxWaiting: p.fans + 10,
    maxActive: p.fans,
    admitPerMinute: 1_000_000,
    activeIdleSeconds: 600,
    activeMaxSeconds: 1_200,
  });
  ctx.log(`seat-storm: ${p.fans} fans join and are admitted`);
  const fans = await ctx.fans(p.fans);
  const join = new OpStats();
  const { joined, seconds: joinSeconds } = await ctx.joinAll(
    concertId,
    fans,
    p.joinConcurrency,
    join,
  );
  const admitted = await until(
    async () => (await ctx.admin.queue(concertId)).active >= join.ok,
    60_000,
    250,
  );
  if (!admitted) throw new Error('seat-storm: fans were not all admitted within 60 s');
  const first = joined.findIndex(Boolean);
  const seatIds = (
    await ctx.client(0, fans[first]!.token).seats(scheduleId, joined[first]!.queueToken)
  ).map((s) => s.id);

  // Request i wants seat i % M; the order is shuffled so no seat's requests arrive together.
  const order = Array.from({ length: fans.length }, (_, i) => i).filter((i) => joined[i]);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const writesBefore = sumHoldWrites(await ctx.stats());
  const seqBefore = await reservationSequence(ctx.target.databaseUrl);
  ctx.log(
    `seat-storm: ${order.length} holds on ${seatIds.length} seats, ${p.concurrency} in flight`,
  );
  const hold = new OpStats();
  // The winners apart: they are the ones that reach PostgreSQL (issue 14: the storm's p99).
  const granted = new OpStats();
  const openedBefore = ctx.fetch.pool.opened;
  const cpu = watchCpu(await ctx.cpuGroups());
  const run = await runPool(order, p.concurrency, async (i) => {
    const t0 = performance.now();
    try {
      await ctx
        .client(i, fans[i]!.token)
        .hold({ scheduleId, seatIds: [seatIds[i % seatIds.length]!] }, joined[i]!.queueToken);
      hold.record(performance.now() - t0);
      granted.record(performance.now() - t0);
    } catch (err) {
      hold.record(performance.now() - t0, errorCode(err));
    }
  });
  const cpuReport = cpu();
  // A connection opened mid-storm waits in a loaded instance's accept queue (http1.ts' Lane).
  const connectionsOpened = ctx.fetch.pool.opened - openedBefore;
  await sleep(200);
  const writes = sumHoldWrites(await ctx.stats()) - writesBefore;
  const seqAfter = await reservationSequence(ctx.target.databaseUrl);
  const check = await holdCheck(ctx.target.databaseUrl, scheduleId);
  return {
    scenario: 'seat-storm',
    startedAt,
    durationSeconds: round(run.seconds, 2),
    params: { ...p, instances: ctx.target.urls.length },
    ops: { join: summarizeOp(join, joinSeconds), hold: summarizeOp(hold, run.seconds) },
    figures: {
      holdsPerSecond: round(hold.count / run.seconds),
      holdsGranted: hold.ok,
      grantedHoldLatencyMs: summarizeOp(granted, run.seconds).latencyMs,
      exactlyOneHoldPerSeat: hold.ok === seatIds.length,
      databaseWriteAttempts: writes,
      databaseWriteAttemptsPerSeat: round(writes / seatIds.length, 2),
      reservationIdsConsumed: seqBefore === null || seqAfter === null ? null : seqAfter - seqBefore,
      connectionsOpenedDuringStorm: connectionsOpened,
      ...(check ?? {}),
      cpu: cpuReport,
    },
    machine: machineInfo(),
  };
}

async function withDb<T>(
  url: string | undefined,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T | null> {
  if (!url) return null;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The reservations id sequence's position (every insert attempt advances it, even rolled back). */
function reservationSequence(url: string | undefined): Promise<number | null> {
  return withDb(url, async (c) => {
    const { rows } = await c.query<{ v: string | null }>(
      `select last_value::text as v from pg_sequences where sequencename = 'reservations_id_seq'`,
    );
    return Number(rows[0]?.v ?? 0);
  });
}

/** What the database says: held seats, live holds, seats in more than one live hold. */
export function holdCheck(url: string | undefined, scheduleId: number) {
  return withDb(url, async (c) => {
    const { rows } = await c.query<{ held: string; reservations: string; doubled: string }>(
      `select (select count(*) from schedule_seats where schedule_id = $1 and status = 'held') as held,
              (select count(*) from reservations where schedule_id = $1 and status = 'held') as reservations,
              (select count(*) from (select ri.schedule_seat_id from reservation_items ri
                 join reservations r on r.id = ri.reservation_id
                 where r.schedule_id = $1 and ri.live group by ri.schedule_seat_id having count(*) > 1) d) as doubled`,
      [scheduleId],
    );
    const r = rows[0]!;
    return {
      dbSeatsHeld: Number(r.held),
      dbLiveHolds: Number(r.reservations),
      dbSeatsInTwoHolds: Number(r.doubled),
    };
  });
}
