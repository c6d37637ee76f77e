import type { Request, Response } from 'express';
import { AppError } from '../../infra/app-error.js';
import type { IdempotentRequest, StoredResponse } from './idempotency.service.js';

/** The answers an Idempotency-Key adds to a route (SPEC §3.3). */
export const IDEMPOTENCY_ERRORS = ['IDEMPOTENCY_KEY_IN_USE', 'IDEMPOTENCY_KEY_REUSED'] as const;

export const IDEMPOTENCY_HEADER = {
  'Idempotency-Key': {
    description: 'Makes a retried POST take effect once (scoped to the user, kept 24 h).',
  },
};

const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The idempotent request of an authenticated user: the Idempotency-Key header (1..255 visible
 * ASCII chars, else 400), the method, the path and the validated body (null without one). The
 * express routes (idempotentRequest) and the hot ones (hot-http.ts) read it alike.
 */
export function idempotencyOf(
  userId: number,
  key: string | undefined,
  method: string,
  path: string,
  body: unknown,
): IdempotentRequest {
  if (key !== undefined && !KEY.test(key)) {
    throw new AppError('VALIDATION_FAILED', {
      details: {
        issues: [
          { path: 'headers.idempotency-key', message: 'must be 1-255 visible ASCII characters' },
        ],
      },
    });
  }
  return { userId, key, method, path, body };
}

/** Reads the Idempotency-Key header of an authenticated request (see idempotencyOf). */
export function idempotentRequest(req: Request): IdempotentRequest {
  return idempotencyOf(
    req.auth!.userId,
    req.header('idempotency-key'),
    req.method,
    req.baseUrl + req.path,
    req.valid?.body ?? null,
  );
}

/** The answer, first or replayed, with the status the route chose for it. */
export function storedAnswer(
  status: number,
  stored: StoredResponse,
): { status: number; body: unknown; headers?: Record<string, string> } {
  return stored.replayed
    ? { status, body: stored.body, headers: REPLAYED }
    : { status, body: stored.body };
}

const REPLAYED: Record<string, string> = Object.freeze({ 'Idempotent-Replayed': 'true' });

/** Sends an answer, first or replayed, with the status the route chose for it. */
export function sendStored(res: Response, status: number, stored: StoredResponse): void {
  if (stored.replayed) res.setHeader('Idempotent-Replayed', 'true');
  res.status(status).json(stored.body);
}
