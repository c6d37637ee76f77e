import type { Config } from '../../config/index.js';
import { AppError } from '../../infra/app-error.js';
import type { RateLimits } from '../../infra/http/rate-limits.js';
import type { QueueSocketStatus, QueueStatus } from '@lineup/client-sdk/contract';
import type { CatalogueService } from '../catalogue/catalogue.service.js';
import type { FairnessService } from './fairness.service.js';
import type { JoinChallenges } from './join-challenges.crypto.js';
import type { AdmissionHistory } from './admission-history.store.js';
import type { QueueEventPublisher } from './queue.events.js';
import type { QueueClaims, QueueTokens } from './queue-tokens.crypto.js';
import type { PolicyDefaults, QueueStore, StatusResult } from './queue.store.js';

export type { StatusResult };
import { SaleWindowCache } from './sale-windows.cache.js';
import { QueueOperatorsService } from './queue-operators.service.js';
import { QueueLinesService } from './queue-lines.service.js';
import { QueueJoinService } from './queue-join.service.js';

export type { SeatsOnSale } from './queue-lines.service.js';
export type { JoinRequest } from './queue-join.service.js';
import {
  estimateWaitSeconds,
  socketStatusView,
  statusView,
  type EntryFacts,
} from './queue.views.js';

type Clock = () => Date;

// How long an instance trusts its copy of a concert's sale window (sale-windows.cache.ts).
const SALE_WINDOW_CACHE_MS = 5_000;

export class QueueService {
  private readonly saleWindows = new SaleWindowCache(async (concertId) => {
    const w = await this.catalogue.saleWindow(concertId);
    return { saleOpensAt: w.saleOpensAt.getTime(), saleEndsAt: w.saleEndsAt?.getTime() ?? null };
  }, SALE_WINDOW_CACHE_MS);

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
  ) {
    const join = new QueueJoinService(
      store,
      tokens,
      config,
      limits,
      fairness,
      challenges,
      this.saleWindows,
      now,
      (concertId, r) => this.view(concertId, r),
      (concertId, userId) => this.tellExpired(concertId, userId),
    );
    this.challenge = join.challenge.bind(join);
    this.join = join.join.bind(join);
    const operators = new QueueOperatorsService(
      store,
      catalogue,
      config,
      events,
      fairness,
      history,
    );
    this.operators = operators;
    this.close = operators.close.bind(operators);
    this.fairnessOf = operators.fairnessOf.bind(operators);
    this.stats = operators.stats.bind(operators);
    this.policy = operators.policy.bind(operators);
    this.updatePolicy = operators.updatePolicy.bind(operators);
    const lines = new QueueLinesService(store, this.saleWindows, now);
    this.salesOver = lines.salesOver.bind(lines);
    this.seatBudgets = lines.seatBudgets.bind(lines);
    this.concerts = lines.concerts.bind(lines);
    this.counts = lines.counts.bind(lines);
    this.touchConnected = lines.touchConnected.bind(lines);
  }

  // Joining (queue-join.service.ts).
  readonly challenge: QueueJoinService['challenge'];
  readonly join: QueueJoinService['join'];

  // Operators' side (queue-operators.service.ts).
  private readonly operators: QueueOperatorsService;
  readonly close: QueueOperatorsService['close'];
  readonly fairnessOf: QueueOperatorsService['fairnessOf'];
  readonly stats: QueueOperatorsService['stats'];
  readonly policy: QueueOperatorsService['policy'];
  readonly updatePolicy: QueueOperatorsService['updatePolicy'];
  get defaults(): PolicyDefaults {
    return this.operators.defaults;
  }

  // The lines as a whole, for the leader and the gateways (queue-lines.service.ts).
  readonly salesOver: QueueLinesService['salesOver'];
  readonly seatBudgets: QueueLinesService['seatBudgets'];
  readonly concerts: QueueLinesService['concerts'];
  readonly counts: QueueLinesService['counts'];
  readonly touchConnected: QueueLinesService['touchConnected'];

  /** The fan's place (SPEC QueueStatus). The call counts as a sign of life. */
  async status(token: string | undefined): Promise<QueueStatus> {
    return (await this.statusAsOfTick(token)).status;
  }

  /** The status and the line's tick it is exact as of (the poll's `Queue-Tick` header). */
  async statusAsOfTick(token: string | undefined): Promise<{ status: QueueStatus; tick: number }> {
    // Without the async wrappers (claims, entry): the poll is the second hottest path.
    const claims = this.verified(token);
    const entry = this.live(await this.read(claims, 'status'));
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
   * The [admitted] check for claims verified already (a socket's, from its handshake's token):
   * its holder must be active. A socket keeps its claims, not its token (~220 bytes a socket).
   */
  async requireActiveClaims(claims: QueueClaims): Promise<QueueClaims> {
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

  /** Verifies a queue token (401 QUEUE_TOKEN_INVALID otherwise). */
  async claims(token: string | undefined): Promise<QueueClaims> {
    return this.verified(token);
  }

  private verified(token: string | undefined): QueueClaims {
    const claims = this.tokens.claimsOf(token);
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
