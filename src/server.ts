import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RedisClient } from './infra/redis/scripts.js';
import type { Logger } from 'pino';
import type { Config } from './config/index.js';
import { createApp, type AppDeps, type AppServices } from './app.js';
import { migrate, ensureDatabase } from './infra/db/migrate.js';
import { createOrm, type Orm } from './infra/db/orm.js';
import { withRedaction } from './infra/log-redaction.js';
import { createLogger } from './infra/logger.js';
import { createRedis } from './infra/redis/client.js';
import { seedIfEmpty } from './seed/demo-seed.js';
import type { RealtimeGateway } from './modules/realtime/realtime.gateway.js';
import type { Express } from 'express';
import type { HotHttp } from './infra/http/hot-http.js';

export interface RunningServer {
  config: Config;
  port: number;
  url: string;
  server: Server;
  orm: Orm;
  redis: RedisClient;
  logger: Logger;
  services: AppServices;
  gateway: RealtimeGateway;
  /** The express app alone, without the hot routes answered before it (tests compare the two). */
  app: Express;
  /** The hot routes before express (hot-http.ts). */
  hot: HotHttp;
  /** Names of the migrations this instance applied at boot (empty when another instance did). */
  appliedMigrations: string[];
  /** Graceful stop: no new connections, in-flight requests finish, then ORM and Redis close. */
  close(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 10_000;

/** Boots one Lineup instance: database (created and migrated if needed), Redis, HTTP. */
export interface StartOptions {
  logger?: Logger;
  /** Run the queue leader loop (default true). Tests may drive a leader by hand instead. */
  startLeader?: boolean;
  /** Seat-lock test seam (off, or a TTL short enough to expire mid-transaction). */
  seatLocks?: AppDeps['seatLocks'];
}

export async function startServer(
  config: Config,
  options: StartOptions = {},
): Promise<RunningServer> {
  // A logger given by the caller gets the same redaction as the app's own.
  const logger = options.logger
    ? withRedaction(options.logger)
    : createLogger(config.logLevel, config.instanceId);
  const startLeader = options.startLeader ?? true;
  await ensureDatabase(config.databaseUrl, logger);
  const orm = await createOrm(config.databaseUrl, logger);
  const appliedMigrations = await migrate(orm, logger, async () => {
    if (config.seedOnEmpty) await seedIfEmpty(orm, config, logger);
  });
  const redis = createRedis(config);
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  const { app, hot, server, gateway, services } = createApp({
    config,
    orm,
    redis,
    logger,
    seatLocks: options.seatLocks,
  });
  // While shutting down, every response (in flight or arriving on a kept-alive connection) says
  // `Connection: close`, so its connection ends with it instead of idling until keepAliveTimeout.
  let draining = false;
  const unanswered = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    if (draining) res.setHeader('Connection', 'close');
    unanswered.add(res);
    res.once('close', () => unanswered.delete(res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  if (startLeader) services.queueLeader.start();
  services.bookingChores.start();
  logger.info({ port }, 'Lineup listening on http://localhost:%d', port);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      logger.info('shutting down: finishing in-flight requests');
      services.bookingChores.stop();
      await services.queueLeader.stop({ release: true });
      // Sockets are closed first, so their clients reconnect to another instance at once; seat
      // changes still in their coalescing window go out before.
      services.seatEvents.flush();
      await gateway.close();
      draining = true;
      for (const res of unanswered) if (!res.headersSent) res.setHeader('Connection', 'close');
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await drained;
      clearTimeout(force);
      await orm.close(true);
      await redis.quit().catch(() => redis.disconnect());
      logger.info('shut down cleanly');
    })());

  return {
    config,
    port,
    url: `http://127.0.0.1:${port}`,
    server,
    orm,
    redis,
    logger,
    services,
    gateway,
    app,
    hot,
    appliedMigrations,
    close,
  };
}
