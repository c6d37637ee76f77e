import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.js';
import { AppError } from '../../infra/http/errors.js';
import type {
  IdempotencyService,
  IdempotentRequest,
  StoredResponse,
} from '../idempotency/idempotency.service.js';
import type { PointsService } from '../points/points.service.js';
import type { QueueService } from '../queue/queue.service.js';
import type { BookingRepository, ReservationRow } from './booking.repository.js';
import type { ScheduleFactsCache } from './schedule-facts.js';
import type { SeatBoard, SeatChange } from './seat-board.js';
import type { SeatLock, SeatLockStore } from './seat-locks.store.js';
import {
  reservationView,
  type PaymentView,
  type RefundView,
  type ReservationView,
  type SeatView,
} from './booking.views.js';

type Clock = () => Date;

const REFUND_CUTOFF_MS = 3 * 86_400_000;
/** Seed policy against abuse: a hold is released after this many failed payments. */
export const MAX_FAILED_PAYMENTS = 5;

/** What the hold-storm test and the benchmark read: how many holds reached the database. */
export interface BookingCounters {
  holdRequests: number;
  holdDatabaseWrites: number;
}

export class BookingService {
  readonly counters: BookingCounters = { holdRequests: 0, holdDatabaseWrites: 0 };
  /** Told the outcome of every hold, payment and refund ('ok' or the error code), for metrics. */
  observe: (o: { kind: 'hold' | 'payment' | 'refund'; outcome: string }) => void = () => undefined;

  constructor(
    private readonly em: () => EntityManager,
    private readonly repo: BookingRepository,
    private readonly locks: SeatLockStore,
    private readonly idempotency: IdempotencyService,
    private readonly points: PointsService,
    private readonly queue: QueueService,
    private readonly schedules: ScheduleFactsCache,
    private readonly board: SeatBoard,
    private readonly config: Config['booking'],
    private readonly logger: Logger,
    private readonly now: Clock = () => new Date(),
  ) {}

  /**
   * Holds 1..maxSeatsPerUser seats, all or nothing, for a fan admitted with `queueToken`. Every
   * refusal is answered from memory and Redis (a stampede on one seat never reaches PostgreSQL),
   * then one transaction whose conditional UPDATE decides.
   */
  hold(
    userId: number,
    queueToken: string | undefined,
    body: { scheduleId: number; seatIds: number[] },
    idem: IdempotentRequest,
  ) {
    return this.observed('hold', () => this.holdSeats(userId, queueToken, body, idem));
  }

  /** Pays a live hold in full from points, in one transaction; then the fan's admission ends. */
  pay(userId: number, id: number, idem: IdempotentRequest) {
    return this.observed('payment', () => this.payHold(userId, id, idem));
  }

  /** Refunds a paid reservation until 3 days before its schedule starts; the seats are sold again. */
  refund(userId: number, id: number) {
    return this.observed('refund', () => this.refundPaid(userId, id));
  }

  private async observed<T>(
    kind: 'hold' | 'payment' | 'refund',
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      const result = await work();
      this.observe({ kind, outcome: 'ok' });
      return result;
    } catch (err) {
      this.observe({ kind, outcome: err instanceof AppError ? err.code : 'error' });
      throw err;
    }
  }

  /** The concert a schedule belongs to (the admission guard checks the fan against it). */
  async concertOfSchedule(scheduleId: number): Promise<number> {
    return (await this.schedules.get(scheduleId)).concertId;
  }

  async seats(scheduleId: number, status?: 'available'): Promise<SeatView[]> {
    const em = this.em();
    const schedule = await this.repo.schedule(em, scheduleId);
    if (!schedule) throw new AppError('SCHEDULE_NOT_FOUND');
    const seats = await this.repo.seats(em, scheduleId);
    return seats
      .filter((s) => !status || s.status === status)
      .map((s) => ({
        id: s.seatId,
        label: s.label,
        grade: s.grade,
        price: schedule.prices[s.grade],
        status: s.status,
      }));
  }

  private async holdSeats(
    userId: number,
    queueToken: string | undefined,
    body: { scheduleId: number; seatIds: number[] },
    idem: IdempotentRequest,
  ): Promise<StoredResponse<ReservationView>> {
    this.counters.holdRequests++;
    const { scheduleId, seatIds } = body;
    const arrivals = this.idempotency.arrived(idem);
    let admission: { concertId: number; eid: number };
    let lock: SeatLock;
    try {
      admission = await this.queue.requireActiveFor(queueToken, userId, () =>
        this.concertOfSchedule(scheduleId),
      );
      this.checkOnSale(await this.schedules.get(scheduleId));
      if (seatIds.length > this.config.maxSeatsPerUser) {
        throw new AppError('SEAT_LIMIT_EXCEEDED', {
          details: { max: this.config.maxSeatsPerUser, requested: seatIds.length },
        });
      }
      lock = await this.locks.acquire(scheduleId, seatIds);
      if (lock.busy.length > 0)
        throw new AppError('SEAT_UNAVAILABLE', { details: { seatIds: lock.busy } });
    } catch (err) {
      // A retry of a hold that went through gets that hold's answer, not this refusal (SPEC §3.3):
      // e.g. its seats are taken by that hold, or paying for it ended the admission.
      if (!(err instanceof AppError)) throw err;
      const earlier = await this.idempotency.beforeRefusing<ReservationView>(idem, await arrivals);
      if (earlier) return earlier;
      throw err;
    }
    let freed: { scheduleId: number; seatIds: number[] }[] = [];
    try {
      const stored = await this.idempotency.run(idem, 201, async (tx) => {
        this.counters.holdDatabaseWrites++;
        const outcome = await this.holdInTransaction(tx, userId, admission, scheduleId, seatIds);
        freed = outcome.freed;
        return outcome.reservation;
      });
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

  async get(userId: number, id: number): Promise<ReservationView> {
    return reservationView(await this.owned(this.em(), userId, id));
  }

  async list(userId: number): Promise<ReservationView[]> {
    return (await this.repo.listByUser(this.em(), userId)).map(reservationView);
  }

  /** Cancels a live hold; its seats are available again at once. */
  async cancel(userId: number, id: number): Promise<ReservationView> {
    const result = await this.em().transactional(async (tx) => {
      await this.repo.lockSeatsOf(tx, id);
      const r = await this.owned(tx, userId, id, true);
      if (r.status !== 'held' || r.holdExpired) {
        if (r.holdExpired) await this.repo.expireHolds(tx, [r.id]);
        return {
          error: new AppError('RESERVATION_NOT_HELD', {
            details: { status: r.holdExpired ? 'expired' : r.status },
          }),
        };
      }
      await this.repo.setStatus(tx, id, 'canceled');
      const freed = await this.repo.release(tx, id);
      return { reservation: { ...r, status: 'canceled' as const }, freed };
    });
    if ('error' in result) throw result.error;
    await this.board.announce(
      result.reservation.scheduleId,
      result.freed.map((seatId) => ({ seatId, status: 'available' })),
    );
    return reservationView(result.reservation);
  }

  /** Pays a live hold in full from points, in one transaction; then the fan's admission ends. */
  private async payHold(
    userId: number,
    id: number,
    idem: IdempotentRequest,
  ): Promise<StoredResponse<PaymentView>> {
    let paid: ReservationRow | undefined;
    try {
      const stored = await this.idempotency.run(idem, 200, async (tx) => {
        if (!(await this.repo.lockFan(tx, userId))) throw new AppError('RESERVATION_NOT_FOUND');
        await this.repo.lockSeatsOf(tx, id);
        const r = await this.owned(tx, userId, id, true);
        if (r.status === 'paid') throw new AppError('ALREADY_PAID');
        if (r.status === 'expired' || r.holdExpired)
          throw new AppError('HOLD_EXPIRED', { details: { expiresAt: r.expiresAt.toISOString() } });
        if (r.status !== 'held')
          throw new AppError('RESERVATION_NOT_HELD', { details: { status: r.status } });
        const balance = await this.points.debit(tx, userId, r.amount, r.id);
        if (balance === null)
          throw new AppError('INSUFFICIENT_POINTS', { details: { amount: r.amount } });
        const { paymentId, paidAt } = await this.repo.markPaid(tx, r.id, userId, r.amount);
        paid = r;
        return {
          paymentId,
          reservationId: r.id,
          amount: r.amount,
          balance,
          paidAt: paidAt.toISOString(),
        };
      });
      if (paid) {
        await this.board.announce(
          paid.scheduleId,
          paid.seats.map((s) => ({ seatId: s.id, status: 'sold' })),
        );
        // Seed policy: a fan who has paid leaves the booking flow, freeing the slot for the next
        // fan. Only the entry the hold was made under: a place the fan took since then stays.
        await this.queue
          .endAdmission(userId, paid.concertId, 'completed', paid.queueEntryId)
          .catch((err: Error) => {
            this.logger.warn({ err: err.message, userId }, 'could not end admission after payment');
          });
      }
      return stored;
    } catch (err) {
      if (err instanceof AppError && err.code === 'HOLD_EXPIRED') await this.expireNow(id);
      if (err instanceof AppError && err.code === 'INSUFFICIENT_POINTS')
        await this.failedPayment(userId, id, err);
      throw err;
    }
  }

  /** Refunds a paid reservation until 3 days before its schedule starts; the seats are sold again. */
  private async refundPaid(userId: number, id: number): Promise<RefundView> {
    const result = await this.em().transactional(async (tx) => {
      if (!(await this.repo.lockFan(tx, userId))) throw new AppError('RESERVATION_NOT_FOUND');
      await this.repo.lockSeatsOf(tx, id);
      const r = await this.owned(tx, userId, id, true);
      if (r.status !== 'paid')
        throw new AppError('NOT_REFUNDABLE', {
          details: { status: r.holdExpired ? 'expired' : r.status },
        });
      const schedule = await this.repo.schedule(tx, r.scheduleId);
      const cutoff = schedule!.startsAt.getTime() - REFUND_CUTOFF_MS;
      if (this.now().getTime() > cutoff)
        throw new AppError('REFUND_WINDOW_CLOSED', {
          details: { refundableUntil: new Date(cutoff).toISOString() },
        });
      const balance = await this.points.credit(tx, userId, r.amount, r.id);
      if (balance === null)
        throw new AppError('BALANCE_LIMIT_EXCEEDED', { details: { refund: r.amount } });
      const freed = await this.repo.markRefunded(tx, r.id);
      return {
        view: { reservationId: r.id, refundedAmount: r.amount, balance },
        scheduleId: r.scheduleId,
        freed,
      };
    });
    await this.board.announce(
      result.scheduleId,
      result.freed.map((seatId) => ({ seatId, status: 'available' })),
    );
    return result.view;
  }

  /** Leader job: marks holds past their deadline expired and announces the freed seats. */
  async sweepExpiredHolds(limit = 200): Promise<number> {
    const due = await this.repo.dueHolds(this.em(), limit);
    let swept = 0;
    for (const { id } of due) swept += (await this.expireNow(id)) ? 1 : 0;
    return swept;
  }

  private async expireNow(id: number): Promise<boolean> {
    const [expired] = await this.em().transactional(async (tx) => {
      await this.repo.lockSeatsOf(tx, id);
      return this.repo.expireHolds(tx, [id]);
    });
    if (expired)
      await this.board.announce(
        expired.scheduleId,
        expired.seatIds.map((seatId) => ({ seatId, status: 'available' })),
      );
    return Boolean(expired);
  }

  /** Counts a failed payment (after its transaction rolled back); the fifth releases the hold. */
  private async failedPayment(userId: number, id: number, err: AppError): Promise<void> {
    const outcome = await this.em().transactional(async (tx) => {
      await this.repo.lockSeatsOf(tx, id);
      const r = await this.owned(tx, userId, id, true);
      const failures = await this.repo.countFailedPayment(tx, id);
      if (failures < MAX_FAILED_PAYMENTS || r.status !== 'held')
        return { failures, released: null };
      await this.repo.setStatus(tx, id, 'canceled');
      return { failures, released: { r, seatIds: await this.repo.release(tx, id) } };
    });
    Object.assign(err.details ?? {}, {
      failedAttempts: outcome.failures,
      attemptsLeft: Math.max(0, MAX_FAILED_PAYMENTS - outcome.failures),
    });
    if (outcome.released) {
      const { r, seatIds } = outcome.released;
      await this.board.announce(
        r.scheduleId,
        seatIds.map((seatId) => ({ seatId, status: 'available' })),
      );
      await this.queue
        .endAdmission(userId, r.concertId, 'removed', r.queueEntryId)
        .catch(() => undefined);
    }
  }

  private async owned(
    em: EntityManager,
    userId: number,
    id: number,
    forUpdate = false,
  ): Promise<ReservationRow> {
    const r = await this.repo.find(em, id, { forUpdate });
    // Another fan's reservation is "not found": existence is not leaked.
    if (!r || r.userId !== userId) throw new AppError('RESERVATION_NOT_FOUND');
    return r;
  }
}
