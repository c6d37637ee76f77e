import type { Logger } from 'pino';
import type { QueueProgress } from '@lineup/client-sdk/contract';
import type { QueueEventPublisher } from './queue.events.js';
import type { LeaderOptions } from './queue.leader.js';
import type { ConcertTick, Lease, QueueStore, SeatBudget, TickResult } from './queue.store.js';

// The leader's tick (QueueLeader runs it while it holds the lease): every line's sweep and
// admission, the fairness shuffle, retiring lines whose sale is over, and the events it all makes.

/** A line whose seats could not be read this tick admits nobody (admit-9.lua). */
const UNKNOWN_SEATS: SeatBudget = { seats: 'unknown' };

/** One tick's work, always with a given lease; QueueLeader holds the lease and the timers. */
export class QueueTickRunner {
  constructor(
    private readonly store: QueueStore,
    private readonly options: LeaderOptions,
    private readonly events: QueueEventPublisher,
    private readonly logger: Logger,
    /** Redis refused `lease` (fenced): the leader drops it if it is still the one it holds. */
    private readonly onFenced: (lease: Lease) => void,
  ) {}

  /**
   * The admission work of one tick, with the given lease. Public so a test can play a leader
   * that was paused between renewing and admitting: Redis must refuse its stale lease.
   * Returns per-concert results (fenced = refused).
   */
  async runConcertTicks(lease: Lease): Promise<ConcertTick[]> {
    const swept = await this.store.sweep(
      await this.store.concerts(),
      lease,
      this.options.abandonSeconds,
    );
    const budgets = await this.seatBudgets(swept.filter((s) => !s.fenced));
    const defaults = this.options.defaults();
    const results = await Promise.all(
      swept.map(async ({ active: _active, ...sweep }): Promise<ConcertTick> => {
        const budget = budgets.get(sweep.concertId) ?? UNKNOWN_SEATS;
        const admit = sweep.fenced
          ? null
          : await this.store.admit(sweep.concertId, lease, defaults, budget);
        return { ...sweep, fenced: sweep.fenced || admit === null, admit };
      }),
    );
    for (const result of results) {
      if (result.fenced) {
        this.onFenced(lease);
        continue;
      }
      let admit = result.admit;
      let shuffled = false;
      if (admit?.needsShuffle) {
        shuffled = await this.shufflePrequeue(result.concertId, lease);
        if (shuffled) {
          const budget = budgets.get(result.concertId) ?? UNKNOWN_SEATS;
          const again = await this.store.admit(result.concertId, lease, defaults, budget);
          if (again) admit = mergeTicks(admit, again);
        }
      }
      this.publish(result, admit, shuffled);
      this.options.history?.add(result.concertId, admit?.admitted.length ?? 0);
    }
    return results;
  }

  /**
   * The seats of every line of this tick, read once; unreadable (PostgreSQL down) means no line
   * admits anyone this tick: admitting blind could send fans to a full seat map.
   */
  private async seatBudgets(
    lines: { concertId: number; active: string[] }[],
  ): Promise<Map<number, SeatBudget>> {
    try {
      return await this.options.seatBudgets(
        lines.map((l) => ({ concertId: l.concertId, active: l.active.map(Number) })),
      );
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'seats on sale not read: nobody admitted');
      return new Map();
    }
  }

  async recordHistory(): Promise<void> {
    try {
      await this.options.history?.tick();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'admission history not recorded');
    }
  }

  /**
   * Lines of concerts whose schedules have all started leave the leader's work and Redis: their
   * remaining fans are told the line closed.
   */
  async retireFinished(lease: Lease): Promise<void> {
    for (const concertId of await this.options.salesOver(await this.store.concerts())) {
      const ended = await this.store.retire(concertId, lease.token);
      if (ended === null) return;
      this.options.history?.forget(concertId);
      this.logger.info({ concertId, ended: ended.length }, 'sale over: queue retired');
      for (const user of ended)
        this.events.publish({ type: 'ended', concertId, userId: Number(user), reason: 'closed' });
    }
  }

  /**
   * Orders the pre-queue by the concert's committed seed (SPEC §2 "Provably fair pre-queue") and
   * applies that order with its reveal atomically; then records the reveal in PostgreSQL.
   */
  private async shufflePrequeue(concertId: number, lease: Lease): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const entries = await this.store.prequeueEntries(concertId);
      let ordered: Awaited<ReturnType<LeaderOptions['fairness']['order']>>;
      try {
        ordered = await this.options.fairness.order(concertId, entries);
      } catch (err) {
        // The seed is in PostgreSQL: without it the line waits (the next tick tries again).
        this.logger.warn({ concertId, err: (err as Error).message }, 'pre-queue not ordered');
        return false;
      }
      const { users, reveal } = ordered;
      const out = await this.store.shuffle(concertId, lease.token, JSON.stringify(reveal), users);
      if (out.fenced) return false;
      if (out.done === 'shuffled') {
        // The count only: the seed is public from now on, but logs never carry it.
        this.logger.info({ concertId, count: out.count }, 'pre-queue shuffled into the line');
        await this.options.fairness.recordReveal(concertId, reveal).catch((err: Error) => {
          // GET …/queue/fairness finds the reveal in Redis and records it then.
          this.logger.warn({ concertId, err: err.message }, 'fairness reveal not recorded yet');
        });
        return true;
      }
      if (out.done !== 'stale') return out.done === 'already';
    }
    return false;
  }

  private publish(result: ConcertTick, admit: TickResult | null, shuffled: boolean): void {
    const { concertId } = result;
    for (const user of result.expired)
      this.events.publish({ type: 'ended', concertId, userId: Number(user), reason: 'expired' });
    for (const user of result.removed)
      this.events.publish({ type: 'ended', concertId, userId: Number(user), reason: 'removed' });
    if (!admit) return;
    for (const [user, ticket, activeUntil] of admit.admitted) {
      this.events.publish({
        type: 'admitted',
        concertId,
        userId: Number(user),
        activeUntil,
        admittedAt: admit.at,
        tick: admit.tick,
        ticket,
      });
    }
    this.events.publish({ type: 'tick', frame: this.frameOf(concertId, admit, shuffled) });
  }

  /** The tick as every waiting socket gets it (SPEC §5 `queue:progress`). */
  private frameOf(concertId: number, admit: TickResult, shuffled: boolean): QueueProgress {
    // After a shuffle every place was rewritten; past 256 departures the list costs more than
    // each fan's own status: either way the fans get their statuses instead.
    const applicable = !shuffled && admit.departed !== null;
    return {
      concertId,
      tick: admit.tick,
      admitted: admit.admitted.length,
      departed: applicable ? admit.departed : null,
      ratePerMinute: admit.ratePerSecond === null ? null : admit.ratePerSecond * 60,
      prequeue: admit.prequeue,
      soldOut: admit.soldOut,
      heldSeats: admit.heldSeats,
    };
  }
}

function mergeTicks(first: TickResult, second: TickResult): TickResult {
  return {
    ...second,
    at: first.at,
    admitted: [...first.admitted, ...second.admitted],
    departed: first.departed && second.departed ? [...first.departed, ...second.departed] : null,
  };
}
