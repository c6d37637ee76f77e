import { z } from 'zod';
import { IsoDateTime } from './common.js';

export const BalanceResponse = z.object({ balance: z.number().int() });
export type BalanceResponse = z.infer<typeof BalanceResponse>;

// The range (1,000..1,000,000) is a business rule answered with 422 CHARGE_AMOUNT_OUT_OF_RANGE;
// the schema only insists on a whole, safe number.
export const ChargeBody = z.strictObject({ amount: z.number().int() });
export type ChargeBody = z.infer<typeof ChargeBody>;

// 1,000 up to the balance (at most 10,000,000): outside that range 422 WITHDRAW_AMOUNT_OUT_OF_RANGE,
// over the balance 402 INSUFFICIENT_POINTS (with details.balance). The schema, as for a charge,
// only insists on a whole, safe number.
export const WithdrawBody = z.strictObject({ amount: z.number().int() });
export type WithdrawBody = z.infer<typeof WithdrawBody>;

/** The codes a withdrawal itself may answer (besides validation, auth and idempotency). */
export const WithdrawErrorCode = z.enum(['INSUFFICIENT_POINTS', 'WITHDRAW_AMOUNT_OUT_OF_RANGE']);
export type WithdrawErrorCode = z.infer<typeof WithdrawErrorCode>;

export const LedgerType = z.enum(['charge', 'payment', 'refund', 'withdrawal']);
export const LedgerItem = z.object({
  id: z.number().int(),
  type: LedgerType,
  amount: z.number().int(),
  balanceAfter: z.number().int(),
  reservationId: z.number().int().nullable(),
  createdAt: IsoDateTime,
});
export type LedgerItem = z.infer<typeof LedgerItem>;

export const HistoryQuery = z.strictObject({
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'must be a cursor returned by a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const HistoryResponse = z.object({
  items: z.array(LedgerItem),
  nextCursor: z.string().nullable(),
});
export type HistoryResponse = z.infer<typeof HistoryResponse>;
