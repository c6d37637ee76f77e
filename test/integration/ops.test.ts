import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, isErrorCode } from '@lineup/client-sdk/contract';
import { client } from '../support/http.js';
import { startTestServer, useTestServer } from '../support/server.js';
import { unusedPort } from '../support/tcp-proxy.js';

const ctx = useTestServer();

describe('GET /admin/stats', () => {
  it('collects garbage first only when asked and the process exposes gc', async () => {
    const admin = { token: ctx.server.config.adminToken };
    let collections = 0;
    const g = globalThis as { gc?: () => void };
    const had = g.gc;
    g.gc = () => void collections++; // the server runs in this process
    try {
      const plain = await ctx.api.get('/admin/stats', admin);
      expect(plain.status).toBe(200);
      expect(plain.body.afterGc).toBe(false);
      const collected = await ctx.api.get('/admin/stats?gc=true', admin);
      expect(collected.body).toMatchObject({ afterGc: true, pid: process.pid });
      expect(collections).toBe(1);
      const bad = await ctx.api.get('/admin/stats?gc=yes', admin);
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('VALIDATION_FAILED');
      expect(collections).toBe(1);
      delete g.gc; // a process started without --expose-gc
      const without = await ctx.api.get('/admin/stats?gc=true', admin);
      expect(without.body.afterGc).toBe(false);
    } finally {
      if (had) g.gc = had;
      else delete g.gc;
    }
  });
});

describe('health', () => {
  it('GET /healthz answers 200 while the process is up', async () => {
    const res = await ctx.api.get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 with both dependencies up', async () => {
    const res = await ctx.api.get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { postgres: 'up', redis: 'up' } });
  });

  it('GET /readyz answers 503 SERVICE_UNAVAILABLE when Redis is unreachable; the process stays up', async () => {
    const port = await unusedPort();
    const degraded = await startTestServer(ctx.db.url, { REDIS_URL: `redis://127.0.0.1:${port}` });
    try {
      const degradedApi = client(degraded.url);
      const ready = await degradedApi.get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({
        error: {
          code: 'SERVICE_UNAVAILABLE',
          message: expect.any(String),
          details: { checks: { postgres: 'up', redis: 'down' } },
        },
      });
      // Still serving: liveness and a PostgreSQL-only route keep working, readiness keeps answering.
      expect((await degradedApi.get('/healthz')).status).toBe(200);
      expect((await degradedApi.get('/concerts')).status).toBe(200);
      expect((await degradedApi.get('/readyz')).status).toBe(503);
    } finally {
      await degraded.close();
    }
  });
});

interface Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses?: Record<string, unknown>;
  security?: Record<string, string[]>[];
}

const ROUTES: [method: string, path: string, hasBody: boolean][] = [
  ['post', '/users', true],
  ['post', '/auth/login', true],
  ['get', '/users/me/points', false],
  ['post', '/users/me/points/charge', true],
  ['get', '/users/me/points/history', false],
  ['get', '/concerts', false],
  ['post', '/admin/venues', true],
  ['post', '/admin/concerts', true],
  ['post', '/admin/concerts/{id}/schedules', true],
];

describe('API documentation', () => {
  let doc: {
    openapi: string;
    info: { title: string; version: string };
    paths: Record<string, Record<string, Operation>>;
    components?: Record<string, Record<string, unknown>>;
  };
  beforeAll(async () => {
    const res = await ctx.api.get('/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
  });

  it('is an OpenAPI 3 document', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path).toMatch(/^\//);
      for (const op of Object.values(item)) expect(Object.keys(op.responses ?? {})).not.toEqual([]);
    }
  });

  it.each(ROUTES)('documents %s %s with its request schema', (method, path, hasBody) => {
    const op = doc.paths[path]?.[method];
    expect(op).toBeDefined();
    if (hasBody) expect(op!.requestBody?.content['application/json']?.schema).toBeDefined();
  });

  it('documents path and query parameters and the Idempotency-Key header', () => {
    const names = (path: string, method: string) =>
      (doc.paths[path]?.[method]?.parameters ?? []).map((p) => `${p.in}:${p.name}`);
    expect(names('/admin/concerts/{id}/schedules', 'post')).toContain('path:id');
    expect(names('/users/me/points/history', 'get')).toEqual(
      expect.arrayContaining(['query:cursor', 'query:limit']),
    );
    expect(names('/users/me/points/charge', 'post')).toContain('header:Idempotency-Key');
  });

  it('declares who may call each route with security schemes that exist', () => {
    const security = (path: string, method: string) =>
      (doc.paths[path]?.[method]?.security ?? []).flatMap((req) => Object.keys(req));
    expect(security('/users/me/points/charge', 'post')).toEqual(['bearerAuth']);
    expect(security('/admin/venues', 'post')).toEqual(['adminToken']);
    expect(security('/concerts', 'get')).toEqual([]);
    const used = Object.values(doc.paths).flatMap((item) =>
      Object.values(item).flatMap((op) => (op.security ?? []).flatMap((req) => Object.keys(req))),
    );
    for (const name of new Set(used)) expect(doc.components?.securitySchemes?.[name]).toBeDefined();
    // Any $ref must point at a component that exists.
    for (const [, section, name] of JSON.stringify(doc).matchAll(
      /"\$ref":"#\/components\/(\w+)\/([^"]+)"/g,
    )) {
      expect(doc.components?.[section!]?.[name!]).toBeDefined();
    }
  });

  it('documents each error answer from the contract’s catalogue: its codes, their status and message', () => {
    type ErrorDoc = {
      description: string;
      headers?: Record<string, unknown>;
      content?: Record<
        string,
        { schema: { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } } }
      >;
    };
    let documented = 0;
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) {
        for (const [status, r] of Object.entries(op.responses ?? {}) as [string, ErrorDoc][]) {
          if (Number(status) < 400) continue;
          const codes =
            r.content?.['application/json']?.schema.properties?.error?.properties?.code?.enum;
          expect(codes, `${status} ${r.description}`).toBeDefined();
          for (const code of codes!) {
            expect(isErrorCode(code), code).toBe(true);
            if (!isErrorCode(code)) continue;
            expect(ERROR_CATALOGUE[code].status).toBe(Number(status));
            expect(r.description).toContain(`${code}: ${ERROR_CATALOGUE[code].message}`);
            documented++;
          }
        }
      }
    }
    expect(documented).toBeGreaterThan(40);
    const join = doc.paths['/concerts/{concertId}/queue']!.post!.responses as Record<
      string,
      ErrorDoc
    >;
    expect(join['409']!.description).toContain('SALE_ENDED');
    expect(join['401']!.description).toContain('UNAUTHENTICATED');
    expect(join['503']!.headers?.['Retry-After']).toBeDefined();
    const hold = doc.paths['/reservations']!.post!.responses as Record<string, ErrorDoc>;
    expect(
      hold['409']!.content!['application/json']!.schema.properties!.error!.properties!.code!.enum,
    ).toEqual(
      expect.arrayContaining(['SEAT_UNAVAILABLE', 'SCHEDULE_CLOSED', 'IDEMPOTENCY_KEY_IN_USE']),
    );
  });

  it('serves the Swagger UI at /docs', async () => {
    const res = await fetch(`${ctx.server.url}/docs/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toMatch(/swagger-ui/i);
  });
});
