import {
  Router,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z, type ZodType } from 'zod';
import type { ErrorCode } from '@lineup/client-sdk/contract';
import { AppError } from '../app-error.js';
import { errorResponses } from './error-docs.js';
import { validatePart, type Issue } from './validation.js';

// One place defines a route: its zod schemas validate the request here, and the same schemas are
// registered in the OpenAPI document. Handlers receive already-parsed, typed input.

export type AuthKind = 'user' | 'admin';

export interface RouteSpec<P extends ZodType, Q extends ZodType, B extends ZodType> {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** Express-style path, e.g. `/concerts/:concertId/queue`. */
  path: string;
  summary: string;
  tags: string[];
  auth?: AuthKind;
  /** Extra headers the route reads (documented only), e.g. Idempotency-Key, X-Queue-Token. */
  headers?: Record<string, { description: string; required?: boolean }>;
  /** Middleware run after authentication and validation (e.g. the admission guard). */
  before?: RequestHandler[];
  /**
   * A hot path (the join, the status poll): served from `Api.hotRouter`, which the app mounts
   * ahead of the per-request ORM context, the request-scoped log context and the per-request
   * completion log line — the route must not use the ORM's request context. Authentication,
   * validation, rate limits, headers, metrics and the error envelope are the same as any route's,
   * and a failure is still logged with its request id (app.ts).
   */
  hot?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * The error codes the route may answer besides the ones it implies (UNAUTHENTICATED with `auth`,
   * VALIDATION_FAILED with a schema, MALFORMED_JSON with a body): the OpenAPI document takes their
   * statuses and messages from the contract's catalogue.
   */
  errors?: readonly ErrorCode[];
  /** The success answers (an error status here is overridden by `errors`). */
  responses: Record<
    number,
    {
      description: string;
      schema?: ZodType;
      /** Response headers worth documenting (OpenAPI header objects). */
      headers?: Record<string, { description: string; schema: { type: 'integer' | 'string' } }>;
    }
  >;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

type Infer<T> = T extends ZodType ? z.output<T> : undefined;

export class Api {
  readonly router = Router();
  /** The `hot` routes (see RouteSpec.hot). */
  readonly hotRouter = Router();

  constructor(
    readonly registry: OpenAPIRegistry,
    private readonly authenticators: Record<AuthKind, RequestHandler>,
    /** Runs first on a hot route (it gives the request what the skipped middleware would). */
    private readonly hotPrelude?: RequestHandler,
  ) {}

  route<P extends ZodType, Q extends ZodType, B extends ZodType>(
    spec: RouteSpec<P, Q, B>,
    handler: (input: RouteInput<Infer<P>, Infer<Q>, Infer<B>>) => Promise<void>,
  ): void {
    this.document(spec);
    const validate: RequestHandler = (req, _res, next) => {
      const problems: Issue[] = [];
      const parsed: Record<'params' | 'query' | 'body', unknown> = {
        params: undefined,
        query: undefined,
        body: undefined,
      };
      for (const part of ['params', 'query', 'body'] as const) {
        const schema = spec[part];
        if (!schema) continue;
        parsed[part] = validatePart(
          schema,
          part === 'body' ? (req.body ?? {}) : req[part],
          part,
          problems,
        );
      }
      if (problems.length > 0) {
        return next(new AppError('VALIDATION_FAILED', { details: { issues: problems } }));
      }
      req.valid = parsed;
      next();
    };
    const run = async (req: Request, res: Response, next: NextFunction) => {
      try {
        const valid = req.valid ?? {};
        await handler({
          params: valid.params as Infer<P>,
          query: valid.query as Infer<Q>,
          body: valid.body as Infer<B>,
          req,
          res,
        });
      } catch (err) {
        next(err);
      }
    };
    const chain: RequestHandler[] = [];
    if (spec.hot && this.hotPrelude) chain.push(this.hotPrelude);
    if (spec.auth) chain.push(this.authenticators[spec.auth]);
    chain.push(validate, ...(spec.before ?? []), run);
    (spec.hot ? this.hotRouter : this.router)[spec.method](spec.path, ...chain);
  }

  private document(spec: RouteSpec<ZodType, ZodType, ZodType>): void {
    const headerShape: Record<string, ZodType> = {};
    for (const [name, h] of Object.entries(spec.headers ?? {})) {
      const s = z.string().describe(h.description);
      headerShape[name] = h.required ? s : s.optional();
    }
    this.registry.registerPath({
      method: spec.method,
      path: spec.path.replace(/:(\w+)/g, '{$1}'),
      summary: spec.summary,
      tags: spec.tags,
      security:
        spec.auth === 'user'
          ? [{ bearerAuth: [] }]
          : spec.auth === 'admin'
            ? [{ adminToken: [] }]
            : [],
      request: {
        params: spec.params as never,
        query: spec.query as never,
        headers: Object.keys(headerShape).length ? z.object(headerShape) : undefined,
        body: spec.body ? { content: { 'application/json': { schema: spec.body } } } : undefined,
      },
      responses: Object.fromEntries(
        Object.entries({ ...spec.responses, ...errorResponses(impliedErrors(spec)) }).map(
          ([status, r]) => [
            status,
            {
              description: r.description,
              ...('headers' in r ? { headers: r.headers } : {}),
              ...(r.schema ? { content: { 'application/json': { schema: r.schema } } } : {}),
            },
          ],
        ),
      ),
    });
  }
}

/** The codes a route declares plus the ones its shape implies. */
function impliedErrors(spec: RouteSpec<ZodType, ZodType, ZodType>): ErrorCode[] {
  const codes: ErrorCode[] = [...(spec.errors ?? [])];
  if (spec.auth) codes.push('UNAUTHENTICATED');
  if (spec.params || spec.query || spec.body) codes.push('VALIDATION_FAILED');
  if (spec.body) codes.push('MALFORMED_JSON');
  return codes;
}

declare module 'express-serve-static-core' {
  interface Request {
    valid?: Partial<Record<'params' | 'query' | 'body', unknown>>;
    auth?: { userId: number };
    requestId?: string;
  }
}
