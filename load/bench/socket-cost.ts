import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SourceAddresses } from '../lib/addresses.js';
import { LoadContext } from '../lib/context.js';
import { watchCpu } from '../lib/cpu.js';
import { parseArgv } from '../lib/params.js';
import { OpStats, round } from '../lib/report.js';
import { SocketPool } from '../lib/socket-pool.js';
import type { SocketItem } from '../lib/socket-worker.js';
import WebSocket from 'ws';
import { profileShares } from './cpu-profile.js';
import { freePort, killAllChildrenNow, startChild, stopChild } from './processes.js';

// What one waiting socket costs one instance, alone (issue 13's per-socket rows without the
// fixed costs of ticks, admissions and HTTP leaves that the bench's waiting room shares among its
// sockets). One instance, one line of N joined fans, paused (a paused line still sends its
// `queue:progress` frame every tick, SPEC §5), and per round:
//   1. JS heap + external after a full GC with 0 sockets, then with N open sockets: KB per socket;
//   2. the instance's CPU over a window with 0 sockets, then over the same window with N
//      sockets: the difference over the frames the sockets received is the CPU per socket-frame.
// Variants (`--dist a=path/to/main.js,b=dist/main.js`) run in alternating rounds, each round on a
// fresh instance, so a loaded machine hits each variant alike; the median round is reported.
//   node --import tsx load/bench/socket-cost.ts --sockets 4000 --seconds 15 --rounds 3
//        [--dist before=load/results/dist-before/main.js,after=dist/main.js]
//        [--cpu-prof after] [--heap-snapshot after] [--tick-ms 800]
// Run it through load/run.sh's file limit: `ulimit -n $(ulimit -Hn)` first for > 1,000 sockets.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PG_ADMIN = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = `bench-secret-${randomBytes(12).toString('hex')}`;
const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;
const KiB = 1024;

const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

async function adminSql(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

interface RoundResult {
  variant: string;
  round: number;
  sockets: number;
  heapPerSocketKiB: number;
  rssPerSocketKiB: number;
  idleCpuPercent: number;
  socketsCpuPercent: number;
  framesPerSocketPerSecond: number;
  cpuMicrosPerSocketFrame: number;
  /** Percent of a core per 1,000 sockets at the frames per second measured. */
  percentOfCorePer1000Sockets: number;
}

/**
 * Starts the V8 profiler of a process started with --inspect (Chrome DevTools protocol), so the
 * profile covers the measured window only (not boot, joins and handshakes); the returned function
 * stops it and answers the profile.
 */
async function startProfiler(port: number): Promise<() => Promise<unknown>> {
  const [target] = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const ws = new WebSocket(target!.webSocketDebuggerUrl);
  await new Promise((done, fail) => ws.once('open', done).once('error', fail));
  let next = 1;
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((done) => {
      const id = next++;
      const onMessage = (raw: Buffer) => {
        const msg = JSON.parse(raw.toString()) as { id?: number; result: Record<string, unknown> };
        if (msg.id !== id) return;
        ws.off('message', onMessage);
        done(msg.result);
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: 200 });
  await call('Profiler.start');
  return async () => {
    const { profile } = await call('Profiler.stop');
    ws.close();
    return profile;
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const { options } = parseArgv(process.argv.slice(2));
  const sockets = Number(options.sockets ?? 4000);
  const seconds = Number(options.seconds ?? 15);
  const rounds = Number(options.rounds ?? 3);
  const tickMs = String(options['tick-ms'] ?? 800);
  const variants = String(options.dist ?? 'current=dist/main.js')
    .split(',')
    .map((pair) => {
      const [name, path] = pair.split('=');
      return { name: name!, main: resolve(ROOT, path!) };
    });
  const profiled = new Set(String(options['cpu-prof'] ?? '').split(','));
  const snapshots = new Set(String(options['heap-snapshot'] ?? '').split(','));
  const id = randomBytes(4).toString('hex');
  const dir = join(ROOT, 'load/results', `socket-cost-${id}`);
  mkdirSync(dir, { recursive: true });
  const database = `lineup_bench_${id}`;
  const databaseUrl = new URL(`/${database}`, PG_ADMIN).toString();
  await adminSql(`create database "${database}"`);
  process.once('exit', killAllChildrenNow);
  const results: RoundResult[] = [];
  try {
    let fans: Awaited<ReturnType<LoadContext['fans']>> | undefined;
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? variants : [...variants].reverse();
      for (const variant of order) {
        const port = await freePort();
        const tag = `${variant.name}-${r + 1}`;
        const args = ['--max-old-space-size=4096', '--expose-gc'];
        const inspectPort = profiled.has(variant.name) ? await freePort() : 0;
        if (inspectPort) args.push(`--inspect=127.0.0.1:${inspectPort}`);
        if (snapshots.has(variant.name)) args.push('--heapsnapshot-signal=SIGUSR2');
        const child = await startChild({
          name: `instance ${tag}`,
          args: [...args, variant.main],
          env: {
            NODE_ENV: 'production',
            PORT: String(port),
            DATABASE_URL: databaseUrl,
            REDIS_URL,
            REDIS_KEY_PREFIX: `lineup-bench:${id}:${tag}:`,
            INSTANCE_ID: `socket-cost-${tag}`,
            AUTH_JWT_SECRET: SECRET,
            QUEUE_TOKEN_SECRET: `${SECRET}-queue`,
            ADMIN_TOKEN,
            SEED_ON_EMPTY: 'false',
            LOG_LEVEL: 'warn',
            ABANDON_SECONDS: '1800',
            QUEUE_TICK_MS: tickMs,
          },
          port,
          logPath: join(dir, `instance-${tag}.log`),
        });
        const pid = child.proc.pid!;
        // Heap snapshots are written to the child's working directory (this one).
        const snapshot = async (what: string) => {
          if (!snapshots.has(variant.name)) return;
          await ctx.stats(true);
          child.proc.kill('SIGUSR2');
          await sleep(8_000);
          log(`  heap snapshot (${what}) asked of pid ${pid}`);
        };
        const ctx = new LoadContext({
          urls: [child.url],
          adminToken: ADMIN_TOKEN,
          databaseUrl,
          jwtSecret: SECRET,
          sources: SourceAddresses.loopback(200),
          instancePids: [pid],
          log,
        });
        try {
          fans ??= await ctx.fans(sockets);
          const { concertId } = await ctx.admin.concert({ seats: 50, title: 'Socket cost' });
          await ctx.admin.policy(concertId, {
            maxWaiting: sockets + 10,
            paused: true,
            activeIdleSeconds: 1_800,
            activeMaxSeconds: 7_200,
          });
          const { joined } = await ctx.joinAll(concertId, fans, 128, new OpStats());
          const items: SocketItem[] = [];
          joined.forEach((j) => {
            if (j)
              items.push({
                url: child.url,
                token: j.queueToken,
                localAddress: ctx.target.sources?.next(),
              });
          });
          const groups = { instances: () => [pid] };
          await ctx.stats(true);
          const idleWatch = watchCpu(groups);
          await sleep(seconds * 1000);
          const idle = idleWatch();
          const [before] = await ctx.stats(true);
          await snapshot('0 sockets');
          const pool = new SocketPool(1);
          try {
            const conn = await pool.connect(items, {
              mode: 'lite',
              concurrency: 200,
              idleMs: 1_800_000,
              leaveOnAdmit: false,
            });
            await sleep(2_000);
            const [after] = await ctx.stats(true);
            await snapshot(`${conn.connected} sockets`);
            await pool.observe();
            const profiler = inspectPort ? await startProfiler(inspectPort) : undefined;
            const busyWatch = watchCpu(groups);
            await sleep(seconds * 1000);
            const busy = busyWatch();
            if (profiler) {
              const file = join(dir, `window-${tag}.cpuprofile`);
              writeFileSync(file, JSON.stringify(await profiler()));
              const { busyMs, shares } = profileShares(file);
              log(`  profile of the window: ${file} (${busyMs} ms busy)`);
              for (const s of shares) log(`    ${String(s.percent).padStart(5)} %  ${s.name}`);
            }
            const w = await pool.report();
            const open = conn.connected;
            const heapDelta =
              after!.memory.heapUsed +
              after!.memory.external -
              before!.memory.heapUsed -
              before!.memory.external;
            const extra = (busy.percentOfCore.instances! - idle.percentOfCore.instances!) / 100;
            const frames = w.progressFrames + w.statusFrames;
            const res: RoundResult = {
              variant: variant.name,
              round: r + 1,
              sockets: open,
              heapPerSocketKiB: round(heapDelta / open / KiB, 2),
              rssPerSocketKiB: round((after!.memory.rss - before!.memory.rss) / open / KiB, 2),
              idleCpuPercent: idle.percentOfCore.instances!,
              socketsCpuPercent: busy.percentOfCore.instances!,
              framesPerSocketPerSecond: round(frames / open / busy.seconds, 2),
              cpuMicrosPerSocketFrame: round((extra * busy.seconds * 1e6) / Math.max(1, frames), 2),
              percentOfCorePer1000Sockets: round((extra * 100 * 1000) / open, 2),
            };
            results.push(res);
            log(`  ${JSON.stringify(res)} (other CPU ${busy.other ?? '-'} % of a core)`);
          } finally {
            await pool.close().catch(() => undefined);
          }
        } finally {
          ctx.fetch.agent.destroy();
          await stopChild(child);
        }
      }
    }
  } finally {
    await adminSql(`drop database if exists "${database}" with (force)`).catch(() => undefined);
  }
  const summary = variants.map((v) => {
    const mine = results.filter((r) => r.variant === v.name);
    return {
      variant: v.name,
      main: v.main,
      rounds: mine.length,
      heapPerSocketKiB: median(mine.map((r) => r.heapPerSocketKiB)),
      heapPer1000SocketsMiB: round((median(mine.map((r) => r.heapPerSocketKiB)) * 1000) / 1024, 2),
      cpuMicrosPerSocketFrame: median(mine.map((r) => r.cpuMicrosPerSocketFrame)),
      percentOfCorePer1000Sockets: median(mine.map((r) => r.percentOfCorePer1000Sockets)),
      framesPerSocketPerSecond: median(mine.map((r) => r.framesPerSocketPerSecond)),
    };
  });
  console.log(JSON.stringify({ sockets, seconds, tickMs, summary, results }, null, 2));
  writeFileSync(
    join(dir, 'socket-cost.json'),
    JSON.stringify({ sockets, seconds, tickMs, summary, results }, null, 2),
  );
  log(`wrote ${join(dir, 'socket-cost.json')}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
