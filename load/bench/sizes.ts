import type { BookingMixParams } from '../scenarios/booking-mix.js';
import type { JoinStormParams } from '../scenarios/join-storm.js';
import type { SeatStormParams } from '../scenarios/seat-storm.js';
import { waitingRoomDefaults, type WaitingRoomParams } from '../scenarios/waiting-room.js';

// How big each bench size runs. The waiting room reuses the join storm's line, so its largest
// step is at most `join.fans`. `default` takes about 3 minutes on the 2-core machine; `smoke` a
// few seconds of load (CI, no thresholds); `large` goes as high as one machine allows: 2
// instances can hold at most ~2 x 19,900 sockets under a 20,000 open-file hard limit.

export interface BenchSize {
  join: JoinStormParams;
  /** Join storms against Lineup and against the baseline, alternating; the median round counts. */
  joinRounds: number;
  waiting: WaitingRoomParams;
  seat: SeatStormParams;
  booking: BookingMixParams;
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
    join: { fans: 39_000, concurrency: 256, warmup: 2_000 },
    joinRounds: 3,
    // Run with --instances 3: 50,000 sockets need three instances' file descriptors and cores.
    waiting: waiting([1_000, 10_000, 25_000, 50_000], 15),
    seat: { fans: 50_000, seats: 100, concurrency: 256, joinConcurrency: 256 },
    booking: booking(12_000, { maxSeconds: 90 }),
  },
};
