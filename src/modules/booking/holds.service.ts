import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config/index.js';
import { AppError } from '../../infra/app-error.js';
import type {
  IdempotencyService,
  IdempotentRequest,
  StoredResponse,
} from '../idempotency/idempotency.service.js';
import type { QueueService } from '../queue/queue.service.js';
import type { BookingRepository } from './booking.repository.js';
import type { BookingStatements, Expired } from './booking.statements.js';
import { reservationView, type ReservationView } from './booking.views.js';
import type { ScheduleFactsCache } from './schedule-facts.cache.js';
import type { SeatAnnouncements, SeatChanges } from './seat-announcements.events.js';
import type { SeatLock, SeatLockStore, SeatsBusy } from './seat-locks.store.js';

/** How many hold requests came, and how many reached the database write (storm test, bench). */
export interface BookingCounters {
  holdRequests: number;
  holdDatabaseWrites: number;
}

/** A hold request whose seats are known (named by the fan, or picked for it: best available). */
export interface HoldRequest {
  scheduleId: number;
  seatIds: number[];
}

/**
 * Holds, their cancel and their expiry. A seat storm is mostly refusals, so every refusal is
 * answered from memory and Redis before PostgreSQL is asked anything: the queue token (memory),
 * the admission (Redis), the schedule (memory after its first read), the sale window, the seat
 * filter and locks (Redis). Only then one statement (`booking_hold`), whose conditional UPDATE
 * is the final word (SPEC §3.1) and which writes the Idempotency-Key's record, with its answer, in
 * the same transaction: one round trip to PostgreSQL, with or without a key.
 */
export class HoldsService {
  readonly counters: BookingCounters = { holdRequests: 0, holdDatabaseWrites: 0 };

  constructor(
    private readonly em: () => EntityManager,
    private readonly repo: BookingRepository,
    private readonly statements: BookingStatements,
    private readonly locks: SeatLockStore,
    private readonly idempotency: IdempotencyService,
    private readonly queue: QueueService,
    private readonly schedules: ScheduleFactsCache,
    private readonly announcements: SeatAnnouncements,
    private readonly config: Config['booking'],
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Holds these seats, all or nothing, for a fan admitted with `queueToken`. The entry point for
   * any way of choosing seats: a seat picker resolves its seat ids first, then calls this.
   */
  async hold(
    userId: number,
    queueToken: string | undefined,
    body: HoldRequest,
    idem: IdempotentRequest,
  ): Promise<StoredResponse<ReservationView>> {
    this.counters.holdRequests++;
    const { scheduleId, seatIds } = body;
    const { maxSeatsPerUser } = this.config;
    // Seat locks taken under an Idempotency-Key say so: a retry they refuse waits for its answer.
    const tag = this.idempotency.tag(idem);
    // The seats are tested in the admission check's round trip (one socket write: another hash
    // slot, so another call), not after it: a seat storm's refusals, nearly all of its requests,
    // then cost one round trip to Redis instead of two. Its answer counts only once the fan is
    // known to be admitted; a seat it finds free is tested again by the lock.
    const probe =
      seatIds.length <= maxSeatsPerUser
        ? this.locks.busy(scheduleId, seatIds).catch(() => null)
        : null;
    // So is the key's mark, read after the seat test (SDK holds all carry a key): a refusal decided
    // by that write needs no second round trip to learn whether a first request may have answered.
    // The order matters: a seat found taken by a committed hold was marked before its commit, and
    // the read runs after the test (one server; on a Cluster the mark is read after the refusal,
    // as is the mark of a refusal by the seat lock, a later write).
    let markRead = this.idempotency.readMarkAhead(idem);
    let admission: { concertId: number; eid: number };
    let refused: SeatsBusy | undefined;
    let lock!: SeatLock;
    try {
      admission = await this.queue.requireActiveFor(queueToken, userId, () =>
        this.schedules.get(scheduleId).then((s) => s.concertId),
      );
      this.checkOnSale(await this.schedules.get(scheduleId));
      if (seatIds.length > maxSeatsPerUser) {
        throw new AppError('SEAT_LIMIT_EXCEEDED', {
          details: { max: maxSeatsPerUser, requested: seatIds.length },
        });
      }
      const seen = await probe;
      if (seen && seen.busy.length > 0) refused = seen;
      else {
        markRead = null;
        lock = await this.lockAndMark(scheduleId, seatIds, tag, idem);
        if (lock.busy.length > 0) refused = lock;
      }
      if (refused) throw new AppError('SEAT_UNAVAILABLE', { details: { seatIds: refused.busy } });
    } catch (err) {
      // A retry of a hold that went through gets that hold's answer, not this refusal (SPEC §3.3):
      // e.g. its seats are taken by that hold, or paying for it ended the admission.
      if (!(err instanceof AppError)) throw err;
      const inFlight = tag !== null && refused?.holders.includes(tag) === true;
      const earlier = await this.idempotency.beforeRefusing<ReservationView>(
        idem,
        inFlight,
        markRead,
      );
      if (earlier) return earlier;
      throw err;
    }
    try {
      let effects: SeatChanges[] = [];
      const stored = await this.idempotency.once(
        idem,
        async (claim) => {
          this.counters.holdDatabaseWrites++;
          const held = await this.statements.hold({
            userId,
            concertId: admission.concertId,
            scheduleId,
            seatIds,
            maxSeats: this.config.maxSeatsPerUser,
            holdSeconds: this.config.holdSeconds,
            queueEntryId: admission.eid,
            now: this.now(),
            claim,
          });
          if ('replay' in held) return { body: held.replay, replayed: true };
          const { version, availableSeats } = held;
          // Lapsed holds freed on the way first, then the new hold: the order they were made in.
          const changes = [
            ...freedChanges(held.freed.filter((f) => f.scheduleId === scheduleId)),
            ...held.body.seats.map((s) => ({ seatId: s.id, status: 'held' as const })),
          ];
          effects = [
            {
              scheduleId,
              changes,
              availability: { version, availableSeats },
              heldUntil: Date.parse(held.body.expiresAt),
              lock,
            },
          ];
          return { body: held.body, replayed: false };
        },
        { marked: 'added' },
      );
      await this.announcements.afterCommit({ seats: effects });
      return stored;
    } finally {
      await lock.release();
    }
  }

  /**
   * Locks the seats and, with an Idempotency-Key, marks the key (before its record: see
   * IdempotencyService.once) in the same round trip. Refused (busy seats) or failed, it leaves
   * neither behind.
   */
  private async lockAndMark(
    scheduleId: number,
    seatIds: number[],
    tag: string | null,
    idem: IdempotentRequest,
  ): Promise<SeatLock> {
    const [locked, marked] = await Promise.allSettled([
      this.locks.acquire(scheduleId, seatIds, tag ?? undefined),
      this.idempotency.mark(idem),
    ]);
    const lock = locked.status === 'fulfilled' ? locked.value : null;
    if (marked.status === 'rejected') {
      await lock?.release();
      throw marked.reason;
    }
    if (lock && lock.busy.length === 0) return lock;
    if (marked.value) await this.idempotency.unmark(idem);
    if (!lock) throw (locked as PromiseRejectedResult).reason;
    return lock;
  }

  /** Cancels a live hold; its seats are available again at once. */
  async cancel(userId: number, id: number): Promise<ReservationView> {
    const result = await this.em().transactional(async (tx) => {
      await this.repo.lockSeatsOf(tx, id);
      const r = await this.repo.find(tx, id, { forUpdate: true });
      // Another fan's reservation is "not found": existence is not leaked.
      if (!r || r.userId !== userId) throw new AppError('RESERVATION_NOT_FOUND');
      if (r.status !== 'held' || r.holdExpired) {
        const expired = r.holdExpired ? await this.repo.expireLocked(tx, r.id) : [];
        return {
          error: new AppError('RESERVATION_NOT_HELD', {
            details: { status: r.holdExpired ? 'expired' : r.status },
          }),
          seats: expiredChanges(expired),
        };
      }
      await this.repo.setStatus(tx, id, 'canceled');
      const freed = await this.repo.release(tx, id);
      const seats = {
        scheduleId: r.scheduleId,
        changes: freed.map((seatId) => ({ seatId, status: 'available' as const })),
        availability: await this.repo.availability(tx, r.scheduleId),
      };
      return { reservation: { ...r, status: 'canceled' as const }, seats: [seats] };
    });
    await this.announcements.afterCommit({ seats: result.seats });
    if ('error' in result) throw result.error;
    return reservationView(result.reservation);
  }

  /** Leader job: marks holds past their deadline expired and announces the freed seats. */
  async sweepExpiredHolds(limit = 200): Promise<number> {
    const due = await this.repo.dueHolds(this.em(), limit);
    let swept = 0;
    for (const { id } of due) {
      const expired = await this.statements.expireHold(id);
      swept += expired.length;
      await this.announceExpired(expired);
    }
    return swept;
  }

  /** Announces holds a statement expired (their seats are available again). */
  async announceExpired(expired: Expired[]): Promise<void> {
    await this.announcements.afterCommit({ seats: expiredChanges(expired) });
  }

  /**
   * The seats on sale of these concerts and which of their admitted fans hold some, in one
   * statement (the queue leader's sold-out awareness, once per tick for every line).
   */
  seatsForAdmission(lines: { concertId: number; active: number[] }[]) {
    return this.repo.seatsForAdmission(
      this.em(),
      lines.map((l) => l.concertId),
      [...new Set(lines.flatMap((l) => l.active))],
      this.now(),
    );
  }

  /** SCHEDULE_CLOSED outside the sale window (checked again inside the statement). */
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
}

/** What expiring these holds changed, per schedule (availability as of its last release). */
export function expiredChanges(expired: Expired[]): SeatChanges[] {
  return [...new Set(expired.map((e) => e.scheduleId))].map((scheduleId) => {
    const mine = expired.filter((e) => e.scheduleId === scheduleId);
    const last = mine.reduce((a, b) => (b.version > a.version ? b : a));
    return {
      scheduleId,
      changes: freedChanges(mine),
      availability: { version: last.version, availableSeats: last.availableSeats },
    };
  });
}

function freedChanges(expired: Expired[]) {
  return expired.flatMap((e) =>
    e.seatIds.map((seatId) => ({ seatId, status: 'available' as const })),
  );
}
