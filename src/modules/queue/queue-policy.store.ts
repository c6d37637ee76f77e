import type { QueueScripts } from './queue-scripts.store.js';

// Operators' side of a line: per-concert policy overrides and the line's counts.

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

export class QueuePolicyStore {
  constructor(private readonly q: QueueScripts) {}

  async policyOverrides(concertId: number): Promise<Record<string, string>> {
    return this.q.redis.hgetall(this.q.keys.concert(concertId).policy);
  }

  async setPolicy(concertId: number, patch: Partial<QueuePolicy>): Promise<void> {
    const fields = Object.entries(patch).flatMap(([key, value]) =>
      value === undefined
        ? []
        : [key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value)],
    );
    if (fields.length > 0)
      await this.q.redis.hset(this.q.keys.concert(concertId).policy, ...fields);
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
    const k = this.q.keys.concert(concertId);
    const replies = (await this.q.redis
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
}
