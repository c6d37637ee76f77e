// Holds of one schedule committed together (issue 14). Every hold writes its schedule's counter
// row last and keeps it locked until commit, so holds of one schedule commit one after another:
// in a seat storm the ~100 winners queued on that row and were the slowest 1% of the storm. A
// lane per schedule: with nothing of that schedule in flight on this instance a hold is sent at
// once, alone (the usual case, no added latency); while one is in flight the next ones wait and
// go together, in one statement (booking_hold_many) that writes the row once for all of them.

/** At most this many holds per batch: each keeps a PostgreSQL subtransaction id until commit, and
 * past 64 (PGPROC_MAX_CACHED_SUBXIDS) every backend's snapshots overflow and slow down. */
export const MAX_BATCH = 32;

/** What a batch gives each of its holds: its answer, its failure (to throw to its caller), or
 * `alone`: run it again by itself (it would have had to wait inside the batch, or deadlocked). */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown } | { alone: true };

/** How long a hold waits behind the call in flight before it goes anyway (with whatever else
 * waits): a hold that itself waits in PostgreSQL (for its fan's wallet, locked by a payment, or
 * up to waitForFirstMs for a duplicate's Idempotency-Key) must not stall its schedule's lane. A
 * hold takes a few ms, a batch a few tens in a storm on a busy machine. */
export const MAX_WAIT_MS = 50;

interface Waiting<H, R> {
  hold: H;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

interface Lane<H, R> {
  waiting: Waiting<H, R>[];
  /** Calls of this lane in flight (more than one only after a MAX_WAIT_MS timeout). */
  inFlight: number;
  timer: NodeJS.Timeout | undefined;
}

export class HoldLanes<H, R> {
  /** Schedules with a hold in flight on this instance, and the holds waiting behind it. */
  private readonly lanes = new Map<number, Lane<H, R>>();

  constructor(
    private readonly single: (hold: H) => Promise<R>,
    /** One round trip for the batch; one answer or failure per hold, in order. */
    private readonly many: (holds: H[]) => Promise<Settled<R>[]>,
  ) {}

  hold(scheduleId: number, hold: H): Promise<R> {
    let lane = this.lanes.get(scheduleId);
    if (!lane) {
      lane = { waiting: [], inFlight: 0, timer: undefined };
      this.lanes.set(scheduleId, lane);
    }
    if (lane.inFlight === 0) return this.run(scheduleId, lane, () => this.single(hold));
    const l = lane;
    return new Promise<R>((resolve, reject) => {
      l.waiting.push({ hold, resolve, reject });
      this.arm(scheduleId, l);
    });
  }

  /** Runs a call of the lane; when it returns, what waited behind it goes. */
  private run<T>(scheduleId: number, lane: Lane<H, R>, call: () => Promise<T>): Promise<T> {
    lane.inFlight++;
    const result = call();
    const after = () => {
      lane.inFlight--;
      if (lane.waiting.length > 0) this.send(scheduleId, lane);
      else if (lane.inFlight === 0) this.lanes.delete(scheduleId);
    };
    result.then(after, after);
    return result;
  }

  private arm(scheduleId: number, lane: Lane<H, R>): void {
    if (lane.timer || lane.waiting.length === 0) return;
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      if (lane.waiting.length > 0) this.send(scheduleId, lane);
    }, MAX_WAIT_MS);
    lane.timer.unref();
  }

  /** Sends up to MAX_BATCH waiting holds as one call. */
  private send(scheduleId: number, lane: Lane<H, R>): void {
    clearTimeout(lane.timer);
    lane.timer = undefined;
    const batch = lane.waiting.splice(0, MAX_BATCH);
    this.arm(scheduleId, lane);
    if (batch.length === 1) {
      const [w] = batch;
      void this.run(scheduleId, lane, () => this.single(w!.hold)).then(w!.resolve, w!.reject);
      return;
    }
    void this.run(scheduleId, lane, () => this.many(batch.map((w) => w.hold))).then(
      (settled) =>
        batch.forEach((w, i) => {
          const s = settled[i]!;
          // Not waited for by the lane: the next batch need not wait on a duplicate's key.
          if ('alone' in s) this.single(w.hold).then(w.resolve, w.reject);
          else if (s.ok) w.resolve(s.value);
          else w.reject(s.error);
        }),
      // The statement failed as a whole (the connection, the pool): so would each hold have.
      (err: unknown) => batch.forEach((w) => w.reject(err)),
    );
  }
}
