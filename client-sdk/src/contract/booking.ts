import { z } from 'zod';
import { Grade, Id, IsoDateTime } from './common.js';
import { HOLD_SEAT_IDS_MAX } from './limits.js';
import { SeatStatus } from './events.js';

export const SeatView = z.object({
  id: z.number().int(),
  label: z.string(),
  grade: Grade,
  price: z.number().int(),
  status: SeatStatus,
});
export type SeatView = z.infer<typeof SeatView>;
export const SeatList = z.array(SeatView);

export const SeatsQuery = z.strictObject({ status: z.literal('available').optional() });

// The per-fan limit (MAX_SEATS_PER_USER, 4 by default) is a business rule answered with 422
// SEAT_LIMIT_EXCEEDED; the schema only bounds the list and insists on distinct ids.
export const NamedHoldBody = z.strictObject({
  scheduleId: Id,
  seatIds: z
    .array(Id)
    .min(1)
    .max(HOLD_SEAT_IDS_MAX)
    .refine((ids) => new Set(ids).size === ids.length, 'seat ids must be distinct'),
});
/**
 * Best available (SPEC §2): `count` adjacent seats in one row, optionally of one grade, picked by
 * the server. A count above MAX_SEATS_PER_USER is a 422 like a longer seat list.
 */
export const BestAvailableHoldBody = z.strictObject({
  scheduleId: Id,
  count: z.number().int().min(1).max(HOLD_SEAT_IDS_MAX),
  grade: Grade.optional(),
});
export type BestAvailableHoldBody = z.infer<typeof BestAvailableHoldBody>;
export const HoldBody = z.union([NamedHoldBody, BestAvailableHoldBody]);
export type HoldBody = z.infer<typeof HoldBody>;

export const ReservationStatus = z.enum(['held', 'paid', 'canceled', 'expired', 'refunded']);
export type ReservationStatus = z.infer<typeof ReservationStatus>;

export const ReservedSeat = z.object({
  id: z.number().int(),
  label: z.string(),
  grade: Grade,
  price: z.number().int(),
});

export const Reservation = z.object({
  id: z.number().int(),
  status: ReservationStatus,
  concertId: z.number().int(),
  scheduleId: z.number().int(),
  seats: z.array(ReservedSeat),
  amount: z.number().int(),
  expiresAt: IsoDateTime,
  paidAt: IsoDateTime.nullable(),
  createdAt: IsoDateTime,
});
export type Reservation = z.infer<typeof Reservation>;
export const ReservationList = z.array(Reservation);

export const PaymentResponse = z.object({
  paymentId: z.number().int(),
  reservationId: z.number().int(),
  amount: z.number().int(),
  balance: z.number().int(),
  paidAt: IsoDateTime,
});
export type PaymentResponse = z.infer<typeof PaymentResponse>;

export const RefundResponse = z.object({
  reservationId: z.number().int(),
  refundedAmount: z.number().int(),
  balance: z.number().int(),
});
export type RefundResponse = z.infer<typeof RefundResponse>;
