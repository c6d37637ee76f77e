import { createServer, type Server } from 'node:http';
import express, { type Express } from 'express';
import { randomUUID } from 'node:crypto';
import { pinoHttp } from 'pino-http';
import { RequestContext, type EntityManager } from '@mikro-orm/postgresql';
import type { RedisClient } from './infra/redis/scripts.js';
import type { Logger } from 'pino';
import type { Config } from './config/index.js';
import type { Orm } from './infra/db/orm.js';
import { errorMiddleware, notFound } from './infra/http/error.middleware.js';
import { httpLogSerializers } from './infra/log-redaction.js';
import { requestContext } from './infra/logger.js';
import { AccessTokens } from './modules/accounts/access-tokens.crypto.js';
import { AccountsRepository } from './modules/accounts/accounts.repository.js';
import { AccountsService } from './modules/accounts/accounts.service.js';
import { CatalogueRepository } from './modules/catalogue/catalogue.repository.js';
import { CatalogueService, type Clock } from './modules/catalogue/catalogue.service.js';
import { CatalogueStatements } from './modules/catalogue/catalogue.statements.js';
import { SchedulesList } from './modules/catalogue/schedules-list.cache.js';
import { IdempotencyRepository } from './modules/idempotency/idempotency.repository.js';
import { IdempotencyService } from './modules/idempotency/idempotency.service.js';
import { IdempotencyMarks } from './modules/idempotency/idempotency.store.js';
import { opsRoutes } from './modules/ops/ops.routes.js';
import { Metrics } from './modules/ops/ops.metrics.js';
import { LoginLimits, RateLimits } from './infra/http/rate-limits.js';
import { securityHeaderList, securityHeaders, trustProxySetting } from './infra/http/security.js';
import { HotHttp, requestIdOf } from './infra/http/hot-http.js';
import cors from 'cors';
import { QueueEventBus } from './modules/queue/queue.events.js';
import { AdmissionHistory, TICKS_PER_BUCKET } from './modules/queue/admission-history.store.js';
import { QueueLeader } from './modules/queue/queue.leader.js';
import { FairnessRepository } from './modules/queue/fairness.repository.js';
import { FairnessService } from './modules/queue/fairness.service.js';
import { JoinChallenges } from './modules/queue/join-challenges.crypto.js';
import { QueueService } from './modules/queue/queue.service.js';
import { QueueStore } from './modules/queue/queue.store.js';
import { QueueTokens } from './modules/queue/queue-tokens.crypto.js';
import { SeatEvents } from './modules/realtime/seat.events.js';
import { RealtimeGateway } from './modules/realtime/realtime.gateway.js';
import { PointsRepository } from './modules/points/points.repository.js';
import { PointsService } from './modules/points/points.service.js';
import { webRoutes } from './modules/web/web.routes.js';
import type { BookingService } from './modules/booking/booking.service.js';
import type { LeaderChores } from './modules/booking/chores.leader.js';
import type { SeatLockOptions } from './modules/booking/seat-locks.store.js';
import { PreparedStatements } from './infra/db/prepared.js';
import { composeBooking } from './app-booking.js';
import { registerRoutes } from './app-routes.js';

/** How long an idle kept-alive HTTP connection stays open: past nginx's 60 s (see createApp). */
export const KEEP_ALIVE_MS = 65_000;
export interface AppDeps {
  config: Config;
  orm: Orm;
  redis: RedisClient;
  logger: Logger;
  clock?: Clock;
  /** Seat-lock settings; tests turn the locks off or make them expire early. */
  seatLocks?: Partial<SeatLockOptions>;
}

export interface AppServices {
  accounts: AccountsService;
  tokens: AccessTokens;
  points: PointsService;
  idempotency: IdempotencyService;
  catalogue: CatalogueService;
  queueEvents: QueueEventBus;
  queueStore: QueueStore;
  queue: QueueService;
  queueLeader: QueueLeader;
  /** Seat changes go out through here to the realtime gateway (subscribe to watch them). */
  seatEvents: SeatEvents;
  booking: BookingService;
  /** Leader-only background work of booking (holds, seat filter, idempotency keys). */
  bookingChores: LeaderChores;
  metrics: Metrics;
  /** The hot path's prepared statements (round trips counted). */
  db: PreparedStatements;
}

export const BODY_LIMIT = '256kb';

const VERSION = '0.1.0';

/**
 * The composition root: builds every module with its collaborators, the express app, its HTTP
 * server and the realtime gateway on it. No listening, no process handling (server.ts does both).
 */
export function createApp(deps: AppDeps): {
  app: Express;
  hot: HotHttp;
  server: Server;
  gateway: RealtimeGateway;
  services: AppServices;
} {
  const { config, orm, logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  // Inside a request this is that request's fork (RequestContext); elsewhere a fresh fork.
  const em = (): EntityManager =>
    (RequestContext.getEntityManager() as EntityManager | undefined) ?? orm.em.fork();

  // The hot path's prepared statements, one set (its round trips counted once) for every module.
  const db = new PreparedStatements(orm);
  const tokens = new AccessTokens(config.authJwtSecret);
  const queueEvents = new QueueEventBus();
  const queueStore = new QueueStore(deps.redis, config.redisKeyPrefix);
  const limits = new RateLimits(deps.redis, config.redisKeyPrefix, config.rateLimitEnabled);
  const fairness = new FairnessService(
    em,
    new FairnessRepository(),
    queueStore,
    config.queueTokenSecret,
  );
  const catalogue = new CatalogueService(
    em,
    new CatalogueRepository(),
    new SchedulesList(new CatalogueStatements(db)),
    (concertId) => fairness.commit(concertId),
    clock,
  );
  const admissionHistory = new AdmissionHistory(
    deps.redis,
    queueStore.keys,
    config.queue.tickMs * TICKS_PER_BUCKET,
  );
  const queue = new QueueService(
    queueStore,
    new QueueTokens(config.queueTokenSecret),
    catalogue,
    config.queue,
    queueEvents,
    limits,
    fairness,
    new JoinChallenges(config.queueTokenSecret, config.queue.challengeSeconds),
    admissionHistory,
    clock,
  );
  // The one cycle: metrics count the gateway's sockets at scrape time, the gateway reports
  // admission notices to metrics.
  const metrics = new Metrics(queue, queueEvents, config.instanceId, () => gateway.localSockets);
  const queueLeader = new QueueLeader(
    queueStore,
    {
      instanceId: config.instanceId,
      leaseMs: config.queue.leaderLeaseMs,
      tickMs: config.queue.tickMs,
      abandonSeconds: config.queue.abandonSeconds,
      defaults: () => queue.defaults,
      salesOver: (concertIds) => queue.salesOver(concertIds),
      fairness,
      // Booking is built below (it needs the queue); the leader first ticks after start.
      seatBudgets: (lines) =>
        queue.seatBudgets(lines, (all) => booking.holds.seatsForAdmission(all)),
      history: admissionHistory,
      onChange: (leading) => metrics.leadership(leading),
    },
    queueEvents,
    logger,
  );
  const points = new PointsService(em, new PointsRepository(), config.points);
  const { retentionSeconds } = config.idempotency;
  const idempotency = new IdempotencyService(
    em,
    new IdempotencyRepository(),
    // Marks outlive the rows they stand for by an hour (see IdempotencyMarks).
    new IdempotencyMarks(deps.redis, config.redisKeyPrefix, retentionSeconds + 3_600),
    { retentionSeconds },
  );
  const app = express();
  app.set('trust proxy', trustProxySetting(config.trustProxy));
  // The join and the status poll are answered before express when they are ordinary requests
  // (hot-http.ts); every other request, and any unusual one of theirs, is express's.
  const hot = new HotHttp({
    headers: securityHeaderList(),
    cors: config.corsOrigins.length > 0,
    trustProxy: app.get('trust proxy fn') as (addr: string, hop: number) => boolean,
    observe: (method, route, status, seconds) =>
      metrics.observeHttp(method, route, status, seconds),
    logger,
  });
  const server = createServer((req, res) => {
    if (!hot.dispatch(req, res)) app(req, res);
  });
  // Idle kept-alive connections stay open longer than a load balancer keeps its upstream ones:
  // nginx (deploy/nginx.conf, upstream `keepalive`) reuses them for 60 s, Node closed them after
  // 5 s, and a request nginx sent on a connection Node had just closed failed (a POST, e.g. a
  // hold, is not retried: 502). Clients that connect directly (fans' browsers, the load runner)
  // keep theirs too, instead of opening a new one mid-storm that a busy instance accepts late
  // (libuv accepts one connection per event-loop iteration).
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  const gateway = new RealtimeGateway({
    httpServer: server,
    redis: deps.redis,
    config,
    queue,
    events: queueEvents,
    catalogue,
    logger,
    trustProxy: app.get('trust proxy fn') as (addr: string, hop: number) => boolean,
    onAdmissionNotice: (at) => metrics.admissionNoticed(at),
  });
  const seatEvents = new SeatEvents(gateway, config.booking.seatChangesWindowMs);
  const { booking, bookingChores } = composeBooking({
    ...deps,
    ...{ em, db, clock, idempotency, queue, points, seatEvents },
    bookingOutcome: (o) => metrics.bookingOutcome(o),
    isLeader: () => queueLeader.isLeader,
  });
  const services: AppServices = {
    tokens,
    accounts: new AccountsService(
      em,
      new AccountsRepository(),
      tokens,
      new LoginLimits(deps.redis, config.redisKeyPrefix, config.rateLimitEnabled),
    ),
    points,
    idempotency,
    catalogue,
    queueEvents,
    queueStore,
    queue,
    queueLeader,
    seatEvents,
    booking,
    metrics,
    bookingChores,
    db,
  };

  const { api, registry } = registerRoutes({ config, logger, services, hot, limits });

  app.disable('x-powered-by');
  app.use(securityHeaders());
  if (config.corsOrigins.length > 0) {
    app.use(
      cors({
        origin: config.corsOrigins,
        exposedHeaders: ['Retry-After', 'X-Request-Id', 'Idempotent-Replayed'],
      }),
    );
  }
  app.use(services.metrics.httpMiddleware());
  app.use((req, res, next) => {
    const reqId = requestIdOf(req.headers['x-request-id']);
    req.requestId = reqId;
    res.setHeader('X-Request-Id', reqId);
    next();
  });
  app.use(express.json({ limit: BODY_LIMIT }));
  // The hot routes (join, status poll) come before the per-request contexts and completion log
  // below: a stadium joining at once should not pay for an ORM fork, two async contexts and a
  // serialized request per join. Their failures still reach errorMiddleware, which logs a 5xx
  // with the request (redacted) and its id through the logger req.log builds on first use.
  app.use(api.hotRouter);
  app.use((req, _res, next) => requestContext.run({ reqId: req.requestId! }, next));
  app.use(
    pinoHttp({
      logger,
      genReqId: (req) => (req as express.Request).requestId ?? randomUUID(),
      // pino-http sets its own req/res/err serializers on the child it logs with: these redact.
      serializers: httpLogSerializers,
    }),
  );
  app.use((_req, _res, next) => RequestContext.create(orm.em, next));
  app.use(
    opsRoutes({ orm, redis: deps.redis, registry, version: VERSION, metrics: services.metrics }),
  );
  app.use(webRoutes());
  app.use(api.router);
  app.use(notFound);
  app.use(errorMiddleware(logger));
  return { app, hot, server, gateway, services };
}
