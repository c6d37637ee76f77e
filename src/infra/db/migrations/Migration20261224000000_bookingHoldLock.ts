import { Migration } from '@mikro-orm/migrations';
import { BOOKING_COUNTED_SQL } from './booking-counted.sql.js';
import { BOOKING_HOLD_LOCK_SQL } from './booking-hold-lock.sql.js';

// The hold's seat locks through the indexes at the planning cost of a plain statement (see
// booking-hold-lock.sql.ts; issue 14).
export class Migration20261224000000_bookingHoldLock extends Migration {
  override async up(): Promise<void> {
    this.addSql(BOOKING_HOLD_LOCK_SQL);
  }

  override async down(): Promise<void> {
    this.addSql(BOOKING_COUNTED_SQL[0]!);
  }
}
