import { AppError } from '../../infra/app-error.js';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface KeyRow {
  id: number;
  requestHash: string;
  status: 'in_progress' | 'completed';
  lockedUntil: Date;
  responseStatus: number | null;
  responseBody: unknown;
}

const COLUMNS = `id, request_hash as "requestHash", status, locked_until as "lockedUntil",
  response_status as "responseStatus", response_body as "responseBody"`;

export class IdempotencyRepository {
  /** Inserts an in-progress claim; returns its id, or null when the key already exists. */
  async claim(
    em: EntityManager,
    userId: number,
    key: string,
    hash: string,
    lockSeconds: number,
  ): Promise<number | null> {
    const rows = await em.execute<{ id: string }[]>(
      `insert into idempotency_keys (user_id, key, request_hash, status, locked_until)
       values (?, ?, ?, 'in_progress', now() + make_interval(secs => ?))
       on conflict (user_id, key) do nothing returning id`,
      [userId, key, hash, lockSeconds],
    );
    return rows[0] ? Number(rows[0].id) : null;
  }

  async find(em: EntityManager, userId: number, key: string): Promise<KeyRow | null> {
    const rows = await em.execute<KeyRow[]>(
      `select ${COLUMNS} from idempotency_keys where user_id = ? and key = ?`,
      [userId, key],
    );
    const row = rows[0];
    // Raw queries return timestamps as strings (MikroORM converts only in entity mapping).
    return row ? { ...row, id: Number(row.id), lockedUntil: new Date(row.lockedUntil) } : null;
  }

  /** Takes over a claim whose holder died (lock expired); returns false if someone else has it. */
  async takeOver(em: EntityManager, id: number, lockSeconds: number): Promise<boolean> {
    const rows = await em.execute(
      `update idempotency_keys set locked_until = now() + make_interval(secs => ?)
       where id = ? and status = 'in_progress' and locked_until < now() returning id`,
      [lockSeconds, id],
    );
    return rows.length > 0;
  }

  /** Must run in the same transaction as the effect, so the effect and its record commit together. */
  async complete(em: EntityManager, id: number, body: unknown): Promise<void> {
    const rows = await em.execute(
      `update idempotency_keys set status = 'completed', response_body = ?::jsonb
       where id = ? and status = 'in_progress' returning id`,
      [JSON.stringify(body), id],
    );
    // Our claim expired and another request took it over: roll our effect back (we are inside its
    // transaction) and tell the client the key is busy; the other request's effect stands.
    if (rows.length === 0) throw new AppError('IDEMPOTENCY_KEY_IN_USE');
  }

  /** Frees the key after a failed attempt so the client may retry with it. */
  async release(em: EntityManager, id: number): Promise<void> {
    await em.execute(`delete from idempotency_keys where id = ? and status = 'in_progress'`, [id]);
  }

  /**
   * Drops up to `limit` keys older than the retention window (SPEC §3.3 keeps them >= 24 h), oldest
   * first along the created_at index, so one call's work stays bounded however many are due.
   */
  async purgeOlderThan(em: EntityManager, seconds: number, limit: number): Promise<number> {
    const [row] = await em.execute<{ n: string }[]>(
      `with due as (
         select id from idempotency_keys where created_at < now() - make_interval(secs => ?)
         order by created_at limit ?),
       gone as (delete from idempotency_keys k using due where k.id = due.id returning 1)
       select count(*) as n from gone`,
      [seconds, limit],
    );
    return Number(row?.n ?? 0);
  }
}
