import { ERROR_CATALOGUE, type ErrorCode } from '@lineup/client-sdk/contract';

// The error a service, a guard or the socket gateway throws: a code of the contract's catalogue
// (client-sdk/src/contract/errors.ts), which fixes its HTTP status and default message. The error
// middleware and the socket gateway turn it into the envelope; nothing here knows about HTTP.

export type { ErrorCode };

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
    const status = ERROR_CATALOGUE[code].status;
    // A refusal (4xx) is an answer, not a fault: nothing logs where it was thrown, and capturing
    // the stack was ~1 % of a seat storm's instance CPU (a refusal per request). A 5xx keeps it.
    if (status < 500) {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      super(options.message ?? ERROR_CATALOGUE[code].message);
      Error.stackTraceLimit = limit;
    } else {
      super(options.message ?? ERROR_CATALOGUE[code].message);
    }
    this.name = 'AppError';
    this.code = code;
    this.status = status;
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

/** The envelope's shape (SPEC §4), as `ErrorEnvelope` in the contract. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}
