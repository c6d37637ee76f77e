import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Browser tests serve the page from dist/web: bundle it before they start, so a fresh clone
// needs no `npm run build` first (and a stale bundle is never what gets tested).
export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  if (!existsSync(`${root}scripts/build-web.mjs`)) return; // no page in this checkout: nothing to bundle
  execFileSync(process.execPath, ['scripts/build-web.mjs'], { cwd: root, stdio: 'pipe' });
}
