import { PostgreSqlKnexDialect } from '@mikro-orm/knex';
import pg from 'pg';
import { PostgresUnavailableError } from '../dependency-errors.js';

/** The two methods of knex's PostgreSQL client wrapped here (its typings do not declare them). */
interface KnexPgClient {
  acquireRawConnection(this: unknown): Promise<unknown>;
  _query(this: unknown, connection: unknown, obj: unknown): Promise<unknown>;
}
const knexPg = PostgreSqlKnexDialect.prototype as unknown as KnexPgClient;

/**
 * knex's PostgreSQL client as MikroORM extends it, with the driver's failures classed: whatever
 * fails while opening a connection or running a statement without an answer from PostgreSQL (pg
 * reports a refused, cut or closed connection as a plain Error) becomes a PostgresUnavailableError;
 * an answer from the server (pg's DatabaseError, with its SQLSTATE) stays as it is. This covers
 * what MikroORM does not wrap: opening a transaction's connection, COMMIT and ROLLBACK.
 */
export class ClassifyingPgDialect extends PostgreSqlKnexDialect {
  async acquireRawConnection(): Promise<unknown> {
    try {
      return await knexPg.acquireRawConnection.call(this);
    } catch (err) {
      throw classify(err);
    }
  }

  async _query(connection: unknown, obj: unknown): Promise<unknown> {
    try {
      return await knexPg._query.call(this, connection, obj);
    } catch (err) {
      throw classify(err);
    }
  }
}

/** pg's failure as the app classes it: no answer from PostgreSQL is PostgresUnavailableError. */
export function classify(err: unknown): unknown {
  if (err instanceof pg.DatabaseError || !(err instanceof Error)) return err;
  return new PostgresUnavailableError(err);
}
