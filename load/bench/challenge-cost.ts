// Join challenge costs (issue 15), a benchmark, not a test: `npx tsx load/bench/challenge-cost.ts`.
// - the fan's side: time to solve at 16, 18 and 20 bits in Chromium, over NONCES nonces each, the
//   way the page solves: web/src/challenge.ts's `solveInPage` starting the built worker
//   (dist/web/assets/challenge-worker-<hash>.js, the SDK's solveRange), with its progress reports;
//   then, on the same nonces, the main-thread fallback (the SDK's chunked `solveChallenge`). For
//   each, the longest the page's main thread went without running a 10 ms timer while solving;
// - the server's side: CPU per verification (MAC check, expiry, one SHA-256), in this process.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { JoinChallenges } from '../../src/modules/queue/join-challenges.crypto.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const NONCES = Number(process.env.NONCES ?? 8);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** A made-up origin the bench answers itself (page.route): a worker needs a same-origin script. */
const ORIGIN = 'http://challenge-bench.invalid';

// The page's worker exactly as built for the page.
execFileSync(process.execPath, ['scripts/build-web.mjs'], { cwd: ROOT, stdio: 'ignore' });
const meta = JSON.parse(readFileSync(`${ROOT}dist/web/bundle-meta.json`, 'utf8')) as {
  outputs: Record<string, { entryPoint?: string }>;
};
const [workerPath] = Object.entries(meta.outputs).find(
  ([out, o]) => o.entryPoint === 'web/src/challenge-worker.ts' && out.endsWith('.js'),
)!;
const workerScript = readFileSync(`${ROOT}${workerPath}`);
const solvers = await build({
  stdin: {
    contents: `import { solveInPage } from './web/src/challenge.ts';
      import { solveChallenge } from './client-sdk/src/challenge.ts';
      globalThis.solvers = { solveInPage, solveChallenge };`,
    resolveDir: ROOT,
    loader: 'ts',
  },
  bundle: true,
  format: 'esm',
  write: false,
  minify: true,
  tsconfig: `${ROOT}web/tsconfig.json`,
  define: { CHALLENGE_WORKER: JSON.stringify('./challenge-worker.js') },
});

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const page = await browser.newPage();
await page.route(`${ORIGIN}/**`, (route) => {
  const path = new URL(route.request().url()).pathname;
  if (path === '/challenge-worker.js')
    return route.fulfill({ contentType: 'text/javascript', body: workerScript });
  if (path === '/solvers.js')
    return route.fulfill({ contentType: 'text/javascript', body: solvers.outputFiles[0]!.text });
  return route.fulfill({
    contentType: 'text/html',
    body: '<!doctype html><script type="module" src="/solvers.js"></script>',
  });
});
await page.goto(`${ORIGIN}/`);
await page.waitForFunction(() => 'solvers' in globalThis);
// tsx names the functions inside page.evaluate's callback with a helper the page lacks.
await page.evaluate('globalThis.__name = (f) => f');
let workersStarted = 0;
page.on('worker', () => workersStarted++);

interface Solve {
  ms: number;
  tried: number;
  reports: number;
  stallMs: number;
  /** CPU time of every Chromium process (the worker is a thread of the page's renderer). */
  cpuMs: number;
}

/**
 * CPU time (user + system) of this process's descendants, from /proc (Linux), in ms: Chromium's
 * processes (and esbuild's idle service).
 */
function chromiumCpuMs(): number {
  const stats = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((pid) => {
      try {
        // After the command's closing parenthesis: state ppid … utime(14) stime(15), 1-based.
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return { pid: Number(pid), ppid: Number(fields[1]), ticks: +fields[11]! + +fields[12]! };
      } catch {
        return undefined; // gone meanwhile
      }
    })
    .filter((s) => s !== undefined);
  const tree = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const s of stats)
      if (!tree.has(s.pid) && tree.has(s.ppid)) grew = Boolean(tree.add(s.pid));
  }
  const ticks = stats
    .filter((s) => tree.has(s.pid) && s.pid !== process.pid)
    .reduce((sum, s) => sum + s.ticks, 0);
  return (ticks * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
async function solveIn(path: 'worker' | 'main', nonce: string, bits: number): Promise<Solve> {
  const cpu0 = chromiumCpuMs();
  const run = await page.evaluate(
    async ({ path, nonce, bits }) => {
      type SolveFn = (
        n: string,
        b: number,
        o: { onProgress?: (t: number) => void; chunk?: number },
      ) => Promise<string>;
      const { solveInPage, solveChallenge } = (
        globalThis as unknown as { solvers: { solveInPage: SolveFn; solveChallenge: SolveFn } }
      ).solvers;
      let last = performance.now();
      let stallMs = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        stallMs = Math.max(stallMs, now - last);
        last = now;
      }, 10);
      let reports = 0;
      const onProgress = () => void reports++;
      const t0 = performance.now();
      const solution =
        path === 'worker'
          ? await solveInPage(nonce, bits, { onProgress })
          : await solveChallenge(nonce, bits, { onProgress, chunk: 8_192 });
      const ms = performance.now() - t0;
      clearInterval(timer);
      stallMs = Math.max(stallMs, performance.now() - last); // the last stretch counts too
      return { ms, tried: parseInt(solution, 36) + 1, reports, stallMs };
    },
    { path, nonce, bits },
  );
  return { ...run, cpuMs: chromiumCpuMs() - cpu0 };
}

for (const bits of [16, 18, 20]) {
  const nonces = Array.from({ length: NONCES }, () => randomBytes(24).toString('hex'));
  for (const path of ['worker', 'main'] as const) {
    const runs: Solve[] = [];
    for (const nonce of nonces) runs.push(await solveIn(path, nonce, bits));
    const times = runs.map((r) => r.ms).sort((a, b) => a - b);
    const total = times.reduce((a, b) => a + b, 0);
    const tried = runs.reduce((a, r) => a + r.tried, 0);
    const cpuPerHashUs = (runs.reduce((a, r) => a + r.cpuMs, 0) * 1000) / tried;
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(
      `chromium ${bits} bits, ${path === 'worker' ? 'page worker' : 'main-thread fallback'}: mean ${s(total / NONCES)}, median ${s(times[NONCES >> 1]!)}, max ${s(times.at(-1)!)} over ${NONCES} nonces; ${(tried / (total / 1000) / 1e6).toFixed(3)} M hashes/s; Chromium CPU ${cpuPerHashUs.toFixed(2)} µs per hash (${s((cpuPerHashUs * 2 ** bits) / 1000)} of one core for 2^${bits}); longest main-thread stall ${Math.max(...runs.map((r) => r.stallMs)).toFixed(0)} ms; ${runs.reduce((a, r) => a + r.reports, 0)} progress reports (expected 2^${bits} = ${2 ** bits} hashes)`,
    );
  }
}
console.log(`workers started: ${workersStarted} (one per worker solve)`);
await browser.close();

// Server: CPU time per verification.
const challenges = new JoinChallenges('x'.repeat(32), 300);
const issued = Array.from({ length: 1000 }, () => challenges.issue(1, 1).nonce);
const N = 200_000;
const cpu0 = process.cpuUsage();
let sink = 0;
for (let i = 0; i < N; i++) sink += challenges.prove(1, 1, issued[i % 1000]!, String(i)).bits;
const cpu = process.cpuUsage(cpu0);
console.log(
  `server verification: ${(((cpu.user + cpu.system) / N) * 1000).toFixed(0)} ns CPU each (${N} proofs; ${sink > -1 ? 'ok' : ''})`,
);
