import { randomBytes } from 'node:crypto';
import { defineScripts, type RedisClient } from '../../infra/redis/scripts.js';

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

/** Seats a hold cannot take now, and who holds the live locks among them. */
export interface SeatsBusy {
  /** Seats locked by someone else or known taken (refuse without touching the database). */
  busy: number[];
  /** The owner tags of the locks found on busy seats (see `acquire`). */
  holders: string[];
}

export interface SeatLock extends SeatsBusy {
  /** Releases the locks (once; `settle` may have released them already). */
  release(): Promise<void>;
}

/** What a commit changed in a schedule's seats, for the "taken" filter (see `settle`). */
export interface TakenChanges {
  free: number[];
  held: number[];
  /** The held seats' deadline (ms). */
  heldUntil: number;
  sold: number[];
  /** When the taken set may go (ms since the epoch). */
  setExpiresAtMs: number;
}

/** The locks one request took: released by `settle` with its commit's filter update, or alone. */
class RequestLock implements SeatLock {
  readonly busy: number[] = [];
  readonly holders: string[] = [];
  released = false;

  constructor(
    private readonly store: SeatLockStore,
    readonly scheduleId: number,
    readonly token: string,
    readonly seatIds: number[],
  ) {}

  async release(): Promise<void> {
    // settle marks the lock released once Redis did it (a failure leaves it to expire).
    await this.store.settle(this.scheduleId, null, this).catch(() => undefined);
  }
}

/**
 * Per-seat Redis locks in front of the booking transaction: fields of one hash per schedule, each
 * with a random token and its own deadline, taken all or none by one script (lockSeats) and
 * released by compare-and-delete after commit, in the same script that updates the filter
 * (settleSeats): one round trip each. They only keep a stampede
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
    'forgetTaken' | 'lockSeats' | 'seatsBusy' | 'settleSeats',
    (...args: (string | number)[]) => Promise<unknown>
  >;

  /** Lock tokens: random per store (so per instance), then counted. */
  private readonly tokenPrefix = `${randomBytes(12).toString('hex')}.`;
  private tokens = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    readonly options: SeatLockOptions,
  ) {
    this.scripts = defineScripts(redis, BOOKING_LUA_DIR);
  }

  private locksKey(scheduleId: number): string {
    return `${this.prefix}{s:${scheduleId}}:lock:seats`;
  }

  private takenKey(scheduleId: number): string {
    return `${this.prefix}{s:${scheduleId}}:taken`;
  }

  /**
   * After a commit: notes its seats in the filter (held until `heldUntil`, sold for good, free
   * again) and releases `lock` (when given, and not released yet), in one round trip. The set
   * lives until `setExpiresAtMs` (after its schedule started, when no hold can be made any more).
   */
  async settle(
    scheduleId: number,
    changes: TakenChanges | null,
    lock?: SeatLock | null,
  ): Promise<void> {
    if (!this.options.enabled) return;
    const mine = lock instanceof RequestLock && !lock.released ? lock : null;
    const args: (string | number)[] = [];
    for (const id of changes?.free ?? []) args.push('free', id);
    for (const id of changes?.held ?? []) args.push('held', id);
    for (const id of changes?.sold ?? []) args.push('sold', id);
    for (const id of mine?.seatIds ?? []) args.push('unlock', id);
    if (args.length === 0) return;
    await this.scripts.settleSeats(
      this.takenKey(scheduleId),
      this.locksKey(scheduleId),
      mine?.token ?? '',
      Math.round(changes?.heldUntil ?? 0),
      Math.round(changes?.setExpiresAtMs ?? 0),
      ...args,
    );
    if (mine) mine.released = true;
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
   * The seats that are busy (taken or locked) right now, locking nothing: a refusal answered
   * without a lock to take and release. Free seats may still be refused by `acquire`.
   */
  async busy(scheduleId: number, seatIds: number[]): Promise<SeatsBusy> {
    if (!this.options.enabled) return { busy: [], holders: [] };
    const [busy, tokens] = (await this.scripts.seatsBusy(
      this.takenKey(scheduleId),
      this.locksKey(scheduleId),
      ...seatIds,
    )) as [number[], string[]];
    return { busy, holders: holdersOf(tokens) };
  }

  /**
   * Locks the seats (all or none) unless one is busy (taken or locked). `owner` is written into
   * the locks (a request's Idempotency-Key tag), so a request refused by them can tell that its own
   * retry holds them. A refused request holds no lock.
   */
  async acquire(scheduleId: number, seatIds: number[], owner = ''): Promise<SeatLock> {
    if (!this.options.enabled) return { busy: [], holders: [], release: async () => undefined };
    // Unique, not secret (it only tells this request's locks from others'): the store's random
    // prefix and a counter, not 12 random bytes per request (a seat storm's every refusal).
    const token = `${this.tokenPrefix}${(++this.tokens).toString(36)}/${owner}`;
    const sorted = [...seatIds].sort((a, b) => a - b);
    const [busy, tokens] = (await this.scripts.lockSeats(
      this.takenKey(scheduleId),
      this.locksKey(scheduleId),
      token,
      this.options.ttlMs,
      ...sorted,
    )) as [number[], string[]];
    if (busy.length > 0)
      return { busy, holders: holdersOf(tokens), release: async () => undefined };
    return new RequestLock(this, scheduleId, token, sorted);
  }
}

/** The owner tags of lock tokens ("<random>/<owner tag>"). */
function holdersOf(tokens: string[]): string[] {
  return tokens.map((t) => t.slice(t.indexOf('/') + 1));
}
