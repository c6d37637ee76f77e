// Booking's collaborators, composed for the composition root (app.ts): seat locks, the prepared
// statements, the schedule and seat-map caches, seat announcements, the booking services and the
// leader's booking chores. Everything goes in through constructors, as in app.ts.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from './config/index.js';
import type { PreparedStatements } from './infra/db/prepared.js';
import type { RedisClient } from './infra/redis/scripts.js';
import { BestAvailableService } from './modules/booking/best-available.service.js';
import { BookingRepository } from './modules/booking/booking.repository.js';
import { BookingService } from './modules/booking/booking.service.js';
import { BookingStatements } from './modules/booking/booking.statements.js';
import { LeaderChores } from './modules/booking/chores.leader.js';
import { HoldsService } from './modules/booking/holds.service.js';
import { PaymentsService } from './modules/booking/payments.service.js';
import { RefundsService } from './modules/booking/refunds.service.js';
import { ReservationsService } from './modules/booking/reservations.service.js';
import { ScheduleFactsCache } from './modules/booking/schedule-facts.cache.js';
import { SeatAnnouncements } from './modules/booking/seat-announcements.events.js';
import { SeatFilterRepository } from './modules/booking/seat-filter.repository.js';
import { SeatLockStore, type SeatLockOptions } from './modules/booking/seat-locks.store.js';
import { SeatMapCache } from './modules/booking/seat-map.cache.js';
import type { Clock } from './modules/catalogue/catalogue.service.js';
import type { IdempotencyService } from './modules/idempotency/idempotency.service.js';
import type { BookingOutcome } from './modules/ops/ops.metrics.js';
import type { PointsService } from './modules/points/points.service.js';
import type { QueueService } from './modules/queue/queue.service.js';
import type { SeatEvents } from './modules/realtime/seat.events.js';

export interface BookingDeps {
  em: () => EntityManager;
  /** The app's prepared statements (one set: each registers the round-trip counting). */
  db: PreparedStatements;
  redis: RedisClient;
  config: Config;
  logger: Logger;
  clock: Clock;
  seatLocks?: Partial<SeatLockOptions>;
  idempotency: IdempotencyService;
  queue: QueueService;
  points: PointsService;
  seatEvents: SeatEvents;
  bookingOutcome: (o: BookingOutcome) => void;
  /** The chores run only on the queue leader. */
  isLeader: () => boolean;
}

export function composeBooking(deps: BookingDeps): {
  booking: BookingService;
  bookingChores: LeaderChores;
  db: PreparedStatements;
} {
  const { em, redis, config, logger, clock, idempotency, queue, points, seatEvents } = deps;
  const { bookingOutcome, isLeader } = deps;
  const { retentionSeconds } = config.idempotency;
  const seatLocks = new SeatLockStore(redis, config.redisKeyPrefix, {
    ttlMs: 10_000,
    enabled: true,
    ...deps.seatLocks,
  });
  const bookingRepo = new BookingRepository();
  const { db } = deps;
  const statements = new BookingStatements(db);
  const schedules = new ScheduleFactsCache((id) => bookingRepo.scheduleFacts(em(), id));
  const announcements = new SeatAnnouncements(
    em,
    new SeatFilterRepository(),
    seatLocks,
    schedules,
    seatEvents,
    queue,
    logger,
  );
  const holds = new HoldsService(
    em,
    bookingRepo,
    statements,
    seatLocks,
    idempotency,
    queue,
    schedules,
    announcements,
    config.booking,
    clock,
  );
  const reservations = new ReservationsService(
    em,
    bookingRepo,
    schedules,
    new SeatMapCache(statements),
  );
  const booking = new BookingService(
    holds,
    new PaymentsService(statements, idempotency, announcements),
    new RefundsService(em, bookingRepo, points, announcements, clock),
    reservations,
    new BestAvailableService(holds, reservations, queue, config.booking),
    bookingOutcome,
  );
  const bookingChores = new LeaderChores(
    [
      {
        name: 'expire holds',
        everyMs: Math.min(5_000, Math.max(250, config.booking.holdSeconds * 250)),
        run: () => holds.sweepExpiredHolds(),
      },
      {
        name: 'repair seat filter',
        everyMs: config.booking.reconcileMs,
        run: () => announcements.reconcile(),
      },
      {
        name: 'purge idempotency keys',
        // A quarter of the retention, at most once a minute: a key lives its retention plus that.
        everyMs: Math.min(60_000, Math.max(250, retentionSeconds * 250)),
        run: () => idempotency.purgeExpired(),
      },
    ],
    isLeader,
    logger,
  );
  return { booking, bookingChores, db };
}
