import { Migration } from '@mikro-orm/migrations';
import {
  BOOKING_GENERIC_FUNCTIONS,
  BOOKING_GENERIC_SETTINGS,
  BOOKING_GENERIC_SQL,
} from './booking-generic.sql.js';
import { BOOKING_LAPSED_LOOKUP_SQL } from './booking-lapsed-lookup.sql.js';

// A schedule's row holds its seat counters and version, and every hold, payment, expiry and
// refund on the schedule updates it (booking-generic.sql.ts): thousands of updates of one row in a
// sale. Each update leaves the old version behind in the row's page (a HOT chain), and PostgreSQL
// prunes such chains only when it can take the page's cleanup lock, which it cannot while other
// backends have the page pinned, and a hot schedule's page is always pinned. With the default
// fillfactor a page holds dozens of schedules, so their chains grew unpruned, and every later
// update and read of a counter walked them: holds on one schedule fell from ~440 to ~110/s over
// 8,000 holds (pgbench, 20 connections, BENCHMARKS.md "The schedule counter row"). Fillfactor 10
// leaves a few schedules per page, so each has room for its versions and its own page to be
// pruned on: the rate stays flat. The table is rewritten (CLUSTER, which may run in a migration's
// transaction, unlike VACUUM FULL) so existing schedules get the room too; it is small.
//
// The fewer schedules per page changed the planner's estimates enough for a generic plan of
// booking_hold's lapsed-hold lookup to read every reserved seat of the database: that lookup is
// rewritten so no estimate can lead there (booking-lapsed-lookup.sql.ts).
const HOLD_SIGNATURE = BOOKING_GENERIC_FUNCTIONS.find((f) => f.endsWith('timestamptz, bigint)'))!;

export class Migration20261227000000_scheduleCounterFillfactor extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table schedules set (fillfactor = 10);`);
    this.addSql(`cluster schedules using schedules_pkey;`);
    this.addSql(`alter table schedules set without cluster;`);
    this.addSql(BOOKING_LAPSED_LOOKUP_SQL);
    // create or replace drops the function's settings: generic plans, no seq scans, as before.
    this.addSql(`alter function ${HOLD_SIGNATURE} ${BOOKING_GENERIC_SETTINGS};`);
  }

  override async down(): Promise<void> {
    this.addSql(BOOKING_GENERIC_SQL.find((s) => s.includes('function booking_hold('))!);
    this.addSql(`alter function ${HOLD_SIGNATURE} ${BOOKING_GENERIC_SETTINGS};`);
    this.addSql(`alter table schedules reset (fillfactor);`);
  }
}
