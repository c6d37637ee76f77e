import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config/index.js';
import { AppError } from '../../infra/http/errors.js';
import type {
  IdempotencyService,
  IdempotentRequest,
  StoredResponse,
} from '../idempotency/idempotency.service.js';
import type { QueueService } from '../queue/queue.service.js';
import type { BookingRepository } from './booking.repository.js';
import { reservationView, type ReservationView } from './booking.views.js';
import type { ScheduleFactsCache } from './schedule-facts.js';
import type { SeatBoard, SeatChange } from './seat-board.js';
import type { SeatLock, SeatLockStore } from './seat-locks.store.js';

/** How many hold requests came, and how many reached the database write (storm test, bench). */
export interface BookingCounters {
  holdRequests: number;
  holdDatabaseWrites: number;
}

/**
 * The hold path. A seat storm is mostly refusals, so every refusal is answered from memory and
 * Redis before PostgreSQL is asked anything: the queue token (memory), the admission (Redis), the
 * schedule (memory after its first read), the sale window, the seat filter and locks (Redis).
 * Only then one transaction, whose conditional UPDATE is the final word (SPEC §3.1).
 */
export class SeatHolds {
  readonly counters: BookingCounters = { holdRequests: 0, holdDatabaseWrites: 0 };

  constructor(
    private readonly repo: BookingRepository,
    private readonly locks: SeatLockStore,
    private readonly idempotency: IdempotencyService,
    private readonly queue: QueueService,
    private readonly schedules: ScheduleFactsCache,
    private readonly board: SeatBoard,
    private readonly config: Config['booking'],
    private readonly now: () => Date = () => new Date(),
  ) {}

  async hold(
    userId: number,
    queueToken: string | undefined,
    body: { scheduleId: number; seatIds: number[] },
    idem: IdempotentRequest,
  ): Promise<StoredResponse<ReservationView>> {
    this.counters.holdRequests++;
    const { scheduleId, seatIds } = body;
    // Seat locks taken under an Idempotency-Key say so: a retry they refuse waits for its answer.
    const tag = this.idempotency.tag(idem);
    let admission: { concertId: number; eid: number };
    let lock: SeatLock | undefined;
    try {
      admission = await this.queue.requireActiveFor(queueToken, userId, () =>
        this.schedules.get(scheduleId).then((s) => s.concertId),
      );
      this.checkOnSale(await this.schedules.get(scheduleId));
      if (seatIds.length > this.config.maxSeatsPerUser) {
        throw new AppError('SEAT_LIMIT_EXCEEDED', {
          details: { max: this.config.maxSeatsPerUser, requested: seatIds.length },
        });
      }
      lock = await this.locks.acquire(scheduleId, seatIds, tag ?? undefined);
      if (lock.busy.length > 0)
        throw new AppError('SEAT_UNAVAILABLE', { details: { seatIds: lock.busy } });
    } catch (err) {
      // A retry of a hold that went through gets that hold's answer, not this refusal (SPEC §3.3):
      // e.g. its seats are taken by that hold, or paying for it ended the admission.
      if (!(err instanceof AppError)) throw err;
      const inFlight = tag !== null && lock?.holders.includes(tag) === true;
      const earlier = await this.idempotency.beforeRefusing<ReservationView>(idem, inFlight);
      if (earlier) return earlier;
      throw err;
    }
    let freed: { scheduleId: number; seatIds: number[] }[] = [];
    try {
      const stored = await this.idempotency.run(
        idem,
        201,
        async (tx) => {
          this.counters.holdDatabaseWrites++;
          const outcome = await this.holdInTransaction(tx, userId, admission, scheduleId, seatIds);
          freed = outcome.freed;
          return outcome.reservation;
        },
        { marked: true },
      );
      if (!stored.replayed) {
        await this.board.held(scheduleId, seatIds, Date.parse(stored.body.expiresAt));
        const changes: SeatChange[] = stored.body.seats.map((s) => ({
          seatId: s.id,
          status: 'held',
        }));
        for (const f of freed)
          changes.push(...f.seatIds.map((seatId) => ({ seatId, status: 'available' as const })));
        await this.board.announce(scheduleId, changes);
      }
      return stored;
    } finally {
      await lock.release();
    }
  }

  /** SCHEDULE_CLOSED outside the sale window (checked again inside the transaction). */
  private checkOnSale(schedule: { saleOpensAt: number; startsAt: number }): void {
    const now = this.now().getTime();
    if (now < schedule.saleOpensAt || now >= schedule.startsAt) {
      throw new AppError('SCHEDULE_CLOSED', {
        details: {
          saleOpensAt: new Date(schedule.saleOpensAt).toISOString(),
          startsAt: new Date(schedule.startsAt).toISOString(),
        },
      });
    }
  }

  private async holdInTransaction(
    tx: EntityManager,
    userId: number,
    admission: { concertId: number; eid: number },
    scheduleId: number,
    seatIds: number[],
  ) {
    const { concertId } = admission;
    const schedule = await this.repo.schedule(tx, scheduleId);
    if (!schedule || schedule.concertId !== concertId) throw new AppError('SCHEDULE_NOT_FOUND');
    this.checkOnSale({
      saleOpensAt: schedule.saleOpensAt.getTime(),
      startsAt: schedule.startsAt.getTime(),
    });
    if (!(await this.repo.lockFan(tx, userId))) throw new AppError('USER_NOT_FOUND');
    const owned = await this.repo.seatsOwned(tx, userId, scheduleId);
    if (owned + seatIds.length > this.config.maxSeatsPerUser) {
      throw new AppError('SEAT_LIMIT_EXCEEDED', {
        details: { max: this.config.maxSeatsPerUser, alreadyHeldOrBought: owned },
      });
    }
    const locked = await this.repo.lockSeats(tx, scheduleId, seatIds);
    const requested = locked.filter((s) => s.requested);
    if (requested.length < seatIds.length) {
      const found = new Set(requested.map((s) => s.seatId));
      throw new AppError('SEAT_NOT_FOUND', {
        details: { seatIds: seatIds.filter((id) => !found.has(id)) },
      });
    }
    // Lazy expiry: holds past their deadline on these seats end now, whether or not the sweeper ran.
    const stale = [
      ...new Set(
        requested.filter((s) => s.expired && s.reservationId !== null).map((s) => s.reservationId!),
      ),
    ];
    const freed = await this.repo.expireHolds(tx, stale);

    const rows = await this.repo.seats(tx, scheduleId, seatIds);
    const amount = rows.reduce((sum, s) => sum + schedule.prices[s.grade], 0);
    const reservationId = await this.repo.insertReservation(tx, {
      userId,
      concertId,
      scheduleId,
      amount,
      holdSeconds: this.config.holdSeconds,
      queueEntryId: admission.eid,
    });
    const taken = await this.repo.takeSeats(tx, scheduleId, seatIds, reservationId);
    if (taken.length < seatIds.length) {
      const got = new Set(taken);
      throw new AppError('SEAT_UNAVAILABLE', {
        details: { seatIds: seatIds.filter((id) => !got.has(id)) },
      });
    }
    try {
      await this.repo.insertItems(tx, reservationId, scheduleId, seatIds, schedule.prices);
    } catch (err) {
      // The schema's own guarantee (one live item per seat) caught what the UPDATE did not.
      if (err instanceof UniqueConstraintViolationException)
        throw new AppError('SEAT_UNAVAILABLE', { details: { seatIds } });
      throw err;
    }
    const reservation = await this.repo.find(tx, reservationId);
    return { reservation: reservationView(reservation!), freed };
  }
}
