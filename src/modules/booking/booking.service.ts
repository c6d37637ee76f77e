import { AppError } from '../../infra/http/errors.js';
import type { HoldsService } from './holds.service.js';
import type { PaymentsService } from './payments.service.js';
import type { RefundsService } from './refunds.service.js';
import type { ReservationsService } from './reservations.service.js';

export type { BookingCounters } from './holds.service.js';

export interface BookingOutcome {
  kind: 'hold' | 'payment' | 'refund';
  /** 'ok' or the error code. */
  outcome: string;
}

/**
 * Booking, by what it does: holds (with their cancel and expiry), payments, refunds, and the
 * reads of seat maps and reservations. Seat announcements run after each commit through
 * `SeatAnnouncements.afterCommit`, the one way to do work after a commit. This only gathers them
 * for the routes and tells `onOutcome` (metrics, given at construction) how each write ended.
 */
export class BookingService {
  constructor(
    readonly holds: HoldsService,
    readonly payments: PaymentsService,
    readonly refunds: RefundsService,
    readonly reservations: ReservationsService,
    private readonly onOutcome: (o: BookingOutcome) => void = () => undefined,
  ) {}

  /** What the hold-storm test and the benchmark read: how many holds reached the database. */
  get counters() {
    return this.holds.counters;
  }

  /** Runs a hold, payment or refund and reports how it ended. */
  async observed<T>(kind: BookingOutcome['kind'], work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.onOutcome({ kind, outcome: 'ok' });
      return result;
    } catch (err) {
      this.onOutcome({ kind, outcome: err instanceof AppError ? err.code : 'error' });
      throw err;
    }
  }
}
