import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JoinResult, LineupClient, Reservation } from '@lineup/client-sdk';
import { watchCpu, type CpuGroups } from '../lib/cpu.js';
import type { LoadContext } from '../lib/context.js';
import { LiteQueueSocket } from '../lib/lite-socket.js';
import { runPool, until } from '../lib/pool.js';
import { machineInfo, OpStats, round, summarizeOp, type ScenarioResult } from '../lib/report.js';
import { backendsOf } from './booking-mix.js';

export interface BookingStepsParams {
  /** Fans who each buy once, step by step together. */
  fans: number;
  /** Requests in flight during a step. */
  concurrency: number;
  seatsPerSchedule: number;
  /** Seconds of idle measured before each step (subtracted: ticks and chores run regardless). */
  idleSeconds: number;
}

export const bookingStepsDefaults: BookingStepsParams = {
  fans: 1_000,
  concurrency: 64,
  seatsPerSchedule: 200,
  idleSeconds: 2,
};

const STEPS = [
  'join',
  'socket connect',
  'admission',
  'schedules',
  'seat map',
  'hold',
  'pay',
] as const;
type Step = (typeof STEPS)[number];
/** How long a step's CPU is still read after its last answer (its tail; idle subtracted). */
const SETTLE_MS = 500;
const GROUPS = ['instances', 'postgres (bench db)', 'redis'] as const;

/**
 * `booking-steps`: where a paid reservation's CPU goes, step by step. The booking mix runs every
 * step at once, so its CPU per paid reservation is one number; here all fans take one step
 * together (join, open the socket, get admitted, list schedules, read a seat map, hold, pay)
 * while the instances', PostgreSQL's (bench database) and Redis's CPU is read, less what the same
 * processes burn idle over as long (ticks, chores). Fans hold seats no one else wants (1 or 2,
 * each its own), so refusals and retries, the storm's business, are not in it.
 */
export async function bookingSteps(
  ctx: LoadContext,
  p: BookingStepsParams,
): Promise<ScenarioResult> {
  const startedAt = new Date().toISOString();
  const seatsPerFan = (i: number) => 1 + (i % 2);
  const schedulesNeeded = Math.max(
    1,
    Math.ceil((p.fans * 1.5 + p.fans * 0.5) / (p.seatsPerSchedule * 0.8)),
  );
  const { concertId, scheduleIds } = await ctx.admin.concert({
    seats: p.seatsPerSchedule,
    schedules: schedulesNeeded,
    title: 'Booking steps',
  });
  await ctx.admin.policy(concertId, {
    maxWaiting: p.fans + 10,
    maxActive: p.fans + 10,
    admitPerMinute: 1_000_000,
    paused: true,
  });
  const fans = await ctx.fans(p.fans, 1_000_000);
  const clients: LineupClient[] = fans.map((f, i) => ctx.client(i, f.token));
  const joined: JoinResult[] = new Array<JoinResult>(p.fans);
  const sockets: LiteQueueSocket[] = [];
  const admitted = new Set<number>();
  const seatIds: number[][] = new Array<number[]>(p.fans);
  const holds: Reservation[] = new Array<Reservation>(p.fans);
  const scheduleOf = (i: number) => scheduleIds[i % scheduleIds.length]!;
  const ops = Object.fromEntries(STEPS.map((s) => [s, new OpStats()])) as Record<Step, OpStats>;

  let backends = await backendsOf(ctx.target.databaseUrl);
  const groups: CpuGroups = await ctx.cpuGroups({ 'postgres (bench db)': () => backends });
  const perStep: Record<string, Record<string, number | null>> = {};

  const timedPool = async (step: Step, work: (i: number) => Promise<void>) => {
    await runPool(
      fans.map((_, i) => i),
      p.concurrency,
      async (i) => {
        const t0 = performance.now();
        try {
          await work(i);
          ops[step].record(performance.now() - t0);
        } catch (err) {
          ops[step].record(performance.now() - t0, (err as { code?: string }).code ?? 'ERROR');
          throw err;
        }
      },
    );
  };

  const measure = async (step: Step, work: () => Promise<void>) => {
    const idleWatch = watchCpu(groups);
    await sleep(p.idleSeconds * 1000);
    const idle = idleWatch();
    const busyWatch = watchCpu(groups);
    const t0 = performance.now();
    await work();
    // The step's work goes on after its last answer (what a commit announces, sockets closing,
    // garbage): counted here, not in the next step's idle, which is subtracted from that step.
    await sleep(SETTLE_MS);
    backends = [...new Set([...backends, ...(await backendsOf(ctx.target.databaseUrl))])];
    const busy = busyWatch();
    // The report's seconds are rounded to 0.1 s: a step of 0.45 s would lose a tenth of its CPU.
    const seconds = (performance.now() - t0) / 1000;
    const row: Record<string, number | null> = { seconds: busy.seconds };
    for (const g of GROUPS) {
      const b = busy.percentOfCore[g];
      const i = idle.percentOfCore[g];
      row[g] =
        b === undefined || i === undefined
          ? null
          : round((((b - i) / 100) * seconds * 1000) / p.fans, 3);
    }
    row.loadRunner = round(((busy.loadRunner / 100) * seconds * 1000) / p.fans, 3);
    perStep[step] = row;
    ctx.log(`booking-steps: ${step}: ${JSON.stringify(row)}`);
  };

  await measure('join', () =>
    timedPool('join', async (i) => {
      joined[i] = await clients[i]!.joinQueue(concertId);
    }),
  );
  await measure('socket connect', () =>
    timedPool('socket connect', async (i) => {
      const socket = new LiteQueueSocket(
        {
          baseUrl: ctx.url(i),
          token: joined[i]!.queueToken,
          localAddress: ctx.target.sources?.next(),
        },
        {
          admitted: () => {
            admitted.add(i);
            socket.close();
          },
          status: (_at, s) => {
            if (s.status === 'active' && !admitted.has(i)) {
              admitted.add(i);
              socket.close();
            }
          },
        },
      );
      sockets.push(socket);
      await socket.connect();
    }),
  );
  await measure('admission', async () => {
    const t0 = performance.now();
    await ctx.admin.policy(concertId, { paused: false });
    const all = await until(() => admitted.size >= p.fans, 120_000, 20);
    ops.admission.record(performance.now() - t0, all ? undefined : 'NOT_ALL_ADMITTED');
    for (const s of sockets) s.close();
  });
  await measure('schedules', () =>
    timedPool('schedules', async (i) => {
      await clients[i]!.schedules(concertId, joined[i]!.queueToken);
    }),
  );
  // Each fan takes its own seats of its schedule: fan i is the k-th fan of its schedule.
  const nextSeat = new Map<number, number>();
  await measure('seat map', () =>
    timedPool('seat map', async (i) => {
      const map = await clients[i]!.seats(scheduleOf(i), joined[i]!.queueToken);
      const k = nextSeat.get(scheduleOf(i)) ?? 0;
      nextSeat.set(scheduleOf(i), k + seatsPerFan(i));
      seatIds[i] = map.slice(k, k + seatsPerFan(i)).map((s) => s.id);
    }),
  );
  await measure('hold', () =>
    timedPool('hold', async (i) => {
      holds[i] = await clients[i]!.hold(
        { scheduleId: scheduleOf(i), seatIds: seatIds[i]! },
        joined[i]!.queueToken,
        { idempotencyKey: randomUUID() },
      );
    }),
  );
  await measure('pay', () =>
    timedPool('pay', async (i) => {
      await clients[i]!.pay(holds[i]!.id, { idempotencyKey: randomUUID() });
    }),
  );

  const total: Record<string, number> = {};
  for (const g of [...GROUPS, 'loadRunner'])
    total[g] = round(
      STEPS.reduce((n, s) => n + (perStep[s]?.[g] ?? 0), 0),
      3,
    );
  const rows = STEPS.map((s) => [
    s,
    ...GROUPS.map((g) => perStep[s]?.[g] ?? '-'),
    perStep[s]?.loadRunner ?? '-',
  ]);
  rows.push(['per paid reservation', ...GROUPS.map((g) => total[g]!), total.loadRunner!]);
  const seconds = STEPS.reduce((n, s) => n + (perStep[s]?.seconds ?? 0), 0);
  return {
    scenario: 'booking-steps',
    startedAt,
    durationSeconds: round(seconds, 2),
    params: { ...p, schedules: schedulesNeeded, instances: ctx.target.urls.length },
    ops: Object.fromEntries(STEPS.map((s) => [s, summarizeOp(ops[s], perStep[s]?.seconds ?? 1)])),
    figures: { cpuMsPerFan: perStep, cpuMsPerPaid: total },
    tables: {
      'CPU ms per fan, by step (idle subtracted)': {
        header: ['step', 'instances', 'PostgreSQL (bench db)', 'Redis', 'load runner'],
        rows,
      },
    },
    machine: machineInfo(),
  };
}
