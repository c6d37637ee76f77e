import { writeFileSync } from 'node:fs';
import { SourceAddresses } from './lib/addresses.js';
import { createFans } from './lib/fans.js';
import { LoadContext } from './lib/context.js';
import { applyOptions, describe, parseArgv } from './lib/params.js';
import { defaultResultPath, formatResult, writeResult, type ScenarioResult } from './lib/report.js';
import {
  bestAvailableStorm,
  bestAvailableStormDefaults,
} from './scenarios/best-available-storm.js';
import { bookingMix, bookingMixDefaults } from './scenarios/booking-mix.js';
import { bookingSteps, bookingStepsDefaults } from './scenarios/booking-steps.js';
import { joinStorm, joinStormDefaults } from './scenarios/join-storm.js';
import { seatStorm, seatStormDefaults } from './scenarios/seat-storm.js';
import { waitingRoom, waitingRoomDefaults } from './scenarios/waiting-room.js';

// The load runner: `load/run.sh <scenario> [options]` (or `npx tsx load/cli.ts ...`) against
// running Lineup instances. See load/README.md.

const scenarios = {
  'join-storm': { run: joinStorm, defaults: joinStormDefaults },
  'waiting-room': { run: waitingRoom, defaults: waitingRoomDefaults },
  'seat-storm': { run: seatStorm, defaults: seatStormDefaults },
  'booking-mix': { run: bookingMix, defaults: bookingMixDefaults },
  'booking-steps': { run: bookingSteps, defaults: bookingStepsDefaults },
  'best-available-storm': { run: bestAvailableStorm, defaults: bestAvailableStormDefaults },
} as const;
type ScenarioName = keyof typeof scenarios;

const COMMON = [
  'url',
  'admin-token',
  'database-url',
  'jwt-secret',
  'sources',
  'http-connections',
  'out',
  'help',
];

function usage(): string {
  return [
    'usage: load/run.sh <scenario> [options]',
    '       load/run.sh fans --count <n> [--points <p>] [--out load/fans.json]   (fans for k6)',
    '',
    'common options (environment fallbacks in brackets):',
    '    --url <base URLs, comma-separated>  [LINEUP_URLS, default http://127.0.0.1:3000]',
    '    --admin-token <token>                [ADMIN_TOKEN, default the dev token]',
    '    --database-url <url>                 [DATABASE_URL] with --jwt-secret: create fans in bulk in the database',
    '    --jwt-secret <secret>                [AUTH_JWT_SECRET] (else fans sign up over HTTP: slow)',
    '    --sources <n | a,b,c | none>         local source addresses (default 200: 127.0.0.2..)',
    '    --http-connections <n>               kept-alive connections per instance and source, on average (default 8)',
    '    --out <file.json>                    default load/results/<scenario>-<time>.json',
    '',
    ...Object.entries(scenarios).flatMap(([name, s]) => [`${name}:`, describe(s.defaults), '']),
  ].join('\n');
}

/** `fans`: creates fans in bulk and writes [{id, token}] for the k6 scripts. */
async function writeFans(values: Record<string, string | boolean>): Promise<void> {
  const env = process.env;
  const databaseUrl = String(values['database-url'] ?? env.DATABASE_URL ?? '');
  const secret = String(values['jwt-secret'] ?? env.AUTH_JWT_SECRET ?? '');
  if (!databaseUrl || !secret) throw new Error('fans needs --database-url and --jwt-secret');
  const count = Number(values.count ?? 1000);
  const fans = await createFans(databaseUrl, secret, count, Number(values.points ?? 0));
  const out = String(values.out ?? 'load/fans.json');
  writeFileSync(out, JSON.stringify(fans));
  console.log(`wrote ${fans.length} fans to ${out}`);
}

async function main(): Promise<void> {
  const { options: values, positionals } = parseArgv(process.argv.slice(2));
  if (positionals[0] === 'fans') return writeFans(values);
  const name = positionals[0] as ScenarioName | undefined;
  if (values.help || !name || !(name in scenarios)) {
    console.log(usage());
    process.exit(values.help ? 0 : 2);
  }
  const env = process.env;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const scenario = scenarios[name];
  const params = applyOptions(scenario.defaults as object, values, new Set(COMMON));
  const ctx = new LoadContext({
    urls: (str(values.url) ?? env.LINEUP_URLS ?? 'http://127.0.0.1:3000')
      .split(',')
      .map((u) => u.trim().replace(/\/+$/, '')),
    adminToken: str(values['admin-token']) ?? env.ADMIN_TOKEN ?? 'lineup-dev-admin-token',
    databaseUrl: str(values['database-url']) ?? env.DATABASE_URL,
    jwtSecret: str(values['jwt-secret']) ?? env.AUTH_JWT_SECRET,
    sources: SourceAddresses.parse(str(values.sources)),
    httpConnections: values['http-connections'] ? Number(values['http-connections']) : undefined,
    log: (line) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
  });
  const run = scenario.run as (c: LoadContext, p: object) => Promise<ScenarioResult>;
  const result = await ctx.scenario(() => run(ctx, params));
  console.log(formatResult(result));
  const path = writeResult(result, str(values.out) ?? defaultResultPath('load/results', name));
  console.log(`\nwrote ${path}`);
  ctx.fetch.agent.destroy();
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
