// What `LineupError.details` holds for each code, as the server (and the SDK) fill it in.
// A code without an entry here carries no documented details (`Record<string, unknown>`).
import type { QueueEndReason, QueueEnded } from './contract/events.js';
import type { QueueState } from './contract/queue.js';
import type { ReservationStatus } from './contract/booking.js';
import type { LineupErrorCode } from './errors.js';

export interface ErrorDetailsMap {
  /** One entry per field that failed (`path` like `body.amount`, `headers.idempotency-key`). */
  VALIDATION_FAILED: { issues: { path: string; message: string }[] };
  /** The seats another fan holds or bought (choose others). */
  SEAT_UNAVAILABLE: { seatIds: number[] };
  /** The seat ids that do not exist on this schedule. */
  SEAT_NOT_FOUND: { seatIds: number[] };
  /** The per-fan limit, and what the request asked or the fan already holds/owns. */
  SEAT_LIMIT_EXCEEDED: { max: number; requested?: number; alreadyHeldOrBought?: number };
  /** Where the fan is (still waiting: `status` and `position`), or why the token does not fit. */
  NOT_ADMITTED: {
    status: QueueState | null;
    position: number | null;
    estimatedWaitSeconds?: number | null;
    reason?: string;
    tokenConcertId?: number;
  };
  /** How the admission ended. */
  ADMISSION_EXPIRED: { reason: QueueEndReason };
  QUEUE_TOKEN_INVALID: { reason?: string };
  /** Payment: the amount due and tries left before the hold is released; withdrawal: the balance. */
  INSUFFICIENT_POINTS: {
    amount: number;
    balance?: number;
    failedAttempts?: number;
    attemptsLeft?: number;
  };
  CHARGE_AMOUNT_OUT_OF_RANGE: { min: number; max: number };
  WITHDRAW_AMOUNT_OUT_OF_RANGE: { min: number; max: number };
  /** `balance` and `cap` for a charge; `refund` (the amount) for a refund that would pass the cap. */
  BALANCE_LIMIT_EXCEEDED: { balance?: number; cap?: number; refund?: number };
  HOLD_EXPIRED: { expiresAt: string };
  RESERVATION_NOT_HELD: { status: ReservationStatus };
  NOT_REFUNDABLE: { status: ReservationStatus };
  REFUND_WINDOW_CLOSED: { refundableUntil: string };
  SCHEDULE_CLOSED: { saleOpensAt: string; startsAt: string };
  RATE_LIMITED: { retryAfterSeconds: number };
  NOT_FOUND: { method: string; path: string };
  /** The SDK's own: the `queue:ended` payload. */
  QUEUE_ENDED: QueueEnded;
}

/** Each code's details; every entry stays an open record (a server may add fields). */
type DetailsByCode = {
  [K in LineupErrorCode]: K extends keyof ErrorDetailsMap
    ? ErrorDetailsMap[K] & Record<string, unknown>
    : Record<string, unknown>;
};

/**
 * The details of code `C`: typed once the code is known (after `isLineupError(err,
 * 'SEAT_UNAVAILABLE')` or a `switch` on `err.code`); for any code, an open record.
 */
export type ErrorDetails<C extends LineupErrorCode> = DetailsByCode[C];
