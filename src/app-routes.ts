// The API's routes, registered for the composition root (app.ts): every module's routes on the
// Api (express routers and the OpenAPI registry) and the hot routes on HotHttp.
import type express from 'express';
import type { Logger } from 'pino';
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Config } from './config/index.js';
import { Api } from './infra/http/api.js';
import type { HotHttp } from './infra/http/hot-http.js';
import type { RateLimits } from './infra/http/rate-limits.js';
import { accountsRoutes } from './modules/accounts/accounts.routes.js';
import {
  authenticatedUser,
  requireAdmin,
  requireUser,
} from './modules/accounts/auth.middleware.js';
import { adminCatalogueRoutes } from './modules/admin/admin-catalogue.routes.js';
import { adminConsoleRoutes } from './modules/admin/admin-console.routes.js';
import { adminQueueRoutes } from './modules/admin/admin-queue.routes.js';
import { adminStatsRoutes } from './modules/admin/admin-stats.routes.js';
import { bookingHotRoutes } from './modules/booking/booking-hot.routes.js';
import { bookingRoutes } from './modules/booking/booking.routes.js';
import { catalogueRoutes } from './modules/catalogue/catalogue.routes.js';
import { pointsRoutes } from './modules/points/points.routes.js';
import { queueHotRoutes, queueRoutes } from './modules/queue/queue.routes.js';
import type { AppServices } from './app.js';

export interface RoutesDeps {
  config: Config;
  logger: Logger;
  services: AppServices;
  hot: HotHttp;
  limits: RateLimits;
}

/**
 * req.log for a request pino-http does not see (the hot routes): the app logger's child bound to
 * the request (its serializer redacts, and carries the request id), built only if something logs.
 * pino-http replaces it for every other request.
 */
function lazyRequestLogger(req: express.Request, logger: Logger): void {
  let child: Logger | undefined;
  Object.defineProperty(req, 'log', {
    configurable: true,
    enumerable: false,
    get: () => (child ??= logger.child({ req })),
    set: (value: Logger) => {
      child = value;
    },
  });
  req.id = req.requestId!;
}

/** Registers every route; the Api's routers and the registry are mounted by app.ts. */
export function registerRoutes(deps: RoutesDeps): { api: Api; registry: OpenAPIRegistry } {
  const { config, logger, services, hot, limits } = deps;
  const { tokens, queue, catalogue, booking } = services;
  const registry = new OpenAPIRegistry();
  const api = new Api(
    registry,
    { user: requireUser(tokens), admin: requireAdmin(config.adminToken) },
    (req, _res, next) => {
      lazyRequestLogger(req, logger);
      next();
    },
  );
  accountsRoutes(api, services.accounts, limits);
  pointsRoutes(api, services.points, services.idempotency);
  catalogueRoutes(api, services.catalogue);
  adminCatalogueRoutes(api, services.catalogue);
  queueRoutes(api, queue, catalogue);
  const authenticate = (authorization: string | undefined) =>
    authenticatedUser(tokens, authorization);
  queueHotRoutes(hot, queue, authenticate);
  bookingHotRoutes(hot, { booking, queue, catalogue }, authenticate);
  adminQueueRoutes(api, queue);
  adminConsoleRoutes(api, catalogue, queue);
  adminStatsRoutes(api, { instanceId: config.instanceId, booking });
  bookingRoutes(api, booking, queue);
  return { api, registry };
}
