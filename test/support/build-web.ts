import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Browser tests serve the page from dist/web: bundle it before they start, so a fresh clone
// needs no `npm run build` first (and a stale bundle is never what gets tested).
export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, ['scripts/build-web.mjs'], { cwd: root, stdio: 'pipe' });
}
