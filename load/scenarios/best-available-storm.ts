import { performance } from 'node:perf_hooks';
import { candidateBlocks } from '../../src/modules/booking/best-available.logic.js';
import type { LoadContext } from '../lib/context.js';
import { errorCode, runPool, until } from '../lib/pool.js';
import { machineInfo, OpStats, round, summarizeOp, type ScenarioResult } from '../lib/report.js';
import { holdCheck } from './seat-storm.js';

export interface BestAvailableStormParams {
  /** Admitted fans, each sending one request for `count` seats. */
  fans: number;
  /** Seats of the schedule they race for (the fixture venue: rows of seats). */
  seats: number;
  count: number;
  concurrency: number;
  joinConcurrency: number;
}

export const bestAvailableStormDefaults: BestAvailableStormParams = {
  fans: 2_000,
  seats: 200,
  count: 2,
  concurrency: 256,
  joinConcurrency: 256,
};

/**
 * `best-available-storm` (issue 16): the same crowd asks for `count` seats twice, on two
 * schedules of equal size: once naming seats, as fans do who all look at the same seat map (each
 * names one of the 8 best adjacent blocks of that map, the best ones as often as the server's own
 * picker chooses them), once asking for "the best `count`" and letting the server pick. Reports
 * holds granted per request for each: a storm that piles onto the same blocks wastes requests.
 */
export async function bestAvailableStorm(
  ctx: LoadContext,
  p: BestAvailableStormParams,
): Promise<ScenarioResult> {
  const startedAt = new Date().toISOString();
  const { concertId, scheduleIds } = await ctx.admin.concert({
    seats: p.seats,
    schedules: 2,
    // Seats for every fan elsewhere, so the line admits them all (SPEC §2 "Sold-out awareness").
    spareSeats: p.fans,
    title: 'Best-available storm',
  });
  if (scheduleIds.length < 2) throw new Error('best-available-storm: needs two schedules');
  await ctx.admin.policy(concertId, {
    maxWaiting: p.fans + 10,
    maxActive: p.fans,
    admitPerMinute: 1_000_000,
    activeIdleSeconds: 600,
    activeMaxSeconds: 1_200,
  });
  ctx.log(`best-available-storm: ${p.fans} fans join and are admitted`);
  const fans = await ctx.fans(p.fans);
  const join = new OpStats();
  const { joined } = await ctx.joinAll(concertId, fans, p.joinConcurrency, join);
  const admitted = await until(
    async () => (await ctx.admin.queue(concertId)).active >= join.ok,
    60_000,
    250,
  );
  if (!admitted) throw new Error('best-available-storm: fans were not all admitted within 60 s');
  const order = Array.from({ length: fans.length }, (_, i) => i).filter((i) => joined[i]);
  const first = order[0]!;

  const storm = async (scheduleId: number, body: (i: number) => object) => {
    const hold = new OpStats();
    const run = await runPool(order, p.concurrency, async (i) => {
      const t0 = performance.now();
      try {
        await ctx
          .client(i, fans[i]!.token)
          .hold(body(i) as { scheduleId: number; count: number }, joined[i]!.queueToken);
        hold.record(performance.now() - t0);
      } catch (err) {
        hold.record(performance.now() - t0, errorCode(err));
      }
    });
    const check = await holdCheck(ctx.target.databaseUrl, scheduleId);
    return { hold, seconds: run.seconds, check };
  };

  // Named seats: the blocks the seat map shows as best before the storm, the same for everyone.
  const named = scheduleIds[0]!;
  const map = await ctx.client(first, fans[first]!.token).seats(named, joined[first]!.queueToken);
  const best = candidateBlocks(map, p.count).slice(0, 8);
  const weights = best.map((_, rank) => best.length - rank);
  const total = weights.reduce((a, b) => a + b, 0);
  const choose = (): number[] => {
    let r = Math.floor(Math.random() * total);
    for (const [k, w] of weights.entries()) {
      if (r < w) return best[k]!.seatIds;
      r -= w;
    }
    return best[0]!.seatIds;
  };
  ctx.log(`best-available-storm: ${order.length} named-seat requests for ${p.count} seats`);
  const byName = await storm(named, () => ({ scheduleId: named, seatIds: choose() }));
  const picked = scheduleIds[1]!;
  ctx.log(`best-available-storm: ${order.length} best-available requests for ${p.count} seats`);
  const byBest = await storm(picked, () => ({ scheduleId: picked, count: p.count }));

  const figures = (s: Awaited<ReturnType<typeof storm>>) => ({
    requests: s.hold.count,
    holdsGranted: s.hold.ok,
    holdsGrantedPer1000Requests: round((1000 * s.hold.ok) / Math.max(1, s.hold.count), 1),
    seatsHeld: s.check?.dbSeatsHeld ?? null,
    seatsInTwoHolds: s.check?.dbSeatsInTwoHolds ?? null,
    seconds: round(s.seconds, 2),
  });
  return {
    scenario: 'best-available-storm',
    startedAt,
    durationSeconds: round(byName.seconds + byBest.seconds, 2),
    params: { ...p, instances: ctx.target.urls.length },
    ops: {
      namedHold: summarizeOp(byName.hold, byName.seconds),
      bestAvailableHold: summarizeOp(byBest.hold, byBest.seconds),
    },
    figures: { named: figures(byName), bestAvailable: figures(byBest) },
    machine: machineInfo(),
  };
}
