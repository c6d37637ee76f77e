import { loadConfig } from '../config/index.js';
import { ensureDatabase, migrate } from '../infra/db/migrate.js';
import { createOrm } from '../infra/db/orm.js';
import { createLogger } from '../infra/logger.js';
import { seedDemoData } from '../seed/demo-seed.js';

const config = loadConfig();
const logger = createLogger(config.logLevel, 'seed');
await ensureDatabase(config.databaseUrl, logger);
const orm = await createOrm(config.databaseUrl, logger);
await migrate(orm, logger, () => seedDemoData(orm, config, logger));
await orm.close(true);
