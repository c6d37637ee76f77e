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

/** Reads the Idempotency-Key header of an authenticated request (1..255 visible ASCII chars). */
export function idempotentRequest(req: Request): IdempotentRequest {
  const key = req.header('idempotency-key');
  if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new AppError('VALIDATION_FAILED', {
      details: {
        issues: [
          { path: 'headers.idempotency-key', message: 'must be 1-255 visible ASCII characters' },
        ],
      },
    });
  }
  return {
    userId: req.auth!.userId,
    key,
    method: req.method,
    path: req.baseUrl + req.path,
    body: req.valid?.body ?? null,
  };
}

/** Sends an answer, first or replayed, with the status the route chose for it. */
export function sendStored(res: Response, status: number, stored: StoredResponse): void {
  if (stored.replayed) res.setHeader('Idempotent-Replayed', 'true');
  res.status(status).json(stored.body);
}
