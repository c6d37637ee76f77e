import type { Metrics } from './ops.metrics.js';
import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { OpenApiGeneratorV3, type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { RedisClient } from '../../infra/redis/scripts.js';
import type { Orm } from '../../infra/db/orm.js';
import { AppError } from '../../infra/app-error.js';
import { checkDependencies } from '../../infra/health.js';

export function opsRoutes(deps: {
  orm: Orm;
  redis: RedisClient;
  registry: OpenAPIRegistry;
  version: string;
  metrics: Metrics;
}): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = await checkDependencies(deps.orm, deps.redis);
    if (checks.postgres === 'up' && checks.redis === 'up') {
      res.json({ status: 'ready', checks });
      return;
    }
    const err = new AppError('SERVICE_UNAVAILABLE', { details: { checks } });
    res.status(err.status).json(err.toBody());
  });

  let document: unknown;
  router.get('/openapi.json', (_req, res) => {
    // Generated on first use, after every route has registered its schemas.
    document ??= openApiDocument(deps.registry, deps.version);
    res.json(document);
  });
  router.use(
    '/docs',
    swaggerUi.serve,
    swaggerUi.setup(undefined, { swaggerOptions: { url: '/openapi.json' } }),
  );
  return router;
}

export function openApiDocument(registry: OpenAPIRegistry, version: string) {
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  registry.registerComponent('securitySchemes', 'adminToken', { type: 'http', scheme: 'bearer' });
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'Lineup API',
      version,
      description:
        'Concert ticketing with a real-time virtual waiting room. Errors use one envelope: {error: {code, message, details}}.',
    },
  });
}
