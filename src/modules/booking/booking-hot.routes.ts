import type { Response } from 'express';
import type { z, ZodType } from 'zod';
import { HoldBody, QUEUE_TOKEN_HEADER, SeatsQuery } from '@lineup/client-sdk/contract';
import { AppError } from '../../infra/app-error.js';
import {
  JsonText,
  sendJsonText,
  type HotAnswer,
  type HotHttp,
  type HotRequest,
} from '../../infra/http/hot-http.js';
import { validatePart, type Issue } from '../../infra/http/validation.js';
import type { IdempotentRequest } from '../idempotency/idempotency.service.js';
import { idempotencyOf, storedAnswer } from '../idempotency/idempotency.http.js';
import type { CatalogueService } from '../catalogue/catalogue.service.js';
import type { QueueService } from '../queue/queue.service.js';
import type { BookingService } from './booking.service.js';

// The booking flow's requests served before express (hot-http.ts): the seat map, the schedules
// list, the hold and the payment. A seat storm is ten thousand holds, nearly all refused from
// Redis: express, its router, body-parser, pino-http's completion line and the ORM's request
// context cost a refusal more CPU than the refusal itself (BENCHMARKS.md "Booking before
// express"). The answers are built here, once, for both paths: the express routes
// (booking.routes.ts, queue.routes.ts) send the same ones, and serve every request the hot
// routes do not take. test/integration/hot-http-booking.test.ts compares the two.

/** The seat map's version (see `SeatsChanged.version`). */
export const SEAT_MAP_VERSION_HEADER = 'Seat-Map-Version';

/** As req.header(...) reads them. */
const QUEUE_TOKEN = QUEUE_TOKEN_HEADER.toLowerCase();
const IDEMPOTENCY_KEY = 'idempotency-key';
type SeatsQueryType = z.infer<typeof SeatsQuery>;

/** Sends an answer on the express path, headers first (as the routes always set them). */
export function sendAnswer(res: Response, answer: HotAnswer): void {
  if (answer.headers) res.set(answer.headers);
  res.status(answer.status);
  if (answer.body instanceof JsonText) sendJsonText(res, answer.body);
  else res.json(answer.body);
}

export async function seatsAnswer(
  booking: BookingService,
  scheduleId: number,
  status: 'available' | undefined,
): Promise<HotAnswer> {
  const map = await booking.reservations.seatsAnswer(scheduleId, status);
  // The map's seat version: `seats:changed` events carry the version they lead to.
  return {
    status: 200,
    body: map.json,
    headers: { [SEAT_MAP_VERSION_HEADER]: String(map.version) },
  };
}

export async function holdAnswer(
  booking: BookingService,
  userId: number,
  queueToken: string | undefined,
  body: HoldBody,
  idem: IdempotentRequest,
): Promise<HotAnswer> {
  const held = await booking.observed('hold', () =>
    'count' in body
      ? booking.bestAvailable.hold(userId, queueToken, body, idem)
      : booking.holds.hold(userId, queueToken, body, idem),
  );
  return storedAnswer(201, held);
}

export async function paymentAnswer(
  booking: BookingService,
  userId: number,
  reservationId: number,
  idem: IdempotentRequest,
): Promise<HotAnswer> {
  const paid = await booking.observed('payment', () =>
    booking.payments.pay(userId, reservationId, idem),
  );
  return storedAnswer(200, paid);
}

/** As the express chain validates a part: 400 VALIDATION_FAILED with its issues. */
function valid<T>(schema: ZodType, value: unknown, part: 'query' | 'body'): T {
  const problems: Issue[] = [];
  const parsed = validatePart(schema, value, part, problems);
  if (problems.length > 0)
    throw new AppError('VALIDATION_FAILED', { details: { issues: problems } });
  return parsed as T;
}

/** The header as req.header reads it (a repeated header node joins with ", "). */
function header(req: HotRequest, name: string): string | undefined {
  return req.raw.headers[name] as string | undefined;
}

/**
 * The hot routes. Ids in their paths are taken only as plain decimals up to 999,999,999 (valid
 * `IdParam`s whatever their digits: no parse, no validation issue possible); any other spelling
 * is express's to answer, as is anything hot-http.ts finds unusual about a request.
 */
export function bookingHotRoutes(
  hot: HotHttp,
  deps: { booking: BookingService; queue: QueueService; catalogue: CatalogueService },
  /** The user of an `Authorization` header, or null (auth.middleware's authenticatedUser). */
  authenticate: (authorization: string | undefined) => number | null,
): void {
  const { booking, queue, catalogue } = deps;
  // As the express chain: authentication, validation, the admission guard, the handler.
  const user = (req: HotRequest): number => {
    const userId = authenticate(req.raw.headers.authorization);
    if (!userId) throw new AppError('UNAUTHENTICATED');
    return userId;
  };
  const admitted = (req: HotRequest, userId: number, concertOf: () => Promise<number> | number) =>
    queue.requireActiveFor(header(req, QUEUE_TOKEN), userId, concertOf);

  hot.add({
    method: 'GET',
    pattern: /^\/schedules\/([1-9]\d{0,8})\/seats$/,
    route: '/schedules/:scheduleId/seats',
    query: true,
    context: true,
    async handle(req) {
      const userId = user(req);
      const { status } = valid<SeatsQueryType>(SeatsQuery, req.query, 'query');
      const scheduleId = Number(req.match[1]);
      await admitted(req, userId, () => booking.reservations.concertOfSchedule(scheduleId));
      return seatsAnswer(booking, scheduleId, status);
    },
  });
  hot.add({
    method: 'GET',
    pattern: /^\/concerts\/([1-9]\d{0,8})\/schedules$/,
    route: '/concerts/:concertId/schedules',
    context: true,
    async handle(req) {
      const userId = user(req);
      const concertId = Number(req.match[1]);
      await admitted(req, userId, () => concertId);
      return { status: 200, body: await catalogue.schedulesWithAvailability(concertId) };
    },
  });
  hot.add({
    method: 'POST',
    pattern: /^\/reservations$/,
    route: '/reservations',
    body: true,
    context: true,
    async handle(req) {
      const userId = user(req);
      const body = valid<HoldBody>(HoldBody, req.body, 'body');
      const idem = idempotencyOf(userId, header(req, IDEMPOTENCY_KEY), 'POST', req.path, body);
      return holdAnswer(booking, userId, header(req, QUEUE_TOKEN), body, idem);
    },
  });
  hot.add({
    method: 'POST',
    pattern: /^\/reservations\/([1-9]\d{0,8})\/payment$/,
    route: '/reservations/:id/payment',
    // The route has no body schema, but express.json still reads (and may refuse) a body.
    body: true,
    context: true,
    async handle(req) {
      const userId = user(req);
      const idem = idempotencyOf(userId, header(req, IDEMPOTENCY_KEY), 'POST', req.path, null);
      return paymentAnswer(booking, userId, Number(req.match[1]), idem);
    },
  });
}
