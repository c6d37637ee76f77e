import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ForeignKeyConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../infra/app-error.js';
import type { IdempotencyRepository } from './idempotency.repository.js';
import { IdempotencyMarks } from './idempotency.store.js';

/** Tries to free a failed attempt's key (see release). */
const RELEASE_ATTEMPTS = 5;

export interface IdempotentRequest {
  userId: number;
  /** The Idempotency-Key header; without one the work simply runs once in a transaction. */
  key: string | undefined;
  method: string;
  path: string;
  body: unknown;
}

/** An answer to send: the route chooses the HTTP status (the same for a first answer and its replay). */
export interface StoredResponse<T = unknown> {
  body: T;
  /** True when this is a replay of an earlier response. */
  replayed: boolean;
}

/**
 * What a statement needs to handle an Idempotency-Key itself (booking_key, migration
 * 20261228000000): the key, the request's hash, and how long a duplicate waits for a running
 * first request (its lock_timeout on the key) before 409 IDEMPOTENCY_KEY_IN_USE. No claim is
 * written: the record is written once, with the answer, in the transaction of the effect.
 */
export interface StatementClaim {
  key: string;
  hash: string;
  waitMs: number;
}

export interface IdempotencyOptions {
  /** How long a claim protects a running request before another may take it over. */
  lockSeconds: number;
  /** How long a key and its answer are kept (SPEC §3.3: at least 24 h); the leader purges older ones. */
  retentionSeconds: number;
  /**
   * How long a duplicate waits for the first request to finish before answering 409
   * IDEMPOTENCY_KEY_IN_USE. A short wait lets a client's quick double-submit get the same answer
   * as the first instead of an error; a first request running longer still yields the 409.
   */
  waitForFirstMs: number;
}

/**
 * Exactly-once effects for retried requests (SPEC §3.3). Two ways, one table and one unique index
 * on (user, key) as the final word. `run` (charges, withdrawals: work of several statements) claims
 * the key in its own short transaction, then the effect and the recorded response commit together
 * in a second one, so a crash can leave at most an expired claim, never an effect without its
 * record; failed attempts (any error) release the key. `once` (holds, payments: one statement)
 * lets the statement handle the key in the transaction of the effect itself, writing its record
 * once, completed with the answer.
 */
export class IdempotencyService {
  constructor(
    private readonly em: () => EntityManager,
    private readonly repo: IdempotencyRepository,
    private readonly marks: IdempotencyMarks | null,
    options: Partial<IdempotencyOptions> = {},
  ) {
    this.options = { lockSeconds: 60, waitForFirstMs: 3_000, retentionSeconds: 86_400, ...options };
  }

  private readonly options: IdempotencyOptions;

  /**
   * Runs `work` once per key, in one transaction that also records its answer; the key is claimed
   * first in its own short statement. Any failure releases the key.
   */
  async run<T>(
    request: IdempotentRequest,
    work: (tx: EntityManager) => Promise<T>,
  ): Promise<StoredResponse<T>> {
    const inTransaction = (claimId: number | null) =>
      this.em().transactional(async (tx) => {
        const result = await work(tx);
        if (claimId !== null) await this.repo.complete(tx, claimId, result);
        return result;
      });
    if (!request.key) return { body: await inTransaction(null), replayed: false };
    const em = this.em();
    const claimId = await this.claimOrReplay<T>(em, request, requestHash(request));
    if (typeof claimId !== 'number') return claimId;
    try {
      return { body: await inTransaction(claimId), replayed: false };
    } catch (err) {
      await this.release(em, claimId);
      throw err;
    }
  }

  /**
   * Runs `work` once per key, where `work` is ONE statement that handles the key itself (a hold,
   * a payment: see migration 20261228000000), so a keyed request costs no round trip more than one
   * without a key. `work` gets what the statement needs for the key (null without a key) and
   * answers with its own result, or with the first request's when the key was already completed
   * (`replayed`). The key's record, written once with the answer, commits or rolls back with the
   * effect: a failed attempt leaves the key free, with nothing to release. `marked`: the request may also be refused before it gets here
   * (a hold); its key is then marked in Redis while it may have a row, for `beforeRefusing`
   * ('added': the caller marked it already, with `mark`).
   */
  async once<T>(
    request: IdempotentRequest,
    work: (claim: StatementClaim | null) => Promise<StoredResponse<T>>,
    options: { marked?: boolean | 'added' } = {},
  ): Promise<StoredResponse<T>> {
    const { key, userId } = request;
    if (!key) return work(null);
    const marks = options.marked ? this.marks : null;
    // Before the statement: no row without its mark (a failed mark fails the request, 503).
    if (options.marked === true) await marks?.add(userId, key);
    try {
      return await work({ key, hash: requestHash(request), waitMs: this.options.waitForFirstMs });
    } catch (err) {
      await marks?.takeBack(userId, key).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Marks the request's key ahead of `once` (then given `{ marked: 'added' }`), so the mark can
   * share a round trip with other work (a hold's seat locks); true if a mark was added. A request
   * refused before `once` takes it back (`unmark`).
   */
  async mark(request: IdempotentRequest): Promise<boolean> {
    if (!request.key || !this.marks) return false;
    await this.marks.add(request.userId, request.key);
    return true;
  }

  /** Takes back a mark `mark` added, for a request refused before `once` (best effort). */
  async unmark(request: IdempotentRequest): Promise<void> {
    if (request.key && this.marks)
      await this.marks.takeBack(request.userId, request.key).catch(() => undefined);
  }

  /**
   * Reads the key's mark now, for a `beforeRefusing` that may follow (its `markRead`), so the read
   * can share a round trip with the checks that may refuse. Such a read stands only for a refusal
   * decided by the commands sent with it (the seat test before it), and only where Redis runs them
   * in the order sent (one server: see HoldsService.hold); null otherwise (then `beforeRefusing`
   * reads the mark itself), and without a key. A failed read counts as marked (PostgreSQL is asked).
   */
  readMarkAhead(request: IdempotentRequest): Promise<boolean> | null {
    return request.key && this.marks?.ordered ? this.readMark(request) : null;
  }

  private readMark(request: IdempotentRequest): Promise<boolean> {
    return this.marks!.isMarked(request.userId, request.key!).catch(() => true);
  }

  /** Who is running a request with this key, as seat locks name their holder (null: no key). */
  tag(request: IdempotentRequest): string | null {
    return request.key ? IdempotencyMarks.tag(request.userId, request.key) : null;
  }

  /**
   * For a request about to be refused before its effect was tried: the answer an earlier request
   * with the same key makes it get instead (SPEC §3.3) — its stored response (replayed), 422
   * IDEMPOTENCY_KEY_REUSED for another body, 409 IDEMPOTENCY_KEY_IN_USE while that request still
   * runs (after waiting for it like `run` does) — or null: refuse. PostgreSQL is asked only when
   * such a request may exist: the key is marked (it ran, or runs), or `inFlight` (the refusal came
   * from a seat lock held under this very key, taken before its mark was set).
   */
  async beforeRefusing<T>(
    request: IdempotentRequest,
    inFlight: boolean,
    markRead: Promise<boolean> | null = null,
  ): Promise<StoredResponse<T> | null> {
    if (!request.key) return null;
    if (!inFlight && this.marks) {
      const marked = await (markRead ?? this.readMark(request));
      if (!marked) return null;
    }
    const hash = requestHash(request);
    const deadline = Date.now() + this.options.waitForFirstMs;
    for (let delay = 10; ; delay = Math.min(delay * 2, 100)) {
      const row = await this.repo.find(this.em(), request.userId, request.key);
      if (row) {
        if (row.requestHash !== hash) throw new AppError('IDEMPOTENCY_KEY_REUSED');
        if (row.status === 'completed') return { body: row.responseBody as T, replayed: true };
        // Its holder died: nothing to replay, and a retry that gets through may take the key over.
        if (row.lockedUntil.getTime() < Date.now()) return null;
      } else if (!inFlight) {
        return null;
      }
      // Running: wait for its answer, like `run` does. In flight without a row is running too:
      // a hold's claim is seen only once the hold commits (`once`), so a request still without
      // one at the deadline gets the same 409 as a running claim, never a refusal that its first
      // request's answer could contradict (its hold may yet succeed).
      if (Date.now() >= deadline) throw new AppError('IDEMPOTENCY_KEY_IN_USE');
      await sleep(delay);
    }
  }

  /** Leader job: forgets keys older than the retention period, at most `batches` x `batchSize`. */
  async purgeExpired(batchSize = 1_000, batches = 10): Promise<number> {
    let purged = 0;
    for (let i = 0; i < batches; i++) {
      const n = await this.repo.purgeOlderThan(this.em(), this.options.retentionSeconds, batchSize);
      purged += n;
      if (n < batchSize) break;
    }
    return purged;
  }

  /**
   * Frees a failed attempt's claim. The failure was often a PostgreSQL connection that died, and
   * the pool may hand the release another dead one (killed backends fail fast, one each): try a
   * few times, so the key is free for the client's retry instead of IN_USE until the lock expires.
   */
  private async release(em: EntityManager, claimId: number): Promise<void> {
    for (let attempt = 0; attempt < RELEASE_ATTEMPTS; attempt++) {
      try {
        await this.repo.release(em, claimId);
        return;
      } catch {
        await sleep(20 * (attempt + 1));
      }
    }
    // Still failing (PostgreSQL down): the claim's lock expires and a retry takes it over.
  }

  private async claimOrReplay<T>(
    em: EntityManager,
    request: IdempotentRequest,
    hash: string,
  ): Promise<number | StoredResponse<T>> {
    const key = request.key as string;
    const deadline = Date.now() + this.options.waitForFirstMs;
    for (let delay = 10; ; delay = Math.min(delay * 2, 100)) {
      const claimed = await this.repo
        .claim(em, request.userId, key, hash, this.options.lockSeconds)
        .catch((err: unknown) => {
          // A validly signed token for a user that does not exist (any more), or whose id is
          // beyond the user id column (22003 numeric_value_out_of_range): no such user either.
          const outOfRange = (err as { code?: string }).code === '22003';
          if (err instanceof ForeignKeyConstraintViolationException || outOfRange) {
            throw new AppError('USER_NOT_FOUND');
          }
          throw err;
        });
      if (claimed !== null) return claimed;
      const row = await this.repo.find(em, request.userId, key);
      if (!row) continue; // released between our insert and read: try to claim again
      if (row.requestHash !== hash) throw new AppError('IDEMPOTENCY_KEY_REUSED');
      if (row.status === 'completed') {
        return { body: row.responseBody as T, replayed: true };
      }
      if (
        row.lockedUntil.getTime() < Date.now() &&
        (await this.repo.takeOver(em, row.id, this.options.lockSeconds))
      ) {
        return row.id;
      }
      if (Date.now() >= deadline) throw new AppError('IDEMPOTENCY_KEY_IN_USE');
      await sleep(delay);
    }
  }
}

/** Same key + same method, path and body = the same request. Key order in the body does not matter. */
export function requestHash(request: Pick<IdempotentRequest, 'method' | 'path' | 'body'>): string {
  return createHash('sha256')
    .update(
      `${request.method.toUpperCase()} ${request.path}\n${canonicalJson(request.body ?? null)}`,
    )
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : 1,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
