import type { Config } from '../../config/index.js';
import type { AdminQueueStats, QueueFairness, QueuePolicyPatch } from '@lineup/client-sdk/contract';
import type { CatalogueService } from '../catalogue/catalogue.service.js';
import type { FairnessService } from './fairness.service.js';
import type { AdmissionHistory } from './admission-history.store.js';
import type { QueueEventPublisher } from './queue.events.js';
import type { PolicyDefaults, QueuePolicy, QueueStore } from './queue.store.js';

// Operators' side of the queue (admin routes, through QueueService): a line's policy, its
// stats, its fairness record, and closing it.

export class QueueOperatorsService {
  constructor(
    private readonly store: QueueStore,
    private readonly catalogue: CatalogueService,
    private readonly config: Config['queue'],
    private readonly events: QueueEventPublisher,
    private readonly fairness: FairnessService,
    private readonly history: AdmissionHistory,
  ) {}

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
}
