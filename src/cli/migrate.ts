import { loadConfig } from '../config/index.js';
import { ensureDatabase, migrate } from '../infra/db/migrate.js';
import { createOrm } from '../infra/db/orm.js';
import { createLogger } from '../infra/logger.js';

const config = loadConfig();
const logger = createLogger(config.logLevel, 'migrate');
await ensureDatabase(config.databaseUrl, logger);
const orm = await createOrm(config.databaseUrl, logger);
const applied = await migrate(orm, logger);
logger.info(applied.length ? `applied ${applied.length} migration(s)` : 'database is up to date');
await orm.close(true);
