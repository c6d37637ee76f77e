import type { Logger } from 'pino';
import type { BookingService } from './booking.service.js';

/**
 * Marks expired holds as such and announces their freed seats. Expiry is already lazy everywhere
 * (reads, new holds and payments treat a hold past its deadline as gone); this job makes the rows
 * and the seat maps catch up. It runs only on the queue leader, so one instance does it.
 */
export class HoldSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly booking: BookingService,
    private readonly isLeader: () => boolean,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sweep(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async sweep(): Promise<number> {
    if (this.running || !this.isLeader()) return 0;
    this.running = true;
    try {
      const swept = await this.booking.sweepExpiredHolds();
      if (swept > 0) this.logger.debug({ swept }, 'expired holds swept');
      return swept;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'hold sweep failed');
      return 0;
    } finally {
      this.running = false;
    }
  }
}
