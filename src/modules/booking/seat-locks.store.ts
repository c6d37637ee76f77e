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
  /** Seats someone else had locked (the request should be refused without touching the database). */
  busy: number[];
  release(): Promise<void>;
}

/**
 * Per-seat Redis locks in front of the booking transaction: `SET NX PX` with a random token,
 * taken in seat order, released with compare-and-delete after commit. They only keep a stampede
 * off PostgreSQL — correctness never depends on them (SPEC §3.1): a lock that expires early or
 * is lost lets a request through to the conditional UPDATE, which still refuses it.
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

  async acquire(scheduleId: number, seatIds: number[]): Promise<SeatLock> {
    if (!this.options.enabled) return { busy: [], release: async () => undefined };
    const token = randomBytes(12).toString('hex');
    const sorted = [...seatIds].sort((a, b) => a - b);
    const pipeline = this.redis.pipeline();
    for (const seatId of sorted)
      pipeline.set(this.key(scheduleId, seatId), token, 'PX', this.options.ttlMs, 'NX');
    const replies = (await pipeline.exec()) ?? [];
    const taken = sorted.filter((_, i) => replies[i]?.[1] === 'OK');
    const release = async () => {
      await Promise.all(
        taken.map((seatId) => this.scripts.compareAndDelete(this.key(scheduleId, seatId), token)),
      ).catch(() => undefined);
    };
    const busy = sorted.filter((_, i) => replies[i]?.[1] !== 'OK');
    if (busy.length > 0) await release();
    return { busy, release };
  }
}
