import { UserSchema } from '../../modules/accounts/accounts.entities.js';
import {
  PaymentSchema,
  ReservationItemSchema,
  ReservationSchema,
} from '../../modules/booking/booking.entities.js';
import {
  ConcertSchema,
  ScheduleSchema,
  ScheduleSeatSchema,
  SeatSchema,
  VenueSchema,
} from '../../modules/catalogue/catalogue.entities.js';
import { IdempotencyKeySchema } from '../../modules/idempotency/idempotency.entities.js';
import { LedgerEntrySchema, WalletSchema } from '../../modules/points/points.entities.js';

export const entities = [
  UserSchema,
  WalletSchema,
  LedgerEntrySchema,
  IdempotencyKeySchema,
  VenueSchema,
  SeatSchema,
  ConcertSchema,
  ScheduleSchema,
  ScheduleSeatSchema,
  ReservationSchema,
  ReservationItemSchema,
  PaymentSchema,
];
