// Join challenge costs (issue 15), a benchmark, not a test: `npx tsx load/bench/challenge-cost.ts`.
// - the fan's side: time to solve at 16, 18 and 20 bits in Chromium (the SDK's solver, bundled
//   with esbuild and run in a page, as the page's worker runs it), over several nonces each;
// - the server's side: CPU per verification (MAC check, expiry, one SHA-256), in this process.
import { randomBytes } from 'node:crypto';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { JoinChallenges } from '../../src/modules/queue/join-challenges.crypto.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const NONCES = Number(process.env.NONCES ?? 8);

const bundle = await build({
  stdin: {
    contents: `import { solveRange } from './client-sdk/src/challenge.ts'; globalThis.solveRange = solveRange;`,
    resolveDir: new URL('../../', import.meta.url).pathname,
    loader: 'ts',
  },
  bundle: true,
  format: 'iife',
  write: false,
  minify: true,
});
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const page = await browser.newPage();
await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
for (const bits of [16, 18, 20]) {
  const times: number[] = [];
  const hashes: number[] = [];
  for (let i = 0; i < NONCES; i++) {
    const nonce = randomBytes(24).toString('hex');
    const r = await page.evaluate(
      ({ nonce, bits }) => {
        const solve = (
          globalThis as unknown as {
            solveRange: (n: string, b: number, s: number, c: number) => string | null;
          }
        ).solveRange;
        const t0 = performance.now();
        for (let start = 0; ; start += 50_000) {
          const found = solve(nonce, bits, start, 50_000);
          if (found !== null) return { ms: performance.now() - t0, tried: parseInt(found, 36) + 1 };
        }
      },
      { nonce, bits },
    );
    times.push(r.ms);
    hashes.push(r.tried);
  }
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const rate = hashes.reduce((a, b) => a + b, 0) / (times.reduce((a, b) => a + b, 0) / 1000);
  const sorted = [...times].sort((a, b) => a - b);
  console.log(
    `chromium ${bits} bits: mean ${(mean / 1000).toFixed(2)} s, median ${(sorted[sorted.length >> 1]! / 1000).toFixed(2)} s, max ${(sorted[sorted.length - 1]! / 1000).toFixed(2)} s over ${NONCES} nonces; ${(rate / 1e6).toFixed(2)} M hashes/s (expected 2^${bits} = ${2 ** bits} hashes)`,
  );
}
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
