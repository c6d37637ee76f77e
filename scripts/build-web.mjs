// Bundles the browser page (web/) with esbuild into dist/web/:
//   index.html                      the page, pointing at the assets below (served revalidated)
//   assets/app-<hash>.js (+ .map)   web/src/main.ts with the SDK, bundled from its sources
//   assets/challenge-worker-<hash>.js  the join challenge's Web Worker (web/src/challenge-worker.ts,
//                                   the SDK's solver), started by the page only when a concert asks
//                                   for a proof of work; its name is compiled into the app script
//   assets/chunk-<hash>.js          code split off: the operators' console (loaded only at /admin)
//                                   and modules it shares with the fans' page (linked as
//                                   modulepreload, so a fan's browser fetches them at once)
//   assets/styles-<hash>.css        web/styles.css with the files it imports
//   assets/*.{js,css}.{br,gz}       each precompressed here (node:zlib, best levels), once per build
//                                   rather than by a server per request
//   bundle-meta.json                esbuild's metafile: what went into each asset (not served)
// Names carry a hash of their contents, so servers can send `Cache-Control: immutable` and a reload
// of an unchanged page asks for no asset at all. Prints what the page weighs, compressed, beside
// its budget (issue 19). Every file is written to a temporary name and renamed into place, and
// index.html last, so two builds running at once (a test run and `npm run build`) never leave a
// half-written file or a page pointing at an asset not yet written.
import { build } from 'esbuild';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Compressed JavaScript a fan downloads for the page (issue 19), in bytes (KB = 1,000 bytes). */
export const JS_BUDGET_BYTES = 60_000;
/** Assets of earlier builds stay this long: a page loaded just before a rebuild still finds them. */
const KEEP_STALE_MS = 60 * 60 * 1000;

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'dist', 'web');
const assetsDir = join(outDir, 'assets');
const targets = ['es2022', 'chrome110', 'firefox110', 'safari16'];

function writeAtomic(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}

function precompress(contents) {
  return {
    br: brotliCompressSync(contents, {
      params: {
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: contents.length,
      },
    }),
    gz: gzipSync(contents, { level: constants.Z_BEST_COMPRESSION }),
  };
}

const common = {
  absWorkingDir: root,
  bundle: true,
  minify: true,
  target: targets,
  outdir: assetsDir,
  entryNames: '[name]-[hash]',
  metafile: true,
  write: false,
  logLevel: 'warning',
};
const [worker, styles] = await Promise.all([
  // The join challenge's Web Worker: a classic script of its own (every browser the page targets
  // runs those), fetched only when a concert asks for a proof of work.
  build({
    ...common,
    entryPoints: { 'challenge-worker': 'web/src/challenge-worker.ts' },
    tsconfig: 'web/tsconfig.json',
    format: 'iife',
    platform: 'browser',
    sourcemap: 'linked',
  }),
  build({ ...common, entryPoints: { styles: 'web/styles.css' } }),
]);
const workerScript = outputOf(worker, '.js');
const script = await build({
  ...common,
  entryPoints: { app: 'web/src/main.ts' },
  tsconfig: 'web/tsconfig.json',
  format: 'esm',
  // The console is a dynamic import(): its code stays out of what a fan downloads.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  platform: 'browser',
  sourcemap: 'linked',
  // The page starts the worker by its hashed name (next to the page's own scripts), so the app's
  // hash changes with the worker's and a cached page never asks for a worker that is gone.
  define: { CHALLENGE_WORKER: JSON.stringify(`./${workerScript}`) },
});

const written = new Set();
const report = [];
for (const file of [...script.outputFiles, ...worker.outputFiles, ...styles.outputFiles]) {
  writeAtomic(file.path, file.contents);
  written.add(basename(file.path));
  if (file.path.endsWith('.map')) continue; // only developer tools fetch maps
  const { br, gz } = precompress(file.contents);
  writeAtomic(`${file.path}.br`, br);
  writeAtomic(`${file.path}.gz`, gz);
  written.add(`${basename(file.path)}.br`).add(`${basename(file.path)}.gz`);
  report.push({
    name: basename(file.path),
    raw: file.contents.length,
    br: br.length,
    gz: gz.length,
  });
}

/** The hashed name of an entry point's output (`app` -> `app-XXXXXXXX.js`). */
function outputOf(result, ext, entryPoint) {
  const [path] = Object.entries(result.metafile.outputs).find(
    ([out, meta]) =>
      meta.entryPoint && (!entryPoint || meta.entryPoint === entryPoint) && out.endsWith(ext),
  );
  return basename(path);
}
/** Chunks an output imports statically (what loads with it), transitively. */
function staticImportsOf(result, name, seen = new Set()) {
  const [, meta] = Object.entries(result.metafile.outputs).find(([out]) => basename(out) === name);
  for (const imported of meta.imports) {
    const chunk = basename(imported.path);
    if (imported.kind !== 'import-statement' || seen.has(chunk)) continue;
    seen.add(chunk);
    staticImportsOf(result, chunk, seen);
  }
  return seen;
}
const appScript = outputOf(script, '.js', 'web/src/main.ts');
/** What a fan's browser loads: the entry and the chunks it imports statically. */
const fanScripts = new Set([appScript, ...staticImportsOf(script, appScript)]);
let html = readFileSync(join(root, 'web', 'index.html'), 'utf8');
for (const [plain, hashed] of [
  ['assets/app.js', `assets/${appScript}`],
  ['assets/styles.css', `assets/${outputOf(styles, '.css')}`],
]) {
  if (!html.includes(`"${plain}"`)) throw new Error(`web/index.html no longer links "${plain}"`);
  html = html.replace(`"${plain}"`, `"${hashed}"`);
}
const preloads = [...fanScripts]
  .filter((name) => name !== appScript)
  .map((name) => `<link rel="modulepreload" href="assets/${name}" />`);
html = html.replace(`<script type="module" src="assets/${appScript}"></script>`, (tag) =>
  [...preloads, tag].join('\n    '),
);
const meta = {
  inputs: { ...script.metafile.inputs, ...worker.metafile.inputs, ...styles.metafile.inputs },
  outputs: { ...script.metafile.outputs, ...worker.metafile.outputs, ...styles.metafile.outputs },
};
writeAtomic(join(outDir, 'bundle-meta.json'), JSON.stringify(meta));
writeAtomic(join(outDir, 'index.html'), html);

// Unhashed names (from builds before hashing) would be served as immutable: they go at once; a
// temporary file may be another build's, half-written: it goes only when old.
const HASHED = /-[A-Z0-9]{8}\.\w+(\.(map|br|gz))?$/;
for (const name of readdirSync(assetsDir)) {
  if (written.has(name)) continue;
  const path = join(assetsDir, name);
  const old = Date.now() - statSync(path).mtimeMs > KEEP_STALE_MS;
  if (old || (!HASHED.test(name) && !name.endsWith('.tmp'))) unlinkSync(path);
}

const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;
const lines = [`web page built into ${relative(root, outDir)}/`];
for (const r of report)
  lines.push(`  assets/${r.name}: ${kb(r.raw)} minified, ${kb(r.br)} br, ${kb(r.gz)} gzip`);
const js = report.filter((r) => fanScripts.has(r.name));
const br = js.reduce((sum, r) => sum + r.br, 0);
const gz = js.reduce((sum, r) => sum + r.gz, 0);
const verdict = Math.max(br, gz) <= JS_BUDGET_BYTES ? 'within' : 'OVER';
lines.push(
  `  JavaScript a fan downloads: ${kb(br)} br / ${kb(gz)} gzip (target <= ${kb(JS_BUDGET_BYTES)}: ${verdict})`,
  `  in it, minified: ${originsOf(script.metafile)}`,
);
const solver = report.find((r) => r.name === workerScript);
lines.push(
  `  join-challenge worker (fetched only when a concert asks for a proof): ${kb(solver.br)} br / ${kb(solver.gz)} gzip`,
);
process.stdout.write(lines.join('\n') + '\n');

/** Minified bytes of the script by where they come from: our folders, or an npm package. */
function originsOf(metafile) {
  const sums = new Map();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
      const origin = pkg ?? input.split('/').slice(0, 2).join('/');
      sums.set(origin, (sums.get(origin) ?? 0) + bytesInOutput);
    }
  }
  return [...sums]
    .sort((a, b) => b[1] - a[1])
    .map(([origin, bytes]) => `${origin} ${kb(bytes)}`)
    .join(', ');
}
