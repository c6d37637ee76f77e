import { Migration } from '@mikro-orm/migrations';
import { BOOKING_HOLD_LOCK_SQL } from './booking-hold-lock.sql.js';
import { BOOKING_HOLD_REFUSAL_SQL } from './booking-hold-refusal.sql.js';

// A hold of a taken seat refused before any write (see booking-hold-refusal.sql.ts; issue 14).
export class Migration20261225000000_bookingHoldRefusal extends Migration {
  override async up(): Promise<void> {
    this.addSql(BOOKING_HOLD_REFUSAL_SQL);
  }

  override async down(): Promise<void> {
    this.addSql(BOOKING_HOLD_LOCK_SQL);
  }
}
