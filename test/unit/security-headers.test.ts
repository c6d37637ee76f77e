import { afterAll, describe, expect, it } from 'vitest';
import express from 'express';
import helmet from 'helmet';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { securityHeaders } from '../../src/infra/http/security.js';

// securityHeaders replays the headers helmet set once at start-up instead of running helmet's
// chain per request: every response must carry exactly what helmet itself would have set.
const servers: Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

async function headersOf(middleware: express.RequestHandler, path: string) {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(middleware);
  app.use((_req, res) => void res.json({ ok: true }));
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  const out = Object.fromEntries(res.headers.entries());
  delete out.date;
  delete out['keep-alive'];
  return out;
}

describe('security headers', () => {
  it('are exactly helmet defaults on every route but /docs', async () => {
    for (const path of ['/concerts/1/queue', '/queue/status', '/']) {
      const ours = await headersOf(securityHeaders(), path);
      expect(ours).toEqual(await headersOf(helmet(), path));
      expect(ours['content-security-policy']).toContain("script-src 'self'");
      expect(ours['strict-transport-security']).toBeDefined();
    }
  });

  it('relax the Content-Security-Policy for the Swagger UI only', async () => {
    const docs = await headersOf(securityHeaders(), '/docs');
    expect(docs['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
  });
});
