import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
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
import type { SeatBoard } from './seat-board.js';
import type { BookingCounters, SeatHolds } from './seat-holds.js';

export type { BookingCounters } from './seat-holds.js';
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

export class BookingService {
  /** Told the outcome of every hold, payment and refund ('ok' or the error code), for metrics. */
  observe: (o: { kind: 'hold' | 'payment' | 'refund'; outcome: string }) => void = () => undefined;

  constructor(
    private readonly em: () => EntityManager,
    private readonly repo: BookingRepository,
    private readonly holds: SeatHolds,
    private readonly idempotency: IdempotencyService,
    private readonly points: PointsService,
    private readonly queue: QueueService,
    private readonly schedules: ScheduleFactsCache,
    private readonly board: SeatBoard,
    private readonly logger: Logger,
    private readonly now: Clock = () => new Date(),
  ) {}

  /** What the hold-storm test and the benchmark read: how many holds reached the database. */
  get counters(): BookingCounters {
    return this.holds.counters;
  }

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
    return this.observed('hold', () => this.holds.hold(userId, queueToken, body, idem));
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
