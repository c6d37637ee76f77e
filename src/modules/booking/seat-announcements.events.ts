import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { QueueService } from '../queue/queue.service.js';
import type { SeatEventPublisher } from '../realtime/seat.events.js';
import type { Availability } from './booking.statements.js';
import type { SeatFilterRepository } from './seat-filter.repository.js';
import type { ScheduleFactsCache } from './schedule-facts.cache.js';
import type { SeatLock, SeatLockStore } from './seat-locks.store.js';

export type SeatChange = { seatId: number; status: 'available' | 'held' | 'sold' };

/** Committed changes of one schedule's seats, in the order they were made. */
export interface SeatChanges {
  scheduleId: number;
  changes: SeatChange[];
  /** The schedule as of the commit (counter and seat version). */
  availability: Availability;
  /** For held seats: the hold's deadline (ms), until which the filter refuses them. */
  heldUntil?: number;
  /** The committing request's seat locks: released in the filter update's round trip. */
  lock?: SeatLock;
}

/** A fan's admission that a commit ended (a payment, the failed payment that released a hold). */
export interface AdmissionEnd {
  userId: number;
  concertId: number;
  reason: 'completed' | 'removed';
  /** The queue entry the hold was made under: a newer place in line is not ended. */
  entryId: number | null;
}

/** Everything booking does after a commit. */
export interface AfterCommit {
  seats?: SeatChanges[];
  admissionEnds?: AdmissionEnd[];
}

// A schedule's "taken" set outlives its start by this much: no hold can be made once it started,
// and the margin covers clocks that disagree a little.
const TAKEN_SET_GRACE_MS = 60 * 60_000;

/**
 * The one way booking runs work after a commit (`afterCommit`): the Redis "taken" filter in front
 * of holds, `seats:changed` to subscribed sockets, admissions that end. It runs after the commit,
 * so nothing failing here can undo a booking, and it never throws: a filter entry left behind
 * (Redis cut while a refund or cancel committed) would refuse a seat PostgreSQL says is available,
 * so the leader's `reconcile` removes every entry the database contradicts (SPEC §3.6).
 */
export class SeatAnnouncements {
  constructor(
    private readonly em: () => EntityManager,
    private readonly repo: SeatFilterRepository,
    private readonly locks: SeatLockStore,
    private readonly schedules: ScheduleFactsCache,
    private readonly seatEvents: SeatEventPublisher,
    private readonly queue: QueueService,
    private readonly logger: Logger,
  ) {}

  async afterCommit(effects: AfterCommit): Promise<void> {
    // Independent keys (a schedule's filter, a fan's admission): sent together, one round trip.
    await Promise.all([
      ...(effects.seats ?? []).map(async (seats) => {
        if (seats.changes.length === 0) return;
        await this.filter(seats);
        const { scheduleId, changes, availability } = seats;
        this.seatEvents.seatsChanged({ scheduleId, ...availability, changes });
      }),
      ...(effects.admissionEnds ?? []).map((end) =>
        this.queue
          .endAdmission(end.userId, end.concertId, end.reason, end.entryId)
          .catch((err: Error) => {
            this.logger.warn(
              { err: err.message, userId: end.userId },
              'could not end admission after commit',
            );
          }),
      ),
    ]);
  }

  /**
   * Leader job: removes the filter entries of seats PostgreSQL says are available (on schedules on
   * sale, the only ones that change). An entry is removed only if unchanged since it was read, so
   * a hold committed meanwhile keeps its own. Returns the number removed.
   */
  async reconcile(): Promise<number> {
    if (!this.locks.options.enabled) return 0;
    const scheduleIds = await this.repo.schedulesOnSale(this.em());
    const entries = (
      await Promise.all(
        scheduleIds.map(async (scheduleId) =>
          (await this.locks.refusing(scheduleId)).map((e) => ({ scheduleId, ...e })),
        ),
      )
    ).flat();
    const free = await this.repo.availableAmong(this.em(), entries);
    if (free.length === 0) return 0;
    const isFree = new Set(free.map((f) => `${f.scheduleId}:${f.seatId}`));
    let removed = 0;
    for (const scheduleId of new Set(free.map((f) => f.scheduleId))) {
      const stale = entries.filter(
        (e) => e.scheduleId === scheduleId && isFree.has(`${scheduleId}:${e.seatId}`),
      );
      removed += await this.locks.forget(scheduleId, stale);
    }
    if (removed > 0) this.logger.info({ removed }, 'seat filter repaired from PostgreSQL');
    return removed;
  }

  private async filter({ scheduleId, changes, heldUntil, lock }: SeatChanges): Promise<void> {
    // The last change of a seat wins (a lapsed hold freed, then held again in one commit).
    const last = new Map(changes.map((c) => [c.seatId, c.status]));
    const ids = (status: SeatChange['status']) =>
      [...last].filter(([, s]) => s === status).map(([seatId]) => seatId);
    try {
      const held = ids('held');
      const sold = ids('sold');
      // The set outlives its schedule's start: read only when something is marked taken.
      const setExpiresAtMs =
        held.length + sold.length > 0
          ? (await this.schedules.get(scheduleId)).startsAt + TAKEN_SET_GRACE_MS
          : 0;
      await this.locks.settle(
        scheduleId,
        { free: ids('available'), held, heldUntil: heldUntil ?? 0, sold, setExpiresAtMs },
        lock,
      );
    } catch (err) {
      // Committed already; the leader's reconcile repairs the filter from PostgreSQL.
      this.logger.warn(
        { err: (err as Error).message, scheduleId },
        'seat filter not updated after commit',
      );
    }
  }
}
