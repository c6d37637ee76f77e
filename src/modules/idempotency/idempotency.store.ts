import { createHash } from 'node:crypto';
import { Cluster } from 'ioredis';
import { defineScripts, type RedisClient } from '../../infra/redis/scripts.js';

const SCRIPT_DIR = new URL('./lua/', import.meta.url).pathname;

/**
 * Marks in Redis of the Idempotency-Keys that have a row in PostgreSQL (claimed or completed).
 * A hold can be refused from Redis alone (admission, seat taken), but a retry of an earlier hold
 * must get that hold's answer instead of the refusal (SPEC §3.3), and the answer lives in
 * PostgreSQL: the mark says whether looking there can change anything, so refusing a request
 * whose key was never used costs no database work.
 *
 * A mark is a count of the requests that claimed the key and did not fail: set before the claim,
 * taken back when the request fails (and gone at zero, so a refused request leaves nothing). It
 * outlives the row (kept the retention period). It is only ever a reason to look, never an answer.
 */
export class IdempotencyMarks {
  private readonly scripts: Record<
    'addMark' | 'releaseMark',
    (...args: (string | number)[]) => Promise<unknown>
  >;

  /**
   * Commands sent on this client run in the order sent (one server, one connection): a mark read
   * sent after another command sees at least what that command saw. Not so on a Cluster, where
   * the mark may live on another node than the command before it.
   */
  readonly ordered: boolean;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {
    this.scripts = defineScripts(redis, SCRIPT_DIR);
    this.ordered = !(redis instanceof Cluster);
  }

  /** The key's tag: who holds a seat lock for it (see SeatLockStore), and its mark's name. */
  static tag(userId: number, key: string): string {
    // Hashed: a key is up to 255 client-chosen characters.
    return `${userId}:${createHash('sha256').update(key).digest('base64url').slice(0, 22)}`;
  }

  private markKey(userId: number, key: string): string {
    return `${this.prefix}{u:${userId}}:idem:${IdempotencyMarks.tag(userId, key)}`;
  }

  async add(userId: number, key: string): Promise<void> {
    await this.scripts.addMark(this.markKey(userId, key), this.ttlSeconds);
  }

  async takeBack(userId: number, key: string): Promise<void> {
    await this.scripts.releaseMark(this.markKey(userId, key));
  }

  async isMarked(userId: number, key: string): Promise<boolean> {
    return Number(await this.redis.get(this.markKey(userId, key))) > 0;
  }
}
