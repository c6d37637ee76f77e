import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { performance } from 'node:perf_hooks';
import { isLineupError, type LineupClient } from '@lineup/client-sdk';
import { watchCpu } from '../lib/cpu.js';
import type { LoadContext } from '../lib/context.js';
import { LiteQueueSocket } from '../lib/lite-socket.js';
import { errorCode, runPool } from '../lib/pool.js';
import { machineInfo, OpStats, round, summarizeOp, type ScenarioResult } from '../lib/report.js';

export interface BookingMixParams {
  /** Fans who go through the whole flow (each once). */
  fans: number;
  /** Fans in the flow at once (closed loop). */
  concurrency: number;
  schedules: number;
  seatsPerSchedule: number;
  /** Admission policy during the run. */
  maxActive: number;
  admitPerMinute: number;
  /** No fan starts after this many seconds. */
  maxSeconds: number;
  /** Seats per hold: 1..this, at random. */
  maxSeatsPerHold: number;
}

export const bookingMixDefaults: BookingMixParams = {
  fans: 5_000,
  concurrency: 600,
  schedules: 50,
  seatsPerSchedule: 200,
  maxActive: 1_000,
  admitPerMinute: 120_000,
  maxSeconds: 120,
  maxSeatsPerHold: 2,
};

const ADMISSION_TIMEOUT_MS = 60_000;
const HOLD_ATTEMPTS = 3;
const POINTS = 1_000_000;

/**
 * `booking-mix`: every fan goes join -> admitted -> browse (schedules, then the available seats
 * of one) -> hold 1..2 seats (another pick on SEAT_UNAVAILABLE, up to 3 tries) -> pay, end to
 * end, with `concurrency` fans in the flow at once. A fan not admitted by the join answer waits
 * on a socket for queue:admitted. Paying ends the admission, so the next fan gets the slot.
 */
export async function bookingMix(ctx: LoadContext, p: BookingMixParams): Promise<ScenarioResult> {
  const startedAt = new Date().toISOString();
  const { concertId } = await ctx.admin.concert({
    seats: p.seatsPerSchedule,
    schedules: p.schedules,
    title: 'Booking mix',
  });
  await ctx.admin.policy(concertId, {
    maxWaiting: p.fans + 10,
    maxActive: p.maxActive,
    admitPerMinute: p.admitPerMinute,
  });
  ctx.log(`booking-mix: creating ${p.fans} fans with ${POINTS.toLocaleString()} points each`);
  const fans = await ctx.fans(p.fans, POINTS);
  const ops = {
    join: new OpStats(),
    'wait admission': new OpStats(),
    schedules: new OpStats(),
    seats: new OpStats(),
    hold: new OpStats(),
    pay: new OpStats(),
    'end to end': new OpStats(),
  };
  const paidAt: number[] = [];
  let seatsSold = 0;
  let gaveUp = 0;
  const sources = ctx.target.sources;

  const timed = async <T>(op: OpStats, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      const out = await work();
      op.record(performance.now() - t0);
      return out;
    } catch (err) {
      op.record(performance.now() - t0, errorCode(err));
      throw err;
    }
  };

  const flow = async (client: LineupClient, i: number): Promise<void> => {
    const joined = await timed(ops.join, () => client.joinQueue(concertId));
    const qt = joined.queueToken;
    try {
      await book(client, i, qt, joined.status === 'active');
    } catch (err) {
      // Give the admission back (a stuck fan would hold a slot until it idles out).
      await client.leaveQueue(qt).catch(() => undefined);
      throw err;
    }
  };

  const book = async (client: LineupClient, i: number, qt: string, active: boolean) => {
    if (!active)
      await timed(ops['wait admission'], () => admission(ctx.url(i), qt, sources?.next()));
    const schedules = await timed(ops.schedules, () => client.schedules(concertId, qt));
    const open = schedules.filter((s) => s.availableSeats > 0);
    const pool = open.length > 0 ? open : schedules;
    for (let attempt = 1; ; attempt++) {
      const schedule = pool[Math.floor(Math.random() * pool.length)]!;
      const seats = await timed(ops.seats, () =>
        client.seats(schedule.id, qt, { status: 'available' }),
      );
      if (seats.length === 0) {
        if (attempt >= HOLD_ATTEMPTS) throw new Error('NO_SEATS_LEFT');
        continue;
      }
      const want = Math.min(seats.length, 1 + Math.floor(Math.random() * p.maxSeatsPerHold));
      const start = Math.floor(Math.random() * (seats.length - want + 1));
      const seatIds = seats.slice(start, start + want).map((s) => s.id);
      try {
        const hold = await timed(ops.hold, () =>
          client.hold({ scheduleId: schedule.id, seatIds }, qt, { idempotencyKey: randomUUID() }),
        );
        await timed(ops.pay, () => client.pay(hold.id, { idempotencyKey: randomUUID() }));
        paidAt.push(performance.now());
        seatsSold += seatIds.length;
        return;
      } catch (err) {
        if (!isLineupError(err, 'SEAT_UNAVAILABLE') || attempt >= HOLD_ATTEMPTS) throw err;
      }
    }
  };

  ctx.log(`booking-mix: ${p.fans} fans, ${p.concurrency} in the flow at once`);
  // PostgreSQL CPU of this run: the backends serving the bench database (the machine is shared:
  // every postgres process would count other people's databases too).
  let benchBackends = await backendsOf(ctx.target.databaseUrl);
  const cpu = watchCpu(await ctx.cpuGroups({ 'postgres (bench db)': () => benchBackends }));
  const statsBefore = await ctx.stats().catch(() => []);
  const t0 = performance.now();
  const run = await runPool(
    fans,
    p.concurrency,
    async (fan, i) => {
      const started = performance.now();
      try {
        await flow(ctx.client(i, fan.token), i);
        ops['end to end'].record(performance.now() - started);
      } catch (err) {
        gaveUp++;
        ops['end to end'].record(performance.now() - started, errorCode(err));
      }
    },
    p.maxSeconds * 1000,
  );
  benchBackends = [...new Set([...benchBackends, ...(await backendsOf(ctx.target.databaseUrl))])];
  const cpuReport = cpu();
  const statsAfter = await ctx.stats().catch(() => []);
  const seconds = run.seconds;
  const perPaid = (percent: number | undefined) =>
    percent === undefined || paidAt.length === 0
      ? null
      : round(((percent / 100) * cpuReport.seconds * 1000) / paidAt.length, 2);
  const instanceMs = perPaid(cpuReport.percentOfCore.instances);
  const postgresMs = perPaid(cpuReport.percentOfCore['postgres (bench db)']);
  const sum = (stats: typeof statsBefore, k: keyof (typeof statsBefore)[number]['booking']) =>
    stats.reduce((n, x) => n + (x.booking[k] ?? 0), 0);
  const delta = (k: keyof (typeof statsBefore)[number]['booking']) =>
    sum(statsAfter, k) - sum(statsBefore, k);
  const perOp = (trips: number, ops: number) => (ops > 0 ? round(trips / ops, 2) : null);
  const checks = await consistency(ctx.target.databaseUrl, concertId);
  // Steady state: the middle 80% of payments, away from the ramp-up and the tail.
  const sorted = paidAt.map((t) => (t - t0) / 1000).sort((a, b) => a - b);
  const lo = sorted[Math.floor(sorted.length * 0.1)];
  const hi = sorted[Math.floor(sorted.length * 0.9)];
  const steady =
    lo !== undefined && hi !== undefined && hi > lo ? (sorted.length * 0.8) / (hi - lo) : null;
  return {
    scenario: 'booking-mix',
    startedAt,
    durationSeconds: round(seconds, 2),
    params: { ...p, instances: ctx.target.urls.length },
    ops: Object.fromEntries(Object.entries(ops).map(([k, v]) => [k, summarizeOp(v, seconds)])),
    figures: {
      paidReservations: paidAt.length,
      paidPerSecond: round(paidAt.length / seconds),
      paidPerSecondSteady: steady === null ? null : round(steady),
      seatsSold,
      fansWhoGaveUp: gaveUp,
      fansNotStarted: fans.length - run.started,
      ...(checks ?? {}),
      cpuMsPerPaid: {
        instances: instanceMs,
        postgres: postgresMs,
        total:
          instanceMs === null || postgresMs === null ? null : round(instanceMs + postgresMs, 2),
      },
      roundTripsPerHold: perOp(delta('holdRoundTrips'), delta('holdsOk')),
      roundTripsPerPayment: perOp(delta('paymentRoundTrips'), delta('paymentsOk')),
      cpu: cpuReport,
    },
    machine: machineInfo(),
  };
}

/** Pids of the PostgreSQL backends connected to the bench database (none without its URL). */
export async function backendsOf(url: string | undefined): Promise<number[]> {
  if (!url) return [];
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    return rows.map((r) => r.pid);
  } finally {
    await c.end();
  }
}

/** Waits on a socket for queue:admitted (or a status saying active). */
function admission(url: string, queueToken: string, localAddress?: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => finish(new Error('ADMISSION_TIMEOUT')), ADMISSION_TIMEOUT_MS);
    const socket = new LiteQueueSocket(
      { baseUrl: url, token: queueToken, localAddress },
      {
        status: (_at, status) => {
          if (status.status === 'active') finish();
        },
        admitted: () => finish(),
        ended: (_at, e) => finish(new Error(`QUEUE_ENDED_${e.reason.toUpperCase()}`)),
        closed: () => finish(new Error('SOCKET_CLOSED')),
      },
    );
    socket.connect().catch((err: Error) => finish(err));
  });
}

/** With database access: seats in more than one paid or live reservation, wallets off their ledger. */
async function consistency(url: string | undefined, concertId: number) {
  if (!url) return null;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const twice = await c.query(
      `select ri.schedule_seat_id from reservation_items ri join reservations r on r.id = ri.reservation_id
       where r.concert_id = $1 and (r.status = 'paid' or (r.status = 'held' and r.expires_at > now()))
       group by ri.schedule_seat_id having count(*) > 1`,
      [concertId],
    );
    const ledger = await c.query(
      `select w.user_id from wallets w left join point_ledger l on l.user_id = w.user_id
       group by w.user_id, w.balance having w.balance <> coalesce(sum(l.amount), 0)`,
    );
    const sold = await c.query<{ n: string }>(
      `select count(*) as n from schedule_seats ss join schedules s on s.id = ss.schedule_id
       where s.concert_id = $1 and ss.status = 'sold'`,
      [concertId],
    );
    // The per-schedule counters agree with the seats (issue 14).
    const counters = await c.query(
      `select s.id from schedules s where s.concert_id = $1 and s.available_seats <>
         (select count(*) from schedule_seats ss where ss.schedule_id = s.id and ss.status = 'available')`,
      [concertId],
    );
    return {
      dbCounterMismatches: counters.rowCount ?? 0,
      dbSeatsSold: Number(sold.rows[0]!.n),
      dbSeatsSoldTwice: twice.rowCount ?? 0,
      dbLedgerMismatches: ledger.rowCount ?? 0,
    };
  } finally {
    await c.end();
  }
}
