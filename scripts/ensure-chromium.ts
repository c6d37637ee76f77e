// Runs before `npm test` (and the other browser suites): the browser tests drive Debian's
// chromium with playwright-core, which downloads no browser. On a fresh Debian machine this
// installs it (as root, with apt-get); where Chromium is present it does nothing.
//
//   tsx scripts/ensure-chromium.ts [--path <chromium>] [--dry-run]
//
// --path defaults to CHROMIUM_PATH, else /usr/bin/chromium (where Debian's chromium lives);
// --dry-run prints what it would do and does nothing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const INSTALL = [
  ['apt-get', 'update'],
  ['apt-get', 'install', '-y', 'chromium'],
];
const HOW = 'apt-get update && apt-get install -y chromium';

export interface Facts {
  /** The Chromium the tests will launch. */
  path: string;
  present: boolean;
  /** CHROMIUM_PATH chose the path: someone's own Chromium, which apt-get would not put there. */
  fromEnv: boolean;
  isRoot: boolean;
  hasAptGet: boolean;
}

export type Plan =
  | { kind: 'present' }
  | { kind: 'install'; commands: string[][] }
  | { kind: 'fail'; message: string };

/** What to do about Chromium, from the facts alone (so it can be tested without uninstalling it). */
export function plan(facts: Facts): Plan {
  if (facts.present) return { kind: 'present' };
  const missing = `Chromium is missing at ${facts.path}, and the browser tests need it.`;
  if (facts.fromEnv)
    return {
      kind: 'fail',
      message: `${missing} CHROMIUM_PATH points there: install Chromium at that path, or unset CHROMIUM_PATH to use Debian's chromium at ${DEFAULT_CHROMIUM} (${HOW}, as root).`,
    };
  if (!facts.hasAptGet)
    return {
      kind: 'fail',
      message: `${missing} This machine has no apt-get: install Chromium yourself and set CHROMIUM_PATH to its executable.`,
    };
  if (!facts.isRoot)
    return {
      kind: 'fail',
      message: `${missing} Installing Debian's chromium needs root: run \`${HOW}\` as root (e.g. with sudo), then npm test again.`,
    };
  return { kind: 'install', commands: INSTALL };
}

function facts(path: string, fromEnv: boolean): Facts {
  return {
    path,
    present: existsSync(path),
    fromEnv,
    isRoot: process.getuid?.() === 0,
    hasAptGet: spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0,
  };
}

function main(): number {
  const { values } = parseArgs({
    options: { path: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
  });
  const fromEnv = values.path === undefined && process.env.CHROMIUM_PATH !== undefined;
  const path = values.path ?? process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM;
  const dryRun = values['dry-run'];
  const decided = plan(facts(path, fromEnv));
  if (decided.kind === 'present') {
    if (dryRun) console.log(`ensure-chromium: ${path} is present; nothing to do`);
    return 0;
  }
  if (decided.kind === 'fail') {
    console.error(`ensure-chromium: ${decided.message}`);
    return 1;
  }
  const commands = decided.commands.map((c) => c.join(' ')).join(' && ');
  if (dryRun) {
    console.log(`ensure-chromium: ${path} is missing; would run: ${commands}`);
    return 0;
  }
  console.error(`ensure-chromium: ${path} is missing; running: ${commands}`);
  for (const [command, ...args] of decided.commands) {
    const run = spawnSync(command!, args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (run.status !== 0) {
      console.error(`ensure-chromium: \`${[command, ...args].join(' ')}\` failed (${run.status})`);
      return 1;
    }
  }
  if (!existsSync(path)) {
    console.error(`ensure-chromium: installed chromium, but ${path} still does not exist`);
    return 1;
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = main();
