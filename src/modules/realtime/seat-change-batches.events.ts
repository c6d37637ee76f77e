import type { SeatsChanged } from '@lineup/client-sdk/contract';
import type { SeatEventPublisher } from './seat.events.js';

/**
 * Coalesces a schedule's seat changes over a short window into as few `seats:changed` frames as
 * the versions allow: a frame is one broadcast (one encoding, one adapter publish, one write per
 * subscribed socket), and during a sale a schedule changes many times a second. Frames that follow
 * one another (the later one's `version - changes.length` is the earlier one's `version`) merge
 * into one, with the later availability; a gap (a change announced by another instance, or not
 * yet) keeps them apart, so a client applies or reloads exactly as it would have for each frame
 * (see `SeatsChanged.version`). Frames leave in version order.
 */
export class SeatChangeBatches implements SeatEventPublisher {
  private readonly pending = new Map<number, SeatsChanged[]>();
  private readonly timers = new Map<number, NodeJS.Timeout>();

  constructor(
    private readonly target: SeatEventPublisher,
    private readonly windowMs: number,
  ) {}

  seatsChanged(payload: SeatsChanged): void {
    if (this.windowMs <= 0) return this.target.seatsChanged(payload);
    const { scheduleId } = payload;
    const list = this.pending.get(scheduleId);
    if (list) return void list.push(payload);
    this.pending.set(scheduleId, [payload]);
    this.timers.set(
      scheduleId,
      setTimeout(() => this.flush(scheduleId), this.windowMs),
    );
  }

  /** Sends everything pending now (shutdown). */
  flushAll(): void {
    for (const scheduleId of [...this.pending.keys()]) this.flush(scheduleId);
  }

  private flush(scheduleId: number): void {
    clearTimeout(this.timers.get(scheduleId));
    this.timers.delete(scheduleId);
    const list = this.pending.get(scheduleId) ?? [];
    this.pending.delete(scheduleId);
    for (const frame of coalesce(list)) this.target.seatsChanged(frame);
  }
}

/** Frames in version order, each contiguous run merged into one. */
export function coalesce(frames: SeatsChanged[]): SeatsChanged[] {
  const sorted = [...frames].sort((a, b) => a.version - b.version);
  const out: SeatsChanged[] = [];
  for (const frame of sorted) {
    const last = out[out.length - 1];
    if (last && frame.version - frame.changes.length === last.version) {
      last.changes.push(...frame.changes);
      last.version = frame.version;
      last.availableSeats = frame.availableSeats;
    } else out.push({ ...frame, changes: [...frame.changes] });
  }
  return out;
}
