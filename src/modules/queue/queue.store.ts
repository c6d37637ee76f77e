import { randomBytes } from 'node:crypto';
import { defineScripts, type RedisClient } from '../../infra/redis/scripts.js';
import { MAX_DEPARTED_PER_FRAME } from '@lineup/client-sdk/contract';
import { QueueKeys } from './queue.keys.js';

// Redis edge of the queue: every read and write of queue state goes through a Lua script in
// ./lua (atomic per concert) or a plain command on a single key.

export interface QueuePolicy {
  maxActive: number;
  admitPerMinute: number;
  maxWaiting: number;
  activeIdleSeconds: number;
  activeMaxSeconds: number;
  paused: boolean;
  /** Join challenge difficulty (0 = off); per concert only, no configured default. */
  challengeBits: number;
}
export type PolicyDefaults = Omit<QueuePolicy, 'paused' | 'challengeBits'>;

export type EntryState = 'prequeue' | 'waiting' | 'active';

/** A fixed-window limit the join script counts (points 0: none). */
export interface WindowLimit {
  points: number;
  durationMs: number;
}

/** The join's rate limits, counted by the join script itself (one Redis call for both). */
export interface JoinLimits {
  address: string;
  perUser: WindowLimit;
  perAddress: WindowLimit;
}

const NO_LIMIT: WindowLimit = { points: 0, durationMs: 0 };
/** A join without a challenge (join-13 ARGV[9] = -1; the nonce key is never touched). */
const NO_PROOF_GIVEN = { bits: -1, id: '-', rememberMs: 1 };

export interface JoinResult {
  created: boolean;
  /** 'closed': the line was retired (its sale is over); 'limited': a rate limit refused it. */
  state: EntryState | 'full' | 'closed' | 'limited' | 'challengeRequired' | 'challengeFailed';
  /** challengeRequired / challengeFailed: the concert's challengeBits, and why it failed. */
  bits?: number;
  reason?: string;
  /** 'limited': when the refusing window ends. */
  retryAfterMs?: number;
  eid?: number;
  position?: number;
  rate?: number;
  activeUntil?: number;
  /** The fan's admission was past its deadline: this join ended it (and made a new entry). */
  expiredNow?: boolean;
  /** A live entry: the line's sold-out facts as of the last tick (SPEC §2). */
  soldOut?: boolean;
  heldSeats?: number;
}

export interface StatusResult {
  state: EntryState | 'ended' | 'none';
  position?: number;
  rate?: number;
  activeUntil?: number;
  reason?: string;
  /** The admission tick this answer is exact as of (every live entry). */
  tick?: number;
  /** The fan's ticket (waiting only): its order key in the line. */
  ticket?: number;
  /** The admission was past its deadline: this read ended it (state 'ended', reason 'expired'). */
  expiredNow?: boolean;
  /** A live entry: the line's sold-out facts as of the last tick (SPEC §2). */
  soldOut?: boolean;
  heldSeats?: number;
}

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

export interface Lease {
  token: string;
  expiresAt: number;
}

export interface LeaderInfo {
  instanceId: string;
  since: number;
  token: string;
}

/** Tickets of fans who arrive after the sale opened: above every shuffled pre-queue ticket. */
export const LATE_TICKET_OFFSET = 1_000_000_000;
const SCRIPT_DIR = new URL('./lua/', import.meta.url).pathname;
/** Bounded work per script call keeps a tick's cost independent of the line's length. */
const SWEEP_LIMIT = 500;
/** A retired line refuses joins this long: well beyond any instance's cached sale window. */
const RETIRED_TOMBSTONE_SECONDS = 300;

type ScriptName =
  | 'join'
  | 'entryStatus'
  | 'leave'
  | 'expireActive'
  | 'removeAbandoned'
  | 'shuffle'
  | 'admit'
  | 'copyLease'
  | 'acquireLease'
  | 'renewLease'
  | 'releaseLease'
  | 'touchSeen'
  | 'retire'
  | 'closeLine';

/** cjson encodes an empty Lua table as {}; the callers expect arrays. */
function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

export class QueueStore {
  readonly keys: QueueKeys;
  private readonly scripts: Record<ScriptName, (...args: (string | number)[]) => Promise<unknown>>;

  constructor(
    readonly redis: RedisClient,
    prefix: string,
  ) {
    this.keys = new QueueKeys(prefix);
    this.scripts = defineScripts<ScriptName>(redis, SCRIPT_DIR);
  }

  private async json<T>(name: ScriptName, ...args: (string | number)[]): Promise<T> {
    return JSON.parse((await this.scripts[name](...args)) as string) as T;
  }

  join(
    concertId: number,
    userId: number,
    saleOpensAt: number,
    maxWaiting: number,
    limits?: JoinLimits,
    proof: { bits: number; id: string; rememberMs: number } = NO_PROOF_GIVEN,
  ): Promise<JoinResult> {
    const perUser = limits?.perUser ?? NO_LIMIT;
    const perAddress = limits?.perAddress ?? NO_LIMIT;
    return this.json(
      'join',
      ...this.keys.entryKeys(concertId),
      ...this.keys.joinLimits(concertId, userId, limits?.address ?? '-'),
      this.keys.usedNonce(concertId, proof.id),
      userId,
      saleOpensAt,
      maxWaiting,
      LATE_TICKET_OFFSET,
      perUser.points,
      perUser.durationMs,
      perAddress.points,
      perAddress.durationMs,
      proof.bits,
      proof.rememberMs,
    );
  }

  status(
    concertId: number,
    userId: number,
    eid: number,
    mode: 'status' | 'guard',
    activeIdleSeconds: number,
  ): Promise<StatusResult> {
    return this.json(
      'entryStatus',
      ...this.keys.entryKeys(concertId),
      userId,
      eid,
      mode,
      activeIdleSeconds,
    );
  }

  /** Statuses of many fans of one concert in one round trip (gateway resynchronisation). */
  async statuses(
    concertId: number,
    fans: { userId: number; eid: number }[],
    idleSeconds: number,
  ): Promise<StatusResult[]> {
    if (fans.length === 0) return [];
    const pipeline = this.redis.pipeline();
    const keys = this.keys.entryKeys(concertId);
    for (const f of fans)
      this.call(pipeline, 'entryStatus', ...keys, f.userId, f.eid, 'status', idleSeconds);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([err, value]) => {
      if (err) throw err;
      return JSON.parse(value as string) as StatusResult;
    });
  }

  /** Signs of life for fans whose sockets are connected: one script call for all of them. */
  async touchSeen(concertId: number, userIds: number[]): Promise<void> {
    if (userIds.length > 0)
      await this.scripts.touchSeen(this.keys.concert(concertId).seen, ...userIds);
  }

  async leave(
    concertId: number,
    userId: number,
    eid: number | null,
    reason: 'left' | 'completed' | 'removed',
  ): Promise<EntryState | 'none'> {
    const out = await this.json<{ previous: EntryState | 'none' }>(
      'leave',
      ...this.keys.entryKeys(concertId),
      userId,
      eid ?? '',
      reason,
    );
    return out.previous;
  }

  async registerConcert(concertId: number): Promise<void> {
    await this.redis.sadd(this.keys.registry, concertId);
  }

  async concerts(): Promise<number[]> {
    return (await this.redis.smembers(this.keys.registry)).map(Number);
  }

  /**
   * Retires a concert's line (leader only, fenced): ends every live entry ('closed'), deletes the
   * line's keys, then takes the concert off the leader's list. Returns the fans whose entry ended,
   * or null if the lease was refused. Safe to repeat if interrupted.
   */
  async retire(concertId: number, token: string): Promise<string[] | null> {
    const out = await this.json<{ fenced?: boolean; ended?: unknown }>(
      'retire',
      ...this.keys.entryKeys(concertId),
      this.keys.concert(concertId).lease,
      this.keys.concert(concertId).admissions,
      token,
      RETIRED_TOMBSTONE_SECONDS,
    );
    if (out.fenced) return null;
    await this.redis.srem(this.keys.registry, concertId);
    return list<string>(out.ended);
  }

  /**
   * Closes a concert's line (operators): ends every waiting and pre-queue place ('closed') and
   * refuses joins from now on. Returns the fans whose place ended.
   */
  async closeLine(concertId: number): Promise<string[]> {
    const out = await this.json<{ ended?: unknown }>(
      'closeLine',
      ...this.keys.entryKeys(concertId),
    );
    return list<string>(out.ended);
  }

  // ---- leader lease ----

  async acquireLease(instanceId: string, leaseMs: number): Promise<Lease | null> {
    const out = await this.json<Partial<Lease>>(
      'acquireLease',
      this.keys.leaderLease,
      this.keys.leaderEpoch,
      instanceId,
      leaseMs,
      randomBytes(8).toString('hex'),
    );
    return out.token && out.expiresAt ? { token: out.token, expiresAt: out.expiresAt } : null;
  }

  /** The lease's new expiry (Redis time), or null if it is no longer ours. */
  async renewLease(token: string, leaseMs: number): Promise<number | null> {
    const expiresAt = Number(await this.scripts.renewLease(this.keys.leaderLease, token, leaseMs));
    return expiresAt > 0 ? expiresAt : null;
  }

  async releaseLease(token: string): Promise<boolean> {
    return Number(await this.scripts.releaseLease(this.keys.leaderLease, token)) === 1;
  }

  async leader(): Promise<LeaderInfo | null> {
    const raw = await this.redis.get(this.keys.leaderLease);
    return raw ? (JSON.parse(raw) as LeaderInfo) : null;
  }

  // ---- leader work, all fenced by the lease ----

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
        const k = this.keys.concert(concertId);
        const pipeline = this.redis.pipeline();
        this.call(pipeline, 'copyLease', k.lease, lease.token, lease.expiresAt, copyTtlMs);
        this.call(
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
        this.call(
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
    const out = await this.json<Record<string, unknown>>(
      'admit',
      ...this.admitArgs(concertId, lease.token, defaults),
      ...seats,
    );
    return out.fenced ? null : normaliseTick(out);
  }

  /** The pre-queue as [user, entry id] pairs (the entry id is the member's score). */
  async prequeueEntries(concertId: number): Promise<[string, number][]> {
    const flat = await this.redis.zrange(
      this.keys.concert(concertId).prequeue,
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
    const k = this.keys.concert(concertId);
    return this.json('shuffle', k.lease, k.meta, k.prequeue, k.waiting, token, reveal, ...order);
  }

  /** Whether the line's pre-queue was shuffled, and the reveal stored with that shuffle. */
  async fairnessState(concertId: number): Promise<{ shuffled: boolean; reveal: string | null }> {
    const [shuffled, reveal] = await this.redis.hmget(
      this.keys.concert(concertId).meta,
      'shuffled',
      'fairness',
    );
    return { shuffled: shuffled === '1', reveal: reveal ?? null };
  }

  // ---- operators ----

  async policyOverrides(concertId: number): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.concert(concertId).policy);
  }

  async setPolicy(concertId: number, patch: Partial<QueuePolicy>): Promise<void> {
    const fields = Object.entries(patch).flatMap(([key, value]) =>
      value === undefined
        ? []
        : [key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value)],
    );
    if (fields.length > 0) await this.redis.hset(this.keys.concert(concertId).policy, ...fields);
  }

  async counts(concertId: number): Promise<{
    waiting: number;
    prequeue: number;
    active: number;
    admittedTotal: number;
    ratePerSecond: number | null;
    saleOpensAt: number | null;
    closed: boolean;
    /** The line's sold-out facts as of the last tick (SPEC §2). */
    soldOut: boolean;
    heldSeats: number;
  }> {
    const k = this.keys.concert(concertId);
    const replies = (await this.redis
      .pipeline()
      .zcard(k.waiting)
      .zcard(k.prequeue)
      .zcard(k.active)
      .hmget(k.meta, 'admittedTotal', 'ewma', 'saleOpensAt', 'closed', 'soldOut', 'heldSeats')
      .exec())!.map(([err, v]) => {
      if (err) throw err;
      return v;
    });
    const [admittedTotal, ewma, saleOpensAt, closed, soldOut, heldSeats] = replies[3] as (
      string | null
    )[];
    return {
      waiting: Number(replies[0]),
      prequeue: Number(replies[1]),
      active: Number(replies[2]),
      admittedTotal: Number(admittedTotal ?? 0),
      ratePerSecond: ewma ? Number(ewma) : null,
      saleOpensAt: saleOpensAt ? Number(saleOpensAt) : null,
      closed: closed === '1',
      soldOut: soldOut === '1',
      heldSeats: Number(heldSeats ?? 0),
    };
  }

  private admitArgs(concertId: number, token: string, d: PolicyDefaults): (string | number)[] {
    const k = this.keys.concert(concertId);
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

  private call(
    pipeline: ReturnType<RedisClient['pipeline']>,
    name: ScriptName,
    ...args: (string | number)[]
  ): void {
    (pipeline as unknown as Record<string, (...a: (string | number)[]) => unknown>)[name]!(...args);
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
