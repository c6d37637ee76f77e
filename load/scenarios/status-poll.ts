import { performance } from 'node:perf_hooks';
import { cpuMsPerOp, watchCpu } from '../lib/cpu.js';
import type { LoadContext } from '../lib/context.js';
import { errorCode, runPool } from '../lib/pool.js';
import { machineInfo, OpStats, round, summarizeOp, type ScenarioResult } from '../lib/report.js';

export interface StatusPollParams {
  /** `GET /queue/status` requests in all (fans' queue tokens are used round-robin). */
  polls: number;
  /** Requests in flight. */
  concurrency: number;
}

/**
 * `status-poll`: fans already in line poll `GET /queue/status` with their queue tokens as fast as
 * the instances answer (closed loop, round-robin over the instances). Against the bench's
 * baseline servers the same requests hit a bare express route doing one Redis round trip.
 */
export async function statusPollStorm(
  ctx: LoadContext,
  p: StatusPollParams,
  queueTokens: string[],
  scenario = 'status-poll',
): Promise<ScenarioResult> {
  if (queueTokens.length === 0) throw new Error('status-poll needs queue tokens');
  const startedAt = new Date().toISOString();
  const poll = new OpStats();
  const cpu = watchCpu(await ctx.cpuGroups());
  const run = await runPool(
    Array.from({ length: p.polls }, (_, i) => i),
    p.concurrency,
    async (i) => {
      const t0 = performance.now();
      try {
        await ctx.client(i).queueStatus(queueTokens[i % queueTokens.length]!);
        poll.record(performance.now() - t0);
      } catch (err) {
        poll.record(performance.now() - t0, errorCode(err));
      }
    },
  );
  const cpuReport = cpu();
  return {
    scenario,
    startedAt,
    durationSeconds: round(run.seconds, 2),
    params: { ...p, instances: ctx.target.urls.length },
    ops: { poll: summarizeOp(poll, run.seconds) },
    figures: {
      pollsPerSecond: round(poll.ok / run.seconds),
      instanceCpuMsPerPoll: cpuMsPerOp(cpuReport, 'instances', poll.ok),
      cpu: cpuReport,
    },
    machine: machineInfo(),
  };
}
