import type pg from 'pg';
import type { Orm } from './orm.js';
import { classify } from './pg-dialect.js';
import { countPgRoundTrip } from '../logger.js';

/** A statement prepared once per connection (pg's named queries): later calls send only Bind/Execute. */
export interface PreparedStatement {
  name: string;
  text: string;
}

interface KnexClient {
  acquireConnection(): Promise<pg.PoolClient>;
  releaseConnection(connection: pg.PoolClient): Promise<void>;
}

/**
 * Runs hot-path statements straight on a pg connection borrowed from the ORM's pool (one pool,
 * closed with the ORM): no query builder, no entity hydration, a named (prepared) statement, one
 * round trip per call. A single statement is its own transaction. Counts its round trips, which
 * the round-trip test and the benchmark read (together with the ORM's own queries).
 */
export class PreparedStatements {
  roundTrips = 0;
  /** Told the name of every statement sent (the round-trip test attributes them to requests). */
  readonly watchers = new Set<(name: string) => void>();

  constructor(private readonly orm: Orm) {
    // The ORM's statements count against the request too (an Idempotency-Key's claim, reads).
    orm.em.getKnex().on('query', countPgRoundTrip);
  }

  async query<T>(statement: PreparedStatement, values: unknown[]): Promise<T[]> {
    const client = this.orm.em.getKnex().client as unknown as KnexClient;
    const connection = await client.acquireConnection();
    try {
      this.roundTrips++;
      countPgRoundTrip();
      for (const watch of this.watchers) watch(statement.name);
      const result = await connection
        .query<T & pg.QueryResultRow>({ ...statement, values })
        // Past knex's own query path: the same classing of a connection that gave no answer.
        .catch((err: unknown) => Promise.reject(classify(err)));
      return result.rows;
    } finally {
      await client.releaseConnection(connection);
    }
  }

  async one<T>(statement: PreparedStatement, values: unknown[]): Promise<T> {
    const [row] = await this.query<T>(statement, values);
    return row!;
  }
}
