import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

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
 * The browser page: `/` (index.html, with the language negotiated from Accept-Language on
 * <html>) and `/assets/*`. Anything else falls through to the API and its 404 envelope.
 */
export function webRoutes(root: string | undefined = webRoot()): Router {
  const router = Router();
  if (!root) return router;
  let html: string | undefined;
  router.get('/', (req, res) => {
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
  router.use(
    '/assets',
    express.static(`${root}assets`, { index: false, fallthrough: true, setHeaders: noCache }),
  );
  return router;
}

/** Asset names carry no hash: browsers revalidate (ETag) instead of caching blindly. */
function noCache(res: { setHeader(name: string, value: string): void }): void {
  res.setHeader('Cache-Control', 'no-cache');
}
