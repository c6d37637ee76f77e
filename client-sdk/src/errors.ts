// One error type for everything the SDK reports: HTTP error envelopes (SPEC §4), socket
// handshake failures and acknowledgements (SPEC §5), and network failures.

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

export interface LineupErrorInit {
  code: string;
  message?: string;
  /** HTTP status; 0 when there was no HTTP answer (network, socket). */
  status?: number;
  details?: Record<string, unknown>;
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class LineupError extends Error {
  /** The SPEC error code (`SEAT_UNAVAILABLE`, `QUEUE_TOKEN_INVALID`...) or one of the SDK's own. */
  readonly code: string;
  /** HTTP status; 0 when there was no HTTP answer. */
  readonly status: number;
  /** The envelope's `details` (e.g. `seatIds`, `position`, `reason`), when the server sent any. */
  readonly details: Record<string, unknown> | undefined;
  /** From the `Retry-After` header (429 RATE_LIMITED, 503 QUEUE_FULL), in whole seconds. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: LineupErrorInit) {
    super(init.message ?? init.code, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'LineupError';
    this.code = init.code;
    this.status = init.status ?? 0;
    this.details = init.details;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }

  /**
   * The error of a non-2xx answer, from its status, its `Retry-After` header and its body text
   * (the SPEC envelope `{error: {code, message, details}}`, or anything else a proxy sent).
   */
  static fromHttp(status: number, bodyText: string, retryAfter?: string | null): LineupError {
    const retryAfterSeconds = parseRetryAfter(retryAfter);
    const envelope = parseEnvelope(bodyText);
    if (envelope) return new LineupError({ ...envelope, status, retryAfterSeconds });
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
    return new LineupError({ code, message: code, cause: err });
  }
}

/** True when `err` is a LineupError (with that code, when given). */
export function isLineupError(err: unknown, code?: string): err is LineupError {
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
