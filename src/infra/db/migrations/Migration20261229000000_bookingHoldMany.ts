import { Migration } from '@mikro-orm/migrations';
import { BOOKING_GENERIC_SETTINGS } from './booking-generic.sql.js';
import {
  BOOKING_HOLD_MANY_FUNCTIONS,
  BOOKING_HOLD_MANY_SQL,
  BOOKING_HOLD_SINGLE_BEFORE,
  BOOKING_HOLD_SINGLE_FUNCTIONS,
} from './booking-hold-many.sql.js';

// Holds of one schedule committed together: booking_hold_many, and the hold's body shared by it
// and the two booking_hold overloads the app calls (see booking-hold-many.sql.ts; issue 14).
export class Migration20261229000000_bookingHoldMany extends Migration {
  override async up(): Promise<void> {
    for (const statement of BOOKING_HOLD_MANY_SQL) this.addSql(statement);
    // create or replace drops a function's settings: generic plans, no seq scans, as before.
    for (const fn of [...BOOKING_HOLD_MANY_FUNCTIONS, ...BOOKING_HOLD_SINGLE_FUNCTIONS])
      this.addSql(`alter function ${fn} ${BOOKING_GENERIC_SETTINGS};`);
  }

  override async down(): Promise<void> {
    for (const statement of BOOKING_HOLD_SINGLE_BEFORE) this.addSql(statement);
    for (const fn of BOOKING_HOLD_SINGLE_FUNCTIONS)
      this.addSql(`alter function ${fn} ${BOOKING_GENERIC_SETTINGS};`);
    this.addSql(
      `drop function if exists ${[...BOOKING_HOLD_MANY_FUNCTIONS].reverse().join(', ')};`,
    );
  }
}
