import { cpuMsPerOp, watchCpu } from '../lib/cpu.js';
import type { LoadContext } from '../lib/context.js';
import type { JoinResult } from '@lineup/client-sdk';
import type { Fan } from '../lib/fans.js';
import { machineInfo, OpStats, round, summarizeOp, type ScenarioResult } from '../lib/report.js';

export interface JoinStormParams {
  /** Fans joining one concert, each once. */
  fans: number;
  /** Requests in flight. */
  concurrency: number;
  /** Joins sent first and not measured (JIT, connection set-up). */
  warmup: number;
}

export const joinStormDefaults: JoinStormParams = { fans: 10_000, concurrency: 256, warmup: 1_000 };

/**
 * `join-storm`: N fans join one concert as fast as the instances answer (`POST
 * /concerts/:id/queue`, closed loop, round-robin over the instances). Checks afterwards that
 * the line holds exactly the fans who got a 201.
 */
export async function joinStorm(ctx: LoadContext, p: JoinStormParams): Promise<ScenarioResult> {
  return (await joinStormLine(ctx, p)).result;
}

/** The storm, also returning the line it built (the bench's waiting room reuses it). */
export async function joinStormLine(
  ctx: LoadContext,
  p: JoinStormParams,
  given?: Fan[],
): Promise<{ result: ScenarioResult; concertId: number; joined: (JoinResult | undefined)[] }> {
  const startedAt = new Date().toISOString();
  // The waiting room reuses this line: more seats than its maxActive, so seats never bound its
  // admissions (a line admits no more fans than seats: SPEC §2 "Sold-out awareness").
  const { concertId } = await ctx.admin.concert({ seats: 500, title: 'Join storm' });
  await ctx.admin.policy(concertId, { maxWaiting: p.fans + p.warmup + 10, paused: true });
  if (!given) ctx.log(`join-storm: creating ${p.fans + p.warmup} fans`);
  const fans = given ?? (await ctx.fans(p.fans + p.warmup));

  if (p.warmup > 0) {
    const warm = await ctx.admin.concert({ seats: 50, title: 'Join storm warm-up' });
    await ctx.admin.policy(warm.concertId, { maxWaiting: p.warmup + 10, paused: true });
    await ctx.joinAll(warm.concertId, fans.slice(p.fans), p.concurrency, new OpStats());
  }

  ctx.log(`join-storm: ${p.fans} joins, ${p.concurrency} in flight`);
  const join = new OpStats();
  const cpu = watchCpu(await ctx.cpuGroups());
  const { joined, seconds } = await ctx.joinAll(
    concertId,
    fans.slice(0, p.fans),
    p.concurrency,
    join,
  );
  const cpuReport = cpu();
  const created = joined.filter((j) => j?.created).length;
  const line = await ctx.admin.queue(concertId);
  const result: ScenarioResult = {
    scenario: 'join-storm',
    startedAt,
    durationSeconds: round(seconds, 2),
    params: { ...p, instances: ctx.target.urls.length },
    ops: { join: summarizeOp(join, seconds) },
    figures: {
      joinsPerSecond: round(join.ok / seconds),
      created,
      lineLength: line.waiting + line.prequeue,
      lineMatchesCreated: line.waiting + line.prequeue === created,
      instanceCpuMsPerJoin: cpuMsPerOp(cpuReport, 'instances', join.ok),
      cpu: cpuReport,
    },
    machine: machineInfo(),
  };
  return { result, concertId, joined };
}

/**
 * The same storm against the bare express + one Redis round trip baseline (load/bench/
 * baseline-server.ts): same client, same fans' tokens, same concurrency, same warm-up.
 */
export async function joinStormBaseline(
  ctx: LoadContext,
  p: JoinStormParams,
  fans: Fan[],
): Promise<ScenarioResult> {
  const startedAt = new Date().toISOString();
  if (p.warmup > 0) await ctx.joinAll(2, fans.slice(0, p.warmup), p.concurrency, new OpStats());
  const join = new OpStats();
  const cpu = watchCpu(await ctx.cpuGroups());
  const { seconds } = await ctx.joinAll(1, fans.slice(0, p.fans), p.concurrency, join);
  const cpuReport = cpu();
  return {
    scenario: 'join-baseline',
    startedAt,
    durationSeconds: round(seconds, 2),
    params: { ...p, instances: ctx.target.urls.length },
    ops: { join: summarizeOp(join, seconds) },
    figures: {
      joinsPerSecond: round(join.ok / seconds),
      instanceCpuMsPerJoin: cpuMsPerOp(cpuReport, 'instances', join.ok),
      cpu: cpuReport,
    },
    machine: machineInfo(),
  };
}
