import type { Config } from '../../config/index.js';
import { AppError } from '../../infra/app-error.js';
import { rateLimited, type RateLimits } from '../../infra/http/rate-limits.js';
import type { JoinChallenge, JoinResponse, QueueStatus } from '@lineup/client-sdk/contract';
import type { FairnessService } from './fairness.service.js';
import type { JoinChallenges } from './join-challenges.crypto.js';
import type { QueueTokens } from './queue-tokens.crypto.js';
import type { QueueStore } from './queue.store.js';
import type { SaleWindowCache } from './sale-windows.cache.js';
import type { EntryFacts } from './queue.views.js';
import { retryAfterSeconds } from './queue.views.js';

// Joining the line (through QueueService): the join challenge and the join itself, the hottest
// path in the product.

type Clock = () => Date;

export interface JoinRequest {
  /** The client's address (req.ip): the per-address join limit counts it. */
  address: string;
  /** A solved join challenge, when the concert asks for one. */
  challenge?: { nonce: string; solution: string };
}

export class QueueJoinService {
  private readonly registered = new Set<number>();

  constructor(
    private readonly store: QueueStore,
    private readonly tokens: QueueTokens,
    private readonly config: Config['queue'],
    private readonly limits: Pick<RateLimits, 'consume' | 'window'>,
    private readonly fairness: FairnessService,
    private readonly challenges: JoinChallenges,
    private readonly saleWindows: SaleWindowCache,
    private readonly now: Clock,
    /** QueueService's: what the fan is shown, and telling a fan their admission ended. */
    private readonly view: (concertId: number, r: EntryFacts) => QueueStatus,
    private readonly tellExpired: (concertId: number, userId: number) => void,
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
    const queueToken = this.tokens.tokenFor({ userId, concertId, eid: result.eid! });
    return {
      created: result.created,
      body: { ...this.view(concertId, result), queueToken, ref: this.fairness.ref(result.eid!) },
    };
  }
}
