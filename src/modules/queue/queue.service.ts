import type { Config } from '../../config/index.js';
import { AppError } from '../../infra/app-error.js';
import { rateLimited, type RateLimits } from '../../infra/http/rate-limits.js';
import type {
  AdminQueueStats,
  JoinChallenge,
  JoinResponse,
  QueueFairness,
  QueuePolicyPatch,
  QueueSocketStatus,
  QueueStatus,
} from '@lineup/client-sdk/contract';
import type { CatalogueService } from '../catalogue/catalogue.service.js';
import type { FairnessService } from './fairness.service.js';
import type { JoinChallenges } from './join-challenges.crypto.js';
import type { AdmissionHistory } from './admission-history.store.js';
import type { QueueEventPublisher } from './queue.events.js';
import type { QueueClaims, QueueTokens } from './queue-tokens.crypto.js';
import type {
  PolicyDefaults,
  QueuePolicy,
  QueueStore,
  SeatBudget,
  StatusResult,
} from './queue.store.js';

export type { StatusResult };
import { SaleWindowCache } from './sale-windows.cache.js';
import {
  estimateWaitSeconds,
  retryAfterSeconds,
  socketStatusView,
  statusView,
  type EntryFacts,
} from './queue.views.js';

type Clock = () => Date;

/** A concert's seats on its schedules on sale, and which of its admitted fans hold some. */
export interface SeatsOnSale {
  concertId: number;
  schedules: number;
  available: number;
  held: number;
  holders: number[];
}

/** What a join request brings besides the user and the concert. */
export interface JoinRequest {
  /** The client's address (req.ip): the per-address join limit counts it. */
  address: string;
  /** A solved join challenge, when the concert asks for one. */
  challenge?: { nonce: string; solution: string };
}

// How long an instance trusts its copy of a concert's sale window (sale-windows.cache.ts).
const SALE_WINDOW_CACHE_MS = 5_000;

export class QueueService {
  private readonly saleWindows = new SaleWindowCache(async (concertId) => {
    const w = await this.catalogue.saleWindow(concertId);
    return { saleOpensAt: w.saleOpensAt.getTime(), saleEndsAt: w.saleEndsAt?.getTime() ?? null };
  }, SALE_WINDOW_CACHE_MS);
  private readonly registered = new Set<number>();

  constructor(
    private readonly store: QueueStore,
    private readonly tokens: QueueTokens,
    private readonly catalogue: CatalogueService,
    private readonly config: Config['queue'],
    private readonly events: QueueEventPublisher,
    private readonly limits: Pick<RateLimits, 'consume' | 'window'>,
    private readonly fairness: FairnessService,
    private readonly challenges: JoinChallenges,
    private readonly history: AdmissionHistory,
    private readonly now: Clock = () => new Date(),
  ) {}

  /**
   * `GET …/queue/challenge`: a nonce bound to the user and the concert, valid for
   * QUEUE_CHALLENGE_SECONDS, with the concert's current difficulty. Writes nothing.
   */
  async challenge(userId: number, concertId: number): Promise<JoinChallenge> {
    await this.saleWindows.get(concertId); // 404 CONCERT_NOT_FOUND
    const bits = Number((await this.store.policyOverrides(concertId)).challengeBits ?? 0);
    const { nonce, expiresAt } = this.challenges.issue(userId, concertId);
    return { nonce, bits, expiresAt: new Date(expiresAt).toISOString() };
  }

  get defaults(): PolicyDefaults {
    const c = this.config;
    return {
      maxActive: c.maxActive,
      admitPerMinute: c.admitPerMinute,
      maxWaiting: c.maxWaiting,
      activeIdleSeconds: c.activeIdleSeconds,
      activeMaxSeconds: c.activeMaxSeconds,
    };
  }

  /**
   * Joins the line (idempotent per user and concert). `created` says whether the place is new.
   * The hot path is one Redis call: the join script counts the join's rate limits (per user and
   * per address, 429 RATE_LIMITED) and joins. Only when this instance has no fresh copy of the
   * concert's sale window are the limits first counted on their own (rate-limiter-flexible),
   * so a stream of joins to unknown concerts meets a limit before each database lookup.
   */
  async join(
    userId: number,
    concertId: number,
    request: JoinRequest,
  ): Promise<{ created: boolean; body: JoinResponse }> {
    if (!this.saleWindows.has(concertId)) {
      await this.limits.consume('joinPerUser', userId);
      await this.limits.consume('joinPerIp', request.address);
    }
    const window = await this.saleWindows.get(concertId);
    if (window.saleEndsAt === null || window.saleEndsAt <= this.now().getTime())
      throw new AppError('SALE_ENDED');
    if (!this.registered.has(concertId)) {
      // Once per instance and concert: an older concert gets its fairness seed at its first join.
      await Promise.all([this.store.registerConcert(concertId), this.fairness.commit(concertId)]);
      this.registered.add(concertId);
    }
    // A challenge is checked here, in memory (MAC, expiry, one SHA-256); the join script weighs
    // the proof against the concert's challengeBits and marks the nonce used: still one call.
    const proof = request.challenge
      ? {
          ...this.challenges.prove(
            userId,
            concertId,
            request.challenge.nonce,
            request.challenge.solution,
          ),
          rememberMs: this.challenges.lifetimeMs,
        }
      : undefined;
    const result = await this.store.join(
      concertId,
      userId,
      window.saleOpensAt,
      this.config.maxWaiting,
      {
        address: request.address,
        perUser: this.limits.window('joinPerUser'),
        perAddress: this.limits.window('joinPerIp'),
      },
      proof,
    );
    if (result.state === 'limited') throw rateLimited(result.retryAfterMs ?? 1000);
    if (result.state === 'challengeRequired')
      throw new AppError('CHALLENGE_REQUIRED', { details: { bits: result.bits } });
    if (result.state === 'challengeFailed') {
      throw new AppError('CHALLENGE_FAILED', {
        details: { bits: result.bits, reason: proof?.reason ?? result.reason },
      });
    }
    if (result.expiredNow) this.tellExpired(concertId, userId);
    if (result.state === 'closed') throw new AppError('SALE_ENDED');
    if (result.state === 'full') {
      throw new AppError('QUEUE_FULL', {
        headers: { 'Retry-After': String(retryAfterSeconds(result.rate)) },
      });
    }
    const queueToken = await this.tokens.sign({ userId, concertId, eid: result.eid! });
    return {
      created: result.created,
      body: { ...this.view(concertId, result), queueToken, ref: this.fairness.ref(result.eid!) },
    };
  }

  /** The fan's place (SPEC QueueStatus). The call counts as a sign of life. */
  async status(token: string | undefined): Promise<QueueStatus> {
    return (await this.statusAsOfTick(token)).status;
  }

  /** The status and the line's tick it is exact as of (the poll's `Queue-Tick` header). */
  async statusAsOfTick(token: string | undefined): Promise<{ status: QueueStatus; tick: number }> {
    const claims = await this.claims(token);
    const entry = await this.entry(claims);
    return { status: this.view(claims.concertId, entry), tick: entry.tick ?? 0 };
  }

  async leave(token: string | undefined): Promise<void> {
    await this.leaveWith(await this.claims(token));
  }

  /**
   * The [admitted] check: the token must be valid, belong to `userId`, be for `concertId`, and
   * its holder must be active. Pushes back the fan's idle deadline. Returns the claims.
   */
  async requireActive(
    token: string | undefined,
    userId: number,
    concertId: number,
  ): Promise<QueueClaims> {
    const claims = await this.claims(token);
    holderOf(claims, userId, concertId);
    return this.requireActiveEntry(claims);
  }

  /**
   * The [admitted] check for a resource whose concert takes a lookup (a schedule's): the token
   * and the admission are checked first, from memory and Redis, so a fan who is refused costs
   * no lookup; `concertOf` runs only for an active fan.
   */
  async requireActiveFor(
    token: string | undefined,
    userId: number,
    concertOf: () => Promise<number> | number,
  ): Promise<QueueClaims> {
    const claims = await this.claims(token);
    holderOf(claims, userId, claims.concertId);
    await this.requireActiveEntry(claims);
    holderOf(claims, userId, await concertOf());
    return claims;
  }

  private async requireActiveEntry(claims: QueueClaims): Promise<QueueClaims> {
    const result = await this.read(claims, 'guard');
    if (result.state === 'active') return claims;
    if (result.state === 'ended')
      throw new AppError('ADMISSION_EXPIRED', { details: { reason: result.reason } });
    throw new AppError('NOT_ADMITTED', {
      details: {
        status: result.state === 'none' ? null : result.state,
        position: result.position ?? null,
        estimatedWaitSeconds: estimateWaitSeconds(result),
      },
    });
  }

  /**
   * Ends a fan's admission, e.g. after payment ('completed'). Safe to call when not active. With
   * `eid`, only that entry ends (a hold made under an earlier entry must not end a newer one).
   */
  async endAdmission(
    userId: number,
    concertId: number,
    reason: 'completed' | 'left' | 'removed' = 'completed',
    eid: number | null = null,
  ): Promise<boolean> {
    const previous = await this.store.leave(concertId, userId, eid, reason);
    if (previous === 'none') return false;
    this.events.publish({ type: 'ended', concertId, userId, reason });
    return true;
  }

  /**
   * Operators close a line: every waiting and pre-queue place ends with reason 'closed' (each of
   * their sockets is told, on whichever instance), later joins get 409 SALE_ENDED. Admitted fans
   * may finish. Returns how many places ended.
   */
  async close(concertId: number): Promise<{ ended: number }> {
    await this.catalogue.getConcert(concertId);
    const users = await this.store.closeLine(concertId);
    if (users.length > 0)
      this.events.publish({
        type: 'endedMany',
        concertId,
        userIds: users.map(Number),
        reason: 'closed',
      });
    return { ended: users.length };
  }

  /** The line's fairness record (SPEC §2): 404 CONCERT_NOT_FOUND for an unknown concert. */
  async fairnessOf(concertId: number): Promise<QueueFairness> {
    return this.fairness.view(concertId);
  }

  async stats(concertId: number): Promise<AdminQueueStats> {
    await this.catalogue.getConcert(concertId);
    const [counts, policy, leader, buckets] = await Promise.all([
      this.store.counts(concertId),
      this.policy(concertId),
      this.store.leader(),
      this.history.read(concertId),
    ]);
    return {
      waiting: counts.waiting,
      prequeue: counts.prequeue,
      active: counts.active,
      admittedTotal: counts.admittedTotal,
      admissionRatePerMinute:
        counts.ratePerSecond === null ? null : Math.round(counts.ratePerSecond * 60 * 100) / 100,
      policy,
      leader: leader
        ? { instanceId: leader.instanceId, since: new Date(leader.since).toISOString() }
        : null,
      closed: counts.closed,
      admissionHistory: {
        bucketSeconds: this.history.bucketMs / 1000,
        buckets: buckets.map((b) => ({ at: new Date(b.at).toISOString(), admitted: b.admitted })),
      },
    };
  }

  async policy(concertId: number): Promise<QueuePolicy> {
    const overrides = await this.store.policyOverrides(concertId);
    const num = (key: keyof PolicyDefaults) =>
      overrides[key] !== undefined ? Number(overrides[key]) : this.defaults[key];
    return {
      maxActive: num('maxActive'),
      admitPerMinute: num('admitPerMinute'),
      maxWaiting: num('maxWaiting'),
      activeIdleSeconds: num('activeIdleSeconds'),
      activeMaxSeconds: num('activeMaxSeconds'),
      paused: overrides.paused === '1',
      challengeBits: Number(overrides.challengeBits ?? 0),
    };
  }

  /** Operators change a running line; the leader applies it on its next tick, on any instance. */
  async updatePolicy(concertId: number, patch: QueuePolicyPatch): Promise<QueuePolicy> {
    await this.catalogue.getConcert(concertId);
    await this.store.setPolicy(concertId, patch);
    await this.store.registerConcert(concertId);
    return this.policy(concertId);
  }

  /**
   * Which of these concerts' sales are over: every schedule has started (a concert without
   * schedules yet is not over, nor one whose window cannot be read now). Their lines can go.
   */
  async salesOver(concertIds: number[]): Promise<number[]> {
    const now = this.now().getTime();
    const over = await Promise.all(
      concertIds.map(async (concertId) => {
        try {
          const { saleEndsAt } = await this.saleWindows.get(concertId);
          return saleEndsAt !== null && saleEndsAt <= now;
        } catch (err) {
          return err instanceof AppError && err.code === 'CONCERT_NOT_FOUND';
        }
      }),
    );
    return concertIds.filter((_, i) => over[i]);
  }

  /**
   * What bounds each line's admissions this tick (SPEC §2 "Sold-out awareness"), from `read`
   * (booking's one statement for all the lines: seats on sale, and which admitted fans hold some).
   * A line without a schedule on sale is not bounded by seats (nothing on sale can run out) and
   * is never sold out.
   */
  async seatBudgets(
    lines: { concertId: number; active: number[] }[],
    read: (lines: { concertId: number; active: number[] }[]) => Promise<SeatsOnSale[]>,
  ): Promise<Map<number, SeatBudget>> {
    if (lines.length === 0) return new Map();
    const budgets = new Map<number, SeatBudget>(lines.map((l) => [l.concertId, { seats: 'none' }]));
    for (const s of await read(lines)) {
      if (s.schedules === 0) continue;
      budgets.set(s.concertId, {
        seats: 'counted',
        available: s.available,
        held: s.held,
        holders: s.holders,
      });
    }
    return budgets;
  }

  /** The concerts whose lines the leader runs. */
  concerts(): Promise<number[]> {
    return this.store.concerts();
  }

  /** A line's sizes (metrics). */
  counts(concertId: number): ReturnType<QueueStore['counts']> {
    return this.store.counts(concertId);
  }

  /** Signs of life of fans with a connected socket: one Redis call for all of them. */
  touchConnected(concertId: number, userIds: number[]): Promise<void> {
    return this.store.touchSeen(concertId, userIds);
  }

  /** Verifies a queue token (401 QUEUE_TOKEN_INVALID otherwise). */
  async claims(token: string | undefined): Promise<QueueClaims> {
    const claims = await this.tokens.verify(token);
    if (!claims) throw new AppError('QUEUE_TOKEN_INVALID');
    return claims;
  }

  /** The raw state of a live entry (with ticket and tick), as the gateway needs it; 404/410 otherwise. */
  async entry(claims: QueueClaims): Promise<StatusResult> {
    return this.live(await this.read(claims, 'status'));
  }

  /** The states of many fans of one concert in one round trip (the gateway's resynchronisation). */
  async statuses(
    concertId: number,
    fans: { userId: number; eid: number }[],
  ): Promise<StatusResult[]> {
    const results = await this.store.statuses(concertId, fans, this.config.activeIdleSeconds);
    results.forEach((r, i) => r.expiredNow && this.tellExpired(concertId, fans[i]!.userId));
    return results;
  }

  /** Leaves on behalf of a verified token (socket `queue:leave`). */
  async leaveWith(claims: QueueClaims): Promise<void> {
    const previous = await this.store.leave(claims.concertId, claims.userId, claims.eid, 'left');
    if (previous === 'none') await this.entry(claims); // throws 410 for an ended entry, 404 for none
    this.events.publish({
      type: 'ended',
      concertId: claims.concertId,
      userId: claims.userId,
      reason: 'left',
    });
  }

  /** One entry's state; an overdue admission this read ended is told to the fan. */
  private async read(claims: QueueClaims, mode: 'status' | 'guard'): Promise<StatusResult> {
    const { concertId, userId, eid } = claims;
    const result = await this.store.status(
      concertId,
      userId,
      eid,
      mode,
      this.config.activeIdleSeconds,
    );
    if (result.expiredNow) this.tellExpired(concertId, userId);
    return result;
  }

  private tellExpired(concertId: number, userId: number): void {
    this.events.publish({ type: 'ended', concertId, userId, reason: 'expired' });
  }

  /** Maps a Redis status to a live entry, or throws 410 (ended) / 404 (no entry). */
  private live(result: StatusResult): StatusResult {
    if (result.state === 'ended')
      throw new AppError('ADMISSION_EXPIRED', { details: { reason: result.reason } });
    if (result.state === 'none') throw new AppError('QUEUE_ENTRY_NOT_FOUND');
    return result;
  }

  /** The socket's `queue:status` (SPEC §5): the view with the fan's ticket and the tick it is exact as of. */
  socketView(concertId: number, r: StatusResult): QueueSocketStatus {
    return socketStatusView(this.view(concertId, r), r);
  }

  view(concertId: number, r: EntryFacts): QueueStatus {
    return statusView(concertId, r, { soldOut: r.soldOut ?? false, heldSeats: r.heldSeats ?? 0 });
  }
}

/** The token must be the user's own (401) and for the concert concerned (403). */
function holderOf(claims: QueueClaims, userId: number, concertId: number): void {
  if (claims.userId !== userId)
    throw new AppError('QUEUE_TOKEN_INVALID', {
      details: { reason: 'token belongs to another user' },
    });
  if (claims.concertId !== concertId) {
    throw new AppError('NOT_ADMITTED', {
      details: {
        status: null,
        position: null,
        reason: 'token is for another concert',
        tokenConcertId: claims.concertId,
      },
    });
  }
}
