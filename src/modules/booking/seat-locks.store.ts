import { randomBytes } from 'node:crypto';
import { defineScripts, INFRA_LUA_DIR, type RedisClient } from '../../infra/redis/scripts.js';

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
 * truth: an entry lapses by itself at the hold's deadline, and cancel, expiry and refund clear it.
 */
export class SeatLockStore {
  private readonly scripts: Record<
    'compareAndDelete',
    (...args: (string | number)[]) => Promise<unknown>
  >;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    readonly options: SeatLockOptions,
  ) {
    this.scripts = defineScripts(redis, INFRA_LUA_DIR);
  }

  private key(scheduleId: number, seatId: number): string {
    return `${this.prefix}{s:${scheduleId}}:lock:${seatId}`;
  }

  private takenKey(scheduleId: number): string {
    return `${this.prefix}{s:${scheduleId}}:taken`;
  }

  /** Notes seats as held until `untilMs` (or sold: Infinity). */
  async markTaken(scheduleId: number, seatIds: number[], untilMs: number): Promise<void> {
    if (!this.options.enabled || seatIds.length === 0) return;
    const score = Number.isFinite(untilMs) ? untilMs : '+inf';
    await this.redis
      .zadd(this.takenKey(scheduleId), ...seatIds.flatMap((id) => [score, id]))
      .catch(() => undefined);
  }

  async markFree(scheduleId: number, seatIds: number[]): Promise<void> {
    if (!this.options.enabled || seatIds.length === 0) return;
    await this.redis.zrem(this.takenKey(scheduleId), ...seatIds).catch(() => undefined);
  }

  async acquire(scheduleId: number, seatIds: number[]): Promise<SeatLock> {
    if (!this.options.enabled) return { busy: [], release: async () => undefined };
    const token = randomBytes(12).toString('hex');
    const sorted = [...seatIds].sort((a, b) => a - b);
    const now = Date.now();
    const pipeline = this.redis.pipeline();
    pipeline.zmscore(this.takenKey(scheduleId), ...sorted);
    for (const seatId of sorted) {
      pipeline.set(this.key(scheduleId, seatId), token, 'PX', this.options.ttlMs, 'NX');
    }
    const replies = (await pipeline.exec()) ?? [];
    const takenUntil = (replies[0]?.[1] ?? []) as (string | null)[];
    const locked = sorted.filter((_, i) => replies[i + 1]?.[1] === 'OK');
    const release = async () => {
      await Promise.all(
        locked.map((seatId) => this.scripts.compareAndDelete(this.key(scheduleId, seatId), token)),
      ).catch(() => undefined);
    };
    const busy = sorted.filter((_, i) => {
      const until = takenUntil[i];
      return replies[i + 1]?.[1] !== 'OK' || (until != null && Number(until) > now);
    });
    if (busy.length > 0) await release();
    return { busy, release };
  }
}
