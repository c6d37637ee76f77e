import { MAX_DEPARTED_PER_FRAME } from '@lineup/client-sdk/contract';
import type { QueueScripts } from './queue-scripts.store.js';
import { list } from './queue-scripts.store.js';
import type { Lease } from './queue-lease.store.js';
import type { PolicyDefaults } from './queue-policy.store.js';

// The leader's tick, all fenced by the lease: sweep (expired and abandoned fans), admission
// bounded by seats, and the fairness shuffle of the pre-queue.

export interface TickResult {
  tick: number;
  /** When the tick ran (Redis time, ms): the moment of these admissions. */
  at: number;
  needsShuffle: boolean;
  /** [user, ticket, activeUntil] in admission order. */
  admitted: [string, number, number][];
  /** Tickets of waiting fans gone since the last tick, ascending; null when there were too many. */
  departed: number[] | null;
  waiting: number;
  prequeue: number;
  active: number;
  ratePerSecond: number | null;
  /** SPEC §2 "Sold-out awareness", as this tick left them (kept in `meta` for status reads). */
  soldOut: boolean;
  heldSeats: number;
}

/**
 * What bounds a tick's admissions by seats (admit-9.lua): the concert's seats on sale and which
 * admitted fans hold some; `none` when no schedule is on sale, `unknown` when they could not be read.
 */
export type SeatBudget =
  | { seats: 'counted'; available: number; held: number; holders: number[] }
  | { seats: 'none' }
  | { seats: 'unknown' };

/** A concert's sweep of a tick (expired and abandoned fans), before its admission. */
export interface ConcertSweep {
  concertId: number;
  fenced: boolean;
  expired: string[];
  removed: string[];
  /** The admitted fans after the sweep (at most maxActive): whose holds the leader looks up. */
  active: string[];
}

export interface ConcertTick {
  concertId: number;
  fenced: boolean;
  expired: string[];
  removed: string[];
  admit: TickResult | null;
}

/** Bounded work per script call keeps a tick's cost independent of the line's length. */
const SWEEP_LIMIT = 500;

export class QueueAdmissionStore {
  constructor(private readonly q: QueueScripts) {}

  /**
   * A tick's first half: per concert, copy the lease (token + expiry) into its slot, expire
   * admissions, remove abandoned fans and read who is admitted — one pipeline per concert (a
   * concert's keys share a slot, so this also holds on Redis Cluster), all concerts in parallel.
   * The leader then reads the seats on sale and admits (`admit`).
   */
  async sweep(concertIds: number[], lease: Lease, abandonSeconds: number): Promise<ConcertSweep[]> {
    // Clean-up TTL only: validity is checked against the expiry inside the copy.
    const copyTtlMs = Math.max(1, lease.expiresAt - Date.now()) + 60_000;
    return Promise.all(
      concertIds.map(async (concertId) => {
        const k = this.q.keys.concert(concertId);
        const pipeline = this.q.redis.pipeline();
        this.q.call(pipeline, 'copyLease', k.lease, lease.token, lease.expiresAt, copyTtlMs);
        this.q.call(
          pipeline,
          'expireActive',
          k.lease,
          k.active,
          k.activeMax,
          k.eid,
          k.ended,
          k.seen,
          lease.token,
          SWEEP_LIMIT,
        );
        this.q.call(
          pipeline,
          'removeAbandoned',
          k.lease,
          k.seen,
          k.prequeue,
          k.waiting,
          k.active,
          k.activeMax,
          k.eid,
          k.ended,
          k.departed,
          lease.token,
          abandonSeconds,
          SWEEP_LIMIT,
        );
        pipeline.zrange(k.active, 0, -1);
        const replies = (await pipeline.exec()) ?? [];
        const [, expire, abandon, active] = replies.map(([err, value]) => {
          if (err) throw err;
          return typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : value;
        }) as [unknown, Record<string, unknown>, Record<string, unknown>, string[]];
        return {
          concertId,
          fenced: Boolean(expire?.fenced || abandon?.fenced),
          // Past a deadline, or gone without a sign of life (both end as 'expired').
          expired: [...list<string>(expire?.expired), ...list<string>(abandon?.expired)],
          removed: list<string>(abandon?.removed),
          active,
        };
      }),
    );
  }

  /** A tick's admission for one concert, bounded by its seats (admit-9.lua); null if fenced. */
  async admit(
    concertId: number,
    lease: Lease,
    defaults: PolicyDefaults,
    budget: SeatBudget,
  ): Promise<TickResult | null> {
    const seats =
      budget.seats === 'counted'
        ? ['counted', budget.available, budget.held, ...budget.holders]
        : [budget.seats, 0, 0];
    const out = await this.q.json<Record<string, unknown>>(
      'admit',
      ...this.admitArgs(concertId, lease.token, defaults),
      ...seats,
    );
    return out.fenced ? null : normaliseTick(out);
  }

  /** The pre-queue as [user, entry id] pairs (the entry id is the member's score). */
  async prequeueEntries(concertId: number): Promise<[string, number][]> {
    const flat = await this.q.redis.zrange(
      this.q.keys.concert(concertId).prequeue,
      0,
      -1,
      'WITHSCORES',
    );
    const entries: [string, number][] = [];
    for (let i = 0; i < flat.length; i += 2) entries.push([flat[i]!, Number(flat[i + 1])]);
    return entries;
  }

  /**
   * Moves the pre-queue into the line in the given order and stores `reveal` (the fairness seed
   * and order) with it, atomically: the seed is readable exactly when the shuffle has landed.
   */
  async shuffle(
    concertId: number,
    token: string,
    reveal: string,
    order: string[],
  ): Promise<{ fenced?: boolean; done?: string; count?: number }> {
    const k = this.q.keys.concert(concertId);
    return this.q.json('shuffle', k.lease, k.meta, k.prequeue, k.waiting, token, reveal, ...order);
  }

  /** Whether the line's pre-queue was shuffled, and the reveal stored with that shuffle. */
  async fairnessState(concertId: number): Promise<{ shuffled: boolean; reveal: string | null }> {
    const [shuffled, reveal] = await this.q.redis.hmget(
      this.q.keys.concert(concertId).meta,
      'shuffled',
      'fairness',
    );
    return { shuffled: shuffled === '1', reveal: reveal ?? null };
  }

  private admitArgs(concertId: number, token: string, d: PolicyDefaults): (string | number)[] {
    const k = this.q.keys.concert(concertId);
    return [
      k.lease,
      k.meta,
      k.policy,
      k.prequeue,
      k.waiting,
      k.active,
      k.activeMax,
      k.seen,
      k.departed,
      token,
      d.maxActive,
      d.admitPerMinute,
      d.activeIdleSeconds,
      d.activeMaxSeconds,
      MAX_DEPARTED_PER_FRAME,
    ];
  }
}

function normaliseTick(raw: Record<string, unknown>): TickResult {
  return {
    tick: Number(raw.tick),
    at: Number(raw.at),
    needsShuffle: Boolean(raw.needsShuffle),
    admitted: list<[string, number, number]>(raw.admitted),
    departed: raw.departed === false ? null : list<number>(raw.departed),
    waiting: Number(raw.waiting),
    prequeue: Number(raw.prequeue),
    active: Number(raw.active),
    ratePerSecond: typeof raw.ratePerSecond === 'number' ? raw.ratePerSecond : null,
    soldOut: raw.soldOut === true,
    heldSeats: Number(raw.heldSeats ?? 0),
  };
}
