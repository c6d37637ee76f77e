import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { Logger } from 'pino';
import { entities } from './entities.js';
import { ClassifyingPgDialect } from './pg-dialect.js';
import { migrationsList } from './migrations/index.js';

export type Orm = MikroORM;

export function ormOptions(databaseUrl: string, poolMax = 20, logger?: Logger): Options {
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
    // The driver's failures classed (503 vs 500 by class, see pg-dialect.ts); knex's own warnings
    // ("Connection Error: ...") go to the app's logger, not the console.
    driverOptions: { client: ClassifyingPgDialect, ...(logger ? { log: knexLog(logger) } : {}) },
  };
}

export async function createOrm(
  databaseUrl: string,
  logger?: Logger,
  poolMax?: number,
): Promise<Orm> {
  const orm = await MikroORM.init(ormOptions(databaseUrl, poolMax, logger));
  logger?.debug('connected to PostgreSQL');
  return orm;
}

function knexLog(logger: Logger) {
  const log = logger.child({ component: 'knex' });
  return {
    warn: (message: unknown) => log.warn(String(message)),
    error: (message: unknown) => log.error(String(message)),
    deprecate: (message: unknown) => log.warn(String(message)),
    debug: (message: unknown) => log.debug(String(message)),
  };
}
