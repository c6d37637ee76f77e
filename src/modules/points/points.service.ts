import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config/index.js';
import { AppError } from '../../infra/app-error.js';
import type { BalanceResponse, HistoryResponse } from '@lineup/client-sdk/contract';
import type { LedgerType } from './points.entities.js';
import type { PointsRepository } from './points.repository.js';

export class PointsService {
  constructor(
    private readonly em: () => EntityManager,
    private readonly repo: PointsRepository,
    private readonly limits: Config['points'],
  ) {}

  async balance(userId: number): Promise<BalanceResponse> {
    const balance = await this.repo.balance(this.em(), userId);
    if (balance === null) throw new AppError('USER_NOT_FOUND');
    return { balance };
  }

  /** Runs in the caller's transaction (the idempotency piece provides it). */
  async charge(tx: EntityManager, userId: number, amount: number): Promise<BalanceResponse> {
    if (amount < this.limits.chargeMin || amount > this.limits.chargeMax) {
      throw new AppError('CHARGE_AMOUNT_OUT_OF_RANGE', {
        details: { min: this.limits.chargeMin, max: this.limits.chargeMax },
      });
    }
    const balance = await this.change(tx, userId, amount, 'charge');
    if (balance === null) {
      throw await this.refusal(
        tx,
        userId,
        (current) =>
          new AppError('BALANCE_LIMIT_EXCEEDED', {
            details: { balance: current, cap: this.limits.balanceCap },
          }),
      );
    }
    return { balance };
  }

  /**
   * Pays points back out to the fan (seed policy: points can be refunded), from `withdrawMin` up
   * to the balance. Same conditional update as every other change, so concurrent withdrawals,
   * payments and charges serialise on the wallet row and the balance never goes below zero.
   */
  async withdraw(tx: EntityManager, userId: number, amount: number): Promise<BalanceResponse> {
    // Above the cap no balance can cover it: a malformed amount, not a shortfall.
    if (amount < this.limits.withdrawMin || amount > this.limits.balanceCap) {
      throw new AppError('WITHDRAW_AMOUNT_OUT_OF_RANGE', {
        details: { min: this.limits.withdrawMin, max: this.limits.balanceCap },
      });
    }
    const balance = await this.change(tx, userId, -amount, 'withdrawal');
    if (balance === null) {
      throw await this.refusal(
        tx,
        userId,
        (current) =>
          new AppError('INSUFFICIENT_POINTS', {
            message: 'Not enough points to withdraw this amount.',
            details: { amount, balance: current },
          }),
      );
    }
    return { balance };
  }

  /**
   * Debits a payment (booking calls this inside its payment transaction). Returns the new
   * balance, or null when the balance is too low (nothing written).
   */
  debit(
    tx: EntityManager,
    userId: number,
    amount: number,
    reservationId: number,
  ): Promise<number | null> {
    return this.change(tx, userId, -amount, 'payment', reservationId);
  }

  /** Credits a refund; null if it would cross the cap (the caller decides what that means). */
  credit(
    tx: EntityManager,
    userId: number,
    amount: number,
    reservationId: number,
  ): Promise<number | null> {
    return this.change(tx, userId, amount, 'refund', reservationId);
  }

  /** One wallet change: the repository's conditional update under the cap; null when refused. */
  private change(
    tx: EntityManager,
    userId: number,
    delta: number,
    type: LedgerType,
    reservationId?: number,
  ): Promise<number | null> {
    return this.repo.applyChange(tx, {
      userId,
      delta,
      cap: this.limits.balanceCap,
      type,
      reservationId,
    });
  }

  /** Why a change was refused: 404 when the user is gone, else `because(the balance now)`. */
  private async refusal(
    tx: EntityManager,
    userId: number,
    because: (balance: number) => AppError,
  ): Promise<AppError> {
    const current = await this.repo.balance(tx, userId);
    return current === null ? new AppError('USER_NOT_FOUND') : because(current);
  }

  async history(
    userId: number,
    cursor: string | undefined,
    limit: number,
  ): Promise<HistoryResponse> {
    await this.balance(userId); // 404 USER_NOT_FOUND, like the balance itself
    const items = await this.repo.history(
      this.em(),
      userId,
      cursor ? Number(cursor) : null,
      limit + 1,
    );
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page, nextCursor: items.length > limit && last ? String(last.id) : null };
  }
}
