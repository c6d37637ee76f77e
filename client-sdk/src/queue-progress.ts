import type { QueueProgress, QueueSocketStatus } from './contract/queue.js';

/**
 * SPEC §5 arithmetic: the status one `queue:progress` frame (the next tick after `status.tick`)
 * makes of an exact status. Returns null when the frame says the fan can no longer be sure of
 * its place: its position would reach 0 (it was admitted: `queue:admitted` or a sync tells more).
 * The frame must be applicable (`departed` not null) and follow `status.tick` directly.
 */
export function applyProgress(
  status: QueueSocketStatus,
  frame: QueueProgress,
): QueueSocketStatus | null {
  const facts = { tick: frame.tick, soldOut: frame.soldOut, heldSeats: frame.heldSeats };
  if (status.status === 'prequeue')
    return { ...status, ...facts, position: frame.prequeue, estimatedWaitSeconds: null };
  if (status.status !== 'waiting' || status.position === null || status.ticket === null)
    return { ...status, ...facts };
  const ticket = status.ticket;
  let ahead = frame.admitted;
  for (const d of frame.departed ?? []) {
    if (d >= ticket) break; // ascending
    ahead++;
  }
  const position = status.position - ahead;
  if (position <= 0) return null;
  return { ...status, ...facts, position, estimatedWaitSeconds: estimateWait(position, frame) };
}

/** `ceil(position × 60 / ratePerMinute)`, null while the rate is unknown. */
export function estimateWait(position: number, frame: Pick<QueueProgress, 'ratePerMinute'>) {
  const rate = frame.ratePerMinute;
  return rate !== null && rate > 0 ? Math.ceil((position * 60) / rate) : null;
}

/** What the tracker wants done after a status or a frame. */
export interface ProgressOutcome {
  /** Statuses to report, oldest first (each exact as of its `tick`). */
  statuses: QueueSocketStatus[];
  /** The tracker cannot go on from frames alone: ask the server (`queue:sync`). */
  sync: boolean;
}

/** Frames kept while a status is awaited (a `departed: null` tick, a sync in flight). */
const MAX_BUFFERED = 16;

/**
 * A fan's place from its exact statuses and the line's frames (SPEC §5). Frames are applied in
 * tick order from the last exact status; a gap in tick numbers, or a computed position that
 * reaches the head, asks for a sync; a `departed: null` frame waits for the fan's own status
 * (frames after it are kept and applied once it comes). Repeated frames (heartbeats of a stalled
 * line) and frames older than the status are ignored.
 */
export class ProgressTracker {
  private current: QueueSocketStatus | undefined;
  /** Set while a status (for this tick or later) is awaited instead of applying frames. */
  private awaiting: number | null = null;
  private buffered: QueueProgress[] = [];

  /** The last status (exact, or computed from frames). */
  get status(): QueueSocketStatus | undefined {
    return this.current;
  }

  /** Forgets everything (the fan left the socket for HTTP polling, or the entry ended). */
  reset(): void {
    this.current = undefined;
    this.awaiting = null;
    this.buffered = [];
  }

  /** An exact status from the server: the new base; frames kept for later ticks are applied. */
  onStatus(status: QueueSocketStatus): ProgressOutcome {
    // An older status than what frames already gave (e.g. a slow sync answer) teaches nothing.
    if (this.current && this.awaiting === null && status.tick < this.current.tick)
      return { statuses: [], sync: false };
    this.current = status;
    this.awaiting = null;
    const later = this.buffered.filter((f) => f.tick > status.tick);
    this.buffered = [];
    const out: ProgressOutcome = { statuses: [status], sync: false };
    for (const frame of later) {
      const step = this.onFrame(frame);
      out.statuses.push(...step.statuses);
      out.sync ||= step.sync;
    }
    return out;
  }

  /** One `queue:progress` frame. */
  onFrame(frame: QueueProgress): ProgressOutcome {
    const none: ProgressOutcome = { statuses: [], sync: false };
    const base = this.current;
    if (!base || this.awaiting !== null) {
      // No base yet (the connect status is on its way) or a status is awaited: keep the frame.
      if (this.buffered.length >= MAX_BUFFERED) {
        this.buffered.shift();
        return { statuses: [], sync: true };
      }
      this.buffered.push(frame);
      return none;
    }
    if (frame.concertId !== base.concertId || frame.tick <= base.tick) return none;
    if (base.status === 'active') return none;
    if (frame.tick !== base.tick + 1) return this.await(frame, true); // a gap: frames were lost
    if (frame.departed === null) return this.await(frame, false); // its status follows
    const next = applyProgress(base, frame);
    if (next === null) return this.await(frame, true); // at the head: admitted, or in doubt
    this.current = next;
    return { statuses: [next], sync: false };
  }

  private await(frame: QueueProgress, sync: boolean): ProgressOutcome {
    this.awaiting = frame.tick;
    this.buffered.push(frame);
    return { statuses: [], sync };
  }
}
