import { AppError } from '../../infra/app-error.js';
import { requestContext } from '../../infra/logger.js';
import type { BestAvailableService } from './best-available.service.js';
import type { HoldsService } from './holds.service.js';
import type { PaymentsService } from './payments.service.js';
import type { RefundsService } from './refunds.service.js';
import type { ReservationsService } from './reservations.service.js';

export interface BookingCounters {
  holdRequests: number;
  holdDatabaseWrites: number;
  holdsOk: number;
  holdRoundTrips: number;
  paymentsOk: number;
  paymentRoundTrips: number;
}

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
    readonly bestAvailable: BestAvailableService,
    private readonly onOutcome: (o: BookingOutcome) => void = () => undefined,
  ) {}

  /** PostgreSQL round trips of the holds and payments that succeeded (the benchmark's row). */
  private readonly trips = { holdsOk: 0, holdRoundTrips: 0, paymentsOk: 0, paymentRoundTrips: 0 };

  /** What the hold-storm test and the benchmark read: holds that reached the database, round trips. */
  get counters(): BookingCounters {
    return { ...this.holds.counters, ...this.trips };
  }

  /** Runs a hold, payment or refund and reports how it ended. */
  async observed<T>(kind: BookingOutcome['kind'], work: () => Promise<T>): Promise<T> {
    const store = requestContext.getStore();
    const before = store?.pgRoundTrips ?? 0;
    try {
      const result = await work();
      const trips = (store?.pgRoundTrips ?? 0) - before;
      if (kind === 'hold') {
        this.trips.holdsOk++;
        this.trips.holdRoundTrips += trips;
      }
      if (kind === 'payment') {
        this.trips.paymentsOk++;
        this.trips.paymentRoundTrips += trips;
      }
      this.onOutcome({ kind, outcome: 'ok' });
      return result;
    } catch (err) {
      this.onOutcome({ kind, outcome: err instanceof AppError ? err.code : 'error' });
      throw err;
    }
  }
}
