import type { Logger } from 'pino';

export interface Chore {
  name: string;
  everyMs: number;
  /** Does one bounded round of work; returns how much it did (for the log). */
  run(): Promise<number>;
}

/**
 * Booking's background work, done only by the queue leader so that one instance does it: marking
 * expired holds (expiry is already lazy everywhere; this makes rows and seat maps catch up),
 * repairing Redis' seat filter from PostgreSQL, purging old idempotency keys. Each chore has its
 * own timer and never overlaps itself; a failed round is logged and retried on the next tick.
 */
export class LeaderChores {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<string>();

  constructor(
    private readonly chores: Chore[],
    private readonly isLeader: () => boolean,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.timers.length > 0) return;
    for (const chore of this.chores)
      this.timers.push(setInterval(() => void this.runOnce(chore), chore.everyMs));
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }

  async runOnce(chore: Chore): Promise<number> {
    if (this.running.has(chore.name) || !this.isLeader()) return 0;
    this.running.add(chore.name);
    try {
      const done = await chore.run();
      if (done > 0) this.logger.debug({ chore: chore.name, done }, 'leader chore done');
      return done;
    } catch (err) {
      this.logger.warn({ chore: chore.name, err: (err as Error).message }, 'leader chore failed');
      return 0;
    } finally {
      this.running.delete(chore.name);
    }
  }
}
