import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { SeatEventPublisher } from '../realtime/seat-events.js';
import type { SeatBoardRepository } from './seat-board.repository.js';
import type { ScheduleFactsCache } from './schedule-facts.js';
import type { SeatLockStore } from './seat-locks.store.js';

export type SeatChange = { seatId: number; status: 'available' | 'held' | 'sold' };

// A schedule's "taken" set outlives its start by this much: no hold can be made once it started,
// and the margin covers clocks that disagree a little.
const TAKEN_SET_GRACE_MS = 60 * 60_000;

/**
 * Tells the world about committed seat changes: the Redis "taken" filter in front of holds, and
 * `seats:changed` to subscribed sockets. Runs after the commit, so a write that fails here cannot
 * undo a booking; a filter entry left behind (Redis cut while a refund or cancel committed) would
 * refuse a seat PostgreSQL says is available, so the leader's `reconcile` removes every entry the
 * database contradicts (SPEC §3.6).
 */
export class SeatBoard {
  constructor(
    private readonly em: () => EntityManager,
    private readonly repo: SeatBoardRepository,
    private readonly locks: SeatLockStore,
    private readonly schedules: ScheduleFactsCache,
    private readonly seatEvents: SeatEventPublisher,
    private readonly logger: Logger,
  ) {}

  /** Notes freshly held seats in the filter until the hold's deadline. */
  async held(scheduleId: number, seatIds: number[], untilMs: number): Promise<void> {
    await this.filter(scheduleId, [], seatIds, untilMs);
  }

  async announce(scheduleId: number, changes: SeatChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.filter(
      scheduleId,
      changes.filter((c) => c.status === 'available').map((c) => c.seatId),
      changes.filter((c) => c.status === 'sold').map((c) => c.seatId),
      Infinity,
    );
    try {
      const availableSeats = await this.repo.availableCount(this.em(), scheduleId);
      this.seatEvents.seatsChanged({ scheduleId, availableSeats, changes });
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message, scheduleId },
        'could not announce seat changes',
      );
    }
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

  private async filter(
    scheduleId: number,
    freed: number[],
    taken: number[],
    untilMs: number,
  ): Promise<void> {
    try {
      await this.locks.markFree(scheduleId, freed);
      if (taken.length > 0) {
        const { startsAt } = await this.schedules.get(scheduleId);
        await this.locks.markTaken(scheduleId, taken, untilMs, startsAt + TAKEN_SET_GRACE_MS);
      }
    } catch (err) {
      // Committed already; the leader's reconcile repairs the filter from PostgreSQL.
      this.logger.warn(
        { err: (err as Error).message, scheduleId },
        'seat filter not updated after commit',
      );
    }
  }
}
