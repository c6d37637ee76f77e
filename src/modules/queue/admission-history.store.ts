import type { RedisClient } from '../../infra/redis/scripts.js';
import type { QueueKeys } from './queue.keys.js';

/** Buckets kept per concert: with the default 1 s tick, 30 buckets of 10 s = the last 5 minutes. */
export const HISTORY_BUCKETS = 30;
/** A bucket closes every this many leader ticks. */
export const TICKS_PER_BUCKET = 10;
/** A line nobody ticks any more (retired, or a dead deployment) loses its history after this. */
const HISTORY_TTL_MS = 60 * 60 * 1000;

export interface HistoryBucket {
  /** Start of the bucket (ms since the epoch). */
  at: number;
  admitted: number;
}

/**
 * Admissions per concert over the last minutes, for the operators' chart. The leader counts what
 * each tick admitted in memory (no Redis call per tick) and, every TICKS_PER_BUCKET ticks, appends
 * one bucket per line to a capped Redis list (one round trip per concert per bucket), so any
 * instance can answer the console and a new leader carries the history on. A bucket a leader was
 * filling when it died is lost: the chart shows a gap rather than a guess.
 */
export class AdmissionHistory {
  private counts = new Map<number, number>();
  private bucketStart: number | null = null;
  private ticks = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: QueueKeys,
    readonly bucketMs: number,
  ) {}

  /** Forgets the bucket being filled (this instance lost or took the lead). */
  reset(): void {
    this.counts = new Map();
    this.bucketStart = null;
    this.ticks = 0;
  }

  /** A retired line: its history went with its keys (retire-12); the open bucket must not revive it. */
  forget(concertId: number): void {
    this.counts.delete(concertId);
  }

  /** What one tick admitted into a line (0 counts too: an idle line shows a flat chart). */
  add(concertId: number, admitted: number): void {
    this.counts.set(concertId, (this.counts.get(concertId) ?? 0) + admitted);
  }

  /** Called once per leader tick, after the lines' admissions: closes the bucket when due. */
  async tick(now = Date.now()): Promise<void> {
    this.bucketStart ??= now;
    if (++this.ticks < TICKS_PER_BUCKET) return;
    const at = this.bucketStart;
    const counts = this.counts;
    this.reset();
    this.bucketStart = now;
    // One pipeline per concert: a concert's keys share one Redis Cluster slot, two concerts' may not.
    await Promise.all(
      [...counts].map(([concertId, admitted]) => {
        const key = this.keys.concert(concertId).admissions;
        return this.redis
          .pipeline()
          .rpush(key, `${at}:${admitted}`)
          .ltrim(key, -HISTORY_BUCKETS, -1)
          .pexpire(key, HISTORY_TTL_MS)
          .exec();
      }),
    );
  }

  /** The closed buckets of a line, oldest first. */
  async read(concertId: number): Promise<HistoryBucket[]> {
    const raw = await this.redis.lrange(this.keys.concert(concertId).admissions, 0, -1);
    return raw.flatMap((entry) => {
      const [at, admitted] = entry.split(':').map(Number);
      return Number.isFinite(at) && Number.isFinite(admitted)
        ? [{ at: at!, admitted: admitted! }]
        : [];
    });
  }
}
