// Bundles the browser page (web/) with esbuild into dist/web/: index.html, assets/app.js and
// assets/styles.css (web/styles.css with the files it imports). The SDK is bundled from its
// sources (web/tsconfig.json maps it), so this needs no SDK build. Every file is written to a temporary name and renamed into place, so two
// builds running at once (a test run and `npm run build`) never leave a half-written file.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'dist', 'web');

function writeAtomic(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}

const result = await build({
  absWorkingDir: root,
  entryPoints: ['web/src/main.ts'],
  tsconfig: 'web/tsconfig.json',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  minify: true,
  sourcemap: 'linked',
  outfile: join(outDir, 'assets', 'app.js'),
  write: false,
  logLevel: 'warning',
});
const styles = await build({
  absWorkingDir: root,
  entryPoints: ['web/styles.css'],
  bundle: true,
  minify: true,
  target: ['chrome110', 'firefox110', 'safari16'],
  outfile: join(outDir, 'assets', 'styles.css'),
  write: false,
  logLevel: 'warning',
});
for (const file of [...result.outputFiles, ...styles.outputFiles])
  writeAtomic(file.path, file.contents);
writeAtomic(join(outDir, 'index.html'), readFileSync(join(root, 'web', 'index.html')));
process.stdout.write(`web page built into ${outDir}\n`);
