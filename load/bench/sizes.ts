import type { BookingMixParams } from '../scenarios/booking-mix.js';
import type { JoinStormParams } from '../scenarios/join-storm.js';
import type { SeatStormParams } from '../scenarios/seat-storm.js';
import { waitingRoomDefaults, type WaitingRoomParams } from '../scenarios/waiting-room.js';

// How big each bench size runs. The waiting room reuses the join storm's line, so its largest
// step is at most `join.fans`. `default` takes about 3 minutes on the 2-core machine; `smoke` a
// few seconds of load (CI, no thresholds); `large` goes as high as one machine allows: an
// instance holds at most ~19,900 sockets under this machine's 20,000 open-file hard limit
// (`ulimit -Hn`), so the large size's 50,000 sockets run on 3 instances (~16,700 each); the load
// runner's socket workers hold at most SOCKETS_PER_WORKER each (4 workers for 50,000).

/**
 * Sockets one instance may hold here: the 20,000 open files per process less room for its
 * PostgreSQL and Redis connections, the runner's HTTP connections and its own files.
 */
export const MAX_SOCKETS_PER_INSTANCE = 19_000;

export interface BenchSize {
  join: JoinStormParams;
  /** Join storms against Lineup and against the baseline, alternating; the median round counts. */
  joinRounds: number;
  waiting: WaitingRoomParams;
  seat: SeatStormParams;
  booking: BookingMixParams;
  /** Instances when `--instances` is not given (default 2). */
  instances?: number;
}

const waiting = (
  steps: number[],
  observeSeconds: number,
  extra: Partial<WaitingRoomParams> = {},
) => ({
  ...waitingRoomDefaults,
  sockets: steps[steps.length - 1]!,
  steps: steps.join(','),
  observeSeconds,
  ...extra,
});

const booking = (fans: number, extra: Partial<BookingMixParams> = {}): BookingMixParams => ({
  fans,
  concurrency: 600,
  // About 1.5 seats per fan are sold; leave a third of the seats free so late fans still find some.
  schedules: Math.max(2, Math.ceil((fans * 2.2) / 200)),
  seatsPerSchedule: 200,
  maxActive: 1_000,
  admitPerMinute: 120_000,
  maxSeconds: 60,
  maxSeatsPerHold: 2,
  ...extra,
});

export const SIZES: Record<string, BenchSize> = {
  smoke: {
    join: { fans: 400, concurrency: 64, warmup: 100 },
    joinRounds: 1,
    waiting: waiting([200], 3, { maxActive: 20, admitPerMinute: 1_200, connectConcurrency: 50 }),
    seat: { fans: 300, seats: 20, concurrency: 64, joinConcurrency: 64 },
    booking: booking(80, {
      concurrency: 40,
      seatsPerSchedule: 100,
      schedules: 4,
      maxActive: 100,
      maxSeconds: 20,
    }),
  },
  small: {
    join: { fans: 1_000, concurrency: 256, warmup: 500 },
    joinRounds: 3,
    waiting: waiting([1_000], 10),
    seat: { fans: 1_000, seats: 100, concurrency: 256, joinConcurrency: 256 },
    booking: booking(1_000, { concurrency: 300 }),
  },
  default: {
    join: { fans: 10_000, concurrency: 256, warmup: 1_500 },
    joinRounds: 3,
    waiting: waiting([1_000, 5_000, 10_000], 10),
    seat: { fans: 10_000, seats: 100, concurrency: 256, joinConcurrency: 256 },
    booking: booking(4_000, { maxSeconds: 40 }),
  },
  large: {
    // 50,000 fans: one per socket of the waiting room's last step (it reuses this line).
    join: { fans: 50_000, concurrency: 256, warmup: 2_000 },
    joinRounds: 3,
    // 3 instances: 50,000 sockets need three instances' file descriptors and cores.
    instances: 3,
    waiting: waiting([1_000, 10_000, 25_000, 50_000], 15),
    seat: { fans: 50_000, seats: 100, concurrency: 256, joinConcurrency: 256 },
    booking: booking(12_000, { maxSeconds: 90 }),
  },
};

/**
 * Why a size cannot run on `instances` instances, or null: the waiting room's largest step needs
 * one joined fan per socket, and its sockets (spread evenly) must fit each instance's open files.
 */
export function sizeProblem(size: BenchSize, instances: number): string | null {
  const largest = size.waiting.sockets;
  if (largest > size.join.fans)
    return `the waiting room's ${largest} sockets need as many joined fans; the join storm has ${size.join.fans}`;
  const perInstance = Math.ceil(largest / instances);
  if (perInstance > MAX_SOCKETS_PER_INSTANCE)
    return `${largest} sockets on ${instances} instances is ${perInstance} each, above ${MAX_SOCKETS_PER_INSTANCE} (open files per process): use --instances ${Math.ceil(largest / MAX_SOCKETS_PER_INSTANCE)}`;
  return null;
}
