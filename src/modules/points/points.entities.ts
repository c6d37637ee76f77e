import { BigIntType, EntitySchema, type Opt } from '@mikro-orm/core';
import type { LedgerItem } from '@lineup/client-sdk/contract';

// point_ledger has no entity: it is only written and read with SQL (points.repository.ts). The
// schema test (test/integration/schema-agreement.test.ts) checks that SQL against the database.

export type LedgerType = LedgerItem['type'];

/** One row per user; the balance is also the sum of that user's ledger (checked by tests). */
export class Wallet {
  userId!: number;
  balance = 0;
  updatedAt: Date & Opt = new Date();
}

export const WalletSchema = new EntitySchema<Wallet>({
  class: Wallet,
  tableName: 'wallets',
  properties: {
    userId: { type: 'integer', primary: true },
    balance: { type: new BigIntType('number') },
    updatedAt: { type: 'datetime', columnType: 'timestamptz' },
  },
});
