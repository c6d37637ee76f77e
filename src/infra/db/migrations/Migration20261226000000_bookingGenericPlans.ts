import { Migration } from '@mikro-orm/migrations';
import { BOOKING_COUNTED_SQL } from './booking-counted.sql.js';
import { BOOKING_FUNCTIONS_SQL } from './booking-functions.sql.js';
import {
  BOOKING_GENERIC_FUNCTIONS,
  BOOKING_GENERIC_SETTINGS,
  BOOKING_GENERIC_SQL,
} from './booking-generic.sql.js';
import { BOOKING_HOLD_REFUSAL_SQL } from './booking-hold-refusal.sql.js';

// The booking functions planned once per connection, and the hold and payment in fewer
// statements with the schedule's counter row written last (see booking-generic.sql.ts; issue 14).
export class Migration20261226000000_bookingGenericPlans extends Migration {
  override async up(): Promise<void> {
    for (const statement of BOOKING_GENERIC_SQL) this.addSql(statement);
    for (const fn of BOOKING_GENERIC_FUNCTIONS)
      this.addSql(`alter function ${fn} ${BOOKING_GENERIC_SETTINGS};`);
  }

  override async down(): Promise<void> {
    const availability = BOOKING_FUNCTIONS_SQL.find((s) =>
      s.includes('function booking_availability('),
    );
    this.addSql(availability!.replace('create function', 'create or replace function'));
    this.addSql(BOOKING_HOLD_REFUSAL_SQL);
    this.addSql(BOOKING_COUNTED_SQL[1]!);
    for (const fn of BOOKING_GENERIC_FUNCTIONS) this.addSql(`alter function ${fn} reset all;`);
  }
}
