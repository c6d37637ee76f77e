import type { Request, RequestHandler } from 'express';
import { QUEUE_TOKEN_HEADER } from '@lineup/client-sdk/contract';
import type { QueueService } from './queue.service.js';

export const QUEUE_TOKEN_DOC = {
  [QUEUE_TOKEN_HEADER]: {
    description: 'Queue token from joining the line; its holder must be admitted.',
    required: true,
  },
};

/**
 * The [admitted] guard (SPEC §4), reusable by any booking route: the user must be authenticated,
 * and the X-Queue-Token must be theirs, for this concert, and its holder active in Redis. Each
 * pass pushes back the fan's idle expiry. `concertOf` says which concert the resource belongs to;
 * it is asked only once the token and the admission passed, so a refused fan costs no lookup.
 */
export function requireAdmission(
  queue: QueueService,
  concertOf: (req: Request) => Promise<number> | number,
): RequestHandler {
  return async (req, _res, next) => {
    try {
      const claims = await queue.requireActiveFor(
        req.header(QUEUE_TOKEN_HEADER),
        req.auth!.userId,
        () => concertOf(req),
      );
      req.admission = { concertId: claims.concertId, eid: claims.eid };
      next();
    } catch (err) {
      next(err);
    }
  };
}

declare module 'express-serve-static-core' {
  interface Request {
    admission?: { concertId: number; eid: number };
  }
}
