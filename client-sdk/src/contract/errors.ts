// The one error catalogue (SPEC §4, §5): every code a client can see, with its HTTP status and
// default message. Without zod (like names.ts), so the page and the SDK's runtime can use the codes
// without carrying zod. The server throws `new AppError('CODE', ...)` (src/infra/app-error.ts), its
// route docs derive statuses and descriptions from here, and `ErrorEnvelope.error.code` is `ErrorCode`.
import { formatWon, POINTS, REFUND_CUTOFF_DAYS } from './limits.js';

export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: { status: 400, message: 'The request is not valid.' },
  MALFORMED_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  UNAUTHENTICATED: { status: 401, message: 'Authentication is required.' },
  INVALID_CREDENTIALS: { status: 401, message: 'Phone number or password is wrong.' },
  QUEUE_TOKEN_INVALID: { status: 401, message: 'The queue token is missing or invalid.' },
  INSUFFICIENT_POINTS: { status: 402, message: 'Not enough points to pay.' },
  NOT_ADMITTED: { status: 403, message: 'You have not been admitted yet.' },
  CHALLENGE_FAILED: {
    status: 403,
    message: 'The join challenge was not solved: unknown, expired, used or wrong solution.',
  },
  NOT_FOUND: { status: 404, message: 'No such route.' },
  USER_NOT_FOUND: { status: 404, message: 'User not found.' },
  CONCERT_NOT_FOUND: { status: 404, message: 'Concert not found.' },
  VENUE_NOT_FOUND: { status: 404, message: 'Venue not found.' },
  SCHEDULE_NOT_FOUND: { status: 404, message: 'Schedule not found.' },
  SEAT_NOT_FOUND: { status: 404, message: 'Seat not found.' },
  RESERVATION_NOT_FOUND: { status: 404, message: 'Reservation not found.' },
  QUEUE_ENTRY_NOT_FOUND: { status: 404, message: 'You are not in this queue.' },
  PHONE_TAKEN: { status: 409, message: 'This phone number is already registered.' },
  VENUE_NAME_TAKEN: { status: 409, message: 'A venue with this name already exists.' },
  SEAT_UNAVAILABLE: { status: 409, message: 'One or more seats are not available.' },
  SCHEDULE_CLOSED: { status: 409, message: 'This schedule is not on sale.' },
  SALE_ENDED: { status: 409, message: 'The sale for this concert has ended.' },
  CHALLENGE_REQUIRED: {
    status: 428,
    message: 'Joining this line needs a solved challenge (GET …/queue/challenge).',
  },
  RESERVATION_NOT_HELD: { status: 409, message: 'The reservation is not an active hold.' },
  ALREADY_PAID: { status: 409, message: 'The reservation is already paid.' },
  REFUND_WINDOW_CLOSED: {
    status: 409,
    message: `Refunds close ${REFUND_CUTOFF_DAYS} days before the show.`,
  },
  NOT_REFUNDABLE: { status: 409, message: 'The reservation cannot be refunded.' },
  IDEMPOTENCY_KEY_IN_USE: {
    status: 409,
    message: 'A request with this Idempotency-Key is still being processed.',
  },
  HOLD_EXPIRED: { status: 410, message: 'The hold has expired.' },
  ADMISSION_EXPIRED: { status: 410, message: 'Your admission has ended.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body must be JSON.' },
  CHARGE_AMOUNT_OUT_OF_RANGE: {
    status: 422,
    message: `A charge must be between ${formatWon(POINTS.chargeMin)} and ${formatWon(POINTS.chargeMax)}.`,
  },
  BALANCE_LIMIT_EXCEEDED: {
    status: 422,
    message: `The balance would exceed ${formatWon(POINTS.balanceCap)}.`,
  },
  WITHDRAW_AMOUNT_OUT_OF_RANGE: {
    status: 422,
    message: `A withdrawal must be between ${formatWon(POINTS.withdrawMin)} and ${formatWon(POINTS.balanceCap)}.`,
  },
  SEAT_LIMIT_EXCEEDED: { status: 422, message: 'Too many seats for one fan on this schedule.' },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    message: 'This Idempotency-Key was used with a different request.',
  },
  RATE_LIMITED: { status: 429, message: 'Too many requests; retry later.' },
  INTERNAL_ERROR: { status: 500, message: 'Something went wrong on our side.' },
  QUEUE_FULL: { status: 503, message: 'The waiting line is full; retry later.' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'A dependency is unavailable; retry later.' },
} as const satisfies Record<string, { status: number; message: string }>;

type Catalogue = typeof ERROR_CATALOGUE;

/** Every error code the server answers with (HTTP envelope, socket handshake and acknowledgements). */
export type ErrorCode = keyof Catalogue;

/** The HTTP status of an error code, as a type: `ErrorStatus<'SEAT_UNAVAILABLE'>` is `409`. */
export type ErrorStatus<C extends ErrorCode = ErrorCode> = Catalogue[C]['status'];

/** The codes answered with HTTP status `S`: `ErrorCodeWithStatus<404>` is the not-found codes. */
export type ErrorCodeWithStatus<S extends number> = {
  [C in ErrorCode]: Catalogue[C]['status'] extends S ? C : never;
}[ErrorCode];

/** Every code, in catalogue order (a non-empty tuple, as `z.enum` wants). */
export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as [ErrorCode, ...ErrorCode[]];

const CODE_SET: ReadonlySet<string> = new Set(ERROR_CODES);

/** True when `value` is one of the server's error codes (not one of the SDK's own). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && CODE_SET.has(value);
}

/** The HTTP status of `code`. */
export function errorStatus<C extends ErrorCode>(code: C): ErrorStatus<C> {
  return ERROR_CATALOGUE[code].status;
}
