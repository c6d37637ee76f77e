import { EntitySchema, type Opt } from '@mikro-orm/core';
import type { Grade } from '../catalogue/catalogue.entities.js';

export type ReservationStatus = 'held' | 'paid' | 'canceled' | 'expired' | 'refunded';

export class Reservation {
  id!: number;
  userId!: number;
  concertId!: number;
  scheduleId!: number;
  status: ReservationStatus = 'held';
  amount!: number;
  expiresAt!: Date;
  paidAt: Date | null = null;
  endedAt: Date | null = null;
  failedPaymentAttempts = 0;
  queueEntryId: number | null = null;
  createdAt: Date & Opt = new Date();
}

export class ReservationItem {
  id!: number;
  reservationId!: number;
  scheduleSeatId!: number;
  seatId!: number;
  label!: string;
  grade!: Grade;
  price!: number;
  live = true;
}

export class Payment {
  id!: number;
  reservationId!: number;
  userId!: number;
  amount!: number;
  paidAt: Date & Opt = new Date();
  refundedAt: Date | null = null;
}

const timestamptz = { type: 'datetime', columnType: 'timestamptz' } as const;

export const ReservationSchema = new EntitySchema<Reservation>({
  class: Reservation,
  tableName: 'reservations',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    userId: { type: 'integer' },
    concertId: { type: 'integer' },
    scheduleId: { type: 'integer' },
    status: { type: 'string', length: 10 },
    amount: { type: 'integer' },
    expiresAt: timestamptz,
    paidAt: { ...timestamptz, nullable: true },
    endedAt: { ...timestamptz, nullable: true },
    failedPaymentAttempts: { type: 'integer' },
    queueEntryId: { type: 'integer', nullable: true },
    createdAt: timestamptz,
  },
});

export const ReservationItemSchema = new EntitySchema<ReservationItem>({
  class: ReservationItem,
  tableName: 'reservation_items',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    reservationId: { type: 'integer' },
    scheduleSeatId: { type: 'integer' },
    seatId: { type: 'integer' },
    label: { type: 'string', length: 20 },
    grade: { type: 'string', length: 3 },
    price: { type: 'integer' },
    live: { type: 'boolean' },
  },
});

export const PaymentSchema = new EntitySchema<Payment>({
  class: Payment,
  tableName: 'payments',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    reservationId: { type: 'integer', unique: 'payments_one_per_reservation' },
    userId: { type: 'integer' },
    amount: { type: 'integer' },
    paidAt: timestamptz,
    refundedAt: { ...timestamptz, nullable: true },
  },
});
