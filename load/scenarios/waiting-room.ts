import { setTimeout as sleep } from 'node:timers/promises';
import type { JoinResult } from '@lineup/client-sdk';
import { watchCpu, type CpuReport } from '../lib/cpu.js';
import type { ExactnessCounts } from '../lib/exactness.js';
import type { LoadContext } from '../lib/context.js';
import type { InstanceStats } from '../lib/admin.js';
import { SocketPool, SOCKETS_PER_WORKER } from '../lib/socket-pool.js';
import type { SocketItem } from '../lib/socket-worker.js';
import {
  machineInfo,
  OpStats,
  round,
  summarizeOp,
  type OpSummary,
  type ScenarioResult,
} from '../lib/report.js';

export interface WaitingRoomParams {
  /** Fans holding a socket while they wait (the last step when `steps` is given). */
  sockets: number;
  /** Comma-separated socket counts to measure at, growing (e.g. `1000,10000,20000`); default: `sockets`. */
  steps: string;
  /** How long the queue admits at each step while the runner watches, seconds. */
  observeSeconds: number;
  /** `lite`: Engine.IO/Socket.IO framing on `ws` (tens of thousands); `sdk`: QueueConnection. */
  client: 'lite' | 'sdk';
  /** Admission policy while observed (fans leave as soon as they are admitted, freeing slots). */
  maxActive: number;
  admitPerMinute: number;
  /** Handshakes in flight per worker process. */
  connectConcurrency: number;
  joinConcurrency: number;
  socketsPerWorker: number;
}

export const waitingRoomDefaults: WaitingRoomParams = {
  sockets: 10_000,
  steps: '',
  observeSeconds: 15,
  client: 'lite',
  maxActive: 100,
  admitPerMinute: 3_000,
  connectConcurrency: 200,
  joinConcurrency: 256,
  socketsPerWorker: SOCKETS_PER_WORKER,
};

const IDLE_SECONDS = 300;
const MiB = 2 ** 20;

/** One measured size. */
export interface WaitingRoomStep {
  /** Sockets opened so far (all steps). */
  socketsOpened: number;
  /** Sockets of waiting fans when the window opened (opened minus admitted or dropped). */
  waitingSockets: number;
  connect: OpSummary;
  connectFailed: number;
  connectErrors: Record<string, number>;
  statusInterval: OpSummary;
  admissionNotice: OpSummary;
  statusFramesPerSecond: number;
  /** queue:progress frames received per second (all sockets). */
  progressFramesPerSecond: number;
  /** Frames (queue:progress + queue:status) per waiting fan per second. */
  pushesPerFanPerSecond: number;
  /** queue:sync requests the sockets made (gaps, fans computed at the head). */
  syncs: number;
  /** Times a fan's computed position went up (SPEC §3.4: must be 0). */
  positionIncreases: number;
  /**
   * Sampled GET /queue/status polls compared with the position the runner computed from frames
   * for the same tick (`Queue-Tick` header): violations must be 0.
   */
  exactness: ExactnessCounts;
  pushIntervalP50Ms: number;
  pushIntervalP99Ms: number;
  pushIntervalMaxMs: number;
  /** Waiting fans that went more than 2 s without a queue:status in the window. */
  fansSilentOver2s: number;
  worstSilenceMs: number;
  admitted: number;
  admissionNoticeP50Ms: number;
  admissionNoticeP99Ms: number;
  droppedSockets: number;
  leaveErrors: number;
  memory: {
    /** Sum over instances of (RSS now - RSS before any socket), per 1,000 open sockets. */
    rssPer1000SocketsMiB: number;
    /** The same for JS heap + external after a full GC (exact when instances expose gc). */
    heapPer1000SocketsMiB: number;
    /** Each instance's RSS, and JS heap + external (after GC when exposed), at this step. */
    rssMiB: number[];
    heapMiB: number[];
  };
  cpuConnect: CpuReport;
  cpu: CpuReport;
  socketWorkerCpuSeconds: number;
}

/**
 * Every instance's memory. Instances started with --expose-gc collect garbage first, so one
 * reading is exact; otherwise the median of a few readings a second apart (GC makes one noisy).
 * `heap` is the JS heap plus memory outside it held by JS objects (Buffers: `external`).
 */
async function memory(
  ctx: LoadContext,
  samples: number,
): Promise<{ rss: number[]; heap: number[] }> {
  const reads: InstanceStats[][] = [await ctx.stats(true)];
  const exact = reads[0]!.every((s) => s.afterGc);
  for (let i = 1; i < (exact ? 1 : samples); i++) {
    await sleep(1_000);
    reads.push(await ctx.stats());
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const n = reads[0]!.length;
  return {
    rss: Array.from({ length: n }, (_, k) => median(reads.map((r) => r[k]!.memory.rss))),
    heap: Array.from({ length: n }, (_, k) =>
      median(reads.map((r) => r[k]!.memory.heapUsed + r[k]!.memory.external)),
    ),
  };
}

/**
 * `waiting-room`: fans join (line paused) and hold a socket each, in growing steps. At each
 * step: server memory is read, then the line admits at the given pace for `observeSeconds`
 * while every socket records the interval between its queue:status pushes and, when admitted,
 * the latency of queue:admitted after the admitting tick (the tick's Redis time `admittedAt`;
 * without it, activeUntil - activeIdleSeconds). Admitted fans leave at once, so admissions go on.
 * `joined` lets the bench reuse the join storm's line instead of joining again.
 */
export async function waitingRoom(
  ctx: LoadContext,
  p: WaitingRoomParams,
  line?: { concertId: number; joined: (JoinResult | undefined)[] },
): Promise<ScenarioResult> {
  const startedAt = new Date().toISOString();
  const steps = (p.steps ? p.steps.split(',').map((s) => Number(s.trim())) : [p.sockets])
    .filter((n) => n > 0)
    .sort((a, b) => a - b);
  const max = steps[steps.length - 1]!;
  const join = new OpStats();
  let joinSeconds = 0;
  let concertId: number;
  let joined: (JoinResult | undefined)[];
  if (line) {
    ({ concertId, joined } = line);
    await ctx.admin.policy(concertId, {
      paused: true,
      activeIdleSeconds: IDLE_SECONDS,
      activeMaxSeconds: IDLE_SECONDS * 4,
    });
  } else {
    // More seats than maxActive: seats never bound admissions here (SPEC §2 "Sold-out awareness").
    ({ concertId } = await ctx.admin.concert({ seats: 500, title: 'Waiting room' }));
    await ctx.admin.policy(concertId, {
      maxWaiting: max + 10,
      paused: true,
      activeIdleSeconds: IDLE_SECONDS,
      activeMaxSeconds: IDLE_SECONDS * 4,
    });
    ctx.log(`waiting-room: ${max} fans join`);
    const fans = await ctx.fans(max);
    ({ joined, seconds: joinSeconds } = await ctx.joinAll(
      concertId,
      fans,
      p.joinConcurrency,
      join,
    ));
  }
  const sources = ctx.target.sources;
  const items: SocketItem[] = [];
  joined.forEach((j, i) => {
    if (j && items.length < max)
      items.push({ url: ctx.url(i), token: j.queueToken, localAddress: sources?.next() });
  });

  const samples = p.observeSeconds < 5 ? 1 : 3;
  const base = await memory(ctx, samples);
  const workers = SocketPool.workersFor(items.length, p.socketsPerWorker);
  const pool = new SocketPool(workers);
  const results: WaitingRoomStep[] = [];
  let opened = 0;
  let gone = 0;
  try {
    for (const step of steps) {
      const batch = items.slice(opened, Math.min(step, items.length));
      ctx.log(
        `waiting-room: opening ${batch.length} more sockets (${p.client}) -> ${opened + batch.length}`,
      );
      const connectCpu = watchCpu(await ctx.cpuGroups({ socketWorkers: () => pool.pids }));
      let lastLog = Date.now();
      const conn = await pool.connect(batch, {
        mode: p.client,
        concurrency: p.connectConcurrency,
        idleMs: IDLE_SECONDS * 1000,
        leaveOnAdmit: true,
        onProgress: (c, f) => {
          if (Date.now() - lastLog > 10_000) {
            lastLog = Date.now();
            ctx.log(`  ${c} connected, ${f} failed`);
          }
        },
      });
      const cpuConnect = connectCpu();
      opened += batch.length;
      gone += conn.failed;
      const mem = await memory(ctx, samples);
      const open = opened - gone;
      const rssDelta = mem.rss.reduce((a, b, k) => a + b - base.rss[k]!, 0);
      const heapDelta = mem.heap.reduce((a, b, k) => a + b - base.heap[k]!, 0);

      ctx.log(`waiting-room: ${open} sockets; admitting for ${p.observeSeconds} s`);
      await pool.observe();
      const cpuWatch = watchCpu(await ctx.cpuGroups({ socketWorkers: () => pool.pids }));
      await ctx.admin.policy(concertId, {
        paused: false,
        maxActive: p.maxActive,
        admitPerMinute: p.admitPerMinute,
      });
      await sleep(p.observeSeconds * 1000);
      const w = await pool.report();
      const cpu = cpuWatch();
      await ctx.admin.policy(concertId, { paused: true });
      gone += w.admitted + w.droppedSockets + w.ended;

      const connectOp = new OpStats();
      connectOp.latency.merge(conn.connectLatency);
      connectOp.ok = conn.connected;
      const window = (h: typeof w.pushGap, perSecond: number): OpSummary => ({
        count: h.count,
        ok: h.count,
        throughput: round(perSecond),
        latencyMs: h.summary(),
        errors: {},
      });
      results.push({
        socketsOpened: opened,
        waitingSockets: w.waitingAtStart,
        connect: {
          ...summarizeOp(connectOp, conn.seconds),
          count: batch.length,
          errors: conn.errors,
        },
        connectFailed: conn.failed,
        connectErrors: conn.errors,
        statusInterval: window(w.pushGap, (w.statusFrames + w.progressFrames) / p.observeSeconds),
        admissionNotice: window(w.admissionNotice, w.admitted / p.observeSeconds),
        statusFramesPerSecond: round(w.statusFrames / p.observeSeconds),
        progressFramesPerSecond: round(w.progressFrames / p.observeSeconds),
        pushesPerFanPerSecond: round(
          (w.statusFrames + w.progressFrames) / p.observeSeconds / Math.max(1, w.waitingAtStart),
          2,
        ),
        syncs: w.syncs,
        positionIncreases: w.positionIncreases,
        exactness: w.exactness,
        pushIntervalP50Ms: round(w.pushGap.percentile(50)),
        pushIntervalP99Ms: round(w.pushGap.percentile(99)),
        pushIntervalMaxMs: round(w.pushGap.max),
        fansSilentOver2s: w.fansOverTwoSeconds,
        worstSilenceMs: round(w.worstSilenceMs),
        admitted: w.admitted,
        admissionNoticeP50Ms: round(w.admissionNotice.percentile(50)),
        admissionNoticeP99Ms: round(w.admissionNotice.percentile(99)),
        droppedSockets: w.droppedSockets,
        leaveErrors: w.leaveErrors,
        memory: {
          rssPer1000SocketsMiB: round(((rssDelta / Math.max(1, open)) * 1000) / MiB, 2),
          heapPer1000SocketsMiB: round(((heapDelta / Math.max(1, open)) * 1000) / MiB, 2),
          rssMiB: mem.rss.map((b) => round(b / MiB)),
          heapMiB: mem.heap.map((b) => round(b / MiB)),
        },
        cpuConnect,
        cpu,
        socketWorkerCpuSeconds: round(w.workerCpuSeconds, 1),
      });
    }
  } finally {
    await pool.close().catch(() => pool.kill());
  }

  const last = results[results.length - 1]!;
  const ops: Record<string, OpSummary> = {};
  if (join.count > 0) ops.join = summarizeOp(join, joinSeconds);
  for (const r of results) {
    ops[`connect @${r.socketsOpened}`] = r.connect;
    ops[`status interval @${r.waitingSockets}`] = r.statusInterval;
    ops[`admission notice @${r.waitingSockets}`] = r.admissionNotice;
  }
  return {
    scenario: 'waiting-room',
    startedAt,
    durationSeconds: round((Date.now() - Date.parse(startedAt)) / 1000),
    params: { ...p, steps: steps.join(','), instances: ctx.target.urls.length, workers },
    ops,
    figures: {
      baseRssMiB: base.rss.map((b) => round(b / MiB)),
      steps: results,
      largest: {
        waitingSockets: last.waitingSockets,
        fansSilentOver2s: last.fansSilentOver2s,
        pushIntervalP99Ms: last.pushIntervalP99Ms,
        pushIntervalMaxMs: last.pushIntervalMaxMs,
        admissionNoticeP99Ms: last.admissionNoticeP99Ms,
        rssPer1000SocketsMiB: last.memory.rssPer1000SocketsMiB,
        heapPer1000SocketsMiB: last.memory.heapPer1000SocketsMiB,
        pushesPerFanPerSecond: last.pushesPerFanPerSecond,
        positionIncreases: results.reduce((a, r) => a + r.positionIncreases, 0),
        exactnessChecks: results.reduce((a, r) => a + r.exactness.checks, 0),
        exactnessViolations: results.reduce((a, r) => a + r.exactness.violations, 0),
        syncs: results.reduce((a, r) => a + r.syncs, 0),
        connectFailed: results.reduce((a, r) => a + r.connectFailed, 0),
        cpu: last.cpu,
      },
    },
    tables: {
      'per step': {
        header: [
          'sockets',
          'waiting',
          'connect/s',
          'failed',
          'status/s',
          'frames/s',
          'per fan/s',
          'syncs',
          'pos. up',
          'polls =/checked',
          'gap p50',
          'gap p99',
          'gap max',
          'silent>2s',
          'admit p50',
          'admit p99',
          'heap/1k',
          'RSS/1k',
          'inst CPU%',
        ],
        rows: results.map((r) => [
          r.socketsOpened,
          r.waitingSockets,
          r.connect.throughput,
          r.connectFailed,
          r.statusFramesPerSecond,
          r.progressFramesPerSecond,
          r.pushesPerFanPerSecond,
          r.syncs,
          r.positionIncreases,
          `${r.exactness.checks - r.exactness.violations}/${r.exactness.checks}`,
          r.pushIntervalP50Ms,
          r.pushIntervalP99Ms,
          r.pushIntervalMaxMs,
          r.fansSilentOver2s,
          r.admissionNoticeP50Ms,
          r.admissionNoticeP99Ms,
          r.memory.heapPer1000SocketsMiB,
          r.memory.rssPer1000SocketsMiB,
          r.cpu.percentOfCore.instances ?? '-',
        ]),
      },
    },
    machine: machineInfo(),
  };
}
