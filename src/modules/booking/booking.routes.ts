import { z } from 'zod';
import {
  DEFAULT_MAX_SEATS_PER_USER,
  REFUND_CUTOFF_DAYS,
  HoldBody,
  QUEUE_TOKEN_HEADER,
  IdParam,
  PaymentResponse,
  RefundResponse,
  Reservation,
  ReservationList,
  SeatList,
  SeatsQuery,
} from '@lineup/client-sdk/contract';
import type { Api } from '../../infra/http/api.js';
import {
  IDEMPOTENCY_ERRORS,
  IDEMPOTENCY_HEADER,
  idempotentRequest,
} from '../idempotency/idempotency.http.js';
import { QUEUE_TOKEN_DOC, requireAdmission } from '../queue/admission.middleware.js';
import type { QueueService } from '../queue/queue.service.js';
import type { BookingService } from './booking.service.js';
import { holdAnswer, paymentAnswer, seatsAnswer, sendAnswer } from './booking-hot.routes.js';

const ScheduleParams = z.strictObject({ scheduleId: IdParam });
const ReservationParams = z.strictObject({ id: IdParam });

// The seat map, the hold and the payment are also served before express (booking-hot.routes.ts,
// which builds the answers of both paths); these routes answer every request the hot ones do not
// take.
export function bookingRoutes(api: Api, booking: BookingService, queue: QueueService): void {
  api.route(
    {
      method: 'get',
      path: '/schedules/:scheduleId/seats',
      summary: 'Seats of a schedule with their status [admitted]',
      tags: ['booking'],
      auth: 'user',
      headers: QUEUE_TOKEN_DOC,
      params: ScheduleParams,
      query: SeatsQuery,
      before: [
        requireAdmission(queue, (req) =>
          booking.reservations.concertOfSchedule(
            (req.valid!.params as { scheduleId: number }).scheduleId,
          ),
        ),
      ],
      errors: ['QUEUE_TOKEN_INVALID', 'NOT_ADMITTED', 'ADMISSION_EXPIRED', 'SCHEDULE_NOT_FOUND'],
      responses: { 200: { description: 'Seats', schema: SeatList } },
    },
    async ({ params, query, res }) => {
      sendAnswer(res, await seatsAnswer(booking, params.scheduleId, query.status));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/reservations',
      summary: `Hold 1..${DEFAULT_MAX_SEATS_PER_USER} (MAX_SEATS_PER_USER) seats of one schedule, all or nothing: named ({seatIds}) or the best available adjacent ones ({count, grade?}) [admitted]`,
      tags: ['booking'],
      auth: 'user',
      headers: { ...QUEUE_TOKEN_DOC, ...IDEMPOTENCY_HEADER },
      body: HoldBody,
      // No `before` guard: the service checks the admission itself, after a retried request's
      // earlier answer had its chance to be replayed (SPEC §3.3).
      errors: [
        'QUEUE_TOKEN_INVALID',
        'NOT_ADMITTED',
        'ADMISSION_EXPIRED',
        'SCHEDULE_NOT_FOUND',
        'SEAT_NOT_FOUND',
        'SEAT_UNAVAILABLE',
        'SCHEDULE_CLOSED',
        'SEAT_LIMIT_EXCEEDED',
        ...IDEMPOTENCY_ERRORS,
      ],
      responses: { 201: { description: 'Held', schema: Reservation } },
    },
    async ({ body, req, res }) => {
      const queueToken = req.header(QUEUE_TOKEN_HEADER);
      const idem = idempotentRequest(req);
      sendAnswer(res, await holdAnswer(booking, req.auth!.userId, queueToken, body, idem));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/reservations/:id',
      summary: 'One of your reservations',
      tags: ['booking'],
      auth: 'user',
      params: ReservationParams,
      errors: ['RESERVATION_NOT_FOUND'],
      responses: { 200: { description: 'Reservation', schema: Reservation } },
    },
    async ({ params, req, res }) => {
      res.json(await booking.reservations.get(req.auth!.userId, params.id));
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/reservations/:id',
      summary: 'Cancel a hold',
      tags: ['booking'],
      auth: 'user',
      params: ReservationParams,
      errors: ['RESERVATION_NOT_FOUND', 'RESERVATION_NOT_HELD'],
      responses: { 200: { description: 'Canceled', schema: Reservation } },
    },
    async ({ params, req, res }) => {
      res.json(await booking.holds.cancel(req.auth!.userId, params.id));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/reservations/:id/payment',
      summary: 'Pay a hold in full from points',
      tags: ['booking'],
      auth: 'user',
      headers: IDEMPOTENCY_HEADER,
      params: ReservationParams,
      errors: [
        'INSUFFICIENT_POINTS',
        'RESERVATION_NOT_FOUND',
        'ALREADY_PAID',
        'RESERVATION_NOT_HELD',
        'HOLD_EXPIRED',
        ...IDEMPOTENCY_ERRORS,
      ],
      responses: { 200: { description: 'Paid', schema: PaymentResponse } },
    },
    async ({ params, req, res }) => {
      const idem = idempotentRequest(req);
      sendAnswer(res, await paymentAnswer(booking, req.auth!.userId, params.id, idem));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/reservations/:id/refund',
      summary: `Refund a paid reservation (until ${REFUND_CUTOFF_DAYS} days before the show)`,
      tags: ['booking'],
      auth: 'user',
      params: ReservationParams,
      errors: ['RESERVATION_NOT_FOUND', 'REFUND_WINDOW_CLOSED', 'NOT_REFUNDABLE'],
      responses: { 200: { description: 'Refunded', schema: RefundResponse } },
    },
    async ({ params, req, res }) => {
      const userId = req.auth!.userId;
      res.json(await booking.observed('refund', () => booking.refunds.refund(userId, params.id)));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/users/me/reservations',
      summary: 'Your reservations, newest first',
      tags: ['booking'],
      auth: 'user',
      responses: { 200: { description: 'Reservations', schema: ReservationList } },
    },
    async ({ req, res }) => {
      res.json(await booking.reservations.list(req.auth!.userId));
    },
  );
}
