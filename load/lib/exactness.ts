// The waiting-room scenario's exactness check (issue 13): a sample of fans whose position the
// runner computes from `queue:progress` frames (SPEC §5 arithmetic) also poll
// `GET /queue/status`; the poll's `Queue-Tick` header says which tick its position is exact as
// of, and the computed position of the same tick must be the same number.

/** A fan's computed place: exact as of line tick `tick`. */
export interface Place {
  tick: number;
  position: number;
}

/** What a poll answered: status, position and the tick they are exact as of. */
export interface PolledPlace extends Place {
  status: string;
}

export interface ExactnessCounts {
  /** Polls compared with a computed position of the same tick. */
  checks: number;
  /** Of those, the ones whose positions differed: must be 0. */
  violations: number;
  /** Polls that could not be compared (the fan was admitted, resynchronising, or moved on). */
  skipped: number;
}

export class ExactnessCheck {
  private counts: ExactnessCounts = { checks: 0, violations: 0, skipped: 0 };
  /** Polls exact as of a tick the fan's frames have not reached yet, by fan index. */
  private readonly pending = new Map<number, Place>();

  /**
   * @param place the fan's computed place now, or null when it is not computing one (admitted,
   *   awaiting an exact status, pre-queue)
   * @param poll GET /queue/status for the fan, or null when it failed
   */
  constructor(
    private readonly place: (fan: number) => Place | null,
    private readonly poll: (fan: number) => Promise<PolledPlace | null>,
  ) {}

  /** Polls each fan once and compares, now or when the fan's frames reach the poll's tick. */
  async sample(fans: number[]): Promise<void> {
    await Promise.all(
      fans.map(async (fan) => {
        const before = this.place(fan);
        const answer = await this.poll(fan).catch(() => null);
        if (!answer || answer.status !== 'waiting') return void this.counts.skipped++;
        const now = this.place(fan);
        if (now && answer.tick > now.tick) return void this.pending.set(fan, answer);
        const same = [now, before].find((p) => p?.tick === answer.tick);
        if (same) this.compare(same, answer);
        else this.counts.skipped++;
      }),
    );
  }

  /** Tells the check that a fan's computed place changed (a frame or a status was applied). */
  moved(fan: number): void {
    const waiting = this.pending.get(fan);
    if (!waiting) return;
    const now = this.place(fan);
    if (now && now.tick < waiting.tick) return;
    this.pending.delete(fan);
    if (now?.tick === waiting.tick) this.compare(now, waiting);
    else this.counts.skipped++;
  }

  /** The counts since the last call (pending polls carry over). */
  take(): ExactnessCounts {
    const counts = this.counts;
    this.counts = { checks: 0, violations: 0, skipped: 0 };
    return counts;
  }

  private compare(computed: Place, polled: Place): void {
    this.counts.checks++;
    if (computed.position !== polled.position) this.counts.violations++;
  }
}
