import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Router, type NextFunction, type Request, type Response } from 'express';
import expressStaticGzip from 'express-static-gzip';

/**
 * Where the built page is (scripts/build-web.mjs writes dist/web/): beside the compiled server
 * (dist/modules/web -> dist/web), or, when the server runs from its sources (tests, tsx), the
 * repository's dist/web. Undefined when the page has not been built.
 */
export function webRoot(): string | undefined {
  for (const candidate of ['../../web/', '../../../dist/web/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  return undefined;
}

const LANGS = ['ko', 'en'] as const;

/**
 * The browser page: `/` and `/admin` (index.html, with the language negotiated from Accept-Language on
 * <html>; revalidated on every load, ETag and 304 from express) and `/assets/*` (content-hashed,
 * precompressed at build time, cached immutably). Anything else falls through to the API and its
 * 404 envelope.
 */
export function webRoutes(root: string | undefined = webRoot()): Router {
  const router = Router();
  if (!root) return router;
  let html: string | undefined;
  // `/admin` is the operators' console: the same page, which loads the console's chunk there.
  // `/admin/` would resolve the page's relative asset links under /admin/: send it to `/admin`.
  router.get('/admin/', (req, res, next) => {
    if (!req.originalUrl.split('?')[0]!.endsWith('/')) return next();
    res.redirect(301, '/admin');
  });
  router.get(['/', '/admin'], (req, res) => {
    html ??= readFileSync(`${root}index.html`, 'utf8');
    // No Accept-Language: the first (Korean); only other languages: English.
    const lang = req.acceptsLanguages(...LANGS) || 'en';
    res
      .set({ 'Cache-Control': 'no-cache', Vary: 'Accept-Language' })
      .type('html')
      .send(
        html.replace('<html lang="en">', `<html lang="${lang}" data-accept-language="${lang}">`),
      );
  });
  router.use('/assets', precompressedAssets(`${root}assets`));
  return router;
}

/**
 * express-static-gzip picks `<file>.br` / `<file>.gz` by Accept-Encoding and sets Content-Encoding
 * and Vary; serve-static underneath sends it with the caching headers. Wrapped for what the
 * library leaves to its caller: it sets Content-Encoding before serve-static decides to serve, so
 * a request that falls through (not GET/HEAD, a file gone since the directory was scanned) would
 * reach the API's 404 envelope still marked compressed; it replaces Vary (losing cors' Origin);
 * and a path that is not valid URI encoding gets its plain-text 400 instead of our envelope.
 */
function precompressedAssets(dir: string) {
  const serve = expressStaticGzip(dir, {
    enableBrotli: true,
    orderPreference: ['br', 'gzip'],
    index: false,
    serveStatic: {
      index: false,
      fallthrough: true,
      redirect: false,
      // Hashed names change with their contents: public, max-age=31536000, immutable.
      maxAge: '365d',
      immutable: true,
      setHeaders: (res, path) => {
        // Maps are fetched by developer tools only; their name follows the script's hash, not
        // their own contents.
        if (path.endsWith('.map')) res.setHeader('Cache-Control', 'no-cache');
      },
    },
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !decodable(req.path)) return next();
    const varyBefore = res.getHeader('Vary'); // e.g. Origin, from cors
    serve(req, res, (err?: unknown) => {
      res.removeHeader('Content-Encoding');
      if (varyBefore === undefined) res.removeHeader('Vary');
      else res.setHeader('Vary', varyBefore);
      next(err);
    });
    // The library replaced Vary synchronously; serve-static sends the headers only after its
    // (asynchronous) stat, so adding back what was there still reaches the answer.
    if (varyBefore !== undefined && !res.headersSent) res.vary(String(varyBefore));
  };
}

function decodable(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}
