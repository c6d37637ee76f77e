// The business limits of SPEC §2, written once. Without zod (like names.ts): the page and the SDK's
// runtime import them without carrying zod. The server's config, its checks, the error messages,
// the database's CHECK constraints (by a schema test) and the page's hints all read them here.

/** Points (prepaid KRW balance), SPEC §2. */
export const POINTS = {
  /** The smallest charge. */
  chargeMin: 1_000,
  /** The largest charge. */
  chargeMax: 1_000_000,
  /** A balance never exceeds this (also a CHECK constraint of wallets and point_ledger). */
  balanceCap: 10_000_000,
  /** The smallest withdrawal; the largest is the balance. */
  withdrawMin: 1_000,
} as const;

/** Seats one fan may hold and own per schedule unless MAX_SEATS_PER_USER says otherwise. */
export const DEFAULT_MAX_SEATS_PER_USER = 4;

/** Seat ids one hold request may name at most (the schema's bound; the per-fan rule is a 422). */
export const HOLD_SEAT_IDS_MAX = 100;

/** A paid reservation can be refunded until this many days before its schedule starts. */
export const REFUND_CUTOFF_DAYS = 3;
export const REFUND_CUTOFF_MS = REFUND_CUTOFF_DAYS * 86_400_000;

/** "1,000": how the messages write amounts. */
export const formatWon = (n: number): string => n.toLocaleString('en-US');
