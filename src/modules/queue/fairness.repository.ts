import type { EntityManager } from '@mikro-orm/postgresql';

export interface FairnessRow {
  seed: Buffer;
  commitment: string;
  revealedOrder: string[] | null;
}

/** PostgreSQL edge of the provably fair pre-queue (table queue_fairness). */
export class FairnessRepository {
  /** Stores a concert's seed unless it has one; false if the concert does not exist. */
  async commit(
    em: EntityManager,
    concertId: number,
    seed: Buffer,
    commitment: string,
  ): Promise<boolean> {
    const rows = await em.execute<{ ok: number }[]>(
      `insert into queue_fairness (concert_id, seed, commitment)
       select id, ?, ? from concerts where id = ?
       on conflict (concert_id) do nothing returning 1 as ok`,
      [seed, commitment, concertId],
    );
    return rows.length > 0;
  }

  async find(em: EntityManager, concertId: number): Promise<FairnessRow | null> {
    const rows = await em.execute<FairnessRow[]>(
      `select seed, commitment, revealed_order as "revealedOrder"
       from queue_fairness where concert_id = ?`,
      [concertId],
    );
    return rows[0] ?? null;
  }

  /** Records the reveal once (the first one wins: the order of an applied shuffle). */
  async reveal(em: EntityManager, concertId: number, order: string[]): Promise<void> {
    await em.execute(
      `update queue_fairness set revealed_order = ?::jsonb, revealed_at = now()
       where concert_id = ? and revealed_at is null`,
      [JSON.stringify(order), concertId],
    );
  }
}
