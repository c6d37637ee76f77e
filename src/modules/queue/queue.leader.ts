import type { Logger } from 'pino';
import type { FairnessService } from './fairness.service.js';
import type { AdmissionHistory } from './admission-history.store.js';
import type { QueueEventPublisher } from './queue.events.js';
import type { ConcertTick, Lease, PolicyDefaults, QueueStore, SeatBudget } from './queue.store.js';
import { QueueTickRunner } from './queue-tick.leader.js';

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
  /** The tick's work (queue-tick.leader.ts), run with the lease this instance holds. */
  private readonly ticks: QueueTickRunner;

  constructor(
    private readonly store: QueueStore,
    private readonly options: LeaderOptions,
    events: QueueEventPublisher,
    private readonly logger: Logger,
  ) {
    this.ticks = new QueueTickRunner(store, options, events, logger, (lease) => {
      if (this.lease?.token === lease.token) this.setLease(null);
    });
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
  runConcertTicks(lease: Lease): Promise<ConcertTick[]> {
    return this.ticks.runConcertTicks(lease);
  }

  private recordHistory(): Promise<void> {
    return this.ticks.recordHistory();
  }

  /**
   * Lines of concerts whose schedules have all started leave the leader's work and Redis: their
   * remaining fans are told the line closed.
   */
  retireFinished(lease: Lease): Promise<void> {
    return this.ticks.retireFinished(lease);
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
