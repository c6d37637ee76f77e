import { createHash } from 'node:crypto';
import type { RedisClient } from '../../infra/redis/scripts.js';

/**
 * How many requests have carried an Idempotency-Key, counted in Redis. A hold can be refused
 * from Redis alone (admission, seat taken), but a retry of an earlier hold must get that hold's
 * answer instead of the refusal (SPEC §3.3), and that answer lives in PostgreSQL. The count
 * tells the refusal path whether looking there can change anything: a key no other request has
 * carried has no earlier answer, so the refusal costs no database work.
 *
 * It is only ever a reason to look, never an answer: a count that cannot be read means "look".
 */
export class IdempotencyKeyUses {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    /** Outlives the key's row in PostgreSQL (kept the retention period), so no earlier answer is missed. */
    private readonly ttlSeconds: number,
  ) {}

  private redisKey(userId: number, key: string): string {
    // Hashed: a key is up to 255 client-chosen characters.
    const digest = createHash('sha256').update(key).digest('base64url').slice(0, 24);
    return `${this.prefix}{u:${userId}}:idem:${digest}`;
  }

  /** Counts one more request with this key; returns the count including it. */
  async add(userId: number, key: string): Promise<number> {
    const k = this.redisKey(userId, key);
    const replies = (await this.redis.pipeline().incr(k).expire(k, this.ttlSeconds).exec()) ?? [];
    const [err, count] = replies[0] ?? [new Error('no reply')];
    if (err) throw err;
    return Number(count);
  }

  /** Requests that carried this key so far (null: unknown, the count is gone). */
  async count(userId: number, key: string): Promise<number | null> {
    const value = await this.redis.get(this.redisKey(userId, key));
    return value === null ? null : Number(value);
  }
}
