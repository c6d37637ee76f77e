import { z } from 'zod';
import { ERROR_CODES } from './errors.js';

// Self-contained (zod and the contract's own zod-free modules): the client SDK exports these same
// schemas and types.

const MAX_INT = 2_147_483_647;
/** A database id in a path or query string ("12" -> 12). */
export const IdParam = z.coerce.number().int().positive().max(MAX_INT);
/** A database id in a JSON body: a number, never a string. */
export const Id = z.number().int().positive().max(MAX_INT);
/** An ISO-8601 time with an offset, within the years PostgreSQL's timestamptz stores (1..9999 UTC). */
export const IsoDateTime = z.iso.datetime({ offset: true }).refine((s) => {
  const year = new Date(s).getUTCFullYear();
  return year >= 1 && year <= 9999;
}, 'must be between the years 0001 and 9999 (UTC)');
/** Free text that is stored: trimmed, 1..max characters, no NUL (PostgreSQL text cannot hold it). */
export const Text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !s.includes('\0'), 'must not contain NUL characters');

/** The error envelope (SPEC §4); `code` is one of the catalogue's codes (errors.ts). */
export const ErrorEnvelope = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

export const Grade = z.enum(['VIP', 'R', 'S', 'A']);
export type Grade = z.infer<typeof Grade>;

/** KRW, whole won. */
export const Won = z.number().int().min(0).max(100_000_000);
export const Prices = z.strictObject({ VIP: Won, R: Won, S: Won, A: Won });
export type Prices = z.infer<typeof Prices>;
