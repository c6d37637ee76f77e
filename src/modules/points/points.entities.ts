import { BigIntType, EntitySchema, type Opt } from '@mikro-orm/core';

export type LedgerType = 'charge' | 'payment' | 'refund' | 'withdrawal';

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

/** Append-only: rows are inserted with the balance after the change, never updated. */
export class LedgerEntry {
  id!: number;
  userId!: number;
  type!: LedgerType;
  amount!: number;
  balanceAfter!: number;
  reservationId: number | null = null;
  createdAt: Date & Opt = new Date();
}

export const LedgerEntrySchema = new EntitySchema<LedgerEntry>({
  class: LedgerEntry,
  tableName: 'point_ledger',
  properties: {
    id: { type: new BigIntType('number'), primary: true, autoincrement: true },
    userId: { type: 'integer' },
    type: { type: 'string', length: 10 },
    amount: { type: new BigIntType('number') },
    balanceAfter: { type: new BigIntType('number') },
    reservationId: { type: 'integer', nullable: true },
    createdAt: { type: 'datetime', columnType: 'timestamptz' },
  },
});
