import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  FAIRNESS_ALGORITHM,
  fairOrder,
  fairnessCommitment,
  type QueueFairness,
} from '@lineup/client-sdk/contract';
import { AppError } from '../../infra/app-error.js';
import type { FairnessRepository } from './fairness.repository.js';
import type { QueueStore } from './queue.store.js';

/** What the shuffle reveals, stored with it in Redis (atomically) and then in PostgreSQL. */
export interface FairnessReveal {
  seed: string;
  order: string[];
}

/**
 * The provably fair pre-queue (SPEC §2): a secret seed per concert whose SHA-256 is published
 * before the sale; at the shuffle the pre-queue's refs are ordered by `fairOrder` (the contract's
 * "fy-sha256-v1") and the seed is revealed with the order. The seed is read only by the leader's
 * shuffle and leaves this service only with a reveal.
 */
export class FairnessService {
  private readonly refKey: KeyObject;
  /** Revealed records never change: each instance keeps their encoded answer. */
  private readonly revealed = new Map<number, QueueFairness>();

  constructor(
    private readonly em: () => EntityManager,
    private readonly repo: FairnessRepository,
    private readonly store: QueueStore,
    queueTokenSecret: string,
  ) {
    this.refKey = createSecretKey(Buffer.from(queueTokenSecret, 'utf8'));
  }

  /** ref = first 16 hex chars of HMAC-SHA256(QUEUE_TOKEN_SECRET, "ref:" + entry id). */
  ref(eid: number | string): string {
    return createHmac('sha256', this.refKey).update(`ref:${eid}`).digest('hex').slice(0, 16);
  }

  /** Draws the concert's seed if it has none yet (at creation, or an older concert's first join). */
  async commit(concertId: number): Promise<void> {
    const seed = randomBytes(32);
    await this.repo.commit(this.em(), concertId, seed, fairnessCommitment(seed.toString('hex')));
  }

  /**
   * Orders a pre-queue, given as [user, entry id] pairs: the users in the order of
   * shuffle(sort(refs), seed), and the reveal that goes with it.
   */
  async order(
    concertId: number,
    entries: [string, number][],
  ): Promise<{ users: string[]; reveal: FairnessReveal }> {
    await this.commit(concertId);
    const row = await this.repo.find(this.em(), concertId);
    if (!row) throw new AppError('CONCERT_NOT_FOUND');
    const byRef = new Map(entries.map(([user, eid]) => [this.ref(eid), user]));
    const seed = row.seed.toString('hex');
    const order = fairOrder([...byRef.keys()], seed);
    return { users: order.map((ref) => byRef.get(ref)!), reveal: { seed, order } };
  }

  /** After the shuffle landed: the reveal goes to PostgreSQL, the durable record. */
  async recordReveal(concertId: number, reveal: FairnessReveal): Promise<void> {
    await this.repo.reveal(this.em(), concertId, reveal.order);
  }

  /**
   * `GET /concerts/:id/queue/fairness`: the commitment, and once the pre-queue was shuffled the
   * seed and the order. Redis holds a reveal the moment the shuffle lands (the same script
   * applies both); PostgreSQL gets it right after, and from any read that finds it missing.
   */
  async view(concertId: number): Promise<QueueFairness> {
    const cached = this.revealed.get(concertId);
    if (cached) return cached;
    const em = this.em();
    let row = await this.repo.find(em, concertId);
    if (!row) {
      await this.commit(concertId);
      row = await this.repo.find(em, concertId);
      if (!row) throw new AppError('CONCERT_NOT_FOUND');
    }
    const unrevealed: QueueFairness = {
      commitment: row.commitment,
      algorithm: FAIRNESS_ALGORITHM,
      seed: null,
      order: null,
    };
    let order = row.revealedOrder;
    if (!order) {
      const line = await this.store.fairnessState(concertId);
      if (line.reveal) order = (JSON.parse(line.reveal) as FairnessReveal).order;
      // Shuffled without a reveal: nobody was in the pre-queue when the sale opened.
      else if (line.shuffled) order = [];
      else return unrevealed;
      await this.repo.reveal(em, concertId, order);
    }
    const view = { ...unrevealed, seed: row.seed.toString('hex'), order };
    this.revealed.set(concertId, view);
    return view;
  }
}
