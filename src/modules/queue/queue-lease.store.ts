import { randomBytes } from 'node:crypto';
import type { QueueScripts } from './queue-scripts.store.js';

// The leader lease: one instance at a time runs the queue's ticks (fenced by the lease's token).

export interface Lease {
  token: string;
  expiresAt: number;
}

export interface LeaderInfo {
  instanceId: string;
  since: number;
  token: string;
}

export class QueueLeaseStore {
  constructor(private readonly q: QueueScripts) {}

  async acquireLease(instanceId: string, leaseMs: number): Promise<Lease | null> {
    const out = await this.q.json<Partial<Lease>>(
      'acquireLease',
      this.q.keys.leaderLease,
      this.q.keys.leaderEpoch,
      instanceId,
      leaseMs,
      randomBytes(8).toString('hex'),
    );
    return out.token && out.expiresAt ? { token: out.token, expiresAt: out.expiresAt } : null;
  }

  /** The lease's new expiry (Redis time), or null if it is no longer ours. */
  async renewLease(token: string, leaseMs: number): Promise<number | null> {
    const expiresAt = Number(
      await this.q.scripts.renewLease(this.q.keys.leaderLease, token, leaseMs),
    );
    return expiresAt > 0 ? expiresAt : null;
  }

  async releaseLease(token: string): Promise<boolean> {
    return Number(await this.q.scripts.releaseLease(this.q.keys.leaderLease, token)) === 1;
  }

  async leader(): Promise<LeaderInfo | null> {
    const raw = await this.q.redis.get(this.q.keys.leaderLease);
    return raw ? (JSON.parse(raw) as LeaderInfo) : null;
  }
}
