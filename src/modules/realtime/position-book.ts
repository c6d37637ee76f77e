// Each instance keeps the exact position of the waiting fans whose sockets it holds, in memory,
// from the leader's per-tick deltas (which tickets were admitted, which left): a tick costs one
// Redis publish however many fans wait (SPEC §5 "Cost"). Redis is asked again only when a
// delta was missed (gap in tick numbers) or the pre-queue was shuffled.

export interface TickDelta {
  tick: number;
  admittedTickets: number[];
  departedTickets: number[];
  prequeue: number;
  ratePerSecond: number | null;
  shuffled: boolean;
}

export interface TrackedFan {
  userId: number;
  eid: number;
  state: 'prequeue' | 'waiting';
  /** Order key in the line (waiting fans); null in the pre-queue. */
  ticket: number | null;
  position: number;
  /** The tick the position is exact as of. */
  asOfTick: number;
}

export type ApplyResult =
  { resync: true } | { resync: false; moved: TrackedFan[]; gone: TrackedFan[] };

const RECENT_TICKS = 64;

/** The local fans of one concert's line. */
export class ConcertLine {
  readonly fans = new Map<number, TrackedFan>();
  ratePerSecond: number | null = null;
  private lastTick: number | null = null;
  private readonly recent: TickDelta[] = [];

  /**
   * Adds (or replaces) a fan read from Redis, then replays the ticks that arrived while that read
   * was in flight. Returns false if the fan already left the line in one of those ticks.
   */
  track(fan: TrackedFan, rate?: number | null): boolean {
    if (rate !== undefined && rate !== null) this.ratePerSecond = rate;
    const copy = { ...fan };
    for (const delta of this.recent) {
      if (delta.tick > copy.asOfTick && advance(copy, delta) === 'gone') {
        this.fans.delete(fan.userId);
        return false;
      }
    }
    this.fans.set(fan.userId, copy);
    return true;
  }

  untrack(userId: number): void {
    this.fans.delete(userId);
  }

  apply(delta: TickDelta): ApplyResult {
    if (this.lastTick !== null && delta.tick <= this.lastTick)
      return { resync: false, moved: [], gone: [] };
    const gap = this.lastTick !== null && delta.tick !== this.lastTick + 1;
    this.lastTick = delta.tick;
    this.recent.push(delta);
    if (this.recent.length > RECENT_TICKS) this.recent.shift();
    if (delta.ratePerSecond !== null) this.ratePerSecond = delta.ratePerSecond;
    // A shuffle rewrites every pre-queue place; a missed delta makes every position doubtful.
    if (gap || delta.shuffled) return { resync: true };

    const moved: TrackedFan[] = [];
    const gone: TrackedFan[] = [];
    for (const fan of this.fans.values()) {
      const before = fan.position;
      const outcome = advance(fan, delta);
      if (outcome === 'gone') {
        this.fans.delete(fan.userId);
        gone.push(fan);
      } else if (fan.position !== before) moved.push(fan);
    }
    return { resync: false, moved, gone };
  }

  estimatedWaitSeconds(fan: TrackedFan): number | null {
    if (fan.state !== 'waiting' || !this.ratePerSecond || this.ratePerSecond <= 0) return null;
    return Math.ceil(fan.position / this.ratePerSecond);
  }
}

/** Moves one fan by one tick. Admissions always take the head of the line, departures any place. */
function advance(fan: TrackedFan, delta: TickDelta): 'moved' | 'gone' {
  if (delta.tick <= fan.asOfTick) return 'moved';
  fan.asOfTick = delta.tick;
  if (fan.state === 'prequeue') {
    fan.position = delta.prequeue;
    return 'moved';
  }
  const ticket = fan.ticket!;
  let ahead = 0;
  for (const t of delta.admittedTickets) {
    if (t === ticket) return 'gone';
    if (t < ticket) ahead++;
  }
  for (const t of delta.departedTickets) {
    if (t === ticket) return 'gone';
    if (t < ticket) ahead++;
  }
  fan.position -= ahead;
  return 'moved';
}
