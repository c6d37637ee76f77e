import type { QueueScripts } from './queue-scripts.store.js';
import { list } from './queue-scripts.store.js';

// A fan's entry in a concert's line: joining, status reads, leaving, and the line's end (retired
// by the leader, closed by operators).

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

/** Tickets of fans who arrive after the sale opened: above every shuffled pre-queue ticket. */
export const LATE_TICKET_OFFSET = 1_000_000_000;
/** A retired line refuses joins this long: well beyond any instance's cached sale window. */
const RETIRED_TOMBSTONE_SECONDS = 300;

export class QueueEntriesStore {
  constructor(private readonly q: QueueScripts) {}

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
    return this.q.json(
      'join',
      ...this.q.keys.entryKeys(concertId),
      ...this.q.keys.joinLimits(concertId, userId, limits?.address ?? '-'),
      this.q.keys.usedNonce(concertId, proof.id),
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
    return this.q.json(
      'entryStatus',
      ...this.q.keys.entryKeys(concertId),
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
    const pipeline = this.q.redis.pipeline();
    const keys = this.q.keys.entryKeys(concertId);
    for (const f of fans)
      this.q.call(pipeline, 'entryStatus', ...keys, f.userId, f.eid, 'status', idleSeconds);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([err, value]) => {
      if (err) throw err;
      return JSON.parse(value as string) as StatusResult;
    });
  }

  /** Signs of life for fans whose sockets are connected: one script call for all of them. */
  async touchSeen(concertId: number, userIds: number[]): Promise<void> {
    if (userIds.length > 0)
      await this.q.scripts.touchSeen(this.q.keys.concert(concertId).seen, ...userIds);
  }

  async leave(
    concertId: number,
    userId: number,
    eid: number | null,
    reason: 'left' | 'completed' | 'removed',
  ): Promise<EntryState | 'none'> {
    const out = await this.q.json<{ previous: EntryState | 'none' }>(
      'leave',
      ...this.q.keys.entryKeys(concertId),
      userId,
      eid ?? '',
      reason,
    );
    return out.previous;
  }

  async registerConcert(concertId: number): Promise<void> {
    await this.q.redis.sadd(this.q.keys.registry, concertId);
  }

  async concerts(): Promise<number[]> {
    return (await this.q.redis.smembers(this.q.keys.registry)).map(Number);
  }

  /**
   * Retires a concert's line (leader only, fenced): ends every live entry ('closed'), deletes the
   * line's keys, then takes the concert off the leader's list. Returns the fans whose entry ended,
   * or null if the lease was refused. Safe to repeat if interrupted.
   */
  async retire(concertId: number, token: string): Promise<string[] | null> {
    const out = await this.q.json<{ fenced?: boolean; ended?: unknown }>(
      'retire',
      ...this.q.keys.entryKeys(concertId),
      this.q.keys.concert(concertId).lease,
      this.q.keys.concert(concertId).admissions,
      token,
      RETIRED_TOMBSTONE_SECONDS,
    );
    if (out.fenced) return null;
    await this.q.redis.srem(this.q.keys.registry, concertId);
    return list<string>(out.ended);
  }

  /**
   * Closes a concert's line (operators): ends every waiting and pre-queue place ('closed') and
   * refuses joins from now on. Returns the fans whose place ended.
   */
  async closeLine(concertId: number): Promise<string[]> {
    const out = await this.q.json<{ ended?: unknown }>(
      'closeLine',
      ...this.q.keys.entryKeys(concertId),
    );
    return list<string>(out.ended);
  }
}
