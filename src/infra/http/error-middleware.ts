import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { DriverException, ConnectionException } from '@mikro-orm/core';
import { AppError } from './errors.js';

/** Unknown route: 404 NOT_FOUND in the envelope. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', { details: { method: req.method, path: req.path } }));
};

/** The one place errors become responses: AppError, body-parser errors, dependency failures. */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const appErr = toAppError(err);
    if (appErr.status >= 500) {
      (req.log ?? logger).error({ err }, 'request failed: %s', appErr.code);
    }
    if (res.headersSent) return;
    for (const [name, value] of Object.entries(appErr.headers ?? {})) res.setHeader(name, value);
    res.status(appErr.status).json(appErr.toBody());
  };
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as {
    type?: string;
    status?: number;
    code?: string;
    name?: string;
    message?: string;
  };
  // body-parser (express.json) errors carry a `type`.
  if (e?.type === 'entity.parse.failed') return new AppError('MALFORMED_JSON');
  if (e?.type === 'entity.too.large') return new AppError('PAYLOAD_TOO_LARGE');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new AppError('UNSUPPORTED_MEDIA_TYPE');
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    // Other client errors of body-parser (e.g. a bad gzip body) and the router (an undecodable
    // path parameter): still VALIDATION_FAILED with details.issues, as SPEC §4 promises.
    const message = e.message ?? 'Bad request.';
    const path = e.type ? 'body' : 'params';
    return new AppError('VALIDATION_FAILED', { message, details: { issues: [{ path, message }] } });
  }
  if (isDependencyDown(err)) return new AppError('SERVICE_UNAVAILABLE');
  return new AppError('INTERNAL_ERROR');
}

/** Connection-level failures of PostgreSQL or Redis: the client should retry, it did nothing wrong. */
export function isDependencyDown(err: unknown): boolean {
  if (err instanceof ConnectionException) return true;
  const e = err as { code?: string; name?: string; message?: string; cause?: unknown };
  const codes = [
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    '57P01',
    '57P02',
    '57P03',
    '08006',
    '08003',
    '08001',
    '53300', // too_many_connections: PostgreSQL is at max_connections; retrying later works
  ];
  if (e?.code && codes.includes(e.code)) return true;
  // SQLSTATE classes 08 (connection exception) and 57P (operator intervention: the backend was
  // terminated, the server is shutting down or starting): whichever code a killed backend sends.
  if (typeof e?.code === 'string' && /^(08|57P)[0-9A-Z]{2,3}$/.test(e.code)) return true;
  // "Transaction query already complete": knex trying to roll back on a connection the server
  // already terminated — the transaction is gone with the connection, nothing was committed.
  if (
    err instanceof DriverException &&
    /terminat|connection|Transaction query already complete/i.test(e.message ?? '')
  ) {
    return true;
  }
  if (e?.name === 'MaxRetriesPerRequestError') return true;
  // ioredis' commandTimeout (a plain Error): Redis did not answer in time.
  if (e?.message === 'Command timed out') return true;
  // The pool stayed exhausted for its whole acquire timeout: overloaded, not broken.
  if (e?.name === 'KnexTimeoutError') return true;
  // Client-side states of a pg connection that died under the query (no SQLSTATE): "Client was
  // closed and is not queryable", "Connection terminated unexpectedly", ioredis' closed stream.
  if (
    /Connection is closed|Stream isn't writeable|Connection terminated|is not queryable/i.test(
      e?.message ?? '',
    )
  )
    return true;
  return e?.cause ? isDependencyDown(e.cause) : false;
}
