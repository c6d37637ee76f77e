import type {
  PaymentResponse,
  RefundResponse,
  Reservation,
  SeatView as SeatViewT,
} from '@lineup/client-sdk/contract';
import type { ReservationRow } from './booking.repository.js';

export type ReservationView = Reservation;
export type PaymentView = PaymentResponse;
export type RefundView = RefundResponse;
export type SeatView = SeatViewT;

/** SPEC `Reservation`. A hold past its deadline reads as expired even before anything wrote that. */
export function reservationView(r: ReservationRow): ReservationView {
  return {
    id: r.id,
    status: r.status === 'held' && r.holdExpired ? 'expired' : r.status,
    concertId: r.concertId,
    scheduleId: r.scheduleId,
    seats: r.seats,
    amount: r.amount,
    expiresAt: r.expiresAt.toISOString(),
    paidAt: r.paidAt ? r.paidAt.toISOString() : null,
    createdAt: r.createdAt.toISOString(),
  };
}
