import { AppError } from '../../infra/app-error.js';
import type {
  IdempotencyService,
  IdempotentRequest,
  StoredResponse,
} from '../idempotency/idempotency.service.js';
import type { BookingStatements, PaidOutcome } from './booking.statements.js';
import type { PaymentView } from './booking.views.js';
import { expiredChanges } from './holds.service.js';
import type { AfterCommit, SeatAnnouncements } from './seat-announcements.events.js';

/** Seed policy against abuse: a hold is released after this many failed payments. */
export const MAX_FAILED_PAYMENTS = 5;

/**
 * Pays a live hold in full from points: one statement (`booking_pay`) debits the wallet, writes
 * the ledger row, marks the reservation paid, sells its seats and writes the Idempotency-Key's
 * record with its answer (one round trip, with or without a key), or does nothing. A refusal
 * that changes something commits with it, in the same round trip: paying a lapsed hold expires
 * it; a payment short of points counts as failed (and leaves the key free), and the fifth releases the
 * hold. Then the fan's admission ends (seed policy: a fan who has paid exits).
 */
export class PaymentsService {
  constructor(
    private readonly statements: BookingStatements,
    private readonly idempotency: IdempotencyService,
    private readonly announcements: SeatAnnouncements,
  ) {}

  async pay(
    userId: number,
    reservationId: number,
    idem: IdempotentRequest,
  ): Promise<StoredResponse<PaymentView>> {
    let effects: AfterCommit = {};
    try {
      return await this.idempotency.once(idem, async (claim) => {
        const outcome = await this.statements.pay(
          userId,
          reservationId,
          MAX_FAILED_PAYMENTS,
          claim,
        );
        if ('replay' in outcome) return { body: outcome.replay, replayed: true };
        effects = afterPayment(userId, outcome);
        if (outcome.error) throw new AppError(outcome.error, { details: outcome.details });
        return { body: outcome.body, replayed: false };
      });
    } finally {
      await this.announcements.afterCommit(effects);
    }
  }
}

/** What a payment's commit changed: seats sold or freed, and the admission it ended. */
function afterPayment(userId: number, outcome: PaidOutcome): AfterCommit {
  const { scheduleId, version, availableSeats } = outcome;
  const availability = { version, availableSeats };
  const entry = { userId, concertId: outcome.concertId, entryId: outcome.queueEntryId };
  if (outcome.error === 'HOLD_EXPIRED') return { seats: expiredChanges(outcome.expired) };
  if (outcome.error === 'INSUFFICIENT_POINTS') {
    if (!outcome.released) return {};
    const changes = outcome.released.map((seatId) => ({ seatId, status: 'available' as const }));
    return {
      seats: [{ scheduleId, changes, availability }],
      admissionEnds: [{ ...entry, reason: 'removed' }],
    };
  }
  const changes = outcome.sold.map((seatId) => ({ seatId, status: 'sold' as const }));
  return {
    seats: [{ scheduleId, changes, availability }],
    // Only the entry the hold was made under: a place the fan took since then stays.
    admissionEnds: [{ ...entry, reason: 'completed' }],
  };
}
