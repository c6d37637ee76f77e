// The one error catalogue (SPEC §4). Every error a client can see is declared here once,
// with its HTTP status and default message; code elsewhere throws `appError('CODE', ...)`.

export const ERRORS = {
  VALIDATION_FAILED: { status: 400, message: 'The request is not valid.' },
  MALFORMED_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  UNAUTHENTICATED: { status: 401, message: 'Authentication is required.' },
  INVALID_CREDENTIALS: { status: 401, message: 'Phone number or password is wrong.' },
  QUEUE_TOKEN_INVALID: { status: 401, message: 'The queue token is missing or invalid.' },
  INSUFFICIENT_POINTS: { status: 402, message: 'Not enough points to pay.' },
  NOT_ADMITTED: { status: 403, message: 'You have not been admitted yet.' },
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
  RESERVATION_NOT_HELD: { status: 409, message: 'The reservation is not an active hold.' },
  ALREADY_PAID: { status: 409, message: 'The reservation is already paid.' },
  REFUND_WINDOW_CLOSED: { status: 409, message: 'Refunds close 3 days before the show.' },
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
    message: 'A charge must be between 1,000 and 1,000,000.',
  },
  BALANCE_LIMIT_EXCEEDED: { status: 422, message: 'The balance would exceed 10,000,000.' },
  WITHDRAW_AMOUNT_OUT_OF_RANGE: {
    status: 422,
    message: 'A withdrawal must be between 1,000 and 10,000,000.',
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

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    options: {
      message?: string;
      details?: Record<string, unknown>;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(options.message ?? ERRORS[code].message);
    this.name = 'AppError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = options.details;
    this.headers = options.headers;
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function appError(
  code: ErrorCode,
  details?: Record<string, unknown>,
  headers?: Record<string, string>,
): AppError {
  return new AppError(code, { details, headers });
}
