import { AppError } from '../../infra/app-error.js';
import type { SaleWindowCache } from './sale-windows.cache.js';
import type { QueueStore, SeatBudget } from './queue.store.js';

// What the leader and the gateways ask of the lines as a whole (through QueueService): which
// lines there are, which sales are over, what bounds admissions by seats, sizes and signs of life.

type Clock = () => Date;

/** A concert's seats on its schedules on sale, and which of its admitted fans hold some. */
export interface SeatsOnSale {
  concertId: number;
  schedules: number;
  available: number;
  held: number;
  holders: number[];
}

export class QueueLinesService {
  constructor(
    private readonly store: QueueStore,
    private readonly saleWindows: SaleWindowCache,
    private readonly now: Clock,
  ) {}

  /**
   * Which of these concerts' sales are over: every schedule has started (a concert without
   * schedules yet is not over, nor one whose window cannot be read now). Their lines can go.
   */
  async salesOver(concertIds: number[]): Promise<number[]> {
    const now = this.now().getTime();
    const over = await Promise.all(
      concertIds.map(async (concertId) => {
        try {
          const { saleEndsAt } = await this.saleWindows.get(concertId);
          return saleEndsAt !== null && saleEndsAt <= now;
        } catch (err) {
          return err instanceof AppError && err.code === 'CONCERT_NOT_FOUND';
        }
      }),
    );
    return concertIds.filter((_, i) => over[i]);
  }

  /**
   * What bounds each line's admissions this tick (SPEC §2 "Sold-out awareness"), from `read`
   * (booking's one statement for all the lines: seats on sale, and which admitted fans hold some).
   * A line without a schedule on sale is not bounded by seats (nothing on sale can run out) and
   * is never sold out.
   */
  async seatBudgets(
    lines: { concertId: number; active: number[] }[],
    read: (lines: { concertId: number; active: number[] }[]) => Promise<SeatsOnSale[]>,
  ): Promise<Map<number, SeatBudget>> {
    if (lines.length === 0) return new Map();
    const budgets = new Map<number, SeatBudget>(lines.map((l) => [l.concertId, { seats: 'none' }]));
    for (const s of await read(lines)) {
      if (s.schedules === 0) continue;
      budgets.set(s.concertId, {
        seats: 'counted',
        available: s.available,
        held: s.held,
        holders: s.holders,
      });
    }
    return budgets;
  }

  /** The concerts whose lines the leader runs. */
  concerts(): Promise<number[]> {
    return this.store.concerts();
  }

  /** A line's sizes (metrics). */
  counts(concertId: number): ReturnType<QueueStore['counts']> {
    return this.store.counts(concertId);
  }

  /** Signs of life of fans with a connected socket: one Redis call for all of them. */
  touchConnected(concertId: number, userIds: number[]): Promise<void> {
    return this.store.touchSeen(concertId, userIds);
  }
}
