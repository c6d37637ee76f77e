import { Migration } from '@mikro-orm/migrations';

export class Migration20261210000000_reservationQueueEntry extends Migration {
  override async up(): Promise<void> {
    // The queue entry a hold was made under (the queue token's `eid`): paying or giving up the
    // hold ends that entry only, never a newer place the fan has taken in the line since.
    // Null for holds made before this column existed.
    this.addSql(`alter table reservations add column queue_entry_id int null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table reservations drop column queue_entry_id;`);
  }
}
