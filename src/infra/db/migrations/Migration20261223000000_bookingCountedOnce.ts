import { Migration } from '@mikro-orm/migrations';
import { BOOKING_COUNTED_SQL } from './booking-counted.sql.js';
import { BOOKING_FUNCTIONS_SQL } from './booking-functions.sql.js';

// A hold's and a payment's seat write counted once per statement (issue 14). The per-row trigger
// of migration 20261221000000 updated the schedule's row once per seat: a second UPDATE of a row
// this transaction already wrote re-runs its foreign-key checks (PostgreSQL re-checks keys of a
// row version our own transaction created), so every seat after the first also key-share locked
// the concert's and the venue's rows, and each seat left one more dead version of the hot row.
// Now booking_hold and booking_pay update the schedule's counters and version in the same
// statement as their seat UPDATE (one row write, from the seats they hold locked), and stamp the
// seats' changed_version with the new version; the trigger skips exactly those rows (a statement
// that sets changed_version has counted itself). Every other writer (lazy expiry, sweeper,
// cancel, refund, raw SQL) leaves changed_version alone and is still counted by the trigger, so
// the counters still equal the seats at every commit.
export class Migration20261223000000_bookingCountedOnce extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop trigger schedule_seat_changed on schedule_seats;`);
    this.addSql(`
      create trigger schedule_seat_changed before update on schedule_seats for each row
        when (new.changed_version = old.changed_version)
        execute function schedule_seat_changed();`);
    for (const statement of BOOKING_COUNTED_SQL) this.addSql(statement);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger schedule_seat_changed on schedule_seats;`);
    this.addSql(`
      create trigger schedule_seat_changed before update on schedule_seats
        for each row execute function schedule_seat_changed();`);
    for (const statement of BOOKING_FUNCTIONS_SQL.filter((s) =>
      /function booking_(hold|pay)\(/.test(s),
    ))
      this.addSql(statement.replace('create function', 'create or replace function'));
  }
}
