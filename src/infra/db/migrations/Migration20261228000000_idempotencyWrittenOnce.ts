import { Migration } from '@mikro-orm/migrations';
import { BOOKING_GENERIC_SETTINGS } from './booking-generic.sql.js';
import { BOOKING_KEYED_FUNCTIONS, BOOKING_KEYED_SQL } from './booking-keyed.sql.js';

// A keyed hold or payment writes its Idempotency-Key's record once, completed with its answer, in
// the statement that applies the effect (see booking-keyed.sql.ts; issue 14). New overloads: the
// ones of migration 20261222000000 stay for the previous release during a rolling deploy.
export class Migration20261228000000_idempotencyWrittenOnce extends Migration {
  override async up(): Promise<void> {
    for (const statement of BOOKING_KEYED_SQL) this.addSql(statement);
    for (const fn of BOOKING_KEYED_FUNCTIONS)
      this.addSql(`alter function ${fn} ${BOOKING_GENERIC_SETTINGS};`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists ${[...BOOKING_KEYED_FUNCTIONS].reverse().join(', ')};`);
  }
}
