// One error type for everything the SDK reports: HTTP error envelopes (SPEC §4), socket
// handshake failures and acknowledgements (SPEC §5), and network failures.
import { errorStatus, isErrorCode, type ErrorCode } from './contract/errors.js';
import type { ErrorDetails } from './error-details.js';

// The SDK's own codes (client side: no server sent them). Server codes are the contract's
// `ErrorCode`; the two sets never overlap.

/** A request never got an HTTP answer (DNS, refused connection, reset, CORS, offline...). */
export const NETWORK_ERROR = 'NETWORK_ERROR';
/** An answer that is not the JSON the contract promises (e.g. an HTML page from a proxy). */
export const UNEXPECTED_RESPONSE = 'UNEXPECTED_RESPONSE';
/** A socket call that needs a connected socket, and none connected in time. */
export const NOT_CONNECTED = 'NOT_CONNECTED';
/** A socket acknowledgement that did not arrive in time. */
export const ACK_TIMEOUT = 'ACK_TIMEOUT';
/** The caller cancelled: its `AbortSignal` fired. Nothing is wrong with the service. */
export const ABORTED = 'ABORTED';
/** The caller's time limit (`timeoutMs`) ran out before an answer. */
export const TIMEOUT = 'TIMEOUT';
/** `waitForAdmission()` and socket calls after the entry ended (`details`: the `ended` payload). */
export const QUEUE_ENDED = 'QUEUE_ENDED';
/** `waitForAdmission()`, `statuses()` and socket calls after `close()`. */
export const CONNECTION_CLOSED = 'CONNECTION_CLOSED';

/** Every code the SDK itself reports (no server answered with it). */
export const CLIENT_ERROR_CODES = [
  NETWORK_ERROR,
  UNEXPECTED_RESPONSE,
  NOT_CONNECTED,
  ACK_TIMEOUT,
  ABORTED,
  TIMEOUT,
  QUEUE_ENDED,
  CONNECTION_CLOSED,
] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/** Any code a LineupError can carry: the server's (`ErrorCode`) or the SDK's own. */
export type LineupErrorCode = ErrorCode | ClientErrorCode;

/** True for the SDK's own codes (the service said nothing: network, cancel, closed...). */
export function isClientErrorCode(code: unknown): code is ClientErrorCode {
  return (CLIENT_ERROR_CODES as readonly unknown[]).includes(code);
}

export interface LineupErrorInit<C extends LineupErrorCode = LineupErrorCode> {
  code: C;
  message?: string;
  /** HTTP status; 0 when there was no HTTP answer (network, socket). */
  status?: number;
  details?: ErrorDetails<C>;
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class LineupError<C extends LineupErrorCode = LineupErrorCode> extends Error {
  /**
   * The server's code (the contract's `ErrorCode`: `SEAT_UNAVAILABLE`, `QUEUE_TOKEN_INVALID`...)
   * or one of the SDK's own (`ClientErrorCode`: `NETWORK_ERROR`, `ABORTED`, `TIMEOUT`...). A code
   * a newer server invents arrives as it is.
   */
  readonly code: C;
  /**
   * HTTP status. Socket handshake refusals and acknowledgements carry the status the catalogue
   * gives their code (e.g. 401 QUEUE_TOKEN_INVALID); 0 when no server answered (client codes).
   */
  readonly status: number;
  /** The envelope's `details`, typed per code (`SEAT_UNAVAILABLE` → `{seatIds}`), when sent. */
  readonly details: ErrorDetails<C> | undefined;
  /** From the `Retry-After` header (429 RATE_LIMITED, 503 QUEUE_FULL...), in whole seconds. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: LineupErrorInit<C>) {
    super(init.message ?? init.code, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'LineupError';
    this.code = init.code;
    this.status = init.status ?? 0;
    this.details = init.details;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }

  /** True when the SDK raised it itself (network, cancel, time limit, closed): no server refusal. */
  get isClientSide(): boolean {
    return isClientErrorCode(this.code);
  }

  /**
   * A refusal the server sent without HTTP (a socket acknowledgement or handshake): its status is
   * the catalogue's for that code, so it reads the same as the HTTP answer would.
   */
  static fromServerCode(code: string, message?: string, cause?: unknown): LineupError {
    const status = isErrorCode(code) ? errorStatus(code) : 0;
    return new LineupError({ code: code as ErrorCode, message: message ?? code, status, cause });
  }

  /**
   * The error of a non-2xx answer, from its status, its `Retry-After` header and its body text
   * (the SPEC envelope `{error: {code, message, details}}`, or anything else a proxy sent).
   */
  static fromHttp(status: number, bodyText: string, retryAfter?: string | null): LineupError {
    const retryAfterSeconds = parseRetryAfter(retryAfter);
    const envelope = parseEnvelope(bodyText);
    if (envelope)
      return new LineupError({
        code: envelope.code as ErrorCode,
        message: envelope.message,
        details: envelope.details as ErrorDetails<ErrorCode>,
        status,
        retryAfterSeconds,
      });
    return new LineupError({
      code: UNEXPECTED_RESPONSE,
      message: `HTTP ${status}${bodyText ? `: ${bodyText.slice(0, 200)}` : ''}`,
      status,
      retryAfterSeconds,
    });
  }

  /** Reads a fetch `Response` that is not ok. */
  static async fromResponse(res: Response): Promise<LineupError> {
    let text = '';
    try {
      text = await res.text();
    } catch {
      /* the body could not be read: the status still says what happened */
    }
    return LineupError.fromHttp(res.status, text, res.headers.get('retry-after'));
  }

  /** The caller's signal fired (`ABORTED`, with the signal's reason as `cause`). */
  static aborted(what: string, reason?: unknown): LineupError {
    return new LineupError({ code: ABORTED, message: `${what} was aborted`, cause: reason });
  }

  /** The caller's time limit ran out (`TIMEOUT`). */
  static timeout(what: string, timeoutMs: number): LineupError {
    return new LineupError({ code: TIMEOUT, message: `${what} took longer than ${timeoutMs} ms` });
  }

  static network(cause: unknown): LineupError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new LineupError({ code: NETWORK_ERROR, message: `Network error: ${reason}`, cause });
  }

  /** A socket.io `connect_error`: the handshake's message is the SPEC code (`data.code` too). */
  static fromConnectError(err: Error & { data?: unknown }): LineupError {
    const data = isRecord(err.data) ? err.data : undefined;
    const code = typeof data?.code === 'string' ? data.code : err.message;
    // socket.io-client's own failures ("websocket error", "timeout") are network errors.
    if (!/^[A-Z][A-Z0-9_]*$/.test(code)) return LineupError.network(err);
    return LineupError.fromServerCode(code, code, err);
  }
}

/**
 * True when `err` is a LineupError (with that code, when given: only the contract's codes and
 * the SDK's own compile, and `err.details` is then typed for that code).
 */
export function isLineupError<C extends LineupErrorCode = LineupErrorCode>(
  err: unknown,
  code?: C,
): err is LineupError<C> {
  return err instanceof LineupError && (code === undefined || err.code === code);
}

/**
 * `Retry-After` is either whole seconds or an HTTP date (RFC 9110 §10.2.3). Returns seconds from
 * now (never negative), or undefined when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

function parseEnvelope(
  text: string,
): { code: string; message: string; details?: Record<string, unknown> } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(body) || !isRecord(body.error)) return undefined;
  const { code, message, details } = body.error;
  if (typeof code !== 'string') return undefined;
  return {
    code,
    message: typeof message === 'string' ? message : code,
    details: isRecord(details) ? details : undefined,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
