import type { Logger } from 'pino';
import type { FairnessService } from './fairness.service.js';
import type { QueueProgress } from '@lineup/client-sdk/contract';
import type { AdmissionHistory } from './admission-history.store.js';
import type { QueueEventPublisher } from './queue.events.js';
import type {
  ConcertTick,
  Lease,
  PolicyDefaults,
  QueueStore,
  SeatBudget,
  TickResult,
} from './queue.store.js';

export interface LeaderOptions {
  instanceId: string;
  leaseMs: number;
  tickMs: number;
  abandonSeconds: number;
  defaults: () => PolicyDefaults;
  /** Which of these concerts' sales are over (every schedule started): their lines retire. */
  salesOver: (concertIds: number[]) => Promise<number[]>;
  /** The provably fair pre-queue (fairness.service.ts): orders it, and records the reveal. */
  fairness: Pick<FairnessService, 'order' | 'recordReveal'>;
  /**
   * The seats that bound these lines' admissions this tick (QueueService.seatBudgets): one read
   * of PostgreSQL per tick for all the lines, never per fan (SPEC §2 "Sold-out awareness").
   */
  seatBudgets: (
    lines: { concertId: number; active: number[] }[],
  ) => Promise<Map<number, SeatBudget>>;
  /** Admissions per line over the last minutes (the operators' chart). */
  history?: AdmissionHistory;
  /** Told whenever this instance gains or loses the lead (metrics). */
  onChange?: (leading: boolean) => void;
}

/** A line whose seats could not be read this tick admits nobody (admit-9.lua). */
const UNKNOWN_SEATS: SeatBudget = { seats: 'unknown' };

/** How often (in ticks) the leader looks for lines whose sale is over. */
const RETIRE_EVERY_TICKS = 30;

/**
 * Exactly one instance leads: it holds a Redis lease (renewed every leaseMs/3) and, every tick,
 * runs each concert's admission. Every leader write is fenced inside Redis by the lease token,
 * so losing the lease — crash, pause, partition — means writing nothing more. Followers try to
 * take the lease every leaseMs/3, so a dead leader is replaced within leaseMs + leaseMs/3.
 */
export class QueueLeader {
  private lease: Lease | null = null;
  private leaseTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | null = null;
  /** Ticks run since this instance took the lead (the first one looks for lines to retire). */
  private ticksLed = 0;
  /** Set by stop(), so a lease check already in flight does not take the lease back. */
  private stopped = false;
  /** Told whenever this instance gains or loses the lead: options.onChange, then observers. */
  private readonly changeListeners: ((leading: boolean) => void)[] = [];

  constructor(
    private readonly store: QueueStore,
    private readonly options: LeaderOptions,
    private readonly events: QueueEventPublisher,
    private readonly logger: Logger,
  ) {
    if (options.onChange) this.changeListeners.push(options.onChange);
  }

  /** Observes changes of leadership (tests); returns the unsubscribe. */
  onLeadershipChange(listener: (leading: boolean) => void): () => void {
    this.changeListeners.push(listener);
    return () => this.changeListeners.splice(this.changeListeners.indexOf(listener) >>> 0, 1);
  }

  get isLeader(): boolean {
    return this.lease !== null;
  }

  /** The lease this instance believes it holds (null when following). */
  get currentLease(): Lease | null {
    return this.lease;
  }

  start(): void {
    if (this.leaseTimer) return;
    this.stopped = false;
    void this.maintainLease();
    this.leaseTimer = setInterval(
      () => void this.maintainLease(),
      Math.max(10, Math.floor(this.options.leaseMs / 3)),
    );
    this.tickTimer = setInterval(() => void this.tick(), this.options.tickMs);
  }

  /**
   * Stops the loops. With `release` (graceful shutdown) the lease is handed back so another
   * instance leads at once; without it the lease is left to expire, as after a crash.
   */
  async stop({ release = true } = {}): Promise<void> {
    this.stopped = true;
    clearInterval(this.leaseTimer);
    clearInterval(this.tickTimer);
    this.leaseTimer = this.tickTimer = undefined;
    await this.ticking; // a tick under way finishes (and publishes) before we report stopped
    const lease = this.lease;
    if (release && lease) await this.store.releaseLease(lease.token).catch(() => undefined);
    this.setLease(null);
  }

  /** Takes the lease if free, renews it if ours; notices when it was lost. */
  async maintainLease(): Promise<void> {
    try {
      if (this.lease) {
        const expiresAt = await this.store.renewLease(this.lease.token, this.options.leaseMs);
        if (expiresAt === null) this.setLease(null);
        else if (this.lease) this.lease = { ...this.lease, expiresAt };
      } else if (!this.stopped) {
        const lease = await this.store.acquireLease(this.options.instanceId, this.options.leaseMs);
        if (lease) this.setLease(lease);
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'leader lease check failed');
    }
  }

  /** One tick: renew first (a lost lease stops here), then run every concert's admission. */
  async tick(): Promise<void> {
    if (this.ticking || !this.lease) return;
    this.ticking = (async () => {
      try {
        await this.maintainLease();
        if (this.lease) await this.runConcertTicks(this.lease);
        if (this.lease) await this.recordHistory();
        if (this.lease && this.ticksLed++ % RETIRE_EVERY_TICKS === 0)
          await this.retireFinished(this.lease);
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'queue tick failed');
      }
    })();
    await this.ticking;
    this.ticking = null;
  }

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
        if (this.lease?.token === lease.token) this.setLease(null);
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

  private async recordHistory(): Promise<void> {
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

  private setLease(lease: Lease | null): void {
    const was = this.lease !== null;
    this.lease = lease;
    if (was !== (lease !== null)) {
      this.logger.info(
        { instanceId: this.options.instanceId },
        lease ? 'became queue leader' : 'lost queue leadership',
      );
      this.ticksLed = 0;
      this.options.history?.reset();
      for (const listener of this.changeListeners) listener(lease !== null);
    }
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
