import { randomBytes } from 'node:crypto';
import { defineScripts, INFRA_LUA_DIR, type RedisClient } from '../../infra/redis/scripts.js';

const BOOKING_LUA_DIR = new URL('./lua/', import.meta.url).pathname;

export interface SeatLockOptions {
  /** How long a lock lives if never released (a crashed holder). */
  ttlMs: number;
  /**
   * Test seam: false turns the locks off entirely, so tests can prove the database alone keeps
   * seats from being sold twice. Production always runs with true.
   */
  enabled: boolean;
}

export interface SeatLock {
  /** Seats locked by someone else or known taken (refuse without touching the database). */
  busy: number[];
  /** The owner tags of the locks found on busy seats (see `acquire`). */
  holders: string[];
  release(): Promise<void>;
}

/**
 * Per-seat Redis locks in front of the booking transaction: `SET NX PX` with a random token,
 * taken in seat order, released with compare-and-delete after commit. They only keep a stampede
 * off PostgreSQL — correctness never depends on them (SPEC §3.1): a lock that expires early or
 * is lost lets a request through to the conditional UPDATE, which still refuses it.
 *
 * Locks alone only help while the winner's transaction runs; afterwards every late request would
 * reach the database. So committed holds and sales are also noted in a per-schedule "taken" set
 * (seat -> until when), read in the same round trip as the locks. It is a filter, never the
 * truth: an entry lapses by itself at the hold's deadline, cancel, expiry and refund clear it,
 * the leader removes any entry PostgreSQL contradicts (a clear that failed), and the whole set
 * expires once its schedule has started.
 */
export class SeatLockStore {
  private readonly scripts: Record<
    'compareAndDelete' | 'forgetTaken',
    (...args: (string | number)[]) => Promise<unknown>
  >;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    readonly options: SeatLockOptions,
  ) {
    this.scripts = {
      ...defineScripts<'compareAndDelete'>(redis, INFRA_LUA_DIR),
      ...defineScripts<'forgetTaken'>(redis, BOOKING_LUA_DIR),
    };
  }

  private key(scheduleId: number, seatId: number): string {
    return `${this.prefix}{s:${scheduleId}}:lock:${seatId}`;
  }

  private takenKey(scheduleId: number): string {
    return `${this.prefix}{s:${scheduleId}}:taken`;
  }

  /**
   * Notes seats as held until `untilMs` (or sold: Infinity). The set lives until `setExpiresAtMs`
   * (after its schedule started, when no hold can be made any more).
   */
  async markTaken(
    scheduleId: number,
    seatIds: number[],
    untilMs: number,
    setExpiresAtMs: number,
  ): Promise<void> {
    if (!this.options.enabled || seatIds.length === 0) return;
    const key = this.takenKey(scheduleId);
    const score = Number.isFinite(untilMs) ? untilMs : '+inf';
    const replies = await this.redis
      .multi()
      .zadd(key, ...seatIds.flatMap((id) => [score, id]))
      .pexpireat(key, Math.round(setExpiresAtMs))
      .exec();
    for (const [err] of replies ?? []) if (err) throw err;
  }

  async markFree(scheduleId: number, seatIds: number[]): Promise<void> {
    if (!this.options.enabled || seatIds.length === 0) return;
    await this.redis.zrem(this.takenKey(scheduleId), ...seatIds);
  }

  /** Entries that refuse a seat right now: seat id and score (as Redis writes it). */
  async refusing(scheduleId: number): Promise<{ seatId: number; score: string }[]> {
    if (!this.options.enabled) return [];
    const flat = await this.redis.zrangebyscore(
      this.takenKey(scheduleId),
      `(${Date.now()}`,
      '+inf',
      'WITHSCORES',
    );
    const entries: { seatId: number; score: string }[] = [];
    for (let i = 0; i < flat.length; i += 2)
      entries.push({ seatId: Number(flat[i]), score: flat[i + 1]! });
    return entries;
  }

  /** Removes entries that still have the score they were read with; returns how many. */
  async forget(scheduleId: number, entries: { seatId: number; score: string }[]): Promise<number> {
    if (entries.length === 0) return 0;
    const args = entries.flatMap((e) => [e.seatId, e.score]);
    return Number(await this.scripts.forgetTaken(this.takenKey(scheduleId), ...args));
  }

  /**
   * Locks the seats (all or none). `owner` is written into the locks (a request's Idempotency-Key
   * tag), so a request refused by them can tell that its own retry holds them.
   */
  async acquire(scheduleId: number, seatIds: number[], owner = ''): Promise<SeatLock> {
    if (!this.options.enabled) return { busy: [], holders: [], release: async () => undefined };
    const token = `${randomBytes(12).toString('hex')}/${owner}`;
    const sorted = [...seatIds].sort((a, b) => a - b);
    const now = Date.now();
    const pipeline = this.redis.pipeline();
    pipeline.zmscore(this.takenKey(scheduleId), ...sorted);
    // NX GET (Redis >= 7): sets the lock if free (answers nil), else answers the holder's token.
    for (const seatId of sorted) {
      pipeline.set(this.key(scheduleId, seatId), token, 'PX', this.options.ttlMs, 'NX', 'GET');
    }
    const replies = (await pipeline.exec()) ?? [];
    const takenUntil = (replies[0]?.[1] ?? []) as (string | null)[];
    const heldBy = sorted.map((_, i) => (replies[i + 1]?.[1] ?? null) as string | null);
    const locked = sorted.filter((_, i) => heldBy[i] === null && !replies[i + 1]?.[0]);
    const release = async () => {
      await Promise.all(
        locked.map((seatId) => this.scripts.compareAndDelete(this.key(scheduleId, seatId), token)),
      ).catch(() => undefined);
    };
    const failed = replies.find(([err]) => err)?.[0];
    if (failed || replies.length !== sorted.length + 1) {
      await release();
      throw failed ?? new Error('seat locks: incomplete pipeline reply');
    }
    const busy = sorted.filter((_, i) => {
      const until = takenUntil[i];
      return heldBy[i] !== null || (until != null && scoreMs(until) > now);
    });
    const holders = heldBy.flatMap((t) => (t === null ? [] : [t.slice(t.indexOf('/') + 1)]));
    if (busy.length > 0) await release();
    return { busy, holders, release };
  }
}

/** A score as Redis writes it: a sold seat's is "inf", which Number() would read as NaN. */
function scoreMs(score: string): number {
  return score === 'inf' ? Infinity : Number(score);
}
