import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { launchBrowser, openPage } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert } from '../support/fixtures.js';
import { client } from '../support/http.js';
import { flushPrefix, startTestServer } from '../support/server.js';

// What Chromium asks the instance for when a fan opens the page, reloads it and comes back
// (issue 19), counted where it costs: at the instance's HTTP server.

interface Served {
  path: string;
  status: number;
  bytes: number;
  encoding: string | undefined;
}

/** Compressed JavaScript a fan downloads for the page: the target (KB = 1,000 bytes). */
const JS_BUDGET_BYTES = 60_000;

let db: TestDatabase;
let server: RunningServer;
let browser: Browser;
let served: Served[] = [];

function record(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '';
  res.on('finish', () =>
    served.push({
      path,
      status: res.statusCode,
      bytes: Number(res.getHeader('content-length') ?? 0),
      encoding: res.getHeader('content-encoding') as string | undefined,
    }),
  );
}
const page = () => served.filter((s) => s.path === '/' || s.path.startsWith('/assets/'));

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db.url);
  server.server.prependListener('request', record); // before express rewrites req.url
  await createConcert(client(server.url), { seats: 10 });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (server) await flushPrefix(server.config.redisKeyPrefix);
  await db?.drop();
});

describe('the page in Chromium', () => {
  it('downloads its assets compressed once; a reload or a return asks only for index.html', async () => {
    const fan = await openPage(browser, server.url);
    const first = page();
    // index.html, the stylesheet, the entry script and the chunks it imports (preloaded) — in
    // whatever order the browser fetches them; never the operators' console chunk.
    const paths = first.map((s) => s.path);
    expect(paths[0]).toBe('/');
    expect(paths.filter((p) => /^\/assets\/styles-\w+\.css$/.test(p))).toHaveLength(1);
    expect(paths.filter((p) => /^\/assets\/app-\w+\.js$/.test(p))).toHaveLength(1);
    const html = await (await fetch(server.url)).text();
    const preloaded = [...html.matchAll(/rel="modulepreload" href="(assets\/[^"]+)"/g)].map(
      (m) => `/${m[1]}`,
    );
    expect(paths.slice(1).sort()).toEqual(
      paths.filter((p) => p !== '/' && (!/chunk-/.test(p) || preloaded.includes(p))).sort(),
    );
    expect(paths).toHaveLength(3 + preloaded.length);
    for (const asset of first.slice(1)) {
      expect(asset.status).toBe(200);
      expect(['br', 'gzip']).toContain(asset.encoding);
    }
    const scripts = first.filter((s) => s.path.endsWith('.js'));
    const bytes = scripts.reduce((sum, s) => sum + s.bytes, 0);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(JS_BUDGET_BYTES);

    // Reload: index.html is revalidated (304, no body); no asset is asked for at all.
    served = [];
    await fan.page.reload();
    await fan.page.locator('main[data-view="concerts"] h1').waitFor();
    expect(page()).toEqual([{ path: '/', status: 304, bytes: 0, encoding: undefined }]);

    // Coming back to the address later: the same.
    served = [];
    await fan.page.goto('about:blank');
    await fan.page.goto(server.url);
    await fan.page.locator('main[data-view="concerts"] h1').waitFor();
    expect(page()).toEqual([{ path: '/', status: 304, bytes: 0, encoding: undefined }]);
    expect(await fan.page.textContent('main h1')).toBe('Concerts');
    expect(fan.problems).toEqual([]);
    await fan.context.close();
  });
});
