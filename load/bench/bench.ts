import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { SourceAddresses } from '../lib/addresses.js';
import { LoadContext } from '../lib/context.js';
import { parseArgv } from '../lib/params.js';
import { formatResult, machineInfo, round, table, type ScenarioResult } from '../lib/report.js';
import { bookingMix } from '../scenarios/booking-mix.js';
import { bookingSteps, bookingStepsDefaults } from '../scenarios/booking-steps.js';
import { joinStormBaseline, joinStormLine } from '../scenarios/join-storm.js';
import { seatStorm } from '../scenarios/seat-storm.js';
import {
  bestAvailableStorm,
  bestAvailableStormDefaults,
} from '../scenarios/best-available-storm.js';
import { statusPollStorm } from '../scenarios/status-poll.js';
import { waitingRoom, type WaitingRoomStep } from '../scenarios/waiting-room.js';
import { profileShares } from './cpu-profile.js';
import { pageWeight } from './page-weight.js';
import {
  freePort,
  killAllChildrenNow,
  startChild,
  stopAllChildren,
  stopChild,
  type Child,
} from './processes.js';
import { SIZES, sizeProblem, type BenchSize } from './sizes.js';
import { sqlHoldBaseline } from './sql-baseline.js';
import { renderScalingSvg } from './svg.js';
import { verdicts, type Verdict } from './targets.js';

// `npm run bench` (via load/run.sh --bench): boots 2 Lineup instances (dist/main.js) on the local
// PostgreSQL and Redis with a fresh database and key prefix, measures the baselines and the four
// scenarios in the same run, prints every figure beside its baseline and target, writes JSON
// (and the scaling plot), and removes its database, keys and processes however it ends.
//   --size smoke|small|default|large   --only page,join,waiting,seat,booking[,best-available]   --instances 2 (large: 3)
//   --svg <path> (default docs/bench/waiting-room-<size>.svg for default/large, else the results dir)
//   --profile[=join,poll,seat,booking] (the scenario on one more instance under --cpu-prof: where its CPU goes)
//   --waiting-steps 10000,30000,50000   --observe-seconds 15   (override the size's waiting room)
//   --tick-ms 800 (the instances' QUEUE_TICK_MS)
//   --booking-warm (with booking: the mix once more on the warm instances, as booking-mix-warm)
//   --keep (leave the database and keys for inspection)   --no-build

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PG_ADMIN = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = `bench-secret-${randomBytes(12).toString('hex')}`;
const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;
/**
 * Connections of the SQL hold baseline: one instance's PostgreSQL pool (src/infra/db/orm.ts).
 * Not both instances' 40: PostgreSQL allows 100 connections here and the instances' own pools
 * and other test runs share them; on 2 cores 20 connections already saturate the UPDATE loop.
 */
const SQL_BASELINE_CONNECTIONS = 20;
/** First loads of the page measured (issue 19's figure is per 1,000; every size runs it). */
const PAGE_LOADS = 1_000;

const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function buildIfNeeded(force: boolean): void {
  const main = join(ROOT, 'dist/main.js');
  const stale =
    !existsSync(main) ||
    statSync(main).mtimeMs <
      Math.max(newestMtime(join(ROOT, 'src')), newestMtime(join(ROOT, 'client-sdk/src')));
  if (!stale && !force) return;
  log('building (npm run build)');
  const r = spawnSync('npm', ['run', 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error('npm run build failed');
}

async function adminSql(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

async function deleteKeys(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) deleted += await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

interface Run {
  id: string;
  database: string;
  databaseUrl: string;
  prefix: string;
  dir: string;
}

/**
 * The leader's tick (--tick-ms). 800 ms, a little under the 1 s push interval: then each waiting
 * fan's position push on a tick also serves as its heartbeat, and it hears about once per tick
 * rather than twice (see the gateway's pushDue). `--tick-ms 1000` measures SPEC's default.
 */
let tickMs = 800;

function instanceEnv(run: Run, port: number, i: number, extra: Record<string, string> = {}) {
  return {
    NODE_ENV: 'production',
    PORT: String(port),
    DATABASE_URL: run.databaseUrl,
    REDIS_URL,
    REDIS_KEY_PREFIX: run.prefix,
    INSTANCE_ID: `bench-${i}`,
    AUTH_JWT_SECRET: SECRET,
    QUEUE_TOKEN_SECRET: `${SECRET}-queue`,
    ADMIN_TOKEN,
    SEED_ON_EMPTY: 'false',
    LOG_LEVEL: 'warn',
    // The waiting room opens its sockets in steps, minutes after the join storm built the line:
    // fans whose socket comes in a later step must not be dropped as abandoned meanwhile.
    ABANDON_SECONDS: '1800',
    QUEUE_TICK_MS: String(tickMs),
    ...extra,
  };
}

async function startInstances(run: Run, count: number): Promise<Child[]> {
  const out: Child[] = [];
  // One after the other: the first creates and migrates the database.
  for (let i = 1; i <= count; i++) {
    const port = await freePort();
    out.push(
      await startChild({
        name: `instance ${i}`,
        args: ['--max-old-space-size=4096', '--expose-gc', join(ROOT, 'dist/main.js')],
        env: instanceEnv(run, port, i),
        port,
        logPath: join(run.dir, `instance-${i}.log`),
      }),
    );
  }
  return out;
}

async function startBaselines(run: Run, count: number): Promise<Child[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const port = await freePort();
      return startChild({
        name: `baseline ${i + 1}`,
        args: ['--import', 'tsx', join(ROOT, 'load/bench/baseline-server.ts')],
        env: { PORT: String(port), REDIS_URL, REDIS_KEY_PREFIX: `${run.prefix}baseline:` },
        port,
        logPath: join(run.dir, `baseline-${i + 1}.log`),
      });
    }),
  );
}

function context(urls: string[], run: Run, pids: number[]): LoadContext {
  return new LoadContext({
    urls,
    adminToken: ADMIN_TOKEN,
    databaseUrl: run.databaseUrl,
    jwtSecret: SECRET,
    sources: SourceAddresses.loopback(200),
    instancePids: pids,
    log,
  });
}

export interface ProfileResult {
  scenario: string;
  /** The scenario's own throughput figure while profiled (one instance). */
  throughput: unknown;
  file: string;
  busyMs: number;
  shares: { name: string; percent: number }[];
}

/**
 * A scenario against one extra instance under --cpu-prof (boot included, so runs are sized to
 * make boot a small share): where the instance's CPU went, by package or app module.
 */
async function profileScenario(
  run: Run,
  size: BenchSize,
  scenario: 'join' | 'poll' | 'seat' | 'booking',
): Promise<ProfileResult> {
  const port = await freePort();
  const dir = join(run.dir, `profile-${scenario}`);
  const child = await startChild({
    name: `profiled instance (${scenario})`,
    args: [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      '--max-old-space-size=4096',
      '--expose-gc',
      join(ROOT, 'dist/main.js'),
    ],
    env: instanceEnv(run, port, 9),
    port,
    logPath: join(run.dir, `instance-profiled-${scenario}.log`),
  });
  const ctx = context([child.url], run, [child.proc.pid!]);
  let throughput: unknown;
  if (scenario === 'join') {
    const { result } = await joinStormLine(ctx, {
      ...size.join,
      fans: Math.min(size.join.fans, 10_000),
    });
    throughput = result.figures.joinsPerSecond;
  } else if (scenario === 'poll') {
    // A short line, then the polls: they are most of the profile (boot and joins the rest).
    const { joined } = await joinStormLine(ctx, {
      ...size.join,
      fans: Math.min(size.join.fans, 2_000),
    });
    const tokens = joined.flatMap((j) => (j ? [j.queueToken] : []));
    const result = await statusPollStorm(
      ctx,
      { polls: Math.min(size.join.fans * 2, 20_000), concurrency: size.join.concurrency },
      tokens,
    );
    throughput = result.figures.pollsPerSecond;
  } else if (scenario === 'seat') {
    const result = await seatStorm(ctx, size.seat);
    throughput = result.figures.holdsPerSecond;
  } else {
    const fans = Math.min(size.booking.fans, 2_000);
    const result = await bookingMix(ctx, {
      ...size.booking,
      fans,
      concurrency: Math.min(size.booking.concurrency, 200),
      schedules: Math.max(2, Math.ceil((fans * 2.2) / size.booking.seatsPerSchedule)),
    });
    throughput = result.figures.paidPerSecond;
  }
  ctx.fetch.agent.destroy();
  await stopChild(child);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no CPU profile written');
  return { scenario, throughput, file: join(dir, file), ...profileShares(join(dir, file)) };
}

async function main(): Promise<void> {
  const { options } = parseArgv(process.argv.slice(2));
  const sizeName = String(options.size ?? 'default');
  const preset = SIZES[sizeName];
  if (!preset) throw new Error(`--size must be one of ${Object.keys(SIZES).join(', ')}`);
  const size = structuredClone(preset);
  // --waiting-steps 10000,30000,50000 (the join storm grows to the largest step: it builds the line)
  if (typeof options['waiting-steps'] === 'string') {
    const steps = options['waiting-steps'].split(',').map(Number);
    size.waiting.steps = steps.join(',');
    size.waiting.sockets = Math.max(...steps);
    size.join.fans = Math.max(size.join.fans, size.waiting.sockets);
  }
  if (options['observe-seconds']) size.waiting.observeSeconds = Number(options['observe-seconds']);
  if (options['tick-ms']) tickMs = Number(options['tick-ms']);
  const only = new Set(String(options.only ?? 'page,join,waiting,seat,booking').split(','));
  const instances = Number(options.instances ?? size.instances ?? 2);
  // Before anything starts: a waiting room that cannot open its sockets would fail minutes in.
  const problem = only.has('waiting') ? sizeProblem(size, instances) : null;
  if (problem) throw new Error(`size ${sizeName}: ${problem}`);
  const id = randomBytes(4).toString('hex');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const run: Run = {
    id,
    database: `lineup_bench_${id}`,
    databaseUrl: new URL(`/lineup_bench_${id}`, PG_ADMIN).toString(),
    prefix: `lineup-bench:${id}:`,
    dir: join(ROOT, 'load/results', `bench-${stamp}-${sizeName}`),
  };
  mkdirSync(run.dir, { recursive: true });
  const startedAt = Date.now();
  const load = loadavg();

  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await stopAllChildren().catch(() => killAllChildrenNow());
    if (options.keep) {
      log(`kept database ${run.database} and keys ${run.prefix}*`);
      return;
    }
    await adminSql(`drop database if exists "${run.database}" with (force)`).catch((err: Error) =>
      log(`could not drop ${run.database}: ${err.message}`),
    );
    const keys = await deleteKeys(run.prefix).catch(() => -1);
    log(`cleaned up: database ${run.database} dropped, ${keys} Redis keys deleted`);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  process.once('exit', killAllChildrenNow);

  const results: Record<string, ScenarioResult> = {};
  const baselines: Record<string, unknown> = {};
  const profiles: ProfileResult[] = [];
  try {
    if (!options['no-build']) buildIfNeeded(Boolean(options.build));
    await adminSql(`create database "${run.database}"`);
    log(
      `size ${sizeName}: database ${run.database}, key prefix ${run.prefix}, results in ${run.dir}`,
    );
    const apps = await startInstances(run, instances);
    const ctx = context(
      apps.map((a) => a.url),
      run,
      apps.map((a) => a.proc.pid!),
    );
    log(`${instances} instances up: ${apps.map((a) => a.url).join(' ')}`);
    if (only.has('page')) {
      log(`page weight: ${PAGE_LOADS} first loads and a reload, as Chromium asks`);
      results['page-weight'] = await pageWeight(
        apps.map((a) => a.url),
        { loads: PAGE_LOADS, concurrency: 50 },
      );
      console.log(formatResult(results['page-weight']));
    }

    let line: Awaited<ReturnType<typeof joinStormLine>> | undefined;
    if (only.has('join') || only.has('waiting')) {
      const fans = await ctx.fans(size.join.fans + size.join.warmup);
      const rounds = only.has('join') ? size.joinRounds : 1;
      const base = only.has('join') ? await startBaselines(run, instances) : [];
      const bctx = context(
        base.map((b) => b.url),
        run,
        base.map((b) => b.proc.pid!),
      );
      // Rounds alternate which side goes first, and each round's pair runs back to back, so a
      // neighbour's load on this shared machine hits both sides of a ratio alike; the median
      // round is reported.
      const pairs: { baseline: ScenarioResult; lineup: ScenarioResult; ratio: number }[] = [];
      for (let r = 0; r < rounds; r++) {
        const p = { ...size.join, warmup: r === 0 ? size.join.warmup : 0 };
        let baseline: ScenarioResult | undefined;
        const runBaseline = async () => {
          log(
            `join baseline (round ${r + 1}/${rounds}): bare express + one Redis round trip x${instances}`,
          );
          baseline = await bctx.scenario(() => joinStormBaseline(bctx, p, fans));
        };
        if (only.has('join') && r % 2 === 0) await runBaseline();
        log(`join storm (round ${r + 1}/${rounds}): ${size.join.fans} fans`);
        const before = ctx.fetch.stats.staleRetries;
        line = await joinStormLine(ctx, p, fans);
        line.result.figures.httpStaleConnectionRetries = ctx.fetch.stats.staleRetries - before;
        if (only.has('join') && r % 2 === 1) await runBaseline();
        if (baseline) {
          const ratio =
            Number(line.result.figures.joinsPerSecond) / Number(baseline.figures.joinsPerSecond);
          pairs.push({ baseline, lineup: line.result, ratio: round(ratio, 3) });
          log(
            `  round ${r + 1}: ${String(line.result.figures.joinsPerSecond)} vs ${String(baseline.figures.joinsPerSecond)} joins/s, ratio ${ratio.toFixed(2)}`,
          );
        } else results['join-storm'] = line.result;
      }
      // Status polls of the fans the last storm put in line, against the same baseline servers
      // (GET /queue/status doing one Redis round trip), alternating the same way.
      const queueTokens = (line?.joined ?? []).flatMap((j) => (j ? [j.queueToken] : []));
      if (only.has('join') && queueTokens.length > 0) {
        const polls = { polls: size.join.fans, concurrency: size.join.concurrency };
        const pollPairs: { baseline: ScenarioResult; lineup: ScenarioResult; ratio: number }[] = [];
        for (let r = 0; r < rounds; r++) {
          const pair: Partial<Record<'baseline' | 'lineup', ScenarioResult>> = {};
          for (const side of r % 2 === 0 ? ['baseline', 'lineup'] : ['lineup', 'baseline']) {
            log(`status polls (round ${r + 1}/${rounds}): ${side}, ${polls.polls} polls`);
            pair[side as 'baseline' | 'lineup'] =
              side === 'lineup'
                ? await ctx.scenario(() => statusPollStorm(ctx, polls, queueTokens))
                : await bctx.scenario(() =>
                    statusPollStorm(bctx, polls, queueTokens, 'status-poll-baseline'),
                  );
          }
          const ratio =
            Number(pair.lineup!.figures.pollsPerSecond) /
            Number(pair.baseline!.figures.pollsPerSecond);
          pollPairs.push({
            baseline: pair.baseline!,
            lineup: pair.lineup!,
            ratio: round(ratio, 3),
          });
          log(`  round ${r + 1}: poll ratio ${ratio.toFixed(2)}`);
        }
        const median = [...pollPairs].sort((a, b) => a.ratio - b.ratio)[
          Math.floor(pollPairs.length / 2)
        ]!;
        median.lineup.figures.rounds = pollPairs.map((p) => ({
          pollsPerSecond: p.lineup.figures.pollsPerSecond,
          baselinePollsPerSecond: p.baseline.figures.pollsPerSecond,
          ratio: p.ratio,
        }));
        results['status-poll'] = median.lineup;
        results['status-poll-baseline'] = median.baseline;
        console.log(formatResult(median.baseline));
        console.log(formatResult(median.lineup));
      }
      await Promise.all(base.map((b) => stopChild(b)));
      bctx.fetch.agent.destroy();
      if (pairs.length > 0) {
        const median = [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor(pairs.length / 2)]!;
        results['join-baseline'] = median.baseline;
        results['join-storm'] = median.lineup;
        median.lineup.figures.rounds = pairs.map((p) => ({
          joinsPerSecond: p.lineup.figures.joinsPerSecond,
          baselineJoinsPerSecond: p.baseline.figures.joinsPerSecond,
          ratio: p.ratio,
          otherCpu: (p.lineup.figures.cpu as { other: number | null }).other,
          baselineOtherCpu: (p.baseline.figures.cpu as { other: number | null }).other,
        }));
        console.log(formatResult(median.baseline));
      }
      console.log(formatResult(results['join-storm']!));
    }
    if (only.has('waiting')) {
      results['waiting-room'] = await ctx.scenario(() => waitingRoom(ctx, size.waiting, line));
      console.log(formatResult(results['waiting-room']));
    }
    if (only.has('seat')) {
      results['seat-storm'] = await ctx.scenario(() => seatStorm(ctx, size.seat));
      console.log(formatResult(results['seat-storm']));
      log('hold baseline: plain SQL loop, same conditional UPDATE');
      const { scheduleIds } = await ctx.admin.concert({
        seats: size.seat.seats,
        title: 'SQL baseline',
      });
      const seatIds = await seatIdsOf(run.databaseUrl, scheduleIds[0]!);
      baselines.sqlHold = await sqlHoldBaseline(
        run.databaseUrl,
        scheduleIds[0]!,
        seatIds,
        size.seat.fans,
        SQL_BASELINE_CONNECTIONS,
      );
      console.log(`sql hold baseline: ${JSON.stringify(baselines.sqlHold)}`);
    }
    // Opt-in (--only best-available): holds granted per request, named seats vs best available.
    if (only.has('best-available')) {
      results['best-available-storm'] = await ctx.scenario(() =>
        bestAvailableStorm(ctx, bestAvailableStormDefaults),
      );
      console.log(formatResult(results['best-available-storm']));
    }
    if (only.has('booking')) {
      results['booking-mix'] = await ctx.scenario(() => bookingMix(ctx, size.booking));
      console.log(formatResult(results['booking-mix']));
      if (options['booking-warm']) {
        // The same mix again on the now warm instances (a new concert and new fans): the first
        // one, the figure judged, also pays the instances' warm-up (V8 optimizing the hot code,
        // first connections); the difference is that warm-up (BENCHMARKS.md, issue 14).
        results['booking-mix-warm'] = await ctx.scenario(() => bookingMix(ctx, size.booking));
        console.log(formatResult(results['booking-mix-warm']));
      }
      // The same flow one step at a time: where a paid reservation's CPU goes.
      results['booking-steps'] = await ctx.scenario(() =>
        bookingSteps(ctx, {
          ...bookingStepsDefaults,
          fans: Math.min(size.booking.fans, 1_000),
          idleSeconds: size.booking.fans < 200 ? 1 : 2,
        }),
      );
      console.log(formatResult(results['booking-steps']));
    }
    ctx.fetch.agent.destroy();
    if (options.profile) {
      const which =
        typeof options.profile === 'string' ? options.profile.split(',') : ['join', 'booking'];
      for (const scenario of which as ('join' | 'poll' | 'booking')[]) {
        log(`profiling ${scenario} on one extra instance (--cpu-prof)`);
        profiles.push(await profileScenario(run, size, scenario));
      }
    }

    const rows = verdicts(results, baselines as never, instances);
    const summary = formatSummary(rows, sizeName, instances, load, profiles);
    console.log(summary);
    const steps = (results['waiting-room']?.figures.steps ?? []) as WaitingRoomStep[];
    const svgPath =
      typeof options.svg === 'string'
        ? options.svg
        : sizeName === 'default' || sizeName === 'large'
          ? join(ROOT, 'docs', 'bench', `waiting-room-${sizeName}.svg`)
          : join(run.dir, 'waiting-room-scaling.svg');
    if (steps.length > 0) {
      mkdirSync(join(svgPath, '..'), { recursive: true });
      writeFileSync(
        svgPath,
        renderScalingSvg(steps, { instances, size: sizeName, machine: machineInfo() }),
      );
      log(`wrote ${svgPath}`);
    }
    const report = {
      size: sizeName,
      instances,
      queueTickMs: tickMs,
      startedAt: new Date(startedAt).toISOString(),
      seconds: round((Date.now() - startedAt) / 1000),
      loadAverageAtStart: load.map((l) => round(l, 2)),
      machine: machineInfo(),
      verdicts: rows,
      baselines,
      profiles,
      results,
    };
    const jsonPath = typeof options.out === 'string' ? options.out : join(run.dir, 'bench.json');
    writeFileSync(jsonPath, JSON.stringify(report, null, 2) + '\n');
    log(`wrote ${jsonPath} (${round((Date.now() - startedAt) / 1000)} s)`);
    const broken = rows.filter((r) => r.kind === 'correctness' && r.met === false);
    if (broken.length > 0) {
      console.error(`correctness check failed: ${broken.map((b) => b.figure).join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    await cleanup();
  }
}

async function seatIdsOf(databaseUrl: string, scheduleId: number): Promise<number[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ seat_id: number }>(
      'select seat_id from schedule_seats where schedule_id = $1 order by seat_id',
      [scheduleId],
    );
    return rows.map((r) => r.seat_id);
  } finally {
    await c.end();
  }
}

function formatSummary(
  rows: Verdict[],
  size: string,
  instances: number,
  load: number[],
  profiles: ProfileResult[],
): string {
  const out = [
    '',
    `== Lineup bench, size ${size}: ${instances} instances, PostgreSQL, Redis and the load runner on ${machineInfo().cpus} cores (load average at start ${load.map((l) => l.toFixed(2)).join(' ')})`,
    table(
      ['figure', 'measured', 'baseline', 'ratio', 'target', 'met'],
      rows.map((r) => [
        r.figure,
        r.measured,
        r.baseline ?? '-',
        r.ratio ?? '-',
        r.target,
        r.met === null ? '-' : r.met ? 'yes' : 'NO',
      ]),
    ),
  ];
  for (const p of profiles) {
    out.push(
      `\n-- ${p.scenario} on one instance under --cpu-prof (${String(p.throughput)}/s): where its ${p.busyMs} ms of CPU went (boot included)`,
      table(
        ['owner', '% of busy'],
        p.shares.map((s) => [s.name, s.percent]),
      ),
    );
  }
  return out.join('\n');
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
