import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHROMIUM, plan, type Facts } from '../../scripts/ensure-chromium.js';

// `npm test` on a fresh machine brings Debian's chromium itself (pretest). Chromium is not
// uninstalled here to prove it: the decision is tested from the facts, and the script itself in
// dry-run mode against a path that does not exist.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = 'scripts/ensure-chromium.ts';
const fresh: Facts = {
  path: DEFAULT_CHROMIUM,
  present: false,
  fromEnv: false,
  isRoot: true,
  hasAptGet: true,
};

describe('ensure-chromium', () => {
  it('installs Debian chromium with apt-get when it is missing, as root', () => {
    expect(plan(fresh)).toEqual({
      kind: 'install',
      commands: [
        ['apt-get', 'update'],
        ['apt-get', 'install', '-y', 'chromium'],
      ],
    });
  });

  it('does nothing when Chromium is present, whoever runs it', () => {
    expect(plan({ ...fresh, present: true })).toEqual({ kind: 'present' });
    expect(plan({ ...fresh, present: true, isRoot: false, hasAptGet: false })).toEqual({
      kind: 'present',
    });
    expect(plan({ ...fresh, present: true, fromEnv: true, path: '/opt/chrome' })).toEqual({
      kind: 'present',
    });
  });

  it('fails with a message saying what to do when it cannot install', () => {
    const notRoot = plan({ ...fresh, isRoot: false });
    expect(notRoot).toMatchObject({ kind: 'fail' });
    expect((notRoot as { message: string }).message).toMatch(
      /missing at \/usr\/bin\/chromium.*needs root.*apt-get update && apt-get install -y chromium/,
    );
    const noApt = plan({ ...fresh, hasAptGet: false });
    expect((noApt as { message: string }).message).toMatch(/no apt-get.*CHROMIUM_PATH/);
    // CHROMIUM_PATH names someone's own Chromium: apt-get would not put it there.
    const elsewhere = plan({ ...fresh, fromEnv: true, path: '/opt/chrome' });
    expect((elsewhere as { message: string }).message).toMatch(
      /missing at \/opt\/chrome.*CHROMIUM_PATH/,
    );
  });

  it('runs as a script: nothing for a present path, the plan for a missing one (dry run)', () => {
    const { CHROMIUM_PATH: _unset, ...env } = process.env;
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        env,
      });
    const present = run('--path', process.execPath, '--dry-run');
    expect(present.stdout).toContain('is present; nothing to do');
    expect(present.status).toBe(0);

    const path = '/nonexistent/lineup-test/chromium';
    const missing = run('--path', path, '--dry-run');
    // What this machine's facts call for: as root with apt-get (CI, a fresh Debian) an install.
    const expected = plan({
      path,
      present: false,
      fromEnv: false,
      isRoot: process.getuid?.() === 0,
      hasAptGet: spawnSync('sh', ['-c', 'command -v apt-get']).status === 0,
    });
    if (expected.kind === 'install') {
      expect(missing.stdout).toContain(
        `${path} is missing; would run: apt-get update && apt-get install -y chromium`,
      );
      expect(missing.status).toBe(0);
    } else {
      expect(missing.stderr).toContain((expected as { message: string }).message);
      expect(missing.status).toBe(1);
    }
    // Two tsx start-ups: seconds on a busy machine, more than the unit project's default 5 s.
  }, 60_000);

  it('runs before npm test and the browser suites, and CI no longer installs chromium itself', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const name of ['pretest', 'pretest:e2e', 'prescreenshots'])
      expect(pkg.scripts[name]).toBe(`tsx ${SCRIPT}`);
    const ci = readFileSync(`${ROOT}.ci/run`, 'utf8');
    expect(ci).not.toMatch(/apt-get install/);
    expect(ci).toMatch(/^npm test$/m);
  });
});
