import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { linkedAssets, rawRequest } from '../support/raw-http.js';
import { flushPrefix, startTestServer } from '../support/server.js';

// The page as the instances serve it (issue 19): content-hashed assets, precompressed at build
// time (test/support/build-web.ts builds dist/web first), chosen by Accept-Encoding, cached for
// good; index.html revalidated. Bodies are compared byte for byte with the built files.

const WEB = fileURLToPath(new URL('../../dist/web/', import.meta.url));
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Compressed JavaScript a fan downloads for the page: the target (KB = 1,000 bytes). */
const JS_BUDGET_BYTES = 60_000;
const CHROME_ACCEPT_ENCODING = 'gzip, deflate, br, zstd';

let db: TestDatabase;
let server: RunningServer;
let corsServer: RunningServer;
/** The entry script index.html runs (app-<hash>.js). */
let script: string;
/** Every script index.html links: the entry and the chunks it imports (modulepreload). */
let scripts: string[];
let stylesheet: string;
/** The join challenge's Web Worker (challenge-worker-<hash>.js): not linked, started by the page. */
let workerScript: string;

const built = (path: string) => readFileSync(`${WEB}${path.slice(1)}`);
const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
  rawRequest(`${server.url}${path}`, { method, headers });

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db.url);
  corsServer = await startTestServer(db.url, { CORS_ORIGINS: 'https://tickets.example.com' });
  const assets = linkedAssets((await get('/')).body.toString());
  scripts = assets.filter((a) => a.endsWith('.js'));
  script = scripts.find((a) => a.startsWith('/assets/app-'))!;
  stylesheet = assets.find((a) => a.endsWith('.css'))!;
  const meta = JSON.parse(readFileSync(`${WEB}bundle-meta.json`, 'utf8')) as {
    outputs: Record<string, { entryPoint?: string }>;
  };
  const [workerOut] = Object.entries(meta.outputs).find(
    ([out, o]) => o.entryPoint === 'web/src/challenge-worker.ts' && out.endsWith('.js'),
  )!;
  workerScript = `/assets/${workerOut.split('/').at(-1)}`;
});
afterAll(async () => {
  for (const s of [server, corsServer]) {
    await s?.close();
    if (s) await flushPrefix(s.config.redisKeyPrefix);
  }
  await db?.drop();
});

describe('index.html', () => {
  it('links content-hashed assets and is revalidated on every load (ETag, 304)', async () => {
    const first = await get('/', { 'accept-language': 'en' });
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('no-cache');
    const linked = linkedAssets(first.body.toString());
    expect(linked[0]).toMatch(/^\/assets\/styles-[A-Z0-9]{8}\.css$/);
    expect(linked.at(-1)).toMatch(/^\/assets\/app-[A-Z0-9]{8}\.js$/);
    // Between them, the chunks the entry imports, preloaded so they load alongside it.
    for (const chunk of linked.slice(1, -1))
      expect(chunk).toMatch(/^\/assets\/chunk-[A-Z0-9]{8}\.js$/);
    expect(first.body.toString()).toMatch(/<link rel="modulepreload" href="assets\/chunk-/);
    const etag = first.headers.etag as string;
    expect(etag).toBeTruthy();
    const again = await get('/', { 'accept-language': 'en', 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    // Another language is another document: its ETag differs, so a cache never mixes them up.
    const korean = await get('/', { 'accept-language': 'ko', 'if-none-match': etag });
    expect(korean.status).toBe(200);
    expect(korean.body.toString()).toContain('<html lang="ko"');
  });
});

describe("/admin (the operators' console)", () => {
  it('is the same page, revalidated; /admin/ is sent to /admin (its relative links hold)', async () => {
    const page = await get('/admin', { 'accept-language': 'ko' });
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.body.toString()).toContain('<html lang="ko"');
    expect(linkedAssets(page.body.toString())).toEqual(
      linkedAssets((await get('/', { 'accept-language': 'ko' })).body.toString()),
    );
    const slash = await get('/admin/');
    expect(slash.status).toBe(301);
    expect(slash.headers.location).toBe('/admin');
  });
});

describe('assets by Accept-Encoding', () => {
  const cases: [string | undefined, 'br' | 'gzip' | undefined][] = [
    ['br', 'br'],
    ['gzip', 'gzip'],
    [undefined, undefined],
    [CHROME_ACCEPT_ENCODING, 'br'],
    ['gzip, deflate', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['identity', undefined],
    ['deflate', undefined],
  ];
  for (const [acceptEncoding, encoding] of cases) {
    it(`Accept-Encoding ${acceptEncoding ?? '(none)'}: ${encoding ?? 'the plain file'}`, async () => {
      for (const path of [...scripts, workerScript, stylesheet]) {
        const res = await get(path, acceptEncoding ? { 'accept-encoding': acceptEncoding } : {});
        expect(res.status).toBe(200);
        const plain = built(path);
        const suffix = { br: '.br', gzip: '.gz', none: '' }[encoding ?? 'none'];
        expect(res.body.equals(built(path + suffix))).toBe(true);
        expect(res.headers['content-length']).toBe(String(res.body.length));
        expect(res.headers['content-encoding']).toBe(encoding);
        if (encoding === 'br') expect(brotliDecompressSync(res.body).equals(plain)).toBe(true);
        if (encoding === 'gzip') expect(gunzipSync(res.body).equals(plain)).toBe(true);
        expect(res.headers.vary).toBe('Accept-Encoding');
        expect(String(res.headers['content-type']).toLowerCase()).toBe(
          path.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
        );
        expect(res.headers['cache-control']).toBe(IMMUTABLE);
      }
    });
  }

  it('keeps the JavaScript a fan downloads within the budget, with no zod and no console in it', async () => {
    for (const encoding of ['br', 'gzip']) {
      let bytes = 0;
      for (const path of scripts) {
        const res = await get(path, { 'accept-encoding': encoding });
        expect(res.headers['content-encoding']).toBe(encoding);
        bytes += res.body.length;
      }
      expect(bytes).toBeLessThanOrEqual(JS_BUDGET_BYTES);
    }
    const meta = JSON.parse(readFileSync(`${WEB}bundle-meta.json`, 'utf8')) as {
      outputs: Record<string, { inputs: Record<string, unknown> }>;
    };
    const inputs = scripts.flatMap((path) => {
      const output = Object.entries(meta.outputs).find(([out]) => out.endsWith(path.slice(8)));
      return Object.keys(output![1].inputs);
    });
    expect(inputs).toContain('node_modules/socket.io-client/build/esm/index.js');
    expect(inputs.filter((i) => i.includes('node_modules/zod/'))).toEqual([]);
    // The operators' console is a chunk of its own, loaded only at /admin.
    expect(inputs.filter((i) => i.startsWith('web/src/admin/'))).toEqual([]);
    const consoleChunk = Object.entries(meta.outputs).find(
      ([out, o]) => out.endsWith('.js') && 'web/src/admin/console.ts' in o.inputs,
    );
    expect(consoleChunk).toBeDefined();
  });

  it('builds the join-challenge worker with a content hash, named by the page, out of the first load', async () => {
    expect(workerScript).toMatch(/^\/assets\/challenge-worker-[A-Z0-9]{8}\.js$/);
    expect(scripts).not.toContain(workerScript); // fetched only when a concert asks for a proof
    const names = scripts.filter((path) =>
      built(path)
        .toString()
        .includes(`"./${workerScript.slice(8)}"`),
    );
    expect(names).toHaveLength(1);
  });

  it('answers HEAD with the headers of the chosen file and no body', async () => {
    const res = await get(script, { 'accept-encoding': 'br' }, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-length']).toBe(String(built(`${script}.br`).length));
    expect(res.body.length).toBe(0);
  });

  it('revalidates source maps (their name follows the script, not their own contents)', async () => {
    const res = await get(`${script}.map`);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('keeps the Vary: Origin of CORS beside Accept-Encoding', async () => {
    const res = await rawRequest(`${corsServer.url}${script}`, {
      headers: { 'accept-encoding': 'br', origin: 'https://tickets.example.com' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    const vary = String(res.headers.vary).split(/\s*,\s*/);
    expect(vary.sort()).toEqual(['Accept-Encoding', 'Origin']);
  });
});

describe('what is not an asset', () => {
  const notFound = async (path: string, method = 'GET') => {
    const res = await get(path, { 'accept-encoding': 'br, gzip' }, method);
    expect(res.status).toBe(404);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.body.toString()).error.code).toBe('NOT_FOUND');
  };

  it('answers the API 404 envelope, never marked compressed', async () => {
    await notFound('/assets/app.js'); // the unhashed name of earlier builds
    await notFound('/assets/missing-ABCDEFGH.js');
    await notFound('/assets/');
    await notFound('/assets/%E0%A4%A'); // not valid percent-encoding
    await notFound(script, 'POST');
    await notFound(script, 'DELETE');
  });
});
