import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../../infra/app-error.js';
import type { AccessTokens } from './access-tokens.crypto.js';

function bearer(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

/** The user of `Authorization: Bearer <valid access token>`, or null. */
export function authenticatedUser(tokens: AccessTokens, authorization: string | undefined) {
  const token = bearer(authorization);
  return token ? tokens.userIdOf(token) : null;
}

/** Sets req.auth from a valid access token, or answers 401 UNAUTHENTICATED. */
export function requireUser(tokens: AccessTokens): RequestHandler {
  return (req, _res, next) => {
    const userId = authenticatedUser(tokens, req.headers.authorization);
    if (!userId) return next(new AppError('UNAUTHENTICATED'));
    req.auth = { userId };
    next();
  };
}

/** Operators authenticate with the configured ADMIN_TOKEN as a bearer token. */
export function requireAdmin(adminToken: string): RequestHandler {
  // Compare digests so the comparison takes the same time whatever the input length.
  const expected = createHash('sha256').update(adminToken).digest();
  return (req, _res, next) => {
    const token = bearer(req.headers.authorization);
    const given = createHash('sha256')
      .update(token ?? '')
      .digest();
    if (!token || !timingSafeEqual(given, expected)) return next(new AppError('UNAUTHENTICATED'));
    next();
  };
}
