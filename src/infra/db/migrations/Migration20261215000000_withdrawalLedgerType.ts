import { Migration } from '@mikro-orm/migrations';

export class Migration20261215000000_withdrawalLedgerType extends Migration {
  override async up(): Promise<void> {
    // Points withdrawal (SPEC §2): the ledger gains the `withdrawal` type (a negative amount).
    this.addSql(`
      alter table point_ledger drop constraint point_ledger_type_valid,
        add constraint point_ledger_type_valid
          check (type in ('charge', 'payment', 'refund', 'withdrawal'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`
      alter table point_ledger drop constraint point_ledger_type_valid,
        add constraint point_ledger_type_valid check (type in ('charge', 'payment', 'refund'));`);
  }
}
