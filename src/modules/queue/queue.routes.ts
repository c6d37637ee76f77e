import { z } from 'zod';
import type { Api } from '../../infra/http/api.js';
import { AppError } from '../../infra/app-error.js';
import { sendJsonText, type HotHttp } from '../../infra/http/hot-http.js';
import { validatePart, type Issue } from '../../infra/http/validation.js';
import { IdParam } from '@lineup/client-sdk/contract';
import {
  JoinBody,
  JoinChallenge,
  JoinResponse,
  QUEUE_TICK_HEADER,
  QUEUE_TOKEN_HEADER,
  QueueFairness,
  QueueStatus,
  ScheduleAvailabilityList,
} from '@lineup/client-sdk/contract';
import type { CatalogueService } from '../catalogue/catalogue.service.js';
import { QUEUE_TOKEN_DOC, requireAdmission } from './admission.middleware.js';
import type { QueueService } from './queue.service.js';

const ConcertParams = z.strictObject({ concertId: IdParam });
const TOKEN_ONLY = {
  [QUEUE_TOKEN_HEADER]: { description: 'Queue token from joining the line.', required: true },
};

async function joinAnswer(
  queue: QueueService,
  userId: number,
  concertId: number,
  address: string,
  input: JoinBody,
) {
  // Rate limits (per user, per address) are counted by the join itself: one Redis call.
  const { created, body } = await queue.join(userId, concertId, {
    address,
    challenge: input.challenge,
  });
  return { status: created ? 201 : 200, body };
}

async function statusAnswer(queue: QueueService, token: string | undefined) {
  const { status, tick } = await queue.statusAsOfTick(token);
  // Beyond SPEC's body: the line's tick the position is exact as of, so that a client
  // following `queue:progress` frames (the load runner's exactness check) can compare.
  return { status: 200, body: status, headers: { [QUEUE_TICK_HEADER]: String(tick) } };
}

/**
 * The join and the status poll served before express (hot-http.ts): the same answers as their
 * express routes below, which still serve every request these do not take.
 */
export function queueHotRoutes(
  hot: HotHttp,
  queue: QueueService,
  /** The user of an `Authorization` header, or null (auth.middleware's authenticatedUser). */
  authenticate: (authorization: string | undefined) => number | null,
): void {
  hot.add({
    method: 'POST',
    // Ids up to 999,999,999 are valid `IdParam`s whatever their digits: no parse needed. Any
    // other spelling (larger, signed, encoded, a trailing slash) is express's to answer.
    pattern: /^\/concerts\/([1-9]\d{0,8})\/queue$/,
    route: '/concerts/:concertId/queue',
    body: true,
    async handle({ raw, match, body, address }) {
      // As the express chain: authentication first, then validation.
      const userId = authenticate(raw.headers.authorization);
      if (!userId) throw new AppError('UNAUTHENTICATED');
      const problems: Issue[] = [];
      const input = validatePart(JoinBody, body, 'body', problems) as JoinBody;
      if (problems.length > 0)
        throw new AppError('VALIDATION_FAILED', { details: { issues: problems } });
      return joinAnswer(queue, userId, Number(match[1]), address(), input);
    },
  });
  hot.add({
    method: 'GET',
    pattern: /^\/queue\/status$/,
    route: '/queue/status',
    handle: ({ raw }) =>
      statusAnswer(queue, raw.headers[QUEUE_TOKEN_HEADER_NAME] as string | undefined),
  });
}

/** As req.header(QUEUE_TOKEN_HEADER) reads it. */
const QUEUE_TOKEN_HEADER_NAME = QUEUE_TOKEN_HEADER.toLowerCase();

export function queueRoutes(api: Api, queue: QueueService, catalogue: CatalogueService): void {
  api.route(
    {
      method: 'post',
      path: '/concerts/:concertId/queue',
      hot: true,
      summary: 'Join the waiting line (idempotent: joining again returns the same place)',
      tags: ['queue'],
      auth: 'user',
      params: ConcertParams,
      body: JoinBody,
      errors: [
        'RATE_LIMITED',
        'CONCERT_NOT_FOUND',
        'SALE_ENDED',
        'QUEUE_FULL',
        'CHALLENGE_REQUIRED',
        'CHALLENGE_FAILED',
      ],
      responses: {
        201: { description: 'Joined', schema: JoinResponse },
        200: { description: 'Already in line', schema: JoinResponse },
      },
    },
    async ({ params, body: input, req, res }) => {
      const { status, body } = await joinAnswer(
        queue,
        req.auth!.userId,
        params.concertId,
        req.ip ?? 'unknown',
        input,
      );
      res.status(status).json(body);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/concerts/:concertId/queue/challenge',
      summary:
        'A join challenge: find a solution (≤ 64 chars) such that SHA-256(nonce ":" solution) starts with `bits` zero bits; bound to you, single use, valid until expiresAt',
      tags: ['queue'],
      auth: 'user',
      params: ConcertParams,
      errors: ['CONCERT_NOT_FOUND'],
      responses: { 200: { description: 'Challenge', schema: JoinChallenge } },
    },
    async ({ params, req, res }) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json(await queue.challenge(req.auth!.userId, params.concertId));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/concerts/:concertId/queue/fairness',
      summary:
        'The provably fair pre-queue: the seed commitment (before the sale), then the seed and the order of refs (after the shuffle); recompute it with the SDK’s verifyFairness()',
      tags: ['queue'],
      params: ConcertParams,
      errors: ['CONCERT_NOT_FOUND'],
      responses: { 200: { description: 'Fairness record', schema: QueueFairness } },
    },
    async ({ params, res }) => {
      const record = await queue.fairnessOf(params.concertId);
      // A revealed record never changes; before that, the answer changes at the shuffle.
      res.setHeader(
        'Cache-Control',
        record.seed ? 'public, max-age=86400, immutable' : 'public, max-age=1',
      );
      res.json(record);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/queue/status',
      hot: true,
      summary: 'Your place in line (also a sign of life)',
      tags: ['queue'],
      headers: TOKEN_ONLY,
      errors: ['QUEUE_TOKEN_INVALID', 'QUEUE_ENTRY_NOT_FOUND', 'ADMISSION_EXPIRED'],
      responses: {
        200: {
          description: 'Status',
          schema: QueueStatus,
          headers: {
            [QUEUE_TICK_HEADER]: {
              description: "The line's tick this position is exact as of (SPEC §5 `tick`).",
              schema: { type: 'integer' },
            },
          },
        },
      },
    },
    async ({ req, res }) => {
      const answer = await statusAnswer(queue, req.header(QUEUE_TOKEN_HEADER));
      res.set(answer.headers).json(answer.body);
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/queue',
      summary: 'Leave the line, or give up an admission',
      tags: ['queue'],
      headers: TOKEN_ONLY,
      errors: ['QUEUE_TOKEN_INVALID', 'QUEUE_ENTRY_NOT_FOUND'],
      responses: {
        204: { description: 'Left' },
      },
    },
    async ({ req, res }) => {
      await queue.leave(req.header(QUEUE_TOKEN_HEADER));
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'get',
      path: '/concerts/:concertId/schedules',
      summary: 'Upcoming schedules with remaining seats [admitted]',
      tags: ['booking'],
      auth: 'user',
      headers: QUEUE_TOKEN_DOC,
      params: ConcertParams,
      before: [
        requireAdmission(queue, (req) => (req.valid!.params as { concertId: number }).concertId),
      ],
      errors: ['QUEUE_TOKEN_INVALID', 'NOT_ADMITTED', 'ADMISSION_EXPIRED'],
      responses: {
        200: { description: 'Schedules', schema: ScheduleAvailabilityList },
      },
    },
    async ({ params, res }) => {
      sendJsonText(res, await catalogue.schedulesWithAvailability(params.concertId));
    },
  );
}
