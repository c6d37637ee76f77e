import { Migration } from '@mikro-orm/migrations';

export class Migration20261220000000_queueFairness extends Migration {
  override async up(): Promise<void> {
    // Provably fair pre-queue (SPEC §2): one secret seed per concert, its published commitment,
    // and what the shuffle revealed. The seed leaves this table only with the reveal.
    this.addSql(`
      create table queue_fairness (
        concert_id integer primary key references concerts (id) on delete cascade,
        seed bytea not null check (octet_length(seed) = 32),
        commitment char(64) not null,
        revealed_order jsonb,
        revealed_at timestamptz,
        created_at timestamptz not null default now()
      );`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists queue_fairness;`);
  }
}
