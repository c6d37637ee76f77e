import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../app-error.js';
import { isDependencyDown } from '../dependency-errors.js';

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
