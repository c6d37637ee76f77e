import type { QueueSocketStatus, QueueStatus } from '@lineup/client-sdk/contract';

// What a fan is shown of its entry (SPEC QueueStatus, `queue:status`), computed from the store's
// answer without any I/O, so the rules are unit-tested on their own (test/unit/queue-views.test.ts).

/** The store's answer for one entry, as far as the views read it. */
export interface EntryFacts {
  state: string;
  /** Waiting: 1 = next; pre-queue: how many fans are in it. */
  position?: number;
  /** Measured admissions per second; absent while unknown. */
  rate?: number;
  /** Active: the idle deadline (ms). */
  activeUntil?: number;
  /** Waiting: the fan's ticket (its order key in the line). */
  ticket?: number;
  /** The line's tick the answer is exact as of. */
  tick?: number;
  /** A live entry: the line's sold-out facts as of the last tick (admit-9.lua keeps them in meta). */
  soldOut?: boolean;
  heldSeats?: number;
}

/** SPEC §2 "Sold-out awareness", as every waiting fan sees it (status and progress frames). */
export interface SoldOutFacts {
  soldOut: boolean;
  heldSeats: number;
}

/** position / measured admissions per second; null while the rate is unknown or not waiting. */
export function estimateWaitSeconds(
  r: Pick<EntryFacts, 'state' | 'position' | 'rate'>,
): number | null {
  if (r.state !== 'waiting' || !r.position || !r.rate || r.rate <= 0) return null;
  // The frames' arithmetic to the last bit (SPEC §5: ceil(p × 60 / ratePerMinute)), so a
  // client's computed estimate equals this one.
  return Math.ceil((r.position * 60) / (r.rate * 60));
}

/** When the line is full, suggest coming back once about 1% of it could have moved. */
export function retryAfterSeconds(rate: number | undefined): number {
  if (!rate || rate <= 0) return 30;
  return Math.min(300, Math.max(5, Math.ceil(100 / rate)));
}

/** The fan's place (SPEC QueueStatus): a position unless active, a deadline only when active. */
export function statusView(concertId: number, r: EntryFacts, soldOut: SoldOutFacts): QueueStatus {
  const status = r.state as QueueStatus['status'];
  return {
    concertId,
    status,
    position: status === 'active' ? null : (r.position ?? null),
    estimatedWaitSeconds: estimateWaitSeconds(r),
    activeUntil:
      status === 'active' && r.activeUntil ? new Date(r.activeUntil).toISOString() : null,
    ...soldOut,
  };
}

/** The socket's `queue:status` (SPEC §5): the view with the fan's ticket and the tick it is exact as of. */
export function socketStatusView(view: QueueStatus, r: EntryFacts): QueueSocketStatus {
  return { ...view, ticket: r.ticket ?? null, tick: r.tick ?? 0 };
}
