import type { EntityManager } from '@mikro-orm/postgresql';
import type { LedgerItem } from '@lineup/client-sdk/contract';
import type { LedgerType } from './points.entities.js';

interface LedgerRow {
  id: string;
  type: LedgerType;
  amount: string;
  balanceAfter: string;
  reservationId: number | null;
  createdAt: Date;
}

/**
 * Balance changes are single conditional UPDATEs (the row lock serialises concurrent changes on
 * one wallet, the WHERE clause enforces the range) followed by the ledger row with the new
 * balance, in the caller's transaction.
 */
export class PointsRepository {
  async balance(em: EntityManager, userId: number): Promise<number | null> {
    const rows = await em.execute<{ balance: string }[]>(
      `select balance from wallets where user_id = ?`,
      [userId],
    );
    return rows[0] ? Number(rows[0].balance) : null;
  }

  /**
   * Adds `delta` (negative to debit) if the result stays within [0, cap]; writes the ledger row.
   * Returns the new balance, or null when the change would leave the range (nothing written).
   */
  async applyChange(
    tx: EntityManager,
    change: {
      userId: number;
      delta: number;
      cap: number;
      type: LedgerType;
      reservationId?: number | null;
    },
  ): Promise<number | null> {
    const rows = await tx.execute<{ balance: string }[]>(
      `update wallets set balance = balance + ?, updated_at = now()
       where user_id = ? and balance + ? between 0 and ? returning balance`,
      [change.delta, change.userId, change.delta, change.cap],
    );
    if (!rows[0]) return null;
    const balance = Number(rows[0].balance);
    await tx.execute(
      `insert into point_ledger (user_id, type, amount, balance_after, reservation_id) values (?, ?, ?, ?, ?)`,
      [change.userId, change.type, change.delta, balance, change.reservationId ?? null],
    );
    return balance;
  }

  async history(
    em: EntityManager,
    userId: number,
    beforeId: number | null,
    limit: number,
  ): Promise<LedgerItem[]> {
    const rows = await em.execute<LedgerRow[]>(
      `select id, type, amount, balance_after as "balanceAfter", reservation_id as "reservationId",
              created_at as "createdAt"
       from point_ledger where user_id = ? and (?::bigint is null or id < ?::bigint)
       order by id desc limit ?`,
      [userId, beforeId, beforeId, limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      type: r.type,
      amount: Number(r.amount),
      balanceAfter: Number(r.balanceAfter),
      reservationId: r.reservationId,
      createdAt: new Date(r.createdAt).toISOString(),
    }));
  }
}
