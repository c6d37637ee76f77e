import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { Logger } from 'pino';
import { entities } from './entities.js';
import { migrationsList } from './migrations/index.js';

export type Orm = MikroORM;

export function ormOptions(databaseUrl: string, poolMax = 20): Options {
  return {
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    migrations: {
      migrationsList,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    // Requests get their own fork (RequestContext); using the global manager is a bug.
    allowGlobalContext: false,
    debug: false,
    pool: { min: 0, max: poolMax },
    // Dates as timestamptz, returned as Date objects in UTC.
    forceUtcTimezone: true,
  };
}

export async function createOrm(
  databaseUrl: string,
  logger?: Logger,
  poolMax?: number,
): Promise<Orm> {
  const orm = await MikroORM.init(ormOptions(databaseUrl, poolMax));
  logger?.debug('connected to PostgreSQL');
  return orm;
}
